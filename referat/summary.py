"""What the archive and the cross-meeting checks need of a meeting, small enough to keep many.

A summary is made with one edition applied, like a :class:`~referat.render.document.Document`:
in the public edition it holds nothing of a closed item but its number, case number and
public summary, so it may be cached in a public build's output folder.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import Meeting

if TYPE_CHECKING:  # the renderer (and mistune with it) is not needed to read a summary
    from .render.document import Document


@dataclass(frozen=True)
class ItemSummary:
    """One item, as the archive prints it."""

    number: int
    """The item number."""
    anchor: str
    """Fragment of the item on its meeting page, e.g. ``punkt-2``."""
    heading: str
    """"Punkt 2: title", or "Punkt 6: Lukket" when withheld."""
    title: str | None
    """The title; None when withheld."""
    case: str | None
    """The case number."""
    title_line: int
    """Line of ``title:`` in the item file, for diagnostics."""
    closed: bool
    """Whether the item is closed."""
    withheld: bool
    """Closed, in the public edition: nothing but number, case and public summary."""
    public_summary: str | None
    """What may be said in public of a closed item."""
    decision_heading: str | None
    """The printed heading of the decision section, if the item has one (and is not withheld)."""
    decision_html: str | None
    """The decision as an HTML fragment, if the item has one (and is not withheld)."""


@dataclass(frozen=True)
class MeetingSummary:
    """One meeting, as the archive and the cross-meeting checks see it."""

    id: str
    """The meeting id (its folder relative to the path built)."""
    folder: str
    """The meeting folder (absolute), for diagnostics."""
    body: str
    """The body that met."""
    date: str
    """Meeting date, ISO."""
    date_line: int
    """Line of ``date:`` in meeting.yaml."""
    phase: str
    """``agenda`` or ``minutes``."""
    language: str
    """``da`` or ``en``."""
    title: str
    """The document's title line."""
    when: str
    """The meeting date in words."""
    continuous: bool
    """Whether its configuration numbers items on through the year."""
    item_files: tuple[str, ...]
    """File names of the items, by number (for diagnostics)."""
    items: tuple[ItemSummary, ...]
    """The items, by number."""

    @property
    def meeting_file(self) -> Path:
        """The meeting's meeting.yaml."""
        return Path(self.folder) / "meeting.yaml"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, for the build cache (as ``dataclasses.asdict``, faster)."""
        data = dict(vars(self))
        data["item_files"] = list(self.item_files)
        data["items"] = [dict(vars(item)) for item in self.items]
        return data

    def without_decisions(self) -> MeetingSummary:
        """The summary without decision texts: what the archive's indexes and the checks need."""
        items = tuple(
            replace(item, decision_heading=None, decision_html=None) for item in self.items
        )
        return replace(self, items=items)

    @property
    def decisions(self) -> list[tuple[str | None, str | None]]:
        """Decision heading and HTML of each item, by position."""
        return [(item.decision_heading, item.decision_html) for item in self.items]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MeetingSummary:
        """The summary :meth:`to_json` gave (raises KeyError or TypeError on anything else)."""
        items = tuple(ItemSummary(**item) for item in data["items"])
        fields = {k: v for k, v in data.items() if k != "items"}
        fields["item_files"] = tuple(fields["item_files"])
        return cls(items=items, **fields)


def for_checks(meeting: Meeting, real: str | None = None) -> MeetingSummary:
    """What the checks across meetings need, taken from the model alone: nothing is
    rendered or formatted, so the printed words (title, headings) are left empty."""
    items = tuple(
        ItemSummary(
            number=item.number,
            anchor="",
            heading="",
            title=item.title,
            case=item.case,
            title_line=item.key_lines.get("title", 1),
            closed=item.closed,
            withheld=False,
            public_summary=None,
            decision_heading=None,
            decision_html=None,
        )
        for item in meeting.items
    )
    return _meeting_summary(meeting, "", "", items, real)


def summarise(meeting: Meeting, doc: Document, real: str | None = None) -> MeetingSummary:
    """The summary of ``meeting`` in the edition ``doc`` was made with, decisions rendered."""
    items = []
    lines = {item.number: item.key_lines.get("title", 1) for item in meeting.items}
    for item in doc.items:
        decision = next((s for s in item.sections if s.key == "decision"), None)
        items.append(
            ItemSummary(
                number=item.number,
                anchor=item.anchor,
                heading=item.heading,
                title=item.title,
                case=item.case,
                title_line=lines.get(item.number, 1),
                closed=item.closed,
                withheld=item.withheld,
                public_summary=item.public_summary,
                decision_heading=decision.heading if decision else None,
                decision_html=decision.html if decision else None,
            )
        )
    return _meeting_summary(meeting, doc.title, doc.when, tuple(items), real)


def _meeting_summary(
    meeting: Meeting, title: str, when: str, items: tuple[ItemSummary, ...], real: str | None
) -> MeetingSummary:
    """``real``: the meeting folder's real path, when the caller has it."""
    return MeetingSummary(
        id=meeting.id,
        folder=real or str(meeting.path.resolve()),
        body=meeting.body,
        date=meeting.date.isoformat(),
        date_line=meeting.key_lines.get("date", 1),
        phase=meeting.phase,
        language=meeting.language,
        title=title,
        when=when,
        continuous=meeting.config.numbering == "continuous",
        item_files=tuple(item.path.name for item in meeting.items),
        items=items,
    )
