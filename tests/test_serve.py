"""``referat serve``: the page answers on localhost, follows every save, and serves nothing else."""

from __future__ import annotations

import http.client
import inspect
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import watchfiles

from referat.commands.serve import DEFAULT_HOST
from referat.discover import BUILD_MARKER
from referat.render import html
from referat.render.document import make_document
from referat.render.templates import environment
from referat.serve import (
    Preview,
    host_allowed,
    inject_script,
    route,
)
from referat.validate import check
from referat.watch import SourceFilter

from .conftest import ITEM, invoke, tree_digest, write_meeting

TITLE = "REFERAT Direktionen d. 01-03-2021"
BROKEN = ITEM.format(title="Første sag", number=1).replace("## Beslutning", "## Beslutnig")
WITH_ATTACHMENTS = """\
---
title: Første sag
case: "20/1"
attachments:
  - title: Notat
    file: bilag/notat.pdf
  - title: Fortroligt notat
    file: bilag/fortroligt.pdf
    public: false
---

## Baggrund

Baggrund.

## Beslutning

Godkendt.
"""


class Answer:
    """One HTTP response, read whole."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = response.headers
        self.body = response.read()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def get(preview: Preview, path: str, headers: dict[str, str] | None = None) -> Answer:
    """GET ``path`` as written (no normalisation of ``..``), following no redirect."""
    connection = http.client.HTTPConnection("127.0.0.1", _port(preview), timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        return Answer(connection.getresponse())
    finally:
        connection.close()


def _port(preview: Preview) -> int:
    return int(preview.url.rstrip("/").rsplit(":", 1)[1])


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``check()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"still not true after {timeout} s")
        time.sleep(0.05)


@pytest.fixture
def serve(meeting: Path) -> Iterator[Callable[..., Preview]]:
    """Start a preview on a free port of 127.0.0.1; stopped after the test."""
    started: list[Preview] = []

    def start(path: Path = meeting, **options: object) -> Preview:
        preview = Preview(path, port=0, **options)  # type: ignore[arg-type]
        preview.start()
        started.append(preview)
        return preview

    yield start
    for preview in started:
        preview.stop()


def page(preview: Preview, meeting_id: str = "2021-03-01") -> str:
    return get(preview, f"/{meeting_id}/").text


# -------------------------------------------------------------------------- answering


def test_answers_on_localhost_with_the_meeting_page(serve: Callable[..., Preview]) -> None:
    preview = serve()
    assert preview.url.startswith("http://127.0.0.1:")
    answer = get(preview, "/2021-03-01/")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Cache-Control"] == "no-store"
    assert f"<h1>{TITLE}</h1>" in answer.text
    assert "Direktionen godkendte sag 1." in answer.text
    assert get(preview, "/2021-03-01/index.html").text == answer.text


def test_the_page_is_the_built_page_with_one_script_added(
    serve: Callable[..., Preview], meeting: Path
) -> None:
    preview = serve()
    built = html.write(make_document(check([meeting]).meetings[0], "public"), environment())
    assert "<script" not in built
    served = page(preview)
    assert served == inject_script(built, preview.generation)
    assert served.count("<script") == 1
    assert served.index("<script") < served.index("</body>")


def test_one_meeting_redirects_from_the_root(serve: Callable[..., Preview]) -> None:
    answer = get(serve(), "/")
    assert answer.status == 302
    assert answer.headers["Location"] == "/2021-03-01/"
    assert get(serve(), "/2021-03-01").headers["Location"] == "/2021-03-01/"


def test_the_root_lists_the_meetings_of_a_tree(
    serve: Callable[..., Preview], tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    write_meeting(tree / "direktionen" / "2021-03-01")
    write_meeting(
        tree / "økonomiudvalget" / "2021-03-08",
        {"meeting.yaml": "body: Økonomiudvalget\ndate: 2021-03-08\n"},
    )
    preview = serve(tree)
    answer = get(preview, "/")
    assert answer.status == 200
    assert '<html lang="en">' in answer.text and answer.text.count("<h1>") == 1
    assert '<a href="/direktionen/2021-03-01/">' in answer.text
    assert '<a href="/%C3%B8konomiudvalget/2021-03-08/">' in answer.text
    assert "REFERAT Økonomiudvalget d. 08-03-2021" in answer.text
    assert get(preview, "/index.html").text == answer.text
    meeting_page = get(preview, "/direktionen/2021-03-01/").text
    assert TITLE in meeting_page
    assert 'href="../../index.html"' in meeting_page  # as in a build, to the list
    assert get(preview, "/%C3%B8konomiudvalget/2021-03-08/").status == 200


def test_the_reload_script_and_an_unknown_page(serve: Callable[..., Preview]) -> None:
    preview = serve()
    script = get(preview, "/_referat/reload.js")
    assert script.status == 200
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "EventSource" in script.text
    missing = get(preview, "/2021-03-02/")
    assert missing.status == 404
    assert "<h1>Not found</h1>" in missing.text and "/_referat/reload.js" in missing.text


def test_head_answers_headers_only(serve: Callable[..., Preview]) -> None:
    preview = serve()
    connection = http.client.HTTPConnection("127.0.0.1", _port(preview), timeout=10)
    connection.request("HEAD", "/2021-03-01/")
    response = connection.getresponse()
    assert response.status == 200
    assert int(response.headers["Content-Length"]) == len(page(preview).encode())
    assert response.read() == b""
    connection.close()


# -------------------------------------------------------------------------- following saves


def test_a_save_shows_in_the_page(serve: Callable[..., Preview], meeting: Path) -> None:
    preview = serve()
    assert "Ny tekst" not in page(preview)
    item = meeting / "01-foerste.md"
    item.write_text(item.read_text(encoding="utf-8") + "\nNy tekst.\n", encoding="utf-8")
    eventually(lambda: "Ny tekst." in page(preview))


def test_broken_sources_show_the_diagnostics_instead_of_the_page(
    serve: Callable[..., Preview], meeting: Path
) -> None:
    preview = serve()
    good = (meeting / "01-foerste.md").read_text(encoding="utf-8")
    write_meeting(meeting, {"01-foerste.md": BROKEN})
    eventually(lambda: "RF201" in page(preview))
    answer = get(preview, "/2021-03-01/")
    assert answer.status == 200
    assert TITLE not in answer.text and "Baggrund for sag 2" not in answer.text
    assert '<html lang="en">' in answer.text and answer.text.count("<h1>") == 1
    assert "01-foerste.md:10:1" in answer.text
    assert "&quot;## Beslutnig&quot;" in answer.text  # escaped
    assert "/_referat/reload.js" in answer.text
    assert "RF201" in get(preview, "/").text
    write_meeting(meeting, {"01-foerste.md": good})
    eventually(lambda: TITLE in page(preview))
    assert "RF201" not in page(preview)


def test_a_broken_template_shows_rf005(serve: Callable[..., Preview], tmp_path: Path) -> None:
    templates = tmp_path / "skabeloner"
    templates.mkdir()
    preview = serve(template_dir=templates)
    (templates / "document.html").write_text("{% if %}\n", encoding="utf-8")
    eventually(lambda: "RF005" in page(preview))
    assert "A template failed" in page(preview)
    (templates / "document.html").write_text("<p>{{ doc.title }}</p>\n", encoding="utf-8")
    eventually(lambda: f"<p>{TITLE}</p>" in page(preview))


def test_the_event_stream_reports_a_new_generation(
    serve: Callable[..., Preview], meeting: Path
) -> None:
    preview = serve()
    first = preview.generation
    connection = http.client.HTTPConnection("127.0.0.1", _port(preview), timeout=10)
    connection.request("GET", "/_referat/events")
    response = connection.getresponse()
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"

    def next_generation() -> str:
        while True:
            line = response.fp.readline().decode()
            if line.startswith("data: "):
                return line.removeprefix("data: ").strip()

    assert next_generation() == first
    write_meeting(meeting, {"02-anden.md": ITEM.format(title="Anden sag, ændret", number=2)})
    second = next_generation()
    assert second != first
    assert second == preview.generation
    assert f'data-generation="{second}"' in page(preview)
    connection.close()


def test_a_save_that_changes_nothing_keeps_the_generation(
    serve: Callable[..., Preview], meeting: Path
) -> None:
    preview = serve()
    first = preview.generation
    assert preview.rebuild() is False
    item = meeting / "01-foerste.md"
    item.write_text(item.read_text(encoding="utf-8").replace("\n\n", "\n\n\n", 1), "utf-8")
    assert preview.rebuild() is False  # a blank line more renders the same page
    assert preview.generation == first


def test_another_server_makes_the_page_reload(meeting: Path) -> None:
    with Preview(meeting, port=0) as one, Preview(meeting, port=0) as two:
        assert one.generation != two.generation


# -------------------------------------------------------------------------- what is served


def test_only_the_attachments_the_edition_lists_are_served(
    serve: Callable[..., Preview], meeting: Path
) -> None:
    write_meeting(
        meeting,
        {
            "01-foerste.md": WITH_ATTACHMENTS,
            "bilag/notat.pdf": b"%PDF-1.7 notat",
            "bilag/fortroligt.pdf": b"%PDF-1.7 fortroligt",
            "bilag/unlisted.pdf": b"%PDF-1.7 unlisted",
        },
    )
    public = serve()
    answer = get(public, "/2021-03-01/bilag/notat.pdf")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.body == b"%PDF-1.7 notat"
    for path in [
        "/2021-03-01/bilag/fortroligt.pdf",  # public: false
        "/2021-03-01/bilag/unlisted.pdf",
        "/2021-03-01/01-foerste.md",
        "/2021-03-01/meeting.yaml",
        "/2021-03-01/../meeting.yaml",
        "/2021-03-01/bilag/../meeting.yaml",
        "/2021-03-01/bilag/../../2021-03-01/meeting.yaml",
        "/2021-03-01/bilag%2F..%2Fmeeting.yaml",
        "/2021-03-01/%2e%2e/2021-03-01/01-foerste.md",
        "/../2021-03-01/meeting.yaml",
        "/2021-03-01/bilag/",
        "/2021-03-01/bilag/notat.pdf%00",
        "/etc/passwd",
    ]:
        assert get(public, path).status == 404, path
    internal = serve(edition="internal")
    assert get(internal, "/2021-03-01/bilag/fortroligt.pdf").body == b"%PDF-1.7 fortroligt"
    assert get(internal, "/2021-03-01/bilag/unlisted.pdf").status == 404


def test_a_listed_attachment_linked_out_of_the_meeting_is_not_served(
    serve: Callable[..., Preview], meeting: Path, tmp_path: Path
) -> None:
    write_meeting(meeting, {"01-foerste.md": WITH_ATTACHMENTS, "bilag/notat.pdf": b"%PDF"})
    (meeting / "bilag" / "fortroligt.pdf").write_bytes(b"%PDF")
    preview = serve()
    assert get(preview, "/2021-03-01/bilag/notat.pdf").status == 200
    shown = preview.site
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"secret")
    (meeting / "bilag" / "notat.pdf").unlink()
    (meeting / "bilag" / "notat.pdf").symlink_to(secret)
    # Checked again when served: between a change and the rebuild it causes, too.
    answer = route(shown, preview.generation, "/2021-03-01/bilag/notat.pdf")
    assert answer.status == 404 and answer.file is None
    eventually(lambda: "RF402" in page(preview))
    assert get(preview, "/2021-03-01/bilag/notat.pdf").status == 404


def test_other_host_names_are_refused(serve: Callable[..., Preview]) -> None:
    preview = serve()
    assert get(preview, "/2021-03-01/", {"Host": "evil.example"}).status == 403
    assert get(preview, "/_referat/events", {"Host": "evil.example:80"}).status == 403
    assert get(preview, "/2021-03-01/", {"Host": f"localhost:{_port(preview)}"}).status == 200
    assert host_allowed("127.0.0.1:8000") and host_allowed("[::1]:8000")
    assert host_allowed("localhost") and host_allowed("preview.localhost:8000")
    assert not host_allowed("127.0.0.1.evil.example") and not host_allowed("10.0.0.1")


def test_serving_writes_nothing(
    serve: Callable[..., Preview], meeting: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = tree_digest(tmp_path)
    preview = serve()
    page(preview)
    get(preview, "/")
    preview.stop()
    assert tree_digest(tmp_path) == before
    assert not (tmp_path / "_build").exists()


# -------------------------------------------------------------------------- life cycle


def test_the_host_defaults_to_loopback() -> None:
    assert DEFAULT_HOST == "127.0.0.1"
    assert inspect.signature(Preview).parameters["host"].default == "127.0.0.1"
    assert "[default: 127.0.0.1]" in invoke("serve", "--help").stdout


def test_stop_ends_open_event_streams(serve: Callable[..., Preview]) -> None:
    preview = serve()
    port = _port(preview)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/_referat/events")
    response = connection.getresponse()
    response.fp.readline()
    started = time.monotonic()
    preview.stop()
    assert time.monotonic() - started < 3
    assert response.read().endswith(b"\n\n")  # the stream ends, instead of waiting
    connection.close()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_stop_returns_when_the_server_never_ran(
    meeting: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the serving thread to end before it served (a programming error), stop() still
    returns instead of waiting forever for a loop that never ran."""
    from referat import serve as serve_module

    monkeypatch.setattr(serve_module._Server, "serve_forever", lambda self, poll_interval: None)
    preview = Preview(meeting, port=0)
    preview.start()
    stopping = threading.Thread(target=preview.stop, daemon=True)
    stopping.start()
    stopping.join(timeout=10)
    assert not stopping.is_alive()


def test_a_port_in_use_is_an_error(meeting: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            Preview(meeting, port=port).start()
        result = invoke("serve", meeting, "--port", str(port))
    assert result.exit_code == 1
    assert "the port is in use" in result.stderr
    assert "Traceback" not in result.output


def test_changes_that_cannot_matter_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "_build").mkdir()
    (tmp_path / "_build" / BUILD_MARKER).write_text("referat\n")
    relevant = SourceFilter([tmp_path])
    modified = watchfiles.Change.modified
    assert relevant(modified, str(tmp_path / "2021-03-01" / "01-foerste.md"))
    assert relevant(modified, str(tmp_path / "referat.yaml"))
    for ignored in [
        ".git/index",
        "2021-03-01/.01-foerste.md.swp",
        "2021-03-01/01-foerste.md~",
        "2021-03-01/4913",
        ".#01-foerste.md",
        "_build/2021-03-01/index.html",
        "._build.x1y2.tmp/index.html",
    ]:
        assert not relevant(modified, str(tmp_path / ignored)), ignored


# -------------------------------------------------------------------------- the command


def test_help_names_every_option() -> None:
    result = invoke("serve", "--help")
    assert result.exit_code == 0
    for option in ["--port", "--host", "--edition", "--template-dir", "--config"]:
        assert option in result.stdout


@pytest.mark.parametrize("port", ["abc", "-1", "70000"])
def test_a_bad_port_is_a_usage_error(meeting: Path, port: str) -> None:
    result = invoke("serve", meeting, "--port", port)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_a_folder_without_meetings_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("serve", tmp_path, "--port", "0")
    assert result.exit_code == 2
    assert "no meeting folder" in result.stderr


def test_the_command_serves_until_ctrl_c(meeting: Path) -> None:
    command = [sys.executable, "-m", "referat", "serve", str(meeting), "--port", "0"]
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert process.stdout is not None
        line = ""
        while not line.startswith("Serving "):
            line = process.stdout.readline().decode()
            assert line, "the server ended before saying where it listens"
        url = line.split()[1]
        assert url.startswith("http://127.0.0.1:") and line.rstrip().endswith("Ctrl+C to stop")
        host, port = url.removeprefix("http://").rstrip("/").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/2021-03-01/")
        assert TITLE in connection.getresponse().read().decode()
        connection.close()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert b"Traceback" not in process.stderr.read() if process.stderr else True
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_an_item_file_previews_its_meeting(serve: Callable[..., Preview], meeting: Path) -> None:
    preview = serve(meeting / "02-anden.md")
    assert TITLE in page(preview)
    item = meeting / "01-foerste.md"
    item.write_text(item.read_text(encoding="utf-8") + "\nEndnu en linje.\n", encoding="utf-8")
    eventually(lambda: "Endnu en linje." in page(preview))


def test_a_saved_referat_yaml_above_the_path_shows(
    serve: Callable[..., Preview], meeting: Path
) -> None:
    config = meeting.parent / "referat.yaml"
    config.write_text("language: da\n", encoding="utf-8")
    preview = serve()
    assert TITLE in page(preview)
    # Saved as editors do: a new file renamed over the old one.
    (meeting.parent / "referat.yaml.new").write_text(
        "case_pattern: '^EMN-\\d+$'\n", encoding="utf-8"
    )
    os.replace(meeting.parent / "referat.yaml.new", config)
    eventually(lambda: "RF111" in page(preview))
    (meeting.parent / "referat.yaml.new").write_text("language: da\n", encoding="utf-8")
    os.replace(meeting.parent / "referat.yaml.new", config)
    eventually(lambda: TITLE in page(preview))


def test_a_template_folder_named_in_referat_yaml_is_watched(
    serve: Callable[..., Preview], meeting: Path
) -> None:
    templates = meeting.parent / "skabeloner"
    templates.mkdir()
    (templates / "document.html").write_text("<p>{{ doc.title }}</p>\n", encoding="utf-8")
    (meeting.parent / "referat.yaml").write_text("templates: skabeloner\n", encoding="utf-8")
    preview = serve()
    assert page(preview).startswith(f"<p>{TITLE}</p>")
    (templates / "document.html").write_text("<p>Ændret {{ doc.body }}</p>\n", "utf-8")
    eventually(lambda: page(preview).startswith("<p>Ændret Direktionen</p>"))
