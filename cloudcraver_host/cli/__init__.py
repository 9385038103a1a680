"""The ``cloudcraver`` command line (Typer); a thin layer over the host library."""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    """Run the ``cloudcraver`` command (the console script's entry point)."""
    from .app import build_app

    build_app()(prog_name="cloudcraver")
