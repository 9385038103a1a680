"""Verifying changed plugins in a separate process, and migrating their configuration.

After pip changed the environment, the host must know the new plugins work before it
commits the change, without importing them into its own process (a plugin's import could
crash or poison it, and the host's process has the old versions' modules loaded). A
worker process (``python -m cloudcraver_host.install.verify``) reads a request on stdin::

    {"plugins": ["name", ...],
     "migrations": [{"plugin": "name", "from": "1.0", "to": "2.0"}, ...],
     "config_file": "/home/me/.config/cloudcraver/config.toml"}

and writes one JSON result on stdout. For each plugin (a plugin name, or a distribution
name standing for every plugin it holds), with the host's own machinery
(:mod:`~cloudcraver_host.discovery`, :mod:`~cloudcraver_host.manifest`,
:class:`~cloudcraver_host.host.PluginHost`), exactly as a command would:

1. discovery reads its metadata and manifest (a malformed manifest fails);
2. the contract range it declares must admit this host's ``CONTRACT_VERSION``;
3. its entry point is imported and registered in a fresh pluggy ``PluginManager`` holding
   the contract's specifications: a hook name the contract does not have, a ``hookwrapper``,
   an ``async`` implementation of a synchronous hook fail it;
4. the hooks its manifest declares must be the hooks its code implements, and the
   templates the manifest lists must be among those ``contribute_templates`` gives.

If every plugin passes, the requested migrations run: each plugin's own ``migrate_config``
(contract 1.1.0) gets its table of the user's configuration file, and the results are
written back in one atomic replace, under the file's lock, with the read. All or nothing:
one failing migration writes nothing, and no migration runs when a plugin failed.

The worker is started before pip finishes (:class:`VerifyWorker`), so that interpreter
start-up and the host's imports overlap with pip; it reads the environment's metadata
only after the request arrives, and first picks up ``.pth`` files pip added meanwhile.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..discovery import DiscoveryResult, PluginRecord
    from ..host import PluginHost

__all__ = [
    "Migration",
    "PluginVerdict",
    "VerifyRequest",
    "VerifyResult",
    "VerifyWorker",
    "main",
    "run_request",
    "verify_plugins",
]

#: The module the worker runs as (``python -m``).
WORKER_MODULE = "cloudcraver_host.install.verify"
#: How long the host waits for a worker by default.
DEFAULT_TIMEOUT = 120.0


# ---------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Migration:
    """A configuration migration to run: ``plugin`` went from ``from_version`` to ``to_version``.

    :param plugin: the plugin name (or its distribution's name).
    :param from_version: the version before the change (``""`` for a new install).
    :param to_version: the version now installed.
    """

    plugin: str
    from_version: str
    to_version: str

    def to_json(self) -> dict[str, str]:
        """The request's form: ``{"plugin", "from", "to"}``."""
        return {"plugin": self.plugin, "from": self.from_version, "to": self.to_version}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Migration:
        """Read the request's form."""
        return cls(str(data["plugin"]), str(data.get("from") or ""), str(data["to"]))


@dataclass(frozen=True)
class VerifyRequest:
    """What the worker is asked to check and migrate.

    :param plugins: plugin names, or distribution names standing for their plugins.
    :param migrations: migrations to run when every plugin passes.
    :param config_file: the user's configuration file (default: the one of ``HostPaths``).
    """

    plugins: tuple[str, ...]
    migrations: tuple[Migration, ...] = ()
    config_file: Path | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON the worker reads."""
        return {
            "plugins": list(self.plugins),
            "migrations": [m.to_json() for m in self.migrations],
            "config_file": None if self.config_file is None else str(self.config_file),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerifyRequest:
        """Read the JSON form (:class:`ValueError` if malformed)."""
        try:
            plugins = tuple(str(p) for p in data.get("plugins", []))
            migrations = tuple(Migration.from_json(m) for m in data.get("migrations", []))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed verification request: {exc!r}") from exc
        config = data.get("config_file")
        return cls(plugins, migrations, Path(config) if config else None)


@dataclass(frozen=True)
class PluginVerdict:
    """The outcome for one plugin.

    :param name: the plugin name (or the requested name, when nothing matched it).
    :param ok: whether it passed every check (and its migration, if any).
    :param error: why not, one line.
    :param seconds: time spent on it (import, registration, checks, migration).
    :param version: its version, when found.
    :param distribution: the distribution holding it, when found.
    :param warnings: what could not be checked, one line each (not a failure).
    :param migrated: whether its ``migrate_config`` changed its configuration table.
    """

    name: str
    ok: bool
    error: str | None = None
    seconds: float = 0.0
    version: str | None = None
    distribution: str | None = None
    warnings: tuple[str, ...] = ()
    migrated: bool = False

    def to_json(self) -> dict[str, Any]:
        """The result's JSON form."""
        return {
            "name": self.name,
            "ok": self.ok,
            "error": self.error,
            "seconds": round(self.seconds, 4),
            "version": self.version,
            "distribution": self.distribution,
            "warnings": list(self.warnings),
            "migrated": self.migrated,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PluginVerdict:
        """Read the JSON form."""
        return cls(
            name=str(data["name"]),
            ok=bool(data["ok"]),
            error=data.get("error"),
            seconds=float(data.get("seconds", 0.0)),
            version=data.get("version"),
            distribution=data.get("distribution"),
            warnings=tuple(data.get("warnings", ())),
            migrated=bool(data.get("migrated", False)),
        )


@dataclass(frozen=True)
class VerifyResult:
    """What the worker found.

    :param plugins: one verdict per plugin checked.
    :param config_before: for each plugin whose table the migrations rewrote, the table as
        it was (``None``: there was none), so that the host can put it back when it
        restores the previous versions after all.
    :param config_written: whether the configuration file was rewritten.
    :param seconds: the worker's time from the request to the result.
    :param error: a failure of the verification itself (the worker crashed or timed out).
    """

    plugins: tuple[PluginVerdict, ...]
    config_before: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    config_written: bool = False
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the verification ran and every plugin passed."""
        return self.error is None and all(v.ok for v in self.plugins)

    def failures(self) -> list[PluginVerdict]:
        """The verdicts of the plugins that failed."""
        return [v for v in self.plugins if not v.ok]

    def summary(self) -> str:
        """One line for the user: what failed and why (empty when everything passed)."""
        if self.error is not None:
            return self.error
        return "; ".join(f"{v.name}: {v.error}" for v in self.failures())

    def to_json(self) -> dict[str, Any]:
        """The JSON the worker prints."""
        return {
            "plugins": [v.to_json() for v in self.plugins],
            "config_before": {
                k: None if v is None else dict(v) for k, v in self.config_before.items()
            },
            "config_written": self.config_written,
            "seconds": round(self.seconds, 4),
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerifyResult:
        """Read the JSON form."""
        return cls(
            plugins=tuple(PluginVerdict.from_json(v) for v in data.get("plugins", [])),
            config_before=dict(data.get("config_before") or {}),
            config_written=bool(data.get("config_written", False)),
            seconds=float(data.get("seconds", 0.0)),
            error=data.get("error"),
        )


# ---------------------------------------------------------------------------- host side


class VerifyWorker:
    """A verification worker process, started ahead of its request.

    Start it when pip starts: its interpreter and the host's imports load meanwhile, and it
    reads the environment only once :meth:`run` sends the request.

    :param python: the interpreter of the environment to verify.
    :param env: the worker's environment variables (default: this process's).
    :param cwd: its working directory (the user's project file is not read: only the
        user configuration file is migrated).
    """

    def __init__(
        self,
        python: Path | str = sys.executable,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.python = Path(python)
        self._proc: subprocess.Popen[str] | None = subprocess.Popen(
            [str(self.python), "-m", WORKER_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=None if env is None else dict(env),
            cwd=cwd,
        )

    @property
    def pid(self) -> int | None:
        """The worker's process id, while it runs."""
        return None if self._proc is None else self._proc.pid

    def run(self, request: VerifyRequest, timeout: float = DEFAULT_TIMEOUT) -> VerifyResult:
        """Send ``request`` and wait for the result (a worker is used once).

        Never raises for a failing plugin or worker: a crash, a timeout or unreadable
        output gives a result whose :attr:`~VerifyResult.error` says so and whose plugins
        all failed.
        """
        proc, self._proc = self._proc, None
        if proc is None:
            raise RuntimeError("this verification worker was already used")
        started = time.perf_counter()
        try:
            out, err = proc.communicate(json.dumps(request.to_json()), timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return _failed(request, f"verification took longer than {timeout:.0f}s; stopped it")
        elapsed = time.perf_counter() - started
        if proc.returncode != 0 or not out.strip():
            tail = " | ".join(err.strip().splitlines()[-3:]) or "no output"
            return _failed(
                request, f"the verification process failed (exit {proc.returncode}): {tail}"
            )
        try:
            result = VerifyResult.from_json(json.loads(out.strip().splitlines()[-1]))
        except (ValueError, KeyError, TypeError) as exc:
            return _failed(request, f"the verification process gave unreadable output: {exc}")
        return result if result.seconds else _with_seconds(result, elapsed)

    def close(self) -> None:
        """Stop the worker if it was never used."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.communicate()

    def __enter__(self) -> VerifyWorker:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def verify_plugins(
    python: Path | str, request: VerifyRequest, timeout: float = DEFAULT_TIMEOUT
) -> VerifyResult:
    """Verify ``request`` in a new worker process of ``python`` (see :class:`VerifyWorker`)."""
    with VerifyWorker(python) as worker:
        return worker.run(request, timeout)


def _failed(request: VerifyRequest, reason: str) -> VerifyResult:
    verdicts = tuple(PluginVerdict(name, False, reason) for name in request.plugins)
    return VerifyResult(verdicts, error=reason)


def _with_seconds(result: VerifyResult, seconds: float) -> VerifyResult:
    from dataclasses import replace

    return replace(result, seconds=seconds)


# ---------------------------------------------------------------------------- worker side


def _one_line(error: BaseException | str) -> str:
    if isinstance(error, BaseException):
        lines = str(error).strip().splitlines()
        text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    else:
        text = error
    return " ".join(text.split())


def _site_dirs() -> list[str]:
    import site

    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if os.path.isdir(d)]


def _pth_files() -> dict[tuple[str, str], float]:
    found: dict[tuple[str, str], float] = {}
    for folder in _site_dirs():
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.endswith(".pth"):
                try:
                    found[folder, name] = os.stat(os.path.join(folder, name)).st_mtime
                except OSError:
                    continue
    return found


def refresh_environment(seen_pth: Mapping[tuple[str, str], float]) -> None:
    """Make what pip installed since ``seen_pth`` was taken visible to this process.

    ``.pth`` files that are new or changed (editable installs add one) are processed as
    Python's start-up does; the others are not processed again, because their ``import``
    lines would run twice. Import and metadata caches are dropped, so that new packages
    and ``.dist-info`` folders are found.
    """
    import importlib
    import site

    for (folder, name), mtime in _pth_files().items():
        if seen_pth.get((folder, name)) != mtime:
            site.addpackage(folder, name, None)
    importlib.invalidate_caches()


def _matching(found: DiscoveryResult, name: str) -> list[PluginRecord]:
    from ..names import normalize_name

    key = normalize_name(name)
    exact = [r for r in found.records if r.key == key]
    if exact:
        return exact
    return [r for r in found.records if normalize_name(r.distribution or "") == key]


def _subset_caller(host: PluginHost, plugin_name: str, hook: str) -> Any:
    """A caller of ``hook`` reaching only ``plugin_name``'s own implementation."""
    pm = host.pm
    own = pm.get_plugin(plugin_name)
    others = [p for p in pm.get_plugins() if p is not own]
    return pm.subset_hook_caller(hook, remove_plugins=others)


def _check_templates(host: PluginHost, record: PluginRecord) -> tuple[str | None, list[str]]:
    """Whether the templates the manifest lists are among those the code offers."""
    manifest = record.manifest
    if manifest is None or not manifest.templates:
        return None, []
    try:
        # Called before ``activate``: most plugins list templates statically; one that
        # cannot is not failed for it (the host checks again when rendering).
        offered = _subset_caller(host, record.name, "contribute_templates")()
    except Exception as exc:
        return None, [f"could not list its templates without activating it ({_one_line(exc)})"]
    names = {
        getattr(descriptor, "name", None)
        for result in offered or ()
        for descriptor in (result or ())
    }
    declared = {t.name for t in manifest.templates}
    missing = sorted(declared - names)
    if missing:
        return (
            f"its manifest lists template(s) {', '.join(missing)}, "
            "which contribute_templates does not offer",
            [],
        )
    extra = sorted(n for n in names - declared if isinstance(n, str))
    warnings = (
        [f"offers template(s) {', '.join(extra)} its manifest does not list"] if extra else []
    )
    return None, warnings


def _verify_record(host: PluginHost, record: PluginRecord) -> PluginVerdict:
    started = time.perf_counter()

    def verdict(error: str | None, warnings: Sequence[str] = ()) -> PluginVerdict:
        return PluginVerdict(
            name=record.name,
            ok=error is None,
            error=None if error is None else _one_line(error),
            seconds=time.perf_counter() - started,
            version=record.version,
            distribution=record.distribution,
            warnings=tuple(warnings),
        )

    # PluginHost.start() validated every record: manifest errors, contract range,
    # dependencies on other plugins. load() imports and registers, with the host's checks.
    info = host.info(record.name)
    if info.failure is None:
        info = host.load(record.name)
    if info.failure is not None:
        return verdict(info.failure.reason)
    error, warnings = _check_templates(host, record)
    return verdict(error, warnings)


class _MigrationFailed(Exception):
    """Stops the configuration update: nothing is written."""


def _migrate(
    host: PluginHost,
    migrations: Sequence[tuple[Migration, PluginRecord]],
    config_file: Path,
    verdicts: dict[str, PluginVerdict],
) -> tuple[dict[str, dict[str, Any] | None], bool]:
    """Run the migrations and write their results, under the configuration file's lock."""
    from dataclasses import replace

    from ..errors import CloudCraverError, ConfigError
    from ..names import normalize_name
    from ..tomlfile import loads, locked_update_text

    before: dict[str, dict[str, Any] | None] = {}
    changed: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def update(text: str) -> str:
        data = loads(text, source=str(config_file)) if text.strip() else {}
        plugins = data.get("plugins", {})
        if not isinstance(plugins, dict):
            raise ConfigError(f"{config_file}: plugins is not a table; fix the file")
        for migration, record in migrations:
            started = time.perf_counter()
            # The user may spell the table differently ([plugins.My_Plugin]): same plugin.
            spelled = next((k for k in plugins if normalize_name(k) == record.key), record.key)
            section = plugins.get(spelled)
            current = copy.deepcopy(section) if isinstance(section, dict) else {}
            current_copy = copy.deepcopy(current)  # the hook may change ``current`` in place
            caller = _subset_caller(host, record.name, "migrate_config")
            problem: str | None = None
            try:
                result = caller(
                    from_version=migration.from_version,
                    to_version=migration.to_version,
                    config=current,
                )
            except Exception as exc:
                result, problem = None, f"migrate_config raised {_one_line(exc)}"
            if problem is None and result is not None and not isinstance(result, dict):
                problem = f"migrate_config returned {type(result).__name__}, not a dict or None"
            old = verdicts[record.name]
            spent = old.seconds + time.perf_counter() - started
            if problem is not None:
                verdicts[record.name] = replace(old, ok=False, error=problem, seconds=spent)
                raise _MigrationFailed(problem)
            verdicts[record.name] = replace(old, seconds=spent, migrated=result is not None)
            if result is not None:
                before[record.name] = copy.deepcopy(section) if isinstance(section, dict) else None
                plugins[spelled] = result
                changed.append((spelled, current_copy, result))
        if not changed:
            raise _MigrationFailed("")  # nothing to write: leave the file untouched
        data["plugins"] = plugins
        return _rewrite(text, data, changed, str(config_file))

    try:
        locked_update_text(config_file, update)
    except _MigrationFailed:
        return {}, False
    except CloudCraverError as exc:  # unreadable file, lock held too long: nothing written
        problem = f"cannot migrate its configuration: {_one_line(str(exc))}"
        for _, record in migrations:
            verdicts[record.name] = replace(verdicts[record.name], ok=False, error=problem)
        return {}, False
    return before, True


def _rewrite(
    text: str,
    wanted: dict[str, Any],
    changed: Sequence[tuple[str, dict[str, Any], dict[str, Any]]],
    source: str,
) -> str:
    """The new file text: edited key by key when that keeps comments, else written anew."""
    from ..config_edit import edit_config_text
    from ..errors import ConfigError
    from ..tomlfile import dumps, loads

    candidate = text
    for spelled, old, table in changed:
        for key, value in table.items():
            if key in old and old[key] == value:
                continue  # unchanged: its line (and comment) stays as written
            candidate = edit_config_text(candidate, ("plugins", spelled, key), value, source=source)
    try:
        if loads(candidate, source=source) == wanted:
            return candidate
    except ConfigError:
        pass
    # Keys removed or renamed, or values the line edit cannot express: write it whole.
    return dumps(wanted)


def run_request(request: VerifyRequest) -> VerifyResult:
    """Verify and migrate in this process (what the worker does once it has the request)."""
    started = time.perf_counter()
    from ..config import HostSettings, LayeredConfig
    from ..discovery import discover
    from ..host import PluginHost
    from ..paths import HostPaths

    # Only what is installed in this environment: a plugin path (which may hold another
    # version of the same plugin) says nothing of what pip just installed.
    found = discover((), environment=True)
    # Default settings: safe mode, ``only`` and disabled plugins decide what runs, not
    # whether what was installed works. No state file: verification records nothing.
    host = PluginHost(
        config=LayeredConfig((), {}), settings=HostSettings(), state=None, discovery=found
    )
    host.start()
    verdicts: dict[str, PluginVerdict] = {}
    records: dict[str, PluginRecord] = {}
    for name in request.plugins:
        matched = _matching(found, name)
        if not matched:
            verdicts[name] = PluginVerdict(
                name,
                False,
                f"no plugin or distribution named {name!r} is installed with an entry point "
                "in group 'cloudcraver'",
            )
        for record in matched:
            if record.name not in verdicts:
                records[record.name] = record
                verdicts[record.name] = _verify_record(host, record)
    planned: list[tuple[Migration, PluginRecord]] = []
    for migration in request.migrations:
        matched = _matching(found, migration.plugin)
        for record in matched:
            if record.name not in verdicts:  # migrated but not listed: verify it too
                records[record.name] = record
                verdicts[record.name] = _verify_record(host, record)
            planned.append((migration, record))
        if not matched and migration.plugin not in verdicts:
            verdicts[migration.plugin] = PluginVerdict(
                migration.plugin, False, f"cannot migrate {migration.plugin!r}: not installed"
            )
    before: dict[str, dict[str, Any] | None] = {}
    written = False
    if planned and all(v.ok for v in verdicts.values()):
        config_file = request.config_file or HostPaths.from_environment().config_file
        before, written = _migrate(host, planned, config_file, verdicts)
    return VerifyResult(
        tuple(verdicts.values()), before, written, time.perf_counter() - started, None
    )


def _take_stdout() -> IO[str]:
    """The real stdout, for the result; what plugins print goes to stderr instead."""
    saved = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(saved, "w", encoding="utf-8")


def _preload() -> None:
    # While waiting for the request: the host's own modules, pluggy and pydantic (what
    # discovery and loading need), none of the plugins' code or metadata.
    import pluggy  # noqa: F401

    from .. import discovery, host, manifest  # noqa: F401


def main() -> int:
    """Worker entry point: request on stdin, result on stdout (one JSON line)."""
    out = _take_stdout()
    if sys.path and sys.path[0] == os.getcwd():  # ``-m`` put the working directory first
        del sys.path[0]
    _preload()
    seen_pth = _pth_files()
    started = time.perf_counter()
    request: VerifyRequest | None = None
    try:
        raw = sys.stdin.read()
        started = time.perf_counter()
        request = VerifyRequest.from_json(json.loads(raw))
        refresh_environment(seen_pth)
        result = run_request(request)
    except Exception as exc:
        import traceback

        traceback.print_exc()
        reason = f"verification failed: {_one_line(exc)}"
        plugins = request.plugins if request is not None else ()
        result = VerifyResult(
            tuple(PluginVerdict(n, False, reason) for n in plugins),
            seconds=time.perf_counter() - started,
            error=reason,
        )
    out.write(json.dumps(result.to_json()) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
