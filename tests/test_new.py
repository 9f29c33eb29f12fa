"""``referat new meeting`` and ``referat new item``: scaffolds that validate, numbered on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import invoke, tree_digest, write_meeting


def _new_meeting(folder: Path, *extra: str) -> None:
    result = invoke(
        "new", "meeting", folder, "--body", "Direktionen", "--date", "2021-03-01", *extra
    )
    assert result.exit_code == 0, result.output


def _new_item(meeting: Path, title: str, *extra: str) -> str:
    result = invoke("new", "item", meeting, "--title", title, *extra)
    assert result.exit_code == 0, result.output
    return result.output


def _diagnostics(path: Path) -> list[dict[str, object]]:
    result = invoke("validate", "--format", "json", path)
    data: list[dict[str, object]] = json.loads(result.output)
    errors = [d for d in data if d["severity"] == "error"]
    assert result.exit_code == (1 if errors else 0)
    return data


def test_a_meeting_and_two_items_validate_without_errors(tmp_path: Path) -> None:
    meeting = tmp_path / "direktionen" / "2021-03-01"
    _new_meeting(meeting, "--time", "9:30", "--location", "Mødelokale 1")
    assert (meeting / "meeting.yaml").read_text(encoding="utf-8") == (
        'body: Direktionen\ndate: 2021-03-01\ntime: "09:30"\nlocation: Mødelokale 1\n'
    )
    _new_item(meeting, "Økonomi på ældreområdet", "--case", "20/6598")
    _new_item(meeting, "Åben skole – Børn og Unge", "--case", "21/656", "--closed")

    names = sorted(p.name for p in meeting.iterdir())
    assert names == [
        "01-oekonomi-paa-aeldreomraadet.md",
        "02-aaben-skole-boern-og-unge.md",
        "meeting.yaml",
    ]
    diagnostics = _diagnostics(meeting)
    assert [d for d in diagnostics if d["severity"] == "error"] == []
    # The empty sections are the to-do list: a warning each, never an error.
    assert {d["code"] for d in diagnostics} <= {"RF205"}

    first = (meeting / names[0]).read_text(encoding="utf-8")
    assert first == (
        "---\n"
        "title: Økonomi på ældreområdet\n"
        "case: 20/6598\n"
        "---\n"
        "\n## Baggrund\n\n## Indstilling\n\n## Beslutning\n\n## Sagsfremstilling\n"
    )
    second = (meeting / names[1]).read_text(encoding="utf-8")
    assert "closed: true\n" in second


def test_the_output_names_the_files_created(tmp_path: Path) -> None:
    meeting = tmp_path / "m"
    result = invoke("new", "meeting", meeting, "--body", "B", "--date", "2021-03-01")
    assert result.output.startswith("Created ")
    assert result.output.rstrip().endswith("m/meeting.yaml")
    assert (
        _new_item(meeting, "Første sag", "--case", "20/1").rstrip().endswith("m/01-foerste-sag.md")
    )


def test_scaffolds_are_in_canonical_form(tmp_path: Path) -> None:
    meeting = tmp_path / "m"
    _new_meeting(meeting, "--phase", "agenda", "--time", "14:00")
    _new_item(meeting, "Første sag", "--case", "20/1")
    result = invoke("fmt", "--check", meeting)
    assert result.exit_code == 0, result.output


def test_an_agenda_item_has_no_decision_section(tmp_path: Path) -> None:
    meeting = tmp_path / "m"
    _new_meeting(meeting, "--phase", "agenda")
    _new_item(meeting, "Første sag", "--case", "20/1")
    text = (meeting / "01-foerste-sag.md").read_text(encoding="utf-8")
    assert "## Baggrund" in text and "Beslutning" not in text
    assert "phase: agenda\n" in (meeting / "meeting.yaml").read_text(encoding="utf-8")
    assert [d for d in _diagnostics(meeting) if d["severity"] == "error"] == []


def test_the_next_number_follows_the_highest(tmp_path: Path) -> None:
    meeting = write_meeting(tmp_path / "m")  # items 01 and 02
    (meeting / "02-anden.md").rename(meeting / "05-anden.md")
    _new_item(meeting, "Ny sag", "--case", "20/9")
    assert (meeting / "06-ny-sag.md").is_file()


def test_sections_follow_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "referat.yaml").write_text(
        "case_pattern: '^EMN-\\d{4}-\\d{6}$'\n"
        "case_required: false\n"
        "sections:\n"
        "  - {key: summary, heading: Summary, required: true}\n"
        "  - {key: decision, heading: Decision, phase: minutes}\n",
        encoding="utf-8",
    )
    meeting = tmp_path / "finance" / "2025-05-12"
    _new_meeting(meeting)
    _new_item(meeting, "Any other business")
    _new_item(meeting, "Budget", "--case", "EMN-2025-009242")
    assert (meeting / "01-any-other-business.md").read_text(encoding="utf-8") == (
        "---\ntitle: Any other business\n---\n\n## Summary\n\n## Decision\n"
    )
    assert [d for d in _diagnostics(meeting) if d["severity"] == "error"] == []
    result = invoke("new", "item", meeting, "--title", "X", "--case", "20/6598")
    assert result.exit_code == 2
    assert "EMN" in result.output


def test_english_meetings_get_english_headings(tmp_path: Path) -> None:
    meeting = tmp_path / "m"
    _new_meeting(meeting)
    with (meeting / "meeting.yaml").open("a", encoding="utf-8") as handle:
        handle.write("language: en\n")
    _new_item(meeting, "Budget", "--case", "20/1")
    text = (meeting / "01-budget.md").read_text(encoding="utf-8")
    assert "## Background\n\n## Recommendation\n\n## Decision\n\n## Case presentation\n" in text


def test_continuous_numbering_continues_after_the_previous_meeting(tmp_path: Path) -> None:
    (tmp_path / "referat.yaml").write_text("numbering: continuous\n", encoding="utf-8")
    write_meeting(tmp_path / "2021-03-01")  # Direktionen, items 1 and 2
    meeting = tmp_path / "2021-03-08"
    invoke("new", "meeting", meeting, "--body", "Direktionen", "--date", "2021-03-08")
    _new_item(meeting, "Tredje sag", "--case", "20/3")
    assert (meeting / "03-tredje-sag.md").is_file()
    # Continuous numbering is checked across the meetings of a body: validate them together.
    assert [d for d in _diagnostics(tmp_path) if d["severity"] == "error"] == []


def test_an_existing_meeting_is_refused(tmp_path: Path) -> None:
    meeting = write_meeting(tmp_path / "m")
    before = tree_digest(meeting)
    result = invoke("new", "meeting", meeting, "--body", "Ny", "--date", "2022-01-01")
    assert result.exit_code == 2
    assert "exists already" in result.output
    assert tree_digest(meeting) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--body", "B", "--date", "1-3-2021"], "YYYY-MM-DD"),
        (["--body", "B", "--date", "2021-02-30"], "is not a date"),
        (["--body", "B", "--date", "2021-03-01", "--time", "25:00"], "HH:MM"),
        (["--body", "B", "--date", "2021-03-01", "--time", "half past nine"], "HH:MM"),
        (["--body", " ", "--date", "2021-03-01"], "--body"),
        (["--body", "B", "--date", "2021-03-01", "--phase", "draft"], "phase"),
        (["--date", "2021-03-01"], "--body"),
    ],
    ids=str,
)
def test_bad_meeting_arguments_are_usage_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = invoke("new", "meeting", tmp_path / "m", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--title", "T", "--case", "2020-6598"], "does not match"),
        (["--title", "T"], "--case is required"),
        (["--title", "", "--case", "20/1"], "--title"),
        (["--case", "20/1"], "--title"),
    ],
    ids=str,
)
def test_bad_item_arguments_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    meeting = write_meeting(tmp_path / "m")
    before = tree_digest(meeting)
    result = invoke("new", "item", meeting, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert tree_digest(meeting) == before


def test_an_item_needs_a_meeting_folder(tmp_path: Path) -> None:
    result = invoke("new", "item", tmp_path, "--title", "T", "--case", "20/1")
    assert result.exit_code == 2
    assert "not a meeting folder" in result.output
    result = invoke("new", "item", tmp_path / "missing", "--title", "T", "--case", "20/1")
    assert result.exit_code == 2


def test_a_broken_meeting_yaml_is_reported_and_nothing_written(tmp_path: Path) -> None:
    meeting = write_meeting(tmp_path / "m", {"meeting.yaml": "body: [Direktionen\n"})
    before = tree_digest(meeting)
    result = invoke("new", "item", meeting, "--title", "T", "--case", "20/1")
    assert result.exit_code == 1
    assert "RF101" in result.output
    assert tree_digest(meeting) == before
