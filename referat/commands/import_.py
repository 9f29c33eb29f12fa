"""``referat import FILE.md -o DIR``: a referat in Markdown to a meeting folder of sources."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated

import typer

from ..config import Config, find_config, load_config
from ..diagnostics import Collector, has_errors
from ..report import display_path, write_text
from .common import EXIT_OK, EXIT_SOURCES, EXIT_USAGE, ConfigOption

if TYPE_CHECKING:  # the importer (and Babel's locale data) loads when it runs
    from ..importer import Imported, ImportedItem, Note


def register(app: typer.Typer) -> None:
    """Add ``import`` to ``app``."""
    app.command("import")(import_command)


def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="The referat or dagsorden in Markdown, as a converter gives it from PDF or Word.",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="The meeting folder to write; it must not exist, or be empty.",
        ),
    ],
    config: ConfigOption = None,
) -> None:
    """Split a referat in Markdown into a meeting folder of sources, then validate them.

    Section headings and the case number pattern come from --config, else from the nearest
    referat.yaml above the output folder, else the defaults. What the import left out or
    could not place is reported on stderr as FILE:LINE: warning (or note); FILE is never
    changed.
    """
    from ..importer import decode, import_text
    from ..load import NotText
    from ..validate import check

    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        what = "is not empty" if output.is_dir() else "is not a folder"
        typer.echo(f"referat: {display_path(output)} {what}; give a new folder", err=True)
        raise typer.Exit(EXIT_USAGE)
    settings = _settings(config, output)
    try:
        text = decode(file.read_bytes())
    except NotText as err:
        typer.echo(
            f"{display_path(file)}:{err.line}:{err.column}: error: {err.message}; {err.hint}",
            err=True,
        )
        typer.echo("referat: nothing was written", err=True)
        raise typer.Exit(EXIT_SOURCES) from None
    except OSError as err:
        typer.echo(f"referat: cannot read {display_path(file)}: {err.strerror or err}", err=True)
        raise typer.Exit(EXIT_SOURCES) from None

    imported = import_text(text, settings)
    shown = display_path(file)
    if not imported.items:
        _print_notes(shown, imported.notes)
        typer.echo("referat: nothing was written", err=True)
        raise typer.Exit(EXIT_SOURCES)
    items, copies, copy_notes = _attachment_files(imported.items, file.parent)
    imported = replace(
        imported,
        items=items,
        notes=tuple(sorted((*imported.notes, *copy_notes), key=lambda n: n.line)),
    )
    _print_notes(shown, imported.notes)
    try:
        _write(output, imported, copies)
    except OSError as err:
        typer.echo(f"referat: cannot write {display_path(output)}: {err}", err=True)
        raise typer.Exit(EXIT_SOURCES) from None

    warnings = sum(n.level == "warning" for n in imported.notes)
    typer.echo(
        f"Imported {_count(len(imported.items), 'item')} from {shown} into "
        f"{display_path(output)}" + (f" ({_count(warnings, 'warning')} above)" if warnings else "")
    )
    found = find_config(output)
    if config is not None and (found is None or found.resolve() != config.resolve()):
        typer.echo(
            f"referat: note: {display_path(config)} is not above {display_path(output)}; "
            "pass --config to validate and build it, or keep referat.yaml above the meeting",
            err=True,
        )
    checked = check([output], config)
    write_text(checked.diagnostics, checked.files, sys.stdout)
    raise typer.Exit(EXIT_SOURCES if has_errors(checked.diagnostics) else EXIT_OK)


def _settings(config: Path | None, output: Path) -> Config:
    """The configuration the import reads sections and case pattern from."""
    path = config
    if path is None:
        existing = Path(os.path.abspath(output))
        while not existing.exists():
            existing = existing.parent
        path = find_config(existing)
    if path is None:
        return Config()
    diags = Collector()
    settings = load_config(path, diags)
    if has_errors(diags.sorted()):
        write_text(diags.sorted(), 1, sys.stderr)
        typer.echo("referat: nothing was written, because the configuration has errors", err=True)
        raise typer.Exit(EXIT_SOURCES)
    return replace(settings, path=path.resolve())


def _print_notes(shown: str, notes: tuple[Note, ...]) -> None:
    for note in notes:
        typer.echo(f"{shown}:{note.line}: {note.level}: {note.message}", err=True)


def _attachment_files(
    items: tuple[ImportedItem, ...], folder: Path
) -> tuple[tuple[ImportedItem, ...], dict[str, Path], list[Note]]:
    """Attachments given as links keep their file where it lies beside FILE; others lose it."""
    from ..importer import Note

    copies: dict[str, Path] = {}
    notes: list[Note] = []
    out: list[ImportedItem] = []
    root = folder.resolve()
    for item in items:
        attachments = []
        for attachment in item.attachments:
            if attachment.file is None:
                attachments.append(attachment)
                continue
            rel = PurePosixPath(attachment.file)
            source = (folder / rel).resolve()
            if (
                rel.is_absolute()
                or ".." in rel.parts
                or not source.is_relative_to(root)
                or not source.is_file()
            ):
                notes.append(
                    Note(
                        attachment.line,
                        "warning",
                        f'attachment file "{attachment.file}" is not beside the imported file: '
                        f'listed by its title only; add the file and "file:" by hand',
                    )
                )
                attachments.append(replace(attachment, file=None))
                continue
            target = rel.as_posix()
            copies[target] = source
            attachments.append(replace(attachment, file=target))
        out.append(replace(item, attachments=tuple(attachments)))
    return tuple(out), copies, notes


def _write(output: Path, imported: Imported, copies: dict[str, Path]) -> None:
    """Write the meeting folder whole, or not at all: into a new folder beside it, then rename."""
    import tempfile  # here: every command's start-up imports this module

    parent = Path(os.path.abspath(output)).parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=parent))
    try:
        for name, text in imported.files().items():
            (staging / name).write_text(text, encoding="utf-8", newline="\n")
        for target, source in copies.items():
            destination = staging / target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
        if output.is_dir():
            output.rmdir()  # empty, as checked before
        staging.rename(output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
