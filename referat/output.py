"""The output folder: checked, staged beside itself, swapped in one step; the PDF cache."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .discover import BUILD_MARKER

if TYPE_CHECKING:
    from .render import pdf


#: The build cache in OUT; a new layout gets a new name, and an old one is ignored.
CACHE_DIR = ".referat-cache/v1"


Stamp = tuple[int, int, int]


def stamp(path: Path | str) -> Stamp | None:
    """What tells whether a file is still the same: its inode, size and modification time
    (None: it cannot be statted)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


@functools.lru_cache(maxsize=1 << 16)  # a build asks for each meeting's three times
def summary_file(meeting_id: str) -> str:
    """Where, relative to OUT, the summary of a meeting with its decisions is kept."""
    name = hashlib.sha256(meeting_id.encode("utf-8")).hexdigest()[:24]
    return f"{CACHE_DIR}/meetings/{name}.json"


class OutputError(Exception):
    """OUT cannot be written or replaced; nothing was changed."""


def link_or_copy(source: Path, target: Path, *, copy: bool = False) -> None:
    """Put ``source`` at ``target``: a hard link (cheap), or a copy when ``copy`` or linking fails.

    Files from the sources are always copied, so that editing the output cannot change them.
    """
    if not copy:
        try:
            os.link(source, target)
            return
        except OSError:
            pass
    shutil.copyfile(source, target)


class PdfCache:
    """PDFs by the key of everything they were laid out from, kept in OUT between builds.

    Each entry is ``<key>.pdf`` with ``<key>.sha256`` beside it; an entry whose digest
    does not match (a damaged or foreign file) is ignored and the PDF laid out again.
    """

    def __init__(self, previous: Path | None, current: Path) -> None:
        self._previous = previous
        self._current = current
        self.laid_out = 0
        """How many PDFs this build laid out."""

    def render(self, job: pdf.PrintJob, meeting_id: str) -> Path:
        """The cache file holding the PDF of ``job``, laid out now if no build had it."""
        key = job.key
        target = self._current / f"{key}.pdf"
        if target.exists():
            return target
        data = self._lookup(key)
        if data is None:
            from .render import pdf

            try:
                data = pdf.render(job)
            except Exception as err:  # WeasyPrint may fail in many ways on odd input
                raise OutputError(f"laying out the PDF of {meeting_id} failed: {err}") from err
            self.laid_out += 1
        self._current.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        (self._current / f"{key}.sha256").write_text(_sha256(data), encoding="ascii")
        return target

    def _lookup(self, key: str) -> bytes | None:
        """The previous build's PDF for ``key``, if it is there and undamaged."""
        if self._previous is None:
            return None
        try:
            if not stat.S_ISREG(os.lstat(self._previous / f"{key}.pdf").st_mode):
                return None
            data = (self._previous / f"{key}.pdf").read_bytes()
            expected = (self._previous / f"{key}.sha256").read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return data if _sha256(data) == expected else None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_output(out: Path) -> Path:
    """The absolute output folder, after making sure replacing it cannot destroy anything else."""
    out = out.resolve()
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"{out} exists and is not a folder")
        if not out.stat().st_mode & 0o200 or os.path.ismount(out):
            # Replacing OUT would only need its parent writable; a read-only OUT (or a
            # mount point, which cannot be renamed) says it is not to be replaced.
            why = "a mount point" if os.path.ismount(out) else "read-only"
            raise OutputError(
                f"{out} is {why}; referat replaces its output folder whole, "
                "so give a writable folder (inside a mount, not the mount itself)"
            )
        if any(out.iterdir()) and not (out / BUILD_MARKER).is_file():
            raise OutputError(
                f"{out} is not empty and was not written by referat; "
                "choose a new or empty folder with -o (referat replaces its output folder whole)"
            )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create {out.parent}: {err.strerror}") from None
    return out


#: Beside OUT, the output of the build before the last one, kept to be brought up to date.
SPARE_SUFFIX = ".spare"


@dataclass
class Stage:
    """The folder a build writes into, beside OUT; it takes OUT's place when the build succeeds."""

    path: Path
    reused: bool
    """Whether it is the spare: the output of the build before the last, hard links shared
    with OUT, to be brought up to date instead of filled from nothing."""
    keep_replaced: bool = False
    """Set by the build: keep the output this build replaces as the next build's spare
    (only when it was built with the same options, so that no other edition lies beside OUT)."""


def spare_of(out: Path) -> Path:
    """Where the spare of ``out`` is kept."""
    return out.parent / f".{out.name}{SPARE_SUFFIX}"


@contextlib.contextmanager
def staging(out: Path) -> Iterator[Stage]:
    """A folder beside ``out`` to build into; on success it takes ``out``'s place atomically.

    Builds into one folder take turns (a lock on the folder that holds OUT, so no lock file
    is left); holding the lock, a build removes what a killed build left beside OUT. The
    spare, when there is one, becomes the staging folder (renamed first, so that a build
    killed while updating it leaves a staging folder to remove, never a damaged spare).
    """
    with _lock(out):
        for stale in out.parent.glob(f".{out.name}.*"):
            if stale.suffix in (".tmp", ".old") and stale.is_dir() and not stale.is_symlink():
                remove(stale)
        stage = _reuse_spare(out)
        if stage is None:
            import tempfile  # here: a build that finds nothing changed never gets this far

            try:
                path = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
            except OSError as err:
                raise OutputError(f"cannot write in {out.parent}: {err.strerror}") from None
            stage = Stage(path, reused=False)
        with _swapped(stage, out):
            yield stage


def _reuse_spare(out: Path) -> Stage | None:
    spare = spare_of(out)
    try:
        if not stat.S_ISDIR(os.lstat(spare).st_mode):
            return None
    except OSError:
        return None
    import secrets

    path = out.parent / f".{out.name}.{secrets.token_hex(6)}.tmp"
    try:
        os.rename(spare, path)
    except OSError:
        return None
    return Stage(path, reused=True)


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    try:
        descriptor = os.open(out.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as err:
        raise OutputError(f"cannot open {out.parent}: {err.strerror}") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _swapped(stage: Stage, out: Path) -> Iterator[None]:
    try:
        stage.path.chmod(0o777 & ~_umask())
        write_new(stage.path / BUILD_MARKER, f"referat {__version__}\n")
        yield
        if _replace(stage.path, out) and stage.keep_replaced:
            _remove_spare(out)
            os.rename(stage.path, spare_of(out))
    except OSError as err:
        raise OutputError(f"cannot write the output: {err.strerror or err}") from None
    finally:
        if os.path.lexists(stage.path):
            remove(stage.path)
    if not stage.keep_replaced:
        _remove_spare(out)  # one of other options (another edition, say) must not stay


def _remove_spare(out: Path) -> None:
    spare = spare_of(out)
    if spare.is_dir() and not spare.is_symlink():
        remove(spare)


def write_new(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path`` as a new file, creating its folder when missing.

    An old file is unlinked first, never written through: in a reused staging folder it
    may be a hard link to a file of OUT. No folder is created beforehand (thousands of
    pages go into a few folders; each ``mkdir`` costs as much as the file).
    """
    write_new_chunks(path, (text,))


def write_new_chunks(path: Path | str, chunks: Iterable[str]) -> None:
    """As :func:`write_new`, for text given in pieces (never joined in memory)."""
    for _ in range(3):
        try:
            descriptor = os.open(path, _CREATE, 0o666)
            break
        except FileExistsError:
            os.unlink(path)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
    else:
        raise FileExistsError(errno.EEXIST, "cannot create", str(path))
    try:
        for chunk in chunks:
            view = memoryview(chunk.encode("utf-8"))
            while view:
                view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def remove(path: Path) -> None:
    """Remove a file, or a folder of referat's also where its files or folders are read-only
    (only what lies inside ``path`` is ever made writable: never the folder holding it)."""
    if path.is_symlink() or not path.is_dir():
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    inside = str(path)

    def writable_and_retry(function: Callable[..., object], failed: str, _: object) -> None:
        parent = os.path.dirname(failed)
        if not (parent == inside or parent.startswith(inside + os.sep)):
            return
        with contextlib.suppress(OSError):
            os.chmod(parent, 0o700)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, 0o700)
            function(failed)

    shutil.rmtree(path, onerror=writable_and_retry)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _replace(stage: Path, out: Path) -> bool:
    """Put ``stage`` where ``out`` is; True when ``stage`` now holds the old output itself."""
    if not out.exists():
        os.rename(stage, out)
        return False
    if _exchange(stage, out):
        return True
    # Without an atomic exchange there is a moment with no ``out``; never one with half of it.
    import tempfile

    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rename(out, old / "out")
    os.rename(stage, out)
    os.rename(old, stage)
    return False


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes  # here: a build that writes nothing, and every other command, does without

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))
