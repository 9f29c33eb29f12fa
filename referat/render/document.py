"""The document a writer renders: a meeting with one edition applied and its content rendered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..content import Rendered, render
from ..model import Edition, Item, Meeting, Phase
from .words import WORDS, Words


@dataclass(frozen=True)
class DocSection:
    """A section as printed."""

    key: str
    """The configured key, e.g. ``decision``."""
    heading: str
    """The printed heading, e.g. "Beslutning Direktionen den 01-03-2021"."""
    content: Rendered
    """The content, rendered to HTML or Markdown when a writer asks."""

    @property
    def html(self) -> str:
        """The content as an HTML fragment (safe)."""
        return self.content.html

    @property
    def markdown(self) -> str:
        """The content as Markdown (safe)."""
        return self.content.markdown


@dataclass(frozen=True)
class DocAttachment:
    """An attachment as printed."""

    title: str
    """What it is called."""
    source: str | None
    """The file relative to the meeting folder; None for a title only."""
    href: str | None
    """Where its copy is, relative to the meeting's output folder; None for a title only."""


@dataclass(frozen=True)
class DocItem:
    """An item as printed in one edition."""

    number: int
    """The item number."""
    anchor: str
    """Fragment identifier, e.g. ``punkt-3``."""
    heading: str
    """"Punkt 3: title", or "Punkt 6: Lukket" for a closed item in the public edition."""
    title: str | None
    """The title; None where the edition withholds it."""
    case: str | None
    """The case number."""
    closed: bool
    """Whether the item is closed."""
    withheld: bool
    """Closed and printed in the public edition: nothing but number, case and public summary."""
    addendum: bool
    """Added after the agenda was sent out."""
    public_summary: str | None
    """What may be said in public of a closed item."""
    sections: tuple[DocSection, ...]
    """Sections in configured order (none when withheld)."""
    attachments: tuple[DocAttachment, ...]
    """Attachments this edition lists."""


@dataclass(frozen=True)
class Document:
    """One meeting's document in one edition: everything a writer prints, nothing it may not."""

    meeting_id: str
    """The meeting's id (its folder relative to the path built)."""
    edition: Edition
    """``public`` or ``internal``."""
    phase: Phase
    """``agenda`` or ``minutes``."""
    words: Words
    """The fixed words of the document's language."""
    title: str
    """"REFERAT Direktionen d. 01-03-2021"."""
    body: str
    """The body that met."""
    date: dt.date
    """Meeting date."""
    when: str
    """The meeting date in words with weekday and time."""
    time: dt.time | None
    """Start time."""
    end: dt.time | None
    """End time."""
    location: str | None
    """Where the meeting was held."""
    participants: tuple[str, ...]
    """Mødedeltagere."""
    absent: tuple[str, ...]
    """Afbud."""
    approved: dt.date | None
    """The day the minutes were approved."""
    items: tuple[DocItem, ...]
    """The items, by number."""

    @property
    def language(self) -> str:
        """``da`` or ``en``."""
        return self.words.language

    @property
    def files(self) -> dict[str, str]:
        """Every attachment file this edition lists: published path -> path in the meeting."""
        return {
            a.href: a.source
            for item in self.items
            for a in item.attachments
            if a.href is not None and a.source is not None
        }


def make_document(meeting: Meeting, edition: Edition) -> Document:
    """Apply ``edition`` to ``meeting``: in the public edition closed items keep no content."""
    words = WORDS[meeting.language]
    kind = words.agenda if meeting.phase == "agenda" else words.minutes
    return Document(
        meeting_id=meeting.id,
        edition=edition,
        phase=meeting.phase,
        words=words,
        title=words.title_pattern.format(
            kind=kind, body=meeting.body, date=words.short(meeting.date)
        ),
        body=meeting.body,
        date=meeting.date,
        when=words.long(meeting.date, meeting.time, meeting.end),
        time=meeting.time,
        end=meeting.end,
        location=meeting.location,
        participants=meeting.participants,
        absent=meeting.absent,
        approved=meeting.approved,
        items=tuple(_item(item, meeting, words, edition) for item in meeting.items),
    )


def _item(item: Item, meeting: Meeting, words: Words, edition: Edition) -> DocItem:
    anchor = f"{words.anchor}-{item.number}"
    if item.closed and edition == "public":
        # Built from the number, case and public summary alone: no other field of a
        # closed item reaches a public writer.
        return DocItem(
            number=item.number,
            anchor=anchor,
            heading=f"{words.item} {item.number}: {words.closed}",
            title=None,
            case=item.case,
            closed=True,
            withheld=True,
            addendum=item.addendum,
            public_summary=item.public_summary,
            sections=(),
            attachments=(),
        )
    decision_date = words.short(meeting.date)
    sections = []
    for section in item.sections:
        heading = section.spec.heading
        if section.spec.key == "decision":
            heading = words.decision_pattern.format(
                heading=heading, body=meeting.body, date=decision_date
            )
        sections.append(DocSection(section.spec.key, heading, render(section.markdown)))
    attachments = tuple(
        DocAttachment(a.title, a.file, a.published_path)
        for a in item.attachments
        if a.public or edition == "internal"
    )
    return DocItem(
        number=item.number,
        anchor=anchor,
        heading=f"{words.item} {item.number}: {item.title}",
        title=item.title,
        case=item.case,
        closed=item.closed,
        withheld=False,
        addendum=item.addendum,
        public_summary=item.public_summary,
        sections=tuple(sections),
        attachments=attachments,
    )
