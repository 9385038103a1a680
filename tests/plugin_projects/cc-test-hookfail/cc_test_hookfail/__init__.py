"""hook-fails: its validate_document raises, so the host must isolate it.

With ``CC_TEST_FAIL_ON`` set it raises only for documents whose path ends with it.
"""

import os
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import hookimpl

PLUGIN = "hook-fails"

if os.environ.get("CC_TEST_MARKER_DIR"):
    with open(Path(os.environ["CC_TEST_MARKER_DIR"], f"{PLUGIN}.imported"), "a") as _marker:
        _marker.write(PLUGIN + "\n")


@hookimpl
def validate_document(document: Any) -> list[Any]:
    only = os.environ.get("CC_TEST_FAIL_ON")
    if only and not str(document.path).endswith(only):
        return []
    raise ValueError("hook-fails exploded")
