"""The public edition never contains a closed item's content; the internal edition has all of it."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from referat.model import Item
from referat.validate import check

from .conftest import EXAMPLES, ROOT, invoke

SOURCES = [
    EXAMPLES,
    ROOT / "tests" / "cases" / "other-organisation" / "src",
]


def closed_items(source: Path) -> list[Item]:
    checked = check([source])
    return [item for m in checked.meetings for item in m.items if item.closed]


def secrets(item: Item) -> list[str]:
    """Phrases that only a closed item has: title, every line of text, attachment titles."""
    out = [item.title, *(a.title for a in item.attachments)]
    for section in item.sections:
        for line in section.markdown.splitlines():
            text = re.sub(r"^[\s#>*\-\d.]+", "", line).strip()
            if len(text) >= 12:
                out.append(text)
    return out


def published_text(out: Path) -> str:
    """Everything a build wrote, as text, with HTML and JSON escapes undone."""
    parts = []
    for path in sorted(out.rglob("*")):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            parts.append(text)
            parts.append(html.unescape(text))
            if path.suffix == ".json":
                parts.extend(json_strings(json.loads(text)))
    return "\n".join(parts)


def json_strings(value: object) -> list[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in json_strings(v)]
    return []


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_public_edition_has_nothing_of_closed_items(source: Path, tmp_path: Path) -> None:
    items = closed_items(source)
    assert items, "every source set here has a closed item"
    result = invoke("build", source, "-o", tmp_path / "out", "-f", "all")
    assert result.exit_code == 0, result.output
    text = published_text(tmp_path / "out")
    for item in items:
        for secret in secrets(item):
            assert secret not in text, f"closed content leaked: {secret!r}"
        # Its attachments are not copied either.
        for attachment in item.attachments:
            if attachment.file:
                assert not list((tmp_path / "out").rglob(Path(attachment.file).name))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_internal_edition_has_everything(source: Path, tmp_path: Path) -> None:
    items = closed_items(source)
    result = invoke("build", source, "-o", tmp_path / "out", "-f", "all", "--edition", "internal")
    assert result.exit_code == 0, result.output
    for index in (tmp_path / "out").rglob("index.html"):
        assert "Intern udgave" in index.read_text(encoding="utf-8") or "Internal edition" in (
            index.read_text(encoding="utf-8")
        )
    text = published_text(tmp_path / "out")
    for item in items:
        for secret in secrets(item):
            assert secret in text, f"internal edition lacks {secret!r}"


def test_non_public_attachment_only_internal(tmp_path: Path) -> None:
    source = ROOT / "tests" / "cases" / "other-organisation" / "src"
    invoke("build", source, "-o", tmp_path / "public")
    invoke("build", source, "-o", tmp_path / "internal", "--edition", "internal")
    meeting = "byraadet/2025-03-27/bilag"
    assert sorted(p.name for p in (tmp_path / "public" / meeting).iterdir()) == ["budgetnotat.pdf"]
    assert sorted(p.name for p in (tmp_path / "internal" / meeting).iterdir()) == [
        "budgetnotat.pdf",
        "koebstilbud.pdf",
        "loen.xlsx",
    ]
    public = (tmp_path / "public" / "byraadet/2025-03-27/index.html").read_text(encoding="utf-8")
    assert "lønoplysninger" not in public
    assert "Punkt 2: Lukket" in public
    assert "Byrådet godkendte et grundsalg." in public
