"""Printing for the CLI: JSON for scripts, tables for people (rich on a terminal)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

__all__ = ["new_typer", "print_json", "print_table", "write_output"]


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
    """Print a table for people: drawn with rich on a terminal, plain text otherwise.

    Off a terminal (pipes, files, scripts) the columns are aligned with spaces, one row per
    line, which ``grep``/``awk`` read well, and rich (~35 ms of imports) is not loaded.
    """
    if not sys.stdout.isatty():
        _print_plain_table(title, columns, rows)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..display import escape as escape_controls

    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        # Data, never markup; and never a terminal control sequence.
        table.add_row(*(escape(escape_controls(cell)) for cell in row))
    Console(highlight=False).print(table)


def _print_plain_table(
    title: str | None, columns: Sequence[str], rows: Sequence[Sequence[str]]
) -> None:
    from ..display import escape

    # One row per line, and no terminal control sequence from a manifest or a file.
    lines = [[escape(" ".join(str(cell).split())) for cell in row] for row in [columns, *rows]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    if title:
        print(title)
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        print("  ".join(cells).rstrip())


def write_output(path: Path, text: str) -> None:
    """Write ``--output FILE`` atomically; a path that cannot take it is an input error.

    A symbolic link to a regular file is followed (the file it points to is replaced); a
    folder, a device, a FIFO, a path under a file or too long a name is refused (exit 2),
    and nothing is written.
    """
    from ..errors import InputError
    from ..regular_files import reason
    from ..tomlfile import atomic_write_text

    try:
        atomic_write_text(path, text)
    except (OSError, UnicodeEncodeError, ValueError) as exc:
        raise InputError(
            f"--output {path}: cannot write: {reason(exc)}; choose a regular file, "
            "or leave out --output to print to standard output"
        ) from None
