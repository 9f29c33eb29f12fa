"""Fuzz targets for the three parsers that read untrusted text, and the invariants they keep.

Each target takes bytes and raises ``AssertionError`` (or any other exception) when an
invariant breaks; nothing else is an acceptable outcome:

- ``front_matter``: :func:`referat.load.split_front_matter`, then :func:`referat.load.compose`
  and :func:`referat.fields.read_mapping` on what it split off. The split never raises, its
  parts put back together give the input, and it reports RF103/RF104 exactly when there is no
  (closed) front matter; ``compose`` raises nothing but ``YamlFailed``, and then only after
  reporting RF101 or RF102 at a line inside the front matter.
- ``sections``: :func:`referat.parse.split_body`. Headings and part texts put back together
  give the body; every heading is an ATX heading of level 1 or 2 on the line it names; the
  result does not depend on CRLF line ends or on the first line number; nothing inside a
  fence is a heading.
- ``importer``: :func:`referat.importer.decode` then :func:`referat.importer.import_text`.
  Only ``NotText`` may be raised (by ``decode``); notes point at lines of the input; item
  numbers go up; file names are ``NN-slug.md``; every file it would write reads back
  without YAML errors, and with exactly the item's sections, in order, with their text.

Run them with ``python tests/fuzz/run.py`` (atheris, coverage-guided);
``tests/test_fuzz_corpus.py`` replays the corpus in ``tests/fuzz/corpus/`` without atheris.
One target by hand: ``python tests/fuzz/fuzz_targets.py front_matter DIR -max_total_time=60``.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

PATH = Path("fuzz.md")
#: The closing line of front matter, as load.py recognises it.
DELIMITER = re.compile(r"(---|\.\.\.)[ \t]*\r?")
KEY_IN_MESSAGE = re.compile(r'key "(.*?)"')
PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ITEM_NAME = re.compile(r"\d+-[a-z0-9][a-z0-9-]*\.md")
#: Diagnostic codes that a file import writes must never cause when read back.
IMPORT_MUST_NOT_CAUSE = frozenset({"RF101", "RF102", "RF103", "RF104", "RF105", "RF107", "RF113"})


#: Known bugs, each with a reproducer ``bug-*`` in the corpus (tests/test_fuzz_corpus.py);
#: none at the moment (the reproducers of fixed ones stay in the corpus as regressions).
KNOWN_BUGS: tuple[str, ...] = ()
#: The known bugs whose invariants are skipped where an input shows them, so that the fuzzer
#: looks for new problems; main() fills it unless --find-known, the corpus replay for all
#: inputs but the reproducers.
SKIP_KNOWN: set[str] = set()


def lines_of(text: str) -> list[str]:
    """``text`` cut after each ``\\n`` (the line ends load.py and parse.py count)."""
    pieces = text.split("\n")
    return [p + "\n" for p in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


def text_of(data: bytes) -> str:
    """Fuzz bytes as the text a reader would get (invalid UTF-8 replaced, not refused)."""
    return data.decode("utf-8", errors="replace")


# --- front matter ---------------------------------------------------------------------------


def check_front_matter(data: bytes) -> None:
    """split_front_matter + compose + read_mapping keep their contracts on any text."""
    from referat.diagnostics import Collector
    from referat.fields import ITEM_FIELDS, Where, read_mapping
    from referat.load import YamlFailed, compose, split_front_matter

    text = text_of(data)
    lines = lines_of(text)
    diags = Collector()
    split = split_front_matter(text, PATH, diags)
    codes = [d.code for d in diags.sorted()]
    opens = bool(lines) and lines[0].rstrip() == "---"
    if not opens:
        assert codes == ["RF103"], codes
        assert (split.yaml_text, split.body, split.body_offset) == (None, text, 0)
        return
    closing = [i for i in range(1, len(lines)) if DELIMITER.fullmatch(lines[i].rstrip("\n"))]
    if not closing:
        assert codes == ["RF104"], codes
        assert (split.yaml_text, split.body) == (None, None)
        assert split.body_offset == len(lines)
        return
    assert codes == [], codes
    assert split.yaml_text is not None and split.body is not None
    assert split.yaml_offset == 1
    assert split.body_offset == closing[0] + 1, (split.body_offset, closing[0])
    rebuilt = lines[0] + split.yaml_text + lines[closing[0]] + split.body
    assert rebuilt == text, "the split parts do not give the input back"
    assert split.yaml_text.count("\n") == split.body_offset - 2

    yaml_diags = Collector()
    try:
        node = compose(split.yaml_text, PATH, split.yaml_offset, yaml_diags)
    except YamlFailed:
        found = yaml_diags.sorted()
        assert [d.code for d in found] in (["RF101"], ["RF102"]), found
        # The line is inside the front matter: from its first line to the closing '---'.
        assert 2 <= found[0].line <= split.body_offset, (found[0], split.body_offset)
        return
    assert len(yaml_diags) == 0
    assert node is None or isinstance(node, yaml.Node)
    mapping_diags = Collector()
    where = Where(PATH, split.yaml_offset, split.yaml_text)
    read_mapping(node, ITEM_FIELDS, where, mapping_diags, what="fm")
    last = max(2, split.body_offset - 1)  # the last line of YAML (the closing line if none)
    for diag in mapping_diags.sorted():
        assert diag.code.startswith("RF1"), diag
        assert 2 <= diag.line <= last, (diag, split.body_offset)
        # A key is reported on the line that holds it (when it is written plainly).
        key = KEY_IN_MESSAGE.search(diag.message)
        plain = key is not None and PLAIN_KEY.fullmatch(key[1]) and "\\" not in split.yaml_text
        if diag.code in ("RF107", "RF113") and key and plain and key[1] in split.yaml_text:
            assert key[1] in lines[diag.line - 1], (diag, lines[diag.line - 1])


# --- sections -------------------------------------------------------------------------------


def check_sections(data: bytes) -> None:
    """split_body cuts any body into parts that give it back, at real ATX headings only."""
    from referat.parse import split_body

    body = text_of(data)
    first = 1 + len(data) % 5
    parts = split_body(body, first)
    assert parts and parts[0].heading is None and parts[0].line == first
    lines = lines_of(body)
    rebuilt = parts[0].text
    previous = first - 1
    for part in parts[1:]:
        heading = part.heading
        assert heading is not None
        assert heading.level in (1, 2)
        assert heading.line > previous, "headings go down the body"
        previous = heading.line
        line = lines[heading.line - first]
        bare = line.rstrip("\r\n")
        indent = heading.column - 1
        assert 0 <= indent <= 3 and bare[:indent] == " " * indent, (heading, line)
        marks = bare[indent:]
        assert marks.startswith("#" * heading.level), (heading, line)
        after = marks[heading.level :]
        assert after == "" or after[0] in " \t", (heading, line)
        assert heading.text == heading.text.strip() and "\n" not in heading.text
        assert heading.text in bare
        assert part.line == heading.line + 1
        rebuilt += line + part.text
    assert rebuilt == body, "parts and heading lines do not give the body back"

    shape = [(p.heading, p.line) for p in parts]
    moved = split_body(body, first + 100)
    assert [(p.heading.line - 100 if p.heading else None, p.line - 100) for p in moved] == [
        (p.heading.line if p.heading else None, p.line) for p in parts
    ]
    if "\r" not in body:
        crlf = split_body(body.replace("\n", "\r\n"), first)
        assert [(p.heading, p.line) for p in crlf] == shape, "CRLF changes the sections"
        assert [p.text.replace("\r\n", "\n") for p in crlf] == [p.text for p in parts]
    # Nothing inside a fence is a heading: fence the body with more backticks than it has.
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    fenced = split_body(f"{fence}\n{body}\n{fence}\n", first)
    assert len(fenced) == 1, "a heading inside fenced code counted"


# --- importer -------------------------------------------------------------------------------


def check_importer(data: bytes) -> None:
    """import_text reads anything, and what it would write reads back cleanly."""
    from referat.diagnostics import Collector
    from referat.fields import ITEM_FIELDS, MEETING_FIELDS, Where, read_mapping
    from referat.importer import decode, import_text
    from referat.load import NotText, YamlFailed, compose, split_front_matter
    from referat.parse import split_body

    try:
        text = decode(data)
    except NotText as err:
        assert err.line >= 1 and err.column >= 1
        return
    imported = import_text(text)
    last_line = text.count("\n") + 1
    for note in imported.notes:
        assert 1 <= note.line <= last_line, (note, last_line)
        assert note.level in ("error", "warning", "note")
    if not imported.items:
        assert any(n.level == "error" for n in imported.notes), "no items and no error"
        return
    numbers = [item.number for item in imported.items]
    assert numbers == sorted(set(numbers)), numbers
    names = [item.file_name for item in imported.items]
    assert len(set(names)) == len(names), names
    for name in names:
        assert ITEM_NAME.fullmatch(name), name

    meeting_diags = Collector()
    try:
        node = compose(imported.meeting.text(), PATH, 0, meeting_diags)
    except YamlFailed:
        raise AssertionError(f"meeting.yaml does not read back: {meeting_diags.sorted()}") from None
    where = Where(PATH, 0, imported.meeting.text())
    read_mapping(node, MEETING_FIELDS, where, meeting_diags, what="meeting.yaml")
    bad = [d for d in meeting_diags.sorted() if d.code in IMPORT_MUST_NOT_CAUSE]
    assert not bad, f"meeting.yaml:\n{imported.meeting.text()}\n{bad}"

    for item in imported.items:
        source = item.text()
        diags = Collector()
        split = split_front_matter(source, PATH, diags)
        assert split.yaml_text is not None and split.body is not None, diags.sorted()
        try:
            node = compose(split.yaml_text, PATH, 1, diags)
        except YamlFailed:
            raise AssertionError(f"{item.file_name} does not read back: {diags.sorted()}") from None
        read_mapping(node, ITEM_FIELDS, Where(PATH, 1, split.yaml_text), diags, what="front matter")
        bad = [d for d in diags.sorted() if d.code in IMPORT_MUST_NOT_CAUSE]
        assert not bad, f"{item.file_name}:\n{source}\n{bad}"
        # Read back, the body has the item's sections, in order, each with its own text.
        parts = split_body(split.body, split.body_offset + 1)
        assert not parts[0].text.strip(), f"{item.file_name}: text before the first section"
        found = [(p.heading.level, p.heading.text, p.text.strip()) for p in parts[1:] if p.heading]
        wanted = [(2, s.spec.heading, s.markdown.strip()) for s in item.sections]
        assert found == wanted, f"{item.file_name} reads back otherwise:\n{source}"


def skipped(bug: str, applies: object) -> bool:
    """Whether to skip an invariant because ``bug`` is known and this input shows it."""
    return bug in SKIP_KNOWN and bool(applies)


CHECKS: dict[str, Callable[[bytes], None]] = {
    "front_matter": check_front_matter,
    "sections": check_sections,
    "importer": check_importer,
}


def main(argv: list[str]) -> None:
    """``fuzz_targets.py TARGET [--find-known] [libFuzzer options] [corpus dirs]``.

    Fuzzes one target; without ``--find-known`` the invariants of :data:`KNOWN_BUGS` are
    skipped where an input shows them, so that the fuzzer goes on to find other problems.
    """
    if len(argv) < 2 or argv[1] not in CHECKS:
        sys.exit(f"usage: {argv[0]} {{{','.join(CHECKS)}}} [--find-known] [libFuzzer options]")
    check = CHECKS[argv[1]]
    options = argv[2:]
    if "--find-known" in options:
        options.remove("--find-known")
    else:
        SKIP_KNOWN.update(KNOWN_BUGS)
    # atheris has no type information; it is imported only here, so that the checks above
    # run (in tests/test_fuzz_corpus.py) where it is not installed.
    atheris = importlib.import_module("atheris")
    with atheris.instrument_imports(include=["referat"]):
        for module in ("load", "parse", "fields", "importer", "diagnostics", "sources"):
            importlib.import_module(f"referat.{module}")
    # run.py's wrapper names itself, so that libFuzzer can run it again (-merge, -fork).
    atheris.Setup([os.environ.get("REFERAT_FUZZ_SELF", argv[0]), *options], check)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
