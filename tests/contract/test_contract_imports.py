"""A plugin that imports the contract pulls in nothing of the host, the CLI or pip."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("cloudcraver_host", "typer", "click", "rich", "pip", "resolvelib", "pydantic", "yaml")


def test_importing_the_contract_stays_small() -> None:
    code = (
        "import json, sys\n"
        "import cloudcraver_hookspecs\n"
        "from cloudcraver_hookspecs import hookimpl, Finding, TemplateDescriptor, hook_table\n"
        "hook_table()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    offending = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert offending == []
    assert "pluggy" in loaded
