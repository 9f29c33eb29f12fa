"""The HTML writer: one self-contained page per meeting (CSS inline, no scripts, no requests)."""

from __future__ import annotations

import jinja2

from .document import Document
from .templates import render_template

FILE_NAME = "index.html"


def write(doc: Document, env: jinja2.Environment, archive: str | None = None) -> str:
    """The meeting's page; ``archive`` is the relative path to the archive's root, if any."""
    return render_template(env, "document.html", doc=doc, medium="screen", archive=archive)
