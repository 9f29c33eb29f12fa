"""Writers: one per output format, all reading the same edition-applied :class:`Document`."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def default_templates() -> Path:
    """The default templates: in the installed package, or ``templates/`` of a source checkout."""
    installed = _PACKAGE / "templates"
    return installed if installed.is_dir() else _PACKAGE.parent / "templates"
