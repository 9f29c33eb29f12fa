"""The Markdown writer: the document as one Markdown file, shaped like the seed."""

from __future__ import annotations

import jinja2

from .document import Document
from .templates import render_template

FILE_NAME = "referat.md"


def write(doc: Document, env: jinja2.Environment) -> str:
    """The meeting's Markdown, ending in exactly one newline."""
    return render_template(env, "document.md", doc=doc).rstrip("\n") + "\n"
