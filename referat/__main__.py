"""``python -m referat``: the same as the ``referat`` command."""

from .cli import main

main()
