"""The runyard release (one place; the package metadata and `runyard --version` read it)."""

__version__ = "0.1.0"
