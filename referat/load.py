"""Reading source files: bytes to text, front matter split with line offsets, YAML to nodes."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Collector
from .fields import position
from .yamllib import yaml

#: sha256 digests of source files as read, by path.
Digests = dict[str, bytes]
#: Largest source file referat reads; real items are a few kilobytes.
MAX_SOURCE_BYTES = 1024 * 1024

_DELIMITER = re.compile(r"(---|\.\.\.)[ \t]*\r?$")


def _loader() -> type[yaml.SafeLoader]:
    """libyaml's loader, 7-9x faster; PyYAML wheels include it, source builds may not.
    (Looked up when used: PyYAML is imported on first use.)"""
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


class NotText(Exception):
    """Bytes that are not UTF-8 text: where the first problem is, and what to do."""

    def __init__(self, line: int, column: int, message: str, hint: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint


def decode_utf8(data: bytes) -> str:
    """``data`` as text; raises :class:`NotText` at an invalid byte or a NUL character."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        line_start = data.rfind(b"\n", 0, err.start) + 1
        column = len(data[line_start : err.start].decode("utf-8", errors="replace")) + 1
        raise NotText(
            line,
            column,
            f"byte 0x{data[err.start]:02x} at offset {err.start} is not valid UTF-8",
            "save the file as UTF-8",
        ) from None
    if "\x00" in text:
        at = text.index("\x00")
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        raise NotText(line, column, "file contains a NUL character", "save the file as UTF-8 text")
    return text


def read_text(path: Path, diags: Collector, digests: Digests | None = None) -> str | None:
    """The text of a UTF-8 source file, or None after reporting why it cannot be had.

    With ``digests``, the sha256 of the bytes read is put there under the path (as a
    string), for a build's content fingerprint: the bytes rendered, without reading again.
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            diags.add("RF002", path, 1, 1, "not a regular file", "sources are ordinary text files")
            return None
        data = _read_at_most(path, info.st_size, MAX_SOURCE_BYTES + 1)
    except OSError as err:
        diags.add("RF002", path, 1, 1, f"cannot read file: {err.strerror or err}")
        return None
    if len(data) > MAX_SOURCE_BYTES:
        diags.add(
            "RF003",
            path,
            1,
            1,
            f"file is larger than {MAX_SOURCE_BYTES // 1024} KiB",
            "split the item, or move long material into an attachment",
        )
        return None
    try:
        text = decode_utf8(data)
    except NotText as err:
        diags.add("RF001", path, err.line, err.column, err.message, err.hint)
        return None
    if digests is not None:
        digests[str(path)] = hashlib.sha256(data).digest()
    return text.removeprefix("\ufeff")


def _read_at_most(path: Path, size: int, limit: int) -> bytes:
    """Up to ``limit`` bytes of the file at ``path``, whose size was ``size`` when statted.

    One ``read`` of the expected size instead of a buffered file object asked for ``limit``
    bytes: that allocates (and gives back) a megabyte for every few-kilobyte item.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        data = b""
        want = min(size, limit - 1) + 1  # a byte more than expected: to see the end
        while want > 0:
            chunk = os.read(descriptor, want)
            data += chunk
            if len(chunk) < want:  # a short read of a regular file: its end
                break
            want = limit - len(data)  # the file grew since it was statted
        return data
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class Split:
    """An item file cut into its front matter and its body."""

    yaml_text: str | None
    """The YAML between the ``---`` lines; None when the file has no front matter."""
    yaml_offset: int
    """Lines in the file before the YAML text."""
    body: str | None
    """Everything after the closing ``---`` line; None when the front matter is not closed."""
    body_offset: int
    """Lines in the file before the body."""


def split_front_matter(text: str, path: Path, diags: Collector) -> Split:
    """Cut ``text`` at its ``---`` lines, reporting a missing or unclosed front matter."""
    # Lines end at "\n" only, as editors and the body scan count them (str.splitlines
    # would also break at U+2028 and other characters and shift every later line). The
    # lines are found one by one: only the front matter's are needed, not the body's.
    first_end = text.find("\n")
    if not text or text[: first_end + 1 if first_end >= 0 else len(text)].rstrip() != "---":
        diags.add(
            "RF103",
            path,
            1,
            1,
            "the file does not start with front matter",
            "start it with a line '---', then 'title: ...' and 'case: ...', then a line '---'",
        )
        return Split(None, 0, text, 0)
    start, index = first_end + 1, 1
    while first_end >= 0 and start < len(text):
        end = text.find("\n", start)
        if _DELIMITER.fullmatch(text, start, end if end >= 0 else len(text)):
            body = text[end + 1 :] if end >= 0 else ""
            return Split(text[first_end + 1 : start], 1, body, index + 1)
        if end < 0:
            break
        start, index = end + 1, index + 1
    diags.add(
        "RF104",
        path,
        1,
        1,
        "the front matter is not closed",
        "end it with a line holding only '---'",
    )
    return Split(None, 0, None, text.count("\n") + (0 if text.endswith("\n") else 1))


class YamlFailed(Exception):
    """The YAML could not be read; the reason has been reported."""


def compose(text: str, path: Path, line_offset: int, diags: Collector) -> yaml.Node | None:
    """The node tree of ``text`` (None if empty); raises :class:`YamlFailed` after reporting."""
    # Aliases are refused before composing: a few lines of them expand without bound
    # when walked. Only text holding '&' or '*' can have them, so most files skip the scan.
    if "&" in text or "*" in text:
        try:
            for event in yaml.parse(text, Loader=_loader()):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    mark = event.start_mark
                    line, column = position(text, mark.index if mark else 0, line_offset)
                    diags.add(
                        "RF102",
                        path,
                        line,
                        column,
                        "YAML anchors (&) and aliases (*) are not allowed",
                        "write the value out in full; quote text that starts with & or *",
                    )
                    raise YamlFailed
        except yaml.YAMLError as err:
            _report_yaml_error(err, text, path, line_offset, diags)
            raise YamlFailed from None
    try:
        return yaml.compose(text, Loader=_loader())
    except yaml.YAMLError as err:
        _report_yaml_error(err, text, path, line_offset, diags)
        raise YamlFailed from None
    except RecursionError:  # the pure-Python loader (no libyaml) on very deep nesting
        diags.add(
            "RF101",
            path,
            1 + line_offset,
            1,
            "invalid YAML: nested too deeply",
            "write the value out flat",
        )
        raise YamlFailed from None


def _report_yaml_error(
    err: yaml.YAMLError, text: str, path: Path, line_offset: int, diags: Collector
) -> None:
    line, column = 1 + line_offset, 1
    problem = str(err)
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        if mark is not None:
            line, column = position(text, min(mark.index, len(text)), line_offset)
        problem = err.problem or err.context or problem
    diags.add(
        "RF101",
        path,
        line,
        column,
        f"invalid YAML: {problem}",
        "check indentation, and quote values that hold ': ' or start with a special character",
    )
