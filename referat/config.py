"""referat.yaml: where it is found, what it holds, and the defaults that match the seed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .diagnostics import Collector
from .fields import CONFIG_FIELDS, Mapping, Where, read_mapping
from .load import YamlFailed, compose, read_text

CONFIG_NAME = "referat.yaml"
DEFAULT_CASE_PATTERN = r"^\d{2}/\d{1,6}$"

Language = Literal["da", "en"]

_KEY = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class SectionSpec:
    """One section an item body may have."""

    key: str
    """Identifier in JSON output; the ``decision`` section gets body and date in its heading."""
    heading: str
    """The ``##`` heading that starts the section, matched without regard to case."""
    required: bool = False
    """Whether open items must have it (in minutes only, for ``phase: minutes``)."""
    minutes_only: bool = False
    """Whether the section belongs to minutes: forbidden in agendas."""


#: The default sections in each language, in the seed's order.
DEFAULT_SECTIONS: dict[Language, tuple[SectionSpec, ...]] = {
    "da": (
        SectionSpec("background", "Baggrund", required=True),
        SectionSpec("recommendation", "Indstilling"),
        SectionSpec("decision", "Beslutning", required=True, minutes_only=True),
        SectionSpec("presentation", "Sagsfremstilling"),
    ),
    "en": (
        SectionSpec("background", "Background", required=True),
        SectionSpec("recommendation", "Recommendation"),
        SectionSpec("decision", "Decision", required=True, minutes_only=True),
        SectionSpec("presentation", "Case presentation"),
    ),
}


@dataclass(frozen=True)
class Config:
    """The settings of a repository of minutes (SPEC section 4)."""

    path: Path | None = None
    """The referat.yaml these settings came from; None for the defaults."""
    language: Language = "da"
    """Language of fixed words, dates and default headings."""
    case_pattern: re.Pattern[str] = re.compile(DEFAULT_CASE_PATTERN)
    """Every case number must match this."""
    case_required: bool = True
    """Whether every item needs a case number."""
    numbering: Literal["per-meeting", "continuous"] = "per-meeting"
    """Whether each meeting numbers its items from 1."""
    sections: tuple[SectionSpec, ...] | None = None
    """The configured section schema; None for the defaults of the meeting's language."""
    templates: Path | None = None
    """Folder of template overrides."""

    def sections_for(self, language: Language) -> tuple[SectionSpec, ...]:
        """The section schema for a meeting in ``language``."""
        return self.sections if self.sections is not None else DEFAULT_SECTIONS[language]


def find_config(start: Path) -> Path | None:
    """The nearest referat.yaml at or above ``start`` (a folder or a file), looked for up to
    the root whatever the current folder (as :func:`referat.pipeline.config_file_for` does)."""
    folder = (start if start.is_dir() else start.parent).absolute()
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_NAME
        if path.is_file():
            return path
    return None


def load_config(path: Path, diags: Collector) -> Config:
    """Read ``path``; problems are reported and the defaults stand in for what is wrong."""
    text = read_text(path, diags)
    if text is None:
        return Config(path=path)
    where = Where(path, 0, text)
    try:
        node = compose(text, path, 0, diags)
    except YamlFailed:
        return Config(path=path)
    data = read_mapping(node, CONFIG_FIELDS, where, diags, what=CONFIG_NAME)
    language = data.get_str("language") or "da"
    pattern = data.values.get("case_pattern")
    numbering = data.get_str("numbering") or "per-meeting"
    templates = data.get_str("templates")
    if templates is not None and not (path.parent / templates).is_dir():
        line, col = data.pos("templates")
        diags.add(
            "RF116",
            path,
            line,
            col,
            f'templates folder "{templates}" does not exist',
            "give a folder relative to referat.yaml, or remove the key",
        )
        templates = None
    raw_sections = data.values.get("sections")
    sections = (
        _sections(raw_sections, path, diags, data) if isinstance(raw_sections, tuple) else None
    )
    return Config(
        path=path,
        language="en" if language == "en" else "da",
        case_pattern=pattern if isinstance(pattern, re.Pattern) else Config.case_pattern,
        case_required=data.get_bool("case_required", True),
        numbering="continuous" if numbering == "continuous" else "per-meeting",
        sections=sections,
        templates=(path.parent / templates) if templates else None,
    )


def templates_folder(path: Path, data: bytes | None = None) -> Path | None:
    """The ``templates:`` folder a referat.yaml names, if any. ``data``: its bytes, if read
    already. It is parsed only when its text mentions templates: the build and the watch
    of ``build --watch`` ask on every run, and most such files name none."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
    if b"templates" not in data:
        return None
    return load_config(path, Collector()).templates


def _sections(
    entries: Sequence[object], path: Path, diags: Collector, data: Mapping
) -> tuple[SectionSpec, ...] | None:
    specs: list[SectionSpec] = []
    keys: set[str] = set()
    headings: set[str] = set()
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        key, heading = entry.get_str("key"), entry.get_str("heading")
        if key is None or heading is None:
            continue
        if not _KEY.fullmatch(key):
            line, col = entry.pos("key")
            diags.add(
                "RF116",
                path,
                line,
                col,
                f'section key "{key}" is not an identifier',
                "use lower-case letters, digits and _ (e.g. decision)",
            )
        elif key in keys or heading.casefold() in headings:
            line, col = entry.pos("key")
            diags.add(
                "RF116",
                path,
                line,
                col,
                f'section "{key}" ({heading}) is configured twice',
                "give each section its own key and heading",
            )
        keys.add(key)
        headings.add(heading.casefold())
        minutes_only = entry.get_str("phase") == "minutes"
        specs.append(
            SectionSpec(
                key=key,
                heading=heading,
                required=entry.get_bool("required", minutes_only),
                minutes_only=minutes_only,
            )
        )
    if not specs:
        line, col = data.pos("sections")
        diags.add(
            "RF116",
            path,
            line,
            col,
            "the section list is empty",
            "list at least one section, or remove 'sections' to use the defaults",
        )
        return None
    return tuple(specs)
