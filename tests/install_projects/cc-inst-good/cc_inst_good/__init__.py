"""inst-good: a well-behaved plugin whose output names the installed version.

One source is built as 1.0.0, 1.1.0, 1.2.0 and 2.0.0; the version comes from the installed
distribution's metadata, so a test sees which one runs. Importing it appends
``inst-good <version>`` to ``$CC_TEST_MARKER_DIR/inst-good.imported`` when that variable is set.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import version
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

PLUGIN = "inst-good"
__version__ = version("cc-inst-good")

if os.environ.get("CC_TEST_MARKER_DIR"):
    with open(Path(os.environ["CC_TEST_MARKER_DIR"], f"{PLUGIN}.imported"), "a") as _marker:
        _marker.write(f"{PLUGIN} {__version__}\n")

NOTE_PARAMETERS = {
    "type": "object",
    "properties": {"text": {"type": "string", "default": "note"}},
    "additionalProperties": False,
}


@hookimpl
def contribute_templates() -> list[TemplateDescriptor]:
    return [
        TemplateDescriptor(
            name="inst-good-note",
            provider="generic",
            output_format="text",
            description="A note naming the version of inst-good that rendered it.",
            parameters=NOTE_PARAMETERS,
            formats=("json",),
        )
    ]


@hookimpl
def render_template(request: Any) -> RenderedTemplate | None:
    if request.template != "inst-good-note":
        return None
    data = {
        "plugin": PLUGIN,
        "version": __version__,
        "name": request.name,
        "parameters": dict(request.parameters),
    }
    return RenderedTemplate(json.dumps(data, sort_keys=True) + "\n", "json", f"{request.name}.json")


@hookimpl
def validate_document(document: Any) -> list[Finding]:
    return [
        Finding(
            rule_id="INST_GOOD",
            severity=Severity.INFO,
            message=f"inst-good {__version__} looked at {document.path}",
            location=Location(file=document.path),
        )
    ]


@hookimpl
def migrate_config(from_version: str, to_version: str, config: dict[str, Any]) -> Any:
    """2.x calls 1.x's ``text`` setting ``greeting``; ``refuse_migration`` makes it fail."""
    if config.get("refuse_migration"):
        raise ValueError(f"cannot migrate from {from_version}")
    if to_version.startswith("2.") and "text" in config:
        migrated = {key: value for key, value in config.items() if key != "text"}
        migrated["greeting"] = config["text"]
        return migrated
    return None
