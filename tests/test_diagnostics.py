"""One broken source per diagnostic code, checked through the real command line.

Every case starts from a small valid meeting, breaks one thing, and states by hand where
the diagnostic must point: the file relative to the meeting folder, the line and the
column. A new code in ``referat.diagnostics.CODES`` fails ``test_every_code_has_a_case``
until it gets a broken source here (or a test of its own, listed in ``SEPARATE``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from referat.cli import app
from referat.diagnostics import CODES, Severity

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------------------
# The valid base meeting
# --------------------------------------------------------------------------------------

MEETING_YAML = "body: Direktionen\ndate: 2021-03-01\n"

#: Front matter of the base item, lines 2 and 3 of the file (lines 1 and 4 are '---').
FRONT = 'title: Sag\ncase: "20/1234"\n'

#: Body of the base item. After a two-line front matter it starts on line 5:
#:    5 (blank)          6 ## Baggrund     7 (blank)     8 Tekst.     9 (blank)
#:   10 ## Beslutning   11 (blank)        12 Besluttet.
BODY = "\n## Baggrund\n\nTekst.\n\n## Beslutning\n\nBesluttet.\n"


def item(front: str = FRONT, body: str = BODY) -> str:
    """An item file: '---' on line 1, ``front`` from line 2, a closing '---', ``body``."""
    return f"---\n{front}---\n{body}"


BASE: dict[str, str] = {"meeting.yaml": MEETING_YAML, "01-sag.md": item()}

Files = Mapping[str, str | bytes | None]


def write_base(root: Path, changes: Files | None = None) -> Path:
    """Write the base meeting into ``root/2021-03-01`` with ``changes`` applied; the folder.

    ``changes`` maps a path relative to the meeting folder to its text or bytes, or to
    None to leave out the base file of that name.
    """
    folder = root / "2021-03-01"
    folder.mkdir(parents=True)
    files: dict[str, str | bytes | None] = {**BASE, **(changes or {})}
    for name, content in files.items():
        if content is None:
            continue
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def run(*args: str | Path) -> Result:
    """Invoke the real CLI in-process; ``stdout`` and ``stderr`` are captured apart."""
    return CliRunner().invoke(app, [str(a) for a in args])


def records(result: Result) -> list[dict[str, Any]]:
    """The diagnostics printed by a ``--format json`` run."""
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def codes_at(result: Result) -> list[tuple[str, str, int, int]]:
    """(code, path, line, column) of each diagnostic of a ``--format json`` run."""
    return [(r["code"], r["path"], r["line"], r["column"]) for r in records(result)]


def is_root() -> bool:
    """Whether the tests run as root, which can read a file of mode 000."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


# --------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A broken meeting and where its diagnostic must point."""

    files: Files
    """Changes to the base meeting (see :func:`write_base`)."""
    path: str
    """File of the diagnostic, relative to the meeting folder."""
    line: int
    """Expected 1-based line, counted by hand in the file written."""
    column: int
    """Expected 1-based column, counted by hand."""
    also: frozenset[str] = field(default_factory=frozenset)
    """Other codes this source rightly gives; any code not named here fails the case."""
    setup: Callable[[Path], None] | None = None
    """What files cannot express (permissions, empty folders); called with the folder."""
    needs_non_root: bool = False
    """The broken source cannot be made when running as root."""


def _unreadable(folder: Path) -> None:
    (folder / "01-sag.md").chmod(0)


def _empty_bilag(folder: Path) -> None:
    (folder / "bilag").mkdir()


def attachments(*files: str) -> str:
    """Front matter with one attachment per file; entry N's file value is on line 4 + 2N.

    Lines: 2 title, 3 case, 4 'attachments:', 5 '  - title: Bilag 1', 6 '    file: ...'
    (the value at column 11), 7 '  - title: Bilag 2', 8 '    file: ...', and so on.
    """
    entries = "".join(f"  - title: Bilag {n}\n    file: {f}\n" for n, f in enumerate(files, 1))
    return FRONT + "attachments:\n" + entries


PDF = b"%PDF-1.4\n"

CASES: dict[str, Case] = {
    # RF0xx: files -------------------------------------------------------------------
    # Latin-1 "æ" (byte 0xe6) after "title: Sag " (11 characters): line 2, column 12.
    "RF001": Case(
        {"01-sag.md": item('title: Sag \xe6\ncase: "20/1234"\n').encode("latin-1")},
        "01-sag.md",
        2,
        12,
    ),
    # Mode 000: only a non-root user is refused. test_rf002_dangling_link runs as root too.
    "RF002": Case({}, "01-sag.md", 1, 1, setup=_unreadable, needs_non_root=True),
    # A valid item padded past 1 MiB.
    "RF003": Case({"01-sag.md": item(body=BODY + "x" * (1024 * 1024))}, "01-sag.md", 1, 1),
    # Item files in a folder without meeting.yaml: reported at the first item file.
    "RF004": Case({"meeting.yaml": None}, "01-sag.md", 1, 1),
    # RF1xx: YAML and front matter ---------------------------------------------------
    # "title: Sag: ekstra": the second ':' is at column 11.
    "RF101": Case({"01-sag.md": item('title: Sag: ekstra\ncase: "20/1234"\n')}, "01-sag.md", 2, 11),
    # "title: &t Sag": the anchor '&' is at column 8.
    "RF102": Case({"01-sag.md": item('title: &t Sag\ncase: "20/1234"\n')}, "01-sag.md", 2, 8),
    # The file starts with the body: no '---' on line 1.
    "RF103": Case({"01-sag.md": BODY.lstrip("\n")}, "01-sag.md", 1, 1),
    # No closing '---'; reported at the opening one.
    "RF104": Case(
        {"01-sag.md": "---\n" + FRONT + BODY},
        "01-sag.md",
        1,
        1,
    ),
    # A list instead of a mapping, starting on line 2.
    "RF105": Case({"01-sag.md": item("- Sag\n- 20/1234\n")}, "01-sag.md", 2, 1),
    # No "case": reported at the mapping, which starts on line 2, column 1.
    "RF106": Case({"01-sag.md": item("title: Sag\n")}, "01-sag.md", 2, 1),
    # "closd" on line 4 (did you mean "closed"?).
    "RF107": Case({"01-sag.md": item(FRONT + "closd: true\n")}, "01-sag.md", 4, 1),
    # "closed: nej" on line 4; "closed: " is 8 characters, so the value is at column 9.
    "RF108": Case({"01-sag.md": item(FRONT + "closed: nej\n")}, "01-sag.md", 4, 9),
    # 30 February on line 2; "date: " is 6 characters.
    "RF109": Case({"meeting.yaml": "body: Direktionen\ndate: 2021-02-30\n"}, "meeting.yaml", 2, 7),
    # "time: " is 6 characters; the value (its quote) is at column 7 of line 3.
    "RF110": Case({"meeting.yaml": MEETING_YAML + 'time: "9.30"\n'}, "meeting.yaml", 3, 7),
    # "case: " is 6 characters; line 3.
    "RF111": Case({"01-sag.md": item('title: Sag\ncase: "2021-1234"\n')}, "01-sag.md", 3, 7),
    # end on line 4; "end: " is 5 characters.
    "RF112": Case(
        {"meeting.yaml": MEETING_YAML + 'time: "10:00"\nend: "09:00"\n'}, "meeting.yaml", 4, 6
    ),
    # "title" on lines 2 and 3; reported at the second.
    "RF113": Case({"01-sag.md": item("title: Sag\n" + FRONT)}, "01-sag.md", 3, 1),
    # "phase: " is 7 characters; line 3.
    "RF114": Case({"meeting.yaml": MEETING_YAML + "phase: referat\n"}, "meeting.yaml", 3, 8),
    # "public_summary: " is 16 characters; line 4.
    "RF115": Case(
        {"01-sag.md": item(FRONT + "public_summary: Sagen blev godkendt.\n")}, "01-sag.md", 4, 17
    ),
    # referat.yaml in the meeting folder itself (the search starts there). The pattern
    # has an unclosed group; "case_pattern: " is 14 characters.
    "RF116": Case({"referat.yaml": "case_pattern: '^(\\d{2}/\\d+$'\n"}, "referat.yaml", 1, 15),
    # RF2xx: sections ----------------------------------------------------------------
    # "## Beslutnig" on line 10; the decision is then missing too (RF204).
    "RF201": Case(
        {"01-sag.md": item(body=BODY.replace("## Beslutning", "## Beslutnig"))},
        "01-sag.md",
        10,
        1,
        also=frozenset({"RF204"}),
    ),
    # A second "## Baggrund" after line 12: 13 (blank), 14 the heading.
    "RF202": Case(
        {"01-sag.md": item(body=BODY + "\n## Baggrund\n\nMere tekst.\n")}, "01-sag.md", 14, 1
    ),
    # Beslutning on line 6, Baggrund on line 10: reported at Beslutning.
    "RF203": Case(
        {"01-sag.md": item(body="\n## Beslutning\n\nBesluttet.\n\n## Baggrund\n\nTekst.\n")},
        "01-sag.md",
        6,
        1,
    ),
    # No Beslutning: reported on the body's first line, the line after the closing '---'.
    "RF204": Case({"01-sag.md": item(body="\n## Baggrund\n\nTekst.\n")}, "01-sag.md", 5, 1),
    # "## Beslutning" on line 10 with nothing under it: a warning.
    "RF205": Case(
        {"01-sag.md": item(body="\n## Baggrund\n\nTekst.\n\n## Beslutning\n\n")}, "01-sag.md", 10, 1
    ),
    # "Indledning." on line 6, before "## Baggrund" (now on line 7).
    "RF206": Case({"01-sag.md": item(body="\nIndledning.\n" + BODY)}, "01-sag.md", 6, 1),
    # An agenda whose item has "## Beslutning" (line 10).
    "RF207": Case({"meeting.yaml": MEETING_YAML + "phase: agenda\n"}, "01-sag.md", 10, 1),
    # "## Bilag" after line 12: 13 (blank), 14 the heading.
    "RF208": Case({"01-sag.md": item(body=BODY + "\n## Bilag\n\n- Notat\n")}, "01-sag.md", 14, 1),
    # "# Sag" on line 6.
    "RF209": Case({"01-sag.md": item(body="\n# Sag\n" + BODY)}, "01-sag.md", 6, 1),
    # RF3xx: items as a set ---------------------------------------------------------
    "RF301": Case({"noter.md": "Noter til mødet.\n"}, "noter.md", 1, 1),
    # 01-sag.md and 01-tillaeg.md: reported at the second by name.
    "RF302": Case({"01-tillaeg.md": item()}, "01-tillaeg.md", 1, 1),
    # 01 then 03: reported at the item after the gap.
    "RF303": Case({"03-tredje.md": item()}, "03-tredje.md", 1, 1),
    # No item files at all: reported at meeting.yaml.
    "RF304": Case({"01-sag.md": None}, "meeting.yaml", 1, 1),
    # RF4xx: attachments ------------------------------------------------------------
    "RF401": Case({"01-sag.md": item(attachments("bilag/notat.pdf"))}, "01-sag.md", 6, 11),
    "RF402": Case({"01-sag.md": item(attachments("../notat.pdf"))}, "01-sag.md", 6, 11),
    # A file in the meeting folder that no item lists: a warning at the file.
    "RF403": Case({"bilag/notat.pdf": PDF}, "bilag/notat.pdf", 1, 1),
    # "file: bilag" names an (empty) folder.
    "RF404": Case(
        {"01-sag.md": item(attachments("bilag"))}, "01-sag.md", 6, 11, setup=_empty_bilag
    ),
    # "notat.pdf" is published as bilag/notat.pdf, and so is "bilag/notat.pdf": reported
    # at the second entry's file value, line 8.
    "RF405": Case(
        {
            "01-sag.md": item(attachments("notat.pdf", "bilag/notat.pdf")),
            "notat.pdf": PDF,
            "bilag/notat.pdf": PDF,
        },
        "01-sag.md",
        8,
        11,
    ),
}

#: Codes that a test of their own covers instead of a case.
SEPARATE = frozenset(
    {"RF005"}
    # Across meetings: tests/test_crosscheck.py. Approval: tests/test_lock.py.
    | {"RF501", "RF502", "RF503", "RF504", "RF505", "RF601", "RF602", "RF603"}
)


def _params() -> list[Any]:
    out = []
    for code, case in CASES.items():
        marks: list[pytest.MarkDecorator] = []
        if case.needs_non_root:
            marks.append(pytest.mark.skipif(is_root(), reason="root can read a mode-000 file"))
        out.append(pytest.param(code, case, id=code, marks=marks))
    return out


def make(tmp_path: Path, case: Case) -> Path:
    """The broken meeting folder of ``case``."""
    folder = write_base(tmp_path, case.files)
    if case.setup is not None:
        case.setup(folder)
    return folder


def exit_code_for(codes: set[str]) -> int:
    """1 when any of ``codes`` is an error, else 0 (warnings alone pass without --strict)."""
    return 1 if any(CODES[c].severity is Severity.ERROR for c in codes) else 0


# --------------------------------------------------------------------------------------
# Every code, one broken source each
# --------------------------------------------------------------------------------------


def test_every_code_has_a_case() -> None:
    missing = set(CODES) - set(CASES) - SEPARATE
    assert not missing, f"codes without a broken source in CASES: {sorted(missing)}"
    assert set(CASES) <= set(CODES), f"unknown codes in CASES: {sorted(set(CASES) - set(CODES))}"
    assert not SEPARATE & set(CASES)
    assert set(CODES) >= SEPARATE


def test_base_meeting_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_base(tmp_path)
    monkeypatch.chdir(folder)
    result = run("validate", folder, "--format", "json")
    assert result.exit_code == 0, result.output
    assert records(result) == []
    strict = run("validate", folder, "--strict")
    assert strict.exit_code == 0, strict.output
    assert strict.stdout == "No problems in 2 files\n"


@pytest.mark.parametrize(("code", "case"), _params())
def test_case(code: str, case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make(tmp_path, case)
    monkeypatch.chdir(folder)
    severity = CODES[code].severity

    result = run("validate", folder, "--format", "json")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    found = records(result)
    where = [(r["path"], r["line"], r["column"]) for r in found if r["code"] == code]
    assert where == [(case.path, case.line, case.column)], found
    mine = next(r for r in found if r["code"] == code)
    assert set(mine) == {"path", "line", "column", "severity", "code", "message", "hint"}
    assert mine["severity"] == str(severity)
    assert mine["message"]
    expected_exit = exit_code_for({code} | case.also)
    assert result.exit_code == expected_exit, result.output

    strict = run("validate", folder, "--format", "json", "--strict")
    assert strict.exit_code == 1, strict.output

    text = run("validate", folder)
    assert "Traceback" not in text.output
    assert text.exit_code == expected_exit
    prefix = f"{case.path}:{case.line}:{case.column}: {severity}[{code}] {mine['message']}"
    assert prefix in text.stdout.splitlines() or any(
        line.startswith(prefix + "; ") for line in text.stdout.splitlines()
    ), text.stdout


@pytest.mark.parametrize(("code", "case"), _params())
def test_case_gives_no_other_codes(
    code: str, case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make(tmp_path, case)
    monkeypatch.chdir(folder)
    found = records(run("validate", folder, "--format", "json"))
    assert {r["code"] for r in found} == {code} | case.also, found


# --------------------------------------------------------------------------------------
# Further sources for some codes
# --------------------------------------------------------------------------------------


def test_rf002_dangling_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An item file that is a link to nothing cannot be read, by root either.
    folder = write_base(tmp_path)
    (folder / "02-mangler.md").symlink_to("findes-ikke.md")
    monkeypatch.chdir(folder)
    result = run("validate", folder, "--format", "json")
    assert result.exit_code == 1
    assert codes_at(result) == [("RF002", "02-mangler.md", 1, 1)]


def test_rf004_item_file_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_base(tmp_path, {"meeting.yaml": None, "02-anden.md": item()})
    monkeypatch.chdir(folder)
    result = run("validate", folder / "02-anden.md", "--format", "json")
    assert result.exit_code == 1
    assert codes_at(result) == [("RF004", "02-anden.md", 1, 1)]


def test_rf101_in_meeting_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A tab where indentation is expected: line 4, column 1.
    folder = write_base(tmp_path, {"meeting.yaml": MEETING_YAML + "participants:\n\t- Lars\n"})
    monkeypatch.chdir(folder)
    result = run("validate", folder, "--format", "json")
    assert result.exit_code == 1
    assert codes_at(result) == [("RF101", "meeting.yaml", 4, 1)]


def test_rf402_link_out_of_the_meeting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_base(tmp_path, {"01-sag.md": item(attachments("bilag/notat.pdf"))})
    (tmp_path / "udenfor.pdf").write_bytes(PDF)
    (folder / "bilag").mkdir()
    (folder / "bilag" / "notat.pdf").symlink_to(tmp_path / "udenfor.pdf")
    monkeypatch.chdir(folder)
    result = run("validate", folder, "--format", "json")
    assert result.exit_code == 1
    assert ("RF402", "01-sag.md", 6, 11) in codes_at(result)


def test_rf402_link_out_is_not_also_unlisted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_base(tmp_path, {"01-sag.md": item(attachments("bilag/notat.pdf"))})
    (tmp_path / "udenfor.pdf").write_bytes(PDF)
    (folder / "bilag").mkdir()
    (folder / "bilag" / "notat.pdf").symlink_to(tmp_path / "udenfor.pdf")
    monkeypatch.chdir(folder)
    result = run("validate", folder, "--format", "json")
    assert codes_at(result) == [("RF402", "01-sag.md", 6, 11)]


def test_rf001_column_counts_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # "title: Mødet " is 13 characters (14 bytes); the stray 0xe6 is character 14.
    raw = item('title: Mødet @\ncase: "20/1234"\n').encode("utf-8").replace(b"@", b"\xe6")
    folder = write_base(tmp_path, {"01-sag.md": raw})
    monkeypatch.chdir(folder)
    result = run("validate", folder, "--format", "json")
    assert codes_at(result) == [("RF001", "01-sag.md", 2, 14)]


def test_rf001_nul_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # "title: Sag" is 10 characters; the NUL is at column 11 of line 2.
    folder = write_base(tmp_path, {"01-sag.md": item('title: Sag\x00\ncase: "20/1234"\n')})
    monkeypatch.chdir(folder)
    result = run("validate", folder, "--format", "json")
    assert codes_at(result) == [("RF001", "01-sag.md", 2, 11)]


def test_body_lines_after_line_separator_in_front_matter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The title holds U+2028, but the file still has '\n' line breaks only: the
    # misspelt heading is on line 10, as grep -n, editors and the code frame count it.
    body = BODY.replace("## Beslutning", "## Beslutnig")
    folder = write_base(
        tmp_path, {"01-sag.md": item('title: "Sag\u2028mere"\ncase: "20/1234"\n', body)}
    )
    monkeypatch.chdir(folder)
    result = run("validate", folder, "--format", "json")
    assert ("RF201", "01-sag.md", 10, 1) in codes_at(result)


def test_crlf_line_endings_keep_positions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = item(body=BODY.replace("## Beslutning", "## Beslutnig")).replace("\n", "\r\n")
    folder = write_base(tmp_path, {"01-sag.md": raw.encode("utf-8")})
    monkeypatch.chdir(folder)
    result = run("validate", folder, "--format", "json")
    assert codes_at(result) == [("RF204", "01-sag.md", 5, 1), ("RF201", "01-sag.md", 10, 1)]


# --------------------------------------------------------------------------------------
# The text format
# --------------------------------------------------------------------------------------


def test_text_format_exact_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_base(tmp_path, CASES["RF201"].files)
    monkeypatch.chdir(folder)
    result = run("validate", folder)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        '01-sag.md:5:1: error[RF204] required section "Beslutning" is missing; '
        'add a "## Beslutning" section',
        '01-sag.md:10:1: error[RF201] unknown section "## Beslutnig"; did you mean "Beslutning"?',
        "2 errors, 0 warnings in 1 file",
    ]
    assert result.stderr == ""


def test_text_format_path_relative_to_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_base(tmp_path, CASES["RF201"].files)
    monkeypatch.chdir(tmp_path)
    result = run("validate", "2021-03-01")
    assert '2021-03-01/01-sag.md:10:1: error[RF201] unknown section "## Beslutnig"; ' in (
        result.stdout
    )


SUMMARY = re.compile(r"\d+ errors?, \d+ warnings? in \d+ files?")


@pytest.mark.parametrize(
    ("changes", "summary", "exit_code"),
    [
        pytest.param(CASES["RF205"].files, "0 errors, 1 warning in 1 file", 0, id="one-warning"),
        pytest.param(
            {**CASES["RF205"].files, "bilag/notat.pdf": PDF},
            "0 errors, 2 warnings in 2 files",
            0,
            id="warnings-in-two-files",
        ),
        pytest.param(
            {**CASES["RF201"].files, "meeting.yaml": MEETING_YAML + "phase: referat\n"},
            "3 errors, 0 warnings in 2 files",
            1,
            id="errors-in-two-files",
        ),
        pytest.param(
            {**CASES["RF201"].files, "bilag/notat.pdf": PDF},
            "2 errors, 1 warning in 2 files",
            1,
            id="errors-and-a-warning",
        ),
    ],
)
def test_summary_line(
    changes: Files, summary: str, exit_code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_base(tmp_path, changes)
    monkeypatch.chdir(folder)
    result = run("validate", folder)
    assert result.exit_code == exit_code
    last = result.stdout.splitlines()[-1]
    assert SUMMARY.fullmatch(last)
    assert last == summary


# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------


def test_build_of_broken_meeting_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_base(tmp_path, CASES["RF201"].files)
    monkeypatch.chdir(folder)
    out = tmp_path / "ud"
    result = run("build", folder, "-o", out)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert not out.exists()
    assert "Built" not in result.stdout
    assert '01-sag.md:10:1: error[RF201] unknown section "## Beslutnig"; ' in result.stderr
    assert "2 errors, 0 warnings in 1 file" in result.stderr.splitlines()
    assert not list(tmp_path.glob(".ud.*")), "a staging folder was left behind"


def test_build_with_warnings_only_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_base(tmp_path, CASES["RF205"].files)
    monkeypatch.chdir(folder)
    out = tmp_path / "ud"
    result = run("build", folder, "-o", out)
    assert result.exit_code == 0, result.output
    assert '01-sag.md:10:1: warning[RF205] section "Beslutning" is empty' in result.stderr
    assert (out / "2021-03-01" / "index.html").is_file()


def test_rf005_template_syntax_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_base(tmp_path)
    templates = tmp_path / "skabeloner"
    templates.mkdir()
    # Line 3 holds an 'if' without a condition.
    (templates / "document.html").write_text(
        "<!doctype html>\n<p>\n{% if %}\n</p>\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "ud"
    result = run("build", folder, "-o", out, "--template-dir", templates)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "RF005" in result.stderr
    assert "skabeloner/document.html:3:1: error[RF005] template syntax error" in result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".ud.*")), "a staging folder was left behind"


def test_rf005_in_a_parallel_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Enough meetings for worker processes: the templates are compiled before they start,
    # and a template that does not compile must still be reported by the worker as RF005.
    from referat.pipeline import PARALLEL_FROM

    from .conftest import write_meeting

    repo = tmp_path / "repo"
    for day in range(1, PARALLEL_FROM + 2):
        date = f"2021-03-{day:02d}"
        write_meeting(repo / date, {"meeting.yaml": f"body: Direktionen\ndate: {date}\n"})
    templates = tmp_path / "skabeloner"
    templates.mkdir()
    (templates / "item.html").write_text("<article>\n{% if %}\n</article>\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "ud"
    result = run("build", repo, "-o", out, "--template-dir", templates, "-j", "2")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "skabeloner/item.html:2:1: error[RF005] template syntax error" in result.stderr
    assert not out.exists()


# --------------------------------------------------------------------------------------
# The reference
# --------------------------------------------------------------------------------------


def test_reference_documents_every_code_in_order() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### (RF\d{3}) — (.+)$", text, re.MULTILINE)
    assert headings == [(c.code, c.summary) for c in CODES.values()]


# --------------------------------------------------------------------------------------
# Reading a source: the size limit at its edge, and a file that changes size while read
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 1])
def test_read_text_takes_the_limit_and_refuses_one_byte_more(tmp_path: Path, extra: int) -> None:
    from referat.diagnostics import Collector
    from referat.load import MAX_SOURCE_BYTES, read_text

    source = tmp_path / "01-sag.md"
    source.write_bytes(b"x" * (MAX_SOURCE_BYTES + extra))
    diags = Collector()
    text = read_text(source, diags)
    if extra:
        assert text is None
        assert [d.code for d in diags.sorted()] == ["RF003"]
    else:
        assert text is not None and len(text) == MAX_SOURCE_BYTES
        assert not diags.sorted()


@pytest.mark.parametrize("statted", [0, 10, 4000, 1024 * 1024 + 5])
def test_reading_does_not_trust_the_size_from_stat(tmp_path: Path, statted: int) -> None:
    from referat.load import _read_at_most

    source = tmp_path / "01-sag.md"
    data = bytes(range(256)) * 16  # 4,096 bytes
    source.write_bytes(data)
    # A file that grew or shrank between stat and read is read to its end, never past the limit.
    assert _read_at_most(source, statted, 1024 * 1024 + 1) == data
    assert _read_at_most(source, statted, 100) == data[:100]


def _split_by_lines(text: str) -> tuple[str | None, int, str | None, int, list[str]]:
    """Front matter split the plain way (every line of the file), to compare with."""
    lines = text.split("\n")
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    if not lines or lines[0].rstrip() != "---":
        return None, 0, text, 0, ["RF103"]
    for index in range(1, len(lines)):
        if re.fullmatch(r"(---|\.\.\.)[ \t]*\r?", lines[index].rstrip("\n")):
            return "".join(lines[1:index]), 1, "".join(lines[index + 1 :]), index + 1, []
    return None, 0, None, len(lines), ["RF104"]


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(
        st.sampled_from(["---", "--- ", "...", "---\r", "title: a", "", "x", "----", " ---", "\r"]),
        max_size=6,
    ).map("\n".join),
    st.sampled_from(["", "\n", "\n\n", "\nbody\n", "\nbody"]),
)
def test_front_matter_split_equals_the_line_by_line_split(text: str, end: str) -> None:
    from referat.diagnostics import Collector
    from referat.load import split_front_matter

    diags = Collector()
    split = split_front_matter(text + end, Path("01-sag.md"), diags)
    found = (split.yaml_text, split.yaml_offset, split.body, split.body_offset)
    expected = _split_by_lines(text + end)
    assert (*found, [d.code for d in diags.sorted()]) == expected
