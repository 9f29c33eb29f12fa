"""Building: render every meeting into a staging folder, then swap it into place in one step."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from . import __version__
from .model import Edition, Meeting
from .render import html, jsondata, markdown, pdf
from .render.document import make_document
from .render.templates import environment
from .validate import BUILD_MARKER

#: Formats ``-f`` accepts, in the order ``all`` builds them.
FORMATS = ("html", "md", "json", "pdf")
#: Folder in OUT that keeps rendered PDFs for the next build; versioned by its name.
CACHE_DIR = ".referat-cache/v1"


class OutputError(Exception):
    """OUT cannot be written or replaced; nothing was changed."""


@dataclass(frozen=True)
class Built:
    """What a build wrote."""

    meetings: int
    """Meetings rendered."""
    items: int
    """Items rendered."""
    files: int
    """Files written, attachments included."""
    pdfs_laid_out: int = 0
    """PDFs laid out by WeasyPrint; the others were taken unchanged from the previous build."""


def build(
    meetings: Sequence[Meeting],
    out: Path,
    formats: Sequence[str],
    edition: Edition,
    template_dir: Path | None = None,
) -> Built:
    """Render ``meetings`` into ``out``, replacing it only once every file is written."""
    out = _check_output(out)
    environments: dict[tuple[Path, ...], jinja2.Environment] = {}
    files = 0
    with _staging(out) as stage:
        cache = PdfCache(out / CACHE_DIR, stage / CACHE_DIR)
        for meeting in meetings:
            overrides = tuple(p for p in (template_dir, meeting.config.templates) if p is not None)
            if overrides not in environments:
                environments[overrides] = environment(overrides)
            env = environments[overrides]
            files += _write_meeting(meeting, stage, formats, edition, env, cache)
    return Built(len(meetings), sum(len(m.items) for m in meetings), files, cache.laid_out)


def _write_meeting(
    meeting: Meeting,
    stage: Path,
    formats: Sequence[str],
    edition: Edition,
    env: jinja2.Environment,
    cache: PdfCache,
) -> int:
    doc = make_document(meeting, edition)
    folder = stage / meeting.id
    folder.mkdir(parents=True, exist_ok=True)
    root = meeting.path.resolve()
    originals: dict[str, Path] = {}
    for published, source in doc.files.items():
        # Validation proved this; checked again in case a file changed in between.
        original = (root / source).resolve()
        if not original.is_relative_to(root) or not original.is_file():
            raise OutputError(f"attachment {source} of {meeting.id} changed during the build")
        originals[published] = original
    outputs: dict[str, str | bytes] = {}
    if "html" in formats:
        outputs[html.FILE_NAME] = html.write(doc, env)
    if "md" in formats:
        outputs[markdown.FILE_NAME] = markdown.write(doc, env)
    if "json" in formats:
        outputs[jsondata.FILE_NAME] = jsondata.write(doc)
    if "pdf" in formats:
        embedded = [
            (published, original)
            for published, original in originals.items()
            if edition == "internal" and published.lower().endswith(".pdf")
        ]
        cached = cache.render(pdf.print_job(doc, env, embedded), meeting.id)
        _link_or_copy(cached, folder / pdf.FILE_NAME)
    for name, data in outputs.items():
        if isinstance(data, bytes):
            (folder / name).write_bytes(data)
        else:
            (folder / name).write_text(data, encoding="utf-8")
    for published, original in originals.items():
        target = folder / published
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, target)
    return len(outputs) + len(originals) + ("pdf" in formats)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


class PdfCache:
    """PDFs by the key of everything they were laid out from, kept in OUT between builds.

    Each entry is ``<key>.pdf`` with ``<key>.sha256`` beside it; an entry whose digest
    does not match (a damaged or foreign file) is ignored and the PDF laid out again.
    """

    def __init__(self, previous: Path, current: Path) -> None:
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
        try:
            data = (self._previous / f"{key}.pdf").read_bytes()
            expected = (self._previous / f"{key}.sha256").read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return data if _sha256(data) == expected else None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_output(out: Path) -> Path:
    """The absolute output folder, after making sure replacing it cannot destroy anything else."""
    out = out.resolve()
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"{out} exists and is not a folder")
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


@contextlib.contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A folder beside ``out`` to build into; on success it takes ``out``'s place atomically."""
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as err:
        raise OutputError(f"cannot write in {out.parent}: {err.strerror}") from None
    try:
        stage.chmod(0o777 & ~_umask())
        (stage / BUILD_MARKER).write_text(f"referat {__version__}\n", encoding="utf-8")
        yield stage
        _replace(stage, out)
    except OSError as err:
        raise OutputError(f"cannot write the output: {err.strerror or err}") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _replace(stage: Path, out: Path) -> None:
    """Put ``stage`` where ``out`` is; afterwards ``stage`` holds the old output (or nothing)."""
    if not out.exists():
        os.rename(stage, out)
        return
    if _exchange(stage, out):
        return
    # Without an atomic exchange there is a moment with no ``out``; never one with half of it.
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rename(out, old / "out")
    os.rename(stage, out)
    os.rename(old, stage)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
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
