"""The template catalog: which plugin offers which template, and rendering one.

Listing reads manifests (no import); a plugin without a manifest is asked through its
``contribute_templates`` hook. Rendering validates the user's parameters with the
template's own parameter model before the plugin sees them, so a plugin only ever
renders valid input, and a bad value is reported against ``--set`` or the parameter file
it came from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from cloudcraver_hookspecs import RenderedTemplate, RenderRequest, TemplateDescriptor

from .errors import InputError, PluginFailedError
from .lifecycle import PluginStatus

if TYPE_CHECKING:
    from pydantic import ValidationError

    from .host import PluginHost

__all__ = [
    "ParameterSource",
    "TemplateOffer",
    "find_template",
    "list_templates",
    "load_parameters",
    "render_template",
]


@dataclass(frozen=True)
class TemplateOffer:
    """A template as the catalog lists it.

    :param name: the template name.
    :param plugin: the plugin offering it.
    :param provider: the cloud it targets.
    :param output_format: the infrastructure language produced.
    :param description: one line about it.
    :param formats: the serialisations it renders to.
    :param parameters: the JSON schema of its parameters.
    """

    name: str
    plugin: str
    provider: str
    output_format: str
    description: str
    formats: tuple[str, ...]
    parameters: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "name": self.name,
            "plugin": self.plugin,
            "provider": self.provider,
            "output_format": self.output_format,
            "description": self.description,
            "formats": list(self.formats),
            "parameters": self.parameters,
        }


def list_templates(host: PluginHost, *, load: bool = False) -> list[TemplateOffer]:
    """Every template offered by a plugin that may run, by name then plugin.

    Templates come from manifests. A plugin without a manifest is represented by what it
    contributed when it was last asked; one never asked is imported and asked only with
    ``load``, and the answer is remembered (see :mod:`cloudcraver_host.learned`).
    """
    offers: list[TemplateOffer] = []
    for info in host.plugins():
        if info.blocked is not None or info.status is PluginStatus.FAILED:
            continue
        manifest = host.record(info.name).manifest
        if manifest is not None:
            offers.extend(
                TemplateOffer(
                    t.name,
                    info.name,
                    t.provider,
                    t.output_format,
                    t.description,
                    tuple(t.formats),
                    dict(t.parameters),
                )
                for t in manifest.templates
            )
        elif info.hooks is None or "contribute_templates" in info.hooks:
            offers.extend(_unmanifested_offers(host, info.name, load=load))
    return sorted(offers, key=lambda o: (o.name, o.plugin))


def unlisted_plugins(host: PluginHost) -> list[str]:
    """Plugins without a manifest whose templates are unknown until they are loaded."""
    return [
        info.name
        for info in host.plugins()
        if info.blocked is None
        and info.status is not PluginStatus.FAILED
        and not info.has_manifest
        and host.learned(info.name, "templates") is None
    ]


def _unmanifested_offers(host: PluginHost, plugin: str, *, load: bool) -> list[TemplateOffer]:
    seen = host.learned(plugin, "templates")
    if isinstance(seen, list):
        return [TemplateOffer(**{**t, "formats": tuple(t["formats"])}) for t in seen]
    if not load:
        return []
    descriptors = _descriptors(host, plugin, required=False)
    with host.guarded(plugin, "contribute_templates"):  # a model's schema is plugin code
        offers = [_offer(plugin, d) for d in descriptors]
    if host.info(plugin).failure is None:
        host.remember(plugin, "templates", [o.to_dict() for o in offers])
    return offers


def _offer(plugin: str, descriptor: TemplateDescriptor) -> TemplateOffer:
    return TemplateOffer(
        descriptor.name,
        plugin,
        descriptor.provider,
        descriptor.output_format,
        descriptor.description,
        tuple(descriptor.formats),
        descriptor.parameter_schema(),
    )


def _descriptors(host: PluginHost, plugin: str, *, required: bool) -> list[TemplateDescriptor]:
    try:
        result = host.call_plugin(plugin, "contribute_templates")
    except PluginFailedError:
        if required:
            raise
        return []  # the failure is already reported; listing goes on without it
    if result is None:
        return []
    if isinstance(result, (list, tuple)) and all(isinstance(d, TemplateDescriptor) for d in result):
        return list(result)
    reason = (
        f"contribute_templates returned {type(result).__name__}, not a list of TemplateDescriptor"
    )
    host.fail_plugin(plugin, reason, hook="contribute_templates")
    if required:
        raise PluginFailedError(f"plugin '{plugin}' failed: {reason}")
    return []


def find_template(
    host: PluginHost, name: str, plugin: str | None = None, *, load: bool = False
) -> TemplateOffer:
    """The offer for ``name`` (from ``plugin`` if given).

    :param load: import plugins without a manifest whose templates are not known yet.
    :raises InputError: if no plugin offers it, or several do and ``plugin`` is not given.
    """
    offers = list_templates(host, load=load)
    matching = [o for o in offers if o.name == name]
    if plugin is not None:
        host.info(plugin)  # unknown plugin -> a clear error
        matching = [o for o in matching if o.plugin == host.info(plugin).name]
        if not matching:
            raise InputError(
                f"plugin '{plugin}' offers no template '{name}'; see: cloudcraver template list"
            )
    if not matching:
        _raise_if_not_loaded(host, name)
        import difflib

        close = difflib.get_close_matches(name, sorted({o.name for o in offers}), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see: cloudcraver template list"
        raise InputError(f"unknown template '{name}'; {hint}")
    if len(matching) > 1:
        plugins = ", ".join(o.plugin for o in matching)
        raise InputError(
            f"template '{name}' is offered by several plugins ({plugins}); choose one with --plugin"
        )
    return matching[0]


def _raise_if_not_loaded(host: PluginHost, name: str) -> None:
    """Say so when ``name`` is a template of a plugin that is disabled, skipped or failed."""
    for info in host.plugins():
        if name not in info.templates:
            continue
        if info.blocked is not None:
            raise InputError(
                f"template '{name}' comes from plugin '{info.name}', which is not loaded: "
                f"{info.blocked}"
            )
        if info.failure is not None:
            raise PluginFailedError(
                f"template '{name}' comes from plugin '{info.name}', which "
                f"{info.failure.describe().split(' ', 2)[2]}",
                failure=info.failure,
            )


@dataclass(frozen=True)
class ParameterSource:
    """Template parameters and where each top-level key came from (for error messages)."""

    values: dict[str, Any]
    origins: dict[str, str]


def load_parameters(params_file: Path | None, assignments: Sequence[str]) -> ParameterSource:
    """Read ``--params FILE`` (JSON, TOML or YAML), then apply ``--set key=value`` on top."""
    from .config import parse_assignment, set_path
    from .display import shorten

    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    if params_file is not None:
        loaded = _read_parameter_file(params_file)
        values.update(loaded)
        origins.update(dict.fromkeys(loaded, f"--params {params_file}"))
    for text in assignments:
        path, value = parse_assignment(text, source="--set")
        set_path(values, path, value)
        origins[path[0]] = f"--set {shorten(text)}"  # a 100 kB value is not echoed whole
    return ParameterSource(values, origins)


def _read_parameter_file(path: Path) -> dict[str, Any]:
    from . import integers, regular_files
    from .tomlfile import MAX_DEPTH, loads, too_deep

    try:
        text = regular_files.read_text(path)  # a regular file of at most SMALL_FILE_LIMIT bytes
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"--params {path}: cannot read: {regular_files.reason(exc)}") from exc
    suffix = path.suffix.lower()
    deep = f"nested more than {MAX_DEPTH} levels deep; no template needs that many"
    try:
        if suffix == ".toml":
            data: Any = loads(text, source=f"--params {path}")
        elif suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except InputError:
        raise
    except RecursionError:  # json and yaml recurse once per nested list or mapping
        raise InputError(f"--params {path}: {deep}") from None
    except Exception as exc:
        reason = integers.from_value_error(exc) or " ".join(str(exc).split())  # one line
        raise InputError(
            f"--params {path}: not valid {suffix.lstrip('.') or 'JSON'}: {reason}"
        ) from exc
    if not isinstance(data, dict):
        raise InputError(f"--params {path}: must hold a table/object of parameters")
    if too_deep(data, MAX_DEPTH):  # a plugin's model or renderer would recurse through it
        raise InputError(f"--params {path}: {deep}")
    digits = integers.longest_integer(data)  # YAML's 0xfff...: read, but never printable
    if digits is not None:
        raise InputError(f"--params {path}: {integers.too_long(digits)}")
    return data


def render_template(
    host: PluginHost,
    template: str,
    name: str,
    parameters: ParameterSource,
    *,
    output: str = "yaml",
    plugin: str | None = None,
) -> RenderedTemplate:
    """Validate ``parameters`` for ``template`` and have its plugin render it."""
    offer = find_template(host, template, plugin, load=True)
    if output not in offer.formats:
        raise InputError(
            f"template '{template}' renders {', '.join(offer.formats)}, not {output!r}; "
            "choose one with --format"
        )
    descriptor = next(
        (d for d in _descriptors(host, offer.plugin, required=True) if d.name == template), None
    )
    if descriptor is None:
        reason = f"its manifest offers template '{template}' but contribute_templates does not"
        host.fail_plugin(offer.plugin, reason, hook="contribute_templates")
        raise PluginFailedError(f"plugin '{offer.plugin}' failed: {reason}")
    with host.guarded(offer.plugin, "parameters"):  # the model's validators are plugin code
        validated = _validate_parameters(descriptor, parameters, template)
    request = RenderRequest(template=template, name=name, parameters=validated, format=output)
    result = host.call_plugin(offer.plugin, "render_template", request=request)
    problem = _rendering_problem(result)
    if problem is not None:
        host.fail_plugin(offer.plugin, problem, hook="render_template")
        raise PluginFailedError(
            f"plugin '{offer.plugin}' failed to render template '{template}': {problem}"
        )
    return cast(RenderedTemplate, result)  # checked just above


def _rendering_problem(result: Any) -> str | None:
    r"""What makes a ``render_template`` result unusable, or ``None``.

    Its content is written to a file or a terminal as UTF-8: text that cannot be encoded
    (a lone surrogate such as ``"\ud800"``) is the plugin's fault, found before anything
    is written, not an internal error while printing it.
    """
    if not isinstance(result, RenderedTemplate):
        return f"render_template returned {type(result).__name__}, not RenderedTemplate"
    if not isinstance(result.content, str):
        return f"its content is {type(result.content).__name__}, not text"
    try:
        result.content.encode("utf-8")
    except UnicodeEncodeError as exc:
        char = result.content[exc.start]
        return f"its content holds {char!r} at character {exc.start}, a lone surrogate"
    return None


def _validate_parameters(
    descriptor: TemplateDescriptor, source: ParameterSource, template: str
) -> Any:
    model = descriptor.parameters
    if model is None or isinstance(model, Mapping):
        _check_against_schema(model or {}, source, template)
        return dict(source.values)
    from pydantic import ValidationError

    try:
        return model.model_validate(source.values)
    except ValidationError as exc:
        raise _parameter_error(exc, source, template) from None


def _parameter_error(exc: ValidationError, source: ParameterSource, template: str) -> InputError:
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(parameters)"
    top = str(first["loc"][0]) if first["loc"] else ""
    origin = source.origins.get(top)
    where = f" (from {origin})" if origin else ""
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = f"unknown parameter; see: cloudcraver template info {template}"
    more = len(exc.errors()) - 1
    tail = f" (and {more} more)" if more else ""
    return InputError(f"template '{template}': parameter {key}{where}: {message}{tail}")


def _check_against_schema(
    schema: Mapping[str, Any], source: ParameterSource, template: str
) -> None:
    """The checks a JSON-schema-only template gets: unknown and missing top-level keys."""
    properties = schema.get("properties", {})
    if schema.get("additionalProperties") is False:
        for key in source.values:
            if key not in properties:
                origin = source.origins.get(key, "")
                raise InputError(
                    f"template '{template}': parameter {key} (from {origin}): unknown parameter; "
                    f"see: cloudcraver template info {template}"
                )
    for key in schema.get("required", []):
        if key not in source.values:
            raise InputError(
                f"template '{template}': parameter {key} is required; set it with --set {key}=..."
            )
