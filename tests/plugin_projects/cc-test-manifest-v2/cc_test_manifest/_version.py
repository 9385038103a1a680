"""The version this build of the package reports."""

__version__ = "2.0.0"
