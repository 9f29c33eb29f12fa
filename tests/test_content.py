"""Section content: raw HTML escaped, unsafe links neutralised, images made links, headings fit."""

from __future__ import annotations

from html.parser import HTMLParser

import mistune
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from referat.content import is_safe_url, render
from referat.parse import _candidates, split_body
from referat.render.templates import md_inline

#: Elements section content may produce; anything else means raw HTML got through.
ALLOWED = {
    "p", "a", "em", "strong", "code", "pre", "ul", "ol", "li", "h4", "h5", "h6", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "del", "br", "hr",
}  # fmt: skip

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<svg onload="alert(1)"><circle/></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    '<base href="https://evil.example/">',
    '<form action="https://evil.example"><button>Send</button></form>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[a](javascript:alert(1))",
    "[a](JAVASCRIPT:alert(1))",
    "[a](vbscript:msgbox(1))",
    "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[a](&#106;&#97;vascript:alert(1))",
    "[a](&#x6A;avascript&#x3A;alert(1))",
    "[a](javascript&colon;alert(1))",
    "[a](<javascript:alert(1)>)",
    "[a]( javascript:alert(1))",
    "<javascript:alert(1)>",
    "![a](javascript:alert(1))",
    "![a](https://evil.example/pixel.gif)",
    "[a][r]\n\n[r]: javascript:alert(1)",
    "[a][r]\n\n[r]: data:text/html,x",
    '<a href="https://x" onclick=alert(1)>x</a>',
    "``<script>`` and `</code><script>`",
]


class Elements(HTMLParser):
    """Collects every element and attribute of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(fragment: str) -> None:
    parser = Elements()
    parser.feed(fragment)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED, f"<{tag}> in {fragment!r}"
        for name, value in attrs:
            assert not name.startswith("on"), fragment
            assert name in ("href", "title", "style", "class"), f"{name} in {fragment!r}"
            if name == "href":
                assert value is not None and is_safe_url(value), fragment
            if name == "style":
                assert value is not None and value.startswith("text-align:"), fragment
            if name == "class":  # a fence's info string, escaped: no other attribute can follow
                assert tag == "code" and value is not None, fragment
                assert value.startswith("language-"), fragment


@pytest.mark.parametrize("payload", XSS)
def test_payload_is_inert_in_html(payload: str) -> None:
    assert_inert(render(payload).html)


@pytest.mark.parametrize("payload", XSS)
def test_payload_is_inert_in_markdown_rendered_anywhere(payload: str) -> None:
    # The Markdown output stays safe even where a renderer passes raw HTML through.
    permissive = mistune.create_markdown(escape=False, plugins=["table", "strikethrough", "url"])
    assert_inert(str(permissive(render(payload).markdown)))


def test_unsafe_link_keeps_its_text() -> None:
    assert render("[læs mere](javascript:alert(1))").html == "<p>læs mere</p>"


def test_image_becomes_a_link_no_request() -> None:
    rendered = render("![Kort over området](https://example.org/kort.png)")
    assert rendered.html == '<p><a href="https://example.org/kort.png">Kort over området</a></p>'
    assert "<img" not in rendered.html


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.org", True),
        ("mailto:a@example.org", True),
        ("bilag/notat.pdf", True),
        ("#punkt-2", True),
        ("javascript:x", False),
        (" JaVa\tScRiPt:x", False),
        ("&#106;avascript:x", False),
        ("data:image/png;base64,xx", False),
        ("file:///etc/passwd", False),
    ],
)
def test_is_safe_url(url: str, safe: bool) -> None:
    assert is_safe_url(url) is safe


def test_sub_headings_are_placed_under_the_section_without_skipping() -> None:
    html = render("#### Deep first\n\n### Sub\n\n##### Deeper\n\n###### Deepest").html
    assert [line[:4] for line in html.splitlines()] == ["<h4>", "<h4>", "<h5>", "<h6>"]


def test_table_round_trips_to_markdown() -> None:
    source = "| A | B |\n|:--|--:|\n| 1 \\| x | **2** |"
    markdown = render(source).markdown
    assert markdown == "| A | B |\n| :--- | ---: |\n| 1 \\| x | **2** |"
    assert render(markdown).html == render(source).html


def test_scanner_skips_fenced_code_and_finds_lines() -> None:
    body = (
        "lead\n## Baggrund\ntext\n```md\n## not a section\n```\n~~~\n# nor this\n~~~\n"
        "   ## Beslutning ##\nend\n"
    )
    parts = split_body(body, 10)
    assert [(p.heading.text if p.heading else None, p.line) for p in parts] == [
        (None, 10),
        ("Baggrund", 12),
        ("Beslutning", 20),
    ]
    assert parts[2].heading is not None and parts[2].heading.column == 4
    assert "## not a section" in parts[1].text


def _candidate_lines(body: str) -> list[int]:
    """The scanner's candidates the slow way: every line, one at a time."""
    offsets, at = [], 0
    for line in body.splitlines(keepends=True):
        if len(line) - len(line.lstrip(" ")) <= 3 and line.lstrip(" ").startswith(
            ("#", "```", "~~~")
        ):
            offsets.append(at)
        at += len(line)
    return offsets


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("#`~ \na")), max_size=80))
@example("a`b\n```\n")  # a backtick before the fence
@example("~\n ~~~\n#\n")
def test_scanner_candidates_are_the_lines_a_line_by_line_scan_finds(body: str) -> None:
    assert _candidates(body) == _candidate_lines(body)


def test_indented_code_and_hash_without_space_are_not_headings() -> None:
    parts = split_body("    ## code\n#hashtag\n## Baggrund\n", 1)
    assert [p.heading.text for p in parts if p.heading] == ["Baggrund"]


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("<>&\"'`*_[]()!#:/\\|-~ \nabcjavscript=x1")), max_size=200
    )
)
@example("~~~1")
@example('```a"onclick="x\nb\n```')
def test_any_markdown_renders_inert(text: str) -> None:
    rendered = render(text)
    assert_inert(rendered.html)


@pytest.mark.parametrize("payload", XSS)
def test_fields_written_into_markdown_lines_stay_inert(payload: str) -> None:
    line = md_inline("https://example.org" + payload)
    permissive = mistune.create_markdown(escape=False, plugins=["table", "strikethrough", "url"])
    assert_inert(str(permissive("## Punkt 1: " + line)).replace("<h2>", "<p>").replace("</h2>", ""))
