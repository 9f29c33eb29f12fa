"""Building: plan what changed since the previous build, render only that, swap the output in.

A build stats every source file and compares with the manifest the previous build left in
``OUT/.referat-cache/v1``. Unchanged meetings and archive pages are hard-linked from the
previous output into a staging folder beside OUT; changed meetings are rendered (in worker
processes when there are many); the staging folder then takes OUT's place in one step. When
nothing changed, nothing is written at all. A cache that cannot be read, or that another
version or other options wrote, is ignored.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .config import Language, find_config, load_config
from .crosscheck import cross_check
from .diagnostics import Collector, Diagnostic, has_errors
from .model import Edition
from .output import CACHE_DIR, OutputError, check_output, link_or_copy, staging, summary_file
from .pipeline import (
    RenderOptions,
    Result,
    Task,
    config_file_for,
    content_fingerprint,
    forget_configs,
    meeting_files,
    run,
    run_in_workers,
    stat_fingerprint,
)
from .render import default_templates
from .summary import MeetingSummary
from .validate import meetings_in

if TYPE_CHECKING:  # Jinja and the archive are imported when an archive is written
    from .archive import Archive

__all__ = ["FORMATS", "Built", "OutputError", "build"]

#: Formats ``-f`` accepts, in the order ``all`` builds them.
FORMATS = ("html", "md", "json", "pdf")
_MANIFEST = f"{CACHE_DIR}/manifest.json"
_MANIFEST_FORMAT = 1


@dataclass
class Built:
    """What a build did."""

    meetings: int = 0
    """Meetings in the repository."""
    items: int = 0
    """Items in the repository."""
    rendered: int = 0
    """Meetings rendered by this build (the others were unchanged)."""
    pages: int = 0
    """Archive pages rendered by this build."""
    pdfs_laid_out: int = 0
    """PDFs laid out by WeasyPrint."""
    written: bool = False
    """Whether OUT was replaced (False when nothing changed, or on errors)."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Every problem found; with an error among them nothing was written."""

    @property
    def failed(self) -> bool:
        """Whether the sources have errors."""
        return has_errors(self.diagnostics)


class _Entry:
    """What the manifest keeps of one meeting; its summary is read only when needed."""

    def __init__(
        self,
        stat: str,
        content: str,
        outputs: tuple[str, ...],
        diagnostics: tuple[tuple[str, int, int, str, str, str | None], ...],
        *,
        summary: MeetingSummary | None = None,
        raw: dict[str, Any] | None = None,
    ) -> None:
        self.stat = stat
        self.content = content
        self.outputs = outputs
        self.diagnostics = diagnostics
        self._summary = summary
        self._raw = raw  # as the manifest held it: written back as it is, parsed when needed
        self.folder = summary.folder if summary is not None else str(raw["summary"]["folder"])  # type: ignore[index]

    @functools.cached_property
    def summary(self) -> MeetingSummary:
        """The meeting's summary, without decisions."""
        if self._summary is None:
            assert self._raw is not None
            self._summary = MeetingSummary.from_json(self._raw["summary"])
        return self._summary

    @property
    def item_count(self) -> int:
        """How many items the meeting has (without reading the summary)."""
        if self._raw is not None:
            return len(self._raw["summary"]["items"])
        return len(self.summary.items)

    def with_stat(self, stat: str) -> _Entry:
        """The same entry for files whose times changed and contents did not."""
        return _Entry(
            stat, self.content, self.outputs, self.diagnostics, summary=self._summary, raw=self._raw
        )

    def to_json(self) -> dict[str, Any]:
        if self._raw is not None:
            return {**self._raw, "stat": self.stat}
        return {
            "stat": self.stat,
            "content": self.content,
            "outputs": list(self.outputs),
            "summary": self.summary.to_json(),
            "diagnostics": [list(d) for d in self.diagnostics],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Entry:
        if not isinstance(data["summary"], dict) or not isinstance(data["summary"]["folder"], str):
            raise TypeError("not a summary")
        return cls(
            str(data["stat"]),
            str(data["content"]),
            tuple(str(p) for p in data["outputs"]),
            tuple(
                (str(p), int(ln), int(c), str(code), str(m), h)
                for p, ln, c, code, m, h in data["diagnostics"]
            ),
            raw=data,
        )

    def restored_diagnostics(self) -> list[Diagnostic]:
        """The meeting's own warnings as the build that rendered it found them."""
        folder = Path(self.folder)
        return [
            Diagnostic(folder / p, ln, c, code, m, h) for p, ln, c, code, m, h in self.diagnostics
        ]


@dataclass
class _Manifest:
    """The previous build's record: its key, its meetings and the digests of its archive pages."""

    key: str = ""
    meetings: dict[str, _Entry] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)
    cross: list[Diagnostic] = field(default_factory=list)
    """The problems across meetings it found (warnings: with errors nothing is written)."""


def build(
    path: Path,
    out: Path,
    formats: Sequence[str],
    edition: Edition,
    *,
    template_dir: Path | None = None,
    config_file: Path | None = None,
    force: bool = False,
    jobs: int = 1,
    on_meeting: Callable[[int, int], None] | None = None,
) -> Built:
    """Validate and render everything under ``path`` into ``out``, reusing what is unchanged.

    Raises :class:`NoMeetings` when ``path`` holds no meeting and :class:`OutputError`
    when OUT cannot be written; problems in the sources come back as diagnostics, and
    then nothing is written.
    """
    out = check_output(out)
    forget_configs()
    diags = Collector()
    found = meetings_in([path], diags)
    archive = len(found) > 1
    language = _archive_language(path, config_file)
    key = _build_key(formats, edition, template_dir, archive, language)
    manifest = _load_manifest(out)
    previous = manifest.meetings if manifest.key == key and not force else {}

    # A meeting is unchanged when its files' stats (or, failing those, contents) and its
    # configuration are as the previous build saw them, and its outputs are still there.
    entries: dict[str, _Entry] = {}
    todo: list[tuple[Path, str, Path | None, str, str | None]] = []
    for folder, meeting_id in found:
        config = config_file_for(folder, config_file)
        files = meeting_files(folder)
        prefix = f"{folder.resolve()}|{_file_digest(config) if config else '-'}|"
        stat = prefix + stat_fingerprint(files, folder)
        old = previous.get(meeting_id)
        content: str | None = None
        if old is not None and _all_exist(out, (*old.outputs, summary_file(meeting_id))):
            if old.stat == stat:
                entries[meeting_id] = old
                continue
            content = prefix + content_fingerprint(files, folder)
            if old.content == content:
                entries[meeting_id] = old.with_stat(stat)
                continue
        todo.append((folder, meeting_id, config, stat, content))

    removed = set(previous) - {meeting_id for _, meeting_id in found}
    unchanged = all(entries[m] is previous[m] for m in entries)
    if (
        previous
        and unchanged
        and not todo
        and not removed
        and not has_errors(diags.sorted())
        and _all_exist(out, manifest.pages)
    ):
        # Nothing changed: OUT stays exactly as it is, and what was found is found again.
        for entry in entries.values():
            diags.extend(entry.restored_diagnostics())
        diags.extend(manifest.cross)
        items = sum(entry.item_count for entry in entries.values())
        return Built(len(entries), items, diagnostics=diags.sorted())

    try:
        with staging(out) as stage:
            options = RenderOptions(
                stage=stage,
                previous=out,
                formats=tuple(formats),
                edition=edition,
                template_dir=template_dir,
                archive=archive,
                cache_dir=f"{CACHE_DIR}/pdf",
                reuse_pdfs=not force,
            )
            return _build_into(
                stage,
                out,
                options,
                todo,
                entries,
                manifest if previous else _Manifest(),
                removed,
                diags,
                key,
                language,
                jobs,
                on_meeting,
            )
    except _Failed as failure:
        return Built(diagnostics=failure.diagnostics)


def _build_into(
    stage: Path,
    out: Path,
    options: RenderOptions,
    todo: list[tuple[Path, str, Path | None, str, str | None]],
    entries: dict[str, _Entry],
    previous: _Manifest,
    removed: set[str],
    diags: Collector,
    key: str,
    language: Language,
    jobs: int,
    on_meeting: Callable[[int, int], None] | None,
) -> Built:
    for entry in entries.values():
        for rel in (*entry.outputs, summary_file(entry.summary.id)):
            _link_previous(out, stage, rel)
    done = 0

    def progress(result: Result) -> None:
        nonlocal done
        done += 1
        if on_meeting:
            on_meeting(done, len(todo))

    tasks = [Task(folder, meeting_id, config, options) for folder, meeting_id, config, _, _ in todo]
    results = run(tasks, jobs, progress)
    for entry in entries.values():
        diags.extend(entry.restored_diagnostics())
    for result in results:
        diags.extend(result.diagnostics)
    full = {r.id: r.summary for r in results if r.summary is not None}  # without decisions
    lite = {meeting_id: entry.summary for meeting_id, entry in entries.items()}
    lite.update(full)
    summaries = [lite[meeting_id] for meeting_id in sorted(lite)]
    cross = cross_check(summaries)
    diags.extend(cross)
    if has_errors(diags.sorted()):
        raise _Failed(diags.sorted())

    plan = {meeting_id: (stat, content) for _, meeting_id, _, stat, content in todo}
    for result in results:
        summary = full[result.id]
        folder = Path(summary.folder)
        stat, content = plan[result.id]
        if content is None:
            content = stat.rsplit("|", 1)[0] + "|" + result.content
        entries[result.id] = _Entry(
            stat,
            content,
            result.outputs,
            tuple(
                (
                    d.path.relative_to(folder).as_posix()
                    if d.path.is_relative_to(folder)
                    else str(d.path),
                    d.line,
                    d.column,
                    d.code,
                    d.message,
                    d.hint,
                )
                for d in result.diagnostics
            ),
            summary=summary,
        )

    page_keys: dict[str, str] = {}
    rendered_pages = 0
    if options.archive:
        # Pages showing a changed, new or removed meeting, as it is now or as it was.
        changed = [*full.values()]
        changed += [
            previous.meetings[m].summary for m in (*removed, *full) if m in previous.meetings
        ]
        rendered_pages, page_keys = _archive(
            out,
            stage,
            summaries,
            language,
            options.template_dir,
            previous,
            changed,
            options.edition,
            jobs,
        )
    _write_json(
        stage / _MANIFEST,
        {
            "format": _MANIFEST_FORMAT,
            "key": key,
            "meetings": {m: entries[m].to_json() for m in sorted(entries)},
            "pages": page_keys,
            "cross": [[str(d.path), d.line, d.column, d.code, d.message, d.hint] for d in cross],
        },
    )
    laid_out = sum(r.laid_out for r in results)
    return _built(summaries, diags, len(results), rendered_pages, laid_out, written=True)


class _Failed(Exception):
    """The sources have errors; the staging folder is thrown away."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("the sources have errors")
        self.diagnostics = diagnostics


def _built(
    summaries: Sequence[MeetingSummary],
    diags: Collector,
    rendered: int,
    pages_rendered: int,
    laid_out: int,
    *,
    written: bool,
) -> Built:
    return Built(
        meetings=len(summaries),
        items=sum(len(s.items) for s in summaries),
        rendered=rendered,
        pages=pages_rendered,
        pdfs_laid_out=laid_out,
        written=written,
        diagnostics=diags.sorted(),
    )


def _archive(
    out: Path,
    stage: Path,
    summaries: Sequence[MeetingSummary],
    language: Language,
    template_dir: Path | None,
    previous: _Manifest,
    changed: Sequence[MeetingSummary],
    edition: Edition,
    jobs: int,
) -> tuple[int, dict[str, str]]:
    """Write the archive pages into the stage: changed ones rendered, the others linked."""
    from .archive import Archive, page_paths

    archive = Archive(summaries, language, _Decisions(stage), edition)
    # Pages are reused only where every previous one is a file referat wrote (not a link
    # planted in OUT); otherwise all are rendered again.
    if previous.pages and _all_exist(out, previous.pages):
        # Only pages that show something of a changed meeting can have changed.
        cases = {item.case for s in changed for item in s.items if item.case}
        specs = archive.specs(cases=cases, bodies={s.body for s in changed})
        current = page_paths(summaries)
        keys = {path: k for path, k in previous.pages.items() if path in current}
    else:
        specs = archive.specs()
        keys = {}
    job = _PageJob(archive, out, stage, template_dir, previous.pages if keys else {})
    if jobs > 1 and len(specs) >= _PARALLEL_PAGES:
        done = _pages_in_workers(job, specs, jobs)
    else:
        done = job.run(specs)
    rendered = 0
    for path, key, was_rendered in done:
        keys[path] = key
        rendered += was_rendered
    for page_path in keys:
        if not (stage / page_path).exists():
            _link_previous(out, stage, page_path)
    return rendered, dict(sorted(keys.items()))


#: From this many archive pages on, worker processes render them.
_PARALLEL_PAGES = 200


class _Decisions:
    """Decision texts of a meeting, read from its summary file in the stage when needed."""

    def __init__(self, stage: Path) -> None:
        self._stage = stage

    @functools.lru_cache(maxsize=512)  # noqa: B019 (one object per build)
    def __call__(self, meeting_id: str) -> list[tuple[str | None, str | None]]:
        text = (self._stage / summary_file(meeting_id)).read_text(encoding="utf-8")
        items = json.loads(text)["items"]
        return [(item["decision_heading"], item["decision_html"]) for item in items]


@dataclass
class _PageJob:
    """Everything rendering archive pages needs; worker processes get it by fork."""

    archive: Archive
    out: Path
    stage: Path
    template_dir: Path | None
    previous: dict[str, str]

    def run(self, specs: Sequence[tuple[str, str]]) -> list[tuple[str, str, bool]]:
        """Each page: linked from the previous build if its data is unchanged, else rendered."""
        from .render.templates import environment

        env = environment((self.template_dir,) if self.template_dir else ())
        done = []
        for spec in specs:
            page = self.archive.page(spec)
            key = page.key
            if self.previous.get(page.path) == key and _all_exist(self.out, [page.path]):
                _link_previous(self.out, self.stage, page.path)
                done.append((page.path, key, False))
            else:
                _write_text(self.stage / page.path, page.render(env))
                done.append((page.path, key, True))
        return done


_JOB: _PageJob | None = None


def _pages_in_workers(
    job: _PageJob, specs: Sequence[tuple[str, str]], jobs: int
) -> list[tuple[str, str, bool]]:
    global _JOB
    _JOB = job  # inherited by the forked workers, so the summaries are not sent to them
    try:
        # Neighbouring cases mostly share meetings: contiguous chunks let each worker read
        # a meeting's decisions once.
        size = -(-len(specs) // (jobs * 4))
        chunks = [list(specs[i : i + size]) for i in range(0, len(specs), size)]
        return [done for batch in run_in_workers(_run_pages, chunks, jobs) for done in batch]
    finally:
        _JOB = None


def _run_pages(specs: list[tuple[str, str]]) -> list[tuple[str, str, bool]]:
    assert _JOB is not None
    return _JOB.run(specs)


def _link_previous(out: Path, stage: Path, rel: str) -> None:
    """Hard-link ``rel`` from the previous output into the stage (strings: thousands of these)."""
    target = os.path.join(stage, rel)
    try:
        os.link(os.path.join(out, rel), target)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        link_or_copy(out / rel, Path(target))
    except OSError:
        link_or_copy(out / rel, Path(target))


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:  # json.dump streams: no second copy
        json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
        handle.write("\n")


def _all_exist(out: Path, paths: Iterable[str]) -> bool:
    """Whether each is a regular file in OUT: a link planted there is never carried on."""
    for rel in paths:
        try:
            if not stat.S_ISREG(os.lstat(os.path.join(out, rel)).st_mode):
                return False
        except OSError:
            return False
    return True


def _load_manifest(out: Path) -> _Manifest:
    """The previous build's manifest; an empty one when it is missing, damaged or foreign."""
    try:
        data = json.loads((out / _MANIFEST).read_text(encoding="utf-8"))
        if data.get("format") != _MANIFEST_FORMAT:
            return _Manifest()
        meetings = {str(k): _Entry.from_json(v) for k, v in data["meetings"].items()}
        page_keys = {str(k): str(v) for k, v in data["pages"].items()}
        for rel in [*page_keys, *(p for e in meetings.values() for p in e.outputs)]:
            if rel.startswith("/") or ".." in Path(rel).parts:
                return _Manifest()  # a foreign manifest must not make the build read elsewhere
        cross = [
            Diagnostic(Path(p), int(ln), int(c), str(code), str(m), h)
            for p, ln, c, code, m, h in data["cross"]
        ]
        return _Manifest(str(data["key"]), meetings, page_keys, cross)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return _Manifest()


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def _templates_digest(template_dir: Path | None) -> str:
    digest = hashlib.sha256()
    for folder in (template_dir, default_templates()):
        if folder is None:
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _build_key(
    formats: Sequence[str],
    edition: Edition,
    template_dir: Path | None,
    archive: bool,
    language: Language,
) -> str:
    """Everything besides the sources that the output depends on."""
    parts = [__version__, edition, ",".join(sorted(formats)), str(archive), language]
    parts.append(_templates_digest(template_dir))
    if "pdf" in formats:
        from .render import pdf

        parts.append(pdf.engine().__version__)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _archive_language(path: Path, config_file: Path | None) -> Language:
    """The archive's language: that of the configuration at PATH, else Danish."""
    config_path = config_file or find_config(path)
    if config_path is None:
        return "da"
    return load_config(config_path, Collector()).language
