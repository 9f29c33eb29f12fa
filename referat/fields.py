"""The keys of meeting.yaml, item front matter and referat.yaml, and reading YAML against them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .diagnostics import Collector, did_you_mean
from .yamllib import yaml

Kind = Literal["string", "bool", "date", "time", "strings", "choice", "regex", "list"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class Field:
    """One key a YAML mapping may hold, with its type; the validator reads these."""

    key: str
    """The key as written in YAML."""
    kind: Kind
    """What its value must be."""
    description: str
    """One line for the README and the JSON Schema."""
    required: bool = False
    """Whether the key must be present."""
    choices: tuple[str, ...] = ()
    """Allowed values, for ``choice``."""
    items: tuple[Field, ...] = ()
    """For ``list``: the keys of each entry that is a mapping."""
    scalar_item: str | None = None
    """For ``list``: the key a plain string entry stands for (``attachments: [Title]``)."""
    pattern: str | None = None
    """A regular expression a ``string`` value must match (used for the JSON Schema only)."""


ATTACHMENT_FIELDS = (
    Field("title", "string", "what the attachment is called", required=True),
    Field("file", "string", "path of the file, relative to the meeting folder"),
    Field("public", "bool", "false keeps the attachment out of the public edition"),
)

MEETING_FIELDS = (
    Field("body", "string", 'the body that meets, e.g. "Direktionen"', required=True),
    Field("date", "date", "meeting date, YYYY-MM-DD", required=True),
    Field("time", "time", 'start time, "HH:MM"'),
    Field("end", "time", 'end time, "HH:MM", after time'),
    Field("location", "string", 'where the meeting is held, e.g. "Teams"'),
    Field("participants", "strings", "who took part (Mødedeltagere)"),
    Field("absent", "strings", "who sent apologies (Afbud)"),
    Field(
        "phase", "choice", "agenda (before the meeting) or minutes", choices=("agenda", "minutes")
    ),
    Field("approved", "date", "the day the minutes were approved, YYYY-MM-DD"),
    Field("digest", "string", "sha256: digest of the approved sources, written by referat lock"),
    Field("language", "choice", "overrides the repository's language", choices=("da", "en")),
)

ITEM_FIELDS = (
    Field("title", "string", "the item's title", required=True),
    Field(
        "case", "string", "case number (sagsnummer), checked against case_pattern", required=True
    ),
    Field("closed", "bool", "closed item (lukket punkt)"),
    Field("public_summary", "string", "what the public edition says of a closed item"),
    Field("addendum", "bool", "item added after the agenda was sent out (tillægsdagsorden)"),
    Field(
        "attachments",
        "list",
        "attachments: a title, or {title, file, public}",
        items=ATTACHMENT_FIELDS,
        scalar_item="title",
    ),
)

SECTION_FIELDS = (
    Field(
        "key",
        "string",
        "identifier used in JSON output; 'decision' gets body and date",
        required=True,
    ),
    Field("heading", "string", "the ## heading that starts the section", required=True),
    Field("required", "bool", "whether open items must have it"),
    Field("phase", "choice", "minutes: only in minutes, and required there", choices=("minutes",)),
)

CONFIG_FIELDS = (
    Field(
        "language", "choice", "fixed words, date formats, default headings", choices=("da", "en")
    ),
    Field("case_pattern", "regex", "regular expression every case number must match"),
    Field("case_required", "bool", "false: items may have no case number"),
    Field(
        "numbering",
        "choice",
        "per-meeting, or continuous through a body's year",
        choices=("per-meeting", "continuous"),
    ),
    Field("sections", "list", "the section schema, in the required order", items=SECTION_FIELDS),
    Field("templates", "string", "folder of template overrides, relative to referat.yaml"),
)


@dataclass(frozen=True)
class Where:
    """A file and the line its YAML starts on, to turn YAML marks into 1-based positions."""

    path: Path
    line_offset: int
    """Number of lines in the file before the YAML text."""
    text: str
    """The YAML text, in which lines are counted as editors count them (:func:`position`)."""

    def at(self, node: yaml.Node) -> tuple[int, int]:
        """1-based line and column of ``node`` in the file."""
        return position(self.text, node.start_mark.index, self.line_offset)


def position(text: str, index: int, line_offset: int = 0) -> tuple[int, int]:
    """1-based line and column of character ``index`` of ``text``, lines ending at "\n" only.

    YAML also ends lines at a lone CR, U+0085, U+2028 and U+2029, so its own line numbers
    run ahead of what an editor shows after such a character; its character index does not.
    """
    start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1 + line_offset, index - start + 1


@dataclass
class Mapping:
    """A YAML mapping read against its fields: typed values and where each one stands."""

    values: dict[str, object] = field(default_factory=dict)
    """Values of the keys that were present and valid."""
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Line and column of each present key's value (valid or not)."""
    line: int = 1
    """Line of the mapping itself."""
    column: int = 1
    """Column of the mapping itself."""

    def pos(self, key: str) -> tuple[int, int]:
        """Where ``key``'s value stands, or the mapping itself when the key is absent."""
        return self.positions.get(key, (self.line, self.column))

    def get_str(self, key: str) -> str | None:
        """The string value of ``key``, if present and valid."""
        value = self.values.get(key)
        return value if isinstance(value, str) else None

    def get_bool(self, key: str, default: bool) -> bool:
        """The boolean value of ``key``, or ``default``."""
        value = self.values.get(key)
        return value if isinstance(value, bool) else default


def read_mapping(
    node: yaml.Node | None,
    fields: tuple[Field, ...],
    where: Where,
    diags: Collector,
    *,
    what: str,
) -> Mapping:
    """Read ``node`` as a mapping of ``fields``, reporting every problem; never raises."""
    if node is None:
        result = Mapping(line=1 + where.line_offset)
        _require(result, fields, where, diags, what)
        return result
    line, column = where.at(node)
    result = Mapping(line=line, column=column)
    if not isinstance(node, yaml.MappingNode):
        diags.add(
            "RF105",
            where.path,
            line,
            column,
            f"{what} must be a mapping of keys to values",
            "write one 'key: value' per line",
        )
        return result
    by_key = {f.key: f for f in fields}
    seen: set[str] = set()
    for key_node, value_node in node.value:
        kline, kcol = where.at(key_node)
        if not isinstance(key_node, yaml.ScalarNode):
            diags.add("RF108", where.path, kline, kcol, f"keys in {what} must be plain words")
            continue
        key = str(key_node.value)
        if key in seen:
            diags.add(
                "RF113",
                where.path,
                kline,
                kcol,
                f'key "{key}" appears twice in {what}',
                "keep one of them",
            )
            continue
        seen.add(key)
        spec = by_key.get(key)
        if spec is None:
            hint = did_you_mean(key, by_key) or "allowed keys: " + ", ".join(by_key)
            diags.add("RF107", where.path, kline, kcol, f'unknown key "{key}" in {what}', hint)
            continue
        result.positions[key] = where.at(value_node)
        value = _read_value(value_node, spec, where, diags, what)
        if value is not None:
            result.values[key] = value
    _require(result, fields, where, diags, what, present=seen)
    return result


def _require(
    result: Mapping,
    fields: tuple[Field, ...],
    where: Where,
    diags: Collector,
    what: str,
    present: set[str] | frozenset[str] = frozenset(),
) -> None:
    for spec in fields:
        if spec.required and spec.key not in present:
            diags.add(
                "RF106",
                where.path,
                result.line,
                result.column,
                f'{what} has no "{spec.key}"',
                f"add '{spec.key}: ...' ({spec.description})",
            )


def _scalar_text(node: yaml.Node) -> str | None:
    """The source text of a non-empty scalar, or None."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
        return None
    text = str(node.value).strip()
    return text or None


def _read_value(
    node: yaml.Node, spec: Field, where: Where, diags: Collector, what: str
) -> object | None:
    reader = _READERS[spec.kind]
    return reader(node, spec, where, diags, what)


def _wrong(node: yaml.Node, spec: Field, where: Where, diags: Collector, expected: str) -> None:
    line, col = where.at(node)
    hint = {
        "bool": f"write '{spec.key}: true' or '{spec.key}: false'",
        "strings": f"write one '- name' per line under '{spec.key}:'",
        "list": f"write one '- ...' entry per line under '{spec.key}:'",
    }.get(spec.kind, f"write '{spec.key}: ...' ({spec.description})")
    diags.add("RF108", where.path, line, col, f'"{spec.key}" must be {expected}', hint)


def _read_string(
    node: yaml.Node, spec: Field, where: Where, diags: Collector, what: str
) -> object | None:
    # Any scalar counts as text as written: "title: 2021" is the title "2021", not a number.
    text = _scalar_text(node)
    if text is None:
        _wrong(node, spec, where, diags, "a non-empty text")
    return text


def _read_bool(
    node: yaml.Node, spec: Field, where: Where, diags: Collector, what: str
) -> object | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
        return str(node.value).lower() in ("true", "yes", "on", "y")
    _wrong(node, spec, where, diags, "true or false")
    return None


def _read_date(
    node: yaml.Node, spec: Field, where: Where, diags: Collector, what: str
) -> object | None:
    text = _scalar_text(node)
    line, col = where.at(node)
    if text is None or not _DATE.fullmatch(text):
        diags.add(
            "RF109",
            where.path,
            line,
            col,
            f'"{spec.key}" must be a date written YYYY-MM-DD',
            f"for example '{spec.key}: 2021-03-01'",
        )
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        diags.add(
            "RF109",
            where.path,
            line,
            col,
            f'"{spec.key}": {text} is not a date ({err})',
            "check the day and the month",
        )
        return None


def _read_time(
    node: yaml.Node, spec: Field, where: Where, diags: Collector, what: str
) -> object | None:
    # The source text is read directly: unquoted 09:30 would be a base-60 number to YAML 1.1.
    text = _scalar_text(node)
    match = _TIME.fullmatch(text) if text else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        line, col = where.at(node)
        diags.add(
            "RF110",
            where.path,
            line,
            col,
            f'"{spec.key}" must be a time written "HH:MM"',
            f"for example '{spec.key}: \"09:30\"'",
        )
        return None
    return dt.time(int(match[1]), int(match[2]))


def _read_strings(
    node: yaml.Node, spec: Field, where: Where, diags: Collector, what: str
) -> object | None:
    if not isinstance(node, yaml.SequenceNode):
        _wrong(node, spec, where, diags, "a list of names, one '- name' per line")
        return None
    out: list[str] = []
    for entry in node.value:
        text = _scalar_text(entry)
        if text is None:
            _wrong(entry, spec, where, diags, "a list of non-empty texts")
        else:
            out.append(text)
    return tuple(out)


def _read_choice(
    node: yaml.Node, spec: Field, where: Where, diags: Collector, what: str
) -> object | None:
    text = _scalar_text(node)
    if text in spec.choices:
        return text
    line, col = where.at(node)
    shown = text if text is not None else "(empty)"
    hint = (did_you_mean(text, spec.choices) if text else None) or "use " + " or ".join(
        spec.choices
    )
    diags.add("RF114", where.path, line, col, f'"{spec.key}" cannot be "{shown}"', hint)
    return None


def _read_regex(
    node: yaml.Node, spec: Field, where: Where, diags: Collector, what: str
) -> object | None:
    text = _scalar_text(node)
    if text is None:
        _wrong(node, spec, where, diags, "a regular expression")
        return None
    try:
        return re.compile(text)
    except re.error as err:
        line, col = where.at(node)
        diags.add(
            "RF116",
            where.path,
            line,
            col,
            f'"{spec.key}" is not a valid regular expression: {err}',
            "quote it in single quotes, e.g. '^\\d{2}/\\d{1,6}$'",
        )
        return None


def _read_list(
    node: yaml.Node, spec: Field, where: Where, diags: Collector, what: str
) -> object | None:
    if not isinstance(node, yaml.SequenceNode):
        _wrong(node, spec, where, diags, "a list, one '- ...' entry per line")
        return None
    out: list[Mapping] = []
    for entry in node.value:
        if spec.scalar_item and isinstance(entry, yaml.ScalarNode):
            text = _scalar_text(entry)
            if text is None:
                _wrong(entry, spec, where, diags, "a list of titles or mappings")
                continue
            line, col = where.at(entry)
            out.append(
                Mapping({spec.scalar_item: text}, {spec.scalar_item: (line, col)}, line, col)
            )
        else:
            out.append(
                read_mapping(entry, spec.items, where, diags, what=f'an entry of "{spec.key}"')
            )
    return tuple(out)


_Reader = Callable[["yaml.Node", Field, Where, Collector, str], object | None]
_READERS: dict[str, _Reader] = {
    "string": _read_string,
    "bool": _read_bool,
    "date": _read_date,
    "time": _read_time,
    "strings": _read_strings,
    "choice": _read_choice,
    "regex": _read_regex,
    "list": _read_list,
}
