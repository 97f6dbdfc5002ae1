"""``python -m streams.cli`` runs the ``eventml`` command."""

from streams.cli.app import main

main()
