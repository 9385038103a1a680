"""Layered configuration: where each value comes from, and the host's own settings.

Layers, later wins:

1. the plugin's model defaults (applied when the plugin's section is validated);
2. the user file, ``config.toml`` in the host's configuration folder;
3. the project file: ``cloudcraver.toml``, or ``[tool.cloudcraver]`` in ``pyproject.toml``,
   the first found walking up from the working directory to the repository root or home
   (:func:`project_search_folders`); unless the user trusts it, only the settings
   :func:`~cloudcraver_host.trust.untrusted_view` lets through apply;
4. the ``[env.NAME]`` section of those files, for the environment chosen by ``--env NAME``
   or ``CLOUDCRAVER_ENV`` (the user file's section first, then the project's);
5. ``CLOUDCRAVER_*`` environment variables: ``CLOUDCRAVER_PLUGINS__POLICY__MAX_SIZE=5`` sets
   ``plugins.policy.max_size``, and a few documented shortcuts (``CLOUDCRAVER_STRICT``...);
6. command-line options (``--config KEY=VALUE``, ``--strict``, ``--safe-mode``).

Each file holds up to three tables: ``[host]`` (the host's settings, :class:`HostSettings`),
``[plugins.NAME]`` (one per plugin, validated by that plugin's model) and ``[env.NAME]``
(the same two tables again, for one environment). ``${VAR}`` in a string value is read from
the environment when the value is used; such values, and keys that look like secrets, are
redacted when the configuration is shown.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .display import shorten
from .errors import ConfigError
from .integers import from_value_error
from .names import normalize_name
from .tomlfile import IntegerTooLongError, loads, read_toml

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    from .trust import TrustStore

__all__ = [
    "ConfigLayer",
    "HostSettings",
    "LayeredConfig",
    "find_project_config",
    "host_value_problem",
    "load_config",
    "parse_assignment",
    "parse_setting",
    "parse_value",
    "project_search_folders",
    "set_path",
]

ENV_PREFIX = "CLOUDCRAVER_"
TOP_LEVEL_KEYS = ("host", "plugins", "env")
REDACTED = "***"
_SECRET_KEY = re.compile(r"(secret|passw(or)?d|token|api[_-]?key|private[_-]?key|credential)", re.I)
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

#: Environment variables that are shortcuts for host settings (name -> key path, kind).
_SHORTCUTS: dict[str, tuple[tuple[str, ...], str]] = {
    "CLOUDCRAVER_STRICT": (("host", "strict"), "value"),
    "CLOUDCRAVER_SAFE_MODE": (("host", "safe_mode"), "value"),
    "CLOUDCRAVER_PLUGINS": (("host", "only"), "list"),
    "CLOUDCRAVER_PLUGIN_PATH": (("host", "plugin_paths"), "paths"),
    "CLOUDCRAVER_CALL_TIMEOUT": (("host", "call_timeout"), "value"),
}


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError("expected true or false")


def _as_names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # `--config host.only=a,b`
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValueError('expected a list of plugin names, such as ["aws-s3", "policy"]')


def _as_positive_int(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        try:
            value = int(value)
        except ValueError as exc:  # over 4,300 digits: Python's own words are no help
            raise ValueError(from_value_error(exc) or str(exc)) from None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise ValueError("expected a whole number greater than 0")


def _as_paths(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise ValueError('expected a list of paths, such as ["../my-plugin"]')


def _as_seconds(value: Any) -> float:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # then refused below, as any other text
            value = float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e6:
        return float(value)
    raise ValueError("expected a number of seconds, 0 (no limit) or more")


_POLICIES = ("pinned", "patch", "minor", "major")


def _as_policy(value: Any) -> str:
    if isinstance(value, str) and value in _POLICIES:
        return value
    raise ValueError(f"expected one of {', '.join(_POLICIES)}")


def _as_policies(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError('expected a table of plugin = policy, such as {cc-x = "patch"}')
    policies = {}
    for name, policy in value.items():
        try:
            policies[normalize_name(str(name))] = _as_policy(policy)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return policies


#: The ``[host]`` keys and how each value is checked. Checked by hand, not by pydantic:
#: every command reads them, and ``--help`` must not pay for importing pydantic.
_HOST_KEYS: dict[str, Any] = {
    "strict": _as_bool,
    "safe_mode": _as_bool,
    "only": _as_names,
    "plugin_paths": _as_paths,
    "max_document_bytes": _as_positive_int,
    "update_policy": _as_policy,
    "update_policies": _as_policies,
    "call_timeout": _as_seconds,
}


def host_value_problem(key: str, value: Any) -> str | None:
    """What is wrong with ``host.KEY = value`` (as a file would hold it), or ``None``.

    A text holding a ``${VAR}`` reference is checked when it is used, not here.
    """
    check = _HOST_KEYS.get(key)
    if check is None:
        return f"unknown key host.{key}; the keys are {', '.join(_HOST_KEYS)}"
    if isinstance(value, str) and _REFERENCE.search(value):
        return None
    try:
        check(value)
    except ValueError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class HostSettings:
    """The host's own settings, validated from the ``[host]`` table of every layer."""

    strict: bool = False
    safe_mode: bool = False
    only: tuple[str, ...] | None = None
    plugin_paths: tuple[Path, ...] = ()
    # 5 MiB: beyond any CloudFormation (1 MB) or ARM (4 MiB) template, and a dense Terraform
    # JSON file of that size still validates within a few seconds.
    max_document_bytes: int = 5 * 1024 * 1024
    #: How far ``plugin update`` moves a plugin: pinned, patch, minor or major.
    update_policy: str = "major"
    #: The policy of particular plugins (distribution name -> policy).
    update_policies: Mapping[str, str] = field(default_factory=dict)
    #: Seconds a hook call or a plugin import may take before the command is stopped (0: no
    #: limit). A minute: far beyond any honest hook, short enough for CI to fail visibly.
    call_timeout: float = 60.0


@dataclass(frozen=True)
class ConfigLayer:
    """One source of configuration values.

    :param name: the layer: ``user``, ``project``, ``env:NAME``, ``environment``, ``options``.
    :param location: where its values come from, as shown in messages (a file path, or
        a description such as ``environment variable CLOUDCRAVER_STRICT``).
    :param data: its values as nested tables (``host``, ``plugins``).
    :param origins: for values not from a file, where each key path came from.
    :param base_dir: the folder relative paths in this layer are relative to.
    """

    name: str
    location: str
    data: dict[str, Any]
    origins: dict[tuple[str, ...], str] = field(default_factory=dict)
    base_dir: Path | None = None

    def origin_of(self, path: Sequence[str]) -> str | None:
        """Where this layer sets ``path`` (or a table above it), or ``None``."""
        node: Any = self.data
        for depth, key in enumerate(path):
            if not isinstance(node, Mapping) or key not in node:
                return None
            node = node[key]
            described = self.origins.get(tuple(path[: depth + 1]))
            if described:
                return described
        return self.location


@dataclass(frozen=True)
class LayeredConfig:
    """The configuration of one run: every layer, and the environment to read ``${VAR}`` from."""

    layers: tuple[ConfigLayer, ...]
    environ: Mapping[str, str]
    env_name: str | None = None
    project_file: Path | None = None
    #: The project file's settings that were not applied (dotted keys): it is not trusted.
    ignored: tuple[str, ...] = ()
    #: Lines to show the user about how the configuration was found (a skipped file).
    warnings: tuple[str, ...] = ()

    def ignored_note(self) -> str | None:
        """One line on the project settings that were ignored, and how to apply them."""
        if not self.ignored or self.project_file is None:
            return None
        import shlex

        folder = shlex.quote(str(self.project_file.parent))
        return (
            f"note: {len(self.ignored)} setting(s) in {self.project_file} ignored "
            f"(untrusted project: {', '.join(self.ignored)}); "
            f"run `cloudcraver trust {folder}` to apply them"
        )

    def __post_init__(self) -> None:
        # Plugin tables are compared by normalised name, so every spelling lands in its
        # own layer's place and layer order alone decides which value wins.
        normalized = tuple(_normalized_layer(layer) for layer in self.layers)
        object.__setattr__(self, "layers", normalized)

    def merged(self) -> dict[str, Any]:
        """All layers merged, later layers winning key by key (``${VAR}`` not yet resolved)."""
        result: dict[str, Any] = {}
        for layer in self.layers:
            _deep_merge(result, layer.data)
        return result

    def origin(self, path: Sequence[str]) -> str | None:
        """Where the effective value of ``path`` comes from (the last layer setting it)."""
        path = _normalize_path(path)
        for layer in reversed(self.layers):
            found = layer.origin_of(path)
            if found is not None:
                return found
        return None

    def get(self, path: Sequence[str]) -> Any:
        """The effective value at ``path`` with ``${VAR}`` resolved; ``KeyError`` if unset."""
        node: Any = self.merged()
        for key in path:
            if not isinstance(node, Mapping) or key not in node:
                raise KeyError(".".join(path))
            node = node[key]
        return self._resolve(node, tuple(path))

    def plugin_section(self, name: str) -> dict[str, Any]:
        """The merged ``[plugins.NAME]`` table, ``${VAR}`` resolved."""
        section = self.merged().get("plugins", {}).get(normalize_name(name), {})
        if not isinstance(section, Mapping):
            section = {}
        resolved = self._resolve(section, ("plugins", normalize_name(name)))
        assert isinstance(resolved, dict)
        return resolved

    def host_settings(self) -> HostSettings:
        """The validated ``[host]`` table."""
        raw = self._resolve(self.merged().get("host", {}), ("host",))
        values: dict[str, Any] = {}
        for key, value in raw.items():
            check = _HOST_KEYS.get(key)
            origin = self.origin(("host", key))
            where = f"set in {origin}" if origin else "set"
            if check is None:
                raise ConfigError(
                    f"invalid configuration for host settings: unknown key host.{key} ({where}); "
                    f"the keys are {', '.join(_HOST_KEYS)}"
                )
            try:
                values[key] = check(value)
            except ValueError as exc:
                raise ConfigError(
                    f"invalid configuration for host settings: host.{key} = {shorten(repr(value))} "
                    f"({where}): {exc}"
                ) from None
        return HostSettings(
            strict=values.get("strict", False),
            safe_mode=values.get("safe_mode", False),
            only=values.get("only"),
            plugin_paths=tuple(self._plugin_paths()),
            max_document_bytes=values.get("max_document_bytes", HostSettings.max_document_bytes),
            update_policy=values.get("update_policy", HostSettings.update_policy),
            update_policies=values.get("update_policies", {}),
            call_timeout=values.get("call_timeout", HostSettings.call_timeout),
        )

    def validate_plugin(self, name: str, model: type[BaseModel]) -> BaseModel:
        """Validate the plugin's section with its model; a bad value raises :class:`ConfigError`."""
        from pydantic import ValidationError

        try:
            return model.model_validate(self.plugin_section(name))
        except ValidationError as exc:
            raise self.validation_error(f"plugin '{name}'", ("plugins", name), exc) from None

    def validation_error(
        self, what: str, prefix: tuple[str, ...], exc: ValidationError
    ) -> ConfigError:
        """A one-line :class:`ConfigError` for ``exc``'s first error: file, key, expectation."""
        first = exc.errors()[0]
        key_path = (*prefix, *(str(part) for part in first["loc"]))
        kind = {"missing": "missing", "extra_forbidden": "unknown"}.get(first["type"], "bad")
        more = len(exc.errors()) - 1
        tail = f" (and {more} more)" if more else ""
        message = first["msg"].removeprefix("Value error, ") + tail
        return ConfigError(self.problem(what, key_path, message, first.get("input"), kind))

    def problem(
        self, what: str, key_path: tuple[str, ...], expected: str, value: Any, kind: str = "bad"
    ) -> str:
        """One line on a bad configuration value.

        It names the key, the value, where it is set and what is expected; ``kind`` is
        ``bad``, ``missing`` or ``unknown`` (key).
        """
        key = ".".join(key_path)
        origin = self.origin(key_path)
        if kind == "missing":
            return (
                f"invalid configuration for {what}: {key} is required; "
                "no configuration layer sets it"
            )
        where = f"set in {origin}" if origin else ("set" if kind == "unknown" else "default value")
        if kind == "unknown":
            return (
                f"invalid configuration for {what}: unknown key {key} ({where}); "
                "remove it or check its spelling"
            )
        raw = self._raw(key_path)
        if self._is_secret(key_path):
            shown = REDACTED
        elif isinstance(raw, str) and _REFERENCE.search(raw):
            shown = repr(_redact(raw, ()))  # the reference as written, never its value
        else:
            shown = repr(value)
        return f"invalid configuration for {what}: {key} = {shown} ({where}): {expected}"

    def schema_errors(self, name: str, schema: Mapping[str, Any]) -> list[str]:
        """Every way the plugin's section breaks ``schema`` (its manifest's config schema)."""
        from .schema_check import schema_problems

        section = self.plugin_section(name)
        prefix = ("plugins", normalize_name(name))
        messages = []
        for key, expected in schema_problems(schema, section):
            key_path = (*prefix, *key.split(".")) if key else prefix
            node: Any = section
            for part in key_path[2:]:
                node = node.get(part) if isinstance(node, Mapping) else None
            kind = (
                "missing"
                if expected.startswith("required")
                else "unknown"
                if expected.startswith("unknown key")
                else "bad"
            )
            messages.append(self.problem(f"plugin '{name}'", key_path, expected, node, kind))
        return messages

    def redacted(self) -> dict[str, Any]:
        """The merged configuration as it may be shown: secrets and ``${VAR}`` values hidden."""
        shown: dict[str, Any] = _redact(self.merged(), ())
        return shown

    def _is_secret(self, path: Sequence[str]) -> bool:
        return any(_SECRET_KEY.search(part) for part in path)

    def _raw(self, path: Sequence[str]) -> Any:
        node: Any = self.merged()
        for key in _normalize_path(path):
            if not isinstance(node, Mapping) or key not in node:
                return None
            node = node[key]
        return node

    def _resolve(self, value: Any, path: tuple[str, ...]) -> Any:
        if isinstance(value, str):
            return self._interpolate(value, path)
        if isinstance(value, Mapping):
            return {k: self._resolve(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v, path) for v in value]
        return value

    def _interpolate(self, text: str, path: tuple[str, ...]) -> str:
        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in self.environ:
                return self.environ[name]
            if default is not None:
                return default
            origin = self.origin(path) or "configuration"
            raise ConfigError(
                f"{'.'.join(path)} (set in {origin}) refers to ${{{name}}}, which is not set; "
                f"set the environment variable or write ${{{name}:-default}}"
            )

        return _REFERENCE.sub(replace, text)

    def _plugin_paths(self) -> list[Path]:
        # Each layer's paths are relative to that layer's own folder; lists add up.
        paths: list[Path] = []
        for layer in self.layers:
            values = layer.data.get("host", {}).get("plugin_paths", [])
            if isinstance(values, str):
                values = [values]
            if not isinstance(values, list):
                continue
            for raw in values:
                path = Path(self._interpolate(str(raw), ("host", "plugin_paths"))).expanduser()
                if not path.is_absolute() and layer.base_dir is not None:
                    path = layer.base_dir / path
                if path not in paths:
                    paths.append(path)
        return paths


def _normalize_path(path: Sequence[str]) -> tuple[str, ...]:
    # Environment variables cannot hold '-': plugins.aws_s3 configures 'aws-s3'.
    if len(path) >= 2 and path[0] == "plugins":
        return ("plugins", normalize_name(path[1]), *path[2:])
    return tuple(path)


def _normalized_layer(layer: ConfigLayer) -> ConfigLayer:
    """The layer with its plugin tables under normalised names (spellings merged)."""
    plugins = layer.data.get("plugins")
    if not isinstance(plugins, Mapping):
        return layer
    merged: dict[str, Any] = {}
    for name, table in plugins.items():
        if isinstance(table, Mapping):
            _deep_merge(merged.setdefault(normalize_name(name), {}), table)
    data = {**layer.data, "plugins": merged}
    origins = {_normalize_path(path): text for path, text in layer.origins.items()}
    return ConfigLayer(layer.name, layer.location, data, origins, layer.base_dir)


def _deep_merge(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    for key, value in other.items():
        current = into.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            _deep_merge(current, value)
        elif isinstance(value, Mapping):
            into[key] = {}
            _deep_merge(into[key], value)
        else:
            into[key] = value


def _redact(value: Any, path: tuple[str, ...]) -> Any:
    if isinstance(value, Mapping):
        return {k: _redact(v, (*path, k)) for k, v in value.items()}
    if path and _SECRET_KEY.search(path[-1]) and value not in (None, ""):
        return REDACTED
    if isinstance(value, str) and _REFERENCE.search(value):
        return value  # shown as written: the reference, never what it resolves to
    if isinstance(value, list):
        return [_redact(v, path) for v in value]
    return value


def parse_value(raw: str) -> Any:
    """A value written as in TOML (``true``, ``3``, ``"text"``, ``["a"]``); else the text itself.

    :raises ConfigError: it holds an integer too long for Python (the message says so and
        to quote it; the caller says where): taken as text, it would surprise whoever meant it.
    """
    try:
        return loads(f"v = {raw}", source="value")["v"]
    except IntegerTooLongError as exc:
        raise ConfigError(exc.words) from None
    except ConfigError:
        return raw


def parse_setting(raw: str) -> Any:
    """A value from an environment variable or ``--config``.

    Arrays, tables and quoted strings are read as TOML; anything else stays text for the
    model to convert,
    so ``ACCOUNT=0123`` stays ``"0123"`` for a text field and validates as a number for a
    numeric one.
    """
    stripped = raw.strip()
    if stripped.startswith(("[", "{", '"', "'")):
        return parse_value(stripped)
    return raw


def parse_assignment(
    text: str, *, source: str, parse: Callable[[str], Any] = parse_value
) -> tuple[tuple[str, ...], Any]:
    """Split ``a.b.c=value`` into the key path and the value read by ``parse``."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"{source}: expected KEY=VALUE (such as host.strict=true), got {text!r}")
    try:
        return tuple(key.split(".")), parse(raw.strip())
    except ConfigError as exc:
        raise ConfigError(f"{source} {shorten(key)}: {exc}") from None


def set_path(data: dict[str, Any], path: Sequence[str], value: Any) -> dict[str, Any]:
    """Set ``data[a][b][c] = value`` for ``path`` ``(a, b, c)``, making tables on the way."""
    node = data
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value
    return data


def project_search_folders(start: Path, home: Path | None = None) -> list[Path]:
    """The folders searched for a project file, nearest first.

    The search goes up from ``start`` and stops at the repository root (the folder holding
    ``.git``, searched) or the user's home (searched), never above it. A folder others may
    write to (world-writable, such as ``/tmp``) or owned by another user (not root) ends the
    search before it: a file left there by someone else must not configure everyone below.
    """
    home = (home if home is not None else Path.home()).resolve()
    start = start.resolve()
    folders: list[Path] = []
    for folder in (start, *start.parents):
        if _shared_folder(folder):
            break
        folders.append(folder)
        if folder == home or (folder / ".git").exists():
            break
    return folders


def _shared_folder(folder: Path) -> bool:
    import stat

    try:
        info = folder.stat()
    except OSError:
        return True  # cannot tell who owns it: do not look further
    if os.name != "posix":
        return False  # Windows: no such ownership test; the boundaries above still apply
    if info.st_mode & stat.S_IWOTH:
        return True
    return info.st_uid not in (0, os.getuid())  # type: ignore[attr-defined,unused-ignore]


def find_project_config(
    start: Path, *, home: Path | None = None, warnings: list[str] | None = None
) -> tuple[Path, dict[str, Any]] | None:
    """The nearest ``cloudcraver.toml`` or ``pyproject.toml`` with ``[tool.cloudcraver]``.

    See :func:`project_search_folders` for where it looks. A malformed ``cloudcraver.toml``
    is an error (the file exists only for cloudcraver), and so is one that is not a regular
    file (a FIFO, a device, a folder: refused without opening it, never silently passed
    over); a malformed ``pyproject.toml`` may belong to an unrelated project, so it is
    skipped with a line in ``warnings``.
    """
    for folder in project_search_folders(start, home):
        candidate = folder / "cloudcraver.toml"
        if _exists(candidate):
            return candidate, _read_project_file(candidate)
        pyproject = folder / "pyproject.toml"
        if _exists(pyproject):
            try:
                data = read_toml(pyproject)
            except ConfigError as exc:
                if warnings is not None:
                    warnings.append(f"{exc} (skipped while looking for [tool.cloudcraver])")
                continue
            tool = data.get("tool")
            table = tool.get("cloudcraver") if isinstance(tool, dict) else None
            if isinstance(table, dict):
                return pyproject, table
    return None


def _exists(path: Path) -> bool:
    """Whether something is at ``path`` (links followed), whatever kind of file it is."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True  # there, but cannot be looked at: reading it says why
    return True


def _read_project_file(path: Path) -> dict[str, Any]:
    """``cloudcraver.toml``'s tables; one that is not a regular file is refused, unopened."""
    from .regular_files import NotRegularFileError, read_text, reason

    try:
        text = read_text(path)
    except NotRegularFileError as exc:
        raise ConfigError(
            f"{path}: cannot read the project configuration: {reason(exc)}; "
            "replace it with a regular file or remove it"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {reason(exc)}") from exc
    return loads(text, source=str(path))


def _check_file_shape(data: Mapping[str, Any], location: str) -> None:
    for key, value in data.items():
        if key not in TOP_LEVEL_KEYS:
            raise ConfigError(
                f"{location}: unknown table [{key}]; expected [host], [plugins.NAME] or [env.NAME]"
            )
        if not isinstance(value, Mapping):
            raise ConfigError(f"{location}: {key} must be a table, such as [{key}]")
    for name, section in data.get("plugins", {}).items():
        if not isinstance(section, Mapping):
            raise ConfigError(f"{location}: plugins.{name} must be a table [plugins.{name}]")


def _file_layer(name: str, path: Path, data: dict[str, Any]) -> ConfigLayer:
    location = str(path) if path.name != "pyproject.toml" else f"{path} [tool.cloudcraver]"
    _check_file_shape(data, location)
    body = {k: v for k, v in data.items() if k != "env"}
    return ConfigLayer(name, location, body, base_dir=path.parent)


def _env_section_layer(env_name: str, path: Path, data: Mapping[str, Any]) -> ConfigLayer | None:
    section = data.get("env", {}).get(env_name)
    if section is None:
        return None
    location = f"{path} [env.{env_name}]"
    if not isinstance(section, Mapping):
        raise ConfigError(f"{location}: must be a table")
    _check_file_shape(section, location)
    body = {k: v for k, v in section.items() if k != "env"}
    return ConfigLayer(f"env:{env_name}", location, body, base_dir=path.parent)


def _environment_layer(environ: Mapping[str, str], base_dir: Path) -> ConfigLayer:
    data: dict[str, Any] = {}
    origins: dict[tuple[str, ...], str] = {}
    for variable in sorted(environ):
        try:
            found = _environment_setting(variable, environ[variable])
        except ConfigError as exc:
            raise ConfigError(f"environment variable {variable}: {exc}") from None
        if found is None:
            continue
        path, parsed = found
        set_path(data, path, parsed)
        origins[path] = f"environment variable {variable}"
    return ConfigLayer("environment", "environment variables", data, origins, base_dir=base_dir)


def _environment_setting(variable: str, value: str) -> tuple[tuple[str, ...], Any] | None:
    """The setting a ``CLOUDCRAVER_*`` variable makes (key path, value), if it makes one."""
    if variable in _SHORTCUTS:
        path, kind = _SHORTCUTS[variable]
        if kind == "list":
            return path, [p.strip() for p in value.split(",") if p.strip()]
        if kind == "paths":
            return path, [p for p in value.split(os.pathsep) if p]
        return path, parse_setting(value)
    if not variable.startswith(ENV_PREFIX) or "__" not in variable:
        return None
    path = tuple(p.lower() for p in variable[len(ENV_PREFIX) :].split("__"))
    if any(not p for p in path) or path[0] not in ("host", "plugins"):
        return None
    return path, parse_setting(value)


def load_config(
    *,
    user_file: Path,
    cwd: Path | None = None,
    env_name: str | None = None,
    environ: Mapping[str, str] | None = None,
    options: Iterable[str] = (),
    option_settings: Mapping[str, Any] | None = None,
    trust: TrustStore | None = None,
    home: Path | None = None,
) -> LayeredConfig:
    """Read every layer for a run.

    :param user_file: the user configuration file (absent is fine).
    :param cwd: where to start looking for the project file (default: the working directory).
    :param env_name: the environment section to apply; ``None`` reads ``CLOUDCRAVER_ENV``.
    :param environ: the environment (default: ``os.environ``).
    :param options: ``KEY=VALUE`` assignments from ``--config``.
    :param option_settings: host settings given as dedicated options (``{"strict": True}``).
    :param trust: the user's trusted projects: a project file it does not trust applies only
        what :func:`~cloudcraver_host.trust.untrusted_view` lets through. ``None`` applies the
        project file in full (for callers that decided to trust it; the CLI always passes one).
    :param home: the user's home, where the project search stops (default: ``Path.home()``).
    """
    env = dict(os.environ if environ is None else environ)
    start = Path.cwd() if cwd is None else cwd
    env_name = env_name or env.get("CLOUDCRAVER_ENV") or None
    layers: list[ConfigLayer] = []
    sources: list[tuple[Path, dict[str, Any]]] = []

    user_data = read_toml(user_file)
    layers.append(_file_layer("user", user_file, user_data))
    sources.append((user_file, user_data))
    warnings: list[str] = []
    ignored: tuple[str, ...] = ()
    project = find_project_config(start, home=home, warnings=warnings)
    if project is not None:
        project, ignored = _trusted_part(project, user_data, trust)
        layers.append(_file_layer("project", *project))
        sources.append(project)
    if env_name:
        env_layers = [
            layer
            for path, data in sources
            if (layer := _env_section_layer(env_name, path, data)) is not None
        ]
        if not env_layers:
            known = sorted({n for _, data in sources for n in data.get("env", {})})
            hint = f"defined: {', '.join(known)}" if known else "no file defines any [env.NAME]"
            raise ConfigError(
                f"environment '{env_name}' (from --env or CLOUDCRAVER_ENV) is not defined in "
                f"{' or '.join(str(p) for p, _ in sources)}; {hint}"
            )
        layers.extend(env_layers)
    layers.append(_environment_layer(env, start))

    option_data: dict[str, Any] = {}
    option_origins: dict[tuple[str, ...], str] = {}
    for assignment in options:
        path, value = parse_assignment(assignment, source="--config", parse=parse_setting)
        if path[0] not in ("host", "plugins"):
            raise ConfigError(
                f"--config {assignment}: keys start with host. or plugins.NAME., got {path[0]!r}"
            )
        set_path(option_data, path, value)
        option_origins[path] = f"option --config {shorten(assignment)}"
    for key, value in (option_settings or {}).items():
        set_path(option_data, ("host", key), value)
        option_origins[("host", key)] = f"option --{key.replace('_', '-')}"
    layers.append(ConfigLayer("options", "command-line options", option_data, option_origins))
    return LayeredConfig(
        tuple(layers),
        env,
        env_name,
        project[0] if project is not None else None,
        ignored=ignored,
        warnings=tuple(warnings),
    )


def _trusted_part(
    project: tuple[Path, dict[str, Any]], user_data: Mapping[str, Any], trust: TrustStore | None
) -> tuple[tuple[Path, dict[str, Any]], tuple[str, ...]]:
    """The project file's settings that apply, and the keys ignored (it is untrusted)."""
    from .trust import settings_digest, untrusted_view

    path, data = project
    if trust is None or trust.is_trusted(path, settings_digest(data)):
        return project, ()
    view = untrusted_view(data, user_data)
    return (path, view.data), view.ignored
