"""Approval locking: ``referat lock``, the digest's normalisation and RF601, RF602, RF603."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referat.digest import (
    LOCK_FILE,
    CannotEdit,
    digest,
    manifest,
    manifest_text,
    normalise_markdown,
    parse_manifest_text,
    with_digest,
)
from referat.validate import check

from .conftest import EXAMPLES, ITEM, MEETING, invoke, tree_digest, write_meeting

APPROVED = MEETING + "approved: 2021-03-08\n"
HINT = (
    "an approved referat must not change; if the change is itself approved, run referat lock again"
)
PDF = b"%PDF-1.4 udkast\n"
#: The second item has two paragraphs in its decision, so that a run of blank lines can grow.
SECOND = ITEM.format(title="Anden sag", number=2) + "\nSagen er afsluttet.\n"
WITH_ATTACHMENT = """\
---
title: Første sag
case: "20/1"
attachments:
  - title: Udkast
    file: bilag/udkast.pdf
  - Oplæg til direktionsmøde
---

## Baggrund

Baggrund for sag 1.

## Beslutning

Direktionen godkendte sag 1.
"""


def diagnostics(folder: Path) -> list[dict[str, Any]]:
    """What ``referat validate --format json`` reports, run from the meeting's parent folder."""
    result = invoke("validate", folder.name, "--format", "json")
    return list(json.loads(result.stdout))


def codes(folder: Path) -> list[tuple[str, str, int]]:
    """Code, path and line of each diagnostic."""
    return [(d["code"], d["path"], d["line"]) for d in diagnostics(folder)]


@pytest.fixture
def approved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An approved meeting with an attachment, not yet locked; the current folder is its parent."""
    folder = write_meeting(
        tmp_path / "2021-03-01",
        {
            "meeting.yaml": APPROVED,
            "01-foerste.md": WITH_ATTACHMENT,
            "02-anden.md": SECOND,
            "bilag/udkast.pdf": PDF,
        },
    )
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.fixture
def locked(approved: Path) -> Path:
    """The approved meeting, locked."""
    result = invoke("lock", approved.name)
    assert result.exit_code == 0, result.output
    return approved


def put(folder: Path, name: str, content: str | bytes) -> None:
    """Write one file of a meeting, leaving the others as they are."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) by ``new`` in the file at ``path``."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# --------------------------------------------------------------------------------------
# RF601, RF602, RF603 through validate
# --------------------------------------------------------------------------------------


def test_approved_without_digest_is_rf601(approved: Path) -> None:
    result = invoke("validate", approved.name)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "2021-03-01/meeting.yaml:5:1: error[RF601] the minutes were approved on 2021-03-08 "
        "but have no digest; run referat lock on the meeting folder to write it",
        "1 error, 0 warnings in 1 file",
    ]


def test_lock_makes_approved_minutes_valid(approved: Path) -> None:
    result = invoke("lock", approved.name)
    assert result.exit_code == 0
    value = digest(manifest(check([approved]).meetings[0]))
    assert result.stdout == f"Locked 2021-03-01: {value} (4 files)\n"
    assert (approved / "meeting.yaml").read_text(encoding="utf-8") == (
        APPROVED + f'digest: "{value}"\n'
    )
    assert (approved / LOCK_FILE).read_text(encoding="utf-8") == manifest_text(
        manifest(check([approved]).meetings[0])
    )
    assert invoke("validate", approved.name).stdout == "No problems in 3 files\n"


def test_lock_file_lists_every_file_in_sha256sum_format(locked: Path) -> None:
    lines = (locked / LOCK_FILE).read_text(encoding="utf-8").splitlines()
    assert [line[64:] for line in lines] == [
        "  01-foerste.md",
        "  02-anden.md",
        "  bilag/udkast.pdf",
        "  meeting.yaml",
    ]
    assert all(re.fullmatch(r"[0-9a-f]{64}", line[:64]) for line in lines)
    # Attachments are hashed as bytes, as sha256sum would.
    assert lines[2][:64] == hashlib.sha256(PDF).hexdigest()


def test_word_changed_in_an_item_is_rf602_at_that_item(locked: Path) -> None:
    edit(locked / "02-anden.md", "godkendte", "afviste")
    result = invoke("validate", locked.name)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        '2021-03-01/02-anden.md:1:1: error[RF602] "02-anden.md" changed after the minutes '
        f"were approved on 2021-03-08; {HINT}",
        "1 error, 0 warnings in 1 file",
    ]


def test_lock_again_accepts_the_change(locked: Path) -> None:
    before = (locked / "meeting.yaml").read_text(encoding="utf-8")
    edit(locked / "02-anden.md", "godkendte", "afviste")
    result = invoke("lock", locked.name)
    assert result.exit_code == 0
    old = re.search(r'"(sha256:\w+)"', before)
    assert old is not None
    assert result.stdout.endswith(f"(4 files); the previous digest was {old[1]}\n")
    assert codes(locked) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("title: Anden sag", "title: Anden  sag"),
        ('case: "20/2"', 'case: "20/3"'),
        ('case: "20/2"\n', 'case: "20/2"\naddendum: true\n'),
        ("Direktionen godkendte", "Direktionen  godkendte"),
        ("Baggrund for sag 2.", "Baggrund for  \nsag 2."),
        ("sag 2.\n\nSagen", "sag 2.\nSagen"),
        ("Baggrund for sag 2.", "Baggrund for sag 2.\n\n## Indstilling\n\nAt godkende."),
        ("Baggrund for sag 2.", "Baggrund\nfor sag 2."),
        ("Baggrund for sag 2.", "- Baggrund for sag 2."),
        ("Baggrund for sag 2.", "Baggrund for sag 2.\n\n```\n\n```"),
    ],
)
def test_any_change_but_formatting_is_rf602(locked: Path, old: str, new: str) -> None:
    edit(locked / "02-anden.md", old, new)
    assert codes(locked) == [("RF602", "2021-03-01/02-anden.md", 1)]


def test_attachment_bytes_changed_is_rf602_at_the_attachment(locked: Path) -> None:
    (locked / "bilag" / "udkast.pdf").write_bytes(PDF + b"\n")
    assert diagnostics(locked) == [
        {
            "path": "2021-03-01/bilag/udkast.pdf",
            "line": 1,
            "column": 1,
            "severity": "error",
            "code": "RF602",
            "message": '"bilag/udkast.pdf" changed after the minutes were approved on 2021-03-08',
            "hint": HINT,
        }
    ]


def test_item_added_is_rf602_at_the_new_file(locked: Path) -> None:
    put(locked, "03-tredje.md", (locked / "02-anden.md").read_text(encoding="utf-8"))
    result = diagnostics(locked)
    assert [(d["code"], d["path"], d["message"]) for d in result] == [
        (
            "RF602",
            "2021-03-01/03-tredje.md",
            '"03-tredje.md" was added after the minutes were approved on 2021-03-08',
        )
    ]


def test_item_removed_is_rf602_at_the_removed_file(locked: Path) -> None:
    (locked / "02-anden.md").unlink()
    assert [(d["code"], d["path"], d["message"]) for d in diagnostics(locked)] == [
        (
            "RF602",
            "2021-03-01/02-anden.md",
            '"02-anden.md" was removed after the minutes were approved on 2021-03-08',
        )
    ]


def test_attachment_no_longer_listed_names_the_item_and_the_file(locked: Path) -> None:
    edit(locked / "01-foerste.md", "  - title: Udkast\n    file: bilag/udkast.pdf\n", "")
    assert [(d["code"], d["path"], d["message"]) for d in diagnostics(locked)] == [
        (
            "RF602",
            "2021-03-01/01-foerste.md",
            '"01-foerste.md" changed after the minutes were approved on 2021-03-08',
        ),
        (
            "RF403",
            "2021-03-01/bilag/udkast.pdf",
            "no item lists this file",
        ),
        (
            "RF602",
            "2021-03-01/bilag/udkast.pdf",
            '"bilag/udkast.pdf" is no longer part of the minutes approved on 2021-03-08',
        ),
    ]


def test_attachment_added_is_rf602_at_item_and_file(locked: Path) -> None:
    put(locked, "bilag/notat.pdf", b"notat")
    edit(
        locked / "02-anden.md",
        'case: "20/2"\n',
        'case: "20/2"\nattachments:\n  - {title: Notat, file: bilag/notat.pdf}\n',
    )
    assert codes(locked) == [
        ("RF602", "2021-03-01/02-anden.md", 1),
        ("RF602", "2021-03-01/bilag/notat.pdf", 1),
    ]


def test_meeting_yaml_changed_is_rf602_at_meeting_yaml(locked: Path) -> None:
    edit(locked / "meeting.yaml", "location: Teams", "location: Rådhuset")
    assert codes(locked) == [("RF602", "2021-03-01/meeting.yaml", 1)]


def test_approval_date_changed_is_rf602(locked: Path) -> None:
    edit(locked / "meeting.yaml", "approved: 2021-03-08", "approved: 2021-03-09")
    assert codes(locked) == [("RF602", "2021-03-01/meeting.yaml", 1)]


def test_unlisted_file_is_not_part_of_the_lock(locked: Path) -> None:
    put(locked, "noter.txt", "kladde")
    assert codes(locked) == [("RF403", "2021-03-01/noter.txt", 1)]


def test_lock_file_missing_and_a_change_is_rf602_at_the_digest(locked: Path) -> None:
    (locked / LOCK_FILE).unlink()
    assert codes(locked) == []  # the digest alone vouches for unchanged sources
    edit(locked / "02-anden.md", "godkendte", "afviste")
    assert diagnostics(locked) == [
        {
            "path": "2021-03-01/meeting.yaml",
            "line": 6,
            "column": 1,
            "severity": "error",
            "code": "RF602",
            "message": "the sources changed after the minutes were approved on 2021-03-08, "
            "but the changed file cannot be named because .referat-lock is missing",
            "hint": HINT,
        }
    ]


def test_lock_file_altered_and_a_change_is_rf602_at_the_digest(locked: Path) -> None:
    lock_file = locked / LOCK_FILE
    lock_file.write_text(lock_file.read_text(encoding="utf-8").replace("a", "b", 1))
    edit(locked / "02-anden.md", "godkendte", "afviste")
    [found] = diagnostics(locked)
    assert (found["code"], found["path"], found["line"]) == ("RF602", "2021-03-01/meeting.yaml", 6)
    assert found["message"].endswith("because .referat-lock has been altered")


def test_malformed_digest_is_rf602(approved: Path) -> None:
    put(approved, "meeting.yaml", APPROVED + "digest: sha256:abc\n")
    [found] = diagnostics(approved)
    assert (found["code"], found["line"], found["column"]) == ("RF602", 6, 1)
    assert found["message"].startswith('digest "sha256:abc" is not "sha256:" and 64')


def test_digest_without_approval_is_rf603(locked: Path) -> None:
    edit(locked / "meeting.yaml", "approved: 2021-03-08\n", "")
    assert diagnostics(locked) == [
        {
            "path": "2021-03-01/meeting.yaml",
            "line": 5,
            "column": 1,
            "severity": "error",
            "code": "RF603",
            "message": "the meeting has a digest but no approval date",
            "hint": "add 'approved: YYYY-MM-DD' with the day the minutes were approved, "
            "or remove 'digest'",
        }
    ]


def test_invalid_approval_date_is_only_rf109(locked: Path) -> None:
    edit(locked / "meeting.yaml", "approved: 2021-03-08", "approved: 8. marts")
    assert [c for c, _, _ in codes(locked)] == ["RF109"]


def test_empty_digest_is_only_rf108(approved: Path) -> None:
    put(approved, "meeting.yaml", APPROVED + "digest:\n")
    assert [c for c, _, _ in codes(approved)] == ["RF108"]


# --------------------------------------------------------------------------------------
# Formatting-only edits, as referat fmt makes them, keep the lock
# --------------------------------------------------------------------------------------


def crlf(*paths: Path) -> None:
    """Give the files at ``paths`` Windows line endings."""
    for path in paths:
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


FORMATTING_EDITS: dict[str, Callable[[Path], None]] = {
    "meeting.yaml keys reordered": lambda m: put(
        m,
        "meeting.yaml",
        "\n".join(reversed((m / "meeting.yaml").read_text(encoding="utf-8").splitlines())) + "\n",
    ),
    "meeting.yaml quoting and comments": lambda m: edit(
        m / "meeting.yaml",
        'time: "09:30"\nlocation: Teams',
        "time: '09:30'  # start\nlocation: \"Teams\"",
    ),
    "front matter keys reordered": lambda m: edit(
        m / "02-anden.md", 'title: Anden sag\ncase: "20/2"', "case: 20/2\ntitle: 'Anden sag'"
    ),
    "attachments written as mappings": lambda m: edit(
        m / "01-foerste.md",
        "  - title: Udkast\n    file: bilag/udkast.pdf\n  - Oplæg til direktionsmøde\n",
        "- {file: bilag/udkast.pdf, title: Udkast, public: true}\n"
        "- {title: Oplæg til direktionsmøde}\n",
    ),
    "blank lines around headings removed": lambda m: edit(
        m / "02-anden.md",
        "\n\n## Baggrund\n\nBaggrund for sag 2.\n\n## Beslutning\n\n",
        "\n## Baggrund\nBaggrund for sag 2.\n## Beslutning\n",
    ),
    "blank lines around headings added": lambda m: edit(
        m / "02-anden.md", "\n\n## Beslutning\n\n", "\n\n\n\n## Beslutning\n\n\n"
    ),
    "runs of blank lines": lambda m: edit(
        m / "02-anden.md", "sag 2.\n\nSagen", "sag 2.\n\n\n \t\n\nSagen"
    ),
    "CRLF line endings": lambda m: crlf(m / "meeting.yaml", m / "01-foerste.md", m / "02-anden.md"),
    "no final newline": lambda m: put(
        m, "02-anden.md", (m / "02-anden.md").read_text(encoding="utf-8").rstrip("\n")
    ),
    "more final newlines": lambda m: edit(m / "02-anden.md", "afsluttet.\n", "afsluttet.\n\n\n"),
    "heading marks closed": lambda m: edit(
        m / "02-anden.md", "## Beslutning\n", "## Beslutning ##\n"
    ),
}


@pytest.mark.parametrize("name", sorted(FORMATTING_EDITS))
def test_formatting_edits_keep_the_lock(locked: Path, name: str) -> None:
    FORMATTING_EDITS[name](locked)
    assert codes(locked) == []


def test_section_order_does_not_change_the_manifest(tmp_path: Path) -> None:
    canonical = write_meeting(tmp_path / "a")
    reordered = write_meeting(
        tmp_path / "b",
        {
            "02-anden.md": '---\ntitle: Anden sag\ncase: "20/2"\n---\n\n'
            "## Beslutning\n\nDirektionen godkendte sag 2.\n\n## Baggrund\n\nBaggrund for sag 2.\n"
        },
    )
    result = check([reordered])
    assert [d.code for d in result.diagnostics] == ["RF203"]  # not valid, but the same meaning
    assert manifest(result.meetings[0]) == manifest(check([canonical]).meetings[0])


def test_referat_fmt_keeps_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if "fmt" not in invoke("--help").stdout:
        pytest.skip("referat fmt is not there yet")
    folder = tmp_path / "2021-03-01"
    shutil.copytree(EXAMPLES / "direktionen" / "2021-03-01", folder)
    put(
        folder,
        "meeting.yaml",
        (folder / "meeting.yaml").read_text(encoding="utf-8") + "approved: 2021-03-08\n",
    )
    for path in folder.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\n\n(#+ )", r"\n\n \n\t\n\1", text).replace("\n\n", "\n\n\n")
        path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    monkeypatch.chdir(tmp_path)
    assert invoke("lock", folder.name).exit_code == 0
    result = invoke("fmt", folder.name)
    assert result.exit_code == 0, result.output
    assert b"\r\n" not in (folder / "01-oevrige-sager.md").read_bytes()
    assert codes(folder) == []


# --------------------------------------------------------------------------------------
# referat lock
# --------------------------------------------------------------------------------------


def test_lock_twice_changes_nothing_the_second_time(locked: Path) -> None:
    before = tree_digest(locked)
    times = {p: p.stat().st_mtime_ns for p in locked.rglob("*")}
    result = invoke("lock", locked.name)
    assert result.exit_code == 0
    assert result.stdout.startswith("Already locked 2021-03-01: sha256:")
    assert result.stdout.endswith(" (4 files); nothing was written\n")
    assert tree_digest(locked) == before
    assert {p: p.stat().st_mtime_ns for p in locked.rglob("*")} == times


def test_lock_restores_a_deleted_lock_file_only(locked: Path) -> None:
    yaml_before = (locked / "meeting.yaml").read_bytes()
    lock_before = (locked / LOCK_FILE).read_bytes()
    (locked / LOCK_FILE).unlink()
    assert invoke("lock", locked.name).stdout.startswith("Locked 2021-03-01: ")
    assert (locked / LOCK_FILE).read_bytes() == lock_before
    assert (locked / "meeting.yaml").read_bytes() == yaml_before


def test_lock_refuses_minutes_without_approval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_meeting(tmp_path / "2021-03-01")
    monkeypatch.chdir(tmp_path)
    before = tree_digest(folder)
    result = invoke("lock", folder.name)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "referat: 2021-03-01 has no approval date; only approved minutes are locked. "
        "Set 'approved: YYYY-MM-DD' in 2021-03-01/meeting.yaml first\n"
    )
    assert tree_digest(folder) == before


def test_lock_refuses_a_digest_without_approval(locked: Path) -> None:
    edit(locked / "meeting.yaml", "approved: 2021-03-08\n", "")
    before = tree_digest(locked)
    result = invoke("lock", locked.name)
    assert result.exit_code == 1
    assert "RF603" not in result.stderr
    assert "has no approval date" in result.stderr
    assert tree_digest(locked) == before


def test_lock_refuses_sources_with_errors(approved: Path) -> None:
    edit(approved / "02-anden.md", "## Beslutning", "## Beslutnig")
    before = tree_digest(approved)
    result = invoke("lock", approved.name)
    assert result.exit_code == 1
    assert "error[RF201]" in result.stderr
    assert "RF601" not in result.stderr
    assert result.stderr.endswith("referat: nothing was written, because the sources have errors\n")
    assert tree_digest(approved) == before


def test_lock_with_warnings_locks_and_shows_them(approved: Path) -> None:
    put(approved, "noter.txt", "kladde")
    result = invoke("lock", approved.name)
    assert result.exit_code == 0
    assert "warning[RF403]" in result.stderr
    assert result.stdout.startswith("Locked 2021-03-01: ")


def test_lock_needs_a_meeting_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_meeting(tmp_path / "2021-03-01")
    monkeypatch.chdir(tmp_path)
    result = invoke("lock", ".")
    assert result.exit_code == 2
    assert "is not a meeting folder" in result.stderr
    assert invoke("lock", "2021-03-01/01-foerste.md").exit_code == 2
    assert invoke("lock", "nowhere").exit_code == 2


def test_lock_keeps_comments_order_and_mode_of_meeting_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "# Direktionens møde\n"
        "date: 2021-03-01   # mandag\n"
        "body: Direktionen\n"
        "approved: 2021-03-08  # godkendt på næste møde\n"
        "\n"
        "# deltagere\n"
        "participants: [Lars Holte, Jørgen Lerhard]\n"
    )
    folder = write_meeting(tmp_path / "2021-03-01", {"meeting.yaml": text})
    os.chmod(folder / "meeting.yaml", 0o640)
    monkeypatch.chdir(tmp_path)
    assert invoke("lock", folder.name).exit_code == 0
    value = check([folder]).meetings[0].digest
    lines = text.splitlines(keepends=True)
    assert (folder / "meeting.yaml").read_text(encoding="utf-8") == "".join(
        [*lines[:4], f'digest: "{value}"\n', *lines[4:]]
    )
    assert stat.S_IMODE((folder / "meeting.yaml").stat().st_mode) == 0o640
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_lock_replaces_a_stale_digest_where_it_stands(locked: Path) -> None:
    path = locked / "meeting.yaml"
    text = path.read_text(encoding="utf-8")
    moved = re.sub(r'(digest: "sha256:\w+")\n', "", text)
    value = re.search(r'digest: ("sha256:\w+")', text)
    assert value is not None
    path.write_text(f"digest: {value[1]}  # låst\n{moved}", encoding="utf-8")
    edit(locked / "02-anden.md", "godkendte", "afviste")
    assert invoke("lock", locked.name).exit_code == 0
    new = check([locked]).meetings[0].digest
    assert path.read_text(encoding="utf-8") == f'digest: "{new}"  # låst\n{moved}'


# --------------------------------------------------------------------------------------
# The pieces
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\n\nA\n\n\n\nB\n\n", "A\n\nB"),
        ("A\r\n\r\nB\r\n", "A\n\nB"),
        ("A\n \t\nB", "A\n\nB"),
        ("A\n\n### H\n\nB\n", "A\n### H\nB"),
        ("A\n### H\nB\n", "A\n### H\nB"),
        ("A\n\n\n#\n\nB", "A\n#\nB"),
        ("A\n\n#hashtag\n\nB", "A\n\n#hashtag\n\nB"),
        ("A\n\n    # kode\n\nB", "A\n\n    # kode\n\nB"),
        ("A\n\n```\n\n\n# x\n\n```\n\nB", "A\n\n```\n\n\n# x\n\n```\n\nB"),
        ("A\n\n~~~~\nx\n\n~~~\n\n~~~~~\n\n\nB", "A\n\n~~~~\nx\n\n~~~\n\n~~~~~\n\nB"),
        ("A\n\n``` x`y\n\n\nB", "A\n\n``` x`y\n\nB"),
        ("```\nx\n\n\n", "```\nx\n\n\n"),
        ("A  \nB", "A  \nB"),
    ],
)
def test_normalise_markdown(text: str, expected: str) -> None:
    assert normalise_markdown(text) == expected
    assert normalise_markdown(expected) == expected


def test_manifest_text_escapes_like_sha256sum() -> None:
    files = {"a\\b\nc.pdf": "sha256:" + "1" * 64, "meeting.yaml": "sha256:" + "2" * 64}
    text = manifest_text(files)
    assert text == "\\" + "1" * 64 + "  a\\\\b\\nc.pdf\n" + "2" * 64 + "  meeting.yaml\n"
    assert parse_manifest_text(text) == files
    assert parse_manifest_text("not a manifest\n") is None


def test_digest_is_sha256_of_the_manifest_text() -> None:
    files = {"meeting.yaml": "sha256:" + "0" * 64}
    expected = hashlib.sha256(("0" * 64 + "  meeting.yaml\n").encode()).hexdigest()
    assert digest(files) == "sha256:" + expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("body: B\napproved: 2021-03-08\n", 'body: B\napproved: 2021-03-08\ndigest: "D"\n'),
        ("approved: 2021-03-08", 'approved: 2021-03-08\ndigest: "D"'),
        (
            "a: 1\r\napproved: 2021-03-08\r\nb: 2\r\n",
            'a: 1\r\napproved: 2021-03-08\r\ndigest: "D"\r\nb: 2\r\n',
        ),
        ("\ufeffapproved: 2021-03-08\n", '\ufeffapproved: 2021-03-08\ndigest: "D"\n'),
        ("{approved: 2021-03-08, body: B}\n", '{approved: 2021-03-08, digest: "D", body: B}\n'),
        ("digest: x # c\napproved: 2021-03-08\n", 'digest: "D" # c\napproved: 2021-03-08\n'),
        (
            "digest: >-\n  x\n\nb: 1\napproved: 2021-03-08\n",
            'digest: "D"\n\nb: 1\napproved: 2021-03-08\n',
        ),
        ("  approved: 2021-03-08\n  b: 1\n", '  approved: 2021-03-08\n  digest: "D"\n  b: 1\n'),
    ],
)
def test_with_digest(text: str, expected: str) -> None:
    assert with_digest(text, "D") == expected


@pytest.mark.parametrize("text", ["body: B\n", "- a\n", "a: [\n"])
def test_with_digest_refuses(text: str) -> None:
    with pytest.raises(CannotEdit):
        with_digest(text, "D")


# --------------------------------------------------------------------------------------
# Property: formatting never changes the digest, a changed word always does
# --------------------------------------------------------------------------------------

WORDS = ["sag", "budget", "godkender", "borger", "plan", "udvalg", "notat", "tilbud", "økonomi"]


@dataclass(frozen=True)
class Block:
    """A stretch of an item body: a heading, paragraph, list or fenced code."""

    kind: str
    """``h2`` (a section heading), ``h3``, ``para``, ``list`` or ``fence``."""
    lines: tuple[tuple[str, ...], ...]
    """Words of each line; an empty line inside fenced code is ``()``."""

    def render(self) -> list[str]:
        text = [" ".join(words) for words in self.lines]
        if self.kind == "h2":
            return ["## " + text[0]]
        if self.kind == "h3":
            return ["### " + text[0]]
        if self.kind == "list":
            return ["- " + t for t in text]
        if self.kind == "fence":
            return ["```", *text, "```"]
        return text


@dataclass(frozen=True)
class Source:
    """An item's meaning: title, case and body blocks."""

    title: tuple[str, ...]
    case: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Layout:
    """How a source is written: everything ``referat fmt`` may change."""

    gaps: tuple[int, ...]
    """Blank lines between block i and i+1 (at least 1 unless a heading is next to it)."""
    lead: int
    """Blank lines after the front matter."""
    tail: int
    """Newlines after the last line."""
    blank: str
    """What a blank line holds outside fenced code."""
    crlf: bool
    case_first: bool
    quote: str


_words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(tuple)
_block = st.one_of(
    st.lists(_words, min_size=1, max_size=3).map(lambda ls: Block("para", tuple(ls))),
    st.lists(_words, min_size=1, max_size=3).map(lambda ls: Block("list", tuple(ls))),
    _words.map(lambda w: Block("h3", (w,))),
    st.lists(
        st.one_of(_words, st.just(()), st.just(("#", "ikke", "overskrift"))),
        min_size=1,
        max_size=4,
    ).map(lambda ls: Block("fence", tuple(ls))),
)
_section = st.lists(_block, min_size=1, max_size=3)


@st.composite
def sources(draw: st.DrawFn) -> Source:
    blocks: list[Block] = []
    for heading, required in [
        ("Baggrund", True),
        ("Indstilling", False),
        ("Beslutning", True),
        ("Sagsfremstilling", False),
    ]:
        if required or draw(st.booleans()):
            blocks.append(Block("h2", ((heading,),)))
            blocks.extend(draw(_section))
    return Source(draw(_words), draw(st.integers(1, 999_999)), tuple(blocks))


def layouts(source: Source) -> st.SearchStrategy[Layout]:
    heads = [b.kind in ("h2", "h3") for b in source.blocks]
    gaps = st.tuples(*(st.integers(0 if a or b else 1, 3) for a, b in itertools.pairwise(heads)))
    return st.builds(
        Layout,
        gaps=gaps,
        lead=st.integers(0, 2),
        tail=st.integers(0, 3),
        blank=st.sampled_from(["", "", " ", "\t"]),
        crlf=st.booleans(),
        case_first=st.booleans(),
        quote=st.sampled_from(["", '"', "'"]),
    )


CANONICAL = Layout((), 1, 1, "", False, False, "")


def item_text(source: Source, layout: Layout) -> str:
    q = layout.quote
    title = f"title: {q}{' '.join(source.title)}{q}\n"
    case = f'case: "20/{source.case}"\n'
    front = "---\n" + (case + title if layout.case_first else title + case) + "---\n"
    lines = [layout.blank] * layout.lead
    for index, block in enumerate(source.blocks):
        if index:
            gap = layout.gaps[index - 1] if layout.gaps else 1
            lines.extend([layout.blank] * gap)
        lines.extend(block.render())
    text = front + "\n".join(lines) + "\n" * layout.tail
    return text.replace("\n", "\r\n") if layout.crlf else text


def meeting_digest(folder: Path, source: Source, layout: Layout) -> str:
    write_meeting(folder, {"02-anden.md": item_text(source, layout)})
    result = check([folder])
    assert not result.diagnostics, (item_text(source, layout), result.diagnostics)
    return digest(manifest(result.meetings[0]))


def word_positions(source: Source) -> list[tuple[int, int, int]]:
    """Block, line and word index of every word a change of meaning may replace."""
    return [
        (b, ln, w)
        for b, block in enumerate(source.blocks)
        if block.kind != "h2"
        for ln, words in enumerate(block.lines)
        for w, word in enumerate(words)
        if word in WORDS
    ]


def replace_word(source: Source, at: tuple[int, int, int], word: str) -> Source:
    b, ln, w = at
    block = source.blocks[b]
    lines = list(block.lines)
    lines[ln] = (*lines[ln][:w], word, *lines[ln][w + 1 :])
    blocks = list(source.blocks)
    blocks[b] = replace(block, lines=tuple(lines))
    return replace(source, blocks=tuple(blocks))


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(st.data())
def test_formatting_never_changes_the_digest(data: st.DataObject) -> None:
    source = data.draw(sources())
    layout = data.draw(layouts(source))
    with tempfile.TemporaryDirectory() as tmp:
        canonical = meeting_digest(Path(tmp) / "a", source, CANONICAL)
        assert meeting_digest(Path(tmp) / "b", source, layout) == canonical


@_SETTINGS
@given(st.data())
def test_a_changed_word_always_changes_the_digest(data: st.DataObject) -> None:
    source = data.draw(sources())
    layout = data.draw(layouts(source))
    positions = word_positions(source)
    change = data.draw(
        st.sampled_from(["word", "title", "case"] if positions else ["title", "case"])
    )
    if change == "word":
        at = data.draw(st.sampled_from(positions))
        old = source.blocks[at[0]].lines[at[1]][at[2]]
        edited = replace_word(
            source, at, data.draw(st.sampled_from(WORDS).filter(lambda w: w != old))
        )
    elif change == "title":
        index = data.draw(st.integers(0, len(source.title) - 1))
        new = data.draw(st.sampled_from(WORDS).filter(lambda w: w != source.title[index]))
        edited = replace(source, title=(*source.title[:index], new, *source.title[index + 1 :]))
    else:
        edited = replace(source, case=source.case % 999_999 + 1)
    with tempfile.TemporaryDirectory() as tmp:
        before = meeting_digest(Path(tmp) / "a", source, CANONICAL)
        assert meeting_digest(Path(tmp) / "b", edited, layout) != before


@_SETTINGS
@given(st.data())
def test_locked_meeting_stays_valid_under_formatting(data: st.DataObject) -> None:
    source = data.draw(sources())
    layout = data.draw(layouts(source))
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_meeting(
            Path(tmp) / "2021-03-01",
            {"meeting.yaml": APPROVED, "02-anden.md": item_text(source, CANONICAL)},
        )
        assert invoke("lock", folder).exit_code == 0
        put(folder, "02-anden.md", item_text(source, layout))
        assert check([folder]).diagnostics == []
