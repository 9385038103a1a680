"""The plugin host: discovers, validates, loads, activates, calls and unloads plugins.

One :class:`PluginHost` owns a pluggy ``PluginManager`` and every plugin's state; there is
no module-level mutable state. Typical use from a host application::

    from cloudcraver_host import PluginHost

    with PluginHost.from_environment() as host:
        findings = host.hook.validate_document(document=doc)

Plugins are imported lazily: :meth:`PluginHost.start` reads metadata and manifests only,
and the first call of a hook loads and activates the plugins implementing it, their
dependencies first. See :mod:`cloudcraver_host.lifecycle` for the states.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections.abc import Callable, Coroutine, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cloudcraver_hookspecs import CONTRACT_VERSION, ENTRY_POINT_GROUP

from .config import HostSettings, LayeredConfig, load_config
from .declaration import Declaration
from .discovery import DiscoveryResult, PluginRecord, discover, ensure_importable
from .discovery_cache import DiscoveryCache
from .errors import InputError, PluginCallError, PluginFailedError
from .guard import CallGuard, PluginAbort, plugin_fault
from .learned import LearnedFacts
from .lifecycle import Failure, PluginInfo, PluginStatus, Stage
from .names import normalize_name
from .ordering import activation_order, call_order, dependency_cycles
from .paths import HostPaths
from .relay import (
    AsyncHookRelay,
    CallEntry,
    CallPlan,
    HookRelay,
    call_async,
    call_sync,
    make_plan,
)
from .state import LastFailure, PluginStateStore, StateSnapshot

if TYPE_CHECKING:
    import asyncio

    import pluggy

__all__ = ["PluginHost"]

_PER_PLUGIN_ONLY = frozenset({"activate", "deactivate", "config_model", "migrate_config"})
_LOADED = (PluginStatus.LOADED, PluginStatus.ACTIVATED)


@dataclass(eq=False)
class _Slot:
    """The host's mutable record of one plugin."""

    record: PluginRecord
    enabled: bool = True
    blocked: str | None = None
    status: PluginStatus = PluginStatus.DISCOVERED
    failure: Failure | None = None
    plugin: object | None = None
    instance: object | None = None  # the object given to register(): never imported
    hooks: frozenset[str] | None = None
    requires: dict[str, str] = field(default_factory=dict)  # key -> specifier text
    reported: set[tuple[str, str]] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def runnable(self) -> bool:
        """Enabled, not blocked and not failed: the relay may load and call it."""
        return self.blocked is None and self.status is not PluginStatus.FAILED


def _describe(error: BaseException) -> str:
    if isinstance(error, PluginAbort):
        return str(error)
    text = str(error).strip().splitlines()
    message = text[0] if text else ""
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


class PluginHost:
    """Discovers, validates, loads, activates, calls and unloads plugins.

    :param config: the layered configuration (plugin sections, host settings); default:
        none at all (use :meth:`from_environment` for the user's and project's files).
    :param settings: the host settings; default: read from ``config``.
    :param state: where enabled/disabled state and last failures persist; ``None`` keeps
        everything in memory (for host applications that manage plugins themselves).
    :param discovery: discovery results to use instead of discovering (tests).
    :param cache: where to keep discovery results between runs (see
        :mod:`cloudcraver_host.discovery_cache`); ``None`` discovers every time.
    :param learned: where to remember what plugins without a manifest turned out to
        offer, for listings that must not import them (:mod:`cloudcraver_host.learned`).
    :param environment: whether to discover plugins installed in the environment.
    :param on_failure: called once with each plugin failure as it happens.
    :param trace: called with a line for each plugin load, activation and hook call
        (``--debug``); ``None`` disables tracing at no cost.
    :param capture_output: while plugin code runs, send what it prints to standard output
        to standard error instead (the CLI does, so that its JSON output stays clean).

    Every import of a plugin and every hook call runs under ``settings.call_timeout``: past
    it, the process prints one ``error:`` line and exits with code 3 (see
    :mod:`cloudcraver_host.guard`; ``call_timeout = 0`` turns the deadline off).
    """

    def __init__(
        self,
        *,
        config: LayeredConfig | None = None,
        settings: HostSettings | None = None,
        state: PluginStateStore | None = None,
        discovery: DiscoveryResult | None = None,
        cache: DiscoveryCache | None = None,
        learned: LearnedFacts | None = None,
        environment: bool = True,
        on_failure: Callable[[Failure], None] | None = None,
        trace: Callable[[str], None] | None = None,
        capture_output: bool = False,
    ) -> None:
        # Without a configuration given, none is read: a library host is explicit.
        self.config = config if config is not None else LayeredConfig((), dict(os.environ))
        self.settings = settings if settings is not None else self.config.host_settings()
        self._pm: pluggy.PluginManager | None = None
        self._guard = CallGuard(self.settings.call_timeout, capture_output, self._timed_out)
        #: ``host.hook.NAME(**kwargs)``: call a hook (sync).
        self.hook = HookRelay(self)
        #: ``await host.ahook.NAME(**kwargs)``: call a hook from async code.
        self.ahook = AsyncHookRelay(self)
        #: Every plugin failure seen by this host, in order.
        self.failures: list[Failure] = []
        #: Warnings for people: duplicate plugins, unreadable plugin paths...
        self.warnings: list[str] = []
        self._state = state
        self._snapshot = StateSnapshot()
        self._discovery = discovery
        self._cache = cache
        self._learned = learned
        self._environment = environment
        self._on_failure = on_failure
        self._trace = trace
        self._slots: dict[str, _Slot] = {}
        self._plans: dict[str, CallPlan] = {}
        self._rank: dict[str, int] = {}
        self._active: list[str] = []  # keys, in activation order
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = False

    # ------------------------------------------------------------------ construction

    @staticmethod
    def _pluggy() -> Any:
        import pluggy

        return pluggy

    @property
    def pm(self) -> pluggy.PluginManager:
        """The pluggy plugin manager holding the loaded plugins' implementations.

        Made on first use: listing commands that load no plugin never import pluggy.
        """
        if self._pm is None:
            from cloudcraver_hookspecs import PROJECT_NAME, specs

            self._pm = self._pluggy().PluginManager(PROJECT_NAME)
            self._pm.add_hookspecs(specs)
        return self._pm

    @classmethod
    def from_environment(
        cls,
        *,
        paths: HostPaths | None = None,
        env_name: str | None = None,
        options: Iterable[str] = (),
        option_settings: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PluginHost:
        """A host configured as the ``cloudcraver`` command is.

        It reads the user and project configuration files, ``CLOUDCRAVER_*`` variables and
        the user's state file.
        """
        from .trust import TrustStore

        paths = paths or HostPaths.from_environment()
        config = load_config(
            user_file=paths.config_file,
            env_name=env_name,
            options=options,
            option_settings=option_settings,
            trust=TrustStore(paths.trust_file),  # a project file the user did not trust is limited
        )
        kwargs.setdefault("state", PluginStateStore(paths.state_file))
        kwargs.setdefault("cache", DiscoveryCache(paths.cache_dir))
        kwargs.setdefault("learned", LearnedFacts(paths.cache_dir))
        return cls(config=config, **kwargs)

    def __enter__(self) -> PluginHost:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    async def __aenter__(self) -> PluginHost:
        self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ discovery, validation

    def start(self) -> None:
        """Discover and validate plugins and register what they offer; import nothing.

        Idempotent; hook calls start the host themselves.
        """
        if self._started:
            return
        self._started = True
        if self._discovery is not None:
            found = self._discovery
        elif self._cache is not None:
            found = self._cache.discover(self.settings.plugin_paths, environment=self._environment)
        else:
            found = discover(self.settings.plugin_paths, environment=self._environment)
        self.warnings.extend(found.warnings)
        if self._state is not None:
            self._snapshot = self._state.load()
        for record in found.records:
            self._add_slot(record)
        only = self.settings.only
        if only is not None:
            for name in only:
                if normalize_name(name) not in self._slots:
                    self.warnings.append(
                        f"CLOUDCRAVER_PLUGINS names {name!r}, which is not installed"
                    )
        self._validate()

    def _add_slot(self, record: PluginRecord, *, first_party: bool | None = None) -> _Slot:
        slot = _Slot(record=record)
        slot.enabled = record.key not in self._snapshot.disabled
        slot.blocked = self._block_reason(slot, first_party)
        if record.manifest is not None:
            slot.hooks = frozenset(record.manifest.hooks)
            slot.requires.update(record.manifest.required)
        self._slots[record.key] = slot
        return slot

    def _block_reason(self, slot: _Slot, first_party: bool | None = None) -> str | None:
        if not slot.enabled:
            return f"disabled (enable with: cloudcraver plugin enable {slot.name})"
        is_first_party = slot.record.first_party if first_party is None else first_party
        if self.settings.safe_mode and not is_first_party:
            return "safe mode: third-party plugins are not loaded"
        only = self.settings.only
        if only is not None and slot.record.key not in {normalize_name(n) for n in only}:
            return "not listed in CLOUDCRAVER_PLUGINS / [host] only"
        return None

    def _validate(self) -> None:
        """(Re)validate every plugin that is not loaded; reports each failure once."""
        for slot in self._slots.values():
            if slot.blocked is not None or slot.status in _LOADED:
                continue
            failure = slot.failure if slot.status is PluginStatus.FAILED else None
            if failure is not None and failure.stage is not Stage.VALIDATE:
                continue  # failed while running: stays failed until enabled again
            slot.status, slot.failure = PluginStatus.DISCOVERED, None
            record = slot.record
            if record.manifest_error:
                self._fail(slot, Stage.VALIDATE, record.manifest_error)
            elif record.contract and not _compatible(record):
                self._fail(
                    slot,
                    Stage.VALIDATE,
                    f"supports contract {record.contract}, but this host implements contract "
                    f"{CONTRACT_VERSION}; install a version of {record.distribution or slot.name} "
                    f"made for contract {CONTRACT_VERSION.split('.')[0]}.x",
                )
            else:
                slot.status = PluginStatus.VALIDATED
        self._check_dependencies()
        for slot in self._slots.values():
            if slot.status is PluginStatus.VALIDATED:
                slot.status = PluginStatus.REGISTERED
        requires = {key: list(slot.requires) for key, slot in self._slots.items()}
        self._rank = {self._slots[key].name: i for i, key in enumerate(call_order(requires))}
        self._plans.clear()

    def _check_dependencies(self) -> None:
        candidates = {
            key: slot
            for key, slot in self._slots.items()
            if slot.status is PluginStatus.VALIDATED and slot.requires
        }
        graph = {key: list(slot.requires) for key, slot in self._slots.items() if slot.runnable}
        for cycle in dependency_cycles(graph):
            shown = " -> ".join(self._slots[k].name for k in cycle)
            for key in set(cycle):
                if key in candidates:
                    self._fail(self._slots[key], Stage.VALIDATE, f"dependency cycle: {shown}")
        changed = True
        while changed:  # a failure makes the plugins requiring it fail in turn
            changed = False
            for slot in candidates.values():
                if slot.status is not PluginStatus.VALIDATED:
                    continue
                problem = self._dependency_problem(slot)
                if problem:
                    self._fail(slot, Stage.VALIDATE, problem)
                    changed = True

    def _dependency_problem(self, slot: _Slot) -> str | None:
        from packaging.specifiers import SpecifierSet
        from packaging.version import InvalidVersion, Version

        for key, specifier in slot.requires.items():
            target = self._slots.get(key)
            wanted = f"{key}{specifier}"
            if target is None:
                return f"requires plugin '{wanted}', which is not installed"
            if target.blocked is not None:
                return f"requires plugin '{target.name}', which is not loaded ({target.blocked})"
            if target.status is PluginStatus.FAILED:
                return f"requires plugin '{target.name}', which failed"
            if specifier:
                try:
                    ok = Version(target.record.version) in SpecifierSet(specifier)
                except InvalidVersion:
                    ok = False
                if not ok:
                    return f"requires plugin '{wanted}', but {target.record.version} is installed"
        return None

    # ------------------------------------------------------------------ in-process plugins

    def register(
        self,
        plugin: object,
        name: str | None = None,
        *,
        version: str = "0",
        requires: Sequence[str] = (),
    ) -> PluginInfo:
        """Add a plugin object from the host application itself (no distribution).

        It is loaded at once and activated, like any plugin, at the first hook call.

        :param plugin: a module, class instance or class (instantiated) with hook implementations.
        :param name: its name (default: the object's ``__name__``).
        :param version: its version, for dependency checks.
        :param requires: plugins it requires (``'name'`` or ``'name>=1'``).
        """
        self.start()
        if isinstance(plugin, type):
            plugin = plugin()
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        record = PluginRecord(
            name=name,
            version=version,
            distribution=None,
            entry_point=getattr(plugin, "__module__", None) or name,
            kind="in-process",
            location=repr(plugin),
            first_party=True,
        )
        if record.key in self._slots:
            raise PluginCallError(f"a plugin named '{name}' is already known to this host")
        slot = self._add_slot(record, first_party=True)
        slot.instance = plugin
        from packaging.requirements import Requirement

        for text in requires:
            requirement = Requirement(text)
            slot.requires[normalize_name(requirement.name)] = str(requirement.specifier)
        self._validate()
        if slot.status is PluginStatus.REGISTERED:
            self._register_object(slot, plugin)
        return self.info(name)

    # ------------------------------------------------------------------ loading

    def _load(self, slot: _Slot) -> bool:
        """Import the plugin and register its implementations; ``False`` if it failed."""
        if slot.status in _LOADED:
            return True
        if not slot.runnable:
            return False
        if slot.instance is not None:
            return self._register_object(slot, slot.instance)
        started = time.perf_counter()
        try:
            ensure_importable(slot.record)
            from importlib.metadata import EntryPoint

            with self._guard.running(slot.name, "import"):
                obj = EntryPoint(slot.name, slot.record.entry_point, ENTRY_POINT_GROUP).load()
                if isinstance(obj, type):
                    obj = obj()
        except BaseException as error:
            error = plugin_fault(error)
            self._fail(
                slot,
                Stage.LOAD,
                f"importing {slot.record.entry_point} raised {_describe(error)}",
                error=error,
            )
            return False
        ok = self._register_object(slot, obj)
        if ok and self._trace:
            self._trace(f"load {slot.name} ({(time.perf_counter() - started) * 1000:.1f} ms)")
        return ok

    def _register_object(self, slot: _Slot, obj: object) -> bool:
        problem, hooks = self._check_implementations(slot, obj)
        if problem is None:
            try:
                self.pm.register(obj, name=slot.name)
            except (self._pluggy().PluginValidationError, ValueError) as error:
                problem = _describe(error)
        if problem is not None:
            self._fail(slot, Stage.LOAD, problem)
            return False
        slot.plugin, slot.hooks, slot.status = obj, hooks, PluginStatus.LOADED
        self._plans.clear()
        # Imported cleanly: a failure to import is history (one at a later stage is not yet).
        self._clear_last_failure(slot, (Stage.VALIDATE.value, Stage.LOAD.value))
        if slot.record.manifest is None and slot.instance is None:
            self.remember(slot.name, "hooks", sorted(hooks))
        return True

    def learned(self, name: str, fact: str) -> Any:
        """What the host saw of a plugin without a manifest at its last load (or ``None``)."""
        slot = self._slot(name)
        if self._learned is None or slot.record.manifest is not None:
            return None
        return self._learned.get(slot.record, fact)

    def remember(self, name: str, fact: str, value: Any) -> None:
        """Keep a fact about a plugin without a manifest for later listings."""
        slot = self._slot(name)
        if self._learned is not None and slot.record.manifest is None:
            self._learned.put(slot.record, fact, value)

    def _check_implementations(self, slot: _Slot, obj: object) -> tuple[str | None, frozenset[str]]:
        import inspect

        from cloudcraver_hookspecs import hook_table

        table = hook_table()
        found: set[str] = set()
        for attribute in dir(obj):
            opts = self.pm.parse_hookimpl_opts(obj, attribute)
            if opts is None:
                continue
            hook = opts.get("specname") or attribute
            if hook not in table:
                return (
                    f"implements {hook!r}, which is not a hook of contract {CONTRACT_VERSION}",
                    frozenset(),
                )
            if opts.get("hookwrapper"):
                return f"{hook} uses hookwrapper=True; use @hookimpl(wrapper=True)", frozenset()
            function = getattr(obj, attribute)
            if inspect.iscoroutinefunction(function) and not table[hook].may_be_async:
                return f"{hook} is async, but the contract calls it synchronously", frozenset()
            found.add(hook)
        manifest = slot.record.manifest
        if manifest is not None and set(manifest.hooks) != found:
            missing = sorted(set(manifest.hooks) - found)
            extra = sorted(found - set(manifest.hooks))
            parts = []
            if missing:
                parts.append(f"declares {', '.join(missing)} but does not implement it")
            if extra:
                parts.append(f"implements {', '.join(extra)} without declaring it")
            return f"manifest and code disagree: {'; '.join(parts)}", frozenset(found)
        return None, frozenset(found)

    # ------------------------------------------------------------------ activation

    def _activation_sequence(self, slots: Iterable[_Slot]) -> list[_Slot]:
        """The given plugins and what they require, dependencies first, not yet active."""
        wanted: set[str] = set()

        def add(key: str) -> None:
            if key in wanted or key not in self._slots:
                return
            wanted.add(key)
            for dependency in self._slots[key].requires:
                add(dependency)

        for slot in slots:
            add(slot.record.key)
        graph = {key: [d for d in self._slots[key].requires if d in wanted] for key in wanted}
        return [
            self._slots[key]
            for key in activation_order(graph)
            if self._slots[key].status is not PluginStatus.ACTIVATED
        ]

    def _begin_activation(self, slot: _Slot) -> tuple[bool, Any]:
        """Load and configure ``slot`` and call its ``activate``; the result may be awaitable."""
        for key in slot.requires:
            if self._slots[key].status is not PluginStatus.ACTIVATED:
                self._fail(
                    slot, Stage.ACTIVATE, f"required plugin '{self._slots[key].name}' failed"
                )
                return False, None
        if not self._load(slot):
            return False, None
        config = self._configure(slot)
        if config is _FAILED:
            return False, None
        try:
            return True, self._invoke_own(slot, "activate", {"config": config})
        except Exception as error:
            self._fail(slot, Stage.ACTIVATE, _describe(error), error=error)
            return False, None

    def _finish_activation(self, slot: _Slot) -> None:
        slot.status = PluginStatus.ACTIVATED
        self._active.append(slot.record.key)
        self._plans.clear()
        if self._trace:
            self._trace(f"activate {slot.name}")
        self._clear_last_failure(slot)

    def _clear_last_failure(self, slot: _Slot, stages: tuple[str, ...] | None = None) -> None:
        """Forget the persisted failure of ``slot`` (of one of ``stages``): it ran cleanly."""
        last = self._snapshot.failures.get(slot.record.key)
        if self._state is None or last is None or (stages and last.stage not in stages):
            return
        self._state.clear_failure(slot.record.key)
        failures = dict(self._snapshot.failures)
        failures.pop(slot.record.key, None)
        self._snapshot = replace(self._snapshot, failures=failures)

    def _activate_all(self, slots: Iterable[_Slot], advice: str) -> None:
        """Activate ``slots``, dependencies first.

        ``advice`` names the async API to use instead when an async ``activate`` meets a
        running event loop.
        """
        for slot in self._activation_sequence(slots):
            if not slot.runnable:
                continue
            ok, pending = self._begin_activation(slot)
            if not ok:
                continue
            if pending is not None and _is_awaitable(pending):
                try:
                    self._run_coroutine(pending, "activate", advice, slot.name)
                except PluginCallError:
                    raise  # the caller's mistake, not the plugin's
                except Exception as error:
                    self._fail(slot, Stage.ACTIVATE, _describe(error), error=error)
                    continue
            self._finish_activation(slot)

    async def _aactivate_all(self, slots: Iterable[_Slot]) -> None:
        for slot in self._activation_sequence(slots):
            if not slot.runnable:
                continue
            ok, pending = self._begin_activation(slot)
            if not ok:
                continue
            if pending is not None and _is_awaitable(pending):
                try:
                    await _shielded(pending)
                except Exception as error:
                    self._fail(slot, Stage.ACTIVATE, _describe(error), error=error)
                    continue
            self._finish_activation(slot)

    def _configure(self, slot: _Slot) -> Any:
        from .errors import ConfigError

        try:
            model = None
            if slot.hooks and "config_model" in slot.hooks:
                model = self._invoke_own(slot, "config_model", {})
            if model is None:
                return self.config.plugin_section(slot.name)
            from pydantic import BaseModel

            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                self._fail(
                    slot,
                    Stage.CONFIGURE,
                    f"config_model returned {model!r}, not a pydantic model class",
                )
                return _FAILED
            return self.config.validate_plugin(slot.name, model)
        except ConfigError as error:
            self._fail(slot, Stage.CONFIGURE, str(error), user_error=True)
        except Exception as error:
            self._fail(slot, Stage.CONFIGURE, _describe(error), error=error)
        return _FAILED

    def _invoke_own(self, slot: _Slot, hook: str, kwargs: dict[str, Any]) -> Any:
        """Call ``slot``'s own implementation of ``hook`` (``None`` if it has none)."""
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if impl.plugin is slot.plugin:
                args = [kwargs[name] for name in impl.argnames]
                with self._guard.running(slot.name, hook):
                    try:
                        return impl.function(*args)
                    except Exception:
                        raise
                    except BaseException as error:
                        raise plugin_fault(error) from error
        return None

    # ------------------------------------------------------------------ relay support

    def _candidates(self, hook: str) -> list[_Slot]:
        return [
            slot
            for slot in self._slots.values()
            if slot.runnable
            and slot.status is not PluginStatus.ACTIVATED
            and (slot.hooks is None or hook in slot.hooks)
        ]

    def _check_broadcast(self, hook: str) -> None:
        if hook in _PER_PLUGIN_ONLY:
            raise PluginCallError(
                f"the host calls {hook} on each plugin itself; use host.enable()/disable() "
                "or host.call_plugin() instead of host.hook." + hook
            )

    def _plan(self, hook: str) -> CallPlan:
        """The call plan of ``hook``, loading and activating the plugins it needs first."""
        plan = self._plans.get(hook)
        if plan is None:
            self._check_broadcast(hook)
            self.start()
            self._activate_all(self._candidates(hook), f"`await host.ahook.{hook}(...)`")
            plan = self._plans[hook] = self._build_plan(hook)
        return plan

    async def _aplan(self, hook: str) -> CallPlan:
        plan = self._plans.get(hook)
        if plan is None:
            self._check_broadcast(hook)
            self.start()
            await self._aactivate_all(self._candidates(hook))
            plan = self._plans[hook] = self._build_plan(hook)
        return plan

    def _build_plan(self, hook: str, only: _Slot | None = None) -> CallPlan:
        allowed = [
            slot.plugin
            for slot in self._slots.values()
            if slot.status is PluginStatus.ACTIVATED and (only is None or slot is only)
        ]
        impls = [
            impl
            for impl in getattr(self.pm.hook, hook).get_hookimpls()
            if any(impl.plugin is plugin for plugin in allowed)
        ]
        wrap = self._traced if self._trace else None
        return make_plan(impls, self._rank, wrap, hook)

    def _run_coroutine(
        self,
        coroutine: Coroutine[Any, Any, Any],
        hook: str,
        advice: str | None = None,
        plugin: str | None = None,
    ) -> Any:
        """Run an async implementation to the end in the host's own event loop.

        Inside a running loop that is impossible without blocking it: the caller must use
        the host's async API, which ``advice`` names (default: ``host.ahook.HOOK``).
        """
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            coroutine.close()
            advice = advice or f"`await host.ahook.{hook}(...)`"
            raise PluginCallError(
                f"{hook} has an async implementation and the host was called synchronously "
                f"inside a running event loop; use {advice} there"
            )
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        with self._guard.running(plugin or self._guard.plugin, hook):
            return self._loop.run_until_complete(_shielded(coroutine))

    def _hook_failed(self, plugin: str, hook: str, error: Exception) -> None:
        from cloudcraver_hookspecs import PluginInputError

        if isinstance(error, PluginInputError):
            raise InputError(f"{error} (plugin '{plugin}')") from error
        slot = self._slots.get(normalize_name(plugin))
        if slot is None:  # registered directly in self.pm, outside the host
            raise error
        self._fail(slot, Stage.CALL, _describe(error), hook=hook, error=error)

    def _timed_out(self, plugin: str, hook: str, reason: str) -> None:
        """Record the failure of a plugin the deadline stopped (the process ends next)."""
        slot = self._slots.get(normalize_name(plugin))
        if slot is None or self._state is None or slot.record.kind == "in-process":
            return
        stage = Stage.LOAD if hook == "import" else Stage.CALL
        shown = f"{reason} in {hook}" if stage is Stage.CALL else reason
        failure = LastFailure(stage.value, shown, slot.record.version, _utcnow())
        self._state.record_failure(slot.record.key, failure)

    def _traced(self, entry: CallEntry, hook: str) -> CallEntry:
        trace = self._trace
        assert trace is not None
        function = entry.function

        def report(started: float, result: Any) -> None:
            shown = "no result" if result is None else type(result).__name__
            elapsed = (time.perf_counter() - started) * 1000
            trace(f"hook {hook} -> {entry.plugin}: {shown} ({elapsed:.2f} ms)")

        if entry.wrapper:
            return entry
        if entry.is_async:

            async def traced_async(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                result = await function(*args, **kwargs)
                report(started, result)
                return result

            return entry._replace(function=traced_async)

        def traced(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = function(*args, **kwargs)
            report(started, result)
            return result

        return entry._replace(function=traced)

    # ------------------------------------------------------------------ failures

    def _fail(
        self,
        slot: _Slot,
        stage: Stage,
        reason: str,
        *,
        hook: str | None = None,
        error: BaseException | None = None,
        user_error: bool = False,
    ) -> None:
        if slot.plugin is not None and self.pm.is_registered(slot.plugin):
            self.pm.unregister(slot.plugin)
        slot.plugin = None
        if slot.record.key in self._active:
            self._active.remove(slot.record.key)
        detail = None
        if error is not None and error.__traceback__ is not None:
            detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        failure = Failure(slot.name, stage, reason, hook, user_error, detail)
        slot.status, slot.failure = PluginStatus.FAILED, failure
        self._plans.clear()
        if (stage.value, reason) in slot.reported:
            return
        slot.reported.add((stage.value, reason))
        self.failures.append(failure)
        if self._state is not None and slot.record.kind != "in-process":
            known = self._snapshot.failures.get(slot.record.key)
            same = (known.stage, known.reason, known.version) if known else None
            if same != (stage.value, reason, slot.record.version):
                # A permanent failure (say, an incompatible contract) is written once, not
                # by every command: listing must not need a writable state file.
                last = LastFailure(stage.value, reason, slot.record.version, _utcnow())
                self._state.record_failure(slot.record.key, last)
                failures = {**self._snapshot.failures, slot.record.key: last}
                self._snapshot = replace(self._snapshot, failures=failures)
        if self._on_failure is not None:
            self._on_failure(failure)
        if stage is not Stage.VALIDATE:
            self._fail_dependents(slot)

    def _fail_dependents(self, failed: _Slot) -> None:
        """Stop the plugins requiring a failed one: they cannot count on it any more."""
        for slot in self._dependents_first(failed):
            if slot is failed or not slot.runnable:
                continue
            pending = self._stop_begin(slot)
            if pending is not None and _is_awaitable(pending):
                # Inside a running loop an async deactivate cannot be awaited from here.
                with contextlib.suppress(PluginCallError):
                    self._run_lifecycle(slot, pending, "the async API")
            self._stop_end(slot)
            self._fail(slot, Stage.VALIDATE, f"requires plugin '{failed.name}', which failed")

    def detach_for_worker(self) -> None:
        """Make this copy of the host (in a forked worker) keep failures to itself.

        It no longer writes the state file or reports failures; the parent, which redoes
        a worker's share when the worker saw a failure, does both once.
        """
        self._state = None
        self._on_failure = None

    def fail_plugin(self, name: str, reason: str, *, hook: str | None = None) -> None:
        """Mark a plugin failed from outside the relay, e.g. when it returned malformed data."""
        self._fail(self._slot(name), Stage.CALL, reason, hook=hook)

    # ------------------------------------------------------------------ public API

    def _slot(self, name: str) -> _Slot:
        self.start()
        slot = self._slots.get(normalize_name(name))
        if slot is None:
            import difflib

            known = [s.name for s in self._slots.values()]
            close = difflib.get_close_matches(name, known, n=1)
            hint = (
                f"; did you mean '{close[0]}'?" if close else "; see: cloudcraver plugin list --all"
            )
            raise InputError(f"unknown plugin '{name}'{hint}")
        return slot

    def names(self) -> list[str]:
        """The names of every plugin known to the host."""
        self.start()
        return [slot.name for slot in self._slots.values()]

    def plugins(self) -> list[PluginInfo]:
        """A snapshot of every plugin, by name."""
        self.start()
        index = self._call_positions()  # once for all: a listing stays linear in plugins
        return [self._info(slot, index) for slot in self._slots.values()]

    def manifests(self) -> list[tuple[str, Declaration]]:
        """The manifests of the plugins that may run now (enabled, not failed), by name.

        Cheaper than :meth:`plugins` when only declarations are wanted (``--help``).
        """
        self.start()
        return [
            (slot.name, slot.record.manifest)
            for slot in self._slots.values()
            if slot.runnable and slot.record.manifest is not None
        ]

    def info(self, name: str) -> PluginInfo:
        """A snapshot of one plugin; :class:`InputError` if unknown."""
        return self._info(self._slot(name))

    def record(self, name: str) -> PluginRecord:
        """What discovery knows of one plugin (location, manifest...)."""
        return self._slot(name).record

    def load(self, name: str) -> PluginInfo:
        """Import a plugin now (without activating it), e.g. to learn its hooks."""
        slot = self._slot(name)
        self._load(slot)
        return self._info(slot)

    def activate(self, name: str) -> PluginInfo:
        """Load and activate a plugin now (and what it requires) instead of at first use."""
        slot = self._slot(name)
        self._activate_all([slot], "`await host.aactivate(...)`")
        return self._info(slot)

    async def aactivate(self, name: str) -> PluginInfo:
        """:meth:`activate` from async code."""
        slot = self._slot(name)
        await self._aactivate_all([slot])
        return self._info(slot)

    def activate_all(self) -> None:
        """Load and activate every runnable plugin now, dependencies first."""
        self.start()
        self._activate_all(
            [s for s in self._slots.values() if s.runnable], "`await host.aactivate_all()`"
        )

    async def aactivate_all(self) -> None:
        """:meth:`activate_all` from async code."""
        self.start()
        await self._aactivate_all([s for s in self._slots.values() if s.runnable])

    def guarded(self, plugin: str, what: str) -> AbstractContextManager[None]:
        """Run plugin code the host calls outside a hook under the guard of hook calls.

        Such code is a template parameter model's validators or schema; the guard is the
        deadline, output capture and ``os._exit`` refusal of :mod:`.guard`.
        """
        return self._guard.running(plugin, what)

    def is_active(self, name: str) -> bool:
        """Whether the relay currently calls ``name``."""
        return self._slot(name).status is PluginStatus.ACTIVATED

    def call_plugin(self, name: str, hook: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of ``hook`` (activating it first).

        :raises PluginFailedError: if the plugin cannot run or raises (it is marked failed).
        """
        slot = self._slot(name)
        self._activate_all([slot], "`await host.acall_plugin(...)`")
        self._require_active(slot, hook)
        result = call_sync(self, hook, self._build_plan(hook, slot), kwargs, True)
        self._require_active(slot, hook)
        return result

    async def acall_plugin(self, name: str, hook: str, **kwargs: Any) -> Any:
        """:meth:`call_plugin` from async code."""
        slot = self._slot(name)
        await self._aactivate_all([slot])
        self._require_active(slot, hook)
        result = await call_async(self, hook, self._build_plan(hook, slot), kwargs, True)
        self._require_active(slot, hook)
        return result

    def call_each(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call ``hook`` like ``host.hook`` does, giving each result with its plugin's name."""
        return call_sync(self, hook, self._plan(hook), kwargs, False, pairs=True)  # type: ignore[no-any-return]

    async def acall_each(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """:meth:`call_each` from async code."""
        plan = await self._aplan(hook)
        return await call_async(self, hook, plan, kwargs, False, pairs=True)  # type: ignore[no-any-return]

    def _require_active(self, slot: _Slot, hook: str) -> None:
        if slot.status is PluginStatus.ACTIVATED:
            return
        if slot.failure is not None:
            raise PluginFailedError(
                slot.failure.describe(), user_error=slot.failure.user_error, failure=slot.failure
            )
        reason = slot.blocked or slot.status.value
        raise PluginFailedError(f"plugin '{slot.name}' cannot answer {hook}: {reason}")

    def enable(self, name: str, *, persist: bool = True) -> PluginInfo:
        """Enable a plugin; in a running host the relay calls it from the next hook call.

        :param persist: record the choice in the state file (when the host has one).
        """
        slot = self._slot(name)
        if persist and self._state is not None:
            self._state.set_enabled(slot.record.key, True)
        slot.enabled = True
        slot.blocked = self._block_reason(slot)
        if slot.status is PluginStatus.FAILED:
            slot.status, slot.failure = PluginStatus.DISCOVERED, None
            slot.reported.clear()
        if slot.status in (PluginStatus.DEACTIVATED, PluginStatus.UNLOADED):
            slot.status = PluginStatus.DISCOVERED
        self._revalidate_dependency_failures()
        self._validate()
        return self._info(slot)

    def disable(self, name: str, *, persist: bool = True) -> PluginInfo:
        """Disable a plugin; in a running host it is deactivated and unloaded at once.

        Plugins requiring it are stopped too (and fail validation until it is enabled).
        """
        slot = self._slot(name)
        if persist and self._state is not None:
            self._state.set_enabled(slot.record.key, False)
        for other in self._dependents_first(slot):
            self._stop(other, "`await host.adisable(...)`")
        slot.enabled = False
        slot.blocked = self._block_reason(slot)
        self._validate()
        return self._info(slot)

    async def adisable(self, name: str, *, persist: bool = True) -> PluginInfo:
        """:meth:`disable` from async code (awaits async ``deactivate`` implementations)."""
        slot = self._slot(name)
        if persist and self._state is not None:
            self._state.set_enabled(slot.record.key, False)
        for other in self._dependents_first(slot):
            pending = self._stop_begin(other)
            if pending is not None and _is_awaitable(pending):
                await self._settle_async(other, pending)
            self._stop_end(other)
        slot.enabled = False
        slot.blocked = self._block_reason(slot)
        self._validate()
        return self._info(slot)

    def _revalidate_dependency_failures(self) -> None:
        for slot in self._slots.values():
            if (
                slot.status is PluginStatus.FAILED
                and slot.failure is not None
                and slot.failure.stage is Stage.VALIDATE
                and "requires plugin" in slot.failure.reason
            ):
                slot.status, slot.failure = PluginStatus.DISCOVERED, None

    def _dependents_first(self, slot: _Slot) -> list[_Slot]:
        """``slot`` and every active plugin requiring it, in deactivation order."""
        affected = {slot.record.key}
        changed = True
        while changed:
            changed = False
            for key, other in self._slots.items():
                if key not in affected and affected & set(other.requires):
                    affected.add(key)
                    changed = True
        ordered = [key for key in reversed(self._active) if key in affected]
        rest = [key for key in affected if key not in ordered]
        return [self._slots[key] for key in ordered + rest]

    # ------------------------------------------------------------------ deactivation

    def _stop_begin(self, slot: _Slot) -> Any:
        """Call ``deactivate`` if the plugin is active; its result may be awaitable."""
        if slot.status is not PluginStatus.ACTIVATED:
            return None
        try:
            return self._invoke_own(slot, "deactivate", {})
        except Exception as error:
            self._fail(slot, Stage.DEACTIVATE, _describe(error), error=error)
            return None

    def _stop_end(self, slot: _Slot) -> None:
        if slot.status is PluginStatus.ACTIVATED:
            slot.status = PluginStatus.DEACTIVATED
            if self._trace:
                self._trace(f"deactivate {slot.name}")
        if slot.record.key in self._active:
            self._active.remove(slot.record.key)
        if slot.plugin is not None and self.pm.is_registered(slot.plugin):
            self.pm.unregister(slot.plugin)
            slot.plugin = None
            slot.status = PluginStatus.UNLOADED
        self._plans.clear()

    def _run_lifecycle(self, slot: _Slot, pending: Any, advice: str) -> None:
        try:
            self._run_coroutine(pending, "deactivate", advice, slot.name)
        except PluginCallError:
            raise
        except Exception as error:
            self._fail(slot, Stage.DEACTIVATE, _describe(error), error=error)

    async def _settle_async(self, slot: _Slot, pending: Any) -> None:
        try:
            await _shielded(pending)
        except Exception as error:
            self._fail(slot, Stage.DEACTIVATE, _describe(error), error=error)

    def _stop(self, slot: _Slot, advice: str) -> None:
        """Deactivate (running an async ``deactivate`` in the host's loop) and unload."""
        pending = self._stop_begin(slot)
        if pending is not None and _is_awaitable(pending):
            self._run_lifecycle(slot, pending, advice)
        self._stop_end(slot)

    def close(self) -> None:
        """Deactivate every active plugin (reverse activation order) and unload them all."""
        for key in list(reversed(self._active)):
            self._stop(self._slots[key], "`await host.aclose()` or `async with`")
        for slot in self._slots.values():
            self._stop_end(slot)
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    async def aclose(self) -> None:
        """:meth:`close` from async code."""
        for key in list(reversed(self._active)):
            slot = self._slots[key]
            pending = self._stop_begin(slot)
            if pending is not None and _is_awaitable(pending):
                await self._settle_async(slot, pending)
            self._stop_end(slot)
        for slot in self._slots.values():
            self._stop_end(slot)

    # ------------------------------------------------------------------ snapshots

    def _known_hooks(self, slot: _Slot) -> tuple[frozenset[str] | None, str]:
        """The plugin's hooks and where that knowledge comes from."""
        if slot.record.manifest is not None:
            return frozenset(slot.record.manifest.hooks), "manifest"
        if slot.hooks is not None:
            return slot.hooks, "code"
        seen = self._learned.get(slot.record, "hooks") if self._learned else None
        if isinstance(seen, list):
            return frozenset(seen), "last load"
        return None, "unknown"

    def _info(self, slot: _Slot, index: dict[str, dict[str, int]] | None = None) -> PluginInfo:
        record, manifest = slot.record, slot.record.manifest
        last = self._snapshot.failures.get(record.key)
        hooks, hooks_source = self._known_hooks(slot)
        seen_templates = (
            self._learned.get(record, "templates") if self._learned and not manifest else None
        )
        return PluginInfo(
            name=slot.name,
            version=record.version,
            distribution=record.distribution,
            location=record.location,
            kind=record.kind,
            first_party=record.first_party,
            enabled=slot.enabled,
            status=slot.status,
            blocked=slot.blocked,
            failure=slot.failure,
            last_failure=None
            if last is None
            else {
                "stage": last.stage,
                "reason": last.reason,
                "version": last.version,
                "at": last.at.isoformat(),
            },
            has_manifest=manifest is not None,
            contract=record.contract,
            hooks=None if hooks is None else tuple(sorted(hooks)),
            hooks_source=hooks_source,
            hook_positions=self._positions(
                slot, self._call_positions() if index is None else index
            ),
            templates=tuple(t.name for t in manifest.templates)
            if manifest
            else tuple(t["name"] for t in seen_templates or ()),
            commands=tuple(c.name for c in manifest.commands) if manifest else (),
            permissions=manifest.permissions.as_dict() if manifest else {},
            requires=tuple(manifest.requires) if manifest else tuple(slot.requires),
            description=manifest.description if manifest else "",
        )

    def _call_positions(self) -> dict[str, dict[str, int]]:
        """Each hook's runnable implementers (as known now) and their place in its call order."""
        groups: dict[str, dict[str, int]] = {}
        peers: dict[str, list[tuple[int, int, str]]] = {}
        last = len(self._rank)
        for slot in self._slots.values():
            if not slot.runnable:
                continue
            for hook in self._known_hooks(slot)[0] or ():
                if hook in _PER_PLUGIN_ONLY:
                    continue
                group = groups.get(hook)
                if group is None:
                    group = groups[hook] = self._impl_groups(hook)
                rank = self._rank.get(slot.name, last)
                peers.setdefault(hook, []).append((group.get(slot.name, 1), rank, slot.name))
        return {
            hook: {name: place for place, (_, _, name) in enumerate(sorted(found), start=1)}
            for hook, found in peers.items()
        }

    def _positions(
        self, slot: _Slot, index: dict[str, dict[str, int]]
    ) -> dict[str, tuple[int, int]]:
        """Where ``slot`` stands in each of its hooks' call order (from what is known now)."""
        hooks = self._known_hooks(slot)[0]
        positions: dict[str, tuple[int, int]] = {}
        for hook in sorted(hooks or ()):
            places = index.get(hook, {})
            if slot.name in places:
                positions[hook] = (places[slot.name], len(places))
        return positions

    def _impl_groups(self, hook: str) -> dict[str, int]:
        if self._pm is None:  # nothing loaded yet: every implementation is in the middle group
            return {}
        return {
            impl.plugin_name: 0 if impl.tryfirst else 2 if impl.trylast else 1
            for impl in getattr(self.pm.hook, hook).get_hookimpls()
        }


class _Failed:
    """Marks a step that failed (``None`` is a valid configuration)."""


_FAILED: Any = _Failed()


def _compatible(record: PluginRecord) -> bool:
    if record.contract_compatible is not None:
        return record.contract_compatible
    from .discovery import contract_compatible

    return bool(contract_compatible(record.contract))


async def _shielded(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Await a plugin's coroutine; ``SystemExit`` and the like become its failure."""
    try:
        return await coroutine
    except Exception:
        raise
    except BaseException as error:
        raise plugin_fault(error) from error


def _is_awaitable(value: Any) -> bool:
    import inspect

    return inspect.isawaitable(value)


def _utcnow() -> Any:
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
