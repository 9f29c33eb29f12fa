"""Every HTML page referat writes, checked in a real browser and by the Nu HTML checker.

- axe-core, WCAG 2.1 A and AA, in headless Chromium (``tests/browser/axe.mjs``): no
  violations, and no page requests anything but its own file.
- vnu (the Nu HTML checker): no errors.

The pages are the examples (three meetings, the archive, the case pages) in both editions,
the hostile golden source and another organisation's sections. Each check also gets a
deliberately broken page, which it must fault, so a check that checks nothing fails.

The tools come from ``npm ci --prefix tests/browser`` (axe-core, playwright-core, vnu-jar),
Debian's ``chromium`` and a Java runtime. Without them the tests are skipped, unless
``REFERAT_REQUIRE_BROWSER=1`` (as in CI), which makes a missing tool a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import EXAMPLES, ROOT, invoke

BROWSER = ROOT / "tests" / "browser"
NODE_MODULES = BROWSER / "node_modules"
AXE_SCRIPT = BROWSER / "axe.mjs"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CASES = ROOT / "tests" / "cases"
REQUIRED = os.environ.get("REFERAT_REQUIRE_BROWSER") == "1"
TIMEOUT = 600  # seconds, for one run of a checker over every page

# What each build writes; the pages checked are every *.html below OUT.
BUILDS: dict[str, tuple[Path, tuple[str, ...]]] = {
    "public": (EXAMPLES, ()),
    "internal": (EXAMPLES, ("--edition", "internal")),
    "hostile": (CASES / "hostile" / "src" / "2024-01-15", ()),
    "other-organisation": (CASES / "other-organisation" / "src", ()),
}

# A page with faults both checkers know: no lang, too little contrast, an image without
# alternative text, a request for a stylesheet (on the loopback discard port; it is blocked
# before it leaves the browser), no title, a duplicate id.
BROKEN = """\
<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<link rel="stylesheet" href="http://127.0.0.1:9/canary.css">
</head>
<body>
<main>
<p id="twice" style="color: #bbb; background: #fff">Too little contrast.</p>
<p id="twice"><img src="canary.png"></p>
</main>
</body>
</html>
"""


def missing(*what: tuple[bool, str]) -> None:
    """Skip (or, when the tools are required, fail) for the first tool that is not there."""
    for present, name in what:
        if not present:
            message = f"{name} not found (see docs/trust-browser.md)"
            if REQUIRED:
                pytest.fail(f"REFERAT_REQUIRE_BROWSER=1 but {message}")
            pytest.skip(message)


def chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every HTML page of every build, in a stable order."""
    out = tmp_path_factory.mktemp("browser")
    found: list[Path] = []
    for name, (source, args) in BUILDS.items():
        result = invoke("build", source, "-o", out / name, "-f", "html", *args)
        assert result.exit_code == 0, result.output
        found += sorted((out / name).rglob("*.html"))
    written = {p.relative_to(out).as_posix() for p in found}
    for edition in ("public", "internal"):
        for page in (
            "index.html",
            "cases/index.html",
            "cases/20-6598.html",
            "direktionen/2021-03-01/index.html",
            "socialudvalget/2021-03-15/index.html",
            "en/finance-committee/2025-05-12/index.html",
        ):
            assert f"{edition}/{page}" in written
    assert "hostile/2024-01-15/index.html" in written
    assert "other-organisation/byraadet/2025-03-27/index.html" in written
    return found


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("canary") / "broken.html"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def axe_report(files: list[Path]) -> dict[str, Any]:
    """Run axe.mjs over ``files`` in one browser session; its JSON report."""
    run = subprocess.run(
        ["node", str(AXE_SCRIPT), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert run.returncode in (0, 1), f"axe.mjs could not run:\n{run.stderr}"
    report: dict[str, Any] = json.loads(run.stdout)
    assert [Path(f["file"]) for f in report["files"]] == files, "every page checked"
    return report


def describe_axe(result: dict[str, Any]) -> str:
    lines = []
    for violation in result["violations"]:
        lines.append(
            f"{result['file']}: {violation['id']} ({violation['impact']}): {violation['help']}"
        )
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = node["failureSummary"] or ""
            lines += [f"      {line.strip()}" for line in summary.splitlines() if line.strip()]
    lines += [f"{result['file']}: requested {url}" for url in result["requests"]]
    return "\n".join(lines)


def test_axe_wcag21_aa(pages: list[Path], broken: Path) -> None:
    missing(
        (shutil.which("node") is not None, "node"),
        (chromium() is not None, "chromium (apt-get install chromium)"),
        (
            (NODE_MODULES / "axe-core").is_dir() and (NODE_MODULES / "playwright-core").is_dir(),
            "tests/browser/node_modules (npm ci --prefix tests/browser)",
        ),
    )
    report = axe_report([broken, *pages])
    canary, *results = report["files"]
    assert {"html-has-lang", "color-contrast", "image-alt"} <= {
        v["id"] for v in canary["violations"]
    }, f"axe must fault the broken page:\n{describe_axe(canary)}"
    assert canary["requests"] == ["http://127.0.0.1:9/canary.css"]
    problems = "\n".join(describe_axe(r) for r in results if r["violations"] or r["requests"])
    assert not problems, f"axe (WCAG 2.1 A/AA) faults these pages:\n{problems}"


def vnu_errors(files: list[Path]) -> dict[Path, list[str]]:
    """Run the Nu HTML checker over ``files``; its errors by file."""
    run = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--errors-only", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    try:
        report: dict[str, Any] = json.loads(run.stderr)  # vnu writes its report to stderr
    except json.JSONDecodeError:
        pytest.fail(f"vnu could not run (exit {run.returncode}):\n{run.stderr}{run.stdout}")
    errors: dict[Path, list[str]] = {}
    for message in report["messages"]:
        url = str(message.get("url", ""))
        path = Path(url.removeprefix("file:")) if url else Path("?")
        column = message.get("firstColumn", message.get("lastColumn", "?"))
        where = f"{message.get('lastLine', '?')}:{column}"
        text = f"{where}: {message['type']}: {message.get('message', '')}"
        if message.get("extract"):
            text += f"\n      {message['extract'].strip()[:160]}"
        errors.setdefault(path, []).append(text)
    assert (run.returncode != 0) == bool(errors), f"vnu exit {run.returncode}:\n{run.stderr}"
    return errors


def test_vnu_valid_html(pages: list[Path], broken: Path) -> None:
    missing(
        (shutil.which("java") is not None, "java (apt-get install default-jre-headless)"),
        (VNU_JAR.is_file(), "tests/browser/node_modules/vnu-jar (npm ci --prefix tests/browser)"),
    )
    errors = vnu_errors([broken, *pages])
    canary = errors.pop(broken.resolve(), None) or errors.pop(broken, None)
    assert canary and any("Duplicate ID" in e for e in canary), "vnu must fault the broken page"
    problems = "\n".join(f"{path}:{e}" for path, found in sorted(errors.items()) for e in found)
    assert not problems, f"the Nu HTML checker finds errors:\n{problems}"
