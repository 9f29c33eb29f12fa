"""Every HTML page: lang, one h1, headings in order, a nav to every item, no requests."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parent / "cases"
PAGES = sorted(CASES.glob("*/expected/**/*.html"))


class Page(HTMLParser):
    """The facts about a page the checks need."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.headings: list[int] = []
        self.ids: set[str] = set()
        self.nav_links: list[str] = []
        self.tags: set[str] = set()
        self.resource_urls: list[str] = []
        self.links: list[str] = []
        self._in_nav = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.add(tag)
        if tag == "html":
            self.lang = values.get("lang")
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "nav":
            self._in_nav = True
        if tag == "a" and self._in_nav:
            self.nav_links.append(str(values.get("href")))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        for name in ("src", "srcset", "poster", "data"):
            if values.get(name):
                self.resource_urls.append(str(values[name]))
        if tag == "link":
            self.resource_urls.append(str(values.get("href")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_nav = False


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(CASES)))
def test_page_structure(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>\n")
    page = Page()
    page.feed(text)
    assert page.lang in ("da", "en")
    assert page.headings.count(1) == 1 and page.headings[0] == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}"
    if 'aria-labelledby="contents"' in text:  # a meeting page: its contents link every item
        assert page.nav_links, "the table of contents links every item"
        for link in page.nav_links:
            assert link.startswith("#") and link[1:] in page.ids
        assert page.nav_links == sorted(set(page.nav_links), key=page.nav_links.index)
    for link in page.links:
        target = link.partition("#")[0]
        if target and "://" not in target and not target.startswith("mailto:"):
            assert (path.parent / target).is_file() or "bilag/" in target, f"{link} in {path}"
    assert "script" not in page.tags and "img" not in page.tags and "iframe" not in page.tags
    assert page.resource_urls == [], "a page fetches nothing"
    assert "@media print" in text


def test_every_golden_build_has_pages() -> None:
    assert len(PAGES) >= 20
