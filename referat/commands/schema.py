"""``referat schema``: the JSON Schemas of the sources, for editors and other tools."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..config import load_config
from ..diagnostics import Collector, has_errors
from ..report import write_text
from ..schema import dumps, schema, schemas
from .common import EXIT_SOURCES


class SchemaKind(StrEnum):
    """Which schema to print."""

    meeting = "meeting"
    item = "item"
    config = "config"


def register(app: typer.Typer) -> None:
    """Add ``referat schema`` to ``app``."""
    app.command("schema")(schema_command)


def schema_command(
    kind: Annotated[
        SchemaKind | None,
        typer.Argument(help="Print only this schema; without it, all three in one object."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            exists=True,
            dir_okay=False,
            help="Fit the item schema's case numbers to this referat.yaml "
            "(case_pattern, case_required).",
        ),
    ] = None,
) -> None:
    """Print JSON Schemas (draft 2020-12) of meeting.yaml, item front matter and referat.yaml."""
    settings = None
    if config is not None:
        diags = Collector()
        settings = load_config(config, diags)
        if has_errors(diags.sorted()):
            write_text(diags.sorted(), 1, sys.stderr)
            raise typer.Exit(EXIT_SOURCES)
    data = schemas(settings) if kind is None else schema(kind.value, settings)
    typer.echo(dumps(data), nl=False)
