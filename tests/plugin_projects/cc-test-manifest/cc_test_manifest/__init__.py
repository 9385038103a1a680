"""manifest-demo: the test plugin with a manifest, a template, a config model and a command.

Importing it appends its name to ``$CC_TEST_MARKER_DIR/manifest-demo.imported`` (when that
variable is set) so tests can tell whether a command imported it. ``activate`` and
``deactivate`` append one JSON line each to the file named by ``$CC_TEST_LOG``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import (
    CommandContribution,
    Finding,
    RenderedTemplate,
    Severity,
    TemplateDescriptor,
    hookimpl,
)
from pydantic import BaseModel

from ._version import __version__  # cc-test-manifest-v2 builds this code with 2.0.0

PLUGIN = "manifest-demo"

if os.environ.get("CC_TEST_MARKER_DIR"):
    with open(Path(os.environ["CC_TEST_MARKER_DIR"], f"{PLUGIN}.imported"), "a") as _marker:
        _marker.write(PLUGIN + "\n")


def _log(event: str, **extra: Any) -> None:
    target = os.environ.get("CC_TEST_LOG")
    if target:
        line = {"plugin": PLUGIN, "version": __version__, "event": event, **extra}
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, sort_keys=True) + "\n")


class DemoConfig(BaseModel):
    """``[plugins.manifest-demo]``."""

    greeting: str = "hello"
    limit: int = 3


class DemoBucketParameters(BaseModel):
    """The parameters of the ``demo-bucket`` template."""

    size: int = 1
    versioned: bool = True


_STATE: dict[str, Any] = {"config": None}


@hookimpl
def config_model() -> type[BaseModel]:
    return DemoConfig


@hookimpl
def activate(config: DemoConfig) -> None:
    _STATE["config"] = config
    _log("activate", config=config.model_dump())


@hookimpl
def deactivate() -> None:
    _log("deactivate")
    _STATE["config"] = None


@hookimpl
def contribute_templates() -> list[TemplateDescriptor]:
    return [
        TemplateDescriptor(
            name="demo-bucket",
            provider="aws",
            output_format="cloudformation",
            description="A demo bucket (test plugin).",
            parameters=DemoBucketParameters,
        )
    ]


@hookimpl
def render_template(request: Any) -> RenderedTemplate | None:
    if request.template != "demo-bucket":
        return None
    params = request.parameters
    values = params.model_dump() if isinstance(params, BaseModel) else dict(params)
    document = {
        "Description": f"demo-bucket {request.name}",
        "Resources": {
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": request.name, **values},
            }
        },
    }
    if request.format == "json":
        content = json.dumps(document, indent=2, sort_keys=True) + "\n"
    else:
        lines = [f"Description: demo-bucket {request.name}", "Resources:", "  Bucket:"]
        lines += [
            "    Type: AWS::S3::Bucket",
            "    Properties:",
            f"      BucketName: {request.name}",
        ]
        lines += [f"      {key}: {json.dumps(value)}" for key, value in sorted(values.items())]
        content = "\n".join(lines) + "\n"
    return RenderedTemplate(content, request.format, f"{request.name}.{request.format}")


@hookimpl
def validate_document(document: Any) -> list[Finding]:
    data = document.data
    if isinstance(data, dict) and "Demo" in data:
        return [
            Finding(
                rule_id="DEMO_KEY",
                severity=Severity.WARNING,
                message="the document has a Demo key (manifest-demo)",
                resource="Demo",
            )
        ]
    return []


@hookimpl
def contribute_commands() -> list[CommandContribution]:
    import typer

    def demo_hello(name: str = "world") -> None:
        config = _STATE["config"]
        greeting = config.greeting if config is not None else DemoConfig().greeting
        typer.echo(f"{greeting}, {name}!")

    return [CommandContribution("demo-hello", "Print a greeting (manifest-demo).", demo_hello)]
