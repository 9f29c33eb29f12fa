"""Diagnostics out: plain or coloured text, JSON, GitHub Actions workflow commands, SARIF 2.1.0."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .diagnostics import CODES, Diagnostic, Severity

FORMATS = ("text", "json", "github", "sarif")
DOCS_URL = "https://github.com/referat-dk/referat#diagnostics"


def display_path(path: Path) -> str:
    """``path`` relative to the current folder when it is below it, else as absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def text_line(d: Diagnostic) -> str:
    """``path:line:col: error[RF203] message; hint``."""
    hint = f"; {d.hint}" if d.hint else ""
    return f"{display_path(d.path)}:{d.line}:{d.column}: {d.severity}[{d.code}] {d.message}{hint}"


def summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """``2 errors, 1 warning in 3 files``, or ``No problems in 17 files``."""
    if not diagnostics:
        return f"No problems in {_count(files, 'file')}"
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    paths = len({d.path for d in diagnostics})
    return f"{_count(errors, 'error')}, {_count(warnings, 'warning')} in {_count(paths, 'file')}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def write_text(diagnostics: Sequence[Diagnostic], files: int, stream: TextIO) -> None:
    """One line per diagnostic and a summary; colour and code frames only on a terminal."""
    fancy = might_be_terminal(stream) and not os.environ.get("NO_COLOR")
    if fancy:
        from rich.console import Console  # not imported in CI, where output is plain

        console = Console(file=stream, highlight=False, soft_wrap=True)
        fancy = console.is_terminal
    if not fancy:
        for d in diagnostics:
            stream.write(text_line(d) + "\n")
        stream.write(summary(diagnostics, files) + "\n")
        return
    from rich.markup import escape

    for d in diagnostics:
        colour = "red" if d.severity is Severity.ERROR else "yellow"
        hint = f"; {escape(d.hint)}" if d.hint else ""
        console.print(
            f"[bold]{escape(display_path(d.path))}:{d.line}:{d.column}:[/] "
            f"[{colour} bold]{d.severity}[{d.code}][/] {escape(d.message)}{hint}"
        )
        frame = _source_line(d)
        if frame is not None:
            console.print(f"  [dim]{d.line:>4} |[/] {escape(frame)}")
            console.print(f"       [dim]|[/] {' ' * (d.column - 1)}[{colour}]^[/]")
    console.print(summary(diagnostics, files))


def might_be_terminal(stream: TextIO) -> bool:
    """False when rich would surely not see a terminal (so it need not be imported)."""
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return True  # let rich decide


def _source_line(d: Diagnostic) -> str | None:
    try:
        with d.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if number == d.line:
                    return line.rstrip("\r\n").expandtabs(1)
    except (OSError, UnicodeDecodeError):
        return None
    return None


def write_json(diagnostics: Sequence[Diagnostic], files: int, stream: TextIO) -> None:
    """A JSON array of ``{path, line, column, severity, code, message, hint}``."""
    records = [
        {
            "path": display_path(d.path),
            "line": d.line,
            "column": d.column,
            "severity": str(d.severity),
            "code": d.code,
            "message": d.message,
            "hint": d.hint,
        }
        for d in diagnostics
    ]
    stream.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write_github(diagnostics: Sequence[Diagnostic], files: int, stream: TextIO) -> None:
    """GitHub Actions workflow commands, which annotate the files in a pull request."""
    for d in diagnostics:
        command = "error" if d.severity is Severity.ERROR else "warning"
        message = d.message + (f"; {d.hint}" if d.hint else "")
        stream.write(
            f"::{command} file={_escape_property(display_path(d.path))},line={d.line},"
            f"col={d.column},title={d.code}::{_escape_data(message)}\n"
        )


def write_sarif(diagnostics: Sequence[Diagnostic], files: int, stream: TextIO) -> None:
    """A SARIF 2.1.0 log, for code-scanning dashboards."""
    used = sorted({d.code for d in diagnostics})
    rules = [
        {
            "id": code,
            "shortDescription": {"text": CODES[code].summary},
            "helpUri": f"{DOCS_URL}-{code.lower()}",
            "defaultConfiguration": {"level": str(CODES[code].severity)},
        }
        for code in used
    ]
    results: list[dict[str, Any]] = [
        {
            "ruleId": d.code,
            "ruleIndex": used.index(d.code),
            "level": str(d.severity),
            "message": {"text": d.message + (f"; {d.hint}" if d.hint else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": display_path(d.path)},
                        "region": {"startLine": d.line, "startColumn": d.column},
                    }
                }
            ],
        }
        for d in diagnostics
    ]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "referat",
                        "version": __version__,
                        "informationUri": DOCS_URL,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    stream.write(json.dumps(log, ensure_ascii=False, indent=2) + "\n")


WRITERS: dict[str, Callable[[Sequence[Diagnostic], int, TextIO], None]] = {
    "text": write_text,
    "json": write_json,
    "github": write_github,
    "sarif": write_sarif,
}
