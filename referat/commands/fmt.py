"""``referat fmt``: rewrite sources in canonical form, or with ``--check`` only report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..report import display_path
from .common import EXIT_OK, EXIT_SOURCES, EXIT_USAGE, ConfigOption

if TYPE_CHECKING:  # the formatter (and the renderer it compares with) loads when it runs
    from ..fmt import Problem


def register(app: typer.Typer) -> None:
    """Add ``referat fmt`` to ``app``."""
    app.command("fmt")(fmt_command)


def _problem_line(problem: Problem) -> str:
    code = f"error[{problem.code}]" if problem.code else "error[fmt]"
    hint = f"; {problem.hint}" if problem.hint else ""
    where = f"{display_path(problem.path)}:{problem.line}:{problem.column}"
    return f"{where}: {code} {problem.message}{hint}"


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def fmt_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            help="Meeting folders, folders with meeting folders below them, or source files.",
        ),
    ],
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Write nothing; list the files that would change, and fail if any."
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Rewrite meeting.yaml and item files in canonical form, without changing their meaning."""
    from ..fmt import NotASource, run

    try:
        report = run(paths, config, check=check)
    except NotASource as err:
        typer.echo(f"referat: {err}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    for path in report.changed:
        typer.echo(display_path(path))
    for problem in report.problems:
        typer.echo(_problem_line(problem), err=True)
    done = "would be reformatted" if check else "reformatted"
    parts = [f"{_files(len(report.changed))} {done}", f"{len(report.unchanged)} unchanged"]
    if report.refused:
        parts.append(f"{_files(len(report.refused))} not formatted because of the errors above")
    elif report.problems:
        parts.append("errors above")
    typer.echo(", ".join(parts), err=True)
    failed = bool(report.problems or report.refused or (check and report.changed))
    raise typer.Exit(EXIT_SOURCES if failed else EXIT_OK)
