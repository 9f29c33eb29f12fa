"""The typed model of a meeting that the loader builds and every writer reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .config import Config, Language, SectionSpec

Phase = Literal["agenda", "minutes"]
Edition = Literal["public", "internal"]


@dataclass(frozen=True)
class Attachment:
    """A document an item lists under "Bilag"."""

    title: str
    """What the attachment is called."""
    file: str | None = None
    """Path of the file relative to the meeting folder (POSIX separators); None for a title only."""
    public: bool = True
    """False keeps the attachment out of the public edition."""
    line: int = field(default=1, compare=False)
    """1-based line of the entry in its item file, for diagnostics."""
    column: int = field(default=1, compare=False)
    """1-based column of the entry in its item file."""

    @property
    def published_path(self) -> str | None:
        """Where the file is copied in the meeting's output folder, always under ``bilag/``."""
        if self.file is None:
            return None
        return self.file if self.file.startswith("bilag/") else "bilag/" + self.file


@dataclass(frozen=True)
class Section:
    """One configured section of an item, with its Markdown source."""

    spec: SectionSpec
    """The configured section this is."""
    markdown: str
    """The section's Markdown as written, without its heading line."""
    line: int
    """1-based line of the section's heading in the item file."""


@dataclass(frozen=True)
class Item:
    """One agenda item ("punkt"), read from one ``NN-slug.md`` file."""

    number: int
    """The item number, from the file name."""
    path: Path
    """The item file."""
    title: str
    """The item's title."""
    case: str | None
    """Case number ("sagsnummer"); None where the configuration allows none."""
    closed: bool = False
    """Closed item ("lukket punkt"): only its number and case number are public."""
    public_summary: str | None = None
    """What the public edition may say of a closed item's outcome."""
    addendum: bool = False
    """Added after the agenda was sent out ("tillægsdagsorden")."""
    sections: tuple[Section, ...] = ()
    """The sections present, in configured order."""
    attachments: tuple[Attachment, ...] = ()
    """Attachments, in the order listed."""
    key_lines: Mapping[str, int] = field(default_factory=dict, compare=False)
    """1-based line of each front matter key's value in the item file, for diagnostics."""


@dataclass(frozen=True)
class Meeting:
    """One meeting of one body: its ``meeting.yaml`` and its items."""

    id: str
    """Path of the meeting folder relative to the folder given, e.g. ``direktionen/2021-03-01``."""
    path: Path
    """The meeting folder."""
    body: str
    """The body that meets, e.g. "Direktionen"."""
    date: dt.date
    """Meeting date."""
    config: Config
    """The configuration that applies to this meeting."""
    language: Language
    """Language of fixed words and dates: the meeting's, else the configuration's."""
    phase: Phase = "minutes"
    """Agenda ("dagsorden") or minutes ("referat")."""
    time: dt.time | None = None
    """Start time."""
    end: dt.time | None = None
    """End time."""
    location: str | None = None
    """Where the meeting is held ("Mødested")."""
    participants: tuple[str, ...] = ()
    """Who took part ("Mødedeltagere")."""
    absent: tuple[str, ...] = ()
    """Who sent apologies ("Afbud")."""
    approved: dt.date | None = None
    """The day the minutes were approved."""
    digest: str | None = None
    """Digest of the approved sources, written by ``referat lock``."""
    items: tuple[Item, ...] = ()
    """The items, by number."""
    key_lines: Mapping[str, int] = field(default_factory=dict, compare=False)
    """1-based line of each key's value in meeting.yaml, for diagnostics."""
