"""The command line: arguments, printing and exit codes; the work is done in validate and build."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .build import FORMATS, OutputError, build
from .commands import register_all
from .commands.common import EXIT_OK, EXIT_SOURCES, EXIT_USAGE, ConfigOption
from .diagnostics import has_errors
from .render import pdf
from .render.templates import TemplateFailed
from .report import WRITERS, display_path, summary, write_text
from .validate import Checked, NoMeetings, check

app = typer.Typer(
    name="referat",
    help="Compile meeting minutes and agendas from Markdown sources to HTML, Markdown and JSON.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class ReportFormat(StrEnum):
    """How ``validate`` prints diagnostics."""

    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


class OutputFormat(StrEnum):
    """What ``build`` writes."""

    html = "html"
    md = "md"
    pdf = "pdf"
    json = "json"
    all = "all"


class EditionChoice(StrEnum):
    """Which edition ``build`` renders."""

    public = "public"
    internal = "internal"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"referat {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Compile meeting minutes and agendas from Markdown sources to HTML, Markdown and JSON."""


def _check(paths: list[Path], config: Path | None) -> Checked:
    try:
        return check(paths, config)
    except NoMeetings as err:
        typer.echo(f"referat: {err}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


@app.command()
def validate(
    paths: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            help="Meeting folders, folders with meeting folders below them, or item files.",
        ),
    ],
    format: Annotated[
        ReportFormat, typer.Option("--format", help="How to print the diagnostics.")
    ] = ReportFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    config: ConfigOption = None,
) -> None:
    """Check the sources and report every problem with file, line and column."""
    checked = _check(paths, config)
    WRITERS[format.value](checked.diagnostics, checked.files, sys.stdout)
    failed = has_errors(checked.diagnostics, strict=strict)
    raise typer.Exit(EXIT_SOURCES if failed else EXIT_OK)


@app.command("build")
def build_command(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, help="A meeting folder, or a folder with meeting folders below it."
        ),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Output folder; replaced whole by each build.")
    ] = Path("_build"),
    formats: Annotated[
        list[OutputFormat] | None,
        typer.Option("-f", "--format", help="Format to write; repeatable.  [default: html]"),
    ] = None,
    edition: Annotated[
        EditionChoice,
        typer.Option(
            "--edition", help="public: closed items show number and case only; internal: all."
        ),
    ] = EditionChoice.public,
    template_dir: Annotated[
        Path | None,
        typer.Option(
            "--template-dir",
            exists=True,
            file_okay=False,
            help="Folder of templates that replace the defaults of the same name.",
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Validate, then render every meeting to OUTPUT/<meeting-id>/."""
    chosen = {f.value for f in formats or [OutputFormat.html]}
    wanted = list(FORMATS) if "all" in chosen else [f for f in FORMATS if f in chosen]
    pdf_missing = False
    if "pdf" in wanted:
        try:
            pdf.engine()
        except pdf.PdfUnavailable as err:
            # The other formats are still built; the exit status says that PDF was not.
            typer.echo(f"referat: cannot write PDF: {err}", err=True)
            wanted.remove("pdf")
            pdf_missing = True
            if not wanted:
                raise typer.Exit(EXIT_SOURCES) from None
    started = time.perf_counter()
    checked = _check([path], config)
    if checked.diagnostics:
        write_text(checked.diagnostics, checked.files, sys.stderr)
    if has_errors(checked.diagnostics):
        typer.echo("referat: nothing was written, because the sources have errors", err=True)
        raise typer.Exit(EXIT_SOURCES)
    try:
        built = build(checked.meetings, output, wanted, edition.value, template_dir)
    except TemplateFailed as err:
        write_text([err.diagnostic], 1, sys.stderr)
        typer.echo("referat: nothing was written", err=True)
        raise typer.Exit(EXIT_SOURCES) from None
    except OutputError as err:
        typer.echo(f"referat: {err}", err=True)
        raise typer.Exit(EXIT_SOURCES) from None
    seconds = time.perf_counter() - started
    typer.echo(
        f"Built {_count(built.meetings, 'meeting')} "
        f"({_count(built.items, 'item')}, {_count(built.files, 'file')}) "
        f"into {display_path(output)} in {seconds:.1f} s"
        + (f"; {_count(built.pdfs_laid_out, 'PDF')} laid out" if "pdf" in wanted else "")
    )
    if pdf_missing:
        raise typer.Exit(EXIT_SOURCES)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


register_all(app)


def main() -> None:
    """Entry point of the ``referat`` command."""
    app()


__all__ = ["app", "main", "summary"]
