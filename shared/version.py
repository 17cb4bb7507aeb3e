"""The single source of the edgebench version string."""

__version__ = "0.1.0"
