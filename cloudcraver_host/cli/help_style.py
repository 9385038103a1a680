"""Help that reads like click's: ``TEXT`` metavars, plain text off a terminal, plugins' too.

Typer 0.29 shows a parameter's Python type as its metavar (``--set <list[str]>``,
``{template}``). Here every parameter of a command tree that has no metavar of its own is
shown the click way: ``TEXT``, ``PATH``, ``INTEGER RANGE``, ``[text|json|sarif]``, and
arguments by their name in capitals (``TEMPLATE NAME``, ``FILES...``). A plugin's Typer
application, mounted as a command, gets the same treatment and, like the built-in
commands, plain help (no rich) when standard output is not a terminal.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["apply_help_style"]

_CLICK_NAMES = {
    "str": "TEXT",
    "path": "PATH",
    "file": "FILE",
    "directory": "DIRECTORY",
    "int": "INTEGER",
    "float": "FLOAT",
    "bool": "BOOLEAN",
    "int range": "INTEGER RANGE",
    "float range": "FLOAT RANGE",
    "datetime": "DATETIME",
    "uuid": "UUID",
}


def _click_label(typer_label: str) -> str:
    """``<list[str]>`` -> ``TEXT``, ``<text|json>`` -> ``[text|json]``, ``<int range>`` -> ..."""
    label = typer_label.strip("<>")
    while label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]  # a repeated option takes one value at a time
    if label.lower() in _CLICK_NAMES:
        return _CLICK_NAMES[label.lower()]
    if "|" in label:
        return f"[{label}]"
    return label.upper()


def _style_param(param: Any) -> None:
    if getattr(param, "metavar", None) is not None or not hasattr(param, "display_type"):
        return
    if param.param_type_name == "argument":
        shown = param.name.upper()
        dots = "..." if param.nargs != 1 else ""
        usage = shown + dots if param.required else f"[{shown}]{dots}"
        # Instance attributes win over Typer's methods: only this parameter changes.
        param._usage_display_name = lambda: usage
        param._rich_display_name = lambda: shown + dots
        param.display_type_rich = lambda ctx: None
        return
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return
    typer_display = param.display_type
    param.display_type = lambda ctx: _click_label(str(typer_display(ctx)))


def apply_help_style(command: Any) -> None:
    """Give ``command`` and its subcommands click-style metavars (and plain help off a tty)."""
    if not sys.stdout.isatty() and hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
    for param in getattr(command, "params", ()):
        _style_param(param)
    for sub in list(getattr(command, "commands", {}).values()):
        apply_help_style(sub)
