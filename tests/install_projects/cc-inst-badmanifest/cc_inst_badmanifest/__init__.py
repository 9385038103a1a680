"""inst-badmanifest: implements ``validate_document`` only; its manifest also claims
``contribute_commands``, so verification must find the mismatch."""

from __future__ import annotations

from typing import Any

from cloudcraver_hookspecs import hookimpl


@hookimpl
def validate_document(document: Any) -> list[Any]:
    return []
