"""The Jinja environment: default templates shipped with the package, user overrides in front."""

from __future__ import annotations

import functools
import re
import traceback
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import jinja2

from ..diagnostics import Diagnostic
from . import TemplateFailed, default_templates

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")


def md_inline(text: object) -> str:
    """Escape text for use inside a line of Markdown, so it reads literally.

    "<" becomes an entity rather than a backslash escape: an autolinked URL just before
    it could swallow the backslash and let a tag through.
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\\<", "&lt;").replace("\n", " ")


_NOT_SLUG = re.compile(r"[^0-9a-z]+")


def case_slug(case: object) -> str:
    """A case number as a file name: ``20/6598`` -> ``20-6598``, ``EMN-1`` -> ``emn-1``."""
    return _case_slug(str(case))


@functools.lru_cache(maxsize=8192)
def _case_slug(case: str) -> str:
    return _NOT_SLUG.sub("-", case.lower()).strip("-") or "sag"


def css_string(text: object) -> str:
    """Escape text for use inside a double-quoted CSS string."""
    return "".join(c if c.isalnum() or c in " .,:-" else f"\\{ord(c):x} " for c in str(text))


def url_path(path: object) -> str:
    """Percent-encode a relative file path for use as a link."""
    return quote(str(path), safe="/")


def environment(overrides: Sequence[Path] = ()) -> jinja2.Environment:
    """An environment that finds a template in ``overrides`` first, then in the defaults."""
    folders = [*overrides, default_templates()]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "xml"), default_for_string=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["md"] = md_inline
    env.filters["url_path"] = url_path
    env.filters["css_string"] = css_string
    env.filters["case_slug"] = case_slug
    return env


def render_template(env: jinja2.Environment, name: str, **context: object) -> str:
    """Render template ``name``; any failure becomes :class:`TemplateFailed` with file and line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as err:
        where = Path(err.filename or name)
        raise TemplateFailed(
            Diagnostic(where, err.lineno, 1, "RF005", f"template syntax error: {err.message}")
        ) from None
    except jinja2.TemplateNotFound as err:
        raise TemplateFailed(
            Diagnostic(Path(name), 1, 1, "RF005", f"template {err.name} not found")
        ) from None
    except Exception as err:  # a user's template may fail in any way at render time
        path, line = Path(name), 1
        for frame in reversed(traceback.extract_tb(err.__traceback__)):
            if frame.filename.endswith((".html", ".md", ".css")) and frame.lineno:
                path, line = Path(frame.filename), frame.lineno
                break
        raise TemplateFailed(
            Diagnostic(
                path,
                line,
                1,
                "RF005",
                f"template error: {type(err).__name__}: {err}",
                "check the template against the default one of the same name",
            )
        ) from None
