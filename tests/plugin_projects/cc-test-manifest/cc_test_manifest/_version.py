"""The version this build of the package reports."""

__version__ = "1.0.0"
