"""Building: plan what changed since the previous build, render only that, swap the output in.

A build stats every source file and compares with the manifest the previous build left in
``OUT/.referat-cache/v1`` (a head file and shards, of which a build writes only those that
changed); with a :class:`Memory` (``build --watch``) it looks only at the meetings a
watcher names, and keeps the manifests in memory. The staging folder beside OUT is the
spare (the output before the last, brought up to date: only files that differ are removed
and written) or, without one, a new folder into which the unchanged meetings and archive
pages are hard-linked from OUT.
Changed meetings are rendered (in worker processes when there are many), then the archive
pages that show them; the staging folder then takes OUT's place in one step, and the output
it replaced becomes the next spare. When nothing changed, nothing is written at all. A cache
or spare that cannot be read, or that another version or other options wrote, is ignored.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import stat
import zlib
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .config import CONFIG_NAME, Language, find_config, load_config, templates_folder
from .diagnostics import Collector, Diagnostic, has_errors
from .discover import BUILD_MARKER, MEETING_FILE, Found, real_meetings_in
from .output import (
    CACHE_DIR,
    OutputError,
    Stage,
    Stamp,
    check_output,
    link_or_copy,
    remove,
    staging,
    stamp,
    summary_file,
    write_new,
    write_new_chunks,
)
from .pipeline import (
    CHUNKS_PER_JOB,
    RenderOptions,
    Result,
    Task,
    config_file_for,
    content_fingerprint,
    environment_for,
    forget_configs,
    meeting_files,
    parallel,
    prepare_rendering,
    run,
    run_in_workers,
    stat_fingerprint,
)
from .render import default_templates

if TYPE_CHECKING:  # Jinja and the archive are imported when an archive is written; the
    # model, the summaries and the checks across meetings when a meeting changed
    from .archive import Archive
    from .model import Edition
    from .summary import MeetingSummary

__all__ = ["FORMATS", "Built", "Memory", "OutputError", "build"]

#: Formats ``-f`` accepts, in the order ``all`` builds them.
FORMATS = ("html", "md", "json", "pdf")
_MANIFEST = f"{CACHE_DIR}/manifest.jsonl"
"""The manifest's head: its format, build key, findings across meetings and shard count."""
_SHARDS = f"{CACHE_DIR}/manifest"
"""The folder of its shards (see :func:`_write_manifest`)."""
_DECODER = json.JSONDecoder()
_MANIFEST_FORMAT = 4
#: Meetings per shard, at most (but in the largest repositories); the count is a power of two.
_PER_SHARD = 64
_MAX_SHARDS = 4096


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
    """What the manifest keeps of one meeting; its summary is parsed only when needed.

    In the manifest (JSON Lines) each meeting is one line, ``[head,summary]``: the head is
    read alone, and the summary's JSON text is copied as it is into the next manifest while
    the meeting does not change.
    """

    def __init__(
        self,
        stat: str,
        content: str,
        outputs: tuple[str, ...],
        diagnostics: tuple[tuple[str, int, int, str, str, str | None], ...],
        *,
        summary: MeetingSummary | None = None,
        folder: str = "",
        items: int = 0,
        cases: tuple[str, ...] = (),
        summary_text: str | None = None,
        line: tuple[str, int] | None = None,
    ) -> None:
        self.stat = stat
        self.content = content
        self.outputs = outputs
        self.diagnostics = diagnostics
        self._summary = summary
        self._summary_text = summary_text  # as the manifest held it
        # Or the whole manifest line it was read from, and where its summary starts: written
        # again as it is, and the summary's text taken from it when needed (not held twice).
        self._line = line
        self.folder = summary.folder if summary is not None else folder
        self.item_count = len(summary.items) if summary is not None else items
        self.cases = (
            tuple(sorted({i.case for i in summary.items if i.case}))
            if summary is not None
            else cases
        )
        """The case numbers of its items (which case pages show it)."""

    @property
    def summary(self) -> MeetingSummary:
        """The meeting's summary, without decisions."""
        if self._summary is None:
            text = self._text()
            assert text is not None
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("not a summary")
            from .summary import MeetingSummary

            self._summary = MeetingSummary.from_json(data)
        return self._summary

    @property
    def line(self) -> str | None:
        """The manifest line it was read from, if it was read with its summary."""
        return self._line[0] if self._line is not None else None

    def _text(self) -> str | None:
        """The summary's JSON text as the manifest held it."""
        if self._line is not None:
            line, start = self._line
            return line[start:-1]
        return self._summary_text

    def with_stat(self, stat: str) -> _Entry:
        """The same entry for files whose times changed and contents did not."""
        return _Entry(
            stat,
            self.content,
            self.outputs,
            self.diagnostics,
            summary=self._summary,
            folder=self.folder,
            items=self.item_count,
            cases=self.cases,
            summary_text=self._text(),
        )

    def to_line(self, meeting_id: str, *, keep: bool = False) -> str:
        """The entry's line in the manifest (without its line break); ``keep``: kept
        instead of the parsed summary (``build --watch`` keeps the manifest in memory)."""
        if self._line is not None:  # unchanged since the manifest it was read from
            return self._line[0]
        head = [
            meeting_id,
            self.stat,
            self.content,
            list(self.outputs),
            [list(d) for d in self.diagnostics],
            self.folder,
            self.item_count,
            list(self.cases),
        ]
        text = self._text()
        if text is None:
            text = json.dumps(self.summary.to_json(), ensure_ascii=False, separators=(",", ":"))
        start = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
        line = "[" + start + "," + text + "]"
        if keep:
            self._line = (line, len(start) + 2)
            self._summary = self._summary_text = None
        return line

    @classmethod
    def from_line(cls, line: str, *, light: bool = False) -> tuple[str, _Entry]:
        """The meeting id and entry of a manifest line (raises ValueError, TypeError...);
        ``light``: without the summary (for a spare, of which only the files matter)."""
        head, end = _DECODER.raw_decode(line, 1)
        meeting_id, stat, content, outputs, diagnostics, folder, items, cases = head
        if not (line[end] == "," and line.startswith("{", end + 1) and line.endswith("}]")):
            raise ValueError("not a manifest line")
        if not isinstance(folder, str):
            raise TypeError("not a summary")
        entry = cls(
            str(stat),
            str(content),
            tuple(str(p) for p in outputs),
            tuple(
                (str(p), int(ln), int(c), str(code), str(m), h)
                for p, ln, c, code, m, h in diagnostics
            ),
            folder=folder,
            items=int(items),
            cases=tuple(str(c) for c in cases),
            line=None if light else (line, end + 1),
        )
        return str(meeting_id), entry

    def restored_diagnostics(self) -> list[Diagnostic]:
        """The meeting's own warnings as the build that rendered it found them."""
        if not self.diagnostics:
            return []
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
    archive_config: str = ""
    """The digest of the referat.yaml that set its archive's language ("-": none)."""
    stamp: Stamp | None = None
    """The stamp of its head file, as read or written."""
    shards: int = 0
    """How many shards it was read from or written to (0: none)."""
    groups: list[tuple[Collection[str], Collection[str]]] = field(default_factory=list, repr=False)
    """The meeting ids and page paths of each shard."""
    placed: bool = False
    """Whether each of them is known to be in the shard its checksum picks (see
    :func:`_placed`; a build that writes nothing does not need to know)."""


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
    memory: Memory | None = None,
) -> Built:
    """Validate and render everything under ``path`` into ``out``, reusing what is unchanged.

    Raises :class:`NoMeetings` when ``path`` holds no meeting and :class:`OutputError`
    when OUT cannot be written; problems in the sources come back as diagnostics, and
    then nothing is written. ``memory``: what the previous build in this process left,
    and which paths changed since (``build --watch``); the build updates it.
    """
    try:
        return _build(
            path,
            out,
            formats,
            edition,
            template_dir,
            config_file,
            force,
            jobs,
            on_meeting,
            memory if memory is not None else Memory(),
            keep=memory is not None,
        )
    except BaseException:
        if memory is not None:
            memory.forget()
        raise


def _build(
    path: Path,
    out: Path,
    formats: Sequence[str],
    edition: Edition,
    template_dir: Path | None,
    config_file: Path | None,
    force: bool,
    jobs: int,
    on_meeting: Callable[[int, int], None] | None,
    memory: Memory,
    *,
    keep: bool,
) -> Built:
    out = check_output(out)
    forget_configs()
    diags = Collector()
    # Without a change the watcher could not place in a meeting, the meetings are those the
    # last build found; a build that looks at everything searches for them.
    if memory.everything:
        searched = Collector()
        found = real_meetings_in([path], searched)
        found_diagnostics = searched.sorted()
    else:
        dirty = memory.dirty
        found = [(f, m, r, None if r in dirty else files) for f, m, r, files in memory.found]
        found_diagnostics = memory.found_diagnostics
    diags.extend(found_diagnostics)
    archive = len(found) > 1
    key = _build_key(formats, edition, template_dir, archive)
    # The archive's language comes from this file. The manifest records its digest, not the
    # language: a build that finds nothing changed reads no YAML (unless the file names a
    # templates: folder, whose files are digested with it).
    language_file = config_file or find_config(path)
    archive_config = _config_digest(language_file) if language_file is not None else "-"
    # Warm: OUT's manifest is the one this process wrote or checked last (the same file), and
    # the watcher names the meetings that changed; only those are looked at.
    known = memory.out
    if memory.everything or known is None or not known.is_in(out):
        known = None
    warm = known is not None
    manifest = known.manifest if known is not None else _load_manifest(out)
    # Whether OUT's files are exactly those its manifest names (this process wrote them).
    out_exact = known is not None and known.exact
    previous = manifest.meetings if manifest.key == key and not force else {}
    in_out = _InOut(out)
    if not warm:
        in_out.list_folders_of([summary_file(meeting_id) for meeting_id in previous])

    # A meeting is unchanged when its files' stats (or, failing those, contents) and its
    # configuration are as the previous build saw them, and its outputs are still there.
    entries: dict[str, _Entry] = {}
    todo: list[_Todo] = []
    # Each referat.yaml read once, not once per meeting (the archive's is read already).
    config_digests = {language_file: archive_config} if language_file is not None else {}
    for folder, meeting_id, real, listed in found:
        old = previous.get(meeting_id)
        if warm and old is not None and real not in memory.dirty:
            entries[meeting_id] = old  # nothing below it changed, and OUT is as it was left
            continue
        files = meeting_files(folder) if listed is None else listed
        config = config_file_for(folder, config_file, files)
        if config is not None and config not in config_digests:
            config_digests[config] = _config_digest(config)
        prefix = f"{real}|{config_digests[config] if config else '-'}|"
        if old is None or not in_out.all_exist((*old.outputs, summary_file(meeting_id))):
            # Rendered whatever its files are: the worker takes their fingerprint.
            todo.append(_Todo(folder, meeting_id, config, real, prefix, files))
            continue
        stat = prefix + stat_fingerprint(files, folder)
        if old.stat == stat:
            entries[meeting_id] = old
            continue
        content = prefix + content_fingerprint(files, folder)
        if old.content == content:
            entries[meeting_id] = old.with_stat(stat)
            continue
        todo.append(_Todo(folder, meeting_id, config, real, prefix, files, stat))

    removed = set(previous) - {meeting_id for _, meeting_id, _, _ in found}
    unchanged = all(entries[m] is previous[m] for m in entries)
    if (
        previous
        and unchanged
        and not todo
        and not removed
        and not has_errors(diags.sorted())
        and manifest.archive_config == archive_config
        and (warm or in_out.all_exist(manifest.pages))
    ):
        # Nothing changed: OUT stays exactly as it is, and what was found is found again.
        for entry in entries.values():
            diags.extend(entry.restored_diagnostics())
        diags.extend(manifest.cross)
        items = sum(entry.item_count for entry in entries.values())
        memory.built(found, found_diagnostics, config_digests, _Output(manifest, out_exact))
        return Built(len(entries), items, diagnostics=diags.sorted())

    language = _archive_language(language_file)
    remembered_spare = memory.spare
    memory.spare = None  # taken by the build, or removed
    try:
        with staging(out) as stage:
            # The output this build replaces becomes the next build's spare only when it was
            # built with the same options: no other edition is ever kept beside OUT.
            stage.keep_replaced = manifest.key == key
            spare = _usable_spare(
                stage, key, trust=not force, known=manifest.meetings, remembered=remembered_spare
            )
            options = RenderOptions(
                stage=stage.path,
                previous=out,
                formats=tuple(formats),
                edition=edition,
                template_dir=template_dir,
                archive=archive,
                cache_dir=f"{CACHE_DIR}/pdf",
                reuse_pdfs=not force,
            )
            built, written = _build_into(
                stage.path,
                out,
                options,
                todo,
                entries,
                manifest if previous else _Manifest(),
                spare,
                removed,
                in_out,
                diags,
                key,
                (language, archive_config),
                jobs,
                on_meeting,
                out_checked=warm,
                keep_lines=keep,
            )
    except _Failed as failure:
        return Built(diagnostics=failure.diagnostics)
    written.stamp = stamp(out / _MANIFEST)
    if stage.keep_replaced:  # the output replaced is the spare now, as this build saw it
        memory.spare = _Output(manifest, out_exact)
    memory.built(found, found_diagnostics, config_digests, _Output(written, exact=True))
    return built


@dataclass
class _Output:
    """An output folder as this process knows it."""

    manifest: _Manifest
    exact: bool
    """Whether its files are exactly those its manifest names (this process wrote them)."""

    def is_in(self, folder: Path) -> bool:
        """Whether ``folder``'s manifest is still the very file this one was read from or
        written to (the same inode, size and modification time)."""
        head = self.manifest.stamp
        return head is not None and head == stamp(folder / _MANIFEST)


class Memory:
    """What a build leaves for the next one in the same process (``referat build --watch``).

    A watcher tells it which paths changed (:meth:`changed`). The next build then looks
    only at the meetings those paths are in, and takes OUT's and the spare's manifests from
    memory instead of reading and checking them, as long as each is still the file this
    process wrote or read (the same inode, size and modification time): another build into
    OUT is noticed. A change it cannot place in one meeting (a ``meeting.yaml``, a
    ``referat.yaml``, a folder, anything outside the meetings) makes the next build look at
    everything, as a build without memory does; so does a build that ends in an exception.
    Files put into or taken out of OUT or the spare by hand are not noticed (a build
    without memory notices them).
    """

    def __init__(self) -> None:
        self.everything = True
        """Whether the next build looks at every meeting, as a build without memory does."""
        self.dirty: set[str] = set()
        """The real paths of the meeting folders in which something changed."""
        self.found: list[Found] = []
        self.found_diagnostics: list[Diagnostic] = []
        self.configs: frozenset[Path] = frozenset()
        """The referat.yaml files the last builds used."""
        self.out: _Output | None = None
        self.spare: _Output | None = None
        self._folders: frozenset[str] = frozenset()

    def changed(self, paths: Iterable[str | Path]) -> None:
        """Tell of paths that changed (were written, created or removed) since the last build."""
        for path in paths:
            self._changed(os.path.abspath(path))

    def _changed(self, path: str) -> None:
        if (
            os.path.basename(path) in (MEETING_FILE, CONFIG_NAME, BUILD_MARKER)
            or path in self._folders
            or os.path.isdir(path)
        ):
            self.everything = True  # meetings may have come or gone, or configurations changed
            return
        folder = os.path.dirname(path)
        while folder not in self._folders:
            parent = os.path.dirname(folder)
            if parent == folder:
                self.everything = True  # outside every meeting: a template, say
                return
            folder = parent
        self.dirty.add(folder)

    def forget(self) -> None:
        """Look at everything in the next build, and trust no output folder."""
        self.everything = True
        self.out = self.spare = None

    def built(
        self,
        found: list[Found],
        found_diagnostics: list[Diagnostic],
        configs: Collection[Path],
        out: _Output,
    ) -> None:
        """Remember a build that succeeded (with or without anything to write)."""
        if self.everything:
            self.configs = frozenset(configs)
            self._folders = frozenset(real for _, _, real, _ in found)
        else:
            self.configs |= frozenset(configs)
        self.found = found
        self.found_diagnostics = found_diagnostics
        self.out = out
        self.everything = False
        self.dirty.clear()


@dataclass(frozen=True)
class _Todo:
    """A meeting to render."""

    folder: Path
    id: str
    config: Path | None
    real: str
    """Its folder's real path."""
    prefix: str
    """Its real path and configuration's digest, which its fingerprints start with."""
    files: list[str]
    """Its files, as :func:`~referat.pipeline.meeting_files` lists them."""
    stat: str | None = None
    """Its stat fingerprint, when the plan took it; None: the worker takes it."""


def _usable_spare(
    stage: Stage,
    key: str,
    *,
    trust: bool = True,
    known: dict[str, _Entry] | None = None,
    remembered: _Output | None = None,
) -> _Manifest | None:
    """What a reused staging folder (the spare) holds, when it can be brought up to date.

    It can when its manifest is of this build's options and its files are exactly those
    the manifest names, all regular files (nothing planted, nothing missing), and ``trust``
    (not with ``--force``). Otherwise its contents are removed and None returned: the stage
    is filled from nothing, as a new one is. ``known``: OUT's manifest entries, which the
    spare's mostly repeats. ``remembered``: the spare as this process left it; when its
    manifest is still that file and this process wrote its files, it is not checked again.
    """
    if not stage.reused:
        return None
    if not trust:
        _empty(stage.path)
        return None
    pdfs = f"{CACHE_DIR}/pdf"
    if (
        remembered is not None
        and remembered.exact
        and remembered.manifest.key == key
        and remembered.manifest.meetings
        and remembered.is_in(stage.path)
    ):
        remove(stage.path / pdfs)
        return remembered.manifest
    spare = _load_manifest(stage.path, light=True, known=known)
    expected = {BUILD_MARKER, _MANIFEST, *spare.pages}
    expected.update(_shard_file(index) for index in range(spare.shards))
    for meeting_id, entry in spare.meetings.items():
        expected.update(entry.outputs)
        expected.add(summary_file(meeting_id))
    if spare.key == key and spare.meetings and _tree_is(stage.path, expected, skip=pdfs):
        remove(stage.path / pdfs)  # PDFs come from OUT's cache; these would pile up
        return spare
    _empty(stage.path)
    return None


def _empty(stage: Path) -> None:
    """Remove everything in the stage but its marker."""
    for child in os.listdir(stage):
        if child != BUILD_MARKER:
            remove(stage / child)


def _tree_is(root: Path, expected: set[str], *, skip: str) -> bool:
    """Whether the files below ``root`` are exactly ``expected``, all regular files
    (folder ``skip`` aside). Reads folders only (no stat calls): this runs on every build.
    (Comparing each folder's names as one set instead was no faster: the listings are most
    of the cost.)"""
    found = 0
    folders = [""]
    while folders:
        rel = folders.pop()
        try:
            entries = list(os.scandir(os.path.join(root, rel)))
        except OSError:
            return False
        for item in entries:
            name = f"{rel}/{item.name}" if rel else item.name
            if item.is_dir(follow_symlinks=False):
                if name != skip:
                    folders.append(name)
            elif not item.is_file(follow_symlinks=False) or name not in expected:
                return False
            else:
                found += 1
    return found == len(expected)


def _by_folder(paths: Iterable[str]) -> dict[str, set[str]]:
    """The names of ``paths`` (relative, with '/') by the folder that holds them."""
    grouped: dict[str, set[str]] = {}
    for path in paths:
        folder, _, name = path.rpartition("/")
        names = grouped.get(folder)
        if names is None:
            grouped[folder] = {name}
        else:
            names.add(name)
    return grouped


def _build_into(
    stage: Path,
    out: Path,
    options: RenderOptions,
    todo: list[_Todo],
    entries: dict[str, _Entry],
    previous: _Manifest,
    spare: _Manifest | None,
    removed: set[str],
    in_out: _InOut,
    diags: Collector,
    key: str,
    archive_language: tuple[Language, str],
    jobs: int,
    on_meeting: Callable[[int, int], None] | None,
    *,
    out_checked: bool = False,
    keep_lines: bool = False,
) -> tuple[Built, _Manifest]:
    """Render ``todo`` into the stage beside the unchanged ``entries``, then the archive
    pages and the manifest; what it did, and the manifest. ``archive_language``: the
    language and the digest of the referat.yaml it came from (when that changed, every
    archive page is made again). ``out_checked``: OUT's files are known to be those of
    ``previous`` (this process wrote them), so they are not looked up. ``keep_lines``: see
    :func:`_write_manifest`."""
    language, archive_config = archive_language
    _stage_unchanged(stage, out, entries, spare)
    done = 0

    def progress(result: Result) -> None:
        nonlocal done
        done += 1
        if on_meeting:
            on_meeting(done, len(todo))

    tasks = [Task(t.folder, t.id, t.config, options, t.stat is None, t.files, t.real) for t in todo]
    if parallel(len(tasks), jobs):
        # Once here, not in each worker.
        prepare_rendering(options.template_dir, options.formats, language)
    results = run(tasks, jobs, progress)
    for entry in entries.values():
        diags.extend(entry.restored_diagnostics())
    for result in results:
        diags.extend(result.diagnostics)
    full = {r.id: r.summary for r in results if r.summary is not None}  # without decisions
    # Archive pages are reused only where every previous one is a file referat wrote (not a
    # link planted in OUT); otherwise all are rendered again.
    pages_reusable = (
        bool(previous.pages)
        and previous.archive_config == archive_config
        and (out_checked or in_out.all_exist(previous.pages))
    )
    # A change that leaves each changed meeting's summary as it was (its titles, cases,
    # dates and numbering: all that the indexes, the feeds and the checks across meetings
    # use) changes at most the case pages of its cases, which show decisions. Then the
    # other meetings' summaries are not read, and the findings across meetings are those
    # of the previous build.
    local = (
        options.archive
        and bool(previous.meetings)
        and not removed
        and all(
            m in previous.meetings and previous.meetings[m].summary == summary
            for m, summary in full.items()
        )
        and pages_reusable
    )
    if local:
        cross = previous.cross
    else:
        from .crosscheck import cross_check

        lite = {meeting_id: entry.summary for meeting_id, entry in entries.items()}
        lite.update(full)
        cross = cross_check([lite[meeting_id] for meeting_id in sorted(lite)])
    diags.extend(cross)
    if has_errors(diags.sorted()):
        raise _Failed(diags.sorted())

    plan = {t.id: t for t in todo}
    for result in results:
        summary = full[result.id]
        folder = Path(summary.folder)
        planned = plan[result.id]
        entries[result.id] = _Entry(
            planned.stat or planned.prefix + result.stat,
            planned.prefix + result.content,
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
        if local:
            cases = {case for m in full for case in entries[m].cases}
            shown = [m for m, entry in entries.items() if not cases.isdisjoint(entry.cases)]
            summaries = [entries[m].summary for m in sorted(shown)]
            changed = [*full.values()]
        else:
            summaries = [entries[m].summary for m in sorted(entries)]
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
            spare.pages if spare is not None else None,
            changed,
            options.edition,
            jobs,
            reusable=pages_reusable,
            local=local,
        )
    elif spare is not None:
        for page_path in spare.pages:
            _unlink(stage, page_path)
    written = _write_manifest(
        stage,
        key,
        entries,
        page_keys,
        cross,
        archive_config,
        base=spare if spare is not None else previous if previous.shards else None,
        base_in_stage=spare is not None,
        out=out,
        keep_lines=keep_lines,
    )
    laid_out = sum(r.laid_out for r in results)
    built = Built(
        meetings=len(entries),
        items=sum(entry.item_count for entry in entries.values()),
        rendered=len(results),
        pages=rendered_pages,
        pdfs_laid_out=laid_out,
        written=True,
        diagnostics=diags.sorted(),
    )
    return built, written


def _stage_unchanged(
    stage: Path, out: Path, entries: dict[str, _Entry], spare: _Manifest | None
) -> None:
    """Put the files of the unchanged meetings into the stage, and clear the rest of the spare.

    A fresh stage gets hard links to OUT's files. A spare keeps each meeting that it holds
    as it is now; every other meeting's files leave it, so that the meetings to render are
    written as new files, never through a link into OUT.
    """
    if spare is None:
        for meeting_id, entry in entries.items():
            for rel in (*entry.outputs, summary_file(meeting_id)):
                _link_previous(out, stage, rel)
        return
    kept = set()
    for meeting_id, old in spare.meetings.items():
        new = entries.get(meeting_id)
        if new is not None and new.content == old.content and new.outputs == old.outputs:
            kept.add(meeting_id)
            continue
        for rel in (*old.outputs, summary_file(meeting_id)):
            _unlink(stage, rel)
    for meeting_id, entry in entries.items():
        if meeting_id not in kept:
            for rel in (*entry.outputs, summary_file(meeting_id)):
                _link_previous(out, stage, rel)


def _unlink(stage: Path, rel: str, *, prune: bool = True) -> None:
    """Remove ``rel`` from the stage, and (``prune``) the folders that leaves empty."""
    path = os.path.join(stage, rel)
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    if not prune:
        return
    folder = os.path.dirname(path)
    while len(folder) > len(str(stage)):
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = os.path.dirname(folder)


class _Failed(Exception):
    """The sources have errors; the staging folder is thrown away."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("the sources have errors")
        self.diagnostics = diagnostics


def _archive(
    out: Path,
    stage: Path,
    summaries: Sequence[MeetingSummary],
    language: Language,
    template_dir: Path | None,
    previous: _Manifest,
    spare_pages: dict[str, str] | None,
    changed: Sequence[MeetingSummary],
    edition: Edition,
    jobs: int,
    *,
    reusable: bool,
    local: bool = False,
) -> tuple[int, dict[str, str]]:
    """Write the archive pages into the stage: changed ones rendered, the others linked
    (or, in a spare, kept where the spare has them as they are now).

    ``reusable``: the previous build's pages are all in OUT, as files it wrote. ``local``:
    only case pages can have changed, and ``summaries`` holds just the meetings they show;
    every other page is as the previous build made it.
    """
    from .archive import Archive, page_paths

    archive = Archive(summaries, language, _Decisions(stage), edition)
    # Only pages that show something of a changed meeting can have changed.
    cases = {item.case for s in changed for item in s.items if item.case}
    if local:
        specs = archive.specs(cases=cases, bodies=(), indexes=False)
        keys = dict(previous.pages)
    elif reusable:
        specs = archive.specs(cases=cases, bodies={s.body for s in changed})
        current = page_paths(summaries)
        keys = {path: k for path, k in previous.pages.items() if path in current}
    else:
        specs = archive.specs()
        keys = {}
    job = _PageJob(
        archive, out, stage, template_dir, previous.pages if keys else {}, spare_pages or {}
    )
    if jobs > 1 and len(specs) >= _PARALLEL_PAGES:
        prepare_rendering(template_dir, ("archive",), archive.language)  # not in each worker
        done = _pages_in_workers(job, specs, jobs)
    else:
        done = job.run(specs)
    rendered = 0
    handled = set()
    for path, key, was_rendered in done:
        keys[path] = key
        rendered += was_rendered
        handled.add(path)
    # The pages no change can reach: as the previous build made them.
    for page_path, key in keys.items():
        if page_path in handled:
            continue
        if spare_pages is not None:
            if spare_pages.get(page_path) == key:
                continue
            _unlink(stage, page_path, prune=False)
        _link_previous(out, stage, page_path)
    for page_path in (spare_pages or {}).keys() - keys.keys():
        _unlink(stage, page_path)
    return rendered, keys  # (the manifest sorts them)


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
    spare: dict[str, str]
    """Pages a reused stage holds, and their keys."""

    def run(self, specs: Sequence[tuple[str, str]]) -> list[tuple[str, str, bool]]:
        """Each page: kept (in a spare) or linked from the previous build if its data is
        unchanged, else rendered."""
        env = environment_for((self.template_dir,) if self.template_dir else ())
        done = []
        for spec in specs:
            page = self.archive.page(spec)
            key = page.key
            if self.spare.get(page.path) == key:
                done.append((page.path, key, False))
                continue
            if page.path in self.spare:
                _unlink(self.stage, page.path, prune=False)
            if self.previous.get(page.path) == key:  # (checked to be in OUT: ``reusable``)
                _link_previous(self.out, self.stage, page.path)
                done.append((page.path, key, False))
            else:
                write_new(self.stage / page.path, page.render(env))
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
        size = -(-len(specs) // (jobs * CHUNKS_PER_JOB))
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


class _InOut:
    """Which files of OUT are regular files (a link planted there is never carried on): an
    ``lstat`` each, or one listing of a folder where many are looked up (the archive's case
    pages are thousands in one folder, the summaries one per meeting in another)."""

    #: Files looked up in one folder from which a listing is cheaper than an lstat each.
    LIST_FROM = 16

    def __init__(self, out: Path) -> None:
        self.out = str(out)
        self.listed: dict[str, frozenset[str]] = {}

    def list_folders_of(self, paths: Collection[str]) -> None:
        """List each folder that holds :attr:`LIST_FROM` or more of ``paths``."""
        self._list(_by_folder(paths))

    def _list(self, grouped: dict[str, set[str]]) -> None:
        for folder, names in grouped.items():
            if len(names) >= self.LIST_FROM and folder not in self.listed:
                try:
                    with os.scandir(os.path.join(self.out, folder)) as entries:
                        found = frozenset(
                            e.name for e in entries if e.is_file(follow_symlinks=False)
                        )
                except OSError:
                    found = frozenset()
                self.listed[folder] = found

    def all_exist(self, paths: Collection[str]) -> bool:
        """Whether each of ``paths`` (relative to OUT) is a regular file."""
        if len(paths) < self.LIST_FROM:  # a meeting's few files: not worth grouping
            for rel in paths:
                folder, _, name = rel.rpartition("/")
                if not self._exists(folder, name):
                    return False
            return True
        grouped = _by_folder(paths)
        self._list(grouped)
        for folder, names in grouped.items():
            listed = self.listed.get(folder)
            if listed is not None:
                if not names <= listed:
                    return False
            elif not all(self._exists(folder, name) for name in names):
                return False
        return True

    def _exists(self, folder: str, name: str) -> bool:
        """Whether ``name`` in ``folder`` (relative to OUT; "" for OUT) is a regular file."""
        listed = self.listed.get(folder)
        if listed is not None:
            return name in listed
        try:
            info = os.lstat(os.path.join(self.out, folder, name))
        except OSError:
            return False
        return stat.S_ISREG(info.st_mode)


def _load_manifest(
    out: Path, *, light: bool = False, known: dict[str, _Entry] | None = None
) -> _Manifest:
    """The previous build's manifest; an empty one when it is missing, damaged or foreign.
    ``light``: without the meetings' summaries. ``known``: entries of another manifest
    (OUT's, when this is the spare's), taken as they are for the lines both have."""
    try:
        with open(out / _MANIFEST, encoding="utf-8") as handle:
            info = os.fstat(handle.fileno())
            header = json.loads(handle.readline())
        if not isinstance(header, dict) or header.get("format") != _MANIFEST_FORMAT:
            return _Manifest()
        count = header["shards"]
        if not (isinstance(count, int) and 0 < count <= _MAX_SHARDS and count & (count - 1) == 0):
            return _Manifest()
        meetings: dict[str, _Entry] = {}
        page_keys: dict[str, str] = {}
        groups: list[tuple[Collection[str], Collection[str]]] = []
        for index in range(count):
            with open(out / _shard_file(index), encoding="utf-8") as handle:
                shard_pages = json.loads(handle.readline())
                shard_meetings = dict(
                    _read_line(line.rstrip("\n"), light, known or {}) for line in handle
                )
            if not isinstance(shard_pages, dict):
                return _Manifest()
            meetings.update(shard_meetings)
            page_keys.update(shard_pages)
            groups.append((shard_meetings.keys(), shard_pages.keys()))
        if not all(isinstance(key, str) for key in page_keys.values()):
            return _Manifest()
        for rel in [*page_keys, *(p for e in meetings.values() for p in e.outputs)]:
            if rel.startswith("/") or (".." in rel and ".." in rel.split("/")):
                return _Manifest()  # a foreign manifest must not make the build read elsewhere
        cross = [
            Diagnostic(Path(p), int(ln), int(c), str(code), str(m), h)
            for p, ln, c, code, m, h in header["cross"]
        ]
        archive_config = str(header.get("archive_config", ""))
        head = (info.st_ino, info.st_size, info.st_mtime_ns)  # as stamp() gives, of the file read
        return _Manifest(
            str(header["key"]), meetings, page_keys, cross, archive_config, head, count, groups
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return _Manifest()


def _read_line(line: str, light: bool, known: dict[str, _Entry]) -> tuple[str, _Entry]:
    """A manifest line's meeting id and entry: the known entry read from the same line, or
    a new one. (The spare's manifest mostly repeats OUT's, which is read first.)"""
    if known:
        meeting_id, _ = _DECODER.raw_decode(line, 2)  # the line starts [["<meeting id>",
        entry = known.get(meeting_id)
        if entry is not None and entry.line == line:
            return meeting_id, entry
    return _Entry.from_line(line, light=light)


def _write_manifest(
    stage: Path,
    key: str,
    entries: dict[str, _Entry],
    pages: dict[str, str],
    cross: list[Diagnostic],
    archive_config: str,
    *,
    base: _Manifest | None = None,
    base_in_stage: bool = False,
    out: Path | None = None,
    keep_lines: bool = False,
) -> _Manifest:
    """Write the manifest into the stage; what it holds.

    It is a head file and shards: each meeting's line and each archive page's key go into
    the shard a checksum of its id or path picks, and each shard lists its pages (one JSON
    object) and then its meetings' lines, sorted. Only the shards that differ from ``base``
    (the manifest of the spare, when the stage is it, ``base_in_stage``; else OUT's, with
    ``out``) are written; the others are kept in the spare or hard-linked from OUT. A rebuild
    of one meeting thus writes a few kilobytes, not the whole manifest. ``keep_lines``: the
    new entries keep their lines (``build --watch`` keeps the manifest in memory).
    """
    count = _shard_count(len(entries))
    groups: list[tuple[Collection[str], Collection[str]]]
    if base is not None and base.shards == count and _placed(base):
        # Entries unchanged since the base are the very same objects.
        meetings = [m for m, entry in entries.items() if base.meetings.get(m) is not entry]
        meetings += [m for m in base.meetings if m not in entries]
        paths = [p for p, k in pages.items() if base.pages.get(p) != k]
        paths += [p for p in base.pages if p not in pages]
        groups = list(base.groups)
        changed: dict[int, tuple[set[str], set[str]]] = {}
        for names, members, kind in ((meetings, entries, 0), (paths, pages, 1)):
            for name in names:
                index = _shard(name, count)
                if index not in changed:
                    changed[index] = (set(groups[index][0]), set(groups[index][1]))
                    groups[index] = changed[index]
                if name in members:
                    changed[index][kind].add(name)
                else:
                    changed[index][kind].discard(name)
        dirty = set(changed)
    else:
        fresh: list[tuple[set[str], set[str]]] = [(set(), set()) for _ in range(count)]
        for meeting_id in entries:
            fresh[_shard(meeting_id, count)][0].add(meeting_id)
        for page in pages:
            fresh[_shard(page, count)][1].add(page)
        groups = list(fresh)
        dirty = set(range(count))
    for index in range(count):
        rel = _shard_file(index)
        if index in dirty:
            ids, paths_in = groups[index]
            first = json.dumps({p: pages[p] for p in sorted(paths_in)}, ensure_ascii=False)
            lines = (entries[m].to_line(m, keep=keep_lines) + "\n" for m in sorted(ids))
            write_new_chunks(stage / rel, itertools.chain((first + "\n",), lines))
        elif not base_in_stage:
            assert out is not None
            _link_previous(out, stage, rel)
    if base_in_stage and base is not None:
        for index in range(count, base.shards):  # a spare of more shards than needed now
            _unlink(stage, _shard_file(index), prune=False)
    header = {
        "format": _MANIFEST_FORMAT,
        "key": key,
        "shards": count,
        "cross": [[str(d.path), d.line, d.column, d.code, d.message, d.hint] for d in cross],
        "archive_config": archive_config,
    }
    write_new(
        stage / _MANIFEST, json.dumps(header, ensure_ascii=False, separators=(",", ":")) + "\n"
    )
    return _Manifest(key, entries, pages, cross, archive_config, None, count, groups, True)


def _placed(manifest: _Manifest) -> bool:
    """Whether each meeting and page of a manifest is in the shard its checksum picks, as
    the shards that a write keeps must be (checked once, when it is first written over)."""
    if not manifest.placed:
        count = manifest.shards
        manifest.placed = bool(manifest.groups) and all(
            _shard(name, count) == index
            for index, (ids, paths) in enumerate(manifest.groups)
            for name in itertools.chain(ids, paths)
        )
    return manifest.placed


def _shard_count(meetings: int) -> int:
    """How many shards a manifest of ``meetings`` meetings has: a power of two."""
    count = 1
    while count * _PER_SHARD < meetings and count < _MAX_SHARDS:
        count *= 2
    return count


def _shard(name: str, count: int) -> int:
    """The shard of a meeting id or page path (a checksum: the same in every process)."""
    return zlib.crc32(name.encode("utf-8", "surrogateescape")) & (count - 1)


def _shard_file(index: int) -> str:
    return f"{_SHARDS}/{index:04d}.jsonl"


def _config_digest(path: Path) -> str:
    """The digest of a referat.yaml and, when it names a ``templates:`` folder, of that
    folder's files: they render its meetings."""
    try:
        data = path.read_bytes()
    except OSError:
        return "unreadable"
    digest = hashlib.sha256(data).hexdigest()
    folder = templates_folder(path, data)
    if folder is not None:
        digest += "+" + _templates_digest(folder, defaults=False)
    return digest


def _templates_digest(template_dir: Path | None, *, defaults: bool = True) -> str:
    """The digest of the files in ``template_dir`` and (``defaults``) referat's own templates."""
    digest = hashlib.sha256()
    for folder in (template_dir, default_templates() if defaults else None):
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
) -> str:
    """Everything besides the sources that the output depends on, but for configurations
    (each meeting's entry holds its own's digest, the manifest that of the archive's)."""
    parts = [__version__, edition, ",".join(sorted(formats)), str(archive)]
    parts.append(_templates_digest(template_dir))
    if "pdf" in formats:
        from .render import pdf

        parts.append(pdf.engine().__version__)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _archive_language(config_path: Path | None) -> Language:
    """The archive's language: that of the configuration at PATH (``config_path``), else
    Danish."""
    if config_path is None:
        return "da"
    return load_config(config_path, Collector()).language
