"""``referat fmt``: canonical sources, the same meaning, idempotent; refuses what it cannot read."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referat.config import DEFAULT_SECTIONS, Config
from referat.fmt import Refused, format_item_text, format_meeting_text, space_markdown
from referat.validate import check

from .conftest import EXAMPLES, ITEM, MEETING, invoke, tree_digest, write_meeting

SPECS = DEFAULT_SECTIONS["da"]


def _fmt_item(text: str) -> str:
    return format_item_text(text, Path("01-x.md"), Config(), SPECS)


def _built(source: Path, out: Path) -> dict[str, str]:
    """Digests of the public and the internal build (HTML, Markdown, JSON) of ``source``."""
    digests: dict[str, str] = {}
    for edition in ("public", "internal"):
        target = out / edition
        result = invoke(
            "build", source, "-o", target, "-f", "html", "-f", "md", "-f", "json",
            "--edition", edition,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        # Hidden entries (the build's cache and marker) are not output.
        digests.update(
            {f"{edition}/{k}": v for k, v in tree_digest(target).items() if "/." not in f"/{k}"}
        )
    return digests


# ---------------------------------------------------------------------------------------
# The examples


def test_the_examples_formatted_pass_check_and_build_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    monkeypatch.chdir(tmp_path)
    result = invoke("fmt", "examples")
    assert result.exit_code == 0, result.output
    check = invoke("fmt", "--check", "examples")
    assert check.exit_code == 0, check.output
    assert check.stdout == ""
    assert _built(EXAMPLES, tmp_path / "before") == _built(copy, tmp_path / "after")
    # Only YAML quoting changes in the examples; every body is canonical already.
    for path in sorted(copy.rglob("[0-9]*-*.md")):
        original = (EXAMPLES / path.relative_to(copy)).read_text(encoding="utf-8")
        formatted = path.read_text(encoding="utf-8")
        assert formatted.split("\n---\n", 1)[1] == original.split("\n---\n", 1)[1]


def test_fmt_leaves_the_examples_folder_alone_with_check() -> None:
    before = tree_digest(EXAMPLES)
    invoke("fmt", "--check", EXAMPLES)
    assert tree_digest(EXAMPLES) == before


# ---------------------------------------------------------------------------------------
# --check


def test_a_reordered_front_matter_fails_check_and_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting = write_meeting(tmp_path / "m")
    invoke("fmt", meeting)
    assert invoke("fmt", "--check", meeting).exit_code == 0
    item = meeting / "01-foerste.md"
    text = item.read_text(encoding="utf-8")
    reordered = text.replace("title: Første sag\ncase: 20/1\n", "case: 20/1\ntitle: Første sag\n")
    assert reordered != text
    item.write_text(reordered, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke("fmt", "--check", "m")
    assert result.exit_code == 1
    assert result.stdout == "m/01-foerste.md\n"
    assert "1 file would be reformatted" in result.stderr
    assert item.read_text(encoding="utf-8") == reordered  # --check writes nothing
    result = invoke("fmt", "m")
    assert result.exit_code == 0
    assert result.stdout == "m/01-foerste.md\n"
    assert item.read_text(encoding="utf-8") == text


def test_check_lists_every_file_that_would_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_meeting(
        tmp_path / "m",
        {"meeting.yaml": "date: 2021-03-01\nbody: Direktionen\n", "01-foerste.md": ITEM.format(
            title="Første sag", number=1
        ).replace("\n", "\r\n")},
    )  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = invoke("fmt", "--check", ".")
    assert result.exit_code == 1
    # conftest's items quote their case numbers, which the canonical form does not.
    assert result.stdout.splitlines() == ["m/meeting.yaml", "m/01-foerste.md", "m/02-anden.md"]


# ---------------------------------------------------------------------------------------
# What fmt refuses


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("---\ntitle: [T\ncase: 20/1\n---\n\n## Baggrund\n\nx\n", "RF101"),
        ("## Baggrund\n\nx\n", "RF103"),
        ("---\ntitle: T\ncase: 20/1\n\n## Baggrund\n", "RF104"),
        ("---\ntitle: T\ncase: 20/1\n---\n\n## Baggrnd\n\nx\n", "RF201"),
        ("---\ntitle: T\ncase: 20/1\n---\n\n## Baggrund\n\nx\n\n## Baggrund\n\ny\n", "RF202"),
        ("---\ntitle: T\ncase: 20/1\n---\n\nIndledning\n\n## Baggrund\n\nx\n", "RF206"),
        ("---\ntitle: T\ncase: 20/1\n---\n\n# Overskrift\n\n## Baggrund\n\nx\n", "RF209"),
        ("---\ntitle: T\ntitle: U\ncase: 20/1\n---\n\n## Baggrund\n\nx\n", "RF113"),
        ("---\ntitle: T # a comment\ncase: 20/1\n---\n\n## Baggrund\n\nx\n", "fmt"),
        (b"---\ntitle: \xff\n---\n", "RF001"),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith(("RF", "fmt")) else "",
)
def test_sources_that_do_not_validate_are_refused_and_left_alone(
    tmp_path: Path, content: str | bytes, code: str
) -> None:
    meeting = write_meeting(
        tmp_path / "m",
        {
            "01-foerste.md": content
            if isinstance(content, bytes)
            else content.replace("\n", "\r\n"),
            "02-anden.md": ITEM.format(title="Anden", number=2) + "\n\n\n",
        },
    )
    before = (meeting / "01-foerste.md").read_bytes()
    stamp = (meeting / "01-foerste.md").stat().st_mtime_ns
    result = invoke("fmt", meeting)
    assert result.exit_code == 1
    assert "01-foerste.md:" in result.stderr and f"[{code}]" in result.stderr
    assert "not formatted" in result.stderr
    assert "Traceback" not in result.output
    assert (meeting / "01-foerste.md").read_bytes() == before
    assert (meeting / "01-foerste.md").stat().st_mtime_ns == stamp
    # The other files are formatted all the same.
    assert (meeting / "02-anden.md").read_text(encoding="utf-8").endswith("sag 2.\n")


def test_a_broken_meeting_yaml_is_refused(tmp_path: Path) -> None:
    meeting = write_meeting(tmp_path / "m", {"meeting.yaml": "body: Direktionen\ndate: 1-3-2021\n"})
    result = invoke("fmt", meeting)
    assert result.exit_code == 1
    assert "[RF109]" in result.stderr
    assert (meeting / "meeting.yaml").read_text(encoding="utf-8").endswith("1-3-2021\n")


def test_a_broken_configuration_refuses_its_meetings(tmp_path: Path) -> None:
    (tmp_path / "referat.yaml").write_text("sections: []\n", encoding="utf-8")
    meeting = write_meeting(
        tmp_path / "m", {"01-foerste.md": ITEM.format(title="T", number=1) + "\n\n"}
    )
    result = invoke("fmt", meeting)
    assert result.exit_code == 1
    assert "[RF116]" in result.stderr
    assert (meeting / "01-foerste.md").read_text(encoding="utf-8").endswith("\n\n\n")


def test_paths_that_are_not_sources_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    assert invoke("fmt", tmp_path / "notes.txt").exit_code == 2
    assert invoke("fmt", tmp_path).exit_code == 2
    assert invoke("fmt", tmp_path / "missing").exit_code == 2


# ---------------------------------------------------------------------------------------
# Writing


def test_canonical_files_are_not_written(tmp_path: Path) -> None:
    meeting = write_meeting(tmp_path / "m")
    invoke("fmt", meeting)
    stamps = {p: p.stat().st_mtime_ns for p in meeting.iterdir()}
    inodes = {p: p.stat().st_ino for p in meeting.iterdir()}
    result = invoke("fmt", meeting)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert {p: p.stat().st_mtime_ns for p in meeting.iterdir()} == stamps
    assert {p: p.stat().st_ino for p in meeting.iterdir()} == inodes


def test_the_file_mode_is_kept_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    meeting = write_meeting(
        tmp_path / "m", {"01-foerste.md": ITEM.format(title="T", number=1) + "\n\n"}
    )
    item = meeting / "01-foerste.md"
    os.chmod(item, 0o640)
    assert invoke("fmt", item).exit_code == 0
    assert stat.S_IMODE(item.stat().st_mode) == 0o640
    assert item.read_text(encoding="utf-8").endswith("sag 1.\n")
    assert sorted(p.name for p in meeting.iterdir()) == [
        "01-foerste.md",
        "02-anden.md",
        "meeting.yaml",
    ]


def test_a_single_file_can_be_formatted(tmp_path: Path) -> None:
    meeting = write_meeting(tmp_path / "m", {"meeting.yaml": "date: 2021-03-01\nbody: B\n"})
    assert invoke("fmt", meeting / "meeting.yaml").exit_code == 0
    assert (meeting / "meeting.yaml").read_text(encoding="utf-8") == "body: B\ndate: 2021-03-01\n"


# ---------------------------------------------------------------------------------------
# The canonical form


def test_yaml_keys_in_field_order_and_values_kept() -> None:
    text = (
        "# yaml-language-server: $schema=../meeting.schema.json\n"
        "\n"
        "location: 'Mødelokale 1'\n"
        "time: 9:30\n"
        "end: 10:00\n"  # unquoted, this is the number 600 to YAML 1.1
        "participants: [Lars Holte, 'Jørgen: Lerhard']\n"
        "date: 2021-03-01\n"
        "body: Direktionen\n"
        "approved: '2021-03-08'\n"
    )
    assert format_meeting_text(text, Path("meeting.yaml")) == (
        "# yaml-language-server: $schema=../meeting.schema.json\n"
        "body: Direktionen\n"
        "date: 2021-03-01\n"
        'time: "09:30"\n'
        'end: "10:00"\n'
        "location: Mødelokale 1\n"
        "participants:\n"
        "  - Lars Holte\n"
        "  - 'Jørgen: Lerhard'\n"
        "approved: '2021-03-08'\n"
    )


def test_text_that_yaml_would_read_as_something_else_stays_text() -> None:
    text = "---\ntitle: 10:00\ncase: 20/1\npublic_summary: yes\nclosed: yes\n---\n"
    formatted = _fmt_item(text)
    assert formatted == (
        "---\ntitle: '10:00'\ncase: 20/1\nclosed: true\npublic_summary: 'yes'\n---\n"
    )


def test_attachment_entries_keep_their_form() -> None:
    text = (
        "---\ntitle: T\ncase: 20/1\nattachments:\n- Notat\n"
        "- {public: false, file: bilag/a.pdf, title: Bilag A}\n---\n"
    )
    assert _fmt_item(text) == (
        "---\ntitle: T\ncase: 20/1\nattachments:\n  - Notat\n"
        "  - title: Bilag A\n    file: bilag/a.pdf\n    public: false\n---\n"
    )


def test_sections_in_configured_order_with_one_blank_line_around_headings() -> None:
    text = (
        "---\r\ncase: 20/1\r\ntitle: T\r\n---\r\n"
        "## Beslutning\r\nGodkendt.\r\n\r\n\r\n"
        "## Baggrund   \r\n\r\n\r\nLinje med linjeskift  \r\nog mere\r\n"
        "### Underoverskrift\r\nTekst.\r\n\r\n\r\n\r\nTekst igen.\r\n"
        "```\r\n## ikke en overskrift\r\n\r\n\r\n```\r\n"
    )
    assert _fmt_item(text) == (
        "---\ntitle: T\ncase: 20/1\n---\n\n"
        "## Baggrund   \n\nLinje med linjeskift  \nog mere\n\n"
        "### Underoverskrift\n\nTekst.\n\nTekst igen.\n"
        "```\n## ikke en overskrift\n\n\n```\n\n"
        "## Beslutning\n\nGodkendt.\n"
    )


def test_a_closed_item_without_a_body() -> None:
    assert _fmt_item("---\ntitle: T\ncase: 20/1\nclosed: true\n---\n\n\n") == (
        "---\ntitle: T\ncase: 20/1\nclosed: true\n---\n"
    )


def test_an_empty_section_keeps_its_heading() -> None:
    text = "---\ntitle: T\ncase: 20/1\n---\n## Baggrund\n## Beslutning\n\n\nOK"
    assert (
        _fmt_item(text) == "---\ntitle: T\ncase: 20/1\n---\n\n## Baggrund\n\n## Beslutning\n\nOK\n"
    )


def test_indented_code_keeps_its_blank_lines() -> None:
    text = (
        "---\ntitle: T\ncase: 20/1\n---\n\n## Baggrund\n\nKode:\n\n    a\n\n\n    b\n\n\n\nSlut.\n"
    )
    formatted = _fmt_item(text)
    assert "    a\n\n\n    b\n" in formatted


def test_a_sub_heading_inside_an_html_block_is_left_as_it_is() -> None:
    # A blank line would end the HTML block and make the line a heading.
    text = "---\ntitle: T\ncase: 20/1\n---\n\n## Baggrund\n\n<div>\n### x\n</div>\n"
    assert _fmt_item(text) == text


def test_an_unclosed_fence_keeps_its_content() -> None:
    text = "---\ntitle: T\ncase: 20/1\n---\n\n## Baggrund\n\n```\ncode\n\n\n"
    assert _fmt_item(text) == text


def test_a_byte_order_mark_is_dropped() -> None:
    text = "---\ntitle: T\ncase: 20/1\n---\n\n## Baggrund\n\nx\n"
    assert _fmt_item("\ufeff" + text) == text


def test_a_comment_inside_the_yaml_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        _fmt_item("---\ntitle: T\n# about the case\ncase: 20/1\n---\n")
    assert refused.value.problems[0].line == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("\n\n", ""),
        ("a\n\n\n\nb", "a\n\nb\n"),
        ("a\n  \n\t\nb\n", "a\n\nb\n"),
        ("a\n  \nb\n", "a\n  \nb\n"),  # one blank line is kept as it is
        ("a\n### h\nb\n", "a\n\n### h\n\nb\n"),
        ("   #### h ###\nb\n", "   #### h ###\n\nb\n"),
        ("a\n#hashtag\nb\n", "a\n#hashtag\nb\n"),
        ("~~~\n### h\n\n\n~~~\n### h\n", "~~~\n### h\n\n\n~~~\n\n### h\n"),
        ("``` not `a fence`\n### h\n", "``` not `a fence`\n\n### h\n"),
    ],
)
def test_blank_lines(text: str, expected: str) -> None:
    assert space_markdown(text) == expected
    assert space_markdown(expected) == expected


# ---------------------------------------------------------------------------------------
# Properties: idempotent, and the built output is the same


WORDS = st.sampled_from(
    ["Direktionen", "drøftede", "sagen", "økonomi", "på", "ældreområdet", "Åben", "skole",
     "*vigtigt*", "`kode`", "[link](https://example.org)", "20/6598", "§", "–", "{{ x }}"]
)  # fmt: skip
LINE = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)
BLANK = st.sampled_from(["", "", "", "  ", "\t"])


@st.composite
def blanks(draw: st.DrawFn) -> list[str]:
    return draw(st.lists(BLANK, max_size=3))


@st.composite
def block(draw: st.DrawFn) -> list[str]:
    """A Markdown block, as people write them and as fmt must be careful with."""
    kind = draw(st.sampled_from(sorted(BLOCKS)))
    return BLOCKS[kind](draw)


def _lines(draw: st.DrawFn, least: int = 1, most: int = 3) -> list[str]:
    return draw(st.lists(LINE, min_size=least, max_size=most))


def _fence(draw: st.DrawFn) -> list[str]:
    mark = draw(st.sampled_from(["```", "~~~", "````"]))
    fake = st.sampled_from(["## fake heading", "### fake", "# fake"])
    inner = draw(st.lists(st.one_of(LINE, BLANK, fake), max_size=5))
    return [mark + draw(st.sampled_from(["", "python", " text"])), *inner, mark]


def _indented_code(draw: st.DrawFn) -> list[str]:
    inner = draw(st.lists(st.one_of(LINE, st.just("")), min_size=1, max_size=4))
    return [("    " + line if line else "") for line in inner] + ["    x"]


BLOCKS: dict[str, Callable[[st.DrawFn], list[str]]] = {
    "paragraph": lambda draw: _lines(draw),
    "hard break": lambda draw: [draw(LINE) + "  ", draw(LINE)],
    "list": lambda draw: ["- " + line for line in _lines(draw)],
    "ordered list": lambda draw: [f"{i}. {line}" for i, line in enumerate(_lines(draw), 1)],
    "list with a heading": lambda draw: [
        "- " + draw(LINE),
        "  ### " + draw(LINE),
        "  " + draw(LINE),
    ],
    "fenced code": _fence,
    "sub-heading": lambda draw: [
        draw(st.sampled_from(["###", "####", "#####"])) + " " + draw(LINE)
    ],
    "quote": lambda draw: ["> " + line for line in _lines(draw, most=2)],
    "table": lambda draw: ["| a | b |", "|---|--:|", f"| {draw(LINE)} | 1 |"],
    "indented code": _indented_code,
    "html": lambda draw: ["<div>", draw(LINE), "</div>"],
}


@st.composite
def section_text(draw: st.DrawFn) -> list[str]:
    lines: list[str] = draw(blanks())
    for piece in draw(st.lists(block(), max_size=4)):
        lines += piece
        lines += draw(blanks())
    return lines


@st.composite
def item_sources(draw: st.DrawFn, ends: tuple[str, ...] = ("", "\n", "\n\n")) -> tuple[str, str]:
    """An item file with its sections shuffled, and the same file with them in order.

    The text after the last line is one of ``ends``; where the renderer sees a fence left
    open at the end of a section, its blank lines there are code, so the two files mean
    the same only when that text is a single newline.
    """
    closed = draw(st.booleans())
    front = [
        "title: " + draw(st.sampled_from(["Økonomi", '"Åben: skole"', "'Sag 1'", "10:00"])),
        "case: " + draw(st.sampled_from(["20/6598", '"20/6598"', "'21/1'"])),
    ]
    if closed or draw(st.booleans()):
        front.append("closed: " + ("true" if closed else "false"))
    if closed and draw(st.booleans()):
        front.append("public_summary: Direktionen traf en beslutning.")
    if draw(st.booleans()):
        front.append("addendum: " + draw(st.sampled_from(["true", "false", "yes"])))
    if draw(st.booleans()):
        indent = draw(st.sampled_from(["", "  "]))
        entries = ["- Notat", "- title: Oplæg\n  public: false", "- {public: true, title: B}"]
        chosen_entries = draw(st.lists(st.sampled_from(entries), min_size=1, max_size=3))
        front.append(
            "\n".join(
                ["attachments:"] + [indent + line for e in chosen_entries for line in e.split("\n")]
            )
        )
    front = draw(st.permutations(front))
    chosen = [s for s in SPECS if s.required or draw(st.booleans())]
    sections = []
    for spec in chosen:
        heading = "## " + draw(
            st.sampled_from([spec.heading, spec.heading.upper(), spec.heading + "  "])
        )
        sections.append([heading, *draw(section_text())])
    shuffled = draw(st.permutations(sections))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    end = draw(st.sampled_from(ends))
    lead = draw(blanks())

    def text(parts: list[list[str]]) -> str:
        head = [line for entry in front for line in entry.split("\n")]
        lines = ["---", *head, "---", *lead, *[line for part in parts for line in part]]
        return newline.join(lines) + end

    return text(list(shuffled)), text(sections)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item_sources())
def test_fmt_is_idempotent(sources: tuple[str, str]) -> None:
    for text in sources:
        once = _fmt_item(text)
        assert _fmt_item(once) == once
        assert once.endswith("\n")
        assert "\r" not in once


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item_sources(ends=("\n",)))
def test_section_order_makes_no_difference(sources: tuple[str, str]) -> None:
    shuffled, ordered = sources
    assert _fmt_item(shuffled) == _fmt_item(ordered)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item_sources())
def test_the_formatted_item_builds_the_same(sources: tuple[str, str]) -> None:
    original_text = sources[1]  # sections out of order would not build (RF203)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = {"01-foerste.md": original_text.encode()}
        original = write_meeting(root / "a" / "2021-03-01", files)
        formatted = write_meeting(root / "b" / "2021-03-01", files)
        result = invoke("fmt", formatted)
        assert result.exit_code == 0, result.output
        assert invoke("fmt", "--check", formatted).exit_code == 0
        assert _built(original, root / "out-a") == _built(formatted, root / "out-b")


@settings(max_examples=30, deadline=None)
@given(
    st.permutations(MEETING.splitlines()),
    st.sampled_from(["\n", "\r\n"]),
    st.sampled_from(["", "\n", "\n\n\n"]),
)
def test_meeting_yaml_in_any_key_order_is_canonical_after_fmt(
    lines: list[str], newline: str, end: str
) -> None:
    text = newline.join(lines) + end
    once = format_meeting_text(text, Path("meeting.yaml"))
    assert once == MEETING
    assert format_meeting_text(once, Path("meeting.yaml")) == once


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item_sources())
def test_the_approval_digest_does_not_see_what_fmt_changes(sources: tuple[str, str]) -> None:
    # referat lock's digest is taken over the meaning that fmt keeps (digest.py).
    digest = pytest.importorskip("referat.digest")
    shuffled = sources[0]
    with tempfile.TemporaryDirectory() as folder:
        meeting = write_meeting(Path(folder) / "2021-03-01", {"01-foerste.md": shuffled.encode()})
        before = digest.manifest(check([meeting]).meetings[0])
        (meeting / "01-foerste.md").write_text(_fmt_item(shuffled), encoding="utf-8")
        assert digest.manifest(check([meeting]).meetings[0]) == before
