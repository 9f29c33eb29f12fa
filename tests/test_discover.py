"""Finding meeting folders: the search's own walk sees what ``os.walk`` sees, links included."""

from __future__ import annotations

import os
from pathlib import Path

from referat.diagnostics import Collector
from referat.discover import _walk, real_meetings_in

from .conftest import write_meeting


def tree(root: Path) -> Path:
    """Meetings, a link to a meeting folder elsewhere, links to files and nowhere, a folder
    linked to itself, hidden folders and subfolders of a meeting."""
    write_meeting(root / "direktionen" / "2021-03-01")
    write_meeting(root / "direktionen" / "2021-03-08")
    write_meeting(root.parent / "elsewhere" / "2021-04-01")
    (root / "direktionen" / "2021-03-08" / "bilag").mkdir()
    (root / "direktionen" / "2021-03-08" / "bilag" / "notat.pdf").write_bytes(b"%PDF")
    (root / "direktionen" / "linked").symlink_to(root.parent / "elsewhere" / "2021-04-01")
    (root / "direktionen" / "loop").symlink_to(root / "direktionen")
    (root / "direktionen" / "to-file.md").symlink_to(
        root / "direktionen" / "2021-03-01" / "meeting.yaml"
    )
    (root / "broken").symlink_to(root / "nowhere")
    (root / ".git" / "objects").mkdir(parents=True)
    (root / "tom").mkdir()
    return root


def test_the_walk_is_os_walks(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo")
    for start in (str(root), str(root) + "/"):
        ours = [
            (top, sorted(dirs), sorted(files)) for top, dirs, files in _walk(start, Collector())
        ]
        theirs = [(top, sorted(dirs), sorted(files)) for top, dirs, files in os.walk(start)]
        assert sorted(ours) == sorted(theirs)
        assert any(top.endswith("bilag") for top, _, _ in ours)  # into folders, not links
        assert not any("linked" in top or "loop" in top for top, _, _ in ours)


def test_a_linked_meeting_folder_is_not_searched(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo")
    diags = Collector()
    found = real_meetings_in([root], diags)
    assert [meeting_id for _, meeting_id, _, _ in found] == [
        "direktionen/2021-03-01",
        "direktionen/2021-03-08",
    ]
    assert [files is None for _, _, _, files in found] == [False, True]  # bilag/: listed later
    assert not len(diags)
