"""The spare beside OUT: the output before the last, brought up to date by the next build.

Every build's result must equal a full rebuild, the output being replaced must not change
while the spare (which shares its files through hard links) is brought up to date, and a
spare that is not exactly what its manifest says, or of other options, is never used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from referat.build import build
from referat.output import spare_of

from .conftest import EXAMPLES, MEETING, tree_digest, write_meeting


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "repo")
    return tmp_path / "repo"


def full(repo: Path, out: Path, formats: Sequence[str] = ("html", "md", "json")) -> dict[str, str]:
    """What a build into a new folder gives."""
    shutil.rmtree(out, ignore_errors=True)
    built = build(repo, out, formats, "public")
    assert built.written and not built.failed
    return tree_digest(out)


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def decision(repo: Path) -> None:
    item = repo / "direktionen" / "2021-03-01" / "02-tilbudsviften.md"
    text = item.read_text(encoding="utf-8")
    item.write_text(text.replace("drøftede sagen.", "godkendte sagen."), encoding="utf-8")


def new_meeting(repo: Path) -> None:
    write_meeting(
        repo / "direktionen" / "2021-03-08", {"meeting.yaml": MEETING.replace("03-01", "03-08")}
    )


def removed_meeting(repo: Path) -> None:
    shutil.rmtree(repo / "socialudvalget")


def sentence(repo: Path) -> None:
    append(repo / "direktionen" / "2021-03-01" / "01-oevrige-sager.md", "\nEn sætning mere.\n")


def back_again(repo: Path) -> None:
    # The meeting as it was two builds ago: the spare holds exactly this and keeps it.
    item = repo / "direktionen" / "2021-03-01" / "01-oevrige-sager.md"
    item.write_text(
        item.read_text(encoding="utf-8").replace("\nEn sætning mere.\n", ""), encoding="utf-8"
    )


CHANGES: list[Callable[[Path], None]] = [
    sentence,
    decision,
    back_again,
    new_meeting,
    sentence,
    removed_meeting,
    decision,
]


def test_a_series_of_builds_each_equals_a_full_rebuild(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html", "md", "json"], "public")
    used_spare = 0
    for change in CHANGES:
        before = tree_digest(out)
        had_spare = spare_of(out).is_dir()
        change(repo)
        built = build(repo, out, ["html", "md", "json"], "public")
        assert built.written and not built.failed, change.__name__
        assert tree_digest(out) == full(repo, tmp_path / "full"), change.__name__
        # The output replaced is the next spare, as it was: nothing was written through the
        # hard links the stage shared with it.
        assert tree_digest(spare_of(out)) == before, change.__name__
        used_spare += had_spare
    assert used_spare == len(CHANGES) - 1  # every build but the first incremental one
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp") or p.endswith(".old")]


def test_no_empty_folders_are_left_of_removed_meetings(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html"], "public")
    sentence(repo)
    build(repo, out, ["html"], "public")  # now there is a spare
    removed_meeting(repo)
    build(repo, out, ["html"], "public")
    assert not (out / "socialudvalget").exists()
    empty = [p for p in out.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert not empty


def spare_after_two_builds(repo: Path, out: Path) -> Path:
    build(repo, out, ["html"], "public")
    sentence(repo)
    build(repo, out, ["html"], "public")
    assert spare_of(out).is_dir()
    return spare_of(out)


def plant_file(spare: Path) -> None:
    (spare / "direktionen" / "planted.html").write_text("<p>planted</p>", encoding="utf-8")


def plant_link(spare: Path) -> None:
    page = spare / "index.html"
    page.unlink()
    page.symlink_to("/etc/hostname")


def plant_folder_link(spare: Path) -> None:
    (spare / "direktionen" / "elsewhere").symlink_to(spare.parent)


def plant_fifo(spare: Path) -> None:
    os.mkfifo(spare / "cases" / "queue.html")


def remove_a_page(spare: Path) -> None:
    (spare / "cases" / "index.html").unlink()


def damage_manifest(spare: Path) -> None:
    (spare / ".referat-cache" / "v1" / "manifest.jsonl").write_text("{", encoding="utf-8")


@pytest.mark.parametrize(
    "damage",
    [plant_file, plant_link, plant_folder_link, plant_fifo, remove_a_page, damage_manifest],
)
def test_a_spare_unlike_its_manifest_is_not_used(
    repo: Path, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    out = tmp_path / "out"
    damage(spare_after_two_builds(repo, out))
    decision(repo)
    built = build(repo, out, ["html"], "public")
    assert built.written
    assert not (out / "direktionen" / "planted.html").exists()
    everything = list(out.rglob("*"))
    assert not any(p.is_symlink() for p in everything)
    assert all(p.is_file() or p.is_dir() for p in everything)  # no FIFO either
    assert tree_digest(out) == full(repo, tmp_path / "full", ("html",))


def test_no_spare_of_another_edition_stays_beside_out(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html"], "internal")
    sentence(repo)
    build(repo, out, ["html"], "internal")
    assert spare_of(out).is_dir()
    build(repo, out, ["html"], "public")
    # The internal output was replaced by the public one, and is not kept as a spare.
    assert not spare_of(out).exists()
    assert sorted(os.listdir(tmp_path)) == ["out", "repo"]


def test_a_build_with_errors_leaves_out_and_no_stage(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    spare_after_two_builds(repo, out)
    before = tree_digest(out)
    item = repo / "direktionen" / "2021-03-01" / "01-oevrige-sager.md"
    item.write_text("---\ntitle: [\n---\n", encoding="utf-8")
    assert build(repo, out, ["html"], "public").failed
    assert tree_digest(out) == before
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_force_does_not_keep_anything_of_the_spare(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    spare = spare_after_two_builds(repo, out)
    # An output file altered in the spare (same name, other bytes) is not a change the
    # manifest can see; --force must not carry it on.
    page = spare / "index.html"
    text = page.read_text(encoding="utf-8")
    page.unlink()  # the spare's page is a hard link to OUT's: replace, do not write through
    page.write_text(text.replace("</body>", "<p>altered</p></body>"), encoding="utf-8")
    built = build(repo, out, ["html"], "public", force=True)
    assert built.rendered == 3
    assert "altered" not in (out / "index.html").read_text(encoding="utf-8")
    assert tree_digest(out) == full(repo, tmp_path / "full", ("html",))
