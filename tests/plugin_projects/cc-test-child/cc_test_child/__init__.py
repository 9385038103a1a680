"""dep-child: logs activate/deactivate to $CC_TEST_LOG and reports one finding naming itself."""

import json
import os
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import Finding, Severity, hookimpl

PLUGIN = "dep-child"

if os.environ.get("CC_TEST_MARKER_DIR"):
    with open(Path(os.environ["CC_TEST_MARKER_DIR"], f"{PLUGIN}.imported"), "a") as _marker:
        _marker.write(PLUGIN + "\n")


def _log(event: str, **extra: Any) -> None:
    target = os.environ.get("CC_TEST_LOG")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            line = {"plugin": PLUGIN, "event": event, **extra}
            handle.write(json.dumps(line, sort_keys=True) + "\n")


@hookimpl
def activate(config: Any) -> None:
    _log("activate", config=dict(config))


@hookimpl
def deactivate() -> None:
    _log("deactivate")


@hookimpl
def validate_document(document: Any) -> list[Finding]:
    return [Finding("CHILD_SEEN", Severity.INFO, f"{PLUGIN} checked {document.path}")]
