"""Build something once per test run, also under pytest-xdist (see :func:`build_once`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

__all__ = ["Buildable", "build_once"]


class Buildable(Protocol):
    """What :func:`build_once` can share between workers: anything with ``to_json``."""

    def to_json(self) -> str: ...


T = TypeVar("T", bound=Buildable)


def build_once(
    factory: pytest.TempPathFactory,
    name: str,
    build: Callable[[Path], T],
    load: Callable[[str], T],
) -> T:
    """``build(<run temp>/name)`` in the first worker that asks; ``load`` it in the others.

    The first worker builds under a file lock in the run's shared temporary folder and
    writes ``ready.json`` (``to_json``); the others read it. A failed build is reported to
    every worker that asks afterwards instead of being retried.
    """
    from filelock import FileLock

    base = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by every worker of this run
    root = base / name
    with FileLock(str(root) + ".lock"):
        ready, failed = root / "ready.json", root / "failed.txt"
        if ready.is_file():
            return load(ready.read_text(encoding="utf-8"))
        if failed.is_file():
            pytest.fail(f"building the {name} failed in another worker:\n{failed.read_text()}")
        root.mkdir(parents=True, exist_ok=True)
        try:
            value = build(root)
        except Exception as exc:
            failed.write_text(str(exc), encoding="utf-8")
            raise
        ready.write_text(value.to_json(), encoding="utf-8")
        return value
