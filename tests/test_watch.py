"""``build --watch``: a build told what changed looks only there, and still equals a full
rebuild; anything it cannot place, or another build into OUT, makes it look at everything."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from referat import build as build_module
from referat.build import Built, Memory, build
from referat.watch import Watch, build_on_change

from .conftest import EXAMPLES, invoke, tree_digest, write_meeting
from .conftest import MEETING as MEETING_YAML

MEETING = "socialudvalget/2021-03-15"  # an agenda: its items have no decisions
NEW_ITEM = """\
---
title: En ny sag
case: "20/99"
---

## Baggrund

Baggrund for den nye sag.
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "repo")
    return (tmp_path / "repo").resolve()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often a build statted a meeting, read a manifest, or listed a spare's files."""
    counted: Counter[str] = Counter()
    for name in ("stat_fingerprint", "_load_manifest", "_tree_is"):
        original = getattr(build_module, name)

        def wrapper(
            *args: object, _name: str = name, _f: Callable[..., object] = original, **kw: object
        ) -> object:
            counted[_name] += 1
            return _f(*args, **kw)

        monkeypatch.setattr(build_module, name, wrapper)
    return counted


def full_rebuild(repo: Path, out: Path) -> dict[str, str]:
    result = invoke("build", repo, "-o", out, "--force")
    assert result.exit_code == 0, result.output
    return tree_digest(out)


def rebuild(repo: Path, out: Path, memory: Memory, *changed: Path) -> Built:
    memory.changed(changed)
    return build(repo, out, ["html"], "public", memory=memory)


def append(path: Path, text: str) -> Path:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return path


def test_a_told_change_is_the_only_one_looked_at_and_the_result_equals_a_full_rebuild(
    repo: Path, tmp_path: Path, calls: Counter[str]
) -> None:
    out, memory = tmp_path / "out", Memory()
    assert build(repo, out, ["html"], "public", memory=memory).rendered == 3
    item = repo / MEETING / "02-privat-udlejning.md"
    rebuild(repo, out, memory, append(item, "\nFørste tilføjelse.\n"))  # now a spare exists
    calls.clear()
    # Text only: the meeting and no archive page.
    built = rebuild(repo, out, memory, append(item, "\nAnden tilføjelse.\n"))
    assert (built.rendered, built.pages) == (1, 0)
    assert calls == {"stat_fingerprint": 1}  # no manifest read, no spare listed
    assert "Anden tilføjelse." in (out / MEETING / "index.html").read_text(encoding="utf-8")
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full1")

    # A new item (the meeting's summary changes: indexes and case pages), then gone again.
    new = repo / MEETING / "05-ny-sag.md"
    new.write_text(NEW_ITEM, encoding="utf-8")
    calls.clear()
    assert rebuild(repo, out, memory, new).rendered == 1
    assert calls == {"stat_fingerprint": 1}
    assert (out / "cases" / "20-99.html").is_file()
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full2")
    new.unlink()
    assert rebuild(repo, out, memory, new).rendered == 1
    assert not (out / "cases" / "20-99.html").exists()
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full3")

    # A meeting.yaml, a folder or a referat.yaml: every meeting is looked at again.
    meeting_yaml = MEETING_YAML.replace("2021-03-01", "2021-04-12")
    folder = write_meeting(repo / "direktionen" / "2021-04-12", {"meeting.yaml": meeting_yaml})
    calls.clear()
    assert rebuild(repo, out, memory, folder).rendered == 1
    assert calls == {"stat_fingerprint": 3, "_load_manifest": 1}  # the three that were there
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full4")
    shutil.rmtree(folder)
    assert rebuild(repo, out, memory, folder).meetings == 3
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full5")
    config = append(repo / "en" / "referat.yaml", "# a comment\n")
    assert rebuild(repo, out, memory, config).rendered == 1
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full6")
    calls.clear()
    assert rebuild(repo, out, memory).written is False  # told of nothing: nothing to do
    assert calls == {}


def test_another_build_into_out_is_noticed(repo: Path, tmp_path: Path) -> None:
    """The manifest in memory is used only while OUT's is the same file."""
    out, memory = tmp_path / "out", Memory()
    build(repo, out, ["html"], "public", memory=memory)
    rebuild(repo, out, memory, append(repo / MEETING / "01-tilbudsviften.md", "\nMere.\n"))
    assert build(repo, out, ["html"], "internal").rendered == 3  # no memory: another process
    assert rebuild(repo, out, memory).rendered == 3
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full")


def test_a_failed_build_forgets_nothing_it_was_told(repo: Path, tmp_path: Path) -> None:
    out, memory = tmp_path / "out", Memory()
    build(repo, out, ["html"], "public", memory=memory)
    fine = append(repo / MEETING / "01-tilbudsviften.md", "\nEn rettelse.\n")
    broken = repo / "en" / "finance-committee" / "2025-05-12" / "02-procurement-policy.md"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace("title:", "titel:", 1), encoding="utf-8")
    failed = rebuild(repo, out, memory, fine, broken)
    assert failed.failed and not failed.written
    broken.write_text(text, encoding="utf-8")
    # The earlier change is rendered; the fixed file is as it was before, so its meeting is not.
    assert rebuild(repo, out, memory, broken).rendered == 1
    assert "En rettelse." in (out / MEETING / "index.html").read_text(encoding="utf-8")
    assert tree_digest(out) == full_rebuild(repo, tmp_path / "full")


def eventually(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(0.05)


@pytest.fixture
def watching(repo: Path, tmp_path: Path) -> Iterator[list[Built]]:
    """``build_on_change`` on the repository in a thread; the builds it made, in order."""
    built: list[Built] = []
    stop = threading.Event()

    def build_once(memory: Memory) -> None:
        built.append(build(repo, tmp_path / "out", ["html"], "public", memory=memory))

    thread = threading.Thread(
        target=build_on_change,
        args=(repo, build_once),
        kwargs={"template_dir": None, "config_file": None, "on_error": print, "stop": stop},
    )
    thread.start()
    try:
        eventually(lambda: len(built) == 1)
        yield built
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_the_watch_builds_again_after_a_save(
    watching: list[Built], repo: Path, tmp_path: Path
) -> None:
    assert watching[0].rendered == 3
    item = repo / MEETING / "03-kvalitetsstandard-paragraf-85.md"
    # Saved as many editors do: a new file renamed over the old one.
    new = item.with_name(".03.md.tmp")
    new.write_text(item.read_text(encoding="utf-8") + "\nGemt i editoren.\n", encoding="utf-8")
    os.replace(new, item)
    eventually(lambda: len(watching) >= 2 and watching[-1].written)
    assert [b.rendered for b in watching[1:]] == [1]
    page = tmp_path / "out" / MEETING / "index.html"
    assert "Gemt i editoren." in page.read_text(encoding="utf-8")
    (repo / "notes.txt").write_text("not a meeting\n", encoding="utf-8")  # looked at everything
    eventually(lambda: len(watching) >= 3)
    assert not watching[-1].written
    assert tree_digest(tmp_path / "out") == full_rebuild(repo, tmp_path / "full")


def test_the_watch_sees_its_folder_come_back(
    watching: list[Built], repo: Path, tmp_path: Path
) -> None:
    """PATH moved away and back (a branch switched): once it is there again, the watch sees
    changes in it, as it did before."""
    away = repo.with_name("away")
    repo.rename(away)
    eventually(lambda: len(watching) >= 2 and watching[-1].failed)  # PATH cannot be read
    time.sleep(1)  # the watch begins anew, without PATH
    shutil.rmtree(away / "en")  # its referat.yaml, polled, would bring the watch back
    away.rename(repo)
    eventually(lambda: not watching[-1].failed)
    before = len(watching)
    append(repo / MEETING / "01-tilbudsviften.md", "\nEfter flytningen.\n")
    eventually(lambda: any(b.rendered == 1 for b in watching[before:]))
    page = tmp_path / "out" / MEETING / "index.html"
    assert "Efter flytningen." in page.read_text(encoding="utf-8")


def test_the_command_watches_until_ctrl_c(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "referat", "build", str(repo), "-o", str(out), "--watch"]
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=default_sigint,  # were the tests run with SIGINT ignored, it would inherit that
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().decode() for _ in range(2)]
        assert lines[0].startswith("Built 3 meetings (14 items), 3 re-rendered")
        assert lines[1].startswith("Watching ") and lines[1].rstrip().endswith("Ctrl+C to stop")
        assert process.stderr is not None
        errors, reading = lines_of(process.stderr)
        item = repo / MEETING / "01-tilbudsviften.md"
        text = item.read_text(encoding="utf-8")
        item.write_text(text.replace("title:", "titel:", 1), encoding="utf-8")
        failed, report = next_line(errors, "nothing was written")
        assert failed[:9].count(":") == 2, failed  # the time this build failed at, too
        assert any("error[RF" in line for line in report), report
        item.write_text(text + "\nFra kommandolinjen.\n", encoding="utf-8")
        line = process.stdout.readline().decode()
        assert "Built 3 meetings (14 items), 1 re-rendered" in line
        assert line[:9].count(":") == 2  # the time it was built at
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read().decode() == "Stopped\n"
        reading.join(timeout=10)
        assert not any("Traceback" in line for line in errors.queue)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    page = (out / MEETING / "index.html").read_text(encoding="utf-8")
    assert "Fra kommandolinjen." in page


def lines_of(stream: IO[bytes]) -> tuple[queue.Queue[str], threading.Thread]:
    """The lines of ``stream`` as a thread reads them, so that a test never waits on a pipe
    for good; the thread ends with the stream."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for raw in stream:
            lines.put(raw.decode())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return lines, thread


def next_line(lines: queue.Queue[str], containing: str) -> tuple[str, list[str]]:
    """The next line that contains ``containing``, and the lines before it (fails after 20 s)."""
    before: list[str] = []
    deadline = time.monotonic() + 20
    while True:
        line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        if containing in line:
            return line, before
        before.append(line)


def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_watching_a_folder_without_meetings_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("build", tmp_path, "-o", tmp_path / "out", "--watch")
    assert result.exit_code == 2
    assert "no meeting folder" in result.stderr


def test_a_failed_watch_polls_instead_and_says_so_once(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shared by build --watch and serve: the first failure switches to polling; a watch
    that fails while polling waits before it tries again; each message is printed once."""
    import watchfiles

    real = watchfiles.watch
    tries: list[bool | None] = []

    def failing(*args: object, **kwargs: object) -> object:
        tries.append(kwargs["force_polling"])  # type: ignore[arg-type]
        if len(tries) < 3:
            raise OSError("no inotify here")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(watchfiles, "watch", failing)  # the module referat.watch calls
    messages: list[str] = []
    with Watch([repo], [], on_error=messages.append) as watch:
        eventually(lambda: len(tries) == 3)
        assert tries == [None, True, True]
        assert messages == [
            "watching for changes failed: no inotify here; polling instead",
            "watching for changes failed: no inotify here",
        ]
        assert watch.take(timeout=1)[1]  # changes may have been missed while it failed
        item = append(repo / MEETING / "01-tilbudsviften.md", "\nMens der polles.\n")
        eventually(lambda: str(item) in watch.take(timeout=0.5)[0])


def test_what_a_watch_covers(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH and the templates: folders of the referat.yaml files in use are watched, those
    files outside PATH polled; a referat.yaml that names no templates is not parsed (this
    runs after every rebuild)."""
    from referat import config as config_module
    from referat.config import Config
    from referat.diagnostics import Collector
    from referat.watch import watched

    templates = tmp_path / "skabeloner"
    templates.mkdir()
    above = tmp_path / "referat.yaml"
    above.write_text(f"templates: {templates.name}\n", encoding="utf-8")
    parsed: list[Path] = []
    load = config_module.load_config

    def counted(path: Path, diags: Collector) -> Config:
        parsed.append(path)
        return load(path, diags)

    monkeypatch.setattr(config_module, "load_config", counted)
    memory = Memory()
    build(repo, tmp_path / "out", ["html"], "public", memory=memory)
    assert repo / "en" / "referat.yaml" in memory.configs
    parsed.clear()
    folders, polled = watched(repo, None, None, memory)
    assert folders == (repo, templates.resolve())  # sorted
    assert polled == (above.resolve(),)
    assert parsed == [above]  # en/referat.yaml names no templates
