"""activate-fails: its activate raises, so the host must go on without it."""

import os
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import Finding, Severity, hookimpl

PLUGIN = "activate-fails"

if os.environ.get("CC_TEST_MARKER_DIR"):
    with open(Path(os.environ["CC_TEST_MARKER_DIR"], f"{PLUGIN}.imported"), "a") as _marker:
        _marker.write(PLUGIN + "\n")


@hookimpl
def activate(config: Any) -> None:
    raise RuntimeError("activate-fails could not start")


@hookimpl
def validate_document(document: Any) -> list[Finding]:
    return [Finding("NEVER", Severity.ERROR, "activate-fails must never be called")]
