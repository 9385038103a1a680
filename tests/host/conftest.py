"""Fixtures of the in-process host tests.

Every test runs with no ``CLOUDCRAVER_*`` variable of the outer environment, and leaves
``sys.path`` and ``sys.modules`` as it found them: plugins imported from a checkout or a
wheel are forgotten afterwards, so the next test imports them afresh (and writes their
import marker again).
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.harness import PLUGIN_PROJECTS
from support.inprocess import EventLog


@pytest.fixture(autouse=True)
def _isolated_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in list(os.environ):
        if key.startswith(("CLOUDCRAVER_", "CC_TEST_")):
            monkeypatch.delenv(key)
    path_before = list(sys.path)
    modules_before = set(sys.modules)
    yield
    sys.path[:] = path_before
    for name in set(sys.modules) - modules_before:
        if name.startswith("cc_test_"):
            del sys.modules[name]
    importlib.invalidate_caches()


@pytest.fixture
def project(tmp_path: Path) -> Callable[[str], Path]:
    """A copy of a plugin project of ``tests/plugin_projects`` (a checkout), one per test."""

    def copy(name: str) -> Path:
        target = tmp_path / "checkouts" / name
        if target.exists():
            return target
        shutil.copytree(
            PLUGIN_PROJECTS / name, target, ignore=shutil.ignore_patterns("__pycache__", "build")
        )
        return target

    return copy


@pytest.fixture
def marker_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``CC_TEST_MARKER_DIR``: the test plugins write ``<name>.imported`` there when imported."""
    folder = tmp_path / "markers"
    folder.mkdir()
    monkeypatch.setenv("CC_TEST_MARKER_DIR", str(folder))
    return folder


@pytest.fixture
def event_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EventLog:
    path = tmp_path / "events.jsonl"
    monkeypatch.setenv("CC_TEST_LOG", str(path))
    return EventLog(path)
