"""Item bodies: a line scan for the ``#`` and ``##`` headings that divide them."""

from __future__ import annotations

import re
from typing import NamedTuple

#: CommonMark ATX headings: up to three spaces, 1-6 '#', then a space or the end of line;
#: an optional closing run of '#' is not part of the text. Group 1: the marks, 2: the text.
ATX_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")


def fence_opened(line: str) -> str | None:
    """The fence (three or more '`' or '~') that ``line`` opens, or None.

    These line rules (with :data:`ATX_HEADING` and :func:`closes_fence`) are the ones the
    section scan uses; ``fmt``, ``lock`` and ``import`` read lines by them too.
    """
    opened = _FENCE_OPEN.fullmatch(line)
    if opened is None or (opened[1][0] == "`" and "`" in opened[2]):
        return None
    return opened[1]


def closes_fence(line: str, fence: str) -> bool:
    """Whether ``line`` closes a code block opened by ``fence``."""
    stripped = line.strip()
    return (
        len(line) - len(line.lstrip(" ")) <= 3
        and len(stripped) >= len(fence)
        and set(stripped) == {fence[0]}
    )


class Heading(NamedTuple):
    """A level-1 or level-2 heading of an item body. (Named tuples, this and :class:`Part`:
    validation makes several of each per item, and a tuple is made in a fraction of the
    time a frozen dataclass takes.)"""

    level: int
    """1 or 2."""
    text: str
    """The heading's text, without the '#' marks."""
    line: int
    """1-based line in the file."""
    column: int
    """1-based column of the first '#'."""


class Part(NamedTuple):
    """A stretch of body text: before the first heading (``heading`` None) or under one."""

    heading: Heading | None
    """The heading the stretch follows."""
    text: str
    """Markdown of the stretch, without the heading line."""
    line: int
    """1-based line in the file where the text starts."""

    @property
    def is_blank(self) -> bool:
        """Whether the stretch holds only white space."""
        return not self.text.strip()


def split_body(body: str, first_line: int) -> list[Part]:
    """Cut ``body`` (whose first line is line ``first_line`` of its file) at ``#`` and ``##``.

    Fenced code is skipped, so a heading inside a code block does not count. The first
    part is the text before any heading; it is always present, possibly blank.
    """
    parts: list[Part] = []
    heading: Heading | None = None
    start = 0  # offset in body where the current part's text starts
    start_line = first_line
    fence: str | None = None
    line_no, counted = first_line, 0
    # Only lines that begin (after up to three spaces) with '#', '```' or '~~~' can matter,
    # so the scan jumps from one such line to the next instead of looking at every line.
    for begin in _candidates(body):
        line_no += body.count("\n", counted, begin)
        counted = begin
        stop = body.find("\n", begin)
        stop = len(body) if stop < 0 else stop + 1
        text = body[begin:stop].rstrip("\r\n")
        if fence is not None:
            if closes_fence(text, fence):
                fence = None
            continue
        indent = len(text) - len(text.lstrip(" "))
        if text[indent : indent + 1] != "#":  # then it starts with a fence's character
            if _FENCE_OPEN.fullmatch(text):
                fence = fence_opened(text)
            continue
        match = ATX_HEADING.fullmatch(text)
        if match is None or len(match[1]) > 2:
            continue
        parts.append(Part(heading, body[start:begin], start_line))
        column = indent + 1
        heading = Heading(len(match[1]), (match[2] or "").strip(), line_no, column)
        start, start_line = stop, line_no + 1
    parts.append(Part(heading, body[start:], start_line))
    return parts


def _candidates(body: str) -> list[int]:
    """Offsets of the lines that start, after at most three spaces, with '#', '```' or '~~~'.

    str.find runs at memory speed where a multi-line regular expression would try every
    position; this is most of what validating a large repository costs.
    """
    found: list[list[int]] = []
    for marker in ("#", "```", "~~~"):
        starts = []
        # From the first of its character: a one-character find runs at memory speed,
        # ten times faster than a find of three (most bodies have no fence at all).
        at = body.find(marker[0])
        at = body.find(marker, at) if at >= 0 and len(marker) > 1 else at
        while at >= 0:
            line = body.rfind("\n", 0, at) + 1
            if at == line or (at - line <= 3 and body[line:at].strip(" ") == ""):
                starts.append(line)
            end = body.find("\n", at)
            if end < 0:
                break
            at = body.find(marker, end)
        if starts:
            found.append(starts)
    # Each marker's lines come in order, once each; fences are rare.
    return found[0] if len(found) == 1 else sorted({at for starts in found for at in starts})
