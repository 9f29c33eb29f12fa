"""The Jinja environment: default templates shipped with the package, user overrides in front."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
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
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["md"] = md_inline
    env.filters["url_path"] = url_path
    env.filters["css_string"] = css_string
    env.filters["case_slug"] = case_slug
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs in the user's cache folder, as Python keeps its
    own bytecode; None where that folder cannot be made, or is not the user's own alone.

    Jinja compiles a template again when its source differs from the one cached (or Jinja's
    or Python's version does). Compiling the templates costs a build 20-30 ms.
    """
    if not hasattr(os, "getuid"):
        return None
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset, empty or relative: the XDG rule is to ignore it
        base = os.path.join(os.path.expanduser("~"), ".cache")
    ours = os.path.join(base, "referat")
    folder = os.path.join(ours, "templates")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        for path in (ours, folder):  # no link, nobody else's, nobody else may write
            info = os.lstat(path)
            if (
                not stat.S_ISDIR(info.st_mode)
                or info.st_uid != os.getuid()
                or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            ):
                return None
    except OSError:
        return None
    return _BytecodeCache(folder, "%s.cache")


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates in files, never failing a build: a file it
    cannot read back is compiled again, and one it cannot write is not kept."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged or foreign file: compile the template instead
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


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
