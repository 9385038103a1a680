"""inst-sdist: a plugin published as an sdist only; pip must build it when installing it."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from cloudcraver_hookspecs import Finding, Location, Severity, hookimpl

__version__ = version("cc-inst-sdist")


@hookimpl
def validate_document(document: Any) -> list[Finding]:
    return [
        Finding(
            rule_id="INST_SDIST",
            severity=Severity.INFO,
            message=f"inst-sdist {__version__} looked at {document.path}",
            location=Location(file=document.path),
        )
    ]
