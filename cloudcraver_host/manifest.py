"""The static plugin manifest: what a plugin is and offers, readable without importing it.

A plugin distribution may ship a TOML file inside its package and name it through the
``cloudcraver.manifest`` entry-point group (``my-plugin = "my_plugin:cloudcraver_plugin.toml"``).
The host reads it to list the plugin, its templates and commands, to check its contract
range and its dependencies, and to know which hooks it implements, all before (and
often instead of) importing it. ``docs/manifest.md`` documents every key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .declaration import Declaration, DeclaredCommand, DeclaredPermissions, DeclaredTemplate
from .errors import InputError
from .names import normalize_name

__all__ = [
    "CommandEntry",
    "normalize_name",
    "Manifest",
    "ManifestError",
    "Permissions",
    "TemplateEntry",
    "parse_manifest",
]

_NAME = r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$"
_NAME_RE = re.compile(_NAME)


class ManifestError(InputError):
    """A manifest that cannot be read or does not validate (the message names the file and key)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TemplateEntry(_Strict):
    """A template the plugin contributes (``[[templates]]``)."""

    name: str = Field(pattern=_NAME, description="Name used by `template create`.")
    provider: str = Field(description="The cloud: aws, azure, gcp...")
    output_format: str = Field(description="cloudformation, terraform, arm...")
    description: str = ""
    formats: tuple[str, ...] = ("yaml", "json")
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON schema of the parameters, inline or as a path to a JSON file.",
    )


class CommandEntry(_Strict):
    """A command the plugin adds to the command line (``[[commands]]``)."""

    name: str = Field(pattern=_NAME)
    help: str = ""


class Permissions(_Strict):
    """What the plugin asks to be allowed to do (``[permissions]``).

    Recorded and shown now; enforced by the sandbox for untrusted plugins.
    """

    network: tuple[str, ...] = Field((), description="Hosts (host or host:port) it connects to.")
    read: tuple[str, ...] = Field((), description="Paths it reads beyond its own files.")
    write: tuple[str, ...] = Field((), description="Paths it writes.")
    run: tuple[str, ...] = Field((), description="Programs it runs.")
    env: tuple[str, ...] = Field((), description="Environment variables it reads.")

    def is_empty(self) -> bool:
        """Whether the plugin asks for nothing beyond computing on its inputs."""
        return not (self.network or self.read or self.write or self.run or self.env)


class Manifest(_Strict):
    """The content of ``cloudcraver_plugin.toml``."""

    manifest_version: int = Field(1, ge=1, le=1)
    name: str = Field(pattern=_NAME, description="The plugin name, its entry-point name.")
    version: str | None = Field(None, description="Defaults to the distribution's version.")
    description: str = ""
    contract: str = Field(description="The contract versions supported, such as '>=1.0,<2'.")
    hooks: tuple[str, ...] = Field(description="Every hook the plugin implements.")
    requires: tuple[str, ...] = Field((), description="Plugins it needs: 'name' or 'name>=1.2'.")
    permissions: Permissions = Permissions()
    config_schema: dict[str, Any] | None = Field(
        None, description="JSON schema of [plugins.NAME], inline or as a path to a JSON file."
    )
    templates: tuple[TemplateEntry, ...] = ()
    commands: tuple[CommandEntry, ...] = ()

    @field_validator("contract")
    @classmethod
    def _check_contract(cls, value: str) -> str:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(value)
        except InvalidSpecifier:
            raise ValueError(f"not a version range such as '>=1.0,<2': {value!r}") from None
        return value

    @field_validator("version")
    @classmethod
    def _check_version(cls, value: str | None) -> str | None:
        from packaging.version import InvalidVersion, Version

        if value is not None:
            try:
                Version(value)
            except InvalidVersion:
                raise ValueError(f"not a version number: {value!r}") from None
        return value

    @field_validator("hooks")
    @classmethod
    def _check_hooks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from cloudcraver_hookspecs import hook_table

        known = hook_table()
        unknown = [hook for hook in value if hook not in known]
        if unknown:
            raise ValueError(
                f"unknown hook(s) {', '.join(unknown)}; the contract has {', '.join(known)}"
            )
        return value

    @field_validator("requires")
    @classmethod
    def _check_requires(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from packaging.requirements import InvalidRequirement, Requirement

        for text in value:
            try:
                Requirement(text)
            except InvalidRequirement:
                raise ValueError(
                    f"not a requirement such as 'other-plugin>=1.0': {text!r}"
                ) from None
        return value

    @model_validator(mode="after")
    def _check_contributions(self) -> Manifest:
        for kind, entries, needed in (
            ("templates", self.templates, ("contribute_templates", "render_template")),
            ("commands", self.commands, ("contribute_commands",)),
        ):
            names = [entry.name for entry in entries]
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"{kind} named more than once: {', '.join(duplicates)}")
            missing = [hook for hook in needed if hook not in self.hooks]
            if entries and missing:
                raise ValueError(f"declares {kind} but not the hook(s) {', '.join(missing)}")
        return self

    def declaration(self) -> Declaration:
        """The manifest as plain data, for the host, the CLI and the discovery cache."""
        permissions = self.permissions
        return Declaration(
            name=self.name,
            contract=self.contract,
            hooks=tuple(self.hooks),
            version=self.version,
            description=self.description,
            requires=tuple(self.requires),
            required=tuple(_parse_requirement(text) for text in self.requires),
            permissions=DeclaredPermissions(
                network=permissions.network,
                read=permissions.read,
                write=permissions.write,
                run=permissions.run,
                env=permissions.env,
            ),
            config_schema=self.config_schema,
            templates=tuple(
                DeclaredTemplate(
                    t.name,
                    t.provider,
                    t.output_format,
                    t.description,
                    tuple(t.formats),
                    dict(t.parameters),
                )
                for t in self.templates
            ),
            commands=tuple(DeclaredCommand(c.name, c.help) for c in self.commands),
        )

    def requirement_names(self) -> list[str]:
        """The names of the plugins this one requires, normalised."""
        from packaging.requirements import Requirement

        return [normalize_name(Requirement(text).name) for text in self.requires]


def _parse_requirement(text: str) -> tuple[str, str]:
    from packaging.requirements import Requirement

    requirement = Requirement(text)
    return normalize_name(requirement.name), str(requirement.specifier)


def _inline_references(
    data: dict[str, Any], read_relative: Callable[[str], str], source: str
) -> None:
    """Replace JSON-schema file references (strings) by the parsed files."""

    def load(reference: str, key: str) -> dict[str, Any]:
        from .integers import from_value_error
        from .regular_files import reason
        from .tomlfile import MAX_DEPTH, too_deep

        deep = f"{source}: {key}: {reference!r} is nested more than {MAX_DEPTH} levels deep"
        try:
            loaded = json.loads(read_relative(reference))
        except (OSError, KeyError, UnicodeDecodeError) as exc:
            raise ManifestError(
                f"{source}: {key}: cannot read {reference!r}: {reason(exc)}"
            ) from exc
        except json.JSONDecodeError as exc:
            raise ManifestError(f"{source}: {key}: {reference!r} is not JSON: {exc}") from exc
        except RecursionError:  # json recurses once per nested array or object
            raise ManifestError(deep) from None
        except ValueError as exc:  # Python refuses to read an integer over 4,300 digits
            words = from_value_error(exc)
            if words is None:
                raise
            raise ManifestError(f"{source}: {key}: {reference!r}: {words}") from None
        if too_deep(loaded, MAX_DEPTH):
            raise ManifestError(deep)
        if not isinstance(loaded, dict):
            raise ManifestError(f"{source}: {key}: {reference!r} must hold a JSON object")
        return loaded

    if isinstance(data.get("config_schema"), str):
        data["config_schema"] = load(data["config_schema"], "config_schema")
    for index, template in enumerate(data.get("templates") or []):
        if isinstance(template, dict) and isinstance(template.get("parameters"), str):
            template["parameters"] = load(template["parameters"], f"templates[{index}].parameters")


def parse_manifest(text: str, *, source: str, read_relative: Callable[[str], str]) -> Manifest:
    """Parse and validate a manifest.

    :param text: the TOML text.
    :param source: where it was read from, for messages.
    :param read_relative: reads a file named relative to the manifest (schema references).
    """
    from .tomlfile import loads

    try:
        data = loads(text, source=source)
    except InputError as exc:
        raise ManifestError(str(exc)) from exc
    _inline_references(data, read_relative, source)
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key; see docs/manifest.md for the keys a manifest may have"
        raise ManifestError(f"{source}: {key}: {message}") from None


def is_valid_plugin_name(name: str) -> bool:
    """Whether ``name`` is usable as a plugin name."""
    return bool(_NAME_RE.match(name))
