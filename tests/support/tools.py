"""Where the real tools the tests hold Cloud Craver to are found."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def checkov_executable() -> Path:
    """checkov, installed in its own environment by ``nox -s checkov``.

    It pins old versions of libraries Cloud Craver also uses, so it never shares the test
    environment; ``CLOUDCRAVER_CHECKOV`` may point at another installation.
    """
    configured = os.environ.get("CLOUDCRAVER_CHECKOV")
    scripts = "Scripts" if sys.platform == "win32" else "bin"
    candidates = [Path(configured)] if configured else []
    candidates.append(ROOT / ".nox" / "checkov" / scripts / "checkov")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    found = shutil.which("checkov")
    if configured is None and found:
        return Path(found)
    pytest.fail(
        "checkov is not installed: run `nox -s checkov` (the README's test command does), "
        "or point CLOUDCRAVER_CHECKOV at a checkov executable",
        pytrace=False,
    )
