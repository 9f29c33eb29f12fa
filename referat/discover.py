"""Finding the meeting folders below a path: the one walk of the sources that validation,
builds and the other commands share, kept apart from the checks so that a build with
nothing to do imports no more than it needs."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .diagnostics import Collector

MEETING_FILE = "meeting.yaml"
#: Left in every build output folder, so that validation and discovery skip it.
BUILD_MARKER = ".referat-build"
#: An item file's name: its number and slug.
ITEM_NAME = re.compile(r"(\d+)-(.+)\.md")

#: A meeting found: its folder, id, real path, and its files as :func:`listed_meetings` saw them.
Found = tuple[Path, str, str, list[str] | None]


class NoMeetings(Exception):
    """A path holds no meeting folder; a usage error, not a problem in the sources."""


def meetings_in(paths: Sequence[Path], diags: Collector) -> list[tuple[Path, str]]:
    """Each meeting folder under ``paths`` once, with its id; raises :class:`NoMeetings` for
    a path that holds none (unless problems found on the way explain why)."""
    return [(folder, meeting_id) for folder, meeting_id, _, _ in real_meetings_in(paths, diags)]


def real_meetings_in(paths: Sequence[Path], diags: Collector) -> list[Found]:
    """As :func:`meetings_in`, with each folder's real path (symbolic links resolved) and, where
    the search saw all of them, its files (see :func:`listed_meetings`)."""
    out: list[Found] = []
    seen: set[str] = set()
    for path in paths:
        found = list(listed_meetings(path, diags))
        if not found and not len(diags):
            raise NoMeetings(f"no meeting folder (a folder holding {MEETING_FILE}) in {path}")
        # Folders the walk found are real folders below PATH: their real path is PATH's real
        # path and their id (one realpath per PATH, not one per meeting: this runs on every
        # build of thousands of meetings).
        walked = path.is_dir() and not (path / MEETING_FILE).is_file()
        base = os.path.realpath(path)
        for folder, meeting_id, files in found:
            real = os.path.join(base, meeting_id) if walked else os.path.realpath(folder)
            if real not in seen:
                seen.add(real)
                out.append((folder, meeting_id, real, files))
    return out


def visible(names: Iterable[str]) -> list[str]:
    """``names`` without hidden ones (a leading '.'), sorted: what every walk of the sources
    sees of a folder's files and subfolders (build output is skipped by its marker)."""
    return sorted(name for name in names if not name.startswith("."))


def find_meetings(path: Path, diags: Collector) -> Iterable[tuple[Path, str]]:
    """Meeting folders at or below ``path`` with their ids; a file stands for its meeting."""
    for folder, meeting_id, _ in listed_meetings(path, diags):
        yield folder, meeting_id


def listed_meetings(path: Path, diags: Collector) -> Iterable[tuple[Path, str, list[str] | None]]:
    """As :func:`find_meetings`, with the files of each meeting folder that the search listed
    and that has no subfolder (the others: None), as ``pipeline.meeting_files`` gives them.
    A build needs every meeting's files, and would otherwise list each folder a second time."""
    if path.is_file():
        folder = path.parent
        if (folder / MEETING_FILE).is_file():
            yield folder, folder.resolve().name, None
        else:
            _missing_meeting_file(folder, [path.name], diags)
        return
    if (path / MEETING_FILE).is_file():
        yield path, path.resolve().name, None
        return
    root = os.fspath(path)
    # The walk joins names to PATH with '/': a folder's id is what follows PATH's own text.
    cut = len(root) if root.endswith("/") else len(root) + 1
    for top, dirs, files in _walk(root, diags):
        dirs[:] = visible(dirs)
        if BUILD_MARKER in files:
            dirs.clear()
            continue
        if MEETING_FILE in files:
            # A meeting folder's subfolders are its own (bilag/ and the like).
            listing = None if dirs else visible(files)
            dirs.clear()
            yield Path(top), top[cut:], listing
        else:
            items = sorted(f for f in files if ITEM_NAME.fullmatch(f))
            if items:
                _missing_meeting_file(Path(top), items, diags)


def _walk(root: str, diags: Collector) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(root)`` (top down, not into links to folders; a folder that cannot be read
    reported), without its ``lstat`` of each folder to see whether it is a link: the
    listing of its parent says so. This runs on every build, over thousands of folders."""
    stack = [root]
    while stack:
        top = stack.pop()
        dirs: list[str] = []
        files: list[str] = []
        links: set[str] = set()
        try:
            with os.scandir(top) as entries:
                for entry in entries:
                    if not _is_dir(entry):
                        files.append(entry.name)
                        continue
                    dirs.append(entry.name)
                    if _is_link(entry):
                        links.add(entry.name)
        except OSError as err:
            unreadable(err, diags)
            continue
        yield top, dirs, files  # the caller may take folders out of dirs, as with os.walk
        stack.extend(os.path.join(top, d) for d in reversed(dirs) if d not in links)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def unreadable(err: OSError, diags: Collector) -> None:
    """Report a folder that cannot be listed (RF002)."""
    diags.add("RF002", Path(err.filename or "."), 1, 1, f"cannot read folder: {err.strerror}")


def _missing_meeting_file(folder: Path, items: list[str], diags: Collector) -> None:
    diags.add(
        "RF004",
        folder / items[0],
        1,
        1,
        f"this folder has item files but no {MEETING_FILE}",
        f"add {MEETING_FILE} with at least 'body:' and 'date:' (referat new meeting does it)",
    )
