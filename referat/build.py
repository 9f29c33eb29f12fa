"""Building: render every meeting into a staging folder, then swap it into place in one step."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from . import __version__
from .model import Edition, Meeting
from .render import html, jsondata, markdown
from .render.document import make_document
from .render.templates import environment
from .validate import BUILD_MARKER

#: Formats ``-f`` accepts, in the order ``all`` builds them.
FORMATS = ("html", "md", "json")


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
        for meeting in meetings:
            overrides = tuple(p for p in (template_dir, meeting.config.templates) if p is not None)
            if overrides not in environments:
                environments[overrides] = environment(overrides)
            files += _write_meeting(meeting, stage, formats, edition, environments[overrides])
    return Built(len(meetings), sum(len(m.items) for m in meetings), files)


def _write_meeting(
    meeting: Meeting, stage: Path, formats: Sequence[str], edition: Edition, env: jinja2.Environment
) -> int:
    doc = make_document(meeting, edition)
    folder = stage / meeting.id
    folder.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, str] = {}
    if "html" in formats:
        outputs[html.FILE_NAME] = html.write(doc, env)
    if "md" in formats:
        outputs[markdown.FILE_NAME] = markdown.write(doc, env)
    if "json" in formats:
        outputs[jsondata.FILE_NAME] = jsondata.write(doc)
    for name, text in outputs.items():
        (folder / name).write_text(text, encoding="utf-8")
    root = meeting.path.resolve()
    for published, source in doc.files.items():
        # Validation proved this; checked again in case a file changed in between.
        original = (root / source).resolve()
        if not original.is_relative_to(root) or not original.is_file():
            raise OutputError(f"attachment {source} of {meeting.id} changed during the build")
        target = folder / published
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, target)
    return len(outputs) + len(doc.files)


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
