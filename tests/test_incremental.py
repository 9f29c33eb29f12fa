"""Incremental builds: nothing changed renders nothing; one change re-renders what shows it;
the result always equals a full rebuild; the cache is never trusted blindly."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from referat.build import build
from referat.diagnostics import Collector
from referat.discover import real_meetings_in
from referat.pipeline import config_file_for, meeting_files

from .conftest import EXAMPLES, ITEM, MEETING, invoke, tree_digest, write_meeting


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "repo")
    return tmp_path / "repo"


def full_rebuild(repo: Path, out: Path, *args: str) -> dict[str, str]:
    result = invoke("build", repo, "-o", out, "--force", *args)
    assert result.exit_code == 0, result.output
    return tree_digest(out)


def test_nothing_changed_renders_and_writes_nothing(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build(repo, out, ["html", "md"], "public")
    assert first.written and first.rendered == 3 and first.pages > 0
    inode = out.stat().st_ino
    before = {p: q.stat().st_mtime_ns for p, q in ((p, out / p) for p in tree_digest(out))}
    again = build(repo, out, ["html", "md"], "public")
    assert (again.written, again.rendered, again.pages) == (False, 0, 0)
    assert (again.meetings, again.items) == (3, 14)
    assert out.stat().st_ino == inode  # not replaced
    assert {p: (out / p).stat().st_mtime_ns for p in before} == before


def test_a_command_with_nothing_to_build_imports_no_checks(repo: Path, tmp_path: Path) -> None:
    """The command's start is most of a rebuild with nothing to do: it does without the
    checks, the model and the summaries (imported when a meeting is read) and Jinja."""
    import subprocess
    import sys

    out = tmp_path / "out"
    build(repo, out, ["html"], "public")
    command = [sys.executable, "-X", "importtime", "-m", "referat", "build", str(repo), "-o"]
    result = subprocess.run([*command, str(out)], capture_output=True, text=True, check=True)
    assert result.stdout.rstrip().endswith("; nothing changed")
    imported = {line.rpartition("|")[2].strip() for line in result.stderr.splitlines()}
    assert "referat.build" in imported  # it is the import report of the build
    heavy = {"referat.validate", "referat.model", "referat.summary", "referat.digest", "jinja2"}
    assert imported & heavy == set()


def test_one_changed_item_renders_its_meeting_and_the_pages_that_show_it(
    repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html"], "public")
    item = repo / "socialudvalget" / "2021-03-15" / "02-privat-udlejning.md"
    item.write_text(item.read_text(encoding="utf-8") + "\nEn tilføjet sætning.\n", encoding="utf-8")
    changed = build(repo, out, ["html"], "public")
    assert changed.written and changed.rendered == 1
    # The agenda has no decisions and its titles did not change: no archive page shows the
    # added sentence, so none is rendered again.
    assert changed.pages == 0
    page = (out / "socialudvalget" / "2021-03-15" / "index.html").read_text(encoding="utf-8")
    assert "En tilføjet sætning." in page
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full", "-f", "html")


def test_a_changed_decision_renders_the_case_pages(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html"], "public")
    item = repo / "direktionen" / "2021-03-01" / "02-tilbudsviften.md"
    text = item.read_text(encoding="utf-8")
    item.write_text(
        text.replace("Direktionen drøftede sagen.", "Direktionen godkendte sagen."),
        encoding="utf-8",
    )
    changed = build(repo, out, ["html"], "public")
    assert changed.rendered == 1
    assert changed.pages == 1  # cases/20-6598.html
    case = (out / "cases" / "20-6598.html").read_text(encoding="utf-8")
    assert "Direktionen godkendte sagen." in case
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full", "-f", "html")


def test_a_new_and_a_removed_meeting(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html"], "public")
    write_meeting(
        repo / "direktionen" / "2021-03-08", {"meeting.yaml": MEETING.replace("03-01", "03-08")}
    )
    shutil.rmtree(repo / "socialudvalget")
    changed = build(repo, out, ["html"], "public")
    assert changed.rendered == 1 and changed.meetings == 3
    assert (out / "direktionen" / "2021-03-08" / "index.html").is_file()
    assert not (out / "socialudvalget").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Socialudvalget" not in index and "d. 08-03-2021" in index
    assert not (out / "cases" / "21-3187.html").exists()  # only the agenda had it
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full", "-f", "html")


def test_an_added_item_renders_its_meeting(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html"], "public")
    meeting = repo / "direktionen" / "2021-03-01"
    added = ITEM.format(title="En ny sag", number=99)
    (meeting / "07-ny-sag.md").write_text(added, encoding="utf-8")
    changed = build(repo, out, ["html"], "public")
    assert changed.rendered == 1
    assert "En ny sag" in (out / "direktionen" / "2021-03-01" / "index.html").read_text("utf-8")
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full", "-f", "html")


def test_the_search_lists_each_meetings_files_as_the_build_would(tmp_path: Path) -> None:
    """The build takes a meeting's files from the search for meetings where it saw them all."""
    write_meeting(tmp_path / "a" / "2021-03-01", {".hidden.md": "x", "notes.txt": "y"})
    write_meeting(tmp_path / "a" / "2021-03-08", {"bilag/plan.pdf": b"%PDF", ".git/x": "z"})
    write_meeting(tmp_path / "b" / "2021-03-01", {".cache/x": "z"})
    found = {m: files for _, m, _, files in real_meetings_in([tmp_path], Collector())}
    assert set(found) == {"a/2021-03-01", "a/2021-03-08", "b/2021-03-01"}
    assert found["a/2021-03-08"] is None  # a subfolder: listed by meeting_files
    for meeting_id in ("a/2021-03-01", "b/2021-03-01"):
        assert found[meeting_id] == meeting_files(tmp_path / meeting_id)
    assert found["a/2021-03-01"] == ["01-foerste.md", "02-anden.md", "meeting.yaml", "notes.txt"]


def test_the_search_gives_each_meetings_real_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Summaries take a meeting's real path from the search instead of resolving it again."""
    write_meeting(tmp_path / "repo" / "a" / "2021-03-01")
    write_meeting(tmp_path / "repo" / "2021-03-08")
    (tmp_path / "link").symlink_to(tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    item = tmp_path / "link" / "2021-03-08" / "01-foerste.md"
    for path in (Path("."), tmp_path / "link", Path("a/2021-03-01"), item):
        found = real_meetings_in([path], Collector())
        assert found and all(real == str(folder.resolve()) for folder, _, real, _ in found)


def test_touched_but_unchanged_files_render_nothing(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html"], "public")
    for path in repo.rglob("*.md"):
        os.utime(path)  # as a fresh checkout does
    again = build(repo, out, ["html"], "public")
    assert again.rendered == 0 and again.pages == 0


def test_template_and_config_changes_invalidate_what_they_affect(
    repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html"], "public")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "item.html").write_text(
        '<article id="{{ item.anchor }}"><h2>{{ item.heading }}</h2></article>\n', encoding="utf-8"
    )
    assert build(repo, out, ["html"], "public", template_dir=templates).rendered == 3
    assert build(repo, out, ["html"], "public", template_dir=templates).rendered == 0
    config = repo / "en" / "referat.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    assert build(repo, out, ["html"], "public", template_dir=templates).rendered == 1


def test_the_referat_yaml_at_path_sets_the_archives_language_when_it_changes(
    repo: Path, tmp_path: Path
) -> None:
    """The build key holds that file's digest (not its parsed language: a rebuild with
    nothing changed reads no YAML); a change of it is seen, and gives a full rebuild's bytes."""
    out = tmp_path / "out"
    for body in ("direktionen", "socialudvalget"):  # their meetings keep their own
        (repo / body / "referat.yaml").write_text("language: da\n", encoding="utf-8")
    config = repo / "referat.yaml"
    config.write_text("language: da\n", encoding="utf-8")
    build(repo, out, ["html"], "public")
    assert '<html lang="da">' in (out / "cases" / "index.html").read_text("utf-8")
    assert build(repo, out, ["html"], "public").rendered == 0
    config.write_text("language: en\n", encoding="utf-8")
    rebuilt = build(repo, out, ["html"], "public")
    assert rebuilt.rendered == 0 and rebuilt.pages > 0  # no meeting: the archive pages
    assert '<html lang="en">' in (out / "cases" / "index.html").read_text("utf-8")
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full")


def test_the_archives_referat_yaml_is_found_whatever_the_current_folder(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Looked for above PATH up to the root, as each meeting's is, also for PATH "." (it was
    looked for only up to the current folder), and read once per build."""
    from collections import Counter

    from referat import build as build_module

    # The English meetings' referat.yaml moves to the top, where it also sets the archive's
    # language; the Danish ones get their own.
    (repo / "en" / "referat.yaml").rename(repo / "referat.yaml")
    (repo / "sub").mkdir()
    for body in ("direktionen", "socialudvalget", "en"):
        if body != "en":
            (repo / body / "referat.yaml").write_text("language: da\n", encoding="utf-8")
        shutil.move(repo / body, repo / "sub" / body)
    digested: Counter[Path] = Counter()
    config_digest = build_module._config_digest

    def counted(path: Path) -> str:
        digested[path.absolute()] += 1
        return config_digest(path)

    monkeypatch.setattr(build_module, "_config_digest", counted)
    monkeypatch.chdir(repo / "sub")
    build(Path("."), tmp_path / "here", ["html"], "public")
    assert '<html lang="en">' in (tmp_path / "here" / "cases" / "index.html").read_text("utf-8")
    monkeypatch.chdir(repo)
    build(Path("sub"), tmp_path / "above", ["html"], "public")
    assert tree_digest(tmp_path / "here") == tree_digest(tmp_path / "above")
    assert digested[repo / "referat.yaml"] == 2  # once in each of the two builds
    assert set(digested.values()) == {2}


def test_a_referat_yaml_in_a_meeting_folder_is_its_own(repo: Path, tmp_path: Path) -> None:
    """The plan looks for it in the folder's listing (no stat per meeting); a change of it
    renders that meeting again, and no other."""
    out = tmp_path / "out"
    meeting = repo / "direktionen" / "2021-03-01"
    config = meeting / "referat.yaml"
    config.write_text("language: da\n", encoding="utf-8")
    files = meeting_files(meeting)
    assert "referat.yaml" in files
    assert config_file_for(meeting, None, files) == config_file_for(meeting, None) == config
    parent = repo / "en" / "referat.yaml"
    for folder in (repo / "en").iterdir():
        if folder.is_dir():
            assert config_file_for(folder, None, meeting_files(folder)) == parent
    assert build(repo, out, ["html"], "public").diagnostics == []
    config.write_text("language: da\n# changed\n", encoding="utf-8")
    assert build(repo, out, ["html"], "public").rendered == 1
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full")


def test_a_template_in_a_referat_yaml_templates_folder_is_part_of_the_cache(
    repo: Path, tmp_path: Path
) -> None:
    """The templates named by ``templates:`` render the meetings below that referat.yaml: an
    edit of one renders them again (it was missed: the cache held only the file's digest)."""
    out = tmp_path / "out"
    folder = repo / "en" / "tpl"
    folder.mkdir()
    item = folder / "item.html"
    item.write_text('<article id="{{ item.anchor }}"><h2>A {{ item.heading }}</h2></article>\n')
    config = repo / "en" / "referat.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "templates: tpl\n", encoding="utf-8")
    assert build(repo, out, ["html"], "public").rendered == 3
    item.write_text('<article id="{{ item.anchor }}"><h2>B {{ item.heading }}</h2></article>\n')
    again = build(repo, out, ["html"], "public")
    assert again.rendered == 1  # the English meeting; the Danish ones have no such folder
    page = out / "en" / "finance-committee" / "2025-05-12" / "index.html"
    assert "<h2>B " in page.read_text(encoding="utf-8")
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full")
    assert build(repo, out, ["html"], "public").rendered == 0


def test_a_template_edited_between_builds_in_one_process_is_read_again(
    repo: Path, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    item = templates / "item.html"
    item.write_text('<article id="{{ item.anchor }}"><h2>{{ item.heading }}</h2></article>\n')
    out = tmp_path / "out"
    build(repo, out, ["html"], "public", template_dir=templates)
    item.write_text('<article id="{{ item.anchor }}"><h2>Ny {{ item.heading }}</h2></article>\n')
    assert build(repo, out, ["html"], "public", template_dir=templates).rendered == 3
    pages = [p for p in out.rglob("index.html") if p.parent not in (out, out / "cases")]
    assert len(pages) == 3
    assert all("<h2>Ny " in page.read_text(encoding="utf-8") for page in pages)


def test_other_edition_or_formats_rebuild_all(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html"], "public")
    assert build(repo, out, ["html"], "internal").rendered == 3
    assert build(repo, out, ["html", "json"], "internal").rendered == 3
    assert build(repo, out, ["html", "json"], "internal", force=True).rendered == 3


@pytest.mark.parametrize(
    "damage",
    [
        "not json at all",
        json.dumps({"format": 1, "key": "x", "meetings": {}, "pages": {}}),
        json.dumps({"format": 99}),
        json.dumps([1, 2, 3]),
    ],
)
def test_a_damaged_or_foreign_manifest_is_ignored(repo: Path, tmp_path: Path, damage: str) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html"], "public")
    (out / ".referat-cache" / "v1" / "manifest.jsonl").write_text(damage, encoding="utf-8")
    again = build(repo, out, ["html"], "public")
    assert again.rendered == 3
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full", "-f", "html")


def test_a_manifest_pointing_outside_out_is_ignored(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html"], "public")
    shards = sorted((out / ".referat-cache" / "v1" / "manifest").iterdir())
    assert [p.name for p in shards] == ["0000.jsonl"]  # three meetings: one shard
    # A shard: its pages' keys, then per meeting [[id, stat, content, outputs, ...], summary].
    pages, *lines = shards[0].read_text(encoding="utf-8").splitlines()
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the output", encoding="utf-8")
    damaged = [pages]
    for line in lines:
        fields = json.loads(line)
        fields[0][3].append("../secret.txt")
        damaged.append(json.dumps(fields))
    shards[0].write_text("\n".join(damaged) + "\n", encoding="utf-8")
    item = repo / "direktionen" / "2021-03-01" / "01-oevrige-sager.md"
    item.write_text(item.read_text(encoding="utf-8") + "\nMere.\n", encoding="utf-8")
    assert build(repo, out, ["html"], "public").rendered == 3
    assert "not for the output" not in "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file()
    )


@pytest.fixture
def many(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Forty meetings, in a manifest of two shards (of at most 32 meetings each here)."""
    from referat import build as build_module

    monkeypatch.setattr(build_module, "_PER_SHARD", 32)
    root = tmp_path / "many"
    for day in range(40):
        date = f"2021-{1 + day // 20:02d}-{1 + day % 20:02d}"
        write_meeting(root / date, {"meeting.yaml": MEETING.replace("2021-03-01", date)})
    return root


def shard_inodes(out: Path) -> dict[str, int]:
    folder = out / ".referat-cache" / "v1" / "manifest"
    return {p.name: p.stat().st_ino for p in folder.iterdir()}


def test_a_rebuild_writes_only_the_manifest_shards_that_changed(many: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(many, out, ["html"], "public")
    before = shard_inodes(out)
    assert len(before) == 2
    item = many / "2021-01-05" / "01-foerste.md"
    item.write_text(item.read_text(encoding="utf-8") + "\nMere tekst.\n", encoding="utf-8")
    assert build(many, out, ["html"], "public").rendered == 1
    after = shard_inodes(out)
    assert sum(after[name] != inode for name, inode in before.items()) == 1
    assert tree_digest(out) == full_rebuild(many, tmp_path / "full")


def test_a_manifest_with_a_missing_shard_is_ignored(many: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(many, out, ["html"], "public")
    sorted((out / ".referat-cache" / "v1" / "manifest").iterdir())[1].unlink()
    assert build(many, out, ["html"], "public").rendered == 40
    assert tree_digest(out) == full_rebuild(many, tmp_path / "full")


@pytest.mark.parametrize("edited", ["2021-01-05", "2021-02-14"])  # one in each shard
def test_shards_holding_entries_of_other_shards_are_all_written_again(
    many: Path, tmp_path: Path, edited: str
) -> None:
    """Kept shards must hold just what their checksums pick: else, written over, a meeting
    would end up in two shards, or none. Checked when a write first relies on it."""
    out = tmp_path / "out"
    build(many, out, ["html"], "public")
    first, second = sorted((out / ".referat-cache" / "v1" / "manifest").iterdir())
    pages, *lines = second.read_text(encoding="utf-8").splitlines()
    first.write_text(first.read_text(encoding="utf-8") + lines[0] + "\n", encoding="utf-8")
    second.write_text("\n".join([pages, *lines[1:]]) + "\n", encoding="utf-8")
    assert build(many, out, ["html"], "public").rendered == 0  # nothing to write: not checked
    item = many / edited / "01-foerste.md"
    item.write_text(item.read_text(encoding="utf-8") + "\nMere tekst.\n", encoding="utf-8")
    assert build(many, out, ["html"], "public").rendered == 1
    assert tree_digest(out) == full_rebuild(many, tmp_path / "full")


def test_a_deleted_output_file_is_written_again(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(repo, out, ["html"], "public")
    (out / "direktionen" / "2021-03-01" / "index.html").unlink()
    again = build(repo, out, ["html"], "public")
    assert again.rendered == 1
    assert (out / "direktionen" / "2021-03-01" / "index.html").is_file()


def test_parallel_build_equals_serial(tmp_path: Path) -> None:
    # 28 meetings of 8 items with cases of their own: enough meetings for worker processes,
    # and enough case pages (224) for the archive to be rendered by them too.
    repo = tmp_path / "many"
    for day in range(1, 29):
        items: dict[str, str | bytes | None] = {"01-foerste.md": None, "02-anden.md": None}
        for n in range(1, 9):
            text = ITEM.format(title=f"Sag {day}-{n}", number=n)
            items[f"{n:02d}-sag.md"] = text.replace(f'"20/{n}"', f'"21/{day * 10 + n}"')
        items["meeting.yaml"] = MEETING.replace("2021-03-01", f"2021-02-{day:02d}")
        write_meeting(repo / f"2021-02-{day:02d}", items)
    serial = build(repo, tmp_path / "serial", ["html", "md", "json"], "public", jobs=1)
    parallel = build(repo, tmp_path / "parallel", ["html", "md", "json"], "public", jobs=2)
    assert not serial.failed, serial.diagnostics
    assert serial.rendered == parallel.rendered == 28
    assert serial.pages == parallel.pages >= 224
    assert tree_digest(tmp_path / "serial") == tree_digest(tmp_path / "parallel")


def test_the_cache_of_a_public_build_holds_nothing_of_closed_items(
    repo: Path, tmp_path: Path
) -> None:
    from .test_editions import closed_items, secrets

    out = tmp_path / "out"
    build(repo, out, ["html", "pdf"], "public")
    cached = "".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (out / ".referat-cache").rglob("*.json")
    )
    assert cached
    for item in closed_items(EXAMPLES):
        for secret in secrets(item):
            assert secret not in cached


def test_summary_line(repo: Path, tmp_path: Path) -> None:
    first = invoke("build", repo, "-o", tmp_path / "out")
    assert first.stdout.startswith("Built 3 meetings (14 items), 3 re-rendered, into ")
    again = invoke("build", repo, "-o", tmp_path / "out")
    assert again.stdout.rstrip().endswith("; nothing changed")


def test_a_decision_edit_reads_only_the_meetings_of_its_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two meetings treat case 20/1 under different titles (an RF502 warning); a third
    # meeting has nothing to do with it.
    repo = tmp_path / "repo"
    write_meeting(repo / "direktionen" / "2021-03-01")
    write_meeting(
        repo / "direktionen" / "2021-03-08",
        {
            "meeting.yaml": MEETING.replace("03-01", "03-08"),
            "01-foerste.md": ITEM.format(title="Første sag, igen", number=1),
        },
    )
    write_meeting(
        repo / "direktionen" / "2021-03-15",
        {
            "meeting.yaml": MEETING.replace("03-01", "03-15"),
            "01-foerste.md": ITEM.format(title="Tredje sag", number=3),
            "02-anden.md": ITEM.format(title="Fjerde sag", number=4),
        },
    )
    out = tmp_path / "out"
    first = build(repo, out, ["html"], "public")
    assert [d.code for d in first.diagnostics] == ["RF502"]
    item = repo / "direktionen" / "2021-03-08" / "01-foerste.md"
    item.write_text(
        item.read_text(encoding="utf-8").replace("godkendte sag 1.", "udsatte sag 1."),
        encoding="utf-8",
    )

    import referat.build
    import referat.crosscheck

    def no_cross_check(*args: object) -> None:
        raise AssertionError("the checks across meetings ran again")

    monkeypatch.setattr(referat.crosscheck, "cross_check", no_cross_check)  # as build calls it
    read: list[str] = []
    summary = referat.build._Entry.summary

    def reading(entry: referat.build._Entry) -> object:
        read.append(entry.folder)
        return summary.fget(entry)  # type: ignore[attr-defined]

    monkeypatch.setattr(referat.build._Entry, "summary", property(reading))
    changed = build(repo, out, ["html"], "public")
    monkeypatch.undo()
    assert changed.rendered == 1 and changed.pages == 1  # cases/20-1.html
    assert [d.code for d in changed.diagnostics] == ["RF502"]  # found again, not lost
    assert not any(folder.endswith("2021-03-15") for folder in read)
    assert "udsatte sag 1." in (out / "cases" / "20-1.html").read_text(encoding="utf-8")
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full", "-f", "html")
