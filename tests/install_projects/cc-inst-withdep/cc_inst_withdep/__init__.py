"""inst-withdep: a plugin that imports the library ``cc-inst-lib`` (``>=1``).

Its finding names the library's version, so a test sees which one it got.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cc_inst_lib
from cloudcraver_hookspecs import Finding, Location, Severity, hookimpl

PLUGIN = "inst-withdep"

if os.environ.get("CC_TEST_MARKER_DIR"):
    with open(Path(os.environ["CC_TEST_MARKER_DIR"], f"{PLUGIN}.imported"), "a") as _marker:
        _marker.write(PLUGIN + "\n")


@hookimpl
def validate_document(document: Any) -> list[Finding]:
    return [
        Finding(
            rule_id="INST_WITHDEP",
            severity=Severity.INFO,
            message=f"inst-withdep uses {cc_inst_lib.describe()}",
            location=Location(file=document.path),
        )
    ]
