"""Plugin changes as transactions: lock, plan, journal, archive, apply, verify, commit or restore.

Every change to the installed plugins goes through :class:`PluginInstaller`:

1. take the environment's :class:`~.lock.ChangeLock` (pip inherits it);
2. refuse to start while an interrupted change waits for ``plugin recover``;
3. plan with pip's dry run, the host's own packages pinned (:mod:`.plan`);
4. write the journal record (before-set with versions and ``files_hash``, intended after-set);
5. archive the before-set: the wheel already in the archive, or one repacked from the
   installed files (:mod:`.repack`), so restoring needs no network;
6. apply with pip (``--no-deps`` with the exact planned versions: pip's dry run already
   resolved them, a second resolution could differ);
7. verify the new or changed plugins in a separate process (:mod:`.verify`);
8. archive the after-set and commit, or restore the exact before-set from the archive
   (``--no-index --no-deps``) and remove what the change added.

A process killed anywhere leaves the journal's ``ACTIVE`` record: :meth:`PluginInstaller.recover`
puts its before-set back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ChangeError
from .archive import WheelArchive
from .environment import InstalledDist, host_pins, plugin_distributions, snapshot
from .journal import Journal, Transaction, environment_folder
from .lock import ChangeLock, Owner
from .pip import PipRunner, error_block
from .plan import Change, Plan, plan_install, plan_uninstall, policy_spec
from .repack import repack

if TYPE_CHECKING:
    from .verify import VerifyWorker

__all__ = ["Outcome", "PluginInstaller"]


@dataclass(frozen=True)
class Outcome:
    """What a change did.

    :param plan: what was planned.
    :param state: ``planned`` (dry run or nothing to do), ``committed`` or ``restored``,
        ``recovered``.
    :param transaction: the journal record's id, when one was written.
    :param steps: seconds per step (``plan``, ``archive``, ``apply``, ``verify``, ...).
    :param error: why the change was undone, if it was.
    :param warnings: what did not go as it should without undoing the change.
    """

    plan: Plan
    state: str
    transaction: int | None = None
    steps: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form for ``--json`` output."""
        return {
            **self.plan.to_dict(),
            "state": self.state,
            "transaction": self.transaction,
            "steps": {k: round(v, 4) for k, v in self.steps.items()},
            "error": self.error,
            "warnings": list(self.warnings),
        }


def _prefix_of(python: Path) -> str:
    if Path(python).absolute() == Path(sys.executable).absolute():
        return sys.prefix
    return subprocess.run(
        [str(python), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def _entry(dist: InstalledDist | None, archive_sha256: str | None = None) -> dict[str, Any]:
    if dist is None:
        return {"version": None, "files_hash": None, "archive_sha256": None}
    return {
        "version": dist.version,
        "files_hash": dist.files_hash,
        "archive_sha256": archive_sha256,
    }


class PluginInstaller:
    """Installs, updates, removes and restores plugins in one environment, transactionally.

    :param data_dir: the host's data folder (``HostPaths.data_dir``): archive and journals.
    :param runner: pip of the environment to change.
    :param verify: verify changed plugins in a separate process (``--no-verify``: False).
    :param wait: wait for another running change (``--no-wait``: False raises at once).
    :param on_wait: told who holds the lock before waiting for it.
    :param command: the command recorded in the journal and lock owner.
    :param config_file: the user configuration file plugin migrations rewrite (default: the
        one ``HostPaths`` names for pip's environment variables, as the verifier sees it).
    """

    def __init__(
        self,
        data_dir: Path,
        runner: PipRunner,
        *,
        verify: bool = True,
        wait: bool = True,
        on_wait: Callable[[Owner], None] | None = None,
        command: str = "cloudcraver plugin",
        config_file: Path | None = None,
    ) -> None:
        from ..paths import HostPaths

        self.runner = runner
        self.config_file = config_file or HostPaths.from_environment(runner.env).config_file
        self.archive = WheelArchive(data_dir / "archive")
        self.folder = environment_folder(data_dir, _prefix_of(runner.python))
        self.journal = Journal(self.folder)
        self.verify = verify
        self.wait = wait
        self.on_wait = on_wait
        self.command = command

    # ------------------------------------------------------------------ commands

    def install(
        self,
        specs: Sequence[str],
        *,
        editable: bool = False,
        upgrade: bool = False,
        dry_run: bool = False,
        argv: Sequence[str] = (),
    ) -> Outcome:
        """Install (or with ``upgrade``, update) ``specs``; see the module docstring."""
        with self._lock() as lock:
            self._refuse_if_interrupted()
            started = time.monotonic()
            installed = snapshot(self.runner.python)
            pins = host_pins(installed)
            plan = plan_install(
                self.runner,
                specs,
                constraints=pins,
                installed=installed,
                editable=editable,
                upgrade=upgrade,
                command="update" if upgrade else "install",
                lock_fd=lock.fileno(),
            )
            steps = {"plan": time.monotonic() - started}
            if dry_run or plan.is_empty:
                return Outcome(plan, "planned", steps=steps)
            return self._apply(plan, installed, argv, steps, lock.fileno())

    def update(
        self,
        names: Sequence[str] | None = None,
        *,
        policies: Mapping[str, str] | None = None,
        default_policy: str = "major",
        dry_run: bool = False,
        argv: Sequence[str] = (),
    ) -> Outcome:
        """Update ``names`` (default: every installed plugin) within their update policies.

        :param policies: ``{plugin distribution: pinned|patch|minor|major}``; others get
            ``default_policy``. Newer versions must fit the host's pins, the contract
            distribution among them: an update never leaves the host's contract.
        """
        with self._lock() as lock:
            self._refuse_if_interrupted()
            started = time.monotonic()
            installed = snapshot(self.runner.python)
            specs = self._update_specs(installed, names, policies or {}, default_policy)
            if not specs:
                plan = Plan(command="update", specs=(), changes=())
                return Outcome(plan, "planned", steps={"plan": time.monotonic() - started})
            plan = plan_install(
                self.runner,
                specs,
                constraints=host_pins(installed),
                installed=installed,
                upgrade=True,
                plugins=plugin_distributions(installed),
                command="update",
                lock_fd=lock.fileno(),
            )
            steps = {"plan": time.monotonic() - started}
            if dry_run or plan.is_empty:
                return Outcome(plan, "planned", steps=steps)
            return self._apply(plan, installed, argv, steps, lock.fileno())

    def outdated(
        self, *, policies: Mapping[str, str] | None = None, default_policy: str = "major"
    ) -> list[Change]:
        """The plugin updates :meth:`update` would make now (a dry run; nothing changes)."""
        plan = self.update(policies=policies, default_policy=default_policy, dry_run=True).plan
        return [c for c in plan.changes if c.is_plugin and c.action == "upgrade"]

    @staticmethod
    def _update_specs(
        installed: Mapping[str, InstalledDist],
        names: Sequence[str] | None,
        policies: Mapping[str, str],
        default_policy: str,
    ) -> list[str]:
        from packaging.utils import canonicalize_name

        plugins = plugin_distributions(installed)
        if names is None:
            # A checkout (editable or from a folder) or a VCS install is the user's own
            # source: updating it from an index would replace it, so only named ones are.
            chosen = [
                n
                for n in plugins
                if not {"dir_info", "vcs_info"} & set(installed[n].direct_url or {})
            ]
        else:
            chosen = [str(canonicalize_name(n)) for n in names]
            unknown = [n for n in chosen if n not in plugins]
            if unknown:
                raise ChangeError(f"not an installed plugin: {', '.join(unknown)}")
        wanted = {str(canonicalize_name(k)): v for k, v in policies.items()}
        specs = []
        for name in chosen:
            spec = policy_spec(name, installed[name].version, wanted.get(name, default_policy))
            if spec is not None:
                specs.append(spec)
        return specs

    def uninstall(
        self, names: Sequence[str], *, dry_run: bool = False, argv: Sequence[str] = ()
    ) -> Outcome:
        """Remove ``names`` and what only they needed (never a package the host needs)."""
        with self._lock() as lock:
            self._refuse_if_interrupted()
            started = time.monotonic()
            installed = snapshot(self.runner.python)
            plan = plan_uninstall(names, installed, host_pins(installed))
            steps = {"plan": time.monotonic() - started}
            if dry_run:
                return Outcome(plan, "planned", steps=steps)
            return self._apply(plan, installed, argv, steps, lock.fileno())

    def rollback(
        self, to: int | None = None, *, dry_run: bool = False, argv: Sequence[str] = ()
    ) -> Outcome:
        """Undo the last committed change, or every committed change after transaction ``to``.

        The target set is, for each distribution those changes touched, what the earliest
        of them found installed; it is restored from the archive, offline.
        """
        with self._lock() as lock:
            self._refuse_if_interrupted()
            history = [tx for tx in self.journal.history() if tx.state == "committed"]
            if to is None:
                undo = history[-1:]
            else:
                if not any(tx.id == to for tx in history):
                    raise ChangeError(f"no committed transaction {to}; see `plugin history`")
                undo = [tx for tx in history if tx.id > to]
            if not undo:
                raise ChangeError("nothing to roll back: no committed change")
            target: dict[str, Mapping[str, Any]] = {}
            for tx in reversed(undo):  # the earliest change's before-set wins
                target.update(tx.before)
            installed = snapshot(self.runner.python)
            plan = self._restore_plan(target, installed, f"rollback to {undo[0].id - 1}")
            if dry_run:
                return Outcome(plan, "planned")
            outcome = (
                self._apply(plan, installed, argv, {}, lock.fileno(), target=target)
                if not plan.is_empty
                else Outcome(plan, "planned")
            )
            self._restore_config(undo)
            return outcome

    def recover(self) -> Outcome | None:
        """Put back the before-set of an interrupted change; ``None`` if there is none."""
        with self._lock() as lock:
            try:
                tx = self.journal.active()
            except ValueError as exc:
                return self._recover_unknown(str(exc), lock.fileno())
            if tx is None:
                return None
            installed = snapshot(self.runner.python)
            plan = self._restore_plan(tx.before, installed, f"recover {tx.id}")
            started = time.monotonic()
            self._restore(tx.before, installed, lock.fileno())
            self._restore_config([tx])
            self.journal.finish(tx, "recovered", error=tx.error or "interrupted")
            return Outcome(plan, "recovered", tx.id, steps={"restore": time.monotonic() - started})

    def _recover_unknown(self, why: str, lock_fd: int) -> Outcome:
        """Recover when ``ACTIVE`` names a damaged record.

        What that change did is unknown, so every distribution any committed change touched
        goes back to its last committed state.
        """
        target: dict[str, Mapping[str, Any]] = {}
        for old in self.journal.history():
            if old.state == "committed":
                target.update(old.after)
        installed = snapshot(self.runner.python)
        plan = self._restore_plan(target, installed, "recover")
        # A new record takes over ACTIVE; finishing it clears the damaged one's marker.
        tx = self.journal.begin("recover", [], {}, target, plan.to_dict()["changes"], why=why)
        started = time.monotonic()
        self._restore(target, installed, lock_fd)
        self.journal.finish(tx, "recovered", error=why)
        return Outcome(plan, "recovered", tx.id, steps={"restore": time.monotonic() - started})

    def history(self) -> list[Transaction]:
        """Every readable transaction of this environment, oldest first."""
        return self.journal.history()

    def interrupted(self) -> Transaction | None:
        """The interrupted change waiting for :meth:`recover`, if any (no lock taken)."""
        try:
            return self.journal.active()
        except ValueError:
            return None

    # ------------------------------------------------------------------ the steps

    def _lock(self) -> ChangeLock:
        return ChangeLock(self.folder, wait=self.wait, on_wait=self.on_wait, command=self.command)

    def _refuse_if_interrupted(self) -> None:
        try:
            tx = self.journal.active()
        except ValueError as exc:
            raise ChangeError(f"{exc}; run `cloudcraver plugin recover`") from exc
        if tx is not None:
            raise ChangeError(
                f"transaction {tx.id} ({tx.command}) was interrupted; run "
                "`cloudcraver plugin recover` first"
            )

    def _restore_plan(
        self,
        target: Mapping[str, Mapping[str, Any]],
        installed: Mapping[str, InstalledDist],
        what: str,
    ) -> Plan:
        from .plan import classify

        changes = []
        for name, entry in sorted(target.items()):
            want, current = entry.get("version"), installed.get(name)
            if want is None and current is not None:
                changes.append(Change(name, "remove", current.version, None, True))
            elif want is not None and (
                current is None or current.files_hash != entry.get("files_hash")
            ):
                before = current.version if current else None
                changes.append(Change(name, classify(before, want), before, want, True))
        return Plan(command=what, specs=(), changes=tuple(changes))

    def _restore_config(self, undone: Sequence[Transaction]) -> None:
        """Put back the plugin tables migrations of ``undone`` rewrote (earliest state wins)."""
        tables: dict[str, Any] = {}
        for tx in reversed(undone):
            tables.update(tx.extra.get("config_before") or {})
        if not tables:
            return
        from ..names import normalize_name
        from ..tomlfile import locked_update

        def update(data: dict[str, Any]) -> dict[str, Any]:
            plugins = data.setdefault("plugins", {})
            for name, table in tables.items():
                # The user may spell the table differently ([plugins.My_Plugin]).
                key = next((k for k in plugins if normalize_name(k) == name), name)
                if table is None:
                    plugins.pop(key, None)
                else:
                    plugins[key] = table
            return data

        locked_update(self.config_file, update)

    def _archive_before(
        self, names: Sequence[str], installed: Mapping[str, InstalledDist]
    ) -> dict[str, dict[str, Any]]:
        before: dict[str, dict[str, Any]] = {}
        with tempfile.TemporaryDirectory(prefix="cloudcraver-repack-") as tmp:
            for name in names:
                dist = installed.get(name)
                if dist is None:
                    before[name] = _entry(None)
                    continue
                found = self.archive.find(dist.name, dist.version, dist.files_hash, exact=True)
                if found is None or not self.archive.verify(found):
                    wheel = repack(dist, Path(tmp))
                    found = self.archive.add(wheel, files_hash=dist.files_hash, repacked=True)
                before[name] = _entry(dist, found.sha256)
        return before

    def _apply(
        self,
        plan: Plan,
        installed: Mapping[str, InstalledDist],
        argv: Sequence[str],
        steps: dict[str, float],
        lock_fd: int,
        *,
        target: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Outcome:
        names = [c.name for c in plan.changes]
        after = {
            c.name: {"version": c.after, "files_hash": None, "archive_sha256": None}
            for c in plan.changes
        }
        if target is not None:
            after = {n: dict(target[n]) for n in names}
        tx = self.journal.begin(
            plan.command,
            argv,
            {n: _entry(installed.get(n)) for n in names},
            after,
            plan.to_dict()["changes"],
        )
        started = time.monotonic()
        before = self._archive_before(names, installed)
        steps["archive"] = time.monotonic() - started
        tx = self.journal.update(tx, before=before, state="applying", steps=dict(steps))
        worker = self._start_worker(plan) if target is None else None
        try:
            started = time.monotonic()
            if target is not None:
                self._restore(target, installed, lock_fd)
            else:
                self._pip_apply(plan, lock_fd)
            steps["apply"] = time.monotonic() - started
            tx = self.journal.update(tx, state="verifying", steps=dict(steps))
            config_before = self._verify(plan, steps, worker)
            if config_before:
                # What migrations rewrote, as it was: kept for whoever undoes this change.
                tx = self.journal.update(tx, extra={**tx.extra, "config_before": config_before})
        except ChangeError as exc:
            error = str(exc)
            started = time.monotonic()
            try:
                self._restore(before, snapshot(self.runner.python), lock_fd)
            except ChangeError as restore_exc:
                self.journal.finish(tx, "failed", error=f"{error}; restoring failed: {restore_exc}")
                raise ChangeError(
                    f"{error}; restoring the previous set failed too: {restore_exc}; "
                    "run `cloudcraver plugin recover`",
                    details=exc.details,
                ) from exc
            steps["restore"] = time.monotonic() - started
            self.journal.update(tx, steps=dict(steps))
            self.journal.finish(tx, "restored", error=error)
            raise ChangeError(
                f"{error}; the previous plugins were restored (transaction {tx.id})",
                details=exc.details,
            ) from exc
        finally:
            if worker is not None:
                worker.close()  # a no-op once it has run; stops it if pip failed first
        started = time.monotonic()
        now = snapshot(self.runner.python)
        warnings: list[str] = []
        try:
            after = self._archive_before([n for n in names if n in now], now)
        except ChangeError as exc:
            # The change itself succeeded and is verified: keep it. Only a later rollback
            # to this set could need the network.
            warnings.append(f"not archived ({exc}); rolling back to this set may need pip")
            after = {n: _entry(now[n]) for n in names if n in now}
        after.update({n: _entry(None) for n in names if n not in now})
        steps["archive"] += time.monotonic() - started
        tx = self.journal.update(tx, after=after, steps=dict(steps))
        self.journal.finish(tx, "committed")
        return Outcome(plan, "committed", tx.id, steps=steps, warnings=tuple(warnings))

    def _pip(self, args: Sequence[str], lock_fd: int, what: str) -> None:
        result = self.runner.run(args, lock_fd=lock_fd)
        if not result.ok:
            raise ChangeError(f"pip failed to {what}", details=error_block(result))

    def _pip_apply(self, plan: Plan, lock_fd: int) -> None:
        removals = [c.name for c in plan.changes if c.action == "remove"]
        if removals:
            self._pip(["uninstall", "-y", *removals], lock_fd, f"remove {', '.join(removals)}")
        items = {
            c.name: item
            for item in plan.report.get("install", [])
            for c in plan.changes
            if c.name == _canonical(item["metadata"]["name"])
        }
        args: list[str] = []
        for change in plan.changes:
            if change.action != "remove":
                args += _install_args(change, items.get(change.name, {}))
        if args:
            # Exactly the versions the dry run resolved: no second resolution (--no-deps).
            self._pip(
                ["install", "--no-deps", "--force-reinstall", *args],
                lock_fd,
                f"install {', '.join(c.describe() for c in plan.changes)}",
            )

    def _plugins_to_verify(self, plan: Plan) -> list[Change]:
        if not self.verify:
            return []
        return [c for c in plan.changes if c.is_plugin and c.action != "remove"]

    def _start_worker(self, plan: Plan) -> VerifyWorker | None:
        """Start the verification worker now, so it loads while pip runs.

        It reads the environment only when it gets its request, after pip is done.
        """
        if not self._plugins_to_verify(plan):
            return None
        from .verify import VerifyWorker

        # pip's environment: the same user, configuration and CLOUDCRAVER_HOME.
        return VerifyWorker(self.runner.python, env=self.runner.env)

    def _verify(
        self, plan: Plan, steps: dict[str, float], worker: VerifyWorker | None
    ) -> dict[str, Any]:
        """Verify the plan's new or changed plugins; return the config tables migrations changed."""
        plugins = self._plugins_to_verify(plan)
        if not plugins or worker is None:
            return {}
        from .verify import Migration, VerifyRequest

        started = time.monotonic()
        request = VerifyRequest(
            plugins=tuple(c.name for c in plugins),
            migrations=tuple(
                Migration(c.name, c.before or "", c.after or "")
                for c in plugins
                if c.before is not None and c.before != c.after
            ),
        )
        with worker:
            result = worker.run(request)
        steps["verify"] = time.monotonic() - started
        if not result.ok:
            raise ChangeError(
                f"verification failed: {result.summary()}",
                details=json.dumps(result.to_json(), indent=2),
            )
        return {k: None if v is None else dict(v) for k, v in result.config_before.items()}

    def _restore(
        self,
        target: Mapping[str, Mapping[str, Any]],
        installed: Mapping[str, InstalledDist],
        lock_fd: int,
    ) -> None:
        """Make the distributions named in ``target`` exactly as it records them."""
        remove = [n for n, e in target.items() if e.get("version") is None and n in installed]
        if remove:
            self._pip(["uninstall", "-y", *remove], lock_fd, f"remove {', '.join(remove)}")
        wanted = []
        for name, entry in sorted(target.items()):
            version = entry.get("version")
            current = installed.get(name)
            if version is None or (
                current is not None and current.files_hash == entry.get("files_hash")
            ):
                continue
            found = self.archive.find(name, version, entry.get("files_hash"))
            if found is None:
                raise ChangeError(f"{name} {version} is not in the archive; cannot restore it")
            wanted.append(found)
        if not wanted:
            return
        with tempfile.TemporaryDirectory(prefix="cloudcraver-restore-") as tmp:
            folder = self.archive.materialize(wanted, Path(tmp))
            # By requirement from a folder, offline: the wheels' own direct_url.json (an
            # editable install's) is kept, and nothing else can be picked.
            self._pip(
                [
                    "install",
                    "--no-index",
                    "--no-deps",
                    "--force-reinstall",
                    "--find-links",
                    str(folder),
                    *(f"{w.name}=={w.version}" for w in wanted),
                ],
                lock_fd,
                "restore " + ", ".join(f"{w.name} {w.version}" for w in wanted),
            )


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def _install_args(change: Change, item: Mapping[str, Any]) -> list[str]:
    """The pip arguments installing exactly what the dry run's report item describes."""
    info = item.get("download_info") or {}
    url = info.get("url")
    if not item.get("is_direct") or not url:
        return [f"{change.name}=={change.after}"]
    vcs = info.get("vcs_info")
    if vcs:
        # The commit the dry run resolved, not the branch: it could move in between.
        return [f"{vcs['vcs']}+{url}@{vcs['commit_id']}"]
    if (info.get("dir_info") or {}).get("editable"):
        return ["-e", url]
    return [url]
