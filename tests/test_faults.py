"""Fault tests (issue 5, "Trust"): a build killed at any moment leaves OUT whole; a
read-only or full OUT is a clear error; `validate` and `build` never touch a source file.

The kill tests run the real command in a subprocess of its own session and SIGKILL the
whole process group (the main process and its pool workers) at moments spread over the
build. Afterwards OUT must be exactly the previous output or exactly the new one.

Some mechanisms need privileges (root ignores file modes; mounting needs root): such
tests are skipped with the reason, unless ``REFERAT_REQUIRE_FAULTS=1``, when they fail.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import os
import pwd
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

from .conftest import EXAMPLES, ITEM, MEETING, ROOT, invoke, tree_digest, write_meeting

REQUIRE = os.environ.get("REFERAT_REQUIRE_FAULTS") == "1"
FORMATS = ("-f", "html", "-f", "md", "-f", "json")
#: Two workers, so that 24 or more changed meetings go through the process pool on any machine.
JOBS = ("-j", "2")
MEETINGS = 30
#: Kill moments, as fractions of a whole build's duration from its start.
FRACTIONS = (0.05, 0.2, 0.4, 0.6, 0.8, 0.95)
#: Kill moments, as fractions of the time from the staging folder's appearance to the end.
STAGED = (0.0, 0.5, 0.95)
RANDOM_KILLS = 2
SEED = int(os.environ.get("REFERAT_FAULT_SEED", str(time.time_ns() % 2**32)))
BROKEN = ROOT / "tests" / "cases" / "broken" / "src"


def unavailable(reason: str) -> NoReturn:
    """Skip for want of a mechanism; fail instead where CI demands every fault test."""
    if REQUIRE:
        pytest.fail(f"{reason} (REFERAT_REQUIRE_FAULTS=1)")
    pytest.skip(reason)


# --- A repository of many meetings --------------------------------------------------------


def write_repository(root: Path) -> Path:
    """Thirty meetings of two bodies, a week apart: three items, one attachment each, and
    one closed item in one of them."""
    attachment = "attachments:\n  - {title: Notat, file: bilag/notat.pdf}\n---\n\n"
    for n in range(MEETINGS):
        day = (datetime.date(2021, 1, 4) + datetime.timedelta(days=7 * n)).isoformat()
        body = ("Direktionen", "Socialudvalget")[n % 2]
        files: dict[str, str | bytes | None] = {
            "meeting.yaml": MEETING.replace("Direktionen", body).replace("2021-03-01", day),
            "01-foerste.md": ITEM.format(title=f"Første sag {n}", number=100 * n + 1),
            "02-anden.md": ITEM.format(title=f"Anden sag {n}", number=100 * n + 2),
            "03-tredje.md": ITEM.format(title=f"Tredje sag {n}", number=100 * n + 3).replace(
                "---\n\n", attachment, 1
            ),
            "bilag/notat.pdf": b"%PDF-1.4 notat " + str(n).encode(),
        }
        if n == 7:
            files["04-lukket.md"] = ITEM.format(title="Lukket sag", number=704).replace(
                "---\n\n", "closed: true\n---\n\n", 1
            )
        write_meeting(root / body.lower() / day, files)
    return root


def meeting_folders(repo: Path) -> list[Path]:
    return sorted(p.parent for p in repo.rglob("meeting.yaml"))


def change_every_meeting(repo: Path) -> None:
    """An added sentence in every meeting: the next build renders all of them (in the pool)."""
    for folder in meeting_folders(repo):
        item = folder / "01-foerste.md"
        item.write_text(item.read_text(encoding="utf-8") + "\nTilføjet.\n", encoding="utf-8")


def change_one_meeting(repo: Path) -> None:
    """A changed decision in one meeting: the next build links the other 29 from OUT."""
    item = meeting_folders(repo)[12] / "02-anden.md"
    text = item.read_text(encoding="utf-8")
    item.write_text(text.replace("godkendte", "afviste"), encoding="utf-8")


# --- Processes ----------------------------------------------------------------------------


def command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "referat", *(str(a) for a in args)]


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """The command in a session (and process group) of its own, its output to ``log``."""
    with log.open("wb") as sink:
        return subprocess.Popen(args, stdout=sink, stderr=sink, start_new_session=True)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid``."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def wait_for_workers(process: subprocess.Popen[bytes]) -> list[int]:
    """The pool's workers, as soon as they are there (none if the build ended first)."""
    while process.poll() is None:
        workers = children(process.pid)
        if workers:
            return workers
        time.sleep(0.002)
    return []


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def clear_error(result: subprocess.CompletedProcess[str]) -> None:
    """Exit 1 with a one-line ``referat:`` message and no traceback."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("referat: "), result.stderr


# --- The output folder --------------------------------------------------------------------


def leftovers(out: Path) -> list[str]:
    """Staging folders (or old outputs) of builds into ``out`` that are still beside it."""
    return sorted(
        p.name
        for p in out.parent.iterdir()
        if p.name.startswith(f".{out.name}.") and p.suffix in (".tmp", ".old") and p.is_dir()
    )


def difference(now: dict[str, str], previous: dict[str, str], new: dict[str, str]) -> str:
    lines = []
    for name, expected in (("previous", previous), ("new", new)):
        missing = sorted(set(expected) - set(now))
        extra = sorted(set(now) - set(expected))
        changed = sorted(p for p in set(now) & set(expected) if now[p] != expected[p])
        lines.append(
            f"against the {name} output: {len(missing)} missing {missing[:5]}, "
            f"{len(extra)} extra {extra[:5]}, {len(changed)} different {changed[:5]}"
        )
    return "; ".join(lines)


@dataclass
class Scenario:
    """A repository built once (the previous output), then changed (the new output)."""

    repo: Path
    out: Path
    snapshot: Path
    previous: dict[str, str]
    new: dict[str, str]
    logs: Path

    def args(self, *extra: str) -> list[str]:
        return command("build", self.repo, "-o", self.out, *FORMATS, *JOBS, *extra)

    def restore(self) -> None:
        """Put the previous output back in OUT (leaving whatever lies beside it)."""
        if self.out.is_dir() and tree_digest(self.out) == self.previous:
            return
        shutil.rmtree(self.out, ignore_errors=True)
        shutil.copytree(self.snapshot, self.out, symlinks=True)

    def outcome(self, what: str) -> str:
        """What OUT holds: "previous" or "new"; fails on anything else."""
        assert self.out.is_dir(), f"{what}: OUT is gone"
        now = tree_digest(self.out)
        if now == self.previous:
            return "previous"
        if now == self.new:
            return "new"
        pytest.fail(f"{what}: OUT is a mix: {difference(now, self.previous, self.new)}")


def prepare(root: Path, change: str) -> Scenario:
    repo = write_repository(root / "repo")
    out = root / "site" / "out"
    logs = root / "logs"
    logs.mkdir()
    first = run(command("build", repo, "-o", out, *FORMATS, *JOBS))
    assert first.returncode == 0, first.stderr
    previous = tree_digest(out)
    snapshot = root / "snapshot"
    shutil.copytree(out, snapshot, symlinks=True)
    {"every": change_every_meeting, "one": change_one_meeting}[change](repo)
    clean = run(command("build", repo, "-o", root / "clean", *FORMATS, *JOBS))
    assert clean.returncode == 0, clean.stderr
    new = tree_digest(root / "clean")
    assert new != previous
    return Scenario(repo, out, snapshot, previous, new, logs)


@pytest.fixture(scope="module")
def every(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """Every meeting changed: the next build renders all 30, in the process pool."""
    return prepare(tmp_path_factory.mktemp("every"), "every")


@pytest.fixture(scope="module")
def one(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """One meeting changed: the next build hard-links the rest from the previous OUT."""
    return prepare(tmp_path_factory.mktemp("one"), "one")


def source_digest(root: Path) -> dict[str, tuple[object, ...]]:
    """Every file and folder below ``root``: kind, sha256, mode, size, times, inode, links."""
    found: dict[str, tuple[object, ...]] = {}
    for path in sorted([root, *root.rglob("*")]):
        info = path.lstat()
        if stat.S_ISREG(info.st_mode):
            kind, content = "file", hashlib.sha256(path.read_bytes()).hexdigest()
        elif stat.S_ISLNK(info.st_mode):
            kind, content = "link", os.readlink(path)
        else:
            kind, content = "folder", ""
        found[path.relative_to(root).as_posix()] = (
            kind,
            content,
            info.st_mode,
            info.st_size if kind == "file" else 0,
            info.st_mtime_ns,
            info.st_ctime_ns,
            info.st_ino,
            info.st_nlink,
        )
    return found


# --- 1. SIGKILL at any moment -------------------------------------------------------------


@dataclass
class Trial:
    label: str
    delay: float
    returncode: int = 0
    outcome: str = ""
    leftovers: int = 0


@dataclass
class Timing:
    staged: float
    total: float
    trials: list[Trial] = field(default_factory=list)


def measure(scenario: Scenario) -> Timing:
    """One uninterrupted build of the changed sources into the previous OUT, timed; its
    result must equal a clean build of them."""
    scenario.restore()
    before = set(leftovers(scenario.out))
    begun = time.perf_counter()
    process = start(scenario.args(), scenario.logs / "measure.log")
    staged = None
    while process.poll() is None:
        if staged is None and set(leftovers(scenario.out)) - before:
            staged = time.perf_counter() - begun
        time.sleep(0.005)
    total = time.perf_counter() - begun
    log = (scenario.logs / "measure.log").read_text(encoding="utf-8")
    assert process.returncode == 0, log
    assert scenario.outcome("uninterrupted build") == "new"
    return Timing(staged if staged is not None else total / 2, total)


def kill_during(scenario: Scenario, trial: Trial, after_stage: bool) -> None:
    scenario.restore()
    before = set(leftovers(scenario.out))
    process = start(scenario.args(), scenario.logs / f"{trial.label}.log")
    if after_stage:
        while process.poll() is None and not set(leftovers(scenario.out)) - before:
            time.sleep(0.0005)
    time.sleep(trial.delay)
    kill_group(process)
    trial.returncode = process.returncode
    trial.outcome = scenario.outcome(f"killed {trial.label} (seed {SEED})")
    trial.leftovers = len(leftovers(scenario.out))


@pytest.mark.parametrize("change", ["every", "one"])
def test_sigkill_at_any_moment_leaves_the_previous_or_the_new_output_whole(
    change: str, request: pytest.FixtureRequest
) -> None:
    scenario: Scenario = request.getfixturevalue(change)
    sources = source_digest(scenario.repo)
    timing = measure(scenario)
    rng = random.Random(SEED)
    plan = [(Trial(f"at-{f:.0%}", f * timing.total), False) for f in FRACTIONS]
    plan += [
        (Trial(f"random-{i}", rng.uniform(0.0, 1.1) * timing.total), False)
        for i in range(RANDOM_KILLS)
    ]
    window = timing.total - timing.staged
    plan += [(Trial(f"staged+{f:.0%}", f * window), True) for f in STAGED]
    for trial, after_stage in plan:
        kill_during(scenario, trial, after_stage)
        timing.trials.append(trial)

    killed = [t for t in timing.trials if t.returncode == -signal.SIGKILL]
    print(
        f"\n[{change}] build {timing.total:.2f} s (staging folder after {timing.staged:.2f} s), "
        f"seed {SEED}; "
        + ", ".join(
            f"{t.label}@{t.delay:.2f}s:{'killed' if t in killed else 'ended'}/{t.outcome}"
            f"/{t.leftovers} left"
            for t in timing.trials
        )
    )
    assert killed, "no kill hit a running build; the test proved nothing"
    assert source_digest(scenario.repo) == sources

    # What killed builds left beside OUT breaks nothing, and the next build that writes
    # removes it.
    scenario.restore()
    stale = leftovers(scenario.out)
    result = run(scenario.args())
    assert result.returncode == 0, result.stderr
    assert scenario.outcome("the build after the kills") == "new"
    assert leftovers(scenario.out) == [], f"left beside OUT: {stale} before, still there after"


# --- Killed workers -----------------------------------------------------------------------


@dataclass
class WorkerKill:
    returncode: int
    log: str
    outcome: str
    leftovers: list[str]


@pytest.fixture(scope="module")
def killed_worker(every: Scenario) -> WorkerKill:
    """A build whose first pool worker is killed while the pool runs."""
    for attempt in range(3):
        every.restore()
        log = every.logs / f"worker-{attempt}.log"
        process = start(every.args(), log)
        workers = wait_for_workers(process)
        if workers:
            os.kill(workers[0], signal.SIGKILL)
        try:
            process.wait(timeout=60)
        finally:
            kill_group(process)
        if workers and process.returncode != 0:
            break
    else:
        pytest.fail("never caught the build's pool workers running")
    outcome = every.outcome("a killed worker")
    return WorkerKill(
        process.returncode, log.read_text(encoding="utf-8"), outcome, leftovers(every.out)
    )


def test_a_killed_worker_fails_the_build_and_leaves_the_previous_output(
    killed_worker: WorkerKill,
) -> None:
    assert killed_worker.returncode == 1, killed_worker.log
    assert killed_worker.outcome == "previous"
    assert killed_worker.leftovers == []


def test_a_killed_worker_is_a_clear_error(killed_worker: WorkerKill) -> None:
    assert "Traceback" not in killed_worker.log, killed_worker.log
    assert killed_worker.log.startswith("referat: ")


@dataclass
class MainKill:
    outcome: str
    orphans: list[int]


@pytest.fixture(scope="module")
def killed_main(every: Scenario) -> MainKill:
    """A build whose main process alone is killed (``kill -9 PID``) while the pool runs."""
    every.restore()
    process = start(every.args(), every.logs / "main.log")
    try:
        workers = wait_for_workers(process)
        if not workers:
            pytest.fail("never caught the build's pool workers running")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        deadline = time.monotonic() + 2
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        orphans = [w for w in workers if alive(w)]
    finally:
        kill_group(process)  # the orphans are still in the build's process group
    return MainKill(every.outcome("the main process killed"), orphans)


def test_killing_the_main_process_alone_leaves_the_previous_output(killed_main: MainKill) -> None:
    assert killed_main.outcome == "previous"


def test_killing_the_main_process_alone_leaves_no_worker_behind(killed_main: MainKill) -> None:
    assert killed_main.orphans == [], f"workers still running 2 s later: {killed_main.orphans}"


# --- 2. A read-only or full OUT -----------------------------------------------------------


@contextlib.contextmanager
def world_enterable() -> Iterator[Path]:
    """A temporary folder every user may enter (pytest's own is private to its user)."""
    folder = Path(tempfile.mkdtemp(prefix="referat-faults-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    with world_enterable() as folder:
        yield folder


def unprivileged(folder: Path) -> list[str]:
    """A prefix that runs a command without root's power to ignore file modes; ``folder``
    (already made) is handed to that user."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        unavailable("running as root, and setpriv (util-linux) is not installed")
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        unavailable("running as root, and there is no user nobody")
    prefix = [
        setpriv,
        f"--reuid={nobody.pw_uid}",
        f"--regid={nobody.pw_gid}",
        "--clear-groups",
    ]
    probe = run([*prefix, sys.executable, "-c", "import referat"])
    if probe.returncode != 0:
        unavailable(f"setpriv cannot run referat as nobody: {probe.stderr.strip()}")
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, nobody.pw_uid, nobody.pw_gid, follow_symlinks=False)
    return prefix


@dataclass
class Site:
    """Sources, and a previous build of them in ``parent/out``, built by ``user``."""

    repo: Path
    out: Path
    user: list[str]
    previous: dict[str, str]

    def build(self) -> subprocess.CompletedProcess[str]:
        return run([*self.user, *command("build", self.repo, "-o", self.out, *FORMATS)])


def site(base: Path, user: list[str]) -> Site:
    repo = base / "repo"
    write_meeting(repo / "2021-03-01")
    write_meeting(repo / "2021-03-08", {"meeting.yaml": MEETING.replace("03-01", "03-08")})
    out = base / "parent" / "out"
    out.parent.mkdir()
    if user:
        os.chown(out.parent, *_owner(user))
    first = run([*user, *command("build", repo, "-o", out, *FORMATS)])
    assert first.returncode == 0, first.stderr
    # Changed sources: the next build has something to write.
    item = repo / "2021-03-01" / "01-foerste.md"
    item.write_text(item.read_text(encoding="utf-8") + "\nTilføjet.\n", encoding="utf-8")
    return Site(repo, out, user, tree_digest(out))


def _owner(user: list[str]) -> tuple[int, int]:
    uid = int(next(a for a in user if a.startswith("--reuid=")).partition("=")[2])
    gid = int(next(a for a in user if a.startswith("--regid=")).partition("=")[2])
    return uid, gid


def parent_listing(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir())


def test_read_only_parent_of_out_is_a_clear_error(open_dir: Path) -> None:
    built = site(open_dir, unprivileged(open_dir))
    listing = parent_listing(built.out)
    built.out.parent.chmod(0o555)
    result = built.build()
    clear_error(result)
    assert "Permission denied" in result.stderr
    assert tree_digest(built.out) == built.previous
    assert parent_listing(built.out) == listing


@dataclass
class ReadOnlyOut:
    site: Site
    first: subprocess.CompletedProcess[str]
    leftovers: list[str]


@pytest.fixture(scope="module")
def read_only_out() -> Iterator[ReadOnlyOut]:
    """OUT and everything in it made read-only (``chmod -R a-w``), then two builds into it."""
    with world_enterable() as base:
        built = site(base, unprivileged(base))
        for path in [built.out, *built.out.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        first = built.build()
        built.build()
        yield ReadOnlyOut(built, first, leftovers(built.out))


def test_read_only_out_is_a_clear_error(read_only_out: ReadOnlyOut) -> None:
    clear_error(read_only_out.first)
    assert tree_digest(read_only_out.site.out) == read_only_out.site.previous


def test_read_only_out_leaves_nothing_beside_it(read_only_out: ReadOnlyOut) -> None:
    assert read_only_out.leftovers == []


def need_mount() -> None:
    if os.geteuid() != 0:
        unavailable("mounting a file system needs root")
    if shutil.which("mount") is None or shutil.which("umount") is None:
        unavailable("mount is not installed")


@contextlib.contextmanager
def mounted(target: Path, *args: str) -> Iterator[None]:
    """``mount ARGS TARGET`` for the duration; skipped where mounting is not possible."""
    need_mount()
    result = run(["mount", *args, str(target)])
    if result.returncode != 0:
        unavailable(f"cannot mount here: {result.stderr.strip()}")
    try:
        yield
    finally:
        run(["umount", "-l", str(target)])


def test_read_only_file_system_is_a_clear_error(tmp_path: Path) -> None:
    need_mount()
    built = site(tmp_path, [])
    parent = built.out.parent
    listing = parent_listing(built.out)
    with mounted(parent, "--bind", str(parent)):
        remount = run(["mount", "-o", "remount,ro,bind", str(parent)])
        if remount.returncode != 0:
            unavailable(f"cannot make a bind mount read-only: {remount.stderr.strip()}")
        result = built.build()
        clear_error(result)
        assert "Read-only file system" in result.stderr
        assert tree_digest(built.out) == built.previous
        assert parent_listing(built.out) == listing


def fill(folder: Path) -> Path:
    """A file that takes all the free space of ``folder``'s file system."""
    filler = folder / "filler"
    chunk = b"\0" * 4096
    with filler.open("wb", buffering=0) as sink:
        try:
            while True:
                sink.write(chunk)
        except OSError as err:
            assert err.errno == errno.ENOSPC
    with contextlib.suppress(OSError), (folder / "crumbs").open("wb", buffering=0) as sink:
        while True:
            sink.write(b"\0")
    return filler


def test_full_file_system_is_a_clear_error_and_leaves_out_whole(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    with mounted(small, "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs"):
        repo = tmp_path / "repo"
        write_meeting(repo / "2021-03-01")
        write_meeting(repo / "2021-03-08", {"meeting.yaml": MEETING.replace("03-01", "03-08")})
        out = small / "out"
        args = command("build", repo, "-o", out, *FORMATS)
        assert run(args).returncode == 0
        previous = tree_digest(out)
        item = repo / "2021-03-01" / "01-foerste.md"
        item.write_text(item.read_text(encoding="utf-8") + "\nTilføjet.\n", encoding="utf-8")
        filler = fill(small)
        result = run(args)
        clear_error(result)
        assert "No space left on device" in result.stderr
        assert tree_digest(out) == previous
        assert leftovers(out) == []
        # With room again, the build succeeds.
        filler.unlink()
        (small / "crumbs").unlink(missing_ok=True)
        again = run(args)
        assert again.returncode == 0, again.stderr
        assert tree_digest(out) != previous
        assert leftovers(out) == []


# --- 3. Sources are never modified --------------------------------------------------------


def test_validate_and_build_never_touch_a_source_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    broken = tmp_path / "broken"
    shutil.copytree(EXAMPLES, repo)
    shutil.copytree(BROKEN, broken)
    before = {root: source_digest(root) for root in (repo, broken)}

    def unchanged(what: str) -> None:
        for root, digest in before.items():
            assert source_digest(root) == digest, f"{what} changed {root.name}"

    for fmt in ("text", "json", "github", "sarif"):
        assert invoke("validate", repo, "--format", fmt).exit_code == 0
        assert invoke("validate", broken, "--format", fmt).exit_code == 1
    assert invoke("validate", repo, "--strict", "-j", "2").exit_code in (0, 1)
    assert invoke("validate", *sorted(repo.rglob("0*.md"))).exit_code == 0
    unchanged("validate")

    out, internal, forced = tmp_path / "out", tmp_path / "internal", tmp_path / "forced"
    for args in (
        ("-o", out, "-f", "all"),
        ("-o", internal, "-f", "all", "--edition", "internal"),
        ("-o", out, "-f", "all"),  # nothing changed
        ("-o", forced, *FORMATS),
        ("-o", forced, *FORMATS, "--force"),  # without PDF: laying them out again is slow
    ):
        result = invoke("build", repo, *args)
        assert result.exit_code == 0, result.output
    assert invoke("build", broken, "-o", tmp_path / "nothing", "-f", "all").exit_code == 1
    unchanged("build")

    # An incremental build after a change renders one meeting and links the others.
    item = repo / "direktionen" / "2021-03-01" / "01-oevrige-sager.md"
    item.write_text(item.read_text(encoding="utf-8") + "\nTilføjet.\n", encoding="utf-8")
    before[repo] = source_digest(repo)
    for args in (
        ("-o", out, "-f", "all"),
        ("-o", internal, "-f", "all", "--edition", "internal"),
    ):
        result = invoke("build", repo, *args)
        assert result.exit_code == 0, result.output
        assert "1 re-rendered" in result.stdout
    unchanged("an incremental build")


def test_build_into_the_sources_touches_only_its_output(tmp_path: Path) -> None:
    """``-o`` inside the repository (as ``_build`` in the current folder often is)."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo)
    files = {p: d for p, d in source_digest(repo).items() if d[0] == "file"}
    for _ in range(2):
        result = invoke("build", repo, "-o", repo / "_build", *FORMATS)
        assert result.exit_code == 0, result.output
        assert invoke("validate", repo).exit_code == 0
    after = {p: d for p, d in source_digest(repo).items() if d[0] == "file"}
    assert {p for p in after if not p.startswith("_build/")} == set(files)
    assert {p: d for p, d in after.items() if p in files} == files
    assert leftovers(repo / "_build") == []


def test_removing_a_read_only_leftover_never_touches_the_folder_holding_out() -> None:
    """A killed build's read-only staging folder beside OUT is removed, and the folder that
    holds OUT keeps its mode (a shared /tmp once lost its 1777 here)."""
    with world_enterable() as base:
        user = unprivileged(base)
        shared = base / "shared"
        shared.mkdir()
        shared.chmod(0o1777)
        repo = base / "repo"
        write_meeting(repo / "2021-03-01")
        leftover = shared / ".out.x1y2z3.tmp"
        (leftover / "a").mkdir(parents=True)
        (leftover / "a" / "index.html").write_text("old", encoding="utf-8")
        if user:
            for path in [leftover, *leftover.rglob("*")]:
                os.chown(path, *_owner(user))
        for path in [leftover / "a" / "index.html", leftover / "a", leftover]:
            path.chmod(0o444 if path.is_file() else 0o555)
        result = run([*user, *command("build", repo, "-o", shared / "out")])
        assert result.returncode == 0, result.stderr
        assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
        assert not leftover.exists()
