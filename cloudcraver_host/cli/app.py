"""The ``cloudcraver`` command: global options, built-in command groups, plugin commands.

Plugin commands are mounted at the top level. Those declared in manifests are listed by
``--help`` without importing their plugin; the plugin is imported when the command runs.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from .context import CliState, state_of, warn_if_interrupted
from .output import new_typer

__all__ = ["build_app"]

BUILTIN_GROUPS = ("plugin", "template", "config")


class _PluginCommandGroup(TyperGroup):
    """The root group: built-in commands, then commands contributed by plugins."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        from .help_style import apply_help_style
        from .params import use_plain_conversion

        # Now the tree is complete (Typer adds the completion options last): the
        # built-in commands' text and boolean values need no pydantic to convert.
        use_plain_conversion(self)
        apply_help_style(self)
        return super().make_context(*args, **kwargs)

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        extra = sorted(name for name in _declared_commands(ctx) if name not in names)
        return [*names, *extra]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        declared = _declared_commands(ctx)
        if cmd_name in declared:
            return _lazy_command(cmd_name, declared[cmd_name])
        return _unloaded_command(ctx, cmd_name) or _undeclared_command(ctx, cmd_name)


def _state(ctx: Any) -> CliState:
    return state_of(ctx)


def _declared_commands(ctx: Any) -> dict[str, tuple[str, str]]:
    """Commands declared in manifests of runnable plugins: name -> (plugin, help).

    Worked out once per invocation: help asks for every command it lists.
    """
    state = _state(ctx)
    if state.declared_commands is None:
        commands: dict[str, tuple[str, str]] = {}
        try:
            for plugin, manifest in state.quiet_host().manifests():
                for entry in manifest.commands:
                    commands.setdefault(entry.name, (plugin, entry.help))
        except Exception:  # --help must work even when the configuration is broken
            commands = {}
        state.declared_commands = commands
    return state.declared_commands


def _contributed(ctx: Any, plugin: str | None) -> dict[str, Any]:
    """Commands from plugins' ``contribute_commands`` (one plugin, or all runnable)."""
    from cloudcraver_hookspecs import CommandContribution

    host = _state(ctx).host()
    if plugin is not None:
        pairs = [(plugin, host.call_plugin(plugin, "contribute_commands"))]
    else:
        pairs = host.call_each("contribute_commands")
    state = _state(ctx)
    found: dict[str, Any] = {}
    for owner, contributions in pairs:
        for item in contributions or ():
            if isinstance(item, CommandContribution) and not state.refuse_builtin_name(
                owner, item.name
            ):
                found.setdefault(item.name, (owner, item))
    return found


def _to_click(item: Any) -> Any:
    """A click command from a contribution: a Typer app, or a plain function."""
    target = item.command
    if isinstance(target, typer.Typer):
        built = typer.main.get_command(target)
    else:
        single = new_typer(add_completion=False)
        single.command(name=item.name, help=item.help)(target)
        built = typer.main.get_command(single)
    built.name = item.name
    from .help_style import apply_help_style

    apply_help_style(built)  # plain help off a terminal, TEXT metavars: like the built-ins
    return built


def _lazy_command(name: str, declared: tuple[str, str]) -> Any:
    """A stand-in listed by ``--help`` that imports its plugin only when it runs."""
    plugin, help_text = declared
    single = new_typer(add_completion=False)

    @single.command(
        name=name,
        help=help_text,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
    )
    def run(ctx: typer.Context) -> None:
        _run_contributed(ctx, name, plugin)

    built = typer.main.get_command(single)
    built.name = name
    return built


def _run_contributed(ctx: Any, name: str, plugin: str | None) -> None:
    from ..errors import CloudCraverError
    from .context import eprint

    try:
        contributed = _contributed(ctx, plugin)
    except CloudCraverError as error:
        state = _state(ctx)
        state.print_error(error)
        code = max(error.exit_code, state.finish())
        raise typer.Exit(code) from None
    if name not in contributed:
        eprint(f"error: plugin '{plugin}' declares command '{name}' but does not contribute it")
        raise typer.Exit(3)
    owner, item = contributed[name]
    real = _to_click(item)
    try:
        code = _invoke(real, name, owner, list(ctx.args), debug=_state(ctx).debug)
    finally:
        final = _state(ctx).finish()  # deactivates plugins; --strict applies here too
    raise typer.Exit(max(code, final))


#: click's errors (or those of Typer's copy of click), which click itself shows.
_CLI_ERRORS = ("ClickException", "Abort")


def _invoke(real: Any, name: str, plugin: str, args: list[str], *, debug: bool) -> int:
    """Run a plugin's own command: its exit code, or ours if it failed or was interrupted.

    The command is the plugin's program, which the user ran: it may end with its own exit
    code (``typer.Exit``, ``sys.exit``), runs without the call deadline and prints to
    standard output. An exception escaping it is one ``error:`` line (exit 3), not a
    traceback (``--debug`` shows it); Ctrl+C or SIGTERM is one line and 130 or 143.
    """
    import traceback

    from ..errors import EXIT_PLUGIN_FAILURE
    from ..guard import UserInterrupt, received_signal
    from .context import eprint, one_line

    try:
        code = real.main(args=args, prog_name=f"cloudcraver {name}", standalone_mode=False)
    except Exception as error:
        if any(cls.__name__ in _CLI_ERRORS for cls in type(error).__mro__):
            raise  # a usage error in its arguments: shown as for any command
        eprint(
            f"error: command '{name}' of plugin '{plugin}' failed: "
            f"{type(error).__name__}: {one_line(str(error))}"
        )
        if debug:
            traceback.print_exc()
        return EXIT_PLUGIN_FAILURE
    signum = received_signal()
    if signum is not None:  # Typer made the interrupt a silent exit code 130
        interrupt = UserInterrupt(signum)
        eprint(f"error: {interrupt}")
        return interrupt.exit_code
    return code if isinstance(code, int) else 0


def _unloaded_command(ctx: Any, name: str) -> Any:
    """For a command of a disabled or skipped plugin: a stand-in saying so (exit 2)."""
    try:
        infos = _state(ctx).quiet_host().plugins()
    except Exception:  # the real command's own error says more
        return None
    owner = next((i for i in infos if name in i.commands and i.blocked is not None), None)
    if owner is None:
        return None
    single = new_typer(add_completion=False)

    @single.command(
        name=name,
        help=f"(from plugin '{owner.name}', not loaded: {owner.blocked})",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
    )
    def refuse() -> None:
        from .context import eprint

        eprint(
            f"error: command '{name}' comes from plugin '{owner.name}', which is not loaded: "
            f"{owner.blocked}"
        )
        raise typer.Exit(2)

    built = typer.main.get_command(single)
    built.name = name
    return built


def _undeclared_command(ctx: Any, name: str) -> Any:
    """A command from a plugin without a manifest (found by asking the plugins)."""
    try:
        contributed = _contributed(ctx, None)
    except Exception:
        return None
    if name not in contributed:
        return None
    owner, item = contributed[name]
    return _lazy_command(name, (owner, item.help))  # run as a declared one: errors, closing


def _version(value: bool) -> None:
    if value:
        from cloudcraver_hookspecs import CONTRACT_VERSION

        from .. import __version__

        typer.echo(f"cloudcraver {__version__} (plugin contract {CONTRACT_VERSION})")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """The root Typer application with every built-in command."""
    from . import config_cmds, install_cmds, plugin_cmds, template_cmds, trust_cmds, validate_cmd

    app = new_typer(
        cls=_PluginCommandGroup,
        help="Generate and check cloud infrastructure templates with plugins.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
        debug: bool = typer.Option(
            False, "--debug", envvar="CLOUDCRAVER_DEBUG", help="Tracebacks and hook tracing."
        ),
        strict: bool | None = typer.Option(
            None, "--strict/--no-strict", help="Exit 3 when any plugin fails (config: host.strict)."
        ),
        safe_mode: bool = typer.Option(
            False, "--safe-mode", help="Load no third-party plugin (CLOUDCRAVER_SAFE_MODE=1)."
        ),
        env: str | None = typer.Option(
            None, "--env", help="Apply the env.NAME section of the configuration (CLOUDCRAVER_ENV)."
        ),
        config: list[str] = typer.Option(
            [], "--config", "-c", help="Set a configuration value for this run: KEY=VALUE."
        ),
    ) -> None:
        ctx.obj = CliState(
            debug=debug,
            strict=strict,
            safe_mode=safe_mode,
            env_name=env,
            config_options=config,
            announce_project=True,
            builtin_commands=frozenset(getattr(ctx.command, "commands", {})),
        )
        warn_if_interrupted(ctx.obj)

    install_cmds.register(plugin_cmds.app)
    app.add_typer(plugin_cmds.app, name="plugin")
    app.add_typer(template_cmds.app, name="template")
    app.command("validate")(validate_cmd.validate)
    app.add_typer(config_cmds.app, name="config")
    app.command("trust")(trust_cmds.trust)
    app.command("untrust")(trust_cmds.untrust)
    return app
