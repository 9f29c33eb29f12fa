"""Building: layout, determinism, atomic replacement, templates, attachments, sources untouched."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from referat.discover import BUILD_MARKER
from referat.render import default_templates

from .conftest import EXAMPLES, invoke, published, tree_digest, write_meeting


def test_layout_for_a_tree_of_meetings(tmp_path: Path) -> None:
    result = invoke("build", EXAMPLES, "-o", tmp_path / "out", "-f", "all")
    assert result.exit_code == 0, result.output
    files = published(tmp_path / "out")
    for meeting_id in (
        "direktionen/2021-03-01",
        "socialudvalget/2021-03-15",
        "en/finance-committee/2025-05-12",
    ):
        for name in ("index.html", "referat.md", "referat.json", "referat.pdf"):
            assert f"{meeting_id}/{name}" in files
    assert result.stdout.startswith("Built 3 meetings (14 items), 3 re-rendered, into ")
    assert result.stdout.rstrip().endswith("; 3 PDFs laid out")


def test_a_meeting_folder_is_named_by_its_own_name(meeting: Path, tmp_path: Path) -> None:
    assert invoke("build", meeting, "-o", tmp_path / "out").exit_code == 0
    assert published(tmp_path / "out") == {"2021-03-01/index.html"}
    assert (tmp_path / "out" / BUILD_MARKER).is_file()


def test_default_format_is_html_and_default_output_is_build(
    meeting: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke("build", meeting).exit_code == 0
    assert (tmp_path / "_build" / "2021-03-01" / "index.html").is_file()
    assert not (tmp_path / "_build" / "2021-03-01" / "referat.md").exists()


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert invoke("build", EXAMPLES, "-o", tmp_path / name, "-f", "all").exit_code == 0
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


def test_sources_are_never_changed(tmp_path: Path) -> None:
    before = tree_digest(EXAMPLES)
    invoke("validate", EXAMPLES)
    invoke("build", EXAMPLES, "-o", tmp_path / "out", "-f", "all", "--edition", "internal")
    assert tree_digest(EXAMPLES) == before


def test_errors_leave_the_previous_output_whole(meeting: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("build", meeting, "-o", out, "-f", "all").exit_code == 0
    before = tree_digest(out)
    write_meeting(meeting, {"02-anden.md": "no front matter\n"})
    result = invoke("build", meeting, "-o", out, "-f", "all")
    assert result.exit_code == 1
    assert "RF103" in result.stderr
    assert tree_digest(out) == before


def test_template_error_leaves_the_previous_output_whole(meeting: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("build", meeting, "-o", out).exit_code == 0
    before = tree_digest(out)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "item.html").write_text("<h2>{{ item.heading }</h2>\n", encoding="utf-8")
    result = invoke("build", meeting, "-o", out, "--template-dir", templates)
    assert result.exit_code == 1
    assert "RF005" in result.stderr and "item.html:1:" in result.stderr
    assert tree_digest(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_rebuild_replaces_stale_files(meeting: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    invoke("build", meeting, "-o", out, "-f", "all")
    invoke("build", meeting, "-o", out, "-f", "md")
    assert published(out) == {"2021-03-01/referat.md"}


def test_refuses_to_replace_a_folder_it_did_not_write(meeting: Path, tmp_path: Path) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work", encoding="utf-8")
    result = invoke("build", meeting, "-o", out)
    assert result.exit_code == 1
    assert "not empty and was not written by referat" in result.stderr
    assert tree_digest(out) == {"thesis.tex": tree_digest(out)["thesis.tex"]}


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_output_parent_is_a_clear_error(meeting: Path, tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        result = invoke("build", meeting, "-o", parent / "out")
    finally:
        parent.chmod(0o755)
    assert result.exit_code == 1
    assert "cannot write" in result.stderr
    assert "Traceback" not in result.output


def test_template_override_and_config_templates(meeting: Path, tmp_path: Path) -> None:
    templates = tmp_path / "mine"
    templates.mkdir()
    (templates / "document.md").write_text("Custom {{ doc.title }}\n", encoding="utf-8")
    result = invoke("build", meeting, "-o", tmp_path / "a", "-f", "md", "--template-dir", templates)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "a" / "2021-03-01" / "referat.md").read_text(encoding="utf-8")
    assert text == "Custom REFERAT Direktionen d. 01-03-2021\n"
    # The same through referat.yaml, relative to the file.
    (meeting.parent / "referat.yaml").write_text("templates: ../mine\n", encoding="utf-8")
    assert invoke("build", meeting, "-o", tmp_path / "b", "-f", "md").exit_code == 0
    assert (tmp_path / "b" / "2021-03-01" / "referat.md").read_text(encoding="utf-8") == text


def test_template_syntax_in_content_is_data(meeting: Path, tmp_path: Path) -> None:
    item = (meeting / "01-foerste.md").read_text(encoding="utf-8")
    write_meeting(
        meeting,
        {"01-foerste.md": item.replace("Baggrund for sag 1.", "Resultat: {{ 7*7 }} {% if x %}")},
    )
    assert invoke("build", meeting, "-o", tmp_path / "out", "-f", "all").exit_code == 0
    for name in ("index.html", "referat.md"):
        text = (tmp_path / "out" / "2021-03-01" / name).read_text(encoding="utf-8")
        assert "Resultat: {{ 7*7 }} {% if x %}" in text
        assert "49" not in text


def test_attachments_are_copied_with_their_folders(meeting: Path, tmp_path: Path) -> None:
    item = (meeting / "01-foerste.md").read_text(encoding="utf-8")
    front = (
        "attachments:\n  - {title: Notat, file: bilag/notat.pdf}\n"
        '  - {title: Kort, file: "kort over området.pdf"}\n---\n'
    )
    write_meeting(
        meeting,
        {
            "01-foerste.md": item.replace("---\n\n", front + "\n", 1),
            "bilag/notat.pdf": b"%PDF notat",
            "kort over området.pdf": b"%PDF kort",
        },
    )
    result = invoke("build", meeting, "-o", tmp_path / "out", "-f", "all")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / "2021-03-01"
    assert (out / "bilag" / "notat.pdf").read_bytes() == b"%PDF notat"
    assert (out / "bilag" / "kort over området.pdf").read_bytes() == b"%PDF kort"
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="bilag/notat.pdf">Notat</a>' in page
    assert '<a href="bilag/kort%20over%20omr%C3%A5det.pdf">Kort</a>' in page
    data = json.loads((out / "referat.json").read_text(encoding="utf-8"))
    assert data["items"][0]["attachments"] == [
        {"title": "Notat", "file": "bilag/notat.pdf"},
        {"title": "Kort", "file": "bilag/kort over området.pdf"},
    ]


def test_symlink_out_of_the_meeting_is_refused(meeting: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password", encoding="utf-8")
    (meeting / "bilag").mkdir()
    (meeting / "bilag" / "link.pdf").symlink_to(secret)
    item = (meeting / "01-foerste.md").read_text(encoding="utf-8")
    front = "attachments: [{title: L, file: bilag/link.pdf}]\n---\n\n"
    write_meeting(meeting, {"01-foerste.md": item.replace("---\n\n", front, 1)})
    result = invoke("build", meeting, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "RF402" in result.stderr
    assert not (tmp_path / "out").exists()


def test_default_templates_are_found() -> None:
    folder = default_templates()
    for name in ("document.html", "item.html", "style.css", "document.md", "item.md"):
        assert (folder / name).is_file()


def test_the_folder_holding_out_keeps_its_mode(meeting: Path, tmp_path: Path) -> None:
    # A first build (nothing to swap with) once made the folder holding OUT 0700.
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    for _ in range(2):
        assert invoke("build", meeting, "-o", shared / "out").exit_code == 0
        assert shared.stat().st_mode & 0o7777 == 0o1777


# What prepare_rendering must leave a forked worker: nothing to compile, import or load.
_FIRST_MEETING = """
import json, sys
from pathlib import Path
import babel.localedata
from referat import pipeline
from referat.discover import real_meetings_in
from referat.diagnostics import Collector

root, stage = Path(sys.argv[1]), Path(sys.argv[2])
pipeline.prepare_rendering(None, ("html", "archive"), "da")
env = pipeline.environment_for(())
before = (set(sys.modules), {k[1] for k in env.cache}, set(babel.localedata._cache))
options = pipeline.RenderOptions(stage, stage, ("html",), "public", None, True, "cache")
folder, meeting_id, real, files = real_meetings_in([root], Collector())[0]
result = pipeline.process(pipeline.Task(folder, meeting_id, None, options, True, files, real))
after = (set(sys.modules), {k[1] for k in env.cache}, set(babel.localedata._cache))
print(json.dumps([result.outputs, *[sorted(a - b) for a, b in zip(after, before)]]))
"""


def test_a_worker_finds_everything_prepared(tmp_path: Path) -> None:
    """Workers are forked after prepare_rendering: the first meeting each renders must not
    compile a template, import a module or load a locale's data (each worker would pay)."""
    import subprocess
    import sys

    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "direktionen", repo)
    # A section the fast path leaves to mistune (a code fence), so that it is needed too.
    item = repo / "2021-03-01" / "01-oevrige-sager.md"
    item.write_text(item.read_text("utf-8") + "\n```\nkode\n```\n", encoding="utf-8")
    stage = tmp_path / "stage"
    stage.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", _FIRST_MEETING, str(repo), str(stage)],
        capture_output=True,
        text=True,
        check=True,
    )
    outputs, modules, templates, locales = json.loads(result.stdout)
    assert outputs == ["2021-03-01/index.html"]  # it rendered
    assert "<pre><code>kode" in (stage / outputs[0]).read_text("utf-8")
    assert (modules, templates, locales) == ([], [], [])


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiles from now on."""
    import jinja2

    names: list[str] = []
    compile_: Any = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: str, name: str | None = None, *a: Any) -> Any:
        names.append(str(name))
        return compile_(self, source, name, *a)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return names


def test_compiled_templates_are_kept_in_the_users_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from referat.render.templates import environment

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    overrides = tmp_path / "templates"
    overrides.mkdir()
    (overrides / "item.html").write_text("<article>{{ item.heading }}</article>\n")
    compiled = _compiles(monkeypatch)
    environment([overrides]).get_template("document.html")
    first = list(compiled)
    assert "document.html" in first and "item.html" not in first  # included when rendered
    folder = tmp_path / "cache" / "referat" / "templates"
    assert len(list(folder.glob("*.cache"))) == len(first)
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    compiled.clear()
    environment([overrides]).get_template("document.html")
    assert compiled == []  # from the cache
    environment([overrides]).get_template("item.html")
    (overrides / "item.html").write_text("<article>Ny {{ item.heading }}</article>\n")
    compiled.clear()
    assert "Ny" in environment([overrides]).get_template("item.html").render(item={"heading": ""})
    assert compiled == ["item.html"]  # changed: compiled again


def test_a_damaged_cache_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert invoke("build", EXAMPLES, "-o", tmp_path / "first").exit_code == 0
    cached = list((tmp_path / "cache" / "referat" / "templates").glob("*.cache"))
    assert cached
    for number, path in enumerate(cached):
        path.write_bytes([b"", b"j2 not a cache", os.urandom(200)][number % 3])
    again = invoke("build", EXAMPLES, "-o", tmp_path / "again")
    assert again.exit_code == 0, again.output
    assert tree_digest(tmp_path / "again") == tree_digest(tmp_path / "first")


def test_a_relative_cache_home_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative XDG_CACHE_HOME would put the cache in the current folder: the sources."""
    from referat.render.templates import environment

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", "cache")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    environment().get_template("layout.html")
    assert not (tmp_path / "cache").exists()
    assert list((tmp_path / "home" / ".cache" / "referat" / "templates").glob("*.cache"))


@pytest.mark.parametrize("how", ["others may write", "a link"])
def test_a_cache_folder_not_the_users_own_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    from referat.render.templates import environment

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / "referat" / "templates"
    if how == "a link":
        (tmp_path / "elsewhere").mkdir()
        folder.parent.mkdir(parents=True)
        folder.symlink_to(tmp_path / "elsewhere")
    else:
        folder.mkdir(parents=True)
        folder.chmod(0o777)
    assert environment().bytecode_cache is None
    assert invoke("build", EXAMPLES, "-o", tmp_path / "out").exit_code == 0
    assert not list(folder.glob("*.cache"))
