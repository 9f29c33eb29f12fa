"""Checks across meetings (RF5xx): one body, one date; one case, one title; continuous numbering."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from .diagnostics import Diagnostic
from .summary import MeetingSummary


def cross_check(meetings: Sequence[MeetingSummary]) -> list[Diagnostic]:
    """Every RF5xx problem among ``meetings``; each meeting's own problems are checked elsewhere."""
    out: list[Diagnostic] = []
    by_day: dict[tuple[str, str], list[MeetingSummary]] = defaultdict(list)
    for meeting in meetings:
        by_day[(meeting.body, meeting.date)].append(meeting)
    for (body, date), same in by_day.items():
        if len(same) > 1:
            first, *others = sorted(same, key=lambda m: m.id)
            for meeting in others:
                out.append(
                    Diagnostic(
                        meeting.meeting_file,
                        meeting.date_line,
                        1,
                        "RF501",
                        f'{body} also meets on {date} in "{first.id}"',
                        "one body meets once a day: merge the two meetings, or correct the date",
                    )
                )
    if len(meetings) > 1:  # several meetings: the build writes an archive beside them
        out.extend(_archive_names(meetings))
    out.extend(_case_titles(meetings))
    out.extend(_continuous_numbering(meetings))
    return out


#: What the archive writes at the top of OUT, which a meeting's folder must not be called.
ARCHIVE_NAMES = frozenset({"cases", "index.html"})


def _archive_names(meetings: Sequence[MeetingSummary]) -> list[Diagnostic]:
    return [
        Diagnostic(
            meeting.meeting_file,
            1,
            1,
            "RF505",
            f'the folder "{meeting.id.split("/")[0]}" is where the archive writes its pages',
            "rename the folder (meeting folders usually sit in a folder per body)",
        )
        for meeting in meetings
        if meeting.id.split("/")[0] in ARCHIVE_NAMES or meeting.id.startswith(".")
    ]


def _case_titles(meetings: Sequence[MeetingSummary]) -> list[Diagnostic]:
    # Open items only: a closed item's title is confidential, and is often different on
    # purpose. Within one meeting several items may share a case (the seed's "Øvrige sager"
    # and "Afklaring ..." both belong to 20/23083), so titles are compared across meetings.
    seen: dict[str, dict[str, str]] = defaultdict(dict)  # case -> title -> first meeting id
    out: list[Diagnostic] = []
    for meeting in sorted(meetings, key=lambda m: (m.date, m.id)):
        mine: dict[str, set[str]] = defaultdict(set)
        for item, name in zip(meeting.items, meeting.item_files, strict=False):
            if item.closed or item.case is None or item.title is None:
                continue
            mine[item.case].add(item.title)
            earlier = seen.get(item.case, {})
            if earlier and item.title not in earlier:
                title, where = next(iter(earlier.items()))
                out.append(
                    Diagnostic(
                        Path(meeting.folder) / name,
                        item.title_line,
                        1,
                        "RF502",
                        f'case {item.case} is called "{title}" in {where}, here "{item.title}"',
                        "use the case's title as it stands in the case system",
                    )
                )
        for case, titles in mine.items():
            for title in sorted(titles):
                seen[case].setdefault(title, meeting.id)
    return out


def _continuous_numbering(meetings: Sequence[MeetingSummary]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    series: dict[tuple[str, str], list[MeetingSummary]] = defaultdict(list)
    for meeting in meetings:
        if meeting.continuous and meeting.items:
            series[(meeting.body, meeting.date[:4])].append(meeting)
    for (body, year), run in series.items():
        expected = 1
        previous: MeetingSummary | None = None
        for meeting in sorted(run, key=lambda m: (m.date, m.id)):
            first = meeting.items[0].number
            where = Path(meeting.folder) / meeting.item_files[0]
            after = f"after {previous.id}" if previous else f"as the first meeting of {year}"
            if first > expected:
                out.append(
                    Diagnostic(
                        where,
                        1,
                        1,
                        "RF503",
                        f"{body} numbers items on through {year}: {after} the next is "
                        f"{expected}, not {first}",
                        f"renumber the items from {expected}",
                    )
                )
            elif first < expected:
                out.append(
                    Diagnostic(
                        where,
                        1,
                        1,
                        "RF504",
                        f"{body} numbers items on through {year}: {after} the next is "
                        f"{expected}, not {first}",
                        f"renumber the items from {expected}",
                    )
                )
            expected = meeting.items[-1].number + 1
            previous = meeting
    return out
