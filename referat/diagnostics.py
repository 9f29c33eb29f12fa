"""Diagnostics: the table of every code referat reports, and the collector that gathers them."""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


class Severity(enum.StrEnum):
    """How bad a diagnostic is: errors fail validation, warnings only with ``--strict``."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Code:
    """One diagnostic code: its identifier, default severity and one-line description."""

    code: str
    """Stable identifier such as ``RF203``; users search for it and tests rely on it."""
    severity: Severity
    """Severity every diagnostic of this code carries."""
    summary: str
    """One line saying what the code is about, shown in the README table and in SARIF rules."""


_E = Severity.ERROR
_W = Severity.WARNING

#: Every code referat can report, in one table. The README documents each one.
CODES: dict[str, Code] = {
    c.code: c
    for c in (
        # RF0xx: files
        Code("RF001", _E, "file is not valid UTF-8"),
        Code("RF002", _E, "file or folder cannot be read"),
        Code("RF003", _E, "file is too large"),
        Code("RF004", _E, "folder has item files but no meeting.yaml"),
        Code("RF005", _E, "template cannot be loaded or rendered"),
        # RF1xx: YAML and front matter
        Code("RF101", _E, "invalid YAML"),
        Code("RF102", _E, "YAML anchors and aliases are not allowed"),
        Code("RF103", _E, "item file has no front matter"),
        Code("RF104", _E, "front matter is not closed by a '---' line"),
        Code("RF105", _E, "YAML document is not a mapping"),
        Code("RF106", _E, "required key is missing"),
        Code("RF107", _E, "unknown key"),
        Code("RF108", _E, "value has the wrong type"),
        Code("RF109", _E, "invalid date"),
        Code("RF110", _E, "invalid time"),
        Code("RF111", _E, "case number does not match the case pattern"),
        Code("RF112", _E, "meeting ends before it starts"),
        Code("RF113", _E, "key appears twice in one mapping"),
        Code("RF114", _E, "value is not one of the allowed choices"),
        Code("RF115", _E, "public_summary on an item that is not closed"),
        Code("RF116", _E, "invalid configuration value"),
        # RF2xx: sections
        Code("RF201", _E, "unknown section heading"),
        Code("RF202", _E, "section appears twice"),
        Code("RF203", _E, "section out of order"),
        Code("RF204", _E, "required section is missing"),
        Code("RF205", _W, "section is empty"),
        Code("RF206", _E, "text before the first section"),
        Code("RF207", _E, "decision section in an agenda"),
        Code("RF208", _E, "'Bilag' section in the body"),
        Code("RF209", _E, "level-1 heading in an item body"),
        # RF3xx: items as a set
        Code("RF301", _E, "file name is not NN-slug.md"),
        Code("RF302", _E, "two items have the same number"),
        Code("RF303", _E, "item numbers do not run 1, 2, 3 ... without gaps"),
        Code("RF304", _E, "meeting has no items"),
        # RF4xx: attachments
        Code("RF401", _E, "attachment file is missing"),
        Code("RF402", _E, "attachment path leaves the meeting folder"),
        Code("RF403", _W, "file in the meeting folder that no item lists"),
        Code("RF404", _E, "attachment is not a regular file"),
        Code("RF405", _E, "two attachments would be published at the same path"),
        # RF5xx: across meetings
        Code("RF501", _E, "two meetings of one body on one date"),
        Code("RF502", _W, "one case number with different titles"),
        Code("RF503", _E, "gap in continuous numbering"),
        Code("RF504", _E, "overlap in continuous numbering"),
        Code("RF505", _E, "meeting folder name is taken by the archive"),
        # RF6xx: approval
        Code("RF601", _E, "approved minutes without a digest"),
        Code("RF602", _E, "sources changed after approval"),
        Code("RF603", _E, "digest without an approval date"),
    )
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in the sources, at a 1-based line and column of a file."""

    path: Path
    """The file (or folder) the problem is in."""
    line: int
    """1-based line number; 1 for problems of the file as a whole."""
    column: int
    """1-based column (in characters) on that line."""
    code: str
    """Key into :data:`CODES`."""
    message: str
    """What is wrong, in one sentence."""
    hint: str | None = None
    """What to do about it, where referat can say."""

    @property
    def severity(self) -> Severity:
        """The severity of this diagnostic's code."""
        return CODES[self.code].severity


class Collector:
    """Gathers diagnostics while the sources are read and checked; never raises."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []

    def add(
        self,
        code: str,
        path: Path,
        line: int,
        column: int,
        message: str,
        hint: str | None = None,
    ) -> None:
        """Record one diagnostic; ``code`` must be in :data:`CODES`."""
        if code not in CODES:
            raise KeyError(f"unregistered diagnostic code {code}")
        self._items.append(Diagnostic(path, max(line, 1), max(column, 1), code, message, hint))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Record diagnostics found elsewhere."""
        self._items.extend(diagnostics)

    def sorted(self) -> list[Diagnostic]:
        """All diagnostics so far, by path, line, column and code, without duplicates."""
        return sorted(set(self._items))

    def __len__(self) -> int:
        return len(self._items)


def has_errors(diagnostics: Sequence[Diagnostic], *, strict: bool = False) -> bool:
    """Whether ``diagnostics`` make the sources fail (warnings too when ``strict``)."""
    return any(strict or d.severity is Severity.ERROR for d in diagnostics)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the choice closest to ``word``, compared without regard to case."""
    by_folded = {c.casefold(): c for c in choices}
    close = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=0.6)
    return f'did you mean "{by_folded[close[0]]}"?' if close else None
