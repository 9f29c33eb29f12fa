"""Sections that are not simple Markdown: mistune's tree, neutralised, written as HTML and as
Markdown. Imported only when a section first needs it (see :class:`referat.content.Rendered`).
"""

from __future__ import annotations

from typing import cast

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

from .content import Token, is_safe_url
from .plain import PLACEHOLDER, RULES, SECTION_LEVEL, blocks


def tree(source: str, *, fast_path: bool) -> tuple[list[Token], BlockState]:
    """The neutralised tree of ``source`` and its parser state; with ``fast_path``, runs of
    simple blocks come in already rendered (see :func:`referat.plain.blocks`)."""
    split = blocks(source) if fast_path else None
    parsed = _parse_with_blocks(*split) if split is not None else None
    tokens, state = parsed if parsed is not None else _PARSER.parse(source)
    safe = _neutralise(cast(list[Token], tokens))
    state.env["ref_links"] = {}  # links are written inline; definitions would repeat raw URLs
    return safe, state


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
        lines = ["| " + " | ".join(row) + " |" for row in rows]
        lines.insert(1, "| " + " | ".join(RULES.get(a, "---") for a in aligns) + " |")
        return "\n".join(lines) + "\n\n"

    def _cell(self, cell: Token, state: BlockState) -> str:
        return self.render_children(cell, state).replace("|", "\\|").replace("\n", " ")


_PARSER = mistune.Markdown(
    renderer=None,
    plugins=[import_plugin(name) for name in ("table", "strikethrough", "url")],
)
HTML = _HtmlRenderer()
MARKDOWN = _MarkdownRenderer()


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
