"""``referat new meeting`` and ``referat new item``: scaffold sources that validate."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..config import Config, Language, SectionSpec, find_config, load_config
from ..diagnostics import Collector, has_errors
from ..discover import MEETING_FILE
from ..fields import MEETING_FIELDS, Mapping, Where, read_mapping
from ..load import YamlFailed, compose, read_text
from ..report import display_path, write_text
from .common import EXIT_SOURCES, EXIT_USAGE, ConfigOption

if TYPE_CHECKING:
    from ..model import Phase

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_ITEM_NAME = re.compile(r"(\d+)-(.+)\.md")

new_app = typer.Typer(
    name="new",
    help="Scaffold sources: a meeting folder, or the next item of a meeting.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class PhaseChoice(StrEnum):
    """The phase a new meeting starts in."""

    agenda = "agenda"
    minutes = "minutes"


def register(app: typer.Typer) -> None:
    """Add the ``referat new`` group to ``app``."""
    app.add_typer(new_app)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"referat: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def _text(value: str, option: str) -> str:
    text = value.strip()
    if not text or "\n" in text or "\r" in text:
        raise _fail(f"{option} must be a non-empty text on one line")
    return text


def parse_date(value: str) -> dt.date:
    """``YYYY-MM-DD`` as a date; a usage error otherwise."""
    if not _DATE.fullmatch(value):
        raise _fail(f'--date "{value}" is not a date written YYYY-MM-DD, e.g. 2021-03-01')
    try:
        return dt.date.fromisoformat(value)
    except ValueError as err:
        raise _fail(f'--date "{value}" is not a date: {err}') from None


def parse_time(value: str, option: str = "--time") -> dt.time:
    """``HH:MM`` (or ``H:MM``) as a time; a usage error otherwise."""
    match = _TIME.fullmatch(value)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise _fail(f'{option} "{value}" is not a time written HH:MM, e.g. 09:30')
    return dt.time(int(match[1]), int(match[2]))


@new_app.command("meeting")
def new_meeting(
    folder: Annotated[
        Path,
        typer.Argument(
            file_okay=False, help="The meeting folder to create, e.g. direktionen/2021-03-01."
        ),
    ],
    body: Annotated[str, typer.Option("--body", help='The body that meets, e.g. "Direktionen".')],
    date: Annotated[str, typer.Option("--date", metavar="<YYYY-MM-DD>", help="Meeting date.")],
    time: Annotated[
        str | None, typer.Option("--time", metavar="<HH:MM>", help="Start time.")
    ] = None,
    location: Annotated[
        str | None,
        typer.Option("--location", help='Where the meeting is held, e.g. "Teams".'),
    ] = None,
    phase: Annotated[
        PhaseChoice | None,
        typer.Option("--phase", help="agenda before the meeting; minutes (the default) after."),
    ] = None,
) -> None:
    """Create a meeting folder and its meeting.yaml (then add items with 'new item')."""
    from ..sources import meeting_text  # (the writers of sources load when they write)

    data: dict[str, object] = {"body": _text(body, "--body"), "date": parse_date(date)}
    if time is not None:
        data["time"] = parse_time(time)
    if location is not None:
        data["location"] = _text(location, "--location")
    if phase is not None:
        data["phase"] = phase.value
    path = folder / MEETING_FILE
    if path.exists() or path.is_symlink():
        raise _fail(f"{display_path(path)} exists already; a folder holds one meeting")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_new(path, meeting_text(data))
    except FileExistsError:
        raise _fail(f"{display_path(path)} exists already; a folder holds one meeting") from None
    except OSError as err:
        typer.echo(f"referat: cannot write {display_path(path)}: {err.strerror or err}", err=True)
        raise typer.Exit(EXIT_SOURCES) from None
    typer.echo(f"Created {display_path(path)}")


@new_app.command("item")
def new_item(
    meeting: Annotated[
        Path,
        typer.Argument(
            exists=True, file_okay=False, help="The meeting folder (holding meeting.yaml)."
        ),
    ],
    title: Annotated[str, typer.Option("--title", help="The item's title.")],
    case: Annotated[
        str | None,
        typer.Option("--case", help="Case number (sagsnummer), checked against case_pattern."),
    ] = None,
    closed: Annotated[bool, typer.Option("--closed", help="A closed item (lukket punkt).")] = False,
    config: ConfigOption = None,
) -> None:
    """Add the next item to a meeting: NN-slug.md with front matter and section headings."""
    front: dict[str, object] = {"title": _text(title, "--title")}
    meeting_path = meeting / MEETING_FILE
    if not meeting_path.is_file():
        raise _fail(f"{display_path(meeting)} is not a meeting folder: it has no {MEETING_FILE}")
    diags = Collector()
    config_path = config or find_config(meeting)
    settings = load_config(config_path, diags) if config_path else Config()
    language, phase = _meeting_settings(meeting_path, settings, diags)
    if has_errors(diags.sorted()):
        write_text(diags.sorted(), 1, sys.stderr)
        typer.echo("referat: no item was written, because the sources have errors", err=True)
        raise typer.Exit(EXIT_SOURCES)
    if case is not None:
        case = case.strip()
        if not settings.case_pattern.fullmatch(case):
            raise _fail(
                f'--case "{case}" does not match the case pattern {settings.case_pattern.pattern}'
            )
        front["case"] = case
    elif settings.case_required:
        raise _fail("--case is required (set 'case_required: false' in referat.yaml to allow none)")
    if closed:
        front["closed"] = True

    from ..sources import item_file_name, item_text

    number = next_number(meeting, settings)
    path = meeting / item_file_name(number, str(front["title"]))
    sections = scaffold_sections(settings, language, phase)
    text = item_text(front, [(spec.heading, "") for spec in sections])
    try:
        _write_new(path, text)
    except OSError as err:
        typer.echo(f"referat: cannot write {display_path(path)}: {err.strerror or err}", err=True)
        raise typer.Exit(EXIT_SOURCES) from None
    typer.echo(f"Created {display_path(path)}")


def scaffold_sections(config: Config, language: Language, phase: Phase) -> list[SectionSpec]:
    """The sections a new item gets: every configured one, minutes-only ones in minutes only."""
    return [s for s in config.sections_for(language) if phase == "minutes" or not s.minutes_only]


def next_number(meeting: Path, config: Config) -> int:
    """The number after the highest item number in ``meeting``.

    With ``numbering: continuous``, an empty meeting continues after the highest item
    number of the body's latest earlier meeting that year in a folder beside it.
    """
    numbers = _item_numbers(meeting)
    if numbers:
        return max(numbers) + 1
    if config.numbering == "continuous":
        return _continued_number(meeting)
    return 1


def _item_numbers(folder: Path) -> list[int]:
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [int(m[1]) for name in names if (m := _ITEM_NAME.fullmatch(name))]


def _continued_number(meeting: Path) -> int:
    own = _body_and_date(meeting / MEETING_FILE)
    if own is None:
        return 1
    body, date = own
    best: tuple[dt.date, int] | None = None
    try:
        siblings = sorted(p for p in meeting.resolve().parent.iterdir() if p.is_dir())
    except OSError:
        return 1
    for sibling in siblings:
        other = _body_and_date(sibling / MEETING_FILE)
        if other is None or other[0] != body:
            continue
        if other[1].year != date.year or other[1] >= date:
            continue
        numbers = _item_numbers(sibling)
        if numbers and (best is None or other[1] > best[0]):
            best = (other[1], max(numbers))
    return best[1] + 1 if best else 1


def _body_and_date(path: Path) -> tuple[str, dt.date] | None:
    if not path.is_file():
        return None
    diags = Collector()
    data = _read_meeting(path, diags)
    if data is None:
        return None
    body, date = data.get_str("body"), data.values.get("date")
    return (body, date) if body is not None and isinstance(date, dt.date) else None


def _meeting_settings(path: Path, config: Config, diags: Collector) -> tuple[Language, Phase]:
    data = _read_meeting(path, diags)
    if data is None:
        return config.language, "minutes"
    language = data.get_str("language")
    return (
        "en" if language == "en" else "da" if language == "da" else config.language,
        "agenda" if data.get_str("phase") == "agenda" else "minutes",
    )


def _read_meeting(path: Path, diags: Collector) -> Mapping | None:
    text = read_text(path, diags)
    if text is None:
        return None
    try:
        node = compose(text, path, 0, diags)
    except YamlFailed:
        return None
    return read_mapping(node, MEETING_FIELDS, Where(path, 0, text), diags, what=MEETING_FILE)


def _write_new(path: Path, text: str) -> None:
    """Write ``text`` to a file that must not exist yet."""
    with path.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
