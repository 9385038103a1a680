"""async-demo: ``async def`` activate, validate_document and deactivate."""

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import Finding, Severity, hookimpl

PLUGIN = "async-demo"

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
async def activate(config: Any) -> None:
    await asyncio.sleep(0)
    _log("activate", config=dict(config))


@hookimpl
async def validate_document(document: Any) -> list[Finding]:
    await asyncio.sleep(0)
    return [Finding("ASYNC_SEEN", Severity.INFO, f"{PLUGIN} awaited {document.path}")]


@hookimpl
async def deactivate() -> None:
    await asyncio.sleep(0)
    _log("deactivate")
