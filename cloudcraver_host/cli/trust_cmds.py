"""``cloudcraver trust|untrust [DIR]``: let a project file apply all of its settings, or stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ..errors import InputError
from .context import command, state_of

__all__ = ["trust", "untrust"]

_DIR = typer.Argument(
    None, help="A folder of the project (default: the working directory).", show_default=False
)


def _project_file(directory: Path | None) -> tuple[Path, dict[str, Any]]:
    """The project file found from ``directory`` (default: the working directory) and its table."""
    from ..config import find_project_config

    start = (directory or Path.cwd()).expanduser().resolve()
    if not start.is_dir():
        raise InputError(f"{start}: not a folder; give the project's folder")
    found = find_project_config(start)
    if found is None:
        raise InputError(
            f"no cloudcraver.toml or pyproject.toml with [tool.cloudcraver] in {start} or the "
            "folders above it (up to the repository root or your home)"
        )
    path, data = found
    return path.resolve(), data


@command
def trust(ctx: typer.Context, directory: Path | None = _DIR) -> None:
    """Trust the project's configuration file: all its settings apply, until it changes.

    An untrusted project file applies only settings that can neither run code nor weaken a
    check. Read the file before trusting it: it may load plugins from its own folders.
    """
    from ..trust import TrustStore, settings_digest, untrusted_view

    state = state_of(ctx)
    path, data = _project_file(directory)
    digest = settings_digest(data)
    TrustStore(state.paths.trust_file).trust(path, digest)
    unlocked = untrusted_view(data, {}).ignored
    print(f"trusted {path} (settings sha256 {digest[:12]}); a change to its settings withdraws it")
    if unlocked:
        print(f"it may now set: {', '.join(unlocked)}")


@command
def untrust(ctx: typer.Context, directory: Path | None = _DIR) -> None:
    """Stop trusting the project's configuration file."""
    from ..trust import TrustStore

    state = state_of(ctx)
    path, _ = _project_file(directory)
    if TrustStore(state.paths.trust_file).untrust(path):
        print(f"no longer trusted: {path}")
    else:
        print(f"{path} was not trusted; nothing changed")
