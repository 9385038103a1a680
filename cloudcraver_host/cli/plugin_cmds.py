"""``cloudcraver plugin ...``: list, inspect, enable and disable plugins.

The commands that change the installed plugins live in :mod:`.install_cmds`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from .context import command, complete_plugin_names, state_of
from .output import new_typer, print_json, print_table

if TYPE_CHECKING:
    from ..host import PluginHost
    from ..lifecycle import PluginInfo

app = new_typer(
    help="List, inspect, enable, disable, install, update and roll back plugins.",
    no_args_is_help=True,
)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of a table.")


def status_text(info: PluginInfo) -> str:
    """The status as people read it: ``activated``, ``disabled``, ``failed at load``..."""
    if info.blocked is not None:
        if not info.enabled:
            return "disabled"
        return "skipped (safe mode)" if info.blocked.startswith("safe mode") else "skipped"
    if info.failure is not None:
        return f"failed at {info.failure.stage.value}"
    if _last_failure_applies(info):
        assert info.last_failure is not None
        return f"failed at {info.last_failure['stage']} (last run)"
    return info.status.value


def _last_failure_applies(info: PluginInfo) -> bool:
    # Listing imports nothing, so an import failure is known from the command that met it.
    # The host forgets it once the plugin runs cleanly: a clean import (``--load``) clears
    # an import failure, a clean activation any failure.
    last = info.last_failure
    if last is None or last["version"] != info.version:
        return False
    if info.status.value == "loaded":  # imported now, not called: a later failure still counts
        return last["stage"] not in ("validate", "load")
    return info.status.value in ("registered", "validated")


def reason_text(info: PluginInfo) -> str:
    """The failure reason (now, or at the last run) or the description."""
    if info.failure is not None:
        return info.failure.reason
    if _last_failure_applies(info):
        assert info.last_failure is not None
        return info.last_failure["reason"]
    return info.description


LOAD_OPTION = typer.Option(
    False,
    "--load",
    help="Import enabled plugins that have no manifest to learn their hooks (listing "
    "otherwise imports no plugin code and shows what was seen at their last load).",
)


def _learn_hooks(host: PluginHost, infos: list[PluginInfo]) -> list[PluginInfo]:
    """Import the enabled plugins without a manifest, so their hooks (or failure) are known."""
    return [
        host.load(info.name)
        if info.hooks is None and info.blocked is None and info.failure is None
        else info
        for info in infos
    ]


@app.command("list")
@command
def list_plugins(
    ctx: typer.Context,
    show_all: bool = typer.Option(
        False, "--all", help="Also show disabled plugins and those skipped by safe mode."
    ),
    load: bool = LOAD_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List the plugins found, with version, status and origin (imports no plugin)."""
    host = state_of(ctx).host()
    infos = [i for i in host.plugins() if show_all or i.blocked is None]
    if load:
        infos = _learn_hooks(host, infos)
    if as_json:
        print_json([info.to_dict() for info in infos])
        return
    if not infos:
        skipped = len(host.plugins())
        if skipped:
            print(f"No plugin is loaded: {skipped} disabled or skipped (see: plugin list --all)")
        else:
            print("No plugins found: install one with pip (see docs/writing-plugins.md)")
        return
    rows = [
        [
            info.name,
            info.version,
            status_text(info),
            "first-party" if info.first_party else info.kind,
            reason_text(info),
        ]
        for info in infos
    ]
    print_table(None, ["Plugin", "Version", "Status", "Origin", "Description / reason"], rows)


@app.command("info")
@command
def plugin_info(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., help="The plugin's name.", autocompletion=complete_plugin_names
    ),
    load: bool = LOAD_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show everything known of one plugin: location, contract, hooks and their order, state."""
    host = state_of(ctx).host()
    info = host.info(name)
    if load:
        info = _learn_hooks(host, [info])[0]
    if as_json:
        print_json(info.to_dict())
        return
    hooks = "unknown: no manifest, never loaded (see --load)"
    if info.hooks is not None:
        hooks = (
            ", ".join(
                f"{hook} ({info.hook_positions[hook][0]} of {info.hook_positions[hook][1]})"
                if hook in info.hook_positions
                else hook
                for hook in info.hooks
            )
            or "none"
        )
        if info.hooks_source == "last load":
            hooks += " (as seen at its last load)"
    permissions = "; ".join(f"{k}: {', '.join(v)}" for k, v in info.permissions.items()) or "none"
    last = info.last_failure
    fields = [
        ("Name", info.name),
        ("Version", info.version),
        ("Distribution", info.distribution or "-"),
        ("Location", info.location),
        ("Origin", "first-party" if info.first_party else info.kind),
        ("Status", status_text(info)),
        ("Reason", info.failure.reason if info.failure else (info.blocked or "-")),
        ("Contract", info.contract or "not declared"),
        ("Manifest", "yes" if info.has_manifest else "no"),
        ("Hooks (call position)", hooks),
        ("Templates", ", ".join(info.templates) or "none"),
        ("Commands", ", ".join(info.commands) or "none"),
        ("Requires", ", ".join(info.requires) or "none"),
        ("Permissions", permissions),
        ("Last failure", f"{last['stage']}: {last['reason']} ({last['at']})" if last else "none"),
    ]
    width = max(len(label) for label, _ in fields)
    for label, value in fields:
        print(f"{label:<{width}}  {value}")


def _set_enabled(ctx: typer.Context, name: str, enabled: bool, as_json: bool) -> None:
    state = state_of(ctx)
    host = state.host()
    before = host.info(name)
    info = host.enable(name) if enabled else host.disable(name)
    if as_json:
        print_json(
            {"name": info.name, "enabled": info.enabled, "changed": before.enabled != enabled}
        )
        return
    verb = "enabled" if enabled else "disabled"
    already = "" if before.enabled != enabled else " (it already was)"
    print(f"{verb} plugin '{info.name}'{already}")
    if enabled and info.blocked is not None:
        print(f"note: it is still not loaded: {info.blocked}")


@app.command("enable")
@command
def enable(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., help="The plugin's name.", autocompletion=complete_plugin_names
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Enable a plugin (remembered in the state file)."""
    _set_enabled(ctx, name, True, as_json)


@app.command("disable")
@command
def disable(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., help="The plugin's name.", autocompletion=complete_plugin_names
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Disable a plugin without uninstalling it; its code is not imported any more."""
    _set_enabled(ctx, name, False, as_json)
