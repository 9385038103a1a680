"""``cloudcraver plugin install|uninstall|update|outdated|history|rollback|recover``.

Thin: each command builds a :class:`~cloudcraver_host.install.transaction.PluginInstaller`
and prints what it did. The install machinery is imported when one of them runs, never by
``--help`` or the listing commands.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from .context import CliState, command, complete_plugin_names, eprint, state_of
from .output import print_json, print_table

if TYPE_CHECKING:
    from ..install.plan import Plan
    from ..install.transaction import Outcome, PluginInstaller

__all__ = ["register"]

DRY_RUN = typer.Option(False, "--dry-run", help="Print the plan and change nothing.")
YES = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")
NO_WAIT = typer.Option(False, "--no-wait", help="Fail at once if another change is running.")
JSON = typer.Option(False, "--json", help="Print the result as JSON.")
NO_VERIFY = typer.Option(False, "--no-verify", help="Skip verifying the plugins installed.")


def register(app: typer.Typer) -> None:
    """Add the commands that change the installed plugins to the ``plugin`` group."""
    app.command("install")(install)
    app.command("uninstall")(uninstall)
    app.command("update")(update)
    app.command("outdated")(outdated)
    app.command("history")(history)
    app.command("rollback")(rollback)
    app.command("recover")(recover)


@command
def install(
    ctx: typer.Context,
    specs: list[str] = typer.Argument(
        ..., help="Requirements (name, name==1.2, 'name>=1,<2'), wheels, sdists, folders, VCS URLs."
    ),
    editable: bool = typer.Option(False, "--editable", "-e", help="Install folders editable."),
    dry_run: bool = DRY_RUN,
    yes: bool = YES,
    no_wait: bool = NO_WAIT,
    no_verify: bool = NO_VERIFY,
    as_json: bool = JSON,
) -> None:
    """Install plugins with pip, verified, recorded in the history, undone by `rollback`."""
    outcome = _run(
        ctx,
        yes=yes,
        no_wait=no_wait,
        as_json=as_json,
        action=lambda installer: installer.install(
            specs, editable=editable, dry_run=dry_run, verify=not no_verify
        ),
    )
    _show(outcome, as_json)


@command
def uninstall(
    ctx: typer.Context,
    names: list[str] = typer.Argument(
        ...,
        help="Plugins to remove: as `plugin list` names them, or their distributions.",
        autocompletion=complete_plugin_names,
    ),
    purge: bool = typer.Option(False, "--purge", help="Also forget their state and config."),
    dry_run: bool = DRY_RUN,
    yes: bool = YES,
    no_wait: bool = NO_WAIT,
    as_json: bool = JSON,
) -> None:
    """Remove plugins and what only they needed (never a package Cloud Craver needs)."""
    plugins = _plugin_names(state_of(ctx), names) if purge else []
    outcome = _run(
        ctx,
        yes=yes,
        no_wait=no_wait,
        as_json=as_json,
        action=lambda installer: installer.uninstall(names, dry_run=dry_run),
    )
    if purge and outcome.state == "committed":
        outcome.notes += _purge(state_of(ctx), plugins)
    _show(outcome, as_json)


@command
def update(
    ctx: typer.Context,
    names: list[str] = typer.Argument(
        None, help="Plugins (or their distributions) to update; or --all."
    ),
    update_all: bool = typer.Option(False, "--all", help="Update every installed plugin."),
    dry_run: bool = DRY_RUN,
    yes: bool = YES,
    no_wait: bool = NO_WAIT,
    no_verify: bool = NO_VERIFY,
    as_json: bool = JSON,
) -> None:
    """Update plugins to the newest versions their update policy and the contract allow."""
    from ..errors import InputError

    if not names and not update_all:
        raise InputError("name the plugins to update, or pass --all")
    state = state_of(ctx)
    settings = state.config.host_settings()
    outcome = _run(
        ctx,
        yes=yes,
        no_wait=no_wait,
        as_json=as_json,
        action=lambda installer: installer.update(
            names or [],
            policies=settings.update_policies,
            default_policy=settings.update_policy,
            dry_run=dry_run,
            verify=not no_verify,
        ),
    )
    _show(outcome, as_json)


@command
def outdated(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Plugins with a newer version their update policy allows."""
    settings = state_of(ctx).config.host_settings()
    installer = _installer(ctx, yes=True, no_wait=False, as_json=as_json)
    rows = installer.outdated(
        policies=settings.update_policies, default_policy=settings.update_policy
    )
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("Every plugin is up to date within its update policy.")
        return
    print_table(
        None,
        ["name", "plugin", "installed", "available", "policy"],
        [[r["name"], r["plugin"], r["installed"], r["available"], r["policy"]] for r in rows],
    )


@command
def history(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Every change made to the installed plugins, oldest first."""
    installer = _installer(ctx, yes=True, no_wait=False, as_json=as_json)
    records = installer.history()
    if as_json:
        print_json([tx.to_json() for tx in records])
        return
    if not records:
        typer.echo("No change recorded yet.")
        return
    rows = []
    for tx in records:
        changes = ", ".join(_describe(item) for item in tx.plan) or "-"
        rows.append([str(tx.id), tx.started, tx.command, tx.state, changes])
    print_table(None, ["id", "started", "command", "state", "changes"], rows)


@command
def rollback(
    ctx: typer.Context,
    to: int | None = typer.Option(
        None, "--to", help="Undo every change after this one (see `plugin history`)."
    ),
    dry_run: bool = DRY_RUN,
    yes: bool = YES,
    no_wait: bool = NO_WAIT,
    as_json: bool = JSON,
) -> None:
    """Undo the last change (or all after --to ID) from the archive, with no network."""
    outcome = _run(
        ctx,
        yes=yes,
        no_wait=no_wait,
        as_json=as_json,
        action=lambda installer: installer.rollback(to, dry_run=dry_run),
    )
    _show(outcome, as_json)


@command
def recover(ctx: typer.Context, no_wait: bool = NO_WAIT, as_json: bool = JSON) -> None:
    """Put back the plugins an interrupted change was changing."""
    outcome = _run(
        ctx,
        yes=True,
        no_wait=no_wait,
        as_json=as_json,
        action=lambda installer: installer.recover(),
    )
    if not as_json and outcome.state == "nothing-to-do":
        typer.echo("No interrupted change: nothing to recover.")
        return
    _show(outcome, as_json)


# ---------------------------------------------------------------------------- helpers


def _run(
    ctx: typer.Context,
    *,
    yes: bool,
    no_wait: bool,
    as_json: bool,
    action: Callable[[PluginInstaller], Outcome],
) -> Outcome:
    """Run one change with a progress line on a terminal."""
    installer = _installer(ctx, yes=yes, no_wait=no_wait, as_json=as_json)
    with _progress(as_json) as step:
        installer.on_step = step
        return action(installer)


def _installer(ctx: typer.Context, *, yes: bool, no_wait: bool, as_json: bool) -> PluginInstaller:
    from ..install.transaction import PluginInstaller

    state = state_of(ctx)

    def on_wait(owner: Any) -> None:
        eprint(f"waiting for another change to finish ({owner.describe()}); Ctrl+C to stop")

    return PluginInstaller(
        state.paths,
        wait=not no_wait,
        on_wait=on_wait,
        confirm=lambda plan: yes or _confirm(plan, as_json),
        argv=["cloudcraver", *sys.argv[1:]],
    )


def _confirm(plan: Plan, as_json: bool) -> bool:
    """Show the plan and ask; off a terminal, refuse without --yes."""
    from ..errors import InputError

    if not sys.stdin.isatty():
        raise InputError(
            f"{plan.command} would make {len(plan.changes)} change(s); nothing was changed: "
            "pass --yes to confirm without a terminal (or --dry-run to see the plan)"
        )
    output = sys.stderr if as_json else sys.stdout
    print("Plan:", file=output)
    for change in plan.changes:
        print(f"  {change.describe()}", file=output)
    return typer.confirm("Proceed?", default=False, err=as_json)


@contextmanager
def _progress(as_json: bool) -> Iterator[Any]:
    """A status line per step on a terminal; nothing otherwise."""
    if as_json or not sys.stderr.isatty():
        yield lambda step: None
        return
    from rich.console import Console

    labels = {
        "plan": "planning with pip",
        "check": "getting and checking the wheels",
        "archive": "archiving the current versions",
        "apply": "installing with pip",
        "verify": "verifying the plugins",
        "restore": "restoring the previous plugins",
    }
    with Console(stderr=True).status("starting") as status:
        yield lambda step: status.update(labels.get(step, step))


def _show(outcome: Outcome, as_json: bool) -> None:
    if as_json:
        print_json(outcome.to_json())
        return
    plan = outcome.plan
    if outcome.state == "nothing-to-do":
        for note in outcome.notes:
            typer.echo(note)
        typer.echo("Nothing to change.")
        return
    for change in plan.changes:
        typer.echo(change.describe())
    for note in outcome.notes:
        typer.echo(note)
    built = plan.built_from_source()
    if outcome.state == "dry-run" and built:
        typer.echo(
            f"Dry run: nothing was installed, but pip built {', '.join(built)} from source to "
            "plan it: its build code ran (in pip's isolated temporary build environment; files "
            "it left in site-packages were removed)."
        )
    elif outcome.state == "dry-run":
        typer.echo("Dry run: nothing was changed.")
    elif outcome.state == "declined":
        typer.echo("Cancelled: nothing was changed.")
    else:
        timing = ", ".join(f"{k} {v:.1f}s" for k, v in outcome.steps.items())
        typer.echo(
            f"Done: change {outcome.transaction} ({plan.command})"
            + (f" [{timing}]" if timing else "")
            + "; undo with `cloudcraver plugin rollback`"
        )


def _describe(item: Any) -> str:
    action, name = item.get("action"), item.get("name")
    before, after = item.get("before"), item.get("after")
    if action == "install":
        return f"+{name} {after}"
    if action == "remove":
        return f"-{name} {before}"
    return f"{name} {before}->{after}"


def _plugin_names(state: CliState, distributions: list[str]) -> list[str]:
    """The plugins the distributions register (read before they are removed)."""
    from packaging.utils import canonicalize_name

    wanted = {canonicalize_name(d) for d in distributions}
    host = state.quiet_host()
    names = []
    for name in host.names():
        distribution = host.record(name).distribution
        if canonicalize_name(name) in wanted or (
            distribution and canonicalize_name(distribution) in wanted
        ):
            names.append(name)
    return names


def _purge(state: CliState, names: list[str]) -> list[str]:
    """Forget removed plugins' state and configuration sections."""
    from ..config_edit import remove_plugin_section
    from ..state import PluginStateStore

    store = PluginStateStore(state.paths.state_file)
    notes = []
    for name in names:
        store.forget(name)
        if remove_plugin_section(state.paths.config_file, name):
            notes.append(f"{name}: its configuration section was removed")
    return notes
