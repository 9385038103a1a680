"""The ``cloudcraver`` command line (Typer); a thin layer over the host library."""

from __future__ import annotations

import os
import sys

__all__ = ["main"]


def main() -> None:
    """Run the ``cloudcraver`` command (the console script's entry point)."""
    # pydantic looks for its own plugins (the "pydantic" entry-point group) by reading the
    # metadata of every installed distribution the first time a model validates: 40 ms
    # with 200 distributions installed, paid by every command that renders or configures a
    # plugin. The command has no use for them (Typer turns them off too); set the variable
    # yourself (even empty) to decide otherwise.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from ..guard import watch_user_interrupts
    from .app import build_app

    watch_user_interrupts()  # a real Ctrl-C stops the command; a plugin's KeyboardInterrupt not

    try:
        build_app()(prog_name="cloudcraver")
    except BrokenPipeError:
        # The reader went away (`cloudcraver plugin list | head`): not an error of ours.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)  # 128 + SIGPIPE, as shells report a reader closing the pipe
