"""Printing for the CLI: JSON for scripts, rich tables for people."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["print_json", "print_table"]


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
