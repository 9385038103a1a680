"""inst-incompatible: made for contract 9.x; the host must refuse it (never import it)."""

import os
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import hookimpl

PLUGIN = "inst-incompatible"

if os.environ.get("CC_TEST_MARKER_DIR"):
    with open(Path(os.environ["CC_TEST_MARKER_DIR"], f"{PLUGIN}.imported"), "a") as _marker:
        _marker.write(PLUGIN + "\n")


@hookimpl
def validate_document(document: Any) -> list[Any]:
    return []
