"""Checking sources and building the model: folders in, meetings and diagnostics out."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from .config import CONFIG_NAME, Config, SectionSpec, find_config, load_config
from .diagnostics import Collector, Diagnostic, did_you_mean
from .digest import check_approval
from .discover import (
    BUILD_MARKER,
    ITEM_NAME,
    MEETING_FILE,
    meetings_in,
    unreadable,
    visible,
)
from .fields import ITEM_FIELDS, MEETING_FIELDS, Mapping, Where, read_mapping
from .load import Digests, YamlFailed, compose, read_text, split_front_matter
from .model import Attachment, Item, Meeting, Phase, Section
from .parse import Heading, Part, split_body
from .yamllib import yaml

_SKIPPED_NAMES = frozenset({MEETING_FILE, CONFIG_NAME, "README.md"})
_ATTACHMENT_HEADINGS = frozenset({"bilag", "attachments"})


@dataclass
class Checked:
    """What checking some paths gives: the meetings that could be read and every diagnostic."""

    meetings: list[Meeting] = field(default_factory=list)
    """Meetings whose ``meeting.yaml`` could be read, by id."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Every problem found, sorted."""
    files: int = 0
    """How many source files were read."""


def check(paths: Sequence[Path], config_file: Path | None = None) -> Checked:
    """Read and check every meeting under ``paths`` (meeting folders, trees, files in meetings)."""
    diags = Collector()
    result = Checked()
    configs: dict[Path, Config] = {}
    override = load_config(config_file, diags) if config_file else None
    for folder, meeting_id in meetings_in(paths, diags):
        config = override or config_for(folder, configs, diags)
        meeting, files = read_meeting(folder, meeting_id, config, diags)
        result.files += files
        if meeting is not None:
            result.meetings.append(meeting)
    result.meetings.sort(key=lambda m: m.id)
    # Imported here: the summaries come from the renderer's document model.
    from .crosscheck import cross_check
    from .summary import for_checks

    diags.extend(cross_check([for_checks(m) for m in result.meetings]))
    result.diagnostics = diags.sorted()
    return result


def config_for(folder: Path, cache: dict[Path, Config], diags: Collector) -> Config:
    """The configuration of a meeting folder (the nearest referat.yaml), loaded once."""
    path = find_config(folder)
    if path is None:
        return Config()
    if path not in cache:
        cache[path] = load_config(path, diags)
    return cache[path]


def read_meeting(
    folder: Path,
    meeting_id: str,
    config: Config,
    diags: Collector,
    digests: Digests | None = None,
) -> tuple[Meeting | None, int]:
    """Read and check one meeting folder; the meeting is None when its meeting.yaml is unusable.

    With ``digests``, the digest of each source file read is recorded there (see read_text).
    """
    meeting_path = folder / MEETING_FILE
    data = _read_yaml_mapping(meeting_path, diags, digests)
    files = 1
    meeting = None
    if data is not None:
        meeting = _meeting(*data, meeting_path, meeting_id, folder, config, diags)
    phase: Phase = meeting.phase if meeting else "minutes"
    language = meeting.language if meeting else config.language
    specs = config.sections_for(language)

    item_files, other_files = _folder_files(folder, diags)
    items: list[Item] = []
    for number, path in item_files:
        files += 1
        item = read_item(path, number, config, specs, phase, diags, digests)
        if item is not None:
            items.append(item)
    _check_numbering(item_files, meeting_path, config, diags)
    _check_attachments(folder, items, other_files, diags)
    if meeting is None:
        return None, files
    meeting = replace(meeting, items=tuple(sorted(items, key=lambda i: i.number)))
    check_approval(meeting, diags)
    return meeting, files


def _read_yaml_mapping(
    path: Path, diags: Collector, digests: Digests | None = None
) -> tuple[yaml.Node | None, str] | None:
    """meeting.yaml's node (None when empty: its keys are then reported missing) and text;
    None when it cannot be read, after reporting why."""
    text = read_text(path, diags, digests)
    if text is None:
        return None
    try:
        return compose(text, path, 0, diags), text
    except YamlFailed:
        return None


def _meeting(
    node: yaml.Node | None,
    text: str,
    path: Path,
    meeting_id: str,
    folder: Path,
    config: Config,
    diags: Collector,
) -> Meeting | None:
    data = read_mapping(node, MEETING_FIELDS, Where(path, 0, text), diags, what=MEETING_FILE)
    body, date = data.get_str("body"), data.values.get("date")
    start, end = data.values.get("time"), data.values.get("end")
    if isinstance(start, dt.time) and isinstance(end, dt.time) and end <= start:
        line, col = data.pos("end")
        diags.add(
            "RF112",
            path,
            line,
            col,
            f"the meeting ends ({end:%H:%M}) before it starts ({start:%H:%M})",
            "check 'time' and 'end'",
        )
    if body is None or not isinstance(date, dt.date):
        return None
    approved = data.values.get("approved")
    return Meeting(
        id=meeting_id,
        path=folder,
        body=body,
        date=date,
        config=config,
        language="en"
        if data.get_str("language") == "en"
        else ("da" if data.get_str("language") == "da" else config.language),
        phase="agenda" if data.get_str("phase") == "agenda" else "minutes",
        time=start if isinstance(start, dt.time) else None,
        end=end if isinstance(end, dt.time) else None,
        location=data.get_str("location"),
        participants=_strings(data, "participants"),
        absent=_strings(data, "absent"),
        approved=approved if isinstance(approved, dt.date) else None,
        digest=data.get_str("digest"),
        key_lines={key: line for key, (line, _) in data.positions.items()},
    )


def _strings(data: Mapping, key: str) -> tuple[str, ...]:
    value = data.values.get(key)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, tuple) else ()


def _folder_files(folder: Path, diags: Collector) -> tuple[list[tuple[int, Path]], list[str]]:
    """Item files (number, path) by name, and the other files below the folder (relative POSIX)."""
    items: list[tuple[int, Path]] = []
    others: list[str] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as err:
        diags.add("RF002", folder, 1, 1, f"cannot read folder: {err.strerror}")
        return items, others
    for entry in entries:
        name = entry.name
        if name.startswith(".") or name in _SKIPPED_NAMES:
            continue
        if entry.is_dir(follow_symlinks=False):
            others.extend(_files_below(Path(entry.path), name, diags))
            continue
        if not name.lower().endswith(".md"):
            others.append(name)
            continue
        match = ITEM_NAME.fullmatch(name)
        if match is None:
            diags.add(
                "RF301",
                Path(entry.path),
                1,
                1,
                f'"{name}" is not named NN-slug.md',
                "name item files by number and a short name, e.g. 01-oevrige-sager.md",
            )
            continue
        items.append((int(match[1]), Path(entry.path)))
    items.sort(key=lambda pair: (pair[0], pair[1].name))
    return items, others


def _files_below(folder: Path, prefix: str, diags: Collector) -> list[str]:
    """Files in a subfolder of a meeting, skipping hidden ones, build output and nested meetings."""
    out: list[str] = []
    for top, dirs, files in os.walk(folder, onerror=lambda err: unreadable(err, diags)):
        if BUILD_MARKER in files or MEETING_FILE in files:
            dirs.clear()
            continue
        dirs[:] = visible(dirs)
        rel = PurePosixPath(prefix, Path(top).relative_to(folder).as_posix())
        out.extend(str(rel / f) for f in visible(files))
    return [os.path.normpath(p) for p in out]


def read_item(
    path: Path,
    number: int,
    config: Config,
    specs: tuple[SectionSpec, ...],
    phase: Phase,
    diags: Collector,
    digests: Digests | None = None,
) -> Item | None:
    """Read and check one item file; the item is None when its front matter is unusable."""
    text = read_text(path, diags, digests)
    if text is None:
        return None
    split = split_front_matter(text, path, diags)
    data: Mapping | None = None
    if split.yaml_text is not None:
        try:
            node = compose(split.yaml_text, path, split.yaml_offset, diags)
        except YamlFailed:
            node = None
        else:
            fields = ITEM_FIELDS if config.case_required else _CASE_OPTIONAL
            data = read_mapping(
                node,
                fields,
                Where(path, split.yaml_offset, split.yaml_text),
                diags,
                what="front matter",
            )
    closed = data.get_bool("closed", False) if data else False
    sections: tuple[Section, ...] = ()
    if split.body is not None:
        sections = _check_sections(
            split_body(split.body, split.body_offset + 1),
            specs,
            phase,
            closed,
            path,
            split.body_offset + 1,
            diags,
        )
    if data is None:
        return None
    title, case = data.get_str("title"), data.get_str("case")
    if case is not None and not config.case_pattern.fullmatch(case):
        line, col = data.pos("case")
        diags.add(
            "RF111",
            path,
            line,
            col,
            f'case number "{case}" does not match {config.case_pattern.pattern}',
            "write the case number as the case system shows it, e.g. 20/6598"
            if config.case_pattern.pattern == Config.case_pattern.pattern
            else "set case_pattern in referat.yaml if your case numbers look different",
        )
    summary = data.get_str("public_summary")
    if summary is not None and not closed:
        line, col = data.pos("public_summary")
        diags.add(
            "RF115",
            path,
            line,
            col,
            "public_summary is only for closed items",
            "add 'closed: true', or move the text into the body",
        )
    if title is None:
        return None
    return Item(
        number=number,
        path=path,
        title=title,
        case=case,
        closed=closed,
        public_summary=summary if closed else None,
        addendum=data.get_bool("addendum", False),
        sections=sections,
        attachments=_attachments(data),
        key_lines={key: line for key, (line, _) in data.positions.items()},
    )


_CASE_OPTIONAL = tuple(replace(f, required=False) if f.key == "case" else f for f in ITEM_FIELDS)


def _attachments(data: Mapping) -> tuple[Attachment, ...]:
    entries = data.values.get("attachments")
    if not isinstance(entries, tuple):
        return ()
    out = []
    for entry in entries:
        if isinstance(entry, Mapping) and (title := entry.get_str("title")) is not None:
            file = entry.get_str("file")
            line, column = entry.pos("file") if file is not None else (entry.line, entry.column)
            out.append(Attachment(title, file, entry.get_bool("public", True), line, column))
    return tuple(out)


def _check_sections(
    parts: list[Part],
    specs: tuple[SectionSpec, ...],
    phase: Phase,
    closed: bool,
    path: Path,
    body_line: int,
    diags: Collector,
) -> tuple[Section, ...]:
    lead = parts[0]
    if not lead.is_blank:
        offset = len(lead.text) - len(lead.text.lstrip())
        line = lead.line + lead.text.count("\n", 0, offset)
        diags.add(
            "RF206",
            path,
            line,
            1,
            "text before the first section",
            "put it under a section heading such as ## " + specs[0].heading,
        )
    by_heading = {s.heading.casefold(): s for s in specs}
    order = {s.key: i for i, s in enumerate(specs)}
    found: list[tuple[SectionSpec, Heading, Part]] = []
    for part in parts[1:]:
        heading = part.heading
        assert heading is not None
        if heading.level == 1:
            diags.add(
                "RF209",
                path,
                heading.line,
                heading.column,
                f'"# {heading.text}" is a level-1 heading',
                "the item's title comes from front matter; use ## for sections, ### inside them",
            )
            continue
        spec = by_heading.get(heading.text.casefold())
        if spec is None:
            _unknown_heading(heading, specs, path, diags)
            continue
        if any(s is spec for s, _, _ in found):
            diags.add(
                "RF202",
                path,
                heading.line,
                heading.column,
                f'section "{spec.heading}" appears twice',
                "merge the two into one section",
            )
            continue
        if spec.minutes_only and phase == "agenda":
            diags.add(
                "RF207",
                path,
                heading.line,
                heading.column,
                f'section "{spec.heading}" belongs in minutes, and this meeting is an agenda',
                "remove it, or set 'phase: minutes' in meeting.yaml once the meeting has been held",
            )
            continue
        if part.is_blank:
            diags.add(
                "RF205",
                path,
                heading.line,
                heading.column,
                f'section "{spec.heading}" is empty',
                "write its text, or remove the heading",
            )
        found.append((spec, heading, part))
    for index, (spec, heading, _) in enumerate(found):
        earlier = [s for s, _, _ in found[index + 1 :] if order[s.key] < order[spec.key]]
        if earlier:
            before = max(earlier, key=lambda s: order[s.key])
            diags.add(
                "RF203",
                path,
                heading.line,
                heading.column,
                f'section "{spec.heading}" must come after "{before.heading}"',
                "sections go in this order: " + ", ".join(s.heading for s in specs),
            )
    present = {s.key for s, _, _ in found}
    if not closed:
        for spec in specs:
            needed = spec.required and (phase == "minutes" or not spec.minutes_only)
            if needed and spec.key not in present:
                diags.add(
                    "RF204",
                    path,
                    body_line,
                    1,
                    f'required section "{spec.heading}" is missing',
                    f'add a "## {spec.heading}" section',
                )
    found.sort(key=lambda entry: order[entry[0].key])
    return tuple(Section(spec, part.text, heading.line) for spec, heading, part in found)


def _unknown_heading(
    heading: Heading, specs: tuple[SectionSpec, ...], path: Path, diags: Collector
) -> None:
    text = heading.text
    folded = text.casefold().strip("*_ :")
    if folded in _ATTACHMENT_HEADINGS:
        diags.add(
            "RF208",
            path,
            heading.line,
            heading.column,
            f'"## {text}" section in the body',
            "list attachments under 'attachments:' in the front matter; referat writes the section",
        )
        return
    prefix = next((s for s in specs if folded.startswith(s.heading.casefold() + " ")), None)
    if prefix is not None:
        hint = f'write "## {prefix.heading}"; the body and date are added when rendering'
    else:
        hint = did_you_mean(folded, [s.heading for s in specs]) or (
            "sections are: " + ", ".join(s.heading for s in specs) + "; use ### for sub-headings"
        )
    diags.add("RF201", path, heading.line, heading.column, f'unknown section "## {text}"', hint)


def _check_numbering(
    item_files: list[tuple[int, Path]], meeting_path: Path, config: Config, diags: Collector
) -> None:
    if not item_files:
        diags.add(
            "RF304",
            meeting_path,
            1,
            1,
            "the meeting has no items",
            "add item files named NN-slug.md (referat new item does it)",
        )
        return
    previous: tuple[int, Path] | None = None
    for number, path in item_files:
        if previous is not None and number == previous[0]:
            diags.add(
                "RF302",
                path,
                1,
                1,
                f"item number {number} is also used by {previous[1].name}",
                "give every item its own number",
            )
        elif previous is not None and number != previous[0] + 1:
            diags.add(
                "RF303",
                path,
                1,
                1,
                f"item {number} follows item {previous[0]}: number {previous[0] + 1} is missing",
                "renumber the files so the numbers run without gaps",
            )
        elif previous is None and number != 1 and config.numbering == "per-meeting":
            diags.add(
                "RF303",
                path,
                1,
                1,
                f"the first item is number {number}, not 1",
                "number items from 1, or set 'numbering: continuous' in referat.yaml",
            )
        previous = (number, path)


def _check_attachments(
    folder: Path, items: list[Item], other_files: list[str], diags: Collector
) -> None:
    # Resolved only when an item lists a file (most meetings list none).
    root = folder.resolve() if any(a.file for i in items for a in i.attachments) else folder
    listed: set[str] = set()
    published: dict[str, str] = {}
    for item in items:
        for attachment in item.attachments:
            if attachment.file is None:
                continue
            # Listed even when it cannot be used: RF403 would repeat the RF40x already given.
            listed.add(os.path.normpath(attachment.file))
            where = (item.path, attachment.line, attachment.column)
            rel = _attachment_problem(folder, root, attachment.file, where, other_files, diags)
            if rel is None:
                continue
            listed.add(rel)
            target = Attachment(attachment.title, rel).published_path or rel
            if published.setdefault(target, rel) != rel:
                diags.add(
                    "RF405",
                    *where,
                    f'"{rel}" and "{published[target]}" would both be published as {target}',
                    "keep attachments in the bilag/ folder",
                )
    for rel in other_files:
        if rel not in listed:
            diags.add(
                "RF403",
                folder / rel,
                1,
                1,
                "no item lists this file",
                "list it under 'attachments:' in an item, or remove it",
            )


def _attachment_problem(
    folder: Path,
    root: Path,
    file: str,
    where: tuple[Path, int, int],
    other_files: list[str],
    diags: Collector,
) -> str | None:
    """The normalised relative path of an attachment, or None after reporting what is wrong."""
    posix = PurePosixPath(file)
    if posix.is_absolute() or file.startswith("\\") or re.match(r"[A-Za-z]:", file):
        diags.add(
            "RF402",
            *where,
            f'attachment "{file}" is an absolute path',
            "give the path relative to the meeting folder, e.g. bilag/notat.pdf",
        )
        return None
    if ".." in posix.parts:
        diags.add(
            "RF402",
            *where,
            f'attachment "{file}" leaves the meeting folder',
            "keep attachments inside the meeting folder",
        )
        return None
    rel = os.path.normpath(file)
    full = folder / rel
    try:
        exists = full.exists() or full.is_symlink()
        resolved = full.resolve() if exists else full
    except (OSError, RuntimeError) as err:  # a name too long, a loop of links
        why = err.strerror if isinstance(err, OSError) and err.strerror else "a loop of links"
        diags.add(
            "RF401",
            *where,
            f'attachment "{file}" cannot be read ({why})',
            "list an ordinary file in the meeting folder",
        )
        return None
    if not exists:
        hint = did_you_mean(rel, other_files) or "check the file name and folder"
        diags.add("RF401", *where, f'attachment "{file}" does not exist', hint)
        return None
    if not resolved.is_relative_to(root):
        diags.add(
            "RF402",
            *where,
            f'attachment "{file}" is a link that leaves the meeting folder',
            "copy the file into the meeting folder",
        )
        return None
    if not resolved.is_file():
        diags.add(
            "RF404",
            *where,
            f'attachment "{file}" is not a regular file',
            "list files, not folders or devices",
        )
        return None
    return rel
