"""Checks across meetings (RF5xx): one body, one date; one case, one title; continuous numbering."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import ITEM, MEETING, invoke, write_meeting


def codes(result_stdout: str) -> list[tuple[str, str, int]]:
    return [(d["code"], d["path"], d["line"]) for d in json.loads(result_stdout)]


def test_two_meetings_of_one_body_on_one_date(tmp_path: Path) -> None:
    write_meeting(tmp_path / "a" / "morgen")
    write_meeting(tmp_path / "a" / "eftermiddag")
    result = invoke("validate", tmp_path / "a", "--format", "json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert [(d["code"], d["line"]) for d in found] == [("RF501", 2)]
    assert found[0]["path"].endswith("morgen/meeting.yaml")
    assert "also meets on 2021-03-01" in found[0]["message"]
    build = invoke("build", tmp_path / "a", "-o", tmp_path / "out")
    assert build.exit_code == 1 and "RF501" in build.stderr
    assert not (tmp_path / "out").exists()


def test_other_bodies_or_dates_are_fine(tmp_path: Path) -> None:
    write_meeting(tmp_path / "a" / "direktionen")
    write_meeting(
        tmp_path / "a" / "udvalg", {"meeting.yaml": MEETING.replace("Direktionen", "Udvalget")}
    )
    write_meeting(tmp_path / "a" / "senere", {"meeting.yaml": MEETING.replace("03-01", "03-08")})
    assert invoke("validate", tmp_path / "a").exit_code == 0


def test_one_case_with_two_titles_across_meetings_is_a_warning(tmp_path: Path) -> None:
    write_meeting(tmp_path / "a" / "m1")
    renamed = ITEM.format(title="Første sag, nu med et andet navn", number=1)
    write_meeting(
        tmp_path / "a" / "m2",
        {"meeting.yaml": MEETING.replace("03-01", "03-08"), "01-foerste.md": renamed},
    )
    result = invoke("validate", tmp_path / "a", "--format", "json")
    assert result.exit_code == 0
    found = json.loads(result.stdout)
    assert [(d["code"], d["line"], d["severity"]) for d in found] == [("RF502", 2, "warning")]
    assert found[0]["path"].endswith("m2/01-foerste.md")
    assert invoke("validate", tmp_path / "a", "--strict").exit_code == 1


def test_items_of_one_meeting_may_share_a_case(tmp_path: Path) -> None:
    shared = ITEM.format(title="Anden sag", number=1)  # case 20/1 like the first item
    write_meeting(tmp_path / "a" / "m1", {"02-anden.md": shared})
    write_meeting(tmp_path / "a" / "m2", {"meeting.yaml": MEETING.replace("03-01", "03-08")})
    result = invoke("validate", tmp_path / "a", "--format", "json")
    # In m2 case 20/1 is "Første sag", as it was in m1: no warning for m1's second title.
    assert json.loads(result.stdout) == []


def test_closed_items_titles_are_not_compared(tmp_path: Path) -> None:
    closed = ITEM.format(title="Fortrolig titel", number=1).replace(
        "---\n\n", "closed: true\n---\n\n", 1
    )
    write_meeting(tmp_path / "a" / "m1")
    write_meeting(
        tmp_path / "a" / "m2",
        {"meeting.yaml": MEETING.replace("03-01", "03-08"), "01-foerste.md": closed},
    )
    result = invoke("validate", tmp_path / "a", "--format", "json")
    assert json.loads(result.stdout) == []


def continuous(tmp_path: Path, first: int, second: int) -> Path:
    root = tmp_path / "repo"
    root.mkdir(parents=True, exist_ok=True)
    (root / "referat.yaml").write_text("numbering: continuous\n", encoding="utf-8")
    for folder, date, start in (("m1", "2021-03-01", first), ("m2", "2021-03-08", second)):
        write_meeting(
            root / folder,
            {
                "meeting.yaml": MEETING.replace("2021-03-01", date),
                "01-foerste.md": None,
                "02-anden.md": None,
                f"{start:02d}-a.md": ITEM.format(title=f"Sag {start}", number=start),
                f"{start + 1:02d}-b.md": ITEM.format(title=f"Sag {start + 1}", number=start + 1),
            },
        )
    return root


def test_continuous_numbering_runs_on_through_the_year(tmp_path: Path) -> None:
    assert invoke("validate", continuous(tmp_path, 1, 3)).exit_code == 0


def test_continuous_numbering_gap(tmp_path: Path) -> None:
    result = invoke("validate", continuous(tmp_path, 1, 5), "--format", "json")
    found = json.loads(result.stdout)
    assert [(d["code"], Path(d["path"]).name) for d in found] == [("RF503", "05-a.md")]
    assert "the next is 3, not 5" in found[0]["message"]


def test_continuous_numbering_overlap(tmp_path: Path) -> None:
    result = invoke("validate", continuous(tmp_path, 1, 2), "--format", "json")
    found = json.loads(result.stdout)
    assert [(d["code"], Path(d["path"]).name) for d in found] == [("RF504", "02-a.md")]


def test_continuous_numbering_starts_at_1_each_year(tmp_path: Path) -> None:
    result = invoke("validate", continuous(tmp_path, 4, 6), "--format", "json")
    found = json.loads(result.stdout)
    assert [(d["code"], Path(d["path"]).name) for d in found] == [("RF503", "04-a.md")]
    assert "as the first meeting of 2021" in found[0]["message"]


def test_a_meeting_folder_named_like_the_archive(tmp_path: Path) -> None:
    write_meeting(tmp_path / "a" / "cases")
    write_meeting(tmp_path / "a" / "m2", {"meeting.yaml": MEETING.replace("03-01", "03-08")})
    result = invoke("validate", tmp_path / "a", "--format", "json")
    assert result.exit_code == 1
    found = codes(result.stdout)
    assert [(code, line) for code, _, line in found] == [("RF505", 1)]
    assert found[0][1].endswith("cases/meeting.yaml")
    # Alone it is no problem: one meeting gets no archive.
    assert invoke("validate", tmp_path / "a" / "cases").exit_code == 0
