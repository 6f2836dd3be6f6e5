"""The ``runyard`` command line: thin click commands over the library."""

from runyard.cli.main import cli, main

__all__ = ["cli", "main"]
