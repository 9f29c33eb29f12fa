"""JSON Schemas (draft 2020-12) for meeting.yaml, item front matter and referat.yaml.

They are generated from the field definitions in :mod:`referat.fields` — the ones the
validator reads — so a key added there appears here without anything kept by hand.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from . import fields
from .config import Config
from .fields import Field

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "https://github.com/referat-dk/referat/schema/"

SchemaName = Literal["meeting", "item", "config"]
KINDS: tuple[SchemaName, ...] = ("meeting", "item", "config")

#: ``HH:MM`` with the range the validator accepts (00:00 to 23:59; one-digit hours too).
TIME_PATTERN = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

_TITLES: dict[SchemaName, tuple[str, str]] = {
    "meeting": (
        "referat meeting.yaml",
        "One meeting of one body: meeting.yaml in a meeting folder.",
    ),
    "item": ("referat item front matter", "The YAML front matter of an item file (NN-slug.md)."),
    "config": ("referat.yaml", "Configuration of a repository of minutes (referat.yaml)."),
}

#: What the validator counts as text: any scalar, read as written ("title: 2021" is the
#: title "2021"), that is not blank. Defined once in each schema and referred to.
_TEXT_DEF: dict[str, Any] = {
    "description": "text: any scalar that is not blank, read as written",
    "type": ["string", "number", "boolean"],
    "minLength": 1,
    "pattern": r"\S",
}
_TEXT = {"$ref": "#/$defs/text"}


def field_schema(spec: Field) -> dict[str, Any]:
    """The JSON Schema of one field's value."""
    out: dict[str, Any] = {"description": spec.description}
    if spec.kind == "string":
        if spec.pattern is None:
            out.update(_TEXT)
        else:
            # A pattern is for text only: numbers cannot match it, so they are not allowed.
            out.update(type="string", pattern=spec.pattern)
    elif spec.kind == "bool":
        out["type"] = "boolean"
    elif spec.kind == "date":
        out.update(type="string", format="date", pattern=DATE_PATTERN)
    elif spec.kind == "time":
        out.update(type="string", pattern=TIME_PATTERN)
    elif spec.kind == "strings":
        out.update(type="array", items=dict(_TEXT))
    elif spec.kind == "choice":
        out.update(type="string", enum=list(spec.choices))
    elif spec.kind == "regex":
        out.update(type="string", format="regex", minLength=1)
    elif spec.kind == "list":
        entry = object_schema(spec.items)
        if spec.scalar_item is not None:
            scalar = {**_TEXT, "description": f"the {spec.scalar_item} alone"}
            entry = {"oneOf": [scalar, entry]}
        out.update(type="array", items=entry)
    else:  # pragma: no cover - every Kind is handled above
        raise ValueError(f"no JSON Schema for field kind {spec.kind!r}")
    return out


def object_schema(specs: Sequence[Field]) -> dict[str, Any]:
    """A mapping holding ``specs``: their keys and no others, the required ones required."""
    out: dict[str, Any] = {
        "type": "object",
        "properties": {spec.key: field_schema(spec) for spec in specs},
        "additionalProperties": False,
    }
    required = [spec.key for spec in specs if spec.required]
    if required:
        out["required"] = required
    return out


def schema(kind: SchemaName, config: Config | None = None) -> dict[str, Any]:
    """The JSON Schema of ``kind``; with ``config``, item case numbers follow its settings."""
    specs = {
        "meeting": fields.MEETING_FIELDS,
        "item": fields.ITEM_FIELDS,
        "config": fields.CONFIG_FIELDS,
    }[kind]
    body = object_schema(specs)
    if kind == "item" and config is not None:
        case = body["properties"]["case"]
        # The validator matches the whole case number; a JSON Schema pattern searches.
        case.pop("$ref", None)
        case.update(type="string", pattern=f"^(?:{config.case_pattern.pattern})$")
        if not config.case_required:
            body["required"] = [key for key in body["required"] if key != "case"]
    title, description = _TITLES[kind]
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"{ID_BASE}{kind}.json",
        "title": title,
        "description": description,
        **body,
        "$defs": {"text": _TEXT_DEF},
    }


def schemas(config: Config | None = None) -> dict[str, dict[str, Any]]:
    """Every schema by kind: ``{"meeting": ..., "item": ..., "config": ...}``."""
    return {kind: schema(kind, config) for kind in KINDS}


def dumps(data: object) -> str:
    """JSON as ``referat schema`` prints it: indented, keys in a fixed order, one final newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
