"""``referat serve``: a preview on localhost that rebuilds on every save and reloads the page."""

from __future__ import annotations

import datetime as dt
import errno
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..discover import NoMeetings
from ..report import write_text
from .common import (
    EXIT_OK,
    EXIT_SOURCES,
    EXIT_USAGE,
    ConfigOption,
    EditionChoice,
    EditionOption,
    TemplateDirOption,
)

if TYPE_CHECKING:  # the server (http.server, watchfiles) is imported when it is started
    from ..serve import Site

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def register(app: typer.Typer) -> None:
    """Add ``referat serve`` to ``app``."""
    app.command("serve")(serve)


def serve(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            help="A meeting folder, a folder with meeting folders below it, or an item file.",
        ),
    ],
    port: Annotated[
        int,
        typer.Option(
            "-p",
            "--port",
            min=0,
            max=65535,
            metavar="<port>",
            help="Port to listen on; 0 picks a free one.",
        ),
    ] = DEFAULT_PORT,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            metavar="<host>",
            help="Address to listen on; anything but loopback exposes the minutes.",
        ),
    ] = DEFAULT_HOST,
    edition: EditionOption = EditionChoice.public,
    template_dir: TemplateDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Preview the pages on localhost; rebuild on every save and reload the browser."""
    from ..serve import Preview

    preview = Preview(
        path,
        host=host,
        port=port,
        edition=edition.value,
        template_dir=template_dir,
        config_file=config,
        on_build=_report,
        on_error=lambda message: typer.echo(f"referat: {message}", err=True),
    )
    import socket  # here: every command's start-up would pay for it

    try:
        try:
            preview.start()
        except NoMeetings as err:
            typer.echo(f"referat: {err}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
        except socket.gaierror as err:
            typer.echo(f"referat: cannot listen on {host}: {err.strerror}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
        except OSError as err:
            typer.echo(f"referat: cannot listen on {host}:{port}: {_why(err)}", err=True)
            raise typer.Exit(EXIT_SOURCES) from None
        typer.echo(f"Serving {preview.url} — Ctrl+C to stop")
        if not preview.loopback:
            typer.echo(
                f"referat: warning: {host} is reachable from other machines, and the preview "
                "has no password; anyone who can reach it can read the minutes",
                err=True,
            )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        typer.echo("Stopped")
    finally:
        preview.stop()
    raise typer.Exit(EXIT_OK)


def _why(err: OSError) -> str:
    if err.errno == errno.EADDRINUSE:
        return "the port is in use (another referat serve?); choose another with --port"
    if err.errno == errno.EACCES:
        return "permission denied; ports below 1024 need privileges, choose another with --port"
    return err.strerror or str(err)


def _report(site: Site, seconds: float, changed: bool) -> None:
    """One line per rebuild that changed what is shown, after its diagnostics."""
    if not changed:
        return
    if site.diagnostics:
        write_text(site.diagnostics, 0, sys.stderr)
    now = f"{dt.datetime.now():%H:%M:%S}"
    if site.problem is not None:
        detail = f": {site.detail}" if site.detail else ""
        typer.echo(f"{now} {site.problem}{detail} — the page shows this until it is fixed")
        return
    meetings = len(site.meetings)
    typer.echo(
        f"{now} Rendered {meetings} meeting{'' if meetings == 1 else 's'} in {seconds:.1f} s"
    )
