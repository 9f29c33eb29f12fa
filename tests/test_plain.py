"""The plain-paragraph fast path: when it answers, it answers exactly what mistune would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from referat import content, parsed
from referat import plain as plain_module
from referat.parse import split_body
from referat.plain import PLACEHOLDER, blocks, plain

from .conftest import EXAMPLES, ROOT


def fast_path(on: bool) -> AbstractContextManager[object]:
    """Switch :data:`referat.content.FAST_PATH` for the block."""
    return mock.patch.object(content, "FAST_PATH", on)


def min_block(size: int) -> AbstractContextManager[object]:
    """Set :data:`referat.plain.MIN_BLOCK` for the block."""
    return mock.patch.object(plain_module, "MIN_BLOCK", size)


@contextmanager
def parsed_sources() -> Iterator[list[str]]:
    """The sources mistune parses in the block, in order."""
    seen: list[str] = []
    parse = parsed._PARSER.parse

    def spy(source: str, *args: Any) -> Any:
        seen.append(source)
        return parse(source, *args)

    parsed._PARSER.parse = spy  # type: ignore[method-assign, assignment]
    try:
        yield seen
    finally:
        del parsed._PARSER.parse


def fast_pair(source: str) -> tuple[str, str]:
    """``(html, markdown)`` of ``source`` with the fast path on."""
    with fast_path(True):
        rendered = content.Rendered(source)
        return rendered.html, rendered.markdown


def mistune_path(source: str) -> tuple[str, str]:
    """``(html, markdown)`` of ``source`` as mistune renders it, the fast path switched off."""
    with fast_path(False):
        rendered = content.Rendered(source)
        return rendered.html, rendered.markdown


def assert_exact(source: str) -> bool:
    """Check ``plain(source)`` against mistune when it answers; whether it answered."""
    fast = plain(source)
    if fast is not None:
        assert fast == mistune_path(source), repr(source)
    return fast is not None


PROSE = [
    "Byrådet godkendte indstillingen.",
    "Ifølge styrelseslovens § 40 skal kommunen afholde et offentligt borgermøde.",
    "Merudgiften udgør ca. 14,3 mio. kr. årligt og foreslås finansieret via puljen.",
    "Pr. 23-02-2016 modtager 381 borgere kontanthjælp, en stigning på 6 procent.",
    "Cirklen: En anden mulighed er at indgå en driftsaftale med en privat leverandør.",
    "Den samlede udgift for 2016 forventes at blive 42.005 t.kr. (foreløbigt tal).",
    "KL's økonomiske udmelding – og Ældrerådets høringssvar – er vedlagt.",
    "Udvalget spurgte: Hvornår? Svaret var »snart«, og det blev noteret!",
    "Arealet er 1.200 m² på matriklen Frøgård Allé 6/2.",
    '2016 blev et godt år, og "budgettet" holdt.',
]

#: Plain words, and the characters and snippets that make text not plain (or nearly so).
WORDS = [
    "Byrådet", "godkendte", "sagen", "æble", "Øst", "Århus", "1", "2016", "14,3", "mio.", "kr.",
    "§", "40", "Pr.", "23-02-2016", "Cirklen:", "(bilag)", "“citat”", "»citat«", "KL's",
    "1.200", "m²", "–", "—", "!", '"', "ÆØÅ", "Ĳssel", "Straße",
]  # fmt: skip
SPECIAL = [
    *"*_~`|#<>&[]\\!\"'@$^{}=+-:.()%/\t\r\f\v\x00\x85\u2028\u2029\u00a0\u200b\ufeff", "  ", " ",
    "\n", "\n\n", "\n \n", "  \n", "\\\n", "**", "__", "~~", "``", "![", "[x]", "[x](y)",
    "[x]: y", "<b>", "<!-- c -->", "&amp;", "&#65;", "&copy", "http://x",
    "https://example.org/a", "www.x.dk", "HTTPS://X", "mailto:a@b.dk", "a@b.dk", "e\u0301",
    "١. ", "| a |", "\n|---|", "½", "ª", "µ", "×", "Ω", "я", "€",
]  # fmt: skip
LINE_STARTS = [
    "1. ", "1) ", "2. ", "10. ", "123456789. ", "1234567890. ", "1.", "1)", "- ", "+ ", "* ",
    "# ", "## ", "> ", "    ", "   ", "\t", "```", "~~~", "<div>", "<", "=", "-", "§ ", "(",
    "“", "»", "1.5 ", "2016. ", "2016) ", "0. ", "¹. ",
]  # fmt: skip
LINE_ENDS = ["", "  ", " ", "\\", ":", "!", "."]
UNDERLINES = ["===", "---", "=", "-", "***", "___", "- - -", " ===", "|---|---|", ":--"]

ALPHABET = st.sampled_from(
    [
        *"abcæøåÆØÅxyz019 ",
        *",.;:?!%/§()'\"’‘“”„»«…+=°²³-–—",
        *"*_~`|#<>&[]\\@$^{}\t\r",
        "\n",
        "\n",
        "\n",
        "\u00a0",
    ]
)

words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join)
#: A line that certainly starts as prose does.
line = st.tuples(st.sampled_from(["Byrådet", "Øst", "§", "2016", "(bilag)"]), words).map(" ".join)
paragraph = st.lists(line, min_size=1, max_size=3).map("\n".join)
prose = st.lists(paragraph, min_size=1, max_size=3).map("\n\n".join)


@st.composite
def almost_plain(draw: st.DrawFn) -> str:
    """Plain paragraphs with a few specials put in at random places."""
    text = draw(prose)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(SPECIAL)) + text[at:]
    return draw(st.sampled_from(["", "\n", "\n\n"])) + text + draw(st.sampled_from(["", "\n"]))


@st.composite
def odd_lines(draw: st.DrawFn) -> str:
    """Plain lines, each perhaps with an odd start or end, or followed by an underline."""
    lines = []
    for line in draw(st.lists(words, min_size=1, max_size=5)):
        start, end = draw(st.sampled_from(LINE_STARTS)), draw(st.sampled_from(LINE_ENDS))
        lines.append(draw(st.sampled_from(["", start])) + line + draw(st.sampled_from(["", end])))
        if draw(st.integers(0, 3)) == 0:
            lines.append(draw(st.sampled_from(["", *UNDERLINES])))
    return "\n".join(lines)


@pytest.mark.parametrize("source", PROSE)
def test_prose_takes_the_fast_path(source: str) -> None:
    assert assert_exact(source)


def test_paragraphs_and_blank_lines_take_the_fast_path() -> None:
    source = "\n" + "\n".join(PROSE[:3]) + "\n\n\n" + "\n\n".join(PROSE[3:]) + "\n\n"
    assert assert_exact(source)
    html, markdown = mistune_path(source)
    assert html.count("<p>") == 1 + len(PROSE[3:])
    assert markdown.count("\n\n") == len(PROSE[3:])


@pytest.mark.parametrize("source", ["", "\n", "\n\n\n"])
def test_empty_source(source: str) -> None:
    assert plain(source) == ("", "") == mistune_path(source)


@pytest.mark.parametrize(
    "source",
    [
        "- punkt\n\n- punkt",
        "- punkt\n+ punkt",
        "1. punkt\n2) punkt",
        "- punkt\n  fortsat",
        "-  punkt",
        "Tekst\n1) punkt",
        "Tekst\n- punkt",
        "### Overskrift ###",
        "###Overskrift",
        "####### Overskrift",
        "### Overskrift\ntekst",
        "Overskrift\n===",
        "Overskrift\n---",
        "Det er *vigtigt* og __meget__ vigtigt.",
        "Det er x*vigtigt* og y.",
        "Det er (*vigtigt*) og y.",
        "Det er *vigtigt*x og y.",
        "Det er *vigtigt *og y.",
        "Det er **vigtigt* og y.",
        "Det er ***vigtigt*** og y.",
        "Det er *a.*b og y.",
        'Se [Danmarks Statistik](https://www.dst.dk "titel").',
        "Se [Danmarks Statistik](https://www.dst.dk/a&b).",
        "Se [Danmarks Statistik](javascript:alert(1)).",
        "Se [Danmarks Statistik](<https://www.dst.dk>).",
        "Se [Danmarks Statistik] (https://www.dst.dk).",
        "Se [*Danmarks* Statistik](https://www.dst.dk).",
        "Se [https://dst.dk](https://www.dst.dk).",
        "Se![Danmarks Statistik](https://www.dst.dk).",
        "Se [Danmarks Statistik](https://www.dst.dk)x.",
        "Det er ~~slettet~~.",
        "Se https://www.dst.dk for tal.",
        "Se <https://www.dst.dk>.",
        "Tekst <b>fed</b> tekst.",
        "<div>\nblok\n</div>",
        "| A | B |\n|---|---|",
        "| A |B|\n|---|---|\n| 1 | 2 |",
        "| A | B |\n|---|---|\n| 1 | 2 | 3 |",
        "Brug `kode` her.",
        "```\nkode\n```",
        "    indrykket kode",
        "> citat",
        "Tekst med &amp; entitet.",
        "Tekst med linjeskift  \nher.",
        "Tekst med linjeskift\\\nher.",
        "Tekst\r\nmed CRLF.",
        "Tekst\tmed tab.",
        " Indrykket tekst.",
        "Tekst med  to mellemrum.",
        "Tekst\n \nmed mellemrum-linje.",
        "snake_case",
        "e\u0301 kombineret accent",
        "Ikke-brudt\u00a0mellemrum",
        "   ",
    ],
)
def test_syntax_and_anything_doubtful_is_left_to_mistune(source: str) -> None:
    assert plain(source) is None


def test_switch_turns_the_fast_path_off() -> None:
    with fast_path(True):
        fast = content.Rendered(PROSE[0])
        assert fast.html == "<p>" + PROSE[0] + "</p>"
        assert "_tree" not in fast.__dict__  # never parsed
    with fast_path(False):
        slow = content.Rendered(PROSE[0])
        assert slow.html == fast.html
        assert "_tree" in slow.__dict__


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(alphabet=ALPHABET, max_size=80), almost_plain(), odd_lines(), prose))
@example("a\n2. b")
@example("a\n1.5 b")
@example("Tekst!\nMere[")
@example('Han sagde "ja".')
def test_fast_path_equals_mistune(source: str) -> None:
    assert_exact(source)


@settings(max_examples=300, deadline=None)
@given(prose)
def test_plain_prose_always_takes_the_fast_path(source: str) -> None:
    assert assert_exact(source)


def _sections(path: Path) -> list[str]:
    """The section texts of an item file: the body after the front matter, cut at headings."""
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    if lines[0].rstrip() != "---" or "---" not in lines[1:]:
        return []
    body = "\n".join(lines[lines.index("---", 1) + 1 :])
    return [part.text for part in split_body(body, 1)]


SOURCES = sorted(
    p
    for folder in (EXAMPLES, ROOT / "tests" / "cases")
    for p in folder.rglob("*.md")
    if p.name != "README.md"
)


def test_real_sections_render_the_same() -> None:
    sections = [text for path in SOURCES for text in _sections(path)]
    assert len(sections) > 50
    fast = sum(assert_exact(text) for text in sections)
    assert fast >= 20


def test_real_sections_render_the_same_both_ways() -> None:
    """With plain paragraphs inside mixed sections replaced too, even the shortest."""
    sections = [text for path in SOURCES for text in _sections(path)]
    for size in (plain_module.MIN_BLOCK, 1):
        with min_block(size):
            for text in sections:
                assert fast_pair(text) == mistune_path(text), repr(text)


# Mixed sections: plain paragraphs between blocks mistune must parse.

LONG = " ".join(PROSE[1:4])
#: Blocks that are not plain, several of them spanning blank lines or continuing lazily.
OTHER = [
    "- punkt\n- punkt", "- punkt", "* punkt\n\n* punkt", "+ a\n\n  fortsat", "-", "- ",
    "1. godkender\n2. tager til efterretning", "1. a", "2) b", "10. ti\n\n    fortsat",
    "- a\n\n- b", "- a\n  - b\n\n  - c", "1. a\n\n   b", "- a\n\n  ```\n  kode",
    "### Overskrift", "# Stor", "###### Lille", "#", "Overskrift\n===", "Overskrift\n---", "===",
    "---", "***", "___", "- - -",
    "| A | B |\n|---|---|\n| 1 | 2 |", "| A | B |\n|---|---|", "A | B\n--- | ---\n1 | 2",
    "| A |\n|---|---|\n| 1 |", "| a |",
    "Det er **vigtigt** og *meget* vigtigt.", "**Bemærk:** " + PROSE[2], "~~slettet~~",
    "```\nkode\n\nmere kode\n```", "```python\nkode", "```", "~~~\n\n", "````\n```\n\n",
    "<!-- kommentar -->", "<!-- kommentar\n\nstadig", "<!--", "-->", "<pre>\nx\n\ny\n</pre>",
    "<pre>", "</pre>", "<div>\nblok\n</div>", "<div>", "</div>", "<?php\n\n", "?>",
    "<![CDATA[\n\n", "]]>", "<!DOCTYPE\n\n", "<b>fed</b>", "<span>",
    "> citat", "> citat\n>\n> mere", ">", "> ```\n> kode", "> - a\n>\n> - b",
    "[x]: /u", "[x]: /u 'titel'", "[x]:\n/u", "[x]:", "[x]: /u\n'titel\n\nmere'",
    "Se [x] og [y][x].", "[y]: https://example.org",
    "    kode", "    kode\n\n    mere", "\tkode",
    PLACEHOLDER + "0", PLACEHOLDER + "1", "Referatplainblock0", "referatplain&#98;lock0",
    "Tekst med  to mellemrum.", "Tekst med linjeskift  ", "Tekst\\", " Indrykket.", "  ",
    "\t", "Tekst\r\nmed CRLF.", "\r", "Se https://www.dst.dk.", "Se www.dst.dk.", "Tekst!",
    "a\n2. b", "Tekst\n- punkt", "Tekst\n> citat", "Tekst\n    kode", LONG + "\n===",
    LONG + "\n- punkt", "- " + LONG, "> " + LONG, "    " + LONG, "1. " + LONG,
]  # fmt: skip
#: What comes between two blocks: mostly blank lines, sometimes none or odd ones.
JOINS = ["\n\n", "\n\n", "\n\n", "\n\n\n", "\n", "\n \n", "\n\t\n", "\r\n\r\n", "\n\n\n\n"]

#: Plain paragraphs, short and long, for the mixed sections (cheaper to draw than ``prose``,
#: whose variety the tests above cover).
PLAIN_BLOCKS = [
    *PROSE, LONG, PROSE[0] + "\n" + PROSE[5], PROSE[7] + "\n" + PROSE[9] + "\n" + PROSE[3],
    "Indstilling:", "Kort.", "Ab", "§ 3", "(bilag)", "Hej!",
]  # fmt: skip


def _section(start: str, blocks: list[tuple[str, str]], end: str) -> str:
    return start + "".join(join + block for join, block in blocks)[len(blocks[0][0]) :] + end


def sections(block: st.SearchStrategy[str], min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Sections of ``block``s joined mostly by blank lines, perhaps with line breaks around."""
    return st.builds(
        _section,
        st.sampled_from(["", "\n", "\n\n"]),
        st.lists(st.tuples(st.sampled_from(JOINS), block), min_size=min_size, max_size=max_size),
        st.sampled_from(["", "\n"]),
    )


#: A section of plain paragraphs and other blocks.
mixed = sections(st.one_of(st.sampled_from(PLAIN_BLOCKS), st.sampled_from(OTHER)), 2, 8)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed)
@example("- a\n\n" + LONG + "\n\n- b")
@example("- a\n\n- b\n\n" + LONG + "\n\n- c\n\n- d")
@example("- a\n- b\n\n" + LONG + "\n\n- c\n- d")
@example("1. a\n\n" + LONG + "\n\n2. b")
@example("> a\n\n" + LONG + "\n\n> b")
@example("```\nkode\n\n" + LONG)
@example("<!-- a\n\n" + LONG + "\n\n-->\n\n" + LONG)
@example("<pre>\n\n" + LONG + "\n\n</pre>")
@example("[x]:\n\n" + LONG + "\n\nSe [x].")
@example(LONG + "\n\n[x]: /u\n\nSe [x].")
@example("referatplain&#98;lock0\n\n- a\n\n" + LONG)
@example("# A\n\n" + LONG + "\n\n###### B\n\n" + LONG)
def test_mixed_sections_render_as_mistune_does(source: str) -> None:
    with min_block(1):
        assert fast_pair(source) == mistune_path(source), repr(source)


QUOTE = "> Citat fra høringssvaret."
PROSE_QUOTE_PROSE = (
    PROSE[1] + "\n" + PROSE[2] + "\n\nIndstilling:\n\n- godkender\n- tager til efterretning\n\n"
    + PROSE[0] + "\n\n" + QUOTE + "\n\n" + PROSE[3] + "\n" + PROSE[4]
)  # fmt: skip


def test_mistune_sees_placeholders_not_the_prose() -> None:
    source, found = blocks(PROSE_QUOTE_PROSE) or ("", [])
    assert source == PLACEHOLDER + "0\n\n" + QUOTE + "\n\n" + PLACEHOLDER + "1"
    assert found == [
        plain(PROSE_QUOTE_PROSE.split("\n\n" + QUOTE)[0]),
        plain(PROSE[3] + "\n" + PROSE[4]),
    ]
    with parsed_sources() as seen:
        assert fast_pair(PROSE_QUOTE_PROSE) == mistune_path(PROSE_QUOTE_PROSE)
    assert seen == [source, PROSE_QUOTE_PROSE]  # the fast path once, then the mistune path


def test_short_paragraphs_are_left_in_place() -> None:
    assert len("Indstilling:") < plain_module.MIN_BLOCK
    assert blocks("Indstilling:\n\n> citat") is None
    with min_block(1):
        assert blocks("Indstilling:\n\n> citat") == (
            PLACEHOLDER + "0\n\n> citat",
            [("<p>Indstilling:</p>", "Indstilling:")],
        )


def test_paragraphs_with_only_blank_lines_between_share_a_placeholder() -> None:
    source = (
        "\n"
        + PROSE[0]
        + "\n\n\n"
        + PROSE[1]
        + "\n\n### Afsnit\n\n"
        + LONG
        + "\n\n"
        + PROSE[2]
        + "\n"
    )
    assert blocks(source) == (
        "\n" + PLACEHOLDER + "0\n\n### Afsnit\n\n" + PLACEHOLDER + "1\n",
        [plain(PROSE[0] + "\n\n" + PROSE[1]), plain(LONG + "\n\n" + PROSE[2])],
    )
    assert fast_pair(source) == mistune_path(source)


@pytest.mark.parametrize(
    "source",
    [
        "```\nkode\n\n" + LONG + "\n",  # an unclosed fence runs to the end
        "<!-- kommentar\n\n" + LONG + "\n\n-->",  # an HTML block to its end marker
        "<pre>\n\n" + LONG + "\n\n</pre>\n\n" + LONG,
        "<script>\n\n" + LONG,
        "- a\n\n" + LONG + "\n\n<!--\n\n" + LONG,  # one placeholder is enough
    ],
)
def test_falls_back_to_the_whole_source(source: str) -> None:
    with parsed_sources() as seen:
        assert fast_pair(source) == mistune_path(source)
    # With placeholders first, then (as they are not all top-level paragraphs) the source
    # itself; then the mistune path.
    assert len(seen) == 3
    assert PLACEHOLDER in seen[0]
    assert seen[1:] == [source, source]


def test_placeholder_text_in_the_source_means_no_placeholders() -> None:
    source = "> a\n\n" + PLACEHOLDER + "0\n\n" + LONG
    assert blocks(source) is None
    with parsed_sources() as seen:
        assert fast_pair(source) == mistune_path(source)
    assert seen == [source, source]


# Spans (strong, emphasis, links) and simple lists: written by the fast path when certainly
# simple, and near misses of each that must go to mistune.

SPANS = [
    "**Bemærk:**", "*kvalitetsstandarden*", "**I alt**", "*a*", "**1**", "*Øst*", "**19,8**",
    "*Tabel 1: Økonomi, 2016-priser (foreløbig).*", "**a (b)**",
    "[kommunens hjemmeside](https://www.htk.dk/politik/dagsordener)", "[a](https://x.dk)",
    "[§ 40](http://x.dk/a_b?c=1#d)", "[a!](https://x.dk/%20)", "[»a« b](https://x.dk/a+b=c:d@e)",
    "[Retsinformation](https://www.retsinformation.dk/eli/lta/2020/1287)", '[a "b"](http://x.dk/~)',
]  # fmt: skip
NEAR_SPANS = [
    "*a *", "* a*", "**a*", "*a**", "***a***", "*a*b", "a*b*", "**a**b", "(*a*)", "*(a)*",
    "*a.*b", "*a:*.", "*a)*,", "*a*!", "**a**?", "*a*)", "*a*'", "_a_", "__a__", "*a\"*", "*1.*",
    "*a*-", "*»citat«*", '*"ja"*', "**", "*", "* *", "*a* *", "**a** **b**", "*a**b*", "*a*b*",
    "**a*b**", "*a\nb*",
    "[a](https://x.dk \"t\")", "[a](javascript:alert(1))", "[a](https://x.dk/a&b)",
    "[a](https://x.dk/(a))", "[a]( https://x.dk)", "[a](<https://x.dk>)", "![a](https://x.dk)",
    "[a] (https://x.dk)", "[*a*](https://x.dk)", "[a](https://æ.dk)", "[https://x.dk](https://x.dk)",
    "[a](https://x.dk)b", "[a](https://x.dk)!", "[ a](https://x.dk)", "[a ](https://x.dk)",
    "[a](ftp://x.dk)", "[a](https://)", "[a](HTTPS://X.DK)", "[a](https://x.dk/'a')", "[a]",
    "[a][b]", "[a](/lokal)", "[a](#anker)", "[a](https://x.dk/a\\b)", "[a](https://x.dk/\"a)",
    "[a\nb](https://x.dk)", "[a](https://x.dk)[b](https://y.dk)", "[a](www.x.dk)",
]  # fmt: skip
AFTER_SPAN = ["", "", "", ",", ".", ":", ";", "!", ")", "x", "'", "-", "*", "\\"]

rich_line = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(WORDS), st.sampled_from(SPANS), st.sampled_from(NEAR_SPANS)),
        st.sampled_from(AFTER_SPAN),
        st.sampled_from([" ", " ", " ", " ", "", "\n", "  "]),
    ),
    min_size=1,
    max_size=6,
).map(lambda parts: "".join(word + after + space for word, after, space in parts).strip(" \n"))


@st.composite
def list_block(draw: st.DrawFn) -> str:
    """A list: mostly simple, sometimes with mixed markers, odd numbers or continued items."""
    items = draw(st.lists(st.one_of(rich_line, words), min_size=1, max_size=4))
    ordered = draw(st.booleans())
    bullet = draw(st.sampled_from("-+*"))
    delimiter = draw(st.sampled_from(".)"))
    start = draw(st.sampled_from(["1", "1", "2", "0", "9", "10", "007", "123456789", "1234567890"]))
    lines = []
    for number, item in enumerate(items):
        if ordered:
            numeral = (
                (str(int(start) + number) if number else start)
                if draw(st.integers(0, 4))
                else draw(st.sampled_from(["1", "5", "01", "x"]))
            )
            marker = numeral + (
                delimiter if draw(st.integers(0, 6)) else draw(st.sampled_from(".)"))
            )
        else:
            marker = bullet if draw(st.integers(0, 6)) else draw(st.sampled_from("-+*"))
        space = " " if draw(st.integers(0, 6)) else draw(st.sampled_from(["  ", "", "\t", "   "]))
        lines.append(marker + space + item)
        if draw(st.integers(0, 8)) == 0:
            lines.append(draw(st.sampled_from(["  fortsat", "fortsat", "   - under", "", "  "])))
    return "\n".join(lines)


#: A heading: mostly simple, sometimes with a closing sequence or an odd level or space.
heading = st.tuples(
    st.sampled_from(["#", "##", "###", "####", "#####", "######", "#######", " ###", "###\t"]),
    st.sampled_from([" ", " ", " ", "  ", ""]),
    st.one_of(rich_line, words),
    st.sampled_from(["", "", "", " ###", "#", " #", "\ntekst", "\n==="]),
).map("".join)


@st.composite
def table(draw: st.DrawFn) -> str:
    """A pipe table: mostly simple, sometimes with odd cells, rows or delimiters."""
    columns = draw(st.integers(1, 4))
    cell = st.one_of(
        st.sampled_from(["Mio. kr.", "2016", "-1,1", "19,8", "Anlæg", "I alt", "1.200", "1."]),
        st.sampled_from(SPANS),
        st.sampled_from(NEAR_SPANS),
        words,
        st.sampled_from(["", " ", "a \\| b", "`x`", "<b>", "---", ":--"]),
    )
    rule = st.sampled_from(["---", "---:", ":---", ":---:", "-", ":-:", " --- ", "--", "", "=="])
    rows = [
        [draw(cell) for _ in range(columns + (draw(st.integers(0, 12)) == 0))]
        for _ in range(draw(st.integers(2, 4)))
    ]
    rules = [draw(rule) for _ in range(columns)]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|" + "|".join(rules) + "|")
    if draw(st.integers(0, 10)) == 0:
        lines[draw(st.integers(0, len(lines) - 1))] = draw(st.sampled_from(["a | b", "| a", ""]))
    return "\n".join(lines)


#: A section of rich paragraphs, lists, headings, tables and other blocks.
rich_section = sections(
    st.one_of(
        st.lists(rich_line, min_size=1, max_size=3).map("\n".join),
        list_block(),
        heading,
        table(),
        st.sampled_from(PLAIN_BLOCKS),
        st.sampled_from(OTHER),
    ),
    1,
    6,
)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rich_section)
@example("**Bemærk:** " + PROSE[1])
@example("Se [a](https://x.dk).\n\n- a\n- b\n\n1. c\n2. d")
@example("- a\n\n" + LONG + "\n\n- b")
@example("1. a\n\n" + LONG + "\n\n1. b")
@example("- a\n\n    kode")
@example("Tekst\n\n- a\n\n  fortsat\n\n" + LONG)
@example("# A\n\nx\n\n## B\n\n#### C\n\n###### D\n\n### E")
@example("### A\n\n- a\n- b\n\n#### B\n\n" + LONG)
@example("- a\n\n| A | B |\n|---|:-:|\n| 1 | 2 |\n\n1. b")
def test_rich_sections_render_as_mistune_does(source: str) -> None:
    assert_exact(source)
    with min_block(1):
        assert fast_pair(source) == mistune_path(source), repr(source)


def _after(span: str, after: str) -> str:
    """``after`` unless ``span`` closes after ``.:)``: then only a space may follow."""
    return "" if span.endswith("*") and span.rstrip("*")[-1] in ".:)" else after


#: Lines, paragraphs and lists the fast path must take: only spans that are certainly simple.
simple_line = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(WORDS[:-2]), st.sampled_from(SPANS)),  # no "!" or '"' alone
        st.sampled_from(["", "", ",", ".", ":"]),
    ),
    min_size=1,
    max_size=6,
).map(lambda parts: "Sagen " + " ".join(word + _after(word, after) for word, after in parts))
simple_paragraph = st.tuples(
    st.sampled_from(["Byrådet", "Øst", "**Bemærk:**", "[Sagen](https://x.dk/s)", "*Tabel*"]),
    st.lists(simple_line, min_size=1, max_size=3).map("\n".join),
).map(" ".join)
simple_list = st.tuples(
    st.sampled_from(["- ", "+ ", "* ", "1. ", "3) "]), st.lists(simple_line, min_size=1, max_size=4)
).map(
    lambda marker_items: "\n".join(
        (marker_items[0] if not marker_items[0][0].isdigit() else f"{n + 1}{marker_items[0][1:]}")
        + item
        for n, item in enumerate(marker_items[1])
    )
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(simple_paragraph, min_size=1, max_size=3),
    st.lists(simple_list, min_size=0, max_size=2),
)
def test_simple_spans_and_lists_always_take_the_fast_path(
    paragraphs: list[str], lists: list[str]
) -> None:
    # Lists only between paragraphs: a list next to a list would be one loose list.
    blocks_ = [paragraphs[0]]
    for index, paragraph in enumerate(paragraphs[1:]):
        if index < len(lists):
            blocks_.append(lists[index])
        blocks_.append(paragraph)
    assert assert_exact("\n\n".join(blocks_))


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("**Bemærk:** Tekst.", "<p><strong>Bemærk:</strong> Tekst.</p>"),
        ("Begrebet *x* bruges.", "<p>Begrebet <em>x</em> bruges.</p>"),
        ("Se [her](https://x.dk/a).", '<p>Se <a href="https://x.dk/a">her</a>.</p>'),
        ("A:\n\n- b\n- c", "<p>A:</p>\n<ul>\n<li>b</li>\n<li>c</li>\n</ul>"),
        ("A:\n\n3) b\n9) c", '<p>A:</p>\n<ol start="3">\n<li>b</li>\n<li>c</li>\n</ol>'),
        ("# A\n\n#### B\n\n### C *d*", "<h4>A</h4>\n<h5>B</h5>\n<h4>C <em>d</em></h4>"),
        (
            "| A | **B** |\n|---|---:|\n| a | -1,1 |",
            '<table>\n<thead>\n<tr>\n  <th>A</th>\n  <th style="text-align:right">'
            "<strong>B</strong></th>\n</tr>\n</thead>\n<tbody>\n<tr>\n  <td>a</td>\n"
            '  <td style="text-align:right">-1,1</td>\n</tr>\n</tbody>\n</table>',
        ),
    ],
)
def test_spans_and_lists_take_the_fast_path(source: str, html: str) -> None:
    assert assert_exact(source)
    assert fast_pair(source)[0] == html
