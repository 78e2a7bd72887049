"""``python -m jackmigrate``: the same as the ``jackmigrate`` command."""

from jackmigrate.cli import main

main()
