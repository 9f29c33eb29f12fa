"""Approval locking: the digest of a meeting's normalised sources and attachments, and RF6xx.

An approved meeting carries ``digest: "sha256:<hex>"`` in its meeting.yaml, written by
``referat lock``. The digest is taken over a *manifest*: one hash per file of the meeting,
each over the file's meaning rather than its bytes (see :func:`manifest`), so that
``referat fmt`` may rewrite the sources without breaking the lock while any change of
wording, title, case number, list or attachment does break it. ``referat lock`` also
writes the manifest itself to ``.referat-lock`` beside meeting.yaml, so that a broken lock
can name the file that changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

from .diagnostics import Collector
from .discover import MEETING_FILE
from .load import YamlFailed, compose
from .model import Item, Meeting
from .parse import ATX_HEADING, closes_fence, fence_opened
from .yamllib import yaml

#: The manifest written by ``referat lock``, in ``sha256sum`` format; hidden, so that
#: validation does not report it as an unlisted file (RF403).
LOCK_FILE = ".referat-lock"
PREFIX = "sha256:"

_DIGEST = re.compile(r"sha256:([0-9a-fA-F]{64})")
_HINT = (
    "an approved referat must not change; if the change is itself approved, run referat lock again"
)


# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------


def normalise_markdown(markdown: str) -> str:
    """A section's Markdown with exactly the differences ``referat fmt`` may make removed.

    Line endings CRLF become LF. Outside fenced code, a line holding only spaces and tabs
    counts as blank; every run of blank lines that touches an ATX heading line is dropped,
    every other run becomes one empty line, and runs at the start and end are dropped.
    Inside fenced code every line is kept as it is. The result has no final newline.
    """
    out: list[str] = []
    blank_run = False  # blank lines seen outside code since the last kept line
    fence: str | None = None
    for line in markdown.replace("\r\n", "\n").split("\n"):
        if fence is not None:
            out.append(line)
            if closes_fence(line, fence):
                fence = None
            continue
        if not line.strip(" \t"):
            blank_run = True
            continue
        if blank_run and out and not _is_heading(line) and not _is_heading(out[-1]):
            out.append("")
        blank_run = False
        out.append(line)
        fence = fence_opened(line)
    return "\n".join(out)


def _is_heading(line: str) -> bool:
    return ATX_HEADING.fullmatch(line) is not None


def canonical_json(value: object) -> str:
    """``value`` as JSON with sorted keys, no spaces and non-ASCII characters as they are."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def meeting_record(meeting: Meeting) -> dict[str, object]:
    """What meeting.yaml says, as the model holds it; ``digest`` is left out."""
    return {
        "body": meeting.body,
        "date": meeting.date.isoformat(),
        "time": meeting.time.strftime("%H:%M") if meeting.time else None,
        "end": meeting.end.strftime("%H:%M") if meeting.end else None,
        "location": meeting.location,
        "participants": list(meeting.participants),
        "absent": list(meeting.absent),
        "phase": meeting.phase,
        "approved": meeting.approved.isoformat() if meeting.approved else None,
        "language": meeting.language,
    }


def item_record(item: Item) -> dict[str, object]:
    """What an item file says, as the model holds it, with each section's Markdown normalised."""
    return {
        "number": item.number,
        "title": item.title,
        "case": item.case,
        "closed": item.closed,
        "public_summary": item.public_summary,
        "addendum": item.addendum,
        "attachments": [
            {"title": a.title, "file": a.file, "public": a.public} for a in item.attachments
        ],
        "sections": [
            {"key": s.spec.key, "markdown": normalise_markdown(s.markdown)} for s in item.sections
        ],
    }


def _hash(data: bytes) -> str:
    return PREFIX + hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------
# Manifest and digest
# --------------------------------------------------------------------------------------


def manifest(meeting: Meeting) -> dict[str, str]:
    """``"sha256:<hex>"`` of every file of ``meeting`` by its POSIX path in the meeting folder.

    meeting.yaml and each item file are hashed as the canonical JSON of their records
    (:func:`meeting_record`, :func:`item_record`); each attachment file an item lists is
    hashed as raw bytes. Attachments that cannot be read safely (missing, outside the
    meeting folder, not a regular file: RF40x) are left out, and so are files no item
    lists. A source listed as an attachment keeps its normalised hash.
    """
    files: dict[str, str] = {}
    for rel, path in _attachment_files(meeting):
        try:
            with path.open("rb") as handle:
                files[rel] = PREFIX + hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            continue
    files[MEETING_FILE] = _hash(canonical_json(meeting_record(meeting)).encode("utf-8"))
    for item in meeting.items:
        files[item.path.name] = _hash(canonical_json(item_record(item)).encode("utf-8"))
    return dict(sorted(files.items()))


def _attachment_files(meeting: Meeting) -> Iterator[tuple[str, Path]]:
    """Relative POSIX path and full path of each listed attachment that stays in the folder."""
    root = meeting.path.resolve()
    for item in meeting.items:
        for attachment in item.attachments:
            file = attachment.file
            if file is None or "\\" in file or re.match(r"[A-Za-z]:", file):
                continue
            posix = PurePosixPath(file)
            if posix.is_absolute() or ".." in posix.parts:
                continue
            rel = os.path.normpath(file).replace(os.sep, "/")
            full = meeting.path / rel
            try:
                resolved = full.resolve()
            except OSError:
                continue
            if resolved.is_relative_to(root) and resolved.is_file():
                yield rel, full


def manifest_text(files: Mapping[str, str]) -> str:
    """The manifest as ``sha256sum`` prints it: ``<hex>  <path>`` per line, sorted by path.

    As in ``sha256sum``, a path holding a backslash, newline or carriage return is written
    with those escaped and the line starts with a backslash.
    """
    lines = []
    for path in sorted(files):
        hexdigest = files[path].removeprefix(PREFIX)
        escaped = path.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        lines.append(("\\" if escaped != path else "") + f"{hexdigest}  {escaped}\n")
    return "".join(lines)


def parse_manifest_text(text: str) -> dict[str, str] | None:
    """The manifest :func:`manifest_text` wrote, or None when ``text`` is not one."""
    files: dict[str, str] = {}
    for line in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
        escaped = line.startswith("\\")
        match = re.fullmatch(r"([0-9a-f]{64})  (.+)", line[1:] if escaped else line)
        if match is None:
            return None
        path = match[2]
        if escaped:
            path = re.sub(
                r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), path, flags=re.DOTALL
            )
        files[path] = PREFIX + match[1]
    return files


def digest(files: Mapping[str, str]) -> str:
    """``"sha256:<hex>"`` of the manifest text of ``files``: the value of ``digest:``."""
    return _hash(manifest_text(files).encode("utf-8"))


# --------------------------------------------------------------------------------------
# Validation: RF601, RF602, RF603
# --------------------------------------------------------------------------------------


def check_approval(meeting: Meeting, diags: Collector) -> None:
    """Report approved minutes without a digest, a digest without approval, and any change.

    When the digest does not match, the changed files are named by comparing the current
    manifest with ``.referat-lock``; when that file is missing or altered, the change is
    reported once, at the ``digest`` line of meeting.yaml.
    """
    if meeting.approved is None and meeting.digest is None:
        return
    meeting_path = meeting.path / MEETING_FILE
    lines = meeting.key_lines
    if meeting.digest is None:
        # A digest that is present but unusable is already an RF108.
        if "digest" not in lines:
            diags.add(
                "RF601",
                meeting_path,
                lines.get("approved", 1),
                1,
                f"the minutes were approved on {meeting.approved} but have no digest",
                "run referat lock on the meeting folder to write it",
            )
        return
    if meeting.approved is None:
        # An approval date that is present but unusable is already an RF109.
        if "approved" not in lines:
            diags.add(
                "RF603",
                meeting_path,
                lines.get("digest", 1),
                1,
                "the meeting has a digest but no approval date",
                "add 'approved: YYYY-MM-DD' with the day the minutes were approved, "
                "or remove 'digest'",
            )
        return
    line = lines.get("digest", 1)
    approved = meeting.approved.isoformat()
    if _DIGEST.fullmatch(meeting.digest) is None:
        diags.add(
            "RF602",
            meeting_path,
            line,
            1,
            f'digest "{meeting.digest}" is not "sha256:" and 64 hexadecimal digits, '
            "so the sources cannot be shown unchanged since the approval on " + approved,
            "referat lock writes the digest; do not edit it by hand",
        )
        return
    current = manifest(meeting)
    wanted = meeting.digest.lower()
    if digest(current) == wanted:
        return
    locked, problem = _read_lock(meeting.path / LOCK_FILE, wanted)
    changes = _changes(locked, current) if locked is not None else []
    if not changes:
        diags.add(
            "RF602",
            meeting_path,
            line,
            1,
            f"the sources changed after the minutes were approved on {approved}, but the "
            f"changed file cannot be named because {LOCK_FILE} {problem or 'lists none'}",
            _HINT,
        )
        return
    for rel, change in changes:
        path = meeting.path / rel
        if change == "removed" and path.exists():
            message = f'"{rel}" is no longer part of the minutes approved on {approved}'
        elif change == "removed":
            message = f'"{rel}" was removed after the minutes were approved on {approved}'
        elif change == "added":
            message = f'"{rel}" was added after the minutes were approved on {approved}'
        else:
            message = f'"{rel}" changed after the minutes were approved on {approved}'
        diags.add("RF602", path, 1, 1, message, _HINT)


def _read_lock(path: Path, wanted: str) -> tuple[dict[str, str] | None, str | None]:
    """The manifest in ``.referat-lock`` if ``wanted`` is its digest, else None and why not."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "is missing"
    except OSError as err:
        return None, f"cannot be read ({err.strerror or err})"
    if _hash(data) != wanted:
        return None, "has been altered"
    try:
        files = parse_manifest_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        files = None
    return files, None if files is not None else "is not a list of files"


def _changes(locked: Mapping[str, str], current: Mapping[str, str]) -> list[tuple[str, str]]:
    """Each path whose hash differs, by path: ``changed``, ``added`` or ``removed``."""
    out = []
    for rel in sorted(set(locked) | set(current)):
        before, after = locked.get(rel), current.get(rel)
        if before == after:
            continue
        out.append((rel, "added" if before is None else "removed" if after is None else "changed"))
    return out


# --------------------------------------------------------------------------------------
# Writing the digest into meeting.yaml
# --------------------------------------------------------------------------------------


class CannotEdit(Exception):
    """meeting.yaml cannot be edited safely; the message says why."""


def with_digest(text: str, value: str) -> str:
    """The text of a meeting.yaml with ``digest: "<value>"`` set and every other byte kept.

    An existing ``digest`` entry is replaced where it stands (a comment after it stays);
    otherwise the entry goes on a line of its own after the ``approved`` line, indented
    like it and with the file's line ending (in a flow mapping, after the ``approved``
    value). Raises :class:`CannotEdit` when there is no ``approved`` key to place it by, or
    when the result would read as anything but the same mapping with the new digest.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    node = _compose_mapping(body)
    entries = {str(k.value): (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    entry = f'digest: "{value}"'
    if "digest" in entries:
        key, old = entries["digest"]
        start, end = key.start_mark.index, old.end_mark.index
        # A block scalar's end takes in the line breaks after it; those stay.
        end = start + len(body[start:end].rstrip())
        new = body[:start] + entry + body[end:]
    elif "approved" in entries:
        key, approved = entries["approved"]
        at = approved.end_mark.index
        if node.flow_style:
            new = body[:at] + ", " + entry + body[at:]
        else:
            indent = " " * key.start_mark.column
            newline = body.find("\n", at)
            if newline < 0:
                eol = "\r\n" if "\r\n" in body else "\n"
                new = body + eol + indent + entry
            else:
                eol = "\r\n" if body[newline - 1 : newline] == "\r" else "\n"
                cut = newline + 1
                new = body[:cut] + indent + entry + eol + body[cut:]
    else:
        raise CannotEdit("meeting.yaml has no 'approved:' date")
    before = _load(body)
    before["digest"] = value
    if _load(new) != before:
        raise CannotEdit("meeting.yaml is written in a way referat cannot edit safely")
    return bom + new


def _compose_mapping(text: str) -> yaml.MappingNode:
    try:
        node = compose(text, Path(MEETING_FILE), 0, Collector())
    except YamlFailed:
        raise CannotEdit("meeting.yaml is not valid YAML") from None
    if not isinstance(node, yaml.MappingNode):
        raise CannotEdit("meeting.yaml is not a mapping")
    return node


def _load(text: str) -> dict[object, object]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise CannotEdit("meeting.yaml would not be valid YAML after the edit") from None
    if not isinstance(data, dict):
        raise CannotEdit("meeting.yaml is not a mapping")
    return data
