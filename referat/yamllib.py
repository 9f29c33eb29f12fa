"""PyYAML, imported on first use: a build that finds nothing changed reads no YAML."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING


def _lazy(name: str) -> ModuleType:
    """``name`` as a module that imports itself when an attribute of it is first used
    (the standard library's LazyLoader). Not safe for two threads' first use at once: the
    processes that use threads load it before they start them (see :func:`load`)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import yaml as yaml
else:
    yaml = _lazy("yaml")


def load() -> None:
    """Import PyYAML now: before forking workers (each would import it again) or starting
    threads."""
    yaml.YAMLError  # noqa: B018 (the first attribute used imports it)
