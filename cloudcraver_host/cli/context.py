"""What every command shares: global options, the host, error handling and exit codes.

Commands are thin: they turn options into calls of the library and print the result.
Each is wrapped by :func:`command`, which turns a :class:`CloudCraverError` into one
``error:`` line and its exit code, and applies ``--strict`` at the end.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec

import typer

from ..errors import EXIT_PLUGIN_FAILURE, EXIT_USAGE, CloudCraverError
from ..guard import plugin_fault

if TYPE_CHECKING:
    from ..config import LayeredConfig
    from ..host import PluginHost
    from ..lifecycle import Failure
    from ..paths import HostPaths

__all__ = ["CliState", "EXIT_INTERNAL", "command", "state_of"]

#: Exit code for a bug in cloudcraver itself (documented in docs/cli.md).
EXIT_INTERNAL = 4

P = ParamSpec("P")


def eprint(message: str) -> None:
    r"""Print a line for people on standard error.

    Control characters within each line are escaped here too, whatever the caller passed:
    an echoed value must not rewrite the terminal (``\r``, ANSI escapes, bidi overrides).
    """
    from ..display import escape

    print("\n".join(escape(line) for line in message.split("\n")), file=sys.stderr, flush=True)


def one_line(text: str) -> str:
    """Messages are one line: a library's multi-line message (a YAML error) is folded.

    The one place every ``error:`` and ``warning:`` line passes through: what it echoes
    from files and users has its control characters escaped, and a line longer than
    :data:`~cloudcraver_host.display.MAX_LINE` loses its middle.
    """
    from ..display import MAX_LINE, escape, shorten

    return shorten(escape(" ".join(text.split())), MAX_LINE)


@dataclass
class CliState:
    """The global options of one invocation and the host built from them (lazily)."""

    debug: bool = False
    strict: bool | None = None
    safe_mode: bool = False
    env_name: str | None = None
    config_options: list[str] = field(default_factory=list)
    _host: PluginHost | None = None
    _config: LayeredConfig | None = None
    _paths: HostPaths | None = None
    user_errors: int = 0
    reported: list[Failure] = field(default_factory=list)
    #: Plugin commands declared in manifests (name -> (plugin, help)), once worked out.
    declared_commands: dict[str, tuple[str, str]] | None = None
    #: Whether to say which project settings were ignored when the configuration is read
    #: (a command does; shell completion and listings for ``--help`` do not).
    announce_project: bool = False
    #: Whether the ignored project settings were mentioned (once per command).
    project_noted: bool = False
    #: The names of the built-in commands, which no plugin command may take.
    builtin_commands: frozenset[str] = frozenset()
    _refused: set[tuple[str, str]] = field(default_factory=set)

    @property
    def paths(self) -> HostPaths:
        """The host's folders (``CLOUDCRAVER_HOME`` or the platform's)."""
        if self._paths is None:
            from ..paths import HostPaths

            self._paths = HostPaths.from_environment()
        return self._paths

    def option_settings(self) -> dict[str, Any]:
        """Host settings given as dedicated options."""
        settings: dict[str, Any] = {}
        if self.strict is not None:
            settings["strict"] = self.strict
        if self.safe_mode:
            settings["safe_mode"] = True
        return settings

    @property
    def config(self) -> LayeredConfig:
        """The layered configuration of this run."""
        if self._config is None:
            from ..config import load_config
            from ..trust import TrustStore

            self._config = load_config(
                user_file=self.paths.config_file,
                env_name=self.env_name,
                options=self.config_options,
                option_settings=self.option_settings(),
                trust=TrustStore(self.paths.trust_file),
            )
            if self.announce_project:
                self.note_project()
        return self._config

    def note_project(self) -> None:
        """Say, once per command, which project settings were ignored and which file skipped."""
        if self.project_noted:
            return
        self.project_noted = True
        config = self.config
        for warning in config.warnings:
            eprint(f"warning: {one_line(warning)}")
        note = config.ignored_note()
        if note is not None:
            eprint(note)

    def host(self) -> PluginHost:
        """The plugin host, started, its warnings printed once."""
        if self._host is None:
            from ..discovery_cache import DiscoveryCache
            from ..host import PluginHost
            from ..learned import LearnedFacts
            from ..state import PluginStateStore

            self._host = PluginHost(
                config=self.config,
                state=PluginStateStore(self.paths.state_file),
                cache=DiscoveryCache(self.paths.cache_dir),
                learned=LearnedFacts(self.paths.cache_dir),
                on_failure=self._report_failure,
                trace=(lambda line: eprint(f"trace: {line}")) if self.debug else None,
                capture_output=True,  # a plugin's print() must not corrupt --json output
            )
            self._host.start()
            for warning in self._host.warnings:
                eprint(f"warning: {one_line(warning)}")
            for plugin, manifest in self._host.manifests():
                for entry in manifest.commands:
                    self.refuse_builtin_name(plugin, entry.name)
        return self._host

    def refuse_builtin_name(self, plugin: str, name: str) -> bool:
        """Warn and return ``True`` when a plugin's command takes a built-in command's name."""
        if name not in self.builtin_commands:
            return False
        if (plugin, name) in self._refused:
            return True
        self._refused.add((plugin, name))
        eprint(
            "warning: "
            + one_line(
                f"plugin '{plugin}' adds a command '{name}', the name of a built-in "
                "command; the plugin's command is ignored (rename it in the plugin)"
            )
        )
        return True

    def quiet_host(self) -> PluginHost:
        """A host that only reads manifests (for ``--help``): it prints and records nothing."""
        if self._host is not None:
            return self._host
        return self.silent_host(self.config)

    def silent_host(self, config: LayeredConfig) -> PluginHost:
        """A started host on ``config`` that records nothing (checks with other settings)."""
        from ..discovery_cache import DiscoveryCache
        from ..host import PluginHost
        from ..learned import LearnedFacts
        from ..state import PluginStateStore

        store = PluginStateStore(self.paths.state_file, read_only=True)
        host = PluginHost(
            config=config,
            state=store,
            cache=DiscoveryCache(self.paths.cache_dir),
            learned=LearnedFacts(self.paths.cache_dir),
        )
        host.start()
        return host

    def print_error(self, error: CloudCraverError) -> None:
        """Print an error once: a plugin failure already reported as it happened is not repeated.

        A failure reported as a warning (the command could go on without the plugin) that
        turns out to stop the command still gets its ``error:`` line, a short one.
        """
        failure: Failure | None = getattr(error, "failure", None)
        if failure is not None and failure in self.reported:
            if not failure.user_error:
                eprint(
                    f"error: this command needs plugin '{failure.plugin}', which failed at "
                    f"{failure.stage.value} (see the warning above)"
                )
            return
        eprint(f"error: {one_line(str(error))}")
        details = getattr(error, "details", "")
        if details:
            for line in str(details).rstrip().splitlines():
                eprint(f"  {line}")

    def _report_failure(self, failure: Failure) -> None:
        self.reported.append(failure)
        if failure.user_error:
            self.user_errors += 1
            eprint(f"error: {one_line(failure.reason)}")
        else:
            eprint(f"warning: {one_line(failure.describe())}")
        if self.debug and failure.traceback:
            eprint(failure.traceback.rstrip())

    def finish(self) -> int:
        """Close the host; the exit code its plugin failures call for (0 if none)."""
        if self._host is None:
            return 0
        host, self._host = self._host, None
        host.close()
        if self.user_errors:
            return EXIT_USAGE
        if host.failures and host.settings.strict:
            eprint(f"error: {len(host.failures)} plugin failure(s) under --strict")
            return EXIT_PLUGIN_FAILURE
        return 0


def warn_if_interrupted(state: CliState) -> None:
    """Say so when a change to the installed plugins was interrupted (every command does)."""
    try:
        from ..install.interrupted import interrupted_change, running_change

        running = running_change(state.paths.data_dir)
        found = interrupted_change(state.paths.data_dir)
    except Exception:  # a damaged journal must not stop every command: recover says more
        return
    if running is not None:
        change, command = running
        eprint(
            f"note: change {change} ({command}) to the installed plugins is running in another "
            "process; this command sees the plugins as they are at this moment"
        )
    elif found is not None:
        change, command = found
        eprint(
            f"warning: change {change} ({command}) to the installed plugins was interrupted; "
            "run `cloudcraver plugin recover` to put back the plugins it was changing"
        )


def complete_plugin_names(incomplete: str) -> list[str]:
    """Shell completion of plugin names (reads metadata and manifests only)."""
    try:
        host = CliState().quiet_host()
        return [name for name in host.names() if name.startswith(incomplete)]
    except Exception:  # completion must never print an error into the user's shell
        return []


def complete_template_names(incomplete: str) -> list[str]:
    """Shell completion of template names (from manifests; imports no plugin)."""
    try:
        host = CliState().quiet_host()
        names = {
            entry.name
            for name in host.names()
            if (manifest := host.record(name).manifest) is not None
            for entry in manifest.templates
        }
        return sorted(n for n in names if n.startswith(incomplete))
    except Exception:
        return []


def state_of(ctx: typer.Context) -> CliState:
    """The :class:`CliState` of this invocation (made with defaults if the root did not run)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def command(function: Callable[P, None]) -> Callable[P, None]:
    """Wrap a command: one-line errors with their exit codes, ``--strict``, closing the host.

    A Ctrl+C or SIGTERM (:class:`~cloudcraver_host.guard.UserInterrupt`, or a plugin change's
    own) is one ``error:`` line and exit code 130 or 143, not click's ``Aborted!``.
    """

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        # Typer passes its click context object, not a typer.Context instance.
        ctx = kwargs.get("ctx")
        state = state_of(ctx) if ctx is not None else CliState()  # type: ignore[arg-type]
        code = 0
        try:
            function(*args, **kwargs)
        except typer.Exit as exit_:
            code = exit_.exit_code
        except CloudCraverError as error:
            state.print_error(error)
            if state.debug:
                traceback.print_exc()
            code = error.exit_code
        except KeyboardInterrupt as interrupt:
            # A change stopped by Ctrl+C or SIGTERM says what it put back (exit 130 / 143).
            interrupted_code = getattr(interrupt, "exit_code", None)
            if not isinstance(interrupted_code, int):
                raise
            eprint(f"error: {interrupt}")
            code = interrupted_code
        except (typer.Abort, BrokenPipeError):
            raise
        except Exception as error:
            eprint(
                f"error: internal error: {type(error).__name__}: {one_line(str(error))} "
                "(a bug in cloudcraver; run with --debug for the traceback)"
            )
            if state.debug:
                traceback.print_exc()
            code = EXIT_INTERNAL
        except BaseException as error:
            # Our commands end with typer.Exit; SystemExit and the like come from plugin code
            # the host ran outside a hook call. The command did not finish: never exit 0.
            fault = plugin_fault(error)  # a real Ctrl-C is raised again
            eprint(f"error: the command was interrupted before it finished: {fault}")
            if state.debug:
                traceback.print_exc()
            code = EXIT_PLUGIN_FAILURE
        try:
            final = state.finish()
        except CloudCraverError as error:
            eprint(f"error: {one_line(str(error))}")
            final = error.exit_code
        code = max(code, final)  # the most serious wins: strict failure over findings
        if code:
            raise typer.Exit(code)

    return wrapper
