"""Writers: one per output format, all reading the same edition-applied :class:`Document`."""

from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostic

_PACKAGE = Path(__file__).resolve().parent.parent


def default_templates() -> Path:
    """The default templates: in the installed package, or ``templates/`` of a source checkout."""
    installed = _PACKAGE / "templates"
    return installed if installed.is_dir() else _PACKAGE.parent / "templates"


class TemplateFailed(Exception):
    """A template could not be loaded or rendered; carries the diagnostic.

    Here, not beside the templates: the build command catches it without importing Jinja.
    """

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic

    def __reduce__(self) -> tuple[type[TemplateFailed], tuple[Diagnostic]]:
        # Raised in a worker process, it must arrive whole in the parent.
        return (TemplateFailed, (self.diagnostic,))
