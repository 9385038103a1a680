"""inst-oldpluggy: requires ``pluggy<1``; the host must refuse to install it."""

from __future__ import annotations

from typing import Any

from cloudcraver_hookspecs import hookimpl


@hookimpl
def validate_document(document: Any) -> list[Any]:
    return []
