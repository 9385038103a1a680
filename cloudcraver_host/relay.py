"""The hook relay: how the host calls plugins.

``host.hook.NAME(**kwargs)`` (sync) and ``await host.ahook.NAME(**kwargs)`` (async) call
every activated implementation of a hook, like pluggy's own relay, and add what pluggy
leaves to its users:

- **lazy loading**: the first call of a hook imports and activates the plugins that
  implement it (known from their manifests), and only those;
- **isolation**: an implementation that raises is reported once, its plugin is marked
  failed and unloaded, and the call goes on with the others (a
  :class:`~cloudcraver_hookspecs.PluginInputError` is the user's error instead, and stops
  the call);
- **async**: ``async def`` implementations are awaited, by the async relay in the caller's
  event loop, by the sync relay in the host's own loop;
- **a defined order**: ``tryfirst``, then the rest, then ``trylast``; within each, a plugin
  before the plugins it requires, then by name (see :mod:`cloudcraver_host.ordering`).

The implementations come from pluggy's registry (pluggy checks their signatures when they
register); the calling loop is the host's, so each call costs no more than pluggy's.
New-style wrappers (``@hookimpl(wrapper=True)``) are supported; old-style
``hookwrapper=True`` is refused at load time.
"""

from __future__ import annotations

import inspect
import operator
from collections.abc import Callable, Coroutine, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from .errors import PluginCallError
from .guard import plugin_fault

if TYPE_CHECKING:
    from pluggy import HookImpl

    from .guard import CallGuard

__all__ = ["AsyncHookRelay", "CallEntry", "CallPlan", "HookRelay", "make_plan"]


class CallEntry(NamedTuple):
    """One implementation, prepared for calling (attributes read once, not per call)."""

    function: Callable[..., Any]
    argnames: tuple[str, ...]
    kwargnames: tuple[str, ...]
    is_async: bool
    plugin: str
    wrapper: bool


#: A plain implementation ready for the hot loop: (function, argument fetcher, arity,
#: simple, entry). ``simple`` means no keyword-with-default arguments and not async.
FastEntry = tuple[Callable[..., Any], Any, int, bool, CallEntry]


class CallPlan(NamedTuple):
    """The implementations of one hook, in call order."""

    plain: tuple[CallEntry, ...]
    wrappers: tuple[CallEntry, ...]
    fast: tuple[FastEntry, ...] = ()


def _fast(entry: CallEntry) -> FastEntry:
    # operator.itemgetter fetches the arguments in C: a third of the per-call cost of a
    # list comprehension over the argument names.
    names = entry.argnames
    fetch = operator.itemgetter(*names) if names else None
    simple = not entry.kwargnames and not entry.is_async
    return entry.function, fetch, len(names), simple, entry


class RelayHost(Protocol):
    """What the relay needs from the host."""

    _plans: dict[str, CallPlan]
    _guard: CallGuard

    def _plan(self, hook: str) -> CallPlan: ...

    async def _aplan(self, hook: str) -> CallPlan: ...

    def _run_coroutine(self, coroutine: Coroutine[Any, Any, Any], hook: str) -> Any: ...

    def _hook_failed(self, plugin: str, hook: str, error: Exception) -> None: ...


def make_plan(
    impls: Sequence[HookImpl],
    rank: Mapping[str, int],
    wrap: Callable[[CallEntry, str], CallEntry] | None = None,
    hook: str = "",
) -> CallPlan:
    """Sort pluggy's implementations into the host's call order and prepare them.

    :param impls: the hook's implementations from pluggy, restricted to activated plugins.
    :param rank: each plugin's place in the plugin call order.
    :param wrap: optional decorator of each entry (used for ``--debug`` tracing).
    :param hook: the hook's name, passed to ``wrap``.
    """

    def position(impl: HookImpl) -> tuple[int, int, str]:
        group = 0 if impl.tryfirst else 2 if impl.trylast else 1
        return group, rank.get(impl.plugin_name, len(rank)), impl.plugin_name

    plain: list[CallEntry] = []
    wrappers: list[CallEntry] = []
    for impl in sorted(impls, key=position):
        entry = CallEntry(
            function=impl.function,
            argnames=tuple(impl.argnames),
            kwargnames=tuple(impl.kwargnames),
            is_async=inspect.iscoroutinefunction(impl.function),
            plugin=impl.plugin_name,
            wrapper=bool(impl.wrapper),
        )
        if wrap is not None:
            entry = wrap(entry, hook)
        (wrappers if entry.wrapper else plain).append(entry)
    return CallPlan(tuple(plain), tuple(wrappers), tuple(_fast(e) for e in plain))


def _missing_argument(hook: str, plugin: str, exc: KeyError) -> PluginCallError:
    return PluginCallError(
        f"hook {hook} was called without its argument {exc.args[0]!r} (plugin '{plugin}' needs it)"
    )


def _arguments(hook: str, entry: CallEntry, kwargs: Mapping[str, Any]) -> list[Any]:
    try:
        return [kwargs[name] for name in entry.argnames]
    except KeyError as exc:
        raise _missing_argument(hook, entry.plugin, exc) from None


def _invoke(entry: CallEntry, args: list[Any], kwargs: Mapping[str, Any]) -> Any:
    if entry.kwargnames:
        extra = {name: kwargs[name] for name in entry.kwargnames if name in kwargs}
        return entry.function(*args, **extra)
    return entry.function(*args)


def call_sync(
    host: RelayHost,
    hook: str,
    plan: CallPlan,
    kwargs: Mapping[str, Any],
    firstresult: bool,
    pairs: bool = False,
) -> Any:
    """Run a hook call to the end, awaiting async implementations in the host's loop.

    With ``pairs``, each result comes as ``(plugin name, result)``.
    """
    guard = host._guard
    token = guard.enter(hook)  # deadline, captured output (see guard.py)
    try:
        if plan.wrappers:
            return _call_wrapped(host, hook, plan, kwargs, firstresult, pairs)
        results: list[Any] = []
        # The loop is written out (no helper call per implementation): it is the hot path.
        for function, fetch, arity, simple, entry in plan.fast:
            try:
                value: Any = fetch(kwargs) if arity else None
            except KeyError as exc:
                raise _missing_argument(hook, entry.plugin, exc) from None
            guard.plugin = entry.plugin
            try:
                if not simple:
                    result = _call_special(host, hook, entry, kwargs)
                elif arity == 1:
                    result = function(value)
                else:
                    result = function(*value) if arity else function()
            except PluginCallError:
                raise
            except BaseException as error:  # sys.exit(), KeyboardInterrupt... from a plugin too
                host._hook_failed(entry.plugin, hook, plugin_fault(error))
                continue
            if result is not None:
                if pairs:
                    result = (entry.plugin, result)
                if firstresult:
                    return result
                results.append(result)
        return None if firstresult else results
    finally:
        guard.leave(token)


def _call_special(host: RelayHost, hook: str, entry: CallEntry, kwargs: Mapping[str, Any]) -> Any:
    """An implementation with defaulted keyword arguments, or an async one."""
    result = _invoke(entry, _arguments(hook, entry, kwargs), kwargs)
    if entry.is_async:
        result = host._run_coroutine(result, hook)
    return result


async def call_async(
    host: RelayHost,
    hook: str,
    plan: CallPlan,
    kwargs: Mapping[str, Any],
    firstresult: bool,
    pairs: bool = False,
) -> Any:
    """Run a hook call in the caller's event loop, awaiting async implementations."""
    token = host._guard.enter(hook)
    try:
        return await _call_async(host, hook, plan, kwargs, firstresult, pairs)
    finally:
        host._guard.leave(token)


async def _call_async(
    host: RelayHost,
    hook: str,
    plan: CallPlan,
    kwargs: Mapping[str, Any],
    firstresult: bool,
    pairs: bool,
) -> Any:
    if plan.wrappers:
        return await _call_wrapped_async(host, hook, plan, kwargs, firstresult, pairs)
    results: list[Any] = []
    for entry in plan.plain:
        args = _arguments(hook, entry, kwargs)
        host._guard.plugin = entry.plugin
        try:
            result = _invoke(entry, args, kwargs)
            if entry.is_async:
                result = await result
        except PluginCallError:
            raise
        except BaseException as error:  # sys.exit(), KeyboardInterrupt... from a plugin too
            host._hook_failed(entry.plugin, hook, plugin_fault(error))
            continue
        if result is not None:
            if pairs:
                result = (entry.plugin, result)
            if firstresult:
                return result
            results.append(result)
    return None if firstresult else results


def _call_wrapped(
    host: RelayHost,
    hook: str,
    plan: CallPlan,
    kwargs: Mapping[str, Any],
    firstresult: bool,
    pairs: bool,
) -> Any:
    started = _start_wrappers(host, hook, plan.wrappers, kwargs)
    try:
        inner = call_sync(
            host, hook, CallPlan(plan.plain, (), plan.fast), kwargs, firstresult, pairs
        )
    except BaseException as exc:
        return _finish_wrappers(host, hook, started, None, exc)
    return _finish_attributed(host, hook, started, inner, firstresult, pairs)


async def _call_wrapped_async(
    host: RelayHost,
    hook: str,
    plan: CallPlan,
    kwargs: Mapping[str, Any],
    firstresult: bool,
    pairs: bool,
) -> Any:
    started = _start_wrappers(host, hook, plan.wrappers, kwargs)
    try:
        inner = await call_async(
            host, hook, CallPlan(plan.plain, (), plan.fast), kwargs, firstresult, pairs
        )
    except BaseException as exc:
        return _finish_wrappers(host, hook, started, None, exc)
    return _finish_attributed(host, hook, started, inner, firstresult, pairs)


def _finish_attributed(
    host: RelayHost, hook: str, started: _Started, inner: Any, firstresult: bool, pairs: bool
) -> Any:
    """Run the wrappers on plain results; with ``pairs``, attribute their output again.

    Wrappers see what ``host.hook`` callers see (results, not ``(plugin, result)`` pairs).
    A result a wrapper passes on keeps its plugin; one it adds is the wrapper's own.
    """
    if not pairs:
        return _finish_wrappers(host, hook, started, inner, None)
    owners: dict[int, str] = {}

    def plain(pair: tuple[str, Any]) -> Any:
        owners[id(pair[1])] = pair[0]
        return pair[1]

    if firstresult:
        result = _finish_wrappers(
            host, hook, started, plain(inner) if inner else None, None, owners
        )
        return None if result is None else (owners.get(id(result), ""), result)
    result = _finish_wrappers(host, hook, started, [plain(p) for p in inner], None, owners)
    return [(owners.get(id(item), ""), item) for item in _as_list(result)]


def _as_list(result: Any) -> list[Any]:
    if result is None:
        return []
    return list(result) if isinstance(result, (list, tuple)) else [result]


_Started = list[tuple[CallEntry, Generator[None, Any, Any]]]


def _start_wrappers(
    host: RelayHost, hook: str, wrappers: Sequence[CallEntry], kwargs: Mapping[str, Any]
) -> _Started:
    """Run each wrapper up to its ``yield``, outermost first.

    A wrapper is a generator: the code before ``yield`` runs before the inner call,
    ``yield`` gives it the result (or raises the inner exception) and the value it returns
    replaces the result. A wrapper that fails is dropped from the call and its plugin
    marked failed; the result passes through unchanged.
    """
    started: _Started = []
    for entry in wrappers:
        args = _arguments(hook, entry, kwargs)
        host._guard.plugin = entry.plugin
        try:
            generator = _invoke(entry, args, kwargs)
            next(generator)
        except PluginCallError:
            raise
        except BaseException as error:
            host._hook_failed(entry.plugin, hook, plugin_fault(error))
            continue
        started.append((entry, generator))
    return started


def _finish_wrappers(
    host: RelayHost,
    hook: str,
    started: _Started,
    result: Any,
    error: BaseException | None,
    owners: dict[int, str] | None = None,
) -> Any:
    """Resume the wrappers innermost first with the result or the error.

    ``owners`` (result id -> plugin), when given, learns which wrapper added what.
    """
    for entry, generator in reversed(started):
        host._guard.plugin = entry.plugin
        try:
            if error is not None:
                generator.throw(error)
            else:
                generator.send(result)
        except StopIteration as stop:
            result, error = stop.value, None
            if owners is not None:
                for item in (result, *_as_list(result)):
                    owners.setdefault(id(item), entry.plugin)
            continue
        except BaseException as exc:
            if exc is error:
                continue
            host._hook_failed(entry.plugin, hook, plugin_fault(exc))
            continue
        generator.close()
        host._hook_failed(entry.plugin, hook, RuntimeError("the wrapper yielded twice"))
    if error is not None:
        raise error
    return result


class HookCaller:
    """Calls one hook through the host (``host.hook.NAME``)."""

    __slots__ = ("_firstresult", "_host", "_plans", "name")

    def __init__(self, host: RelayHost, name: str, firstresult: bool) -> None:
        self._host = host
        self.name = name
        self._firstresult = firstresult
        self._plans = host._plans  # the host clears this dict whenever a plugin changes

    def __call__(self, **kwargs: Any) -> Any:
        """Call every activated implementation.

        The result is a list of the non-``None`` results, or for ``firstresult`` hooks the
        first one (``None`` when no implementation answered).
        """
        plan = self._plans.get(self.name) or self._host._plan(self.name)
        return call_sync(self._host, self.name, plan, kwargs, self._firstresult)

    def __repr__(self) -> str:
        return f"<HookCaller {self.name}>"


class AsyncHookCaller:
    """Calls one hook through the host from async code (``await host.ahook.NAME(...)``)."""

    __slots__ = ("_firstresult", "_host", "name")

    def __init__(self, host: RelayHost, name: str, firstresult: bool) -> None:
        self._host = host
        self.name = name
        self._firstresult = firstresult

    async def __call__(self, **kwargs: Any) -> Any:
        """Like :meth:`HookCaller.__call__`, awaiting async implementations in this loop."""
        plan = await self._host._aplan(self.name)
        return await call_async(self._host, self.name, plan, kwargs, self._firstresult)

    def __repr__(self) -> str:
        return f"<AsyncHookCaller {self.name}>"


class _Relay:
    def __init__(self, host: RelayHost) -> None:
        self._host = host

    def __getattr__(self, name: str) -> Any:
        from cloudcraver_hookspecs import hook_table

        info = hook_table().get(name)
        if info is None or name.startswith("_"):
            raise AttributeError(f"the contract has no hook {name!r}")
        caller = self._make(name, info.firstresult)
        setattr(self, name, caller)  # later lookups skip __getattr__
        return caller

    def _make(self, name: str, firstresult: bool) -> Any:
        raise NotImplementedError

    def __dir__(self) -> list[str]:
        from cloudcraver_hookspecs import hook_table

        return sorted(hook_table())


class HookRelay(_Relay):
    """``host.hook``: an attribute per hook of the contract, each a :class:`HookCaller`."""

    def _make(self, name: str, firstresult: bool) -> HookCaller:
        return HookCaller(self._host, name, firstresult)


class AsyncHookRelay(_Relay):
    """``host.ahook``: an attribute per hook, each an :class:`AsyncHookCaller`."""

    def _make(self, name: str, firstresult: bool) -> AsyncHookCaller:
        return AsyncHookCaller(self._host, name, firstresult)
