"""Section Markdown to safe HTML and safe Markdown: parse once, neutralise, render twice."""

from __future__ import annotations

import functools
import html
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .plain import plain

if TYPE_CHECKING:  # mistune is imported when a section that is not simple is first parsed
    from mistune.core import BlockState

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
        from . import parsed

        return parsed.tree(self._source, fast_path=FAST_PATH)

    @functools.cached_property
    def html(self) -> str:
        """HTML fragment, safe to insert into a page."""
        if self._plain is not None:
            return self._plain[0]
        from .parsed import HTML

        return HTML(*self._tree).rstrip("\n")

    @functools.cached_property
    def markdown(self) -> str:
        """Markdown, safe to publish: raw HTML escaped, unsafe links made text."""
        if self._plain is not None:
            return self._plain[1]
        from .parsed import MARKDOWN

        return MARKDOWN(*self._tree).strip("\n")


def render(markdown: str) -> Rendered:
    """Render one section's Markdown; sub-headings are placed below the section heading."""
    return Rendered(markdown)
