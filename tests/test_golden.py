"""Golden cases: each folder in tests/cases holds sources (or names an example) and expected output.

A case with valid sources expects the whole build (``-f all``) in ``expected/``; a case with
broken sources expects ``expected/diagnostics.txt`` (``referat validate`` text output) and a
build that writes nothing. Regenerate on purpose, then read the diff like code::

    python tests/test_golden.py --regenerate
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"
sys.path.insert(0, str(ROOT))

from referat.cli import app  # noqa: E402


@dataclass(frozen=True)
class Case:
    """One golden case."""

    name: str
    source: Path
    args: tuple[str, ...]

    @property
    def expected(self) -> Path:
        return CASES / self.name / "expected"


def load_cases() -> list[Case]:
    cases = []
    for folder in sorted(p for p in CASES.iterdir() if p.is_dir()):
        spec = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
        source = spec["source"]
        base = ROOT if source.split("/")[0] == "examples" else folder
        cases.append(Case(folder.name, base / source, tuple(spec.get("args", ()))))
    return cases


def run(case: Case, out: Path) -> tuple[int, dict[str, bytes]]:
    """Build ``case`` into ``out``; the exit code and either the files or the diagnostics."""
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "build",
            str(case.source),
            "-o",
            str(out),
            "-f",
            "html",
            "-f",
            "md",
            "-f",
            "json",
            *case.args,
        ],
    )
    if result.exit_code == 0:
        files = {
            p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).as_posix().startswith(".")
        }
        return 0, files
    # Paths in diagnostics are relative to the folder the command runs in.
    here = Path.cwd()
    try:
        os.chdir(case.source.parent)
        result = runner.invoke(app, ["validate", case.source.name])
    finally:
        os.chdir(here)
    return result.exit_code, {"diagnostics.txt": result.stdout.encode("utf-8")}


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c.name)
def test_golden(case: Case, tmp_path: Path) -> None:
    code, files = run(case, tmp_path / "out")
    expected = {
        p.relative_to(case.expected).as_posix(): p.read_bytes()
        for p in sorted(case.expected.rglob("*"))
        if p.is_file()
    }
    assert expected, f"{case.name} has no expected output: run tests/test_golden.py --regenerate"
    assert sorted(files) == sorted(expected)
    for name, data in files.items():
        assert data.decode("utf-8") == expected[name].decode("utf-8"), f"{case.name}: {name}"
    if "diagnostics.txt" in expected:
        assert code == 1
        assert not (tmp_path / "out").exists(), "a failed build must write nothing"


def regenerate() -> None:
    for case in load_cases():
        with tempfile.TemporaryDirectory() as tmp:
            _, files = run(case, Path(tmp) / "out")
        shutil.rmtree(case.expected, ignore_errors=True)
        for name, data in files.items():
            target = case.expected / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        print(f"{case.name}: {len(files)} files")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: python tests/test_golden.py --regenerate")
    regenerate()
