"""Section Markdown to safe HTML and safe Markdown: parse once, neutralise, render twice."""

from __future__ import annotations

import functools
import html
import re
from typing import Any, cast
from urllib.parse import unquote

import mistune
from mistune.core import BlockState
from mistune.plugins import import_plugin
from mistune.plugins.formatting import render_strikethrough
from mistune.plugins.table import (
    render_table,
    render_table_body,
    render_table_cell,
    render_table_head,
    render_table_row,
)
from mistune.renderers.markdown import MarkdownRenderer

from .plain import PLACEHOLDER, SECTION_LEVEL, blocks, plain

Token = dict[str, Any]

#: Link schemes that cannot run code; any other scheme makes a link plain text.
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202f\ufeff]+")

#: Whether plain paragraphs skip mistune: a section of only plain paragraphs is not parsed
#: at all (:func:`referat.plain.plain` writes the same HTML and Markdown directly), and in
#: other sections mistune sees a placeholder for each long plain paragraph
#: (:func:`referat.plain.blocks`). Read when a section is first rendered; set it to False to
#: always parse the whole source, e.g. to compare or to benchmark the mistune path.
FAST_PATH = True


def is_safe_url(url: str) -> bool:
    """Whether a link may point at ``url``: a relative URL or one of :data:`SAFE_SCHEMES`."""
    # Browsers drop control characters and white space inside a scheme ("java\tscript:")
    # and decode entities in attributes, so the check looks at what the browser will see;
    # percent-escapes are decoded too, as mistune writes a tab as %09.
    seen = _INVISIBLE.sub("", unquote(html.unescape(url))).lower()
    match = _SCHEME.match(seen)
    return match is None or match[1] in SAFE_SCHEMES


class Rendered:
    """One section's content: parsed and neutralised once when first needed, then written
    as HTML or Markdown on demand; plain paragraphs are written without parsing."""

    def __init__(self, markdown: str) -> None:
        self._source = markdown

    @functools.cached_property
    def _plain(self) -> tuple[str, str] | None:
        return plain(self._source) if FAST_PATH else None

    @functools.cached_property
    def _tree(self) -> tuple[list[Token], BlockState]:
        split = blocks(self._source) if FAST_PATH else None
        parsed = _parse_with_blocks(*split) if split is not None else None
        tokens, state = parsed if parsed is not None else _PARSER.parse(self._source)
        safe = _neutralise(cast(list[Token], tokens))
        state.env["ref_links"] = {}  # links are written inline; definitions would repeat raw URLs
        return safe, state

    @functools.cached_property
    def html(self) -> str:
        """HTML fragment, safe to insert into a page."""
        if self._plain is not None:
            return self._plain[0]
        return _HTML(*self._tree).rstrip("\n")

    @functools.cached_property
    def markdown(self) -> str:
        """Markdown, safe to publish: raw HTML escaped, unsafe links made text."""
        if self._plain is not None:
            return self._plain[1]
        return _MARKDOWN(*self._tree).strip("\n")


def _parse_with_blocks(
    source: str, found: list[tuple[str, str]]
) -> tuple[list[Token], BlockState] | None:
    """Parse ``source`` with placeholders from :func:`referat.plain.blocks`, and put each
    placeholder's rendering in its place; None unless every placeholder is a paragraph of its
    own at the top level of the document, exactly once (then the original source parses to
    the same tree, with plain paragraphs where the placeholders are)."""
    parsed, state = _PARSER.parse(source)
    tokens = cast(list[Token], parsed)
    wanted = {PLACEHOLDER + str(number): rendering for number, rendering in enumerate(found)}
    for index, token in enumerate(tokens):
        if token["type"] != "paragraph":
            continue
        children = token["children"]
        if len(children) != 1 or children[0]["type"] != "text":
            continue
        rendering = wanted.pop(children[0]["raw"], None)
        if rendering is not None:
            tokens[index] = {"type": "plain_paragraph", "raw": rendering[0], "md": rendering[1]}
    if wanted:  # inside a fence, an HTML block, a list item, ...: parse the source itself
        return None
    return tokens, state


class _HtmlRenderer(mistune.HTMLRenderer):
    def __init__(self) -> None:
        super().__init__(escape=True)
        self.register("table", render_table)
        self.register("table_head", render_table_head)
        self.register("table_body", render_table_body)
        self.register("table_row", render_table_row)
        self.register("table_cell", render_table_cell)
        self.register("strikethrough", render_strikethrough)

    def plain_paragraph(self, html: str) -> str:
        """A paragraph :func:`referat.plain.blocks` rendered, as :meth:`paragraph` ends one."""
        return html + "\n"


class _MarkdownRenderer(MarkdownRenderer):
    def plain_paragraph(self, token: Token, state: BlockState) -> str:
        """A paragraph :func:`referat.plain.blocks` rendered, as :meth:`paragraph` ends one."""
        return cast(str, token["md"]) + "\n\n"

    def text(self, token: Token, state: BlockState) -> str:
        # "<" written as an entity can never start a tag, whatever a later renderer does;
        # a backslash escape can be swallowed by an autolinked URL just before it.
        return super().text(token, state).replace("\\<", "&lt;")

    def table(self, token: Token, state: BlockState) -> str:
        rows: list[list[str]] = []
        aligns: list[str | None] = []
        for part in token["children"]:
            part_rows = [part] if part["type"] == "table_head" else part["children"]
            for row in part_rows:
                cells = row["children"]
                rows.append([self._cell(cell, state) for cell in cells])
                if part["type"] == "table_head":
                    aligns = [cell["attrs"].get("align") for cell in cells]
        rule = {"left": ":---", "center": ":---:", "right": "---:"}
        lines = ["| " + " | ".join(row) + " |" for row in rows]
        lines.insert(1, "| " + " | ".join(rule.get(a or "", "---") for a in aligns) + " |")
        return "\n".join(lines) + "\n\n"

    def _cell(self, cell: Token, state: BlockState) -> str:
        return self.render_children(cell, state).replace("|", "\\|").replace("\n", " ")


_PARSER = mistune.Markdown(
    renderer=None,
    plugins=[import_plugin(name) for name in ("table", "strikethrough", "url")],
)
_HTML = _HtmlRenderer()
_MARKDOWN = _MarkdownRenderer()


def render(markdown: str) -> Rendered:
    """Render one section's Markdown; sub-headings are placed below the section heading."""
    return Rendered(markdown)


def _neutralise(tokens: list[Token]) -> list[Token]:
    """Make raw HTML text, unsafe links text, images links, and fit heading levels.

    Walks the tree with an explicit stack, so deep nesting cannot exhaust the recursion limit.
    """
    last_level = SECTION_LEVEL
    stack: list[tuple[list[Token], bool]] = [(tokens, False)]
    while stack:
        siblings, in_link = stack.pop()
        index = 0
        while index < len(siblings):
            token = siblings[index]
            kind = token["type"]
            if kind == "block_html":
                siblings[index] = {
                    "type": "paragraph",
                    "children": [{"type": "text", "raw": token["raw"].strip("\n")}],
                }
            elif kind == "inline_html":
                siblings[index] = {"type": "text", "raw": token["raw"]}
            elif kind in ("link", "image"):
                url = token["attrs"]["url"]
                token.pop("label", None)
                if kind == "image" or in_link or not is_safe_url(url):
                    # An image would be an external request; a link inside a link is
                    # invalid HTML; an unsafe URL must not be clickable.
                    children = token.get("children", [])
                    if kind == "image" and not in_link and is_safe_url(url):
                        siblings[index] = {
                            "type": "link",
                            "children": children,
                            "attrs": {"url": url},
                        }
                        stack.append((children, True))
                        index += 1
                        continue
                    siblings[index : index + 1] = children
                    continue
            elif kind == "heading":
                wanted = max(token["attrs"]["level"], SECTION_LEVEL) + 1
                level = min(wanted, last_level + 1, 6)
                token["attrs"]["level"] = last_level = level
            children = siblings[index].get("children")
            if isinstance(children, list):
                stack.append((children, in_link or siblings[index]["type"] == "link"))
            index += 1
    return tokens
