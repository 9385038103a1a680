"""inst-broken: raises at import (after appending to its import marker)."""

import os
from pathlib import Path

PLUGIN = "inst-broken"

if os.environ.get("CC_TEST_MARKER_DIR"):
    with open(Path(os.environ["CC_TEST_MARKER_DIR"], f"{PLUGIN}.imported"), "a") as _marker:
        _marker.write(PLUGIN + "\n")

raise RuntimeError("cc-inst-broken is broken on purpose")
