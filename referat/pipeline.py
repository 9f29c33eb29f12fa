"""Meetings one at a time, in worker processes where it pays: read, check, render, summarise.

The parent keeps only each meeting's summary and diagnostics, so memory does not grow with
the text of the repository; each worker holds one meeting's model at a time.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .config import CONFIG_NAME, Config, load_config
from .diagnostics import Collector, Diagnostic, has_errors
from .discover import BUILD_MARKER, MEETING_FILE, real_meetings_in, visible

if TYPE_CHECKING:  # rendering modules are imported when a meeting is rendered: validation
    import jinja2  # (and the start of every command) does without Jinja and mistune

    # The checks and the model when a meeting is read: a build with nothing to do reads none.
    from .load import Digests
    from .model import Edition, Meeting
    from .render.document import Document
    from .summary import MeetingSummary

T = TypeVar("T")
R = TypeVar("R")

#: Below this many meetings, worker processes cost more than they save.
PARALLEL_FROM = 24
#: Chunks of work per worker process: the more, the less a core waits at the end for the
#: other's last chunk (each chunk is one exchange with the worker, about a millisecond).
CHUNKS_PER_JOB = 16


@dataclass(frozen=True)
class RenderOptions:
    """How a meeting's output is written."""

    stage: Path
    """The folder the build writes into."""
    previous: Path
    """The output folder of the previous build (for its PDF cache)."""
    formats: tuple[str, ...]
    """Formats to write."""
    edition: Edition
    """Edition to render."""
    template_dir: Path | None
    """``--template-dir``."""
    archive: bool
    """Whether the build has an archive for meeting pages to link to."""
    cache_dir: str
    """Folder of the PDF cache, relative to OUT."""
    reuse_pdfs: bool = True
    """Whether PDFs of the previous build may be reused (not with ``--force``)."""


@dataclass(frozen=True)
class Task:
    """One meeting to process."""

    folder: Path
    """The meeting folder."""
    id: str
    """The meeting id."""
    config_file: Path | None
    """The referat.yaml that applies (None: the defaults)."""
    render: RenderOptions | None
    """How to render it; None to check it only."""
    fingerprint: bool = False
    """Whether to take the stat fingerprint of its files (before reading them) here: for a
    meeting the previous build did not have, the build needs no more of it beforehand."""
    files: list[str] | None = None
    """Its files as :func:`meeting_files` lists them, when the build has listed them."""
    real: str | None = None
    """The folder's real path, when the search for meetings gave it (else resolved here)."""


@dataclass
class Result:
    """What processing one meeting gave."""

    id: str
    """The meeting id."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """The meeting's own problems (and its configuration's)."""
    summary: MeetingSummary | None = None
    """The meeting's summary; None when its meeting.yaml is unusable."""
    outputs: tuple[str, ...] = ()
    """Files written, relative to the stage (none when the meeting has errors)."""
    files: int = 0
    """Source files read."""
    laid_out: int = 0
    """PDFs laid out."""
    content: str = ""
    """Digest of the meeting's files (rendered meetings only), for the next build's plan."""
    stat: str = ""
    """Stat fingerprint of the meeting's files, taken before reading them (when asked)."""


def process(task: Task) -> Result:
    """Read, check and (when asked and error-free) render one meeting; never raises on sources."""
    from .summary import for_checks, summarise
    from .validate import read_meeting

    diags = Collector()
    config = _config(task.config_file, diags)
    # One listing of its files (the build's, or one made here), before reading them: for
    # the stat fingerprint (when asked) and for the content fingerprint of a rendered meeting.
    listing: Sequence[str] = ()
    if task.render is not None:
        listing = meeting_files(task.folder) if task.files is None else task.files
    stat = stat_fingerprint(listing, task.folder) if task.fingerprint else ""
    digests: Digests | None = {} if task.render is not None else None
    meeting, files = read_meeting(task.folder, task.id, config, diags, digests)
    result = Result(task.id, files=files, stat=stat)
    options = task.render
    if meeting is not None and options is not None and not has_errors(diags.sorted()):
        from .output import summary_file, write_new
        from .render.document import make_document

        doc = make_document(meeting, options.edition)
        result.outputs, result.laid_out = _write(meeting, doc, options)
        summary = summarise(meeting, doc, task.real)
        # The decisions stay on disk for the archive's case pages; the build keeps the rest.
        target = options.stage / summary_file(meeting.id)
        write_new(
            target, json.dumps(summary.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
        )
        result.summary = summary.without_decisions()
        # Hashed here, in the worker: the sources as they were read, the rest (attachments)
        # while they are in the page cache.
        result.content = content_fingerprint(listing, task.folder, digests)
    elif meeting is not None:
        result.summary = for_checks(meeting, task.real)
    result.diagnostics = diags.sorted()
    return result


def run(
    tasks: Sequence[Task], jobs: int, on_done: Callable[[Result], None] | None = None
) -> list[Result]:
    """Process ``tasks``, in ``jobs`` worker processes when there are enough of them."""
    if parallel(len(tasks), jobs):
        results = list(_parallel(tasks, jobs, on_done))
    else:
        results = []
        for task in tasks:
            results.append(process(task))
            if on_done:
                on_done(results[-1])
    return sorted(results, key=lambda r: r.id)


class WorkerDied(Exception):
    """A worker process was killed (by the out-of-memory killer, or by hand)."""


def _parallel(
    tasks: Sequence[Task], jobs: int, on_done: Callable[[Result], None] | None
) -> Iterator[Result]:
    count = jobs * CHUNKS_PER_JOB
    chunks = [list(tasks[i::count]) for i in range(count)]
    for batch in run_in_workers(_process_many, chunks, jobs):
        for result in batch:
            if on_done:
                on_done(result)
            yield result


def run_in_workers(
    function: Callable[[list[T]], R], chunks: Sequence[list[T]], jobs: int
) -> Iterator[R]:
    """``function`` over each non-empty chunk in ``jobs`` forked worker processes, in order."""
    # Imported here: a small build or a rebuild of a few meetings starts no worker.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # fork: the workers start with everything imported (and the parent's data), at once.
    prepare_reading()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_die_with_parent
    ) as pool:
        try:
            yield from pool.map(function, [c for c in chunks if c])
        except BrokenProcessPool:
            raise WorkerDied(
                "a worker process was killed (out of memory?); nothing was written"
            ) from None


def _die_with_parent() -> None:
    """Have Linux kill this worker when the process that started it dies."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: a worker may outlive a killed build
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _process_many(tasks: list[Task]) -> list[Result]:
    return [process(task) for task in tasks]


_CONFIGS: dict[Path | None, tuple[Config, list[Diagnostic]]] = {}
_ENVIRONMENTS: dict[tuple[Path, ...], jinja2.Environment] = {}


def _config(path: Path | None, diags: Collector) -> Config:
    if path is None:
        return Config()
    if path not in _CONFIGS:
        own = Collector()
        _CONFIGS[path] = (load_config(path, own), own.sorted())
    config, problems = _CONFIGS[path]
    diags.extend(problems)
    return config


def environment_for(overrides: tuple[Path, ...]) -> jinja2.Environment:
    """The Jinja environment for these template folders, made once per build and process."""
    from .render.templates import environment

    if overrides not in _ENVIRONMENTS:
        _ENVIRONMENTS[overrides] = environment(overrides)
    return _ENVIRONMENTS[overrides]


#: The templates each format renders, and the archive's, with the ones they include.
TEMPLATES = {
    "html": ("layout.html", "style.css", "document.html", "item.html"),
    "md": ("document.md", "item.md"),
    "archive": (
        "layout.html",
        "style.css",
        "archive.html",
        "cases.html",
        "case.html",
        "feed.xml",
    ),
}


def prepare_reading() -> None:
    """Import the checks and the model that :func:`process` uses, and load the YAML library,
    in this process: worker processes forked from it start with them (a build with nothing
    to do imports neither)."""
    from . import summary, validate  # noqa: F401
    from .yamllib import load

    load()


def prepare_rendering(template_dir: Path | None, kinds: Sequence[str], language: str) -> None:
    """Import the rendering modules, compile the templates of ``kinds`` (keys of
    :data:`TEMPLATES`) and load Babel's data for ``language`` in this process, so that worker
    processes forked from it start with them (each would otherwise spend about 0.15 s on it).

    A template that cannot be loaded is left out: rendering reports it (RF005).
    """
    import datetime

    # Imported for the workers, each of which would otherwise import them for its first meeting.
    from . import output, parsed  # noqa: F401 (parsed: mistune, for sections not simple)
    from .render import html, jsondata, markdown, pdf  # noqa: F401
    from .render.words import WORDS

    prepare_reading()
    env = environment_for((template_dir,) if template_dir is not None else ())
    for kind in kinds:
        for name in TEMPLATES.get(kind, ()):
            with contextlib.suppress(Exception):  # any failure: see render_template
                env.get_template(name)
    if language in WORDS:  # dates with names of days and months load the locale's data
        noon = datetime.time(12, 0)
        WORDS[language].long(datetime.date(2000, 1, 1), noon, noon)


def parallel(tasks: int, jobs: int) -> bool:
    """Whether :func:`run` gives ``tasks`` tasks to worker processes."""
    return jobs > 1 and tasks >= PARALLEL_FROM


def _write(meeting: Meeting, doc: Document, options: RenderOptions) -> tuple[tuple[str, ...], int]:
    """Write one meeting's files into the stage: their paths relative to it, and PDFs laid out."""
    from .output import OutputError, PdfCache, link_or_copy, write_new
    from .render import html, jsondata, markdown, pdf

    overrides = tuple(p for p in (options.template_dir, meeting.config.templates) if p is not None)
    env = environment_for(overrides)
    folder = options.stage / meeting.id
    originals: dict[str, Path] = {}
    root = meeting.path.resolve() if doc.files else meeting.path
    for published, source in doc.files.items():
        # Validation proved this; checked again in case a file changed in between.
        original = (root / source).resolve()
        if not original.is_relative_to(root) or not original.is_file():
            raise OutputError(f"attachment {source} of {meeting.id} changed during the build")
        originals[published] = original
    archive = "../" * (meeting.id.count("/") + 1) if options.archive else None
    texts: dict[str, str] = {}
    if "html" in options.formats:
        texts[html.FILE_NAME] = html.write(doc, env, archive)
    if "md" in options.formats:
        texts[markdown.FILE_NAME] = markdown.write(doc, env)
    if "json" in options.formats:
        texts[jsondata.FILE_NAME] = jsondata.write(doc)
    written = [f"{meeting.id}/{name}" for name in texts]
    for name, text in texts.items():
        write_new(folder / name, text)
    laid_out = 0
    if "pdf" in options.formats or originals:
        folder.mkdir(parents=True, exist_ok=True)
    if "pdf" in options.formats:
        previous = options.previous / options.cache_dir if options.reuse_pdfs else None
        cache = PdfCache(previous, options.stage / options.cache_dir)
        embedded = [
            (published, original)
            for published, original in originals.items()
            if options.edition == "internal" and published.lower().endswith(".pdf")
        ]
        link_or_copy(
            cache.render(pdf.print_job(doc, env, embedded), meeting.id), folder / pdf.FILE_NAME
        )
        laid_out = cache.laid_out
        written.append(f"{meeting.id}/{pdf.FILE_NAME}")
    for published, original in originals.items():
        target = folder / published
        target.parent.mkdir(parents=True, exist_ok=True)
        link_or_copy(original, target, copy=True)
        written.append(f"{meeting.id}/{published}")
    return tuple(written), laid_out


def forget_configs() -> None:
    """Forget referat.yaml files and templates: each build and validation reads them afresh."""
    _nearest_config.cache_clear()
    _CONFIGS.clear()
    _ENVIRONMENTS.clear()


def config_file_for(
    folder: Path, override: Path | None, files: Sequence[str] | None = None
) -> Path | None:
    """The referat.yaml that applies to a meeting folder; ``files``: the folder's files as
    :func:`meeting_files` lists them, if known (then the folder itself is not looked in)."""
    if override is not None:
        return override
    start = str(folder.absolute())
    if files is not None and CONFIG_NAME not in files:
        start = os.path.dirname(start)
    return _nearest_config(start)


@functools.lru_cache(maxsize=4096)
def _nearest_config(folder: str) -> Path | None:
    """The nearest referat.yaml at or above ``folder``; remembered, as meetings share parents."""
    candidate = os.path.join(folder, CONFIG_NAME)
    if os.path.isfile(candidate):
        return Path(candidate)
    parent = os.path.dirname(folder)
    return None if parent == folder else _nearest_config(parent)


def meeting_files(folder: Path) -> list[str]:
    """Every file of a meeting as validation sees them (hidden files and build output
    skipped), relative to the folder. Plain strings: this runs for every meeting of every
    build, where pathlib's objects would cost more than the stat calls."""
    out: list[str] = []
    root = str(folder)
    for top, dirs, files in os.walk(root):
        if top != root and (BUILD_MARKER in files or MEETING_FILE in files):
            dirs.clear()
            continue
        dirs[:] = visible(dirs)
        prefix = "" if top == root else os.path.relpath(top, root) + "/"
        out.extend(prefix + f for f in visible(files))
    return out


def stat_fingerprint(files: Sequence[str], root: Path) -> str:
    """A digest of the files' names, sizes and modification times (cheap: no file is read)."""
    digest = hashlib.sha256()
    base = str(root) + "/"
    for name in files:
        try:
            info = os.stat(base + name)
        except OSError:
            digest.update(f"{name}|missing\n".encode())
            continue
        digest.update(f"{name}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def content_fingerprint(
    files: Sequence[str], root: Path, known: Mapping[str, bytes] | None = None
) -> str:
    """A digest of the files' names and contents; ``known``: sha256 digests of files already
    read, by path (see :func:`referat.load.read_text`)."""
    digest = hashlib.sha256()
    for name in files:
        digest.update(f"{name}\0".encode())
        path = os.path.join(root, name)
        if known is not None and path in known:
            digest.update(known[path])
            continue
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                # A FIFO or device (no item can list it) would block or never end.
                digest.update(b"not a regular file")
                continue
            with open(path, "rb") as handle:
                digest.update(hashlib.sha256(handle.read()).digest())
        except OSError:
            digest.update(b"missing")
    return digest.hexdigest()


@dataclass
class Validated:
    """What validating some paths gave."""

    diagnostics: list[Diagnostic]
    """Every problem, sorted."""
    files: int
    """Source files read."""
    meetings: int
    """Meetings found."""


def validate_paths(paths: Sequence[Path], config_file: Path | None, jobs: int) -> Validated:
    """Check every meeting under ``paths`` and across them, without rendering anything.

    Raises :class:`~referat.discover.NoMeetings` for a path that holds no meeting.
    """
    from .crosscheck import cross_check  # the checks across meetings need the summaries

    diags = Collector()
    forget_configs()
    if config_file is not None:
        _config(config_file, diags)
    tasks = [
        Task(folder, meeting_id, config_file_for(folder, config_file), None, real=real)
        for folder, meeting_id, real, _ in real_meetings_in(paths, diags)
    ]
    results = run(tasks, jobs)
    summaries = [r.summary for r in results if r.summary is not None]
    for result in results:
        diags.extend(result.diagnostics)
    diags.extend(cross_check(summaries))
    return Validated(diags.sorted(), sum(r.files for r in results), len(tasks))
