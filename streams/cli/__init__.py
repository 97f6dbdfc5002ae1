"""The ``eventml`` command line."""
