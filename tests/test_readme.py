"""The README cannot drift from the code: every diagnostic code and every help text is in it."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from referat.cli import app
from referat.diagnostics import CODES

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = ["validate", "build", "import", "new", "fmt", "lock", "serve", "schema"]
#: Help blocks in the README: every command, and the sub-commands of `new`.
HELP = [*COMMANDS, "new meeting", "new item"]


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_is_documented_with_bad_and_good_examples(code: str) -> None:
    entry = rf"^### {code} — ([^\n]+)$(.*?)(?=^### |\Z)"
    match = re.search(entry, README, re.MULTILINE | re.DOTALL)
    assert match, f"{code} has no '### {code} — ...' entry in README.md"
    assert match[1] == CODES[code].summary
    assert "**Bad" in match[2] and "**Good" in match[2], f"{code} needs a bad and a good example"


@pytest.mark.parametrize("command", HELP)
def test_help_in_readme_matches_the_command(command: str) -> None:
    match = re.search(rf"<!-- help: {command} -->\n```text\n(.*?)```", README, re.DOTALL)
    assert match, f"README.md has no help block for {command}"
    result = CliRunner().invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0
    assert match[1].strip() == result.output.strip()


def test_every_command_has_a_section() -> None:
    result = CliRunner().invoke(app, ["--help"])
    listed = re.findall(r"^  (\w+)  ", result.output, re.MULTILINE)
    assert sorted(listed) == sorted(COMMANDS)
    for command in COMMANDS:
        assert f"### `referat {command}`" in README


def test_the_diagnostics_table_lists_every_code() -> None:
    rows = re.findall(r"^\| \[(RF\d{3})\]\(#[^)]*\) \| (\w+) \| ([^|]+) \|$", README, re.MULTILINE)
    assert rows == [(c.code, str(c.severity), c.summary) for c in CODES.values()]
