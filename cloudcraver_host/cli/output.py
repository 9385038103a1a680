"""Printing for the CLI: JSON for scripts, rich tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import typer

__all__ = ["new_typer", "print_json", "print_table"]


def new_typer(**options: Any) -> typer.Typer:
    """A Typer application that renders help with rich only for a terminal.

    Typer's rich help costs ~0.1 s of imports; piped or captured help is read by programs
    and pagers, for which click's plain help is as good.
    """
    options.setdefault("rich_markup_mode", "rich" if sys.stdout.isatty() else None)
    return typer.Typer(**options)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on standard output."""
    print(json.dumps(data, indent=2, default=str))


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a table for people (plain text when not on a terminal)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))  # data, never markup
    Console(highlight=False).print(table)
