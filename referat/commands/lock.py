"""``referat lock``: seal approved minutes with the digest of their sources and attachments."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..diagnostics import has_errors
from ..discover import MEETING_FILE, NoMeetings
from ..report import display_path, write_text
from .common import EXIT_OK, EXIT_SOURCES, EXIT_USAGE, ConfigOption

#: Not in the way of a lock: a missing, stale or broken digest is what ``lock`` is for, and
#: a digest without an approval date (RF603) gets the message that the date must be set.
_REPLACED_CODES = frozenset({"RF601", "RF602", "RF603"})


def register(app: typer.Typer) -> None:
    """Add ``referat lock`` to ``app``."""
    app.command("lock")(lock)


def lock(
    meeting: Annotated[
        Path,
        typer.Argument(
            exists=True, file_okay=False, help="The meeting folder (the one holding meeting.yaml)."
        ),
    ],
    config: ConfigOption = None,
) -> None:
    """Seal approved minutes: write their digest and .referat-lock."""
    # Imported here, as every command's work: the command line starts with the one it runs.
    from ..digest import LOCK_FILE, CannotEdit, digest, manifest, manifest_text, with_digest
    from ..validate import check

    meeting_file = meeting / MEETING_FILE
    if not meeting_file.is_file():
        typer.echo(
            f"referat: {display_path(meeting)} is not a meeting folder (it has no {MEETING_FILE})",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE)
    try:
        checked = check([meeting], config)
    except NoMeetings as err:
        typer.echo(f"referat: {err}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    shown = [d for d in checked.diagnostics if d.code not in _REPLACED_CODES]
    if shown:
        write_text(shown, checked.files, sys.stderr)
    if has_errors(shown) or not checked.meetings:
        typer.echo("referat: nothing was written, because the sources have errors", err=True)
        raise typer.Exit(EXIT_SOURCES)
    found = checked.meetings[0]
    if found.approved is None:
        typer.echo(
            f"referat: {found.id} has no approval date; only approved minutes are locked. "
            f"Set 'approved: YYYY-MM-DD' in {display_path(meeting_file)} first",
            err=True,
        )
        raise typer.Exit(EXIT_SOURCES)

    files = manifest(found)
    value = digest(files)
    lock_text = manifest_text(files).encode("utf-8")
    lock_path = meeting / LOCK_FILE
    old_yaml = meeting_file.read_bytes()
    try:
        new_yaml = with_digest(old_yaml.decode("utf-8"), value).encode("utf-8")
    except CannotEdit as err:
        typer.echo(
            f"referat: nothing was written: {err}; add the line 'digest: \"{value}\"' by hand",
            err=True,
        )
        raise typer.Exit(EXIT_SOURCES) from None
    written = 0
    try:
        if _read_or_none(lock_path) != lock_text:
            _write_atomically(lock_path, lock_text)
            written += 1
        if new_yaml != old_yaml:
            _write_atomically(meeting_file, new_yaml)
            written += 1
    except OSError as err:
        typer.echo(
            f"referat: cannot write {display_path(Path(err.filename or meeting))}: "
            f"{err.strerror or err}",
            err=True,
        )
        raise typer.Exit(EXIT_SOURCES) from None
    count = f"{len(files)} file" + ("" if len(files) == 1 else "s")
    if not written:
        typer.echo(f"Already locked {found.id}: {value} ({count}); nothing was written")
        raise typer.Exit(EXIT_OK)
    previous = found.digest if found.digest and found.digest.lower() != value else None
    typer.echo(
        f"Locked {found.id}: {value} ({count})"
        + (f"; the previous digest was {previous}" if previous else "")
    )


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` in one step, keeping its mode (a new file gets the umask's)."""
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    import secrets  # here: every command's start-up imports this module

    # Hidden, so that a temporary file left by a crash is not reported as unlisted (RF403).
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
