"""What a plugin's manifest declares, as plain frozen data.

:mod:`cloudcraver_host.manifest` validates a manifest with pydantic once, when discovery
reads it; everything downstream (the host, the CLI, the discovery cache) works with the
:class:`Declaration` it produces. Keeping this module free of pydantic is what lets
``cloudcraver --help`` and the listing commands run from the discovery cache without
importing pydantic at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["DeclaredCommand", "DeclaredPermissions", "DeclaredTemplate", "Declaration"]


@dataclass(frozen=True)
class DeclaredTemplate:
    """A template the manifest declares (``[[templates]]``)."""

    name: str
    provider: str
    output_format: str
    description: str = ""
    formats: tuple[str, ...] = ("yaml", "json")
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeclaredCommand:
    """A command the manifest declares (``[[commands]]``)."""

    name: str
    help: str = ""


@dataclass(frozen=True)
class DeclaredPermissions:
    """What the plugin asks to be allowed to do (``[permissions]``)."""

    network: tuple[str, ...] = ()
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    run: tuple[str, ...] = ()
    env: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        """The permissions asked for, leaving out empty kinds."""
        return {key: list(value) for key, value in asdict(self).items() if value}


@dataclass(frozen=True)
class Declaration:
    """A validated manifest's content."""

    name: str
    contract: str
    hooks: tuple[str, ...]
    version: str | None = None
    description: str = ""
    requires: tuple[str, ...] = ()
    #: ``requires`` parsed: (normalised plugin name, version specifier text) pairs.
    required: tuple[tuple[str, str], ...] = ()
    permissions: DeclaredPermissions = DeclaredPermissions()
    config_schema: dict[str, Any] | None = None
    templates: tuple[DeclaredTemplate, ...] = ()
    commands: tuple[DeclaredCommand, ...] = ()

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-ready data (the discovery cache stores this)."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Declaration:
        """Rebuild from :meth:`to_data` output (trusted: written by the host itself)."""
        return cls(
            name=data["name"],
            contract=data["contract"],
            hooks=tuple(data["hooks"]),
            version=data.get("version"),
            description=data.get("description", ""),
            requires=tuple(data.get("requires", ())),
            required=tuple((name, spec) for name, spec in data.get("required", ())),
            permissions=DeclaredPermissions(
                **{k: tuple(v) for k, v in data.get("permissions", {}).items()}
            ),
            config_schema=data.get("config_schema"),
            templates=tuple(
                DeclaredTemplate(**{**t, "formats": tuple(t.get("formats", ("yaml", "json")))})
                for t in data.get("templates", ())
            ),
            commands=tuple(DeclaredCommand(**c) for c in data.get("commands", ())),
        )
