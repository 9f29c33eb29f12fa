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


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        exists=True,
        dir_okay=False,
        help="Use this referat.yaml instead of the nearest one above each meeting.",
    ),
]
