"""cc-inst-lib: a plain library (no plugin), built as 1.0.0 and 2.0.0."""

from importlib.metadata import version

__version__ = version("cc-inst-lib")


def describe() -> str:
    """``cc-inst-lib <version>``: lets a plugin show which version it got."""
    return f"cc-inst-lib {__version__}"
