"""Fast path for sections of simple Markdown: the HTML and Markdown mistune would give."""

from __future__ import annotations

import re

#: Letters (ASCII, Latin-1 and Latin Extended-A: Danish, English, German, ...) and digits.
_ALNUM = "A-Za-z0-9À-ÖØ-öø-ÿĀ-ſ"
#: Other characters a plain line may hold besides single spaces: in mid-line none of them
#: starts Markdown syntax, and only ``"`` (HTML) and ``!`` (Markdown) change on output.
#: ``&<>*_`~\\[]|#@$^{}``, tabs, control and other white-space characters are left to mistune
#: (``*`` and ``[`` only as the delimiters of the spans below).
_PUNCT = ",.;:?!%/§()'\"’‘“”„»«…+=°²³\\-–—"  # "\\-": a hyphen, escaped for [...]
#: What a line may start with: no block marker ("-", "+", "=", ">", "#", "<", ...).
_FIRST = rf"[{_ALNUM}§(“„»]"
_CHAR = rf"[{_ALNUM}{_PUNCT}]"
#: Words of plain characters with single spaces between them.
_WORDS = rf"{_CHAR}++(?: {_CHAR}++)*+"


def _closing(delimiter: str) -> str:
    """A closing ``delimiter``, and what may follow it by what the span's text ends with.

    After a letter or digit: a space, a line end or ``,.;:`` (the delimiter can then only
    close); after ``.:)``, only a space or a line end (else it could open as well).
    """
    return rf"(?:(?<=[{_ALNUM}]){delimiter}(?=[ ,.;:\n]|\Z)|(?<=[.:)]){delimiter}(?=[ \n]|\Z))"


#: ``**strong**`` and ``*emphasis*``: each opens at a word start (a line start or after a
#: space, which the line grammar guarantees) before a character that is not a space, so that
#: it can only open, and holds no ``*`` or ``[``: no nesting, nothing for the delimiter rules
#: to weigh.
_STRONG = rf"\*\*{_WORDS}" + _closing(r"\*\*")
_EMPHASIS = rf"\*{_WORDS}" + _closing(r"\*")
#: A web address of characters mistune writes into ``href`` unchanged (no ``&``, quote,
#: parenthesis, space or non-ASCII character).
_URL = r"https?://[A-Za-z0-9\-._~/?#%=+:@]++"
#: ``[text](https://...)``: text of plain words, no title; followed as a closing span is.
_LINK = rf"\[(?={_FIRST}){_WORDS}\]\({_URL}\)(?=[ ,.;:\n]|\Z)"
_SPAN = rf"(?:{_STRONG}|{_EMPHASIS}|{_LINK})"
#: Not starting like an ordered list item ("1." or "1)", escaped in Markdown output even
#: where it does not start a list).
_NOT_NUMBERED = r"(?![0-9]++[.)](?![0-9]))"
#: The rest of a line after its first character or span: more words and spans, no trailing
#: or double space. Possessive quantifiers, so that text that is not simple fails without
#: backtracking.
_REST = rf"{_CHAR}*+(?: (?:{_CHAR}|{_SPAN}){_CHAR}*+)*+"
#: A line: words and spans, no leading, trailing or double space, no block marker first.
_LINE = rf"{_NOT_NUMBERED}(?:{_FIRST}|{_SPAN}){_REST}"
#: A paragraph: lines as above, no empty line. Also used from an offset in one line: a list
#: item's or a heading's text. (These patterns take a while to compile, about 5 ms a line
#: pattern: they are compiled once, and lists, headings and tables are cut up in Python.)
_PARAGRAPH = re.compile(rf"{_LINE}(?:\n{_LINE})*+")
#: A tight list: items of one line each, all with the same bullet, or numbered with the same
#: delimiter (CommonMark counts from the first number and ignores the others).
_ITEM = re.compile(r"(?:[-+*]|[0-9]{1,9}([.)])) ")
#: A table: a header row, a delimiter row and body rows, each cell of plain words and spans
#: between single spaces, every row with its outer pipes.
_CELL = re.compile(rf"{_NOT_NUMBERED}(?:{_CHAR}|{_SPAN}){_REST}")
_RULE = re.compile(r"\|(?: ?:?-++:? ?\|)++")
_ALIGNS = {(True, True): "center", (True, False): "left", (False, True): "right"}
#: A table's delimiter row cell for each alignment, in the Markdown both paths write.
RULES = {"left": ":---", "center": ":---:", "right": "---:", None: "---"}
#: A heading of its own: one line, no closing ``#``s.
_HEADING = re.compile(r"#{1,6} ")
#: Level of the section heading in every output: h1 title, h2 item, h3 section. A heading in
#: a section's text of level n is written at level max(n, 3) + 1, but at most one below the
#: one before it (the first: below the section's), and at most at level 6.
SECTION_LEVEL = 3
#: The spans of a line already known to be simple: every ``*`` and ``[`` is a delimiter.
_SPANS = re.compile(r'\*\*([^*]+)\*\*|\*([^*]+)\*|\[([^\]]+)\]\(([^)]+)\)|"')
_LINK_URLS = re.compile(r"\]\([^)]*\)")
_SEPARATORS = re.compile(r"(\n\n+)")

#: Start of the placeholder lines :func:`blocks` puts in place of simple blocks.
PLACEHOLDER = "referatplainblock"
#: Simple blocks (one, or several with only blank lines between) worth a placeholder: this
#: many characters or more. Shorter ones cost mistune about what a placeholder does.
MIN_BLOCK = 80


def plain(source: str) -> tuple[str, str] | None:
    """``(html, markdown)`` of ``source`` when it is certainly only simple blocks, else None.

    Simple blocks are paragraphs of plain words, with ``**strong**``, ``*emphasis*`` and
    ``[text](https://link)`` spans at word boundaries, tight one-line-per-item lists,
    one-line headings and pipe tables of the same.

    The two are byte for byte what :class:`referat.content.Rendered` gets from mistune for the
    same source; anything doubtful (other Markdown syntax, any character outside a small set,
    leading, trailing or double spaces, a URL outside a link) gives None, and
    the caller parses.
    """
    text = source.strip("\n")
    if not text:
        return "", ""
    parts = _SEPARATORS.split(text)[::2]
    kinds = _kinds(parts)
    if None in kinds:
        return None
    rendered = []
    last_level = SECTION_LEVEL
    for part, kind in zip(parts, kinds, strict=True):
        if kind == "h":
            marks, heading = part.split(" ", 1)
            last_level = min(max(len(marks), SECTION_LEVEL) + 1, last_level + 1, 6)
            rendered.append(
                (
                    f"<h{last_level}>{_html(heading)}</h{last_level}>",
                    "#" * last_level + " " + _markdown(heading),
                )
            )
        else:
            rendered.append(_render(part, kind))
    return "\n".join(html for html, _ in rendered), "\n\n".join(md for _, md in rendered)


def blocks(source: str) -> tuple[str, list[tuple[str, str]]] | None:
    """``source`` with runs of simple blocks replaced by placeholders, and their renderings.

    A run is one or more blocks that :func:`plain` accepts, with only empty lines between
    them, an empty line (or the start) before and an empty line (or the end) after, and at
    least :data:`MIN_BLOCK` characters in all; a list only between other simple blocks (or
    the start or end), never next to a block that could continue it; headings are left to
    mistune (their level depends on the headings before them). Each run becomes one line
    ``referatplainblock<n>`` and item ``n`` of the list is its ``(html, markdown)`` as
    :func:`plain` writes it. After an empty line no Markdown block continues into such lines
    or depends on their text (they hold no block marker, nothing that ends a fence or an HTML
    block, no link label), so mistune parses everything else as before and makes each
    placeholder a paragraph of its own at the top level of the document, unless something
    that spans empty lines swallows it (a fence, an HTML block, ...): the caller must check
    that, and parse ``source`` itself if not. None when there is no such run, or when
    ``source`` already holds :data:`PLACEHOLDER`.
    """
    if PLACEHOLDER in source:
        return None
    parts = _SEPARATORS.split(source)  # text, blank lines, text, ..., text
    texts = parts[::2]
    # Only the first part can start, and only the last end, with a single "\n".
    lead = "\n" if texts[0].startswith("\n") else ""
    texts[0] = texts[0][len(lead) :]
    trail = "\n" if texts[-1].endswith("\n") else ""
    texts[-1] = texts[-1][: len(texts[-1]) - len(trail)]
    # A heading's level depends on the headings before it, which mistune may see: headings
    # are left to it here.
    kinds = [None if kind == "h" else kind for kind in _kinds(texts)]
    found: list[tuple[str, str]] = []
    first = -1  # where the current run of simple blocks starts, if any
    for index in range(len(texts) + 1):  # one past the end, to close a run there
        if index < len(texts) and kinds[index] is not None:
            if first < 0:
                first = index
            continue
        if first < 0:
            continue
        run = texts[first:index]
        if sum(map(len, run)) >= MIN_BLOCK:
            rendered = [
                _render(text, kind) for text, kind in zip(run, kinds[first:index], strict=True)
            ]
            start = lead if first == 0 else ""
            end = trail if index == len(texts) else ""
            parts[2 * first] = start + PLACEHOLDER + str(len(found)) + end
            parts[2 * first + 1 : 2 * index - 1] = [""] * (2 * (index - first) - 2)
            found.append(
                ("\n".join(html for html, _ in rendered), "\n\n".join(md for _, md in rendered))
            )
        first = -1
    if not found:
        return None
    return "".join(parts), found


def _kinds(parts: list[str]) -> list[str | None]:
    """What each block (text between empty lines) is: ``"p"`` (a simple paragraph), ``"h"``
    (a simple heading), ``"t"`` (a simple table), ``"ul"`` or ``"ol"`` (a simple list between
    blocks of those kinds), or None (anything else)."""
    found = [_kind(part) for part in parts]
    kinds = list(found)
    for index, kind in enumerate(found):
        if kind in ("ul", "ol"):
            # A list next to anything but a paragraph might be continued by it (another item
            # of the same list after the empty line makes it loose; an indented block joins
            # its last item), or continue a list before it.
            before = found[index - 1] if index > 0 else "p"
            after = found[index + 1] if index + 1 < len(found) else "p"
            if before not in ("p", "h", "t") or after not in ("p", "h", "t"):
                kinds[index] = None
    return kinds


def _kind(part: str) -> str | None:
    kind: str | None
    if _PARAGRAPH.fullmatch(part):
        kind = "p"
    elif part.startswith("|"):
        if not _is_table(part):
            return None
        kind = "t"
    elif part.startswith("#"):
        heading = _HEADING.match(part)
        if heading is None or "\n" in part or not _PARAGRAPH.fullmatch(part, heading.end()):
            return None
        kind = "h"
    else:
        kind = _list_kind(part)
        if kind is None:
            return None
    return None if _url_like(_LINK_URLS.sub("", part)) else kind


def _list_kind(part: str) -> str | None:
    """``"ul"`` or ``"ol"`` for a simple list, else None."""
    markers = set()
    for line in part.split("\n"):
        item = _ITEM.match(line)
        if item is None or not _PARAGRAPH.fullmatch(line, item.end()):
            return None
        markers.add(item[1] or line[0])  # the delimiter of a number, or the bullet
    if len(markers) != 1:
        return None
    return "ol" if markers.pop() in ".)" else "ul"


def _is_table(part: str) -> bool:
    lines = part.split("\n")
    if len(lines) < 3 or len({line.count("|") for line in lines}) > 1:
        return False
    if not _RULE.fullmatch(lines[1]):
        return False
    for line in (lines[0], *lines[2:]):
        if not (line.startswith("| ") and line.endswith(" |") and len(line) > 4):
            return False
        if not all(_CELL.fullmatch(cell) for cell in line[2:-2].split(" | ")):
            return False
    return True


def _url_like(text: str) -> bool:
    """Whether ``text`` might hold something the url plugin links: its pattern starts
    ``https?://``, so there is nothing to link without ``://``."""
    return "://" in text


def _render(part: str, kind: str | None) -> tuple[str, str]:
    """``(html, markdown)`` of a paragraph, list or table :func:`_kinds` found simple."""
    if kind == "p":
        return "<p>" + _html(part) + "</p>", _markdown(part)
    lines = part.split("\n")
    if kind == "t":
        return _table(lines)
    if kind == "ul":
        html = "<ul>\n" + "".join(f"<li>{_html(line[2:])}</li>\n" for line in lines) + "</ul>"
        return html, "\n".join(line[:2] + _markdown(line[2:]) for line in lines)
    marker = [line.split(" ", 1)[0] for line in lines]
    start, delimiter = int(marker[0][:-1]), marker[0][-1]
    items = [line[len(m) + 1 :] for line, m in zip(lines, marker, strict=True)]
    attribute = "" if start == 1 else f' start="{start}"'
    html = f"<ol{attribute}>\n" + "".join(f"<li>{_html(item)}</li>\n" for item in items) + "</ol>"
    markdown = "\n".join(
        f"{start + number}{delimiter} {_markdown(item)}" for number, item in enumerate(items)
    )
    return html, markdown


def _table(lines: list[str]) -> tuple[str, str]:
    rows = [line[2:-2].split(" | ") for line in lines]
    del rows[1]
    rules = [rule.strip(" ") for rule in lines[1][1:-1].split("|")]
    aligns = [_ALIGNS.get((rule[0] == ":", rule[-1] == ":")) for rule in rules]
    html = ["<table>\n<thead>\n"]
    for number, row in enumerate(rows):
        tag = "th" if number == 0 else "td"
        if number == 1:
            html.append("<tbody>\n")
        html.append("<tr>\n")
        for cell, align in zip(row, aligns, strict=True):
            style = f' style="text-align:{align}"' if align else ""
            html.append(f"  <{tag}{style}>{_html(cell)}</{tag}>\n")
        html.append("</tr>\n</thead>\n" if number == 0 else "</tr>\n")
    html.append("</tbody>\n</table>")
    markdown = ["| " + " | ".join(_markdown(cell) for cell in row) + " |" for row in rows]
    markdown.insert(1, "| " + " | ".join(RULES[align] for align in aligns) + " |")
    return "".join(html), "\n".join(markdown)


def _html(text: str) -> str:
    if "*" not in text and "[" not in text:
        return text.replace('"', "&quot;") if '"' in text else text
    return _SPANS.sub(_span_html, text)


def _span_html(match: re.Match[str]) -> str:
    strong, emphasis, link_text, url = match.groups()
    if strong is not None:
        return "<strong>" + strong.replace('"', "&quot;") + "</strong>"
    if emphasis is not None:
        return "<em>" + emphasis.replace('"', "&quot;") + "</em>"
    if link_text is not None:
        return f'<a href="{url}">' + link_text.replace('"', "&quot;") + "</a>"
    return "&quot;"


def _markdown(text: str) -> str:
    # No "!" is in a link's address (see _URL): the replacement only touches text.
    return text.replace("!", "\\!") if "!" in text else text
