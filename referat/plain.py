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
    if _PLAIN.fullmatch(source) is None or _url_like(source):
        return None
    text = source.strip("\n")
    if "\n\n" in text:
        html = "<p>" + _BETWEEN.sub("</p>\n<p>", text) + "</p>"
        markdown = _BETWEEN.sub("\n\n", text)
    else:
        html, markdown = "<p>" + text + "</p>" if text else "", text
    return _escaped(html, markdown)


def _url_like(text: str) -> bool:
    """Whether ``text`` might hold something the url plugin (or anything else) links."""
    lowered = text.lower()
    return "://" in lowered or "http" in lowered or "www." in lowered


def _escaped(html: str, markdown: str) -> tuple[str, str]:
    if '"' in html:
        html = html.replace('"', "&quot;")
    if "!" in markdown:
        markdown = markdown.replace("!", "\\!")
    return html, markdown


#: Start of the placeholder lines :func:`blocks` puts in place of plain paragraphs.
PLACEHOLDER = "referatplainblock"
#: Plain paragraphs (one, or several with only blank lines between) worth a placeholder:
#: this many characters or more. Shorter ones cost mistune about what a placeholder does.
MIN_BLOCK = 80
#: One plain paragraph: lines as in :data:`_PLAIN`, no empty line.
_BLOCK = re.compile(rf"{_LINE}(?:\n{_LINE})*+")
_SEPARATORS = re.compile(r"(\n\n+)")


def blocks(source: str) -> tuple[str, list[tuple[str, str]]] | None:
    """``source`` with runs of plain paragraphs replaced by placeholders, and their renderings.

    A run is one or more paragraphs that :func:`plain` accepts, with only empty lines between
    them, an empty line (or the start) before and an empty line (or the end) after, and at
    least :data:`MIN_BLOCK` characters in all. Each run becomes one line ``referatplainblock<n>``
    and item ``n`` of the list is its ``(html, markdown)`` as :func:`plain` writes it. After an
    empty line no Markdown block continues into such lines or depends on their text (they hold
    no block marker, nothing that ends a fence or an HTML block, no link label), so mistune
    parses everything else as before and makes each placeholder a paragraph of its own at the
    top level of the document, unless something that spans empty lines swallows it (a fence,
    an HTML block, ...): the caller must check that, and parse ``source`` itself if not.
    None when there is no such run, or when ``source`` already holds :data:`PLACEHOLDER`.
    """
    if PLACEHOLDER in source:
        return None
    parts = _SEPARATORS.split(source)  # text, blank lines, text, ..., text
    last = len(parts) - 1
    found: list[tuple[str, str]] = []
    first = -1  # where the current run of plain parts starts, if any
    for index in range(0, last + 3, 2):  # one past the end, to close a run there
        if index <= last:
            part = parts[index]
            # Only the first part can start, and only the last end, with a single "\n".
            start = 1 if index == 0 and part.startswith("\n") else 0
            end = len(part) - 1 if index == last and part.endswith("\n") else len(part)
            if start < end and _BLOCK.fullmatch(part, start, end) and not _url_like(part):
                if first < 0:
                    first = index
                continue
        if first < 0:
            continue
        paragraphs = parts[first : index - 1 : 2]
        lead = "\n" if first == 0 and paragraphs[0].startswith("\n") else ""
        trail = "\n" if index - 2 == last and paragraphs[-1].endswith("\n") else ""
        if lead:
            paragraphs[0] = paragraphs[0][1:]
        if trail:
            paragraphs[-1] = paragraphs[-1][:-1]
        if sum(map(len, paragraphs)) >= MIN_BLOCK:
            parts[first] = lead + PLACEHOLDER + str(len(found)) + trail
            parts[first + 1 : index - 1] = [""] * (index - 2 - first)
            html = "<p>" + "</p>\n<p>".join(paragraphs) + "</p>"
            found.append(_escaped(html, "\n\n".join(paragraphs)))
        first = -1
    if not found:
        return None
    return "".join(parts), found
