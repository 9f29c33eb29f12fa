"""The preview server: renders the sources in memory, rebuilds on change and reloads the page.

Nothing is written anywhere: every rebuild renders each meeting's page with the HTML writer
the build uses into a :class:`Site` held in memory, and the server answers from the newest
one. Pages get one ``<script>`` the build never writes; it listens on an event stream
(Server-Sent Events) and reloads the page when the generation it was served with is no
longer the newest.
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import mimetypes
import os
import secrets
import shutil
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, unquote, urlsplit

import jinja2

from .commands.serve import DEFAULT_HOST, DEFAULT_PORT
from .diagnostics import Diagnostic, has_errors
from .discover import NoMeetings
from .model import Edition
from .output import Stamp, stamp
from .render import TemplateFailed
from .render import html as html_writer
from .render.document import make_document
from .render.templates import environment
from .report import display_path, summary
from .validate import check
from .watch import Fallback, changes, outermost
from .yamllib import load as load_yaml

#: The event stream the reload script listens on, and the script itself.
EVENTS_PATH = "/_referat/events"
SCRIPT_PATH = "/_referat/reload.js"

#: A comment on an idle event stream this often finds closed connections.
KEEPALIVE_SECONDS = 15.0

_HTML = "text/html; charset=utf-8"
#: Attachments of these types could run scripts in the preview's origin; they get a sandbox.
_ACTIVE_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml"})
RELOAD_SCRIPT = """\
(function () {
  "use strict";
  var shown = document.currentScript.getAttribute("data-generation");
  if (!window.EventSource) return;
  var events = new EventSource("/_referat/events");
  events.onmessage = function (event) {
    if (event.data !== shown) {
      events.close();
      window.location.reload();
    }
  };
})();
"""


@dataclass(frozen=True)
class Site:
    """Everything the server shows, rendered from the sources at one moment."""

    pages: Mapping[str, str] = field(default_factory=dict)
    """URL path (``/<meeting-id>/`` and ``/<meeting-id>/index.html``) -> page, without script."""
    files: Mapping[str, tuple[Path, str]] = field(default_factory=dict)
    """URL path of each attachment the edition lists -> (meeting folder, file in it)."""
    meetings: tuple[tuple[str, str], ...] = ()
    """(id, title) of every meeting, by id."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Every diagnostic of the sources (warnings only, unless ``problem`` is set)."""
    problem: str | None = None
    """Why there is nothing to show but the diagnostics; None when the pages are current."""
    detail: str | None = None
    """More about the problem, where no diagnostic says it."""
    configs: tuple[Path, ...] = field(default=(), compare=False)
    """The referat.yaml files the meetings were read with, to watch."""
    template_dirs: tuple[Path, ...] = field(default=(), compare=False)
    """Template folders named in those files, to watch."""


def render_site(
    path: Path,
    edition: Edition,
    template_dir: Path | None = None,
    config_file: Path | None = None,
) -> Site:
    """Check the sources under ``path`` and render every meeting's page, in memory.

    Raises :class:`NoMeetings` when ``path`` holds no meeting folder.
    """
    checked = check([path], config_file)
    diagnostics = tuple(checked.diagnostics)
    configs = tuple(sorted({m.config.path for m in checked.meetings if m.config.path}))
    templates = tuple(sorted({m.config.templates for m in checked.meetings if m.config.templates}))
    watched = Site(diagnostics=diagnostics, configs=configs, template_dirs=templates)
    if has_errors(diagnostics):
        return replace(watched, problem="The sources have errors")
    pages: dict[str, str] = {}
    files: dict[str, tuple[Path, str]] = {}
    meetings: list[tuple[str, str]] = []
    environments: dict[tuple[Path, ...], jinja2.Environment] = {}
    for meeting in checked.meetings:
        # Template folders in the same order as the build's; a fresh environment every
        # rebuild, so that an edited template is read again.
        overrides = tuple(p for p in (template_dir, meeting.config.templates) if p is not None)
        if overrides not in environments:
            environments[overrides] = environment(overrides)
        doc = make_document(meeting, edition)
        # As in a build of several meetings, each page links the list at the top (``/``).
        archive = "../" * (meeting.id.count("/") + 1) if len(checked.meetings) > 1 else None
        try:
            page = html_writer.write(doc, environments[overrides], archive)
        except TemplateFailed as err:
            return replace(
                watched, diagnostics=(*diagnostics, err.diagnostic), problem="A template failed"
            )
        base = f"/{meeting.id}/"
        pages[base] = pages[base + html_writer.FILE_NAME] = page
        root = meeting.path.resolve()
        for published, source in doc.files.items():
            files[base + published] = (root, source)
        meetings.append((meeting.id, doc.title))
    return replace(watched, pages=pages, files=files, meetings=tuple(meetings))


BuildListener = Callable[["Site", float, bool], None]
"""Called after every rebuild with the site, the seconds it took and whether it changed."""


class Preview:
    """The preview server of one path: ``start()``, then ``url`` answers, then ``stop()``."""

    def __init__(
        self,
        path: Path,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        edition: Edition = "public",
        template_dir: Path | None = None,
        config_file: Path | None = None,
        on_build: BuildListener | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
        self.host = host
        self.port = port
        self.edition: Edition = edition
        self.template_dir = template_dir
        self.config_file = config_file
        self._on_build = on_build
        self._on_error = on_error
        self._instance = secrets.token_hex(4)
        self._generation = 0
        self._site: Site | None = None
        self._changed = threading.Condition()
        self._build_lock = threading.Lock()
        self._stopping = threading.Event()
        self._watched: tuple[Path, ...] | None = None  # what the watch covers, once started
        self._stamps: dict[Path, Stamp | None] = {}
        self._server: _Server | None = None
        self._serving: threading.Thread | None = None
        self._watcher: threading.Thread | None = None
        # Fixed at the start: were the path to vanish, its parent is not to be watched.
        self._folder = (path if path.is_dir() else path.parent).resolve()
        self._fallback = Fallback(self._error)

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        """Listen, start watching, render the sources, and answer in a background thread.

        Raises :class:`OSError` when the address cannot be listened on and
        :class:`NoMeetings` when the path holds no meeting folder; nothing is left running.
        Once it returns, every change saved from then on is seen.
        """
        if self._server is not None:
            raise RuntimeError("the preview is already started")
        self._server = _Server(self.host, self.port, self)
        load_yaml()  # before any thread starts (its first use is not thread-safe)
        # Watching starts before the first rendering, so that no save is missed in between.
        self._watcher = threading.Thread(target=self._watch, name="referat-watch", daemon=True)
        self._watcher.start()
        self._wait_for_watch(timeout=10)
        try:
            self._rebuild(first=True)
            # The first rendering may name template folders outside PATH to watch.
            self._wait_for_watch(timeout=10)
        except BaseException:
            self.stop()
            raise
        self._serving = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="referat-serve",
            daemon=True,
        )
        self._serving.start()

    def stop(self) -> None:
        """Stop answering and watching; open event streams end. Safe to call twice."""
        with self._changed:
            self._stopping.set()
            self._changed.notify_all()
        server, self._server = self._server, None
        if server is not None:
            # shutdown() returns once serve_forever has, and never if it did not run: a
            # serving thread still alive runs it (or is about to), one that ended did.
            if self._serving is not None and self._serving.is_alive():
                server.shutdown()
            server.server_close()
        for thread in (self._serving, self._watcher):
            if thread is not None:
                thread.join(timeout=5)
        self._serving = self._watcher = None

    def __enter__(self) -> Preview:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ state

    @property
    def url(self) -> str:
        """``http://127.0.0.1:8000/``, with the port actually listened on."""
        port = self._server.server_address[1] if self._server else self.port
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}/"

    @property
    def loopback(self) -> bool:
        """Whether the server can only be reached from this machine."""
        return self._server.loopback if self._server else _is_loopback(self.host)

    @property
    def site(self) -> Site:
        """What the server shows now."""
        assert self._site is not None, "start() renders the first site"
        return self._site

    @property
    def generation(self) -> str:
        """Names what the server shows now; changes with every rebuild that changes it.

        Each server has its own prefix, so a page served by an earlier server reloads too.
        """
        return f"{self._instance}-{self._generation}"

    def current(self) -> tuple[Site, str]:
        """What the server shows now and its generation, read together."""
        with self._changed:
            return self.site, self.generation

    def wait_for_change(self, shown: str | None, timeout: float) -> str | None:
        """The generation once it is not ``shown`` (or after ``timeout``); None once stopped."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._stopping.is_set() or self.generation != shown, timeout
            )
            return None if self._stopping.is_set() else self.generation

    def rebuild(self) -> bool:
        """Render the sources again; whether what the server shows changed."""
        return self._rebuild(first=False)

    def _rebuild(self, *, first: bool) -> bool:
        with self._build_lock:
            started = time.perf_counter()
            # Stamped before reading, so that a save while rendering is not taken as seen.
            stamps = {path: stamp(path) for path in self._polled(self._site)}
            try:
                site = render_site(self.path, self.edition, self.template_dir, self.config_file)
            except NoMeetings as err:
                if first:
                    raise
                site = Site(problem="No meeting to show", detail=str(err))
            except Exception as err:  # a bug must not end the preview; the page says what
                site = Site(problem="Rendering failed", detail=f"{type(err).__name__}: {err}")
            seconds = time.perf_counter() - started
            self._stamps = {p: stamps[p] if p in stamps else stamp(p) for p in self._polled(site)}
            with self._changed:
                changed = site != self._site
                if changed:
                    self._site = site
                    self._generation += 1
                    self._changed.notify_all()
            if self._on_build is not None:
                self._on_build(site, seconds, changed)
        return changed

    # ------------------------------------------------------------------ watching

    def _roots(self) -> tuple[Path, ...]:
        """The folders to watch, recursively: PATH and the template folders in use."""
        site = self._site or Site()
        extra = [self.template_dir] if self.template_dir else []
        return outermost([self._folder, *extra, *site.template_dirs])

    def _polled(self, site: Site | None) -> tuple[Path, ...]:
        """The referat.yaml files in use, looked at on every tick instead of watched.

        Editors save a file by renaming a new one over it, which ends a watch on the file
        itself, and watching the folder above PATH could mean watching a whole disk.
        """
        configs = (*([self.config_file] if self.config_file else ()), *(site or Site()).configs)
        return tuple(sorted({c.resolve() for c in configs}))

    def _polled_changed(self) -> bool:
        return any(stamp(path) != seen for path, seen in self._stamps.items())

    def _wait_for_watch(self, timeout: float) -> None:
        """Wait until the watch covers the folders the newest rendering uses."""
        deadline = time.monotonic() + timeout
        while self._watched != self._roots() and time.monotonic() < deadline:
            if not self._watcher or not self._watcher.is_alive():
                return
            time.sleep(0.02)

    def _watch(self) -> None:
        """Rebuild after every change, until stopped. Runs in its own thread."""
        pending = False
        while not self._stopping.is_set():
            roots = self._roots()
            if not roots:  # the folder is gone for now; look again later
                self._watched = roots
                if not self._stopping.wait(1.0):
                    self.rebuild()
                continue
            try:
                for batch in changes(roots, self._stopping, self._fallback):
                    self._watched = roots
                    rebuilt = bool(batch or pending or self._polled_changed())
                    if rebuilt:
                        pending = False
                        self.rebuild()
                    if self._roots() != roots:  # a new templates: folder, or one gone
                        # Saves between this watch and the next would be lost; look once more.
                        pending = rebuilt
                        break
            except Exception as err:  # no inotify, too many watches, a folder gone, ...
                if self._stopping.is_set():
                    return
                self._fallback.failed(err, self._stopping)
                pending = True
                self._watched = roots

    def _error(self, message: str) -> None:
        if self._on_error is not None:
            self._on_error(message)


# ---------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Response:
    """What the server answers to one request."""

    status: HTTPStatus
    """The status code."""
    content_type: str = _HTML
    """The Content-Type header."""
    body: bytes = b""
    """The body, unless it is a file."""
    file: Path | None = None
    """A file to send as the body."""
    location: str | None = None
    """Where a redirect points."""


def route(site: Site, generation: str, path: str) -> Response:
    """The answer to a GET of the (percent-decoded) URL ``path``; never reads a source file.

    Attachments are answered with the file to send, and only those the edition lists.
    """
    if site.problem is not None:
        if _is_page(path):
            return _page(HTTPStatus.OK, problem_page(site), generation)
        return _not_found(path, generation)
    if path in ("/", "/" + html_writer.FILE_NAME):
        if len(site.meetings) == 1:
            return _redirect(f"/{site.meetings[0][0]}/")
        return _page(HTTPStatus.OK, index_page(site), generation)
    page = site.pages.get(path)
    if page is not None:
        return _page(HTTPStatus.OK, page, generation)
    if path + "/" in site.pages:
        return _redirect(path + "/")
    listed = site.files.get(path)
    if listed is not None:
        root, source = listed
        # Validation proved this; checked again, as the file may have changed since.
        target = (root / source).resolve()
        if target.is_relative_to(root) and target.is_file():
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            return Response(HTTPStatus.OK, kind, file=target)
    return _not_found(path, generation)


def _is_page(path: str) -> bool:
    """Whether ``path`` names a page (a meeting or the list), not a file."""
    last = path.rsplit("/", 1)[-1]
    return last in ("", html_writer.FILE_NAME) or "." not in last


def _page(status: HTTPStatus, page: str, generation: str) -> Response:
    return Response(status, body=inject_script(page, generation).encode("utf-8"))


def _redirect(path: str) -> Response:
    return Response(HTTPStatus.FOUND, location=quote(path, safe="/"))


def _not_found(path: str, generation: str) -> Response:
    body = (
        f"<p>There is no page or attachment at <code>{html.escape(path)}</code>.</p>\n"
        '<p><a href="/">All meetings</a></p>\n'
    )
    return _page(HTTPStatus.NOT_FOUND, _shell("Not found", body), generation)


def inject_script(page: str, generation: str) -> str:
    """``page`` with the reload script before ``</body>`` (or at the end, if it has none)."""
    tag = f'<script src="{SCRIPT_PATH}" data-generation="{html.escape(generation)}"></script>\n'
    at = page.lower().rfind("</body>")
    return page + tag if at < 0 else page[:at] + tag + page[at:]


_STYLE = """\
body { font: 1rem/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
  padding: 0 1rem; color: #1a1a1a; }
h1 { font-size: 1.5rem; }
ul.diagnostics { list-style: none; padding: 0; }
ul.diagnostics li { border-left: 4px solid #b00020; padding: .25rem .75rem; margin: .75rem 0;
  background: #fdf2f3; }
ul.diagnostics li.warning { border-color: #9a6700; background: #fff8e5; }
.where { font-family: ui-monospace, monospace; }
.code { font-weight: bold; }
.hint { display: block; color: #444; }
"""


def _shell(title: str, body: str) -> str:
    """A page of the server's own (English, like the command's messages)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)} — referat serve</title>\n"
        f"<style>\n{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}</body>\n</html>\n"
    )


def problem_page(site: Site) -> str:
    """The page shown for every meeting while the sources cannot be rendered."""
    parts = []
    if site.detail:
        parts.append(f"<p>{html.escape(site.detail)}</p>\n")
    if site.diagnostics:
        parts.append('<ul class="diagnostics">\n')
        for d in site.diagnostics:
            hint = f'<span class="hint">{html.escape(d.hint)}</span>' if d.hint else ""
            parts.append(
                f'<li class="{d.severity}"><span class="where">'
                f"{html.escape(display_path(d.path))}:{d.line}:{d.column}</span> "
                f'<span class="code">{d.severity}[{d.code}]</span> '
                f"{html.escape(d.message)}{hint}</li>\n"
            )
        parts.append(f"</ul>\n<p>{html.escape(summary(site.diagnostics, 0))}</p>\n")
    parts.append("<p>This page reloads by itself when a source file is saved.</p>\n")
    return _shell(site.problem or "Nothing to show", "".join(parts))


def index_page(site: Site) -> str:
    """The list of every meeting, linking each one's page."""
    rows = "".join(
        f'<li><a href="{html.escape(quote(f"/{id}/", safe="/"))}">{html.escape(title)}</a>'
        f" <small>{html.escape(id)}</small></li>\n"
        for id, title in site.meetings
    )
    return _shell("Meetings", f"<ul>\n{rows}</ul>\n")


# ---------------------------------------------------------------------- server


def _is_loopback(host: str) -> bool:
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(header: str | None) -> bool:
    """Whether a request's Host header names this machine's loopback.

    A page on another site can make a browser send requests here under its own name (DNS
    rebinding); refusing names other than the loopback's keeps the minutes from it.
    """
    if not header:
        return True
    host = header.strip()
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return _is_loopback(host)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, preview: Preview) -> None:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, _, _, _, address = info[0]
        self.address_family = family
        self.preview = preview
        self.loopback = _is_loopback(str(address[0]))
        super().__init__(cast(tuple[str, int], address[:2]), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's full name, which can take seconds.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]


class _Handler(BaseHTTPRequestHandler):
    timeout = 60

    def version_string(self) -> str:
        """The Server header."""
        return "referat-serve"

    @property
    def preview(self) -> Preview:
        return cast(_Server, self.server).preview

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows rebuilds, not requests."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        if cast(_Server, self.server).loopback and not host_allowed(self.headers.get("Host")):
            self._send(Response(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", b"Forbidden\n"))
            return
        path = unquote(urlsplit(self.path).path)
        if path == EVENTS_PATH:
            self._events(send_body)
            return
        if path == SCRIPT_PATH:
            script = RELOAD_SCRIPT.encode("utf-8")
            self._send(Response(HTTPStatus.OK, "text/javascript; charset=utf-8", script))
            return
        self._send(route(*self.preview.current(), path), send_body)

    def _send(self, response: Response, send_body: bool = True) -> None:
        handle = None
        if response.file is not None:
            try:
                # The path was resolved and checked; a link put in its place is not followed.
                fd = os.open(response.file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                handle = os.fdopen(fd, "rb")
            except OSError:
                self._send(Response(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b""))
                return
        with handle or contextlib.nullcontext():
            size = len(response.body) if handle is None else os.fstat(handle.fileno()).st_size
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(size))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            if response.location is not None:
                self.send_header("Location", response.location)
            if response.content_type.split(";")[0] in _ACTIVE_TYPES and handle is not None:
                self.send_header("Content-Security-Policy", "sandbox")
            self.end_headers()
            if not send_body:
                return
            try:
                if handle is None:
                    self.wfile.write(response.body)
                else:
                    shutil.copyfileobj(handle, self.wfile)
            except OSError:  # the browser went away
                self.close_connection = True

    def _events(self, send_body: bool) -> None:
        """Server-Sent Events: the generation now, then again whenever it changes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        if not send_body:
            return
        shown: str | None = None
        try:
            while True:
                generation = self.preview.wait_for_change(shown, KEEPALIVE_SECONDS)
                if generation is None:
                    return
                if generation == shown:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    self.wfile.write(f"retry: 1000\ndata: {generation}\n\n".encode())
                    shown = generation
                self.wfile.flush()
        except OSError:  # the page was closed or reloaded
            return
