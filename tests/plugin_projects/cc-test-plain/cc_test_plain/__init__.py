"""plain-demo: a plain pluggy plugin with no manifest (loaded at the first broadcast hook).

Importing it appends its name to ``$CC_TEST_MARKER_DIR/plain-demo.imported`` when that
variable is set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import (
    Finding,
    Location,
    RenderedTemplate,
    Severity,
    TemplateDescriptor,
    hookimpl,
)

PLUGIN = "plain-demo"

if os.environ.get("CC_TEST_MARKER_DIR"):
    with open(Path(os.environ["CC_TEST_MARKER_DIR"], f"{PLUGIN}.imported"), "a") as _marker:
        _marker.write(PLUGIN + "\n")

NOTE_PARAMETERS = {
    "type": "object",
    "properties": {"text": {"type": "string", "default": "note"}},
    "additionalProperties": False,
}


@hookimpl
def validate_document(document: Any) -> list[Finding]:
    return [
        Finding(
            rule_id="PLAIN_SEEN",
            severity=Severity.INFO,
            message=f"plain-demo looked at {document.path}",
            location=Location(file=document.path),
        )
    ]


@hookimpl
def contribute_templates() -> list[TemplateDescriptor]:
    return [
        TemplateDescriptor(
            name="plain-note",
            provider="generic",
            output_format="text",
            description="A note (test plugin without a manifest).",
            parameters=NOTE_PARAMETERS,
            formats=("json",),
        )
    ]


@hookimpl
def render_template(request: Any) -> RenderedTemplate | None:
    if request.template != "plain-note":
        return None
    data = {"name": request.name, "parameters": dict(request.parameters)}
    return RenderedTemplate(json.dumps(data, sort_keys=True) + "\n", "json", f"{request.name}.json")
