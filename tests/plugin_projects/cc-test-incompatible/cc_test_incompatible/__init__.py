"""future-contract: made for contract 2.x; the host must refuse it without importing it.

Its import marker, ``$CC_TEST_MARKER_DIR/future-contract.imported``, must never appear.
"""

import os
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import hookimpl

PLUGIN = "future-contract"

if os.environ.get("CC_TEST_MARKER_DIR"):
    with open(Path(os.environ["CC_TEST_MARKER_DIR"], f"{PLUGIN}.imported"), "a") as _marker:
        _marker.write(PLUGIN + "\n")


@hookimpl
def validate_document(document: Any) -> list[Any]:
    return []
