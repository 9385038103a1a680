"""A bare Typer app with the ``cloudcraver`` command tree and no work behind any command.

``BENCH_TYPER_PLAIN=1`` renders help without rich when stdout is not a terminal, as
``cloudcraver`` does; without it, Typer's defaults (rich help everywhere).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tree import build

options = {}
if os.environ.get("BENCH_TYPER_PLAIN") == "1":
    options["rich_markup_mode"] = "rich" if sys.stdout.isatty() else None

if __name__ == "__main__":
    build(lambda command: None, **options)(prog_name="cloudcraver")
