"""Data types exchanged between the host and plugins.

They are frozen standard-library dataclasses so that importing the contract stays cheap
(no pydantic, no CLI): a plugin that only validates documents pays for nothing else.
Every type has a ``to_dict()`` giving plain JSON-ready data, which is what the host
prints with ``--json`` and what crosses a process boundary.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CommandContribution",
    "DocumentSource",
    "Finding",
    "InfrastructureDocument",
    "Location",
    "PluginInputError",
    "RenderRequest",
    "RenderedTemplate",
    "Severity",
    "TemplateDescriptor",
]


class PluginInputError(Exception):
    """Raised by a plugin when the *user's input* is wrong, not the plugin.

    The host reports the message as a one-line usage error (exit code 2) and keeps the
    plugin running. Any other exception escaping a hook marks the plugin as failed.
    Say what is wrong, where, and what to do, e.g.
    ``PluginInputError("bucket_name 'My_Bucket': S3 bucket names use lowercase letters")``.
    """


class Severity(str, enum.Enum):
    """How serious a finding is. Ordered: ``INFO < WARNING < ERROR``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """A number that orders severities (higher is more serious)."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclass(frozen=True)
class TemplateDescriptor:
    """A template a plugin can render.

    :param name: identifier used on the command line (``cloudcraver template create NAME``);
        lowercase words joined by ``-``.
    :param provider: the cloud it targets: ``aws``, ``azure``, ``gcp`` or another short name.
    :param output_format: the infrastructure language produced: ``cloudformation``,
        ``terraform``, ``arm``, ``gcp-deployment-manager``...
    :param description: one sentence shown by ``template list``.
    :param parameters: the parameter model, a pydantic ``BaseModel`` subclass (preferred:
        the host validates user input with it) or a JSON schema mapping.
    :param formats: the serialisations ``render_template`` accepts as ``request.format``.
    """

    name: str
    provider: str
    output_format: str
    description: str = ""
    parameters: Any = None
    formats: tuple[str, ...] = ("yaml", "json")

    def parameter_schema(self) -> dict[str, Any]:
        """The JSON schema of :attr:`parameters` (empty object schema when there is none)."""
        params = self.parameters
        if params is None:
            return {"type": "object", "properties": {}}
        if isinstance(params, Mapping):
            return dict(params)
        return dict(params.model_json_schema())

    def to_dict(self) -> dict[str, Any]:
        """Plain data, with the parameter model given as its JSON schema."""
        return {
            "name": self.name,
            "provider": self.provider,
            "output_format": self.output_format,
            "description": self.description,
            "formats": list(self.formats),
            "parameters": self.parameter_schema(),
        }


@dataclass(frozen=True)
class RenderRequest:
    """What the host asks ``render_template`` to produce.

    :param template: the template name, one of the plugin's :class:`TemplateDescriptor` names.
    :param name: the instance name the user gave (``template create TEMPLATE NAME``), used by
        the plugin for logical ids, stack descriptions or default resource names.
    :param parameters: the user's parameters, already validated: an instance of the
        descriptor's pydantic model, or a dict when the descriptor gave a JSON schema.
    :param format: the serialisation asked for, one of the descriptor's ``formats``.
    """

    template: str
    name: str
    parameters: Any
    format: str = "yaml"


@dataclass(frozen=True)
class RenderedTemplate:
    """A rendered template.

    :param content: the document text, ready to write to a file. The same request must give
        the same bytes (deterministic output).
    :param format: the serialisation of ``content`` (``yaml`` or ``json``...).
    :param filename: a suggested file name, such as ``my-bucket.yaml``.
    """

    content: str
    format: str
    filename: str | None = None


@dataclass(frozen=True)
class DocumentSource:
    """A file the user asked to validate, read by the host.

    :param path: the path as the user gave it.
    :param text: the decoded content (UTF-8).
    """

    path: str
    text: str

    @property
    def suffix(self) -> str:
        """The file name's ending, lowercased, with compound endings kept (``.tf.json``)."""
        name = self.path.replace("\\", "/").rsplit("/", 1)[-1].lower()
        for compound in (".tf.json", ".template.json", ".template.yaml"):
            if name.endswith(compound):
                return compound
        dot = name.rfind(".")
        return name[dot:] if dot > 0 else ""


@dataclass(frozen=True)
class InfrastructureDocument:
    """A parsed infrastructure document.

    :param path: where it was read from.
    :param format: its language: ``cloudformation``, ``terraform``, ``terraform-plan``,
        ``arm``... Validators skip formats they do not know.
    :param data: the parsed content as plain data (dicts, lists, scalars). The host hands
        validators a read-only copy (``dict`` and ``list`` subclasses that refuse changes):
        check types with ``isinstance``; ``copy.deepcopy`` gives a copy to change.
    :param lines: optional source map from a JSON pointer (``/Resources/Bucket``) to the
        1-based line where that node starts; validators use it for finding locations.
    """

    path: str
    format: str
    data: Any
    lines: Mapping[str, int] = field(default_factory=dict)

    def line_of(self, pointer: str) -> int | None:
        """The line of the closest node at or above ``pointer`` that the source map knows."""
        while True:
            line = self.lines.get(pointer)
            if line is not None or not pointer:
                return line
            pointer = pointer.rsplit("/", 1)[0]


@dataclass(frozen=True)
class Location:
    """Where a finding is.

    :param file: the document's path.
    :param line: 1-based line, when the parser knows it.
    :param column: 1-based column, when known.
    :param path: a JSON pointer inside the document (``/Resources/Bucket/Properties``).
    """

    file: str
    line: int | None = None
    column: int | None = None
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data, leaving out what is unknown."""
        data: dict[str, Any] = {"file": self.file}
        for key in ("line", "column", "path"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass(frozen=True, init=False)
class Finding:
    """One problem a validator found in a document.

    :param rule_id: stable identifier of the rule, such as ``S3_ENCRYPTION``.
    :param severity: a :class:`Severity`.
    :param message: what is wrong, in one sentence.
    :param resource: the resource it concerns (logical id or Terraform address), if any.
    :param location: where it is.
    :param remediation: what to change to fix it.
    :param plugin: the plugin that reported it; filled in by the host, plugins leave it empty.
    """

    rule_id: str
    severity: Severity
    message: str
    resource: str | None = None
    location: Location | None = None
    remediation: str | None = None
    plugin: str | None = None

    def __init__(
        self,
        rule_id: str,
        severity: Severity,
        message: str,
        resource: str | None = None,
        location: Location | None = None,
        remediation: str | None = None,
        plugin: str | None = None,
    ) -> None:
        # What the dataclass's own __init__ writes, without its 7 object.__setattr__ calls
        # (it is frozen): 0.33 against 0.79 microseconds, and a validator may make
        # hundreds of thousands of findings. Filled key by key, the instance dictionary
        # keeps sharing its keys with the class's other instances (208 bytes; a dictionary
        # assigned whole, 336).
        fields = self.__dict__
        fields["rule_id"] = rule_id
        fields["severity"] = severity
        fields["message"] = message
        fields["resource"] = resource
        fields["location"] = location
        fields["remediation"] = remediation
        fields["plugin"] = plugin

    def to_dict(self) -> dict[str, Any]:
        """Plain data, leaving out what is unknown."""
        data: dict[str, Any] = {
            "rule_id": self.rule_id,
            "severity": Severity(self.severity).value,
            "message": self.message,
        }
        if self.resource is not None:
            data["resource"] = self.resource
        if self.location is not None:
            data["location"] = self.location.to_dict()
        if self.remediation is not None:
            data["remediation"] = self.remediation
        if self.plugin is not None:
            data["plugin"] = self.plugin
        return data


@dataclass(frozen=True)
class CommandContribution:
    """A command a plugin adds to the ``cloudcraver`` command line.

    :param name: the command's name, mounted at the top level (``cloudcraver NAME``).
    :param help: one line shown in ``cloudcraver --help``.
    :param command: a ``typer.Typer`` application (mounted as a command group) or a plain
        function (turned into a single command by Typer).
    """

    name: str
    help: str
    command: Callable[..., Any] | Any
