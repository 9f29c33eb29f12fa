"""The command line: arguments, printing and exit codes; the work is done in validate and build."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from . import __version__
from .commands import register_all
from .commands.common import (
    EXIT_OK,
    EXIT_SOURCES,
    EXIT_USAGE,
    ConfigOption,
    EditionChoice,
    EditionOption,
    TemplateDirOption,
)
from .diagnostics import has_errors
from .discover import NoMeetings
from .pipeline import WorkerDied, validate_paths
from .report import WRITERS, display_path, might_be_terminal, write_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from .build import Memory

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
    jobs: Annotated[
        int, typer.Option("-j", "--jobs", min=0, help="Worker processes; 0: one per CPU.")
    ] = 0,
) -> None:
    """Check the sources and report every problem with file, line and column."""
    try:
        checked = validate_paths(paths, config, jobs or os.cpu_count() or 1)
    except NoMeetings as err:
        typer.echo(f"referat: {err}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except WorkerDied as err:
        typer.echo(f"referat: {err}", err=True)
        raise typer.Exit(EXIT_SOURCES) from None
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
    edition: EditionOption = EditionChoice.public,
    template_dir: TemplateDirOption = None,
    config: ConfigOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Render everything, ignoring the previous build.")
    ] = False,
    jobs: Annotated[
        int,
        typer.Option("-j", "--jobs", min=0, help="Worker processes; 0: one per CPU."),
    ] = 0,
    watch: Annotated[
        bool,
        typer.Option("--watch", help="Build again after every change, until Ctrl+C."),
    ] = False,
) -> None:
    """Validate, then render every meeting to OUTPUT/<meeting-id>/ and, for several, an archive."""
    # Imported here: validate and the other commands start faster without the renderer.
    from .build import FORMATS, OutputError, build
    from .render import TemplateFailed

    chosen = {f.value for f in formats or [OutputFormat.html]}
    wanted = list(FORMATS) if "all" in chosen else [f for f in FORMATS if f in chosen]
    pdf_missing = False
    if "pdf" in wanted:
        from .render import pdf  # WeasyPrint is imported only for PDF builds

        try:
            pdf.engine()
        except pdf.PdfUnavailable as err:
            # The other formats are still built; the exit status says that PDF was not.
            typer.echo(f"referat: cannot write PDF: {err}", err=True)
            wanted.remove("pdf")
            pdf_missing = True
            if not wanted:
                raise typer.Exit(EXIT_SOURCES) from None

    forcing = force  # with --watch, the first build only

    def once(memory: Memory | None, prefix: str = "") -> int:
        """Build, report, and say with which exit status a build without ``--watch`` ends;
        ``prefix`` (the time, under ``--watch``) starts the line that ends its report."""
        nonlocal forcing
        started = time.perf_counter()
        with _Progress() as progress:
            try:
                built = build(
                    path,
                    output,
                    wanted,
                    edition.value,
                    template_dir=template_dir,
                    config_file=config,
                    force=forcing,
                    jobs=jobs or os.cpu_count() or 1,
                    on_meeting=progress.update,
                    memory=memory,
                )
                forcing = False
            except NoMeetings as err:
                typer.echo(f"{prefix}referat: {err}", err=True)
                return EXIT_USAGE
            except TemplateFailed as err:
                write_text([err.diagnostic], 1, sys.stderr)
                typer.echo(f"{prefix}referat: nothing was written", err=True)
                return EXIT_SOURCES
            except (OutputError, WorkerDied) as err:
                typer.echo(f"{prefix}referat: {err}", err=True)
                return EXIT_SOURCES
        if built.diagnostics:
            write_text(built.diagnostics, 0, sys.stderr)
        if built.failed:
            message = "referat: nothing was written, because the sources have errors"
            typer.echo(prefix + message, err=True)
            return EXIT_SOURCES
        seconds = time.perf_counter() - started
        line = (
            f"Built {_count(built.meetings, 'meeting')} ({_count(built.items, 'item')}), "
            f"{built.rendered:,} re-rendered, into {display_path(output)} in {seconds:.1f} s"
        )
        if "pdf" in wanted:
            line += f"; {_count(built.pdfs_laid_out, 'PDF')} laid out"
        if not built.written:
            line += "; nothing changed"
        typer.echo(prefix + line)
        return EXIT_SOURCES if pdf_missing else EXIT_OK

    if not watch:
        status = once(None)
        if status != EXIT_OK:
            raise typer.Exit(status)
        return
    _watch(path, once, template_dir, config)


def _watch(
    path: Path,
    once: Callable[[Memory | None, str], int],
    template_dir: Path | None,
    config: Path | None,
) -> None:
    """``build --watch``: ``once`` now and after every change, until Ctrl+C (exit status 0)."""
    import datetime as dt

    from .watch import build_on_change

    first = True

    def build_once(memory: Memory) -> None:
        nonlocal first
        status = once(memory, "" if first else f"{dt.datetime.now():%H:%M:%S} ")
        if first and status == EXIT_USAGE:  # no meetings at all: nothing to watch
            raise typer.Exit(EXIT_USAGE)
        first = False

    try:
        build_on_change(
            path,
            build_once,
            template_dir=template_dir,
            config_file=config,
            on_error=lambda message: typer.echo(f"referat: {message}", err=True),
            on_watch=lambda: typer.echo(
                f"Watching {display_path(path)} for changes — Ctrl+C to stop"
            ),
        )
    except KeyboardInterrupt:
        typer.echo("Stopped")


class _Progress:
    """A progress bar on a terminal for builds of many meetings; nothing anywhere else."""

    def __init__(self) -> None:
        self._console: Console | None = None
        if might_be_terminal(sys.stderr) and not os.environ.get("NO_COLOR"):
            from rich.console import Console  # not imported in CI, where there is no bar

            console = Console(stderr=True)
            self._console = console if console.is_terminal else None
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, done: int, total: int) -> None:
        """``done`` of ``total`` meetings rendered."""
        if self._bar is None:
            if total < 20 or self._console is None:
                return
            from rich.progress import Progress

            self._bar = Progress(console=self._console, transient=True)
            self._task = self._bar.add_task("Rendering", total=total)
            self._bar.start()
        assert self._task is not None
        self._bar.update(self._task, completed=done)


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


register_all(app)


@contextlib.contextmanager
def _only_the_command_named(args: list[str]) -> Iterator[None]:
    """Leave in ``app`` only the command that ``args`` name first, if they name one, while
    the block runs.

    typer turns every registered command into a click command on each run (7 ms for all of
    them, from their signatures), while one runs. What names no command (``referat --help``,
    a typo) sees them all.
    """
    commands, groups = app.registered_commands, app.registered_groups
    if args:
        chosen = [c for c in commands if _name(c) == args[0]]
        chosen_groups = [g for g in groups if g.name == args[0]]
        if chosen or chosen_groups:
            app.registered_commands, app.registered_groups = chosen, chosen_groups
    try:
        yield
    finally:
        app.registered_commands, app.registered_groups = commands, groups


def _name(command: typer.models.CommandInfo) -> str | None:
    """A registered command's name: given, or its function's (as typer derives it)."""
    if command.name is not None:
        return command.name
    callback = command.callback
    return callback.__name__.lower().replace("_", "-") if callback is not None else None


def main() -> None:
    """Entry point of the ``referat`` command."""
    try:
        with _only_the_command_named(sys.argv[1:]):
            app()
        status: object = 0
    except SystemExit as leaving:
        status = leaving.code
    if status is not None and not isinstance(status, int):
        raise SystemExit(status)  # a message: as Python prints it
    # Leave without tearing the interpreter down: freeing every module and object costs
    # 40-50 ms here, a fifth of a build with nothing to do. Everything is written and
    # closed by now (the commands close what they open); only the streams need flushing.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(status) from None  # (a closed pipe, say) as Python reports it
    os._exit(status or 0)


__all__ = ["app", "main"]
