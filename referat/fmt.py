"""Sources in canonical form: what ``referat fmt`` writes, and the checks that it means the same.

The canonical form of a source differs from what was written only in these ways (the
approval digest of ``referat lock`` is invariant under exactly these):

- YAML (``meeting.yaml``, item front matter) re-emitted by :mod:`referat.sources`: keys in
  field order, one style of quoting and indentation; a comment block at the top is kept;
- item sections in the configured order;
- exactly one blank line before and after every ATX heading outside fenced code, and each
  run of blank lines outside fenced code collapsed to one (a blank line holds only spaces
  and tabs; the one written is empty);
- CRLF line ends as LF; exactly one newline at the end of the file; no byte-order mark.

Everything else is kept byte for byte, trailing spaces included (two of them are a line
break). Where a change of blank lines would make a section render differently (a blank
line that ends an HTML block, blank lines inside indented code or at the end of a fence
the renderer sees unclosed), that change is left out for that section. A file whose
meaning fmt cannot be sure of — YAML it cannot read, unknown or repeated section
headings, text before the first section, comments it would drop — is refused, not
guessed at. Every result is checked: the formatted file must give the same front matter
values and the same rendered sections as the original, or it is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .config import Config, Language, SectionSpec, load_config
from .content import render
from .diagnostics import Collector, Diagnostic, has_errors
from .discover import MEETING_FILE, find_meetings
from .fields import ITEM_FIELDS, MEETING_FIELDS, Field, Mapping, Where, read_mapping
from .load import YamlFailed, compose, read_text, split_front_matter
from .model import Phase
from .parse import ATX_HEADING, closes_fence, fence_opened, split_body
from .sources import dump_yaml
from .validate import config_for, read_item
from .yamllib import yaml

#: Diagnostics that make a file impossible to format safely: fmt would have to guess.
REFUSING = frozenset(
    {
        "RF001",  # not UTF-8
        "RF002",  # unreadable
        "RF003",  # too large
        "RF101",  # invalid YAML
        "RF102",  # anchors and aliases
        "RF103",  # no front matter
        "RF104",  # front matter not closed
        "RF105",  # YAML not a mapping
        "RF108",  # a value of the wrong type: which type it should have is unclear
        "RF109",  # invalid date
        "RF110",  # invalid time: cannot be written "HH:MM"
        "RF113",  # a key twice: re-emitting would drop one
        "RF201",  # unknown section heading: its place in the order is unknown
        "RF202",  # a section twice
        "RF206",  # text before the first section
        "RF208",  # '## Bilag' in the body
        "RF209",  # level-1 heading
    }
)

_ITEM_NAME = re.compile(r"(\d+)-(.+)\.md")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_BLANK = re.compile(r"[ \t]*")
_COMMENT_LINE = re.compile(r"[ \t]*#.*")


@dataclass(frozen=True)
class Problem:
    """Why a file was not formatted: a diagnostic of the validator, or fmt's own reason."""

    path: Path
    """The file."""
    line: int
    """1-based line."""
    column: int
    """1-based column."""
    message: str
    """What stands in the way."""
    code: str | None = None
    """The diagnostic code, when the validator found the problem."""
    hint: str | None = None
    """What to do about it."""


@dataclass
class Result:
    """What formatting one file gives."""

    path: Path
    """The source file."""
    formatted: str | None = None
    """The canonical text; None when the file is refused."""
    changed: bool = False
    """Whether the canonical text differs from the file's bytes."""
    problems: list[Problem] = field(default_factory=list)
    """Why the file was refused (empty when it was formatted)."""


class Refused(Exception):
    """A file cannot be formatted safely; the problems say why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems[0].message if problems else "refused")
        self.problems = list(problems)


# ---------------------------------------------------------------------------------------
# Markdown: headings and blank lines


def _is_blank(line: str) -> bool:
    return _BLANK.fullmatch(line) is not None


def _lines(text: str) -> list[str]:
    """The lines of ``text``, without their "\\n"."""
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _heading_level(line: str) -> int | None:
    """The level of an ATX heading line (as :func:`referat.parse.split_body` reads them)."""
    if not line.lstrip(" ").startswith("#") or len(line) - len(line.lstrip(" ")) > 3:
        return None
    match = ATX_HEADING.fullmatch(line)
    return len(match[1]) if match else None


def _blocks(lines: Sequence[str]) -> Iterator[tuple[str, str]]:
    """Each line with what it is: ``fence`` (inside or delimiting fenced code), ``blank``,
    ``heading`` or ``text``, with the fence scan of :func:`referat.parse.split_body`."""
    fence: str | None = None
    for line in lines:
        if fence is not None:
            if closes_fence(line, fence):
                fence = None
            yield "fence", line
            continue
        fence = fence_opened(line)
        if fence is not None:
            yield "fence", line
        elif _is_blank(line):
            yield "blank", line
        elif _heading_level(line) is not None:
            yield "heading", line
        else:
            yield "text", line


def space_markdown(text: str, *, headings: bool = True, collapse: bool = True) -> str:
    """``text`` (LF line ends) with blank lines made canonical outside fenced code.

    ``headings``: exactly one blank line before and after each ATX heading;
    ``collapse``: each run of blank lines as one. Blank lines at the start and the end go.
    """
    out: list[str] = []
    pending: list[str] = []  # the blank lines since the last line written
    after_heading = False
    for kind, line in _blocks(_lines(text)):
        if kind == "blank":
            pending.append(line)
            continue
        if out:
            around_heading = headings and (kind == "heading" or after_heading)
            if around_heading or (collapse and len(pending) > 1):
                out.append("")
            else:
                out.extend(pending)
        pending = []
        out.append(line)
        after_heading = kind == "heading"
    return "\n".join(out) + "\n" if out else ""


def _rendered(markdown: str) -> tuple[str, str]:
    content = render(markdown)
    return content.html, content.markdown


def format_section(text: str, *, last: bool) -> str:
    """A section's text (what follows its heading line) in canonical form, or as close to
    it as keeps its rendering; ``last``: no heading follows it.

    The text is rendered with the blank lines around it, as the validator cuts it out.
    Adding blank lines next to a sub-heading can end an HTML block or make a list loose,
    collapsing blank lines changes indented code, and blank lines at the end belong to a
    fence that the renderer sees unclosed; where the result would render differently, the
    change at fault is left out for this section, down to keeping it as written.
    """
    wanted = _rendered(text)
    for options in (
        {"headings": True, "collapse": True},
        {"headings": True, "collapse": False},
        {"headings": False, "collapse": True},
        {"headings": False, "collapse": False},
    ):
        content = space_markdown(text, **options)
        candidate = ("\n" + content if content else "") + ("" if last else "\n")
        if _rendered(candidate) == wanted:
            return candidate
    return text if not text or text.endswith("\n") else text + "\n"


# ---------------------------------------------------------------------------------------
# YAML


def _top_comments(yaml_text: str) -> list[str]:
    """The comment lines before the first key (``# yaml-language-server: ...``), kept."""
    kept: list[str] = []
    for line in _lines(yaml_text):
        if _COMMENT_LINE.fullmatch(line):
            kept.append(line.strip())
        elif not _is_blank(line) and line.rstrip() != "---":
            break
    return kept


def _dropped_comment(yaml_text: str) -> tuple[int, int] | None:
    """Line and column (1-based, in ``yaml_text``) of a comment after the first key, if any."""
    covered: list[tuple[int, int]] = []  # where tokens stand: a '#' there is text
    first = len(yaml_text)  # where the first key (or value) starts
    try:
        for token in yaml.scan(yaml_text, Loader=yaml.SafeLoader):
            start, end = token.start_mark.index, token.end_mark.index
            if end > start:
                covered.append((start, end))
            if isinstance(token, yaml.ScalarToken):
                first = min(first, start)
    except yaml.YAMLError:
        return None  # reported by the validator as RF101
    covered.sort()
    spans = iter(covered)
    span = next(spans, None)
    for match in re.finditer(r"(?:^|(?<=[ \t]))#", yaml_text, re.MULTILINE):
        position = match.start()
        while span is not None and span[1] <= position:
            span = next(spans, None)
        if span is not None and span[0] <= position < span[1]:
            continue
        if position > first:
            line = yaml_text.count("\n", 0, position)
            column = position - (yaml_text.rfind("\n", 0, position) + 1)
            return line + 1, column + 1
    return None


def _construct(node: yaml.Node) -> object:
    return yaml.SafeLoader("").construct_object(node, deep=True)


def _yaml_data(node: yaml.Node | None, fields: Sequence[Field]) -> dict[str, object]:
    """The mapping as Python values that mean to YAML what they mean to the validator.

    The validator reads text fields as written, so they stay text ("title: 10:00" is not
    the number 600, nor "closed: yes" in a title the boolean); times become times.
    """
    if not isinstance(node, yaml.MappingNode):
        return {}
    by_key = {f.key: f for f in fields}
    data: dict[str, object] = {}
    for key_node, value_node in node.value:
        key = str(_construct(key_node))
        spec = by_key.get(key)
        data[key] = _construct(value_node) if spec is None else _value(value_node, spec)
    # Keys in field order, unknown ones last as written (as dump_yaml orders the top level).
    order = {f.key: i for i, f in enumerate(fields)}
    return dict(sorted(data.items(), key=lambda kv: order.get(kv[0], len(order))))


def _value(node: yaml.Node, spec: Field) -> object:
    if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
        if spec.kind == "time":
            match = _TIME.fullmatch(str(node.value).strip())
            if match:
                return dt.time(int(match[1]), int(match[2]))
        elif spec.kind in ("string", "choice", "regex"):
            return str(node.value)
    elif isinstance(node, yaml.SequenceNode) and spec.kind in ("strings", "list"):
        entries: list[object] = []
        for entry in node.value:
            if isinstance(entry, yaml.ScalarNode) and entry.tag != "tag:yaml.org,2002:null":
                entries.append(str(entry.value))
            elif spec.kind == "list" and isinstance(entry, yaml.MappingNode):
                entries.append(_yaml_data(entry, spec.items))
            else:
                entries.append(_construct(entry))
        return entries
    return _construct(node)


def _yaml_text(yaml_text: str, path: Path, line_offset: int, fields: Sequence[Field]) -> str:
    """The YAML re-emitted in canonical form; raises :class:`Refused` where it cannot be."""
    dropped = _dropped_comment(yaml_text)
    if dropped is not None:
        line, column = dropped
        raise Refused(
            [
                Problem(
                    path,
                    line + line_offset,
                    column,
                    "fmt would drop this YAML comment",
                    hint="move comments to the top, before the first key, or remove them "
                    "(a ' #' in a value starts a comment: quote such values)",
                )
            ]
        )
    try:
        node = compose(yaml_text, path, line_offset, Collector())
    except YamlFailed:  # pragma: no cover - refused before, as RF101 or RF102
        raise Refused([Problem(path, 1, 1, "invalid YAML")]) from None
    comments = _top_comments(yaml_text)
    return "".join(c + "\n" for c in comments) + dump_yaml(_yaml_data(node, fields), fields)


# ---------------------------------------------------------------------------------------
# Files


def _canonical_newlines(text: str) -> str:
    return text.replace("\r\n", "\n")


def _refuse_on(diagnostics: Sequence[Diagnostic]) -> None:
    blocking = [d for d in diagnostics if d.code in REFUSING]
    if blocking:
        raise Refused(
            [Problem(d.path, d.line, d.column, d.message, d.code, d.hint) for d in blocking]
        )


def format_meeting_text(text: str, path: Path) -> str:
    """The canonical text of a meeting.yaml holding ``text``; raises :class:`Refused`."""
    diags = Collector()
    text = _canonical_newlines(text.removeprefix("\ufeff"))
    try:
        node = compose(text, path, 0, diags)
    except YamlFailed:
        node = None
    else:
        read_mapping(node, MEETING_FIELDS, Where(path, 0, text), diags, what=MEETING_FILE)
    _refuse_on(diags.sorted())
    formatted = _yaml_text(text, path, 0, MEETING_FIELDS)
    if _front_meaning(formatted, path, MEETING_FIELDS) != _front_meaning(
        text, path, MEETING_FIELDS
    ):
        raise Refused([Problem(path, 1, 1, "fmt could not keep the meaning of this file")])
    return formatted


def format_item_text(text: str, path: Path, config: Config, specs: tuple[SectionSpec, ...]) -> str:
    """The canonical text of an item file holding ``text``; raises :class:`Refused`."""
    text = _canonical_newlines(text.removeprefix("\ufeff"))
    diags = Collector()
    split = split_front_matter(text, path, diags)
    if split.yaml_text is not None:
        try:
            node = compose(split.yaml_text, path, split.yaml_offset, diags)
        except YamlFailed:
            pass
        else:
            fields = ITEM_FIELDS if config.case_required else _CASE_OPTIONAL
            where = Where(path, split.yaml_offset, split.yaml_text)
            read_mapping(node, fields, where, diags, what="front matter")
    _refuse_on(diags.sorted())
    assert split.yaml_text is not None and split.body is not None  # else RF103 or RF104
    front = _yaml_text(split.yaml_text, path, split.yaml_offset, ITEM_FIELDS)
    sections = _sections(split.body, path, split.body_offset, specs)
    formatted = "---\n" + front + "---\n" + ("\n" if sections else "")
    for index, (_, heading_line, body) in enumerate(sections):
        last = index == len(sections) - 1
        formatted += heading_line + "\n" + format_section(body, last=last)
    if _item_meaning(formatted, path, specs) != _item_meaning(text, path, specs):
        raise Refused([Problem(path, 1, 1, "fmt could not keep the meaning of this file")])
    return formatted


def _sections(
    body: str, path: Path, offset: int, specs: tuple[SectionSpec, ...]
) -> list[tuple[int, str, str]]:
    """``(order, heading line, text)`` of each section, in configured order.

    Raises :class:`Refused` where the body's structure is unclear: text before the first
    section, a heading that names no configured section, a section twice. The validator
    says the same with more help (RF206, RF209, RF201, RF208, RF202); this is the backstop.
    """
    order = {s.heading.casefold(): i for i, s in enumerate(specs)}
    lines = _lines(body)
    parts = split_body(body, offset + 1)
    problems: list[Problem] = []
    if not parts[0].is_blank:
        problems.append(Problem(path, parts[0].line, 1, "text before the first section"))
    found: list[tuple[int, str, str]] = []
    for part in parts[1:]:
        heading = part.heading
        assert heading is not None
        index = order.get(heading.text.casefold()) if heading.level == 2 else None
        if index is None:
            message = f'"{"#" * heading.level} {heading.text}" is not a configured section'
            problems.append(Problem(path, heading.line, heading.column, message))
        elif any(index == other for other, _, _ in found):
            message = f'section "{heading.text}" appears twice'
            problems.append(Problem(path, heading.line, heading.column, message))
        else:
            found.append((index, lines[heading.line - offset - 1], part.text))
    if problems:
        raise Refused(problems)
    return sorted(found, key=lambda entry: entry[0])


_CASE_OPTIONAL = tuple(
    dataclasses.replace(f, required=False) if f.key == "case" else f for f in ITEM_FIELDS
)


def _plain(value: object) -> object:
    """Read values without their positions, for comparing meanings."""
    if isinstance(value, Mapping):
        return _plain(value.values)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, re.Pattern):
        return value.pattern
    return value


def _front_meaning(yaml_text: str | None, path: Path, fields: Sequence[Field]) -> object:
    if yaml_text is None:
        return None
    try:
        node = compose(yaml_text, path, 0, Collector())
    except YamlFailed:
        return None
    where = Where(path, 0, yaml_text)
    return _plain(read_mapping(node, tuple(fields), where, Collector(), what="").values)


def _item_meaning(text: str, path: Path, specs: tuple[SectionSpec, ...]) -> object:
    """Front matter values, and each section's key and rendering, in configured order."""
    split = split_front_matter(text, path, Collector())
    keys = {s.heading.casefold(): s.key for s in specs}
    order = {s.key: i for i, s in enumerate(specs)}
    sections = []
    for part in split_body(split.body or "", 1)[1:]:
        assert part.heading is not None
        key = keys.get(part.heading.text.casefold(), "#" + part.heading.text)
        sections.append((order.get(key, -1), key, _rendered(part.text)))
    return _front_meaning(split.yaml_text, path, ITEM_FIELDS), sorted(sections)


# ---------------------------------------------------------------------------------------
# Walking paths


@dataclass(frozen=True)
class Source:
    """One file fmt looks at, with what it needs to know of its meeting."""

    path: Path
    """The file."""
    kind: Literal["meeting", "item"]
    """Which kind of source it is."""
    config: Config
    """The configuration that applies."""
    language: Language = "da"
    """The meeting's language."""
    phase: Phase = "minutes"
    """The meeting's phase."""


class NotASource(Exception):
    """A path given is neither a source file nor a folder with meetings: a usage error."""


def sources(
    paths: Sequence[Path], config_file: Path | None = None
) -> tuple[list[Source], list[Problem]]:
    """The source files under ``paths``, and problems that keep some from being formatted."""
    diags = Collector()
    override = load_config(config_file, diags) if config_file else None
    configs: dict[Path, Config] = {}
    found: dict[Path, Source] = {}
    for path in paths:
        if path.is_file():
            folder = path.parent
            if path.name != MEETING_FILE and not _ITEM_NAME.fullmatch(path.name):
                raise NotASource(f"{path} is not a source file (meeting.yaml or NN-slug.md)")
            if not (folder / MEETING_FILE).is_file():
                raise NotASource(f"{path} is not in a meeting folder (no {MEETING_FILE} beside it)")
            meetings = [(folder, folder.name)]
        else:
            meetings = list(find_meetings(path, diags))
            if not meetings and not len(diags):
                raise NotASource(f"no meeting folder (a folder holding {MEETING_FILE}) in {path}")
        for folder, _ in meetings:
            config = override or config_for(folder, configs, diags)
            meeting = _meeting_source(folder, config)
            files = [path] if path.is_file() else _meeting_files(folder)
            for file in files:
                key = file.resolve()
                if file.name == MEETING_FILE:
                    found.setdefault(key, dataclasses.replace(meeting, path=file))
                else:
                    found.setdefault(key, dataclasses.replace(meeting, path=file, kind="item"))
    problems = [
        Problem(d.path, d.line, d.column, d.message, d.code, d.hint)
        for d in diags.sorted()
        if has_errors([d])
    ]
    return list(found.values()), problems


def _meeting_files(folder: Path) -> list[Path]:
    names = sorted(os.listdir(folder))
    return [folder / MEETING_FILE] + [
        folder / n for n in names if _ITEM_NAME.fullmatch(n) and (folder / n).is_file()
    ]


def _meeting_source(folder: Path, config: Config) -> Source:
    """The meeting's language and phase, from its meeting.yaml where it can be read."""
    path = folder / MEETING_FILE
    diags = Collector()
    text = read_text(path, diags)
    source = Source(path, "meeting", config, config.language)
    if text is None:
        return source
    try:
        node = compose(text, path, 0, diags)
    except YamlFailed:
        return source
    data = read_mapping(node, MEETING_FIELDS, Where(path, 0, text), diags, what=MEETING_FILE)
    chosen = data.get_str("language")
    return dataclasses.replace(
        source,
        language="en" if chosen == "en" else "da" if chosen == "da" else config.language,
        phase="agenda" if data.get_str("phase") == "agenda" else "minutes",
    )


# ---------------------------------------------------------------------------------------
# Formatting files


def format_source(source: Source) -> Result:
    """Format one file in memory; nothing is written."""
    result = Result(source.path)
    diags = Collector()
    text = read_text(source.path, diags)
    if text is None:
        result.problems = [
            Problem(d.path, d.line, d.column, d.message, d.code, d.hint) for d in diags.sorted()
        ]
        return result
    try:
        if source.kind == "meeting":
            formatted = format_meeting_text(text, source.path)
        else:
            # The validator's diagnostics say best what stands in the way (with hints).
            specs = source.config.sections_for(source.language)
            read_item(source.path, 1, source.config, specs, source.phase, diags)
            _refuse_on(diags.sorted())
            formatted = format_item_text(text, source.path, source.config, specs)
    except Refused as refused:
        result.problems = refused.problems
        return result
    result.formatted = formatted
    result.changed = source.path.read_bytes() != formatted.encode("utf-8")
    return result


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` in one step, keeping its mode (and a symlink's target)."""
    target = path.resolve() if path.is_symlink() else path
    mode = target.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass
class Report:
    """What ``referat fmt`` did, or with ``--check`` would do."""

    changed: list[Path] = field(default_factory=list)
    """Files rewritten (or, checking, that would be)."""
    unchanged: list[Path] = field(default_factory=list)
    """Files already in canonical form."""
    problems: list[Problem] = field(default_factory=list)
    """Why some files were refused or could not be written."""
    refused: list[Path] = field(default_factory=list)
    """Files left alone because of ``problems``."""


def run(
    paths: Sequence[Path],
    config_file: Path | None = None,
    *,
    check: bool = False,
) -> Report:
    """Format every source under ``paths``; with ``check``, write nothing.

    Raises :class:`NotASource` for a path that holds no sources.
    """
    files, problems = sources(paths, config_file)
    report = Report(problems=list(problems))
    config_problems = {p.path for p in problems}
    for source in files:
        if source.config.path in config_problems:
            # A broken referat.yaml leaves the section order unknown.
            report.refused.append(source.path)
            continue
        result = format_source(source)
        if result.formatted is None:
            report.refused.append(source.path)
            report.problems.extend(result.problems)
        elif result.changed:
            if not check:
                try:
                    write_atomically(source.path, result.formatted)
                except OSError as err:
                    report.refused.append(source.path)
                    report.problems.append(
                        Problem(source.path, 1, 1, f"cannot write: {err.strerror or err}")
                    )
                    continue
            report.changed.append(source.path)
        else:
            report.unchanged.append(source.path)
    return report
