"""Watching the sources: which changes matter, and ``referat build --watch``'s loop.

``build --watch`` builds once, then again after every change, and tells each build which
paths changed (:class:`~referat.build.Memory`), so that a rebuild looks only at the meetings
those paths are in instead of statting every file of the repository.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import watchfiles

from .build import Memory
from .config import find_config, templates_folder
from .discover import BUILD_MARKER
from .output import stamp

#: Changes are gathered until none has come for one step, and for at most the debounce time.
DEBOUNCE_MS = 400
STEP_MS = 50
#: How often the watcher wakes without a change: to look at files it polls, and to stop.
TICK_MS = 200

#: Names editors and tools leave beside the files they save (swap, backup, lock files).
_SCRATCH = re.compile(r"\.sw.$|~$|^\.#|^#.*#$|^4913$|\.___jb_...___$|^flycheck_")
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules"})


class SourceFilter:
    """Which changed paths below the watched folders can change what is built or shown.

    Hidden files and folders (``.git``, editors' ``.#lock`` files), editors' swap and backup
    files, and everything in a folder a build wrote (it holds ``.referat-build``) are not.
    """

    def __init__(self, roots: Iterable[Path]) -> None:
        self._roots = tuple(roots)

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        """Whether the change at ``path`` matters."""
        changed = Path(path)
        root = next((r for r in self._roots if changed.is_relative_to(r)), None)
        if root is None:
            return True
        parts = changed.relative_to(root).parts
        if any(p.startswith(".") or p in _SKIPPED_DIRS for p in parts):
            return False
        if parts and _SCRATCH.search(parts[-1]):
            return False
        folder = root
        for part in parts:
            folder = folder / part
            if (folder / BUILD_MARKER).is_file():
                return False
        return True


def changes(
    roots: tuple[Path, ...], stopping: threading.Event, fallback: Fallback
) -> Iterator[set[tuple[watchfiles.Change, str]]]:
    """The changes below ``roots`` that matter (:class:`SourceFilter`), a batch at a time:
    gathered for a moment, and an empty batch every tick without one, until ``stopping``."""
    return watchfiles.watch(
        *roots,
        watch_filter=SourceFilter(roots),
        stop_event=stopping,
        debounce=DEBOUNCE_MS,
        step=STEP_MS,
        rust_timeout=TICK_MS,
        yield_on_timeout=True,
        raise_interrupt=False,
        force_polling=fallback.polling,
    )


class Fallback:
    """What a watch does when it fails (no inotify, too many watches, a folder gone...):
    the first time it polls instead; after that it waits a second before each new try.
    Each new message is reported once."""

    def __init__(self, on_error: Callable[[str], None]) -> None:
        self.polling: bool | None = None
        """watchfiles' ``force_polling``: None lets it choose."""
        self._on_error = on_error
        self._reported = ""

    def failed(self, err: Exception, stopping: threading.Event) -> None:
        """Report ``err``, and poll from now on or wait before the next try."""
        message = f"watching for changes failed: {err}"
        if self.polling is None:
            self.polling = True
            message += "; polling instead"
        else:
            stopping.wait(1.0)
        if message != self._reported:
            self._on_error(message)
        self._reported = message


def outermost(folders: Iterable[Path]) -> tuple[Path, ...]:
    """The existing ``folders``, resolved, without those inside another (watched with it)."""
    found = sorted({f.resolve() for f in folders if f.is_dir()})
    return tuple(f for f in found if not any(f != o and f.is_relative_to(o) for o in found))


class Watch:
    """Folders watched recursively and files polled, in a background thread; the changes
    it sees wait until :meth:`take` takes them. Use it as a context manager."""

    def __init__(
        self,
        folders: Iterable[Path],
        files: Iterable[Path],
        *,
        on_error: Callable[[str], None],
    ) -> None:
        self.folders = outermost(folders)
        self._stamps = {path: stamp(path) for path in files}
        self._fallback = Fallback(on_error)
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        self._everything = False
        self._ready = threading.Event()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Watch:
        self._thread = threading.Thread(target=self._run, name="referat-watch", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)  # changes from here on are seen
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def take(self, timeout: float) -> tuple[set[str], bool]:
        """The paths that changed since the last call (waiting up to ``timeout`` seconds for
        one), and whether a change could not be placed (a polled file, a watch that failed)."""
        self._wake.wait(timeout)
        with self._lock:
            self._wake.clear()
            paths, self._paths = self._paths, set()
            everything, self._everything = self._everything, False
        return paths, everything

    def _add(self, paths: Iterable[str], *, everything: bool = False) -> None:
        with self._lock:
            self._paths.update(paths)
            self._everything |= everything
        self._wake.set()

    def _polled_changed(self) -> bool:
        now = {path: stamp(path) for path in self._stamps}
        changed = now != self._stamps
        self._stamps = now
        return changed

    def _run(self) -> None:
        if not self.folders:  # PATH is gone: its stamp is polled until it is back
            self._ready.set()
            while not self._stopping.wait(TICK_MS / 1000):
                if self._polled_changed():
                    self._add((), everything=True)
            return
        while not self._stopping.is_set():
            try:
                for batch in changes(self.folders, self._stopping, self._fallback):
                    self._ready.set()
                    polled = self._polled_changed()
                    if batch or polled:
                        self._add((path for _, path in batch), everything=polled)
            except Exception as err:  # no inotify, too many watches, a folder gone, ...
                if self._stopping.is_set():
                    return
                self._fallback.failed(err, self._stopping)
                self._add((), everything=True)  # changes may have been missed meanwhile
                self._ready.set()


def watched(
    path: Path, template_dir: Path | None, config_file: Path | None, memory: Memory
) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """What a build of ``path`` depends on: the folders to watch (PATH, the template
    folders), and the paths to poll: the referat.yaml files outside them, and those folders
    while they are not there (moved away, a branch switched), to be watched once they are."""
    configs = {*memory.configs, *(c for c in (config_file, find_config(path)) if c is not None)}
    folders = [path.parent if path.is_file() else path]
    if template_dir is not None:
        folders.append(template_dir)
    for config in sorted(configs):
        templates = templates_folder(config)
        if templates is not None:
            folders.append(templates)
    roots = outermost(folders)
    outside = {p.resolve() for p in (*configs, *(f for f in folders if not f.is_dir()))}
    polled = sorted(p for p in outside if not any(p.is_relative_to(r) for r in roots))
    return roots, tuple(polled)


def build_on_change(
    path: Path,
    build_once: Callable[[Memory], object],
    *,
    template_dir: Path | None,
    config_file: Path | None,
    on_error: Callable[[str], None],
    on_watch: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Build, then build again after every change, until ``stop`` is set (or Ctrl+C).

    ``build_once`` builds with the memory given and reports; ``on_watch`` is called once,
    when the first build is done and the watch has begun.
    """
    memory = Memory()
    stop = stop or threading.Event()
    announced = False
    while not stop.is_set():
        folders, files = watched(path, template_dir, config_file, memory)
        with Watch(folders, files, on_error=on_error) as watch:
            memory.everything = True  # what changed before the watch began is not known
            build_once(memory)
            if not announced and on_watch is not None:
                on_watch()
            announced = True
            while not stop.is_set():
                paths, everything = watch.take(timeout=TICK_MS / 1000)
                if not paths and not everything:
                    continue
                memory.changed(paths)
                memory.everything |= everything
                build_once(memory)
                if watched(path, template_dir, config_file, memory) != (folders, files):
                    break  # a templates: folder or a referat.yaml came or went: watch anew
