"""What every command shares: exit statuses and common options."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

#: Exit statuses, the same for every command: success, problems in the sources (or output
#: that cannot be written), usage error.
EXIT_OK, EXIT_SOURCES, EXIT_USAGE = 0, 1, 2


class EditionChoice(StrEnum):
    """Which edition a command renders."""

    public = "public"
    internal = "internal"


EditionOption = Annotated[
    EditionChoice,
    typer.Option(
        "--edition", help="public: closed items show number and case only; internal: all."
    ),
]

TemplateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--template-dir",
        exists=True,
        file_okay=False,
        help="Folder of templates that replace the defaults of the same name.",
    ),
]

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        exists=True,
        dir_okay=False,
        help="Use this referat.yaml instead of the nearest one above each meeting.",
    ),
]
