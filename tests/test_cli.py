"""The command line: exit codes, output formats, usage errors, version and help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from referat import __version__

from .conftest import invoke, plain_env, write_meeting

BROKEN = {
    "01-foerste.md": "---\ntitle: Første sag\ncase: 20/1\n---\n\n"
    "## Baggrund\n\nx\n\n## Beslutnig\n\ny\n"
}


def test_valid_meeting_exits_0(meeting: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(meeting.parent)
    result = invoke("validate", "2021-03-01")
    assert result.exit_code == 0
    assert result.stdout == "No problems in 3 files\n"


def test_text_format_is_one_line_per_diagnostic(
    meeting: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_meeting(meeting, BROKEN)
    monkeypatch.chdir(meeting.parent)
    result = invoke("validate", "2021-03-01")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        '2021-03-01/01-foerste.md:5:1: error[RF204] required section "Beslutning" is missing; '
        'add a "## Beslutning" section',
        '2021-03-01/01-foerste.md:10:1: error[RF201] unknown section "## Beslutnig"; '
        'did you mean "Beslutning"?',
        "2 errors, 0 warnings in 1 file",
    ]


def test_json_format(meeting: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_meeting(meeting, BROKEN)
    monkeypatch.chdir(meeting)
    result = invoke("validate", ".", "--format", "json")
    assert result.exit_code == 1
    records = json.loads(result.stdout)
    assert records[1] == {
        "path": "01-foerste.md",
        "line": 10,
        "column": 1,
        "severity": "error",
        "code": "RF201",
        "message": 'unknown section "## Beslutnig"',
        "hint": 'did you mean "Beslutning"?',
    }


def test_github_format(meeting: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_meeting(meeting, BROKEN)
    monkeypatch.chdir(meeting)
    result = invoke("validate", ".", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1] == (
        "::error file=01-foerste.md,line=10,col=1,title=RF201::"
        'unknown section "## Beslutnig"; did you mean "Beslutning"?'
    )


def test_sarif_format(meeting: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_meeting(meeting, BROKEN)
    monkeypatch.chdir(meeting)
    result = invoke("validate", ".", "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["RF201", "RF204"]
    result_201 = run["results"][1]
    assert result_201["ruleId"] == "RF201"
    assert run["tool"]["driver"]["rules"][result_201["ruleIndex"]]["id"] == "RF201"
    assert result_201["level"] == "error"
    assert result_201["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "01-foerste.md"},
        "region": {"startLine": 10, "startColumn": 1},
    }


def test_warnings_fail_only_with_strict(meeting: Path) -> None:
    write_meeting(meeting, {"bilag/glemt.pdf": b"%PDF"})
    assert invoke("validate", meeting).exit_code == 0
    result = invoke("validate", meeting, "--strict")
    assert result.exit_code == 1
    assert "warning[RF403]" in result.stdout


def test_many_paths_and_item_files(meeting: Path, tmp_path: Path) -> None:
    other = write_meeting(tmp_path / "src" / "2021-03-08", BROKEN)
    result = invoke("validate", meeting / "01-foerste.md", other, meeting)
    assert result.exit_code == 1
    assert result.stdout.count("RF201") == 1  # each meeting is checked once


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "does-not-exist"],
        ["build", "does-not-exist"],
        ["validate", ".", "--no-such-option"],
        ["validate", ".", "--format", "xml"],
        ["build", ".", "--edition", "secret"],
        ["build", ".", "-f", "docx"],
    ],
)
def test_usage_errors_exit_2(
    args: list[str], meeting: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(meeting)
    result = invoke(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_folder_without_meetings_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("validate", tmp_path)
    assert result.exit_code == 2
    assert "no meeting folder" in result.stderr


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"referat {__version__}\n"


def test_python_dash_m_and_no_color(meeting: Path) -> None:
    write_meeting(meeting, BROKEN)
    result = subprocess.run(
        [sys.executable, "-m", "referat", "validate", str(meeting)],
        capture_output=True,
        text=True,
        env=plain_env(),
        check=False,
    )
    assert result.returncode == 1
    assert "\x1b[" not in result.stdout
    assert result.stdout.endswith("2 errors, 0 warnings in 1 file\n")


# The command leaves with os._exit after flushing its streams (see main): the statuses and
# the output of real processes must be those typer gives in-process.


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "referat", *map(str, args)],
        capture_output=True,
        text=True,
        env=plain_env(),
        check=False,
    )


def test_a_real_process_exits_with_each_status_and_all_its_output(
    meeting: Path, tmp_path: Path
) -> None:
    version = _run("--version")
    assert (version.returncode, version.stdout) == (0, f"referat {__version__}\n")
    built = _run("build", meeting, "-o", tmp_path / "out")
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("Built 1 meeting (2 items), 1 re-rendered, into ")
    assert len(list((tmp_path / "out").rglob("index.html"))) == 1
    usage = _run("validate", tmp_path / "findes-ikke")
    assert usage.returncode == 2
    assert "does not exist" in usage.stderr
    unknown = _run("byg")
    assert unknown.returncode == 2
    write_meeting(meeting, BROKEN)
    broken = _run("validate", "--format", "json", meeting)
    assert broken.returncode == 1
    in_process = invoke("validate", "--format", "json", meeting)
    assert json.loads(broken.stdout) == json.loads(in_process.stdout)  # all of it, flushed


@pytest.mark.parametrize(
    "args",
    [["--help"], ["build", "--help"], ["new", "item", "--help"], ["validate", "--help"], ["byg"]],
)
def test_main_keeps_only_the_command_it_runs_and_says_the_same(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """main() leaves out the commands a process does not run (typer converts each, on every
    run): help, errors and the list of commands are as with every command there."""
    import contextlib

    from referat import cli

    def run_main() -> tuple[int, str]:
        class Left(Exception):
            pass

        def leave(status: int) -> None:
            raise Left(status)

        with monkeypatch.context() as patch:
            patch.setattr(sys, "argv", ["referat", *args])
            patch.setattr(os, "_exit", leave)
            with pytest.raises(Left) as left:
                cli.main()
        out, err = capsys.readouterr()
        return int(left.value.args[0]), out + err

    registered = list(cli.app.registered_commands)
    kept = run_main()
    assert cli.app.registered_commands == registered  # all back, for the next caller
    with monkeypatch.context() as patch:
        patch.setattr(cli, "_only_the_command_named", lambda args: contextlib.nullcontext())
        assert run_main() == kept
    if args == ["--help"]:
        for command in ("build", "validate", "fmt", "import", "lock", "new", "schema", "serve"):
            assert f" {command} " in kept[1]


def _imported(*args: str | Path) -> set[str]:
    """The modules a real process of the command imports (Python's -X importtime)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "referat", *map(str, args)],
        capture_output=True,
        text=True,
        env=plain_env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}  # the first is the header


def test_validate_and_a_build_with_nothing_to_render_import_no_renderer(
    meeting: Path, tmp_path: Path
) -> None:
    """Start-up is most of what these cost on a small repository (see README, Speed)."""
    renderer = {"jinja2", "mistune", "babel", "referat.render.templates", "ctypes"}
    # PyYAML is imported on first use, so -X importtime shows its submodules, not "yaml".
    yaml = "yaml.reader"
    (meeting.parent / "referat.yaml").write_text("language: da\n", encoding="utf-8")
    validated = _imported("validate", meeting)
    assert yaml in validated  # the check sees imports at all
    assert validated.isdisjoint(renderer)
    assert "jinja2" in _imported("build", meeting, "-o", tmp_path / "out")
    # Nothing changed: no source is read, nor referat.yaml (the key has its digest).
    assert _imported("build", meeting, "-o", tmp_path / "out").isdisjoint({*renderer, yaml})
