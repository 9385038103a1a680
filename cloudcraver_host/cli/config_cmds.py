"""``cloudcraver config ...``: show, read, change and check the configuration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from ..display import escape
from ..errors import ConfigError, InputError
from .context import CliState, command, eprint, one_line, state_of
from .output import new_typer, print_json, print_table

app = new_typer(help="Show, read, change and check the configuration.", no_args_is_help=True)


def _flatten(data: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(data, dict) and data:
        rows: list[tuple[tuple[str, ...], Any]] = []
        for key, value in data.items():
            rows.extend(_flatten(value, (*prefix, key)))
        return rows
    return [(prefix, data)]


@app.command("show")
@command
def show(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    origins: bool = typer.Option(False, "--origins", help="Show where each value comes from."),
) -> None:
    """Show the effective configuration (secrets redacted) and its files."""
    state = state_of(ctx)
    if origins:
        state.project_noted = True  # said below, in the table's output, not on stderr too
    config = state.config
    if origins:
        for warning in config.warnings:
            eprint(f"warning: {one_line(warning)}")
    shown = config.redacted()
    if as_json:
        files = [layer.location for layer in config.layers if layer.base_dir and layer.data]
        print_json({"config": shown, "env": config.env_name, "files": files})
        return
    if origins:
        rows = [
            [".".join(path), json.dumps(value), config.origin(path) or "-"]
            for path, value in _flatten(shown)
            if path
        ]
        print_table(None, ["Key", "Value", "From"], rows)
        note = config.ignored_note()
        if note is not None:
            print(escape(note))
        return
    from ..tomlfile import dumps

    text = dumps(shown)
    print(
        text if text else "# no configuration set: every value is its default",
        end="" if text else "\n",
    )


@app.command("get")
@command
def get(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="A dotted key, such as host.strict or plugins.policy."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print one value of the effective configuration."""
    config = state_of(ctx).config
    path = tuple(key.split("."))
    node: Any = config.redacted()
    for part in path:
        if not isinstance(node, dict) or part not in node:
            raise InputError(
                f"{key} is not set in any configuration layer; see: cloudcraver config show"
            )
        node = node[part]
    if as_json:
        print_json({"key": key, "value": node, "from": config.origin(path)})
    elif isinstance(node, str):
        print(escape(node))  # text from a file: no control may reach the terminal raw
    else:
        print(json.dumps(node))  # ASCII: json escapes the rest


def _key_path(key: str) -> tuple[str, ...]:
    path = tuple(key.split("."))
    if len(path) < 2 or path[0] not in ("host", "plugins", "env") or not all(path):
        raise InputError(
            f"{key}: keys look like host.NAME, plugins.PLUGIN.NAME or env.ENV.host.NAME"
        )
    return path


def _target(state: CliState, project: bool) -> Path:
    """The file ``set``/``unset`` write: the user file, or the project's cloudcraver.toml."""
    if not project:
        return state.paths.config_file
    target = state.config.project_file or Path.cwd() / "cloudcraver.toml"
    if target.name == "pyproject.toml":
        raise ConfigError(
            f"{target}: the project configuration is [tool.cloudcraver] in pyproject.toml; "
            "edit it there by hand"
        )
    return target


def _check_value(state: CliState, path: tuple[str, ...], value: Any, raw: str) -> str | None:
    """What makes ``value`` wrong at ``path``; ``None`` if right or (with a warning) unchecked."""
    from ..config_check import host_assignment_problem, plugin_value_problem, setting_path
    from ..names import normalize_name

    setting = setting_path(path)
    if len(setting) < 2 or setting[0] not in ("host", "plugins"):
        return "keys under env.ENV look like env.ENV.host.NAME or env.ENV.plugins.PLUGIN.NAME"
    if setting[0] == "host":
        return host_assignment_problem(setting, value)
    name = normalize_name(setting[1])
    host = state.quiet_host()
    if name not in host.names():
        eprint(f"warning: no plugin named '{setting[1]}' is installed; the value is not checked")
        return None
    manifest = host.record(name).manifest
    if manifest is not None and manifest.config_schema is not None:
        section = state.config.merged().get("plugins", {}).get(name, {})
        return plugin_value_problem(section, setting[2:], value, manifest.config_schema, raw)
    return _model_problem(state, name, setting, value, raw)


def _model_problem(
    state: CliState, name: str, setting: tuple[str, ...], value: Any, raw: str
) -> str | None:
    """Check the value with the plugin's own model: it has no schema, so it is imported."""
    from ..config import ConfigLayer, LayeredConfig, set_path
    from ..config_check import quote_hint

    current = state.config
    pending = ConfigLayer("pending", "the value being set", set_path({}, setting, value))
    config = LayeredConfig(
        (*current.layers, pending), current.environ, current.env_name, current.project_file
    )
    host = state.silent_host(config)
    try:
        failure = host.activate(name).failure
    finally:
        host.close()
    if failure is not None and failure.user_error:
        return failure.reason + quote_hint(failure.reason, value, raw)
    if failure is not None:
        eprint(f"warning: the value is not checked: {failure.describe()}")
    return None


@app.command("set")
@command
def set_value(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="A dotted key, such as host.strict or plugins.policy.x."),
    value: str = typer.Argument(..., help='The value, as in TOML: true, 3, "text", ["a", "b"].'),
    project: bool = typer.Option(
        False, "--project", help="Write to the project's cloudcraver.toml instead of the user file."
    ),
) -> None:
    """Set a value in the user (or project) configuration file, checked first."""
    from ..config import parse_value
    from ..config_edit import set_config_value

    state = state_of(ctx)
    path = _key_path(key)
    target = _target(state, project)
    try:
        parsed = parse_value(value)
    except ConfigError as exc:
        raise ConfigError(f"cannot set {key}: {exc}; {target} is unchanged") from None
    problem = _check_value(state, path, parsed, value)
    if problem is not None:
        raise ConfigError(f"cannot set {key} = {value}: {problem}; {target} is unchanged")
    set_config_value(target, path, parsed)
    print(escape(f"set {key} = {value} in {target}"))


@app.command("unset")
@command
def unset_value(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="A dotted key, such as host.strict or plugins.policy."),
    project: bool = typer.Option(
        False, "--project", help="Remove it from the project's cloudcraver.toml instead."
    ),
) -> None:
    """Remove a value (or a whole table) from the user (or project) configuration file."""
    from ..config_edit import unset_config_value

    state = state_of(ctx)
    path = _key_path(key)
    target = _target(state, project)
    if not unset_config_value(target, path):
        raise InputError(f"{key} is not set in {target}; nothing changed")
    print(escape(f"unset {key} in {target}"))


@app.command("validate")
@command
def validate_config(
    ctx: typer.Context,
    load: bool = typer.Option(
        False,
        "--load",
        help="Also import and activate plugins, so their own models check everything "
        "(a manifest's schema cannot express a model's own rules).",
    ),
) -> None:
    """Check the host settings, and each enabled plugin's table against its manifest's schema.

    Imports no plugin unless --load is given.
    """
    state = state_of(ctx)
    state.config.host_settings()
    host = state.host()
    problems: list[str] = []
    unchecked: list[str] = []
    for info in host.plugins():
        if info.blocked is not None or info.failure is not None:
            continue
        if load:
            activated = host.activate(info.name)
            if activated.failure is not None and activated.failure.user_error:
                problems.append(activated.failure.reason)  # printed as it happened
            continue
        manifest = host.record(info.name).manifest
        if manifest is None or manifest.config_schema is None:
            unchecked.append(info.name)
            continue
        for message in state.config.schema_errors(info.name, manifest.config_schema):
            eprint(f"error: {message}")
            problems.append(message)
    if unchecked:
        eprint(
            f"note: not checked without --load: {', '.join(unchecked)} "
            "(no config schema in a manifest)"
        )
    if problems:
        raise ConfigError(f"{len(problems)} invalid configuration value(s) (see above)")
    print("configuration is valid")
