"""Fast path for sections of plain prose paragraphs: the HTML and Markdown mistune would give."""

from __future__ import annotations

import re

#: Letters (ASCII, Latin-1 and Latin Extended-A: Danish, English, German, ...) and digits.
_ALNUM = "A-Za-z0-9À-ÖØ-öø-ÿĀ-ſ"
#: Other characters a plain line may hold besides single spaces: in mid-line none of them
#: starts Markdown syntax, and only ``"`` (HTML) and ``!`` (Markdown) change on output.
#: ``&<>*_`~\\[]|#@$^{}``, tabs, control and other white-space characters are left to mistune.
_PUNCT = ",.;:?!%/§()'\"’‘“”„»«…+=°²³\\-–—"  # "\\-": a hyphen, escaped for [...]
#: What a line may start with: no block marker ("-", "+", "=", ">", "#", "<", ...).
_FIRST = rf"[{_ALNUM}§(“„»]"
_CHAR = rf"[{_ALNUM}{_PUNCT}]"
#: A line: no leading, trailing or double space, and not starting like an ordered list item
#: ("1." or "1)", escaped in Markdown output even where it does not start a list).
_LINE = rf"(?![0-9]++[.)](?![0-9])){_FIRST}{_CHAR}*+(?: {_CHAR}++)*+"
#: Plain text: lines as above, separated by "\n" (in a paragraph) or by empty lines (between
#: paragraphs), with any number of empty lines before and after. Possessive quantifiers, so
#: that text that is not plain fails without backtracking.
_PLAIN = re.compile(rf"\n*+(?:{_LINE}(?:\n++{_LINE})*+\n*+)?")
_BETWEEN = re.compile(r"\n\n+")


def plain(source: str) -> tuple[str, str] | None:
    """``(html, markdown)`` of ``source`` when it is certainly only plain paragraphs, else None.

    The two are byte for byte what :class:`referat.content.Rendered` gets from mistune for the
    same source; anything doubtful (any Markdown syntax, any character outside a small set,
    leading, trailing or double spaces, anything like a URL) gives None, and the caller parses.
    """
    if _PLAIN.fullmatch(source) is None:
        return None
    lowered = source.lower()
    if "://" in lowered or "http" in lowered or "www." in lowered:  # the url plugin, and more
        return None
    text = source.strip("\n")
    if "\n\n" in text:
        html = "<p>" + _BETWEEN.sub("</p>\n<p>", text) + "</p>"
        markdown = _BETWEEN.sub("\n\n", text)
    else:
        html, markdown = "<p>" + text + "</p>" if text else "", text
    if '"' in html:
        html = html.replace('"', "&quot;")
    if "!" in markdown:
        markdown = markdown.replace("!", "\\!")
    return html, markdown
