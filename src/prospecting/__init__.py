"""prospecting: takes repetitive prospect work off independent service providers."""

__version__ = "0.1.0"
