"""Writing sources in canonical form: meeting.yaml, item files and file-name slugs."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence

from .fields import ITEM_FIELDS, MEETING_FIELDS, Field
from .yamllib import yaml

_TRANSLITERATION = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def slugify(title: str, limit: int = 40) -> str:
    """A file-name slug: lower-case ASCII words joined by '-', æ/ø/å written ae/oe/aa."""
    text = unicodedata.normalize("NFKD", title.translate(_TRANSLITERATION))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", text)
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit and slug:
            break
        slug = candidate
    return slug[:limit] or "punkt"


def item_file_name(number: int, title: str) -> str:
    """``NN-slug.md`` for an item: the number zero-padded to two digits."""
    return f"{number:02d}-{slugify(title)}.md"


@functools.cache
def _dumper() -> type[yaml.SafeDumper]:
    """PyYAML's safe dumper in block style, keys in the order given, times and text quoted
    only where YAML needs it. (Made when first used: PyYAML is imported on first use.)"""

    class Dumper(yaml.SafeDumper):
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            # Lists under a key are indented ("key:\n  - a"), as people write them by hand.
            super().increase_indent(flow, False)

    Dumper.add_representer(dt.time, _represent_time)
    return Dumper


def _represent_time(dumper: yaml.SafeDumper, value: dt.time) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value.strftime("%H:%M"), style='"')


def dump_yaml(data: Mapping[str, object], fields: Sequence[Field]) -> str:
    """``data`` as YAML, keys in the order of ``fields`` (unknown keys last, as given)."""
    order = {f.key: i for i, f in enumerate(fields)}
    ordered = dict(sorted(data.items(), key=lambda kv: order.get(kv[0], len(order))))
    text = yaml.dump(
        ordered,
        Dumper=_dumper(),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
    return "" if text.strip() == "{}" else text


def meeting_text(data: Mapping[str, object]) -> str:
    """The text of a meeting.yaml holding ``data``."""
    return dump_yaml(data, MEETING_FIELDS)


def item_text(front: Mapping[str, object], sections: Sequence[tuple[str, str]]) -> str:
    """The text of an item file: front matter, then each ``(heading, markdown)`` as a section.

    Sections are separated by one blank line around each heading; the file ends in one
    newline. A section's Markdown is kept as it is, apart from blank lines at its ends.
    """
    parts = ["---\n" + dump_yaml(front, ITEM_FIELDS) + "---\n"]
    for heading, markdown in sections:
        body = markdown.strip("\n")
        parts.append(f"## {heading}\n" + (f"\n{body}\n" if body.strip() else ""))
    return "\n".join(parts)
