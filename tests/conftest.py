"""Shared helpers for the tests: writing meetings into temporary folders and running the CLI."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from referat.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

MEETING = """\
body: Direktionen
date: 2021-03-01
time: "09:30"
location: Teams
"""

ITEM = """\
---
title: {title}
case: "20/{number}"
---

## Baggrund

Baggrund for sag {number}.

## Beslutning

Direktionen godkendte sag {number}.
"""


def write_meeting(folder: Path, files: Mapping[str, str | bytes | None] | None = None) -> Path:
    """A valid two-item meeting in ``folder``, with ``files`` added, replaced or (None) removed."""
    folder.mkdir(parents=True, exist_ok=True)
    base: dict[str, str | bytes | None] = {
        "meeting.yaml": MEETING,
        "01-foerste.md": ITEM.format(title="Første sag", number=1),
        "02-anden.md": ITEM.format(title="Anden sag", number=2),
    }
    base.update(files or {})
    for name, content in base.items():
        path = folder / name
        if content is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def invoke(*args: str | Path) -> Result:
    """Run the real command line in-process."""
    return CliRunner().invoke(app, [str(a) for a in args])


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder`` by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def published(folder: Path) -> set[str]:
    """The files a build published: everything but referat's own dot-files (marker, cache)."""
    return {p for p in tree_digest(folder) if not p.startswith(".")}


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The compiled templates the tests' builds keep go to a folder of the test run, not to
    the user's cache (subprocesses get it through the environment)."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


def plain_env() -> dict[str, str]:
    """A bare environment for real processes: no colour, and the test run's cache folder."""
    cache = os.environ["XDG_CACHE_HOME"]
    return {"NO_COLOR": "1", "PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": cache}


@pytest.fixture
def meeting(tmp_path: Path) -> Path:
    """A valid meeting folder."""
    return write_meeting(tmp_path / "src" / "2021-03-01")
