"""Changes to the installed plugins as transactions: plan, journal, archive, apply, verify, commit.

Every change (install, update, uninstall, rollback) goes the same way, under the
environment's change lock:

1. **plan** what pip would change, the host's own packages pinned (:mod:`.plan`);
2. **archive** every distribution the change replaces or removes, so that the set before
   can be put back without a network (:mod:`.archive`, :mod:`.repack`);
3. **journal** the transaction durably before pip starts (:mod:`.journal`);
4. **apply** exactly the planned versions with pip, no resolution a second time;
5. **verify** new and changed plugins in another process and migrate their configuration
   (:mod:`.verify`), archiving what was installed meanwhile;
6. **commit**, or **restore** the exact set before from the archive and say why.

A process killed anywhere in between leaves the journal's active transaction behind: the
next command reports it, and :meth:`PluginInstaller.recover` restores its before-set.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ChangeError, InputError
from ..paths import HostPaths
from ..tomlfile import atomic_write_text
from .archive import ArchivedWheel, WheelArchive
from .environment import (
    InstalledDist,
    damaged,
    distribution_names,
    host_pins,
    is_this_interpreter,
    plugin_distributions,
    read_record,
    snapshot,
)
from .interrupted import PREFIX_FILE
from .journal import Journal, Transaction, environment_folder
from .lock import ChangeLock, Owner
from .pip import PipRunner, error_block
from .plan import Change, Plan, plan_install, plan_uninstall, policy_spec
from .repack import repack
from .signals import ChangeInterrupted, SignalGuard, interruptible, signal_name
from .verify import Migration, VerifyRequest, VerifyResult, VerifyWorker
from .wheelcheck import WheelFile, check_wheels, install_scheme, record_problems, shared_files

__all__ = ["Outcome", "PluginInstaller"]

#: What a distribution's entry of the journal's before/after sets holds.
Entry = Mapping[str, Any]


@dataclass
class Outcome:
    """What a change command did.

    :param command: ``install``, ``update``, ``uninstall``, ``rollback`` or ``recover``.
    :param plan: the changes, as planned (and applied unless :attr:`state` says otherwise).
    :param state: ``committed``, ``dry-run``, ``nothing-to-do`` or ``declined``.
    :param transaction: the journal's id of the transaction, when one was recorded.
    :param steps: seconds per step (``plan``, ``archive``, ``apply``, ``verify``).
    :param notes: lines for the user (warnings of the verification, skipped plugins).
    """

    command: str
    plan: Plan
    state: str
    transaction: int | None = None
    steps: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "command": self.command,
            "state": self.state,
            "transaction": self.transaction,
            "changes": self.plan.to_dict()["changes"],
            "built_from_source": self.plan.built_from_source(),
            "steps": {k: round(v, 3) for k, v in self.steps.items()},
            "notes": self.notes,
        }


class PluginInstaller:
    """Installs, updates, removes and rolls back plugins in one Python environment.

    :param paths: the host's folders: the archive and the journals live in its data folder.
    :param runner: pip of the environment to change (default: this interpreter's).
    :param wait: wait for another running change; ``False`` fails at once (``--no-wait``).
    :param on_wait: called with the holder of the lock before waiting for it.
    :param on_step: called with each step's name as it starts (progress display).
    :param confirm: asked with the plan before anything changes; ``False`` declines.
    :param argv: the command line, kept in the journal.
    """

    def __init__(
        self,
        paths: HostPaths,
        *,
        runner: PipRunner | None = None,
        wait: bool = True,
        on_wait: Callable[[Owner], None] | None = None,
        on_step: Callable[[str], None] | None = None,
        confirm: Callable[[Plan], bool] | None = None,
        argv: Sequence[str] = (),
    ) -> None:
        self.paths = paths
        self.runner = runner or PipRunner()
        self.prefix = _prefix_of(self.runner.python)
        self.folder = environment_folder(paths.data_dir, self.prefix)
        self.journal = Journal(self.folder)
        self.archive = WheelArchive(paths.data_dir / "archive")
        self.wait = wait
        self.on_wait = on_wait
        self.on_step = on_step or (lambda step: None)
        self.confirm = confirm or (lambda plan: True)
        self.argv = tuple(argv)
        self._guard = SignalGuard()

    # ------------------------------------------------------------------ commands

    def install(
        self,
        specs: Sequence[str],
        *,
        editable: bool = False,
        upgrade: bool = False,
        dry_run: bool = False,
        verify: bool = True,
        command: str = "install",
    ) -> Outcome:
        """Install plugins (requirements, wheels, sdists, folders, VCS URLs) as one change."""
        with self._changing() as lock, self._warm_pips(lock, 3), _scratch("wheels") as folder:
            self._refuse_if_interrupted()
            before = self._snapshot()
            started = time.monotonic()
            self.on_step("plan")
            with _leaving_nothing_behind(before):
                plan = plan_install(
                    self.runner,
                    specs,
                    constraints=host_pins(before),
                    installed=before,
                    editable=editable,
                    upgrade=upgrade,
                    plugins=plugin_distributions(before),
                    command=command,
                    lock_fd=lock.fileno(),
                )
                steps = {"plan": time.monotonic() - started}
                applies = [_apply_args(plan, specs, editable)]
                if not (dry_run or plan.is_empty or editable):
                    applies = self._stage(plan, applies[0], before, folder, lock, steps)
            return self._change(plan, before, applies, lock, dry_run, verify, steps)

    def update(
        self,
        names: Sequence[str],
        *,
        policies: Mapping[str, str],
        default_policy: str = "major",
        dry_run: bool = False,
        verify: bool = True,
    ) -> Outcome:
        """Update plugins (all when ``names`` is empty) within their update policies."""
        installed = self._snapshot()
        specs, notes = self._update_specs(installed, names, policies, default_policy)
        if not specs:
            empty = Plan(command="update", specs=tuple(names), changes=())
            return Outcome("update", empty, "nothing-to-do", notes=notes)
        outcome = self.install(
            specs, upgrade=True, dry_run=dry_run, verify=verify, command="update"
        )
        outcome.notes[:0] = notes
        return outcome

    def outdated(
        self, *, policies: Mapping[str, str], default_policy: str = "major"
    ) -> list[dict[str, str]]:
        """Plugins with a newer version their policy allows: name, installed, available, policy."""
        installed = self._snapshot()
        specs, _ = self._update_specs(installed, (), policies, default_policy)
        if not specs:
            return []
        plan = plan_install(
            self.runner,
            specs,
            constraints=host_pins(installed),
            installed=installed,
            upgrade=True,
            plugins=plugin_distributions(installed),
            command="update",
        )
        rows = []
        for change in plan.changes:
            if change.requested and change.action == "upgrade" and change.after is not None:
                policy = policies.get(change.name, default_policy)
                rows.append(
                    {
                        "name": change.name,
                        "plugin": ", ".join(change.plugins),
                        "installed": change.before or "",
                        "available": change.after,
                        "policy": policy,
                    }
                )
        return rows

    def uninstall(self, names: Sequence[str], *, dry_run: bool = False) -> Outcome:
        """Remove plugins and the packages only they needed, never one the host needs."""
        with self._changing() as lock:
            self._refuse_if_interrupted()
            before = self._snapshot()
            started = time.monotonic()
            self.on_step("plan")
            plan = plan_uninstall(distribution_names(names, before), before, host_pins(before))
            steps = {"plan": time.monotonic() - started}
            return self._change(plan, before, [], lock, dry_run, False, steps)

    def rollback(self, to: int | None = None, *, dry_run: bool = False) -> Outcome:
        """Undo the last committed change, or every committed change after transaction ``to``."""
        with self._changing() as lock:
            self._refuse_if_interrupted()
            target, undone = self._rollback_target(to)
            before = self._snapshot()
            plan = _restore_plan(target, before, command="rollback", undone=undone)
            return self._restore_change(plan, target, before, lock, dry_run, undone)

    def recover(self) -> Outcome:
        """Put back the set before the interrupted change, if a change was interrupted."""
        with self._changing():
            guard = self._guard
            with guard.shielded():  # a recovery cut short would need recovering itself
                outcome = self._recover()
        if guard.received is not None:
            raise ChangeInterrupted(
                guard.received,
                f"interrupted by {signal_name(guard.received)} after the recovery ended "
                f"({outcome.state})",
            )
        return outcome

    def _recover(self) -> Outcome:
        """Restore the active transaction's before-set (under the lock, signals waiting)."""
        try:
            tx = self.journal.active()
        except ValueError as error:
            raise ChangeError(
                f"the journal is damaged ({error}); restore plugins with "
                "`cloudcraver plugin rollback --to ID` after checking `plugin history`"
            ) from None
        if tx is None:
            empty = Plan(command="recover", specs=(), changes=())
            return Outcome("recover", empty, "nothing-to-do")
        self.on_step("restore")
        current = self._snapshot()
        target = {name: (entry or None) for name, entry in tx.before.items()}
        for name in tx.after:
            target.setdefault(name, None)
        plan = _restore_plan(target, current, command="recover", undone=[tx.id])
        self._restore(target, tx.extra.get("listing", {}))
        self.journal.finish(tx, "recovered")
        return Outcome("recover", plan, "committed", transaction=tx.id)

    def history(self) -> list[Transaction]:
        """Every recorded change, oldest first."""
        return self.journal.history()

    def interrupted(self) -> Transaction | None:
        """The change that was interrupted, if one was (without taking the lock)."""
        try:
            return self.journal.active()
        except ValueError:
            return None

    # ------------------------------------------------------------------ the steps

    def _change(
        self,
        plan: Plan,
        before: Mapping[str, InstalledDist],
        applies: list[list[str]],
        lock: ChangeLock,
        dry_run: bool,
        verify: bool,
        steps: dict[str, float],
    ) -> Outcome:
        if plan.is_empty:
            return Outcome(plan.command, plan, "nothing-to-do", steps=steps)
        if dry_run:
            return Outcome(plan.command, plan, "dry-run", steps=steps)
        if not self.confirm(plan):
            return Outcome(plan.command, plan, "declined", steps=steps)
        touched = [c.name for c in plan.changes]
        before_set = self._archive_before(before, touched, steps)
        after_set = {c.name: {"version": c.after} for c in plan.changes if c.after is not None}
        self._mark_prefix()
        with self._guard.shielded():  # a signal now comes after the record is complete
            tx = self.journal.begin(
                plan.command,
                self.argv,
                before_set,
                after_set,
                [_change_json(c) for c in plan.changes],
                listing=_listing(before),
            )
        worker = None
        try:
            self._raise_if_signalled()
            worker = self._start_worker(plan) if verify else None
            tx = self.journal.update(tx, state="applying")
            self.on_step("apply")
            started = time.monotonic()
            self._apply(plan, applies, lock)
            steps["apply"] = time.monotonic() - started
            tx = self.journal.update(tx, state="verifying")
            notes, config_before = self._verify_and_archive(plan, worker, steps)
            tx = self._commit(tx, steps, config_before)
        except (ChangeError, ChangeInterrupted) as error:
            self._fail(tx, error)
            raise
        finally:
            if worker is not None:
                worker.close()
        self._signalled_late(tx)
        return Outcome(plan.command, plan, "committed", tx.id, steps, notes)

    def _commit(
        self, tx: Transaction, steps: dict[str, float], config_before: dict[str, Any]
    ) -> Transaction:
        """Record the change as committed (a signal meanwhile: see :meth:`_signalled_late`)."""
        with self._guard.shielded():
            extra = {**tx.extra, "config_before": config_before}
            tx = self.journal.update(tx, steps=dict(steps), extra=extra)
            self.journal.finish(tx, "committed")
        return tx

    def _signalled_late(self, tx: Transaction) -> None:
        """Report a signal that came while the change was being committed: it stays."""
        signum = self._guard.received
        if signum is not None:
            raise ChangeInterrupted(
                signum,
                f"interrupted by {signal_name(signum)} as change {tx.id} ({tx.command}) "
                "ended: it is complete; undo it with `cloudcraver plugin rollback`",
            )

    def _restore_change(
        self,
        plan: Plan,
        target: Mapping[str, Entry | None],
        before: Mapping[str, InstalledDist],
        lock: ChangeLock,
        dry_run: bool,
        undone: list[int],
    ) -> Outcome:
        if plan.is_empty:
            return Outcome(plan.command, plan, "nothing-to-do")
        if dry_run:
            return Outcome(plan.command, plan, "dry-run")
        if not self.confirm(plan):
            return Outcome(plan.command, plan, "declined")
        steps: dict[str, float] = {}
        before_set = self._archive_before(before, list(target), steps)
        after_set = {n: dict(e) for n, e in target.items() if e is not None}
        self._mark_prefix()
        with self._guard.shielded():
            tx = self.journal.begin(
                "rollback",
                self.argv,
                before_set,
                after_set,
                [_change_json(c) for c in plan.changes],
                listing=_listing(before),
                undoes=undone,
            )
        started = time.monotonic()
        try:
            self._raise_if_signalled()
            tx = self.journal.update(tx, state="applying")
            self.on_step("apply")
            self._restore(target, _listing(before))
            steps["apply"] = time.monotonic() - started
            with self._guard.shielded():
                config_before = self._put_back_config(undone)
            tx = self._commit(tx, steps, config_before)
        except (ChangeError, ChangeInterrupted) as error:
            self._fail(tx, error)
            raise
        self._signalled_late(tx)
        return Outcome("rollback", plan, "committed", tx.id, steps)

    def _put_back_config(self, undone: list[int]) -> dict[str, Any]:
        """Give plugins back the configuration tables they had before the undone changes.

        Migrations rewrote them for the newer versions; the older versions get their own
        tables back (as the journal kept them), not a migration run backwards.
        :returns: the tables as they were before this, for undoing the rollback itself.
        """
        from ..config_edit import remove_plugin_section, set_config_value
        from ..tomlfile import read_toml

        tables: dict[str, Any] = {}
        for tx_id in sorted(undone, reverse=True):  # the oldest undone change wins
            tables.update(self.journal.get(tx_id).extra.get("config_before") or {})
        if not tables:
            return {}
        file = self.paths.config_file
        current = read_toml(file).get("plugins", {}) if file.is_file() else {}
        replaced = {name: current.get(name) for name in tables}
        for name, table in tables.items():
            if table is None:
                remove_plugin_section(file, name)
            else:
                set_config_value(file, ("plugins", name), dict(table))
        return replaced

    def _archive_before(
        self, before: Mapping[str, InstalledDist], names: Iterable[str], steps: dict[str, float]
    ) -> dict[str, dict[str, Any]]:
        """Archive what the change replaces or removes; its entries for the journal."""
        self.on_step("archive")
        started = time.monotonic()
        entries: dict[str, dict[str, Any]] = {}
        for name in names:
            dist = before.get(name)
            if dist is None:
                entries[name] = {}  # not installed before: a restore removes it
                continue
            entries[name] = _entry(dist, self._archived(dist))
        steps["archive"] = time.monotonic() - started
        return entries

    def _archived(self, dist: InstalledDist) -> ArchivedWheel:
        """The archived wheel reproducing ``dist`` exactly, repacked from it if needed."""
        found = self.archive.find(dist.name, dist.version, dist.files_hash, exact=True)
        if found is not None and self.archive.verify(found):
            return found
        problems = damaged(dist)
        if problems:
            raise ChangeError(
                f"{dist.name} {dist.version} is damaged ({problems[0]}) and cannot be archived "
                f"for a rollback; reinstall it with pip first; nothing was changed"
            )
        with tempfile.TemporaryDirectory(prefix="cloudcraver-repack-") as tmp:
            wheel = repack(dist, Path(tmp))
            return self.archive.add(wheel, files_hash=dist.files_hash, repacked=True)

    def _apply(self, plan: Plan, applies: list[list[str]], lock: ChangeLock) -> None:
        removed = [c.name for c in plan.changes if c.action == "remove"]
        replaced = [c.name for c in plan.changes if c.before is not None]
        with self._keeping_shared(replaced):
            if removed:
                self._pip(["uninstall", "--yes", *removed], lock, f"remove {', '.join(removed)}")
            for apply_args in applies:
                # Exactly the planned versions, each without its dependencies: the plan
                # already holds them all, and pip need not resolve a second time.
                args = ["install", "--no-deps", *apply_args]
                if any(c.action == "reinstall" for c in plan.changes):
                    args.insert(2, "--force-reinstall")
                self._pip(args, lock, f"{plan.command} {' '.join(plan.specs)}")

    @contextmanager
    def _keeping_shared(self, names: Iterable[str]) -> Iterator[None]:
        """Put back files of ``names`` that another distribution owns too, after pip ran.

        pip removes every file of the ``RECORD`` of what it uninstalls (or replaces), even
        one the host's own ``RECORD`` lists: such a file is kept as it was.
        """
        saved: dict[Path, tuple[bytes, int]] = {}
        for path in shared_files(names, self._snapshot()):
            try:
                saved[path] = (path.read_bytes(), path.stat().st_mode)
            except OSError:
                continue
        try:
            yield
        finally:
            for path, (data, mode) in saved.items():
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                    path.chmod(mode & 0o7777)

    def _stage(
        self,
        plan: Plan,
        apply_args: list[str],
        before: Mapping[str, InstalledDist],
        folder: Path,
        lock: ChangeLock,
        steps: dict[str, float],
    ) -> list[list[str]]:
        """Get every wheel the plan installs into ``folder`` and check it before anything changes.

        ``pip wheel`` downloads (or builds, from an sdist) exactly what ``pip install`` would
        install; each wheel must match its ``RECORD`` and may not overwrite files of another
        distribution. The change then installs these very files, by requirement from the
        folder (no direct URL recorded); VCS specs, which pip records as such, are installed
        as given.

        :returns: the pip install argument lists of the apply step.
        :raises ChangeError: pip cannot get a wheel, or a wheel is refused.
        """
        self.on_step("check")
        started = time.monotonic()
        fetch = [a for a in apply_args if not _is_vcs(a)]
        keep = [a for a in apply_args if _is_vcs(a)]
        wheel_dir = folder / "wheels"
        if fetch:
            args = ["wheel", "--no-deps", "--wheel-dir", str(wheel_dir), *fetch]
            result = self.runner.run(args, lock_fd=lock.fileno())
            if not result.ok:
                raise ChangeError(
                    f"pip could not get the wheels of {' '.join(plan.specs)}; nothing was changed",
                    details=error_block(result),
                )
        wheels = [WheelFile.of(path) for path in sorted(wheel_dir.glob("*.whl"))]
        _match_plan(plan, wheels)
        check_wheels(wheels, before, install_scheme(self.runner.python))
        steps["check"] = time.monotonic() - started
        applies = [_checked_install_args(wheels, wheel_dir, folder)] if wheels else []
        return applies + ([keep] if keep else [])

    def _pip(self, args: list[str], lock: ChangeLock, what: str) -> None:
        result = self.runner.run(args, lock_fd=lock.fileno())
        if not result.ok:
            raise ChangeError(f"pip could not {what}", details=error_block(result))

    def _start_worker(self, plan: Plan) -> VerifyWorker | None:
        if not any(c.is_plugin and c.after is not None for c in plan.changes):
            return None
        # Started now, it loads Python and the host while pip works.
        # From a neutral folder: the user's (on sys.path[0] for `-m`) may hold any module.
        neutral = Path(os.path.abspath(os.sep))
        return VerifyWorker(self.runner.python, env=self.runner.env, cwd=neutral)

    def _verify_and_archive(
        self, plan: Plan, worker: VerifyWorker | None, steps: dict[str, float]
    ) -> tuple[list[str], dict[str, Any]]:
        """Verify (migrating configuration) while archiving; notes and config tables before."""
        self.on_step("verify")
        started = time.monotonic()
        archiving = threading.Thread(target=self._archive_after, args=(plan, steps))
        archiving.start()
        try:
            result = self._verify(plan, worker)
        finally:
            archiving.join()
        steps["verify"] = time.monotonic() - started
        if result is not None and not result.ok:
            # The summary names each failing plugin and why: details only when it does not.
            details = ""
            if result.error is not None:
                failed = [f"{v.name}: {v.error}" for v in result.failures() if v.error]
                details = "\n".join(failed)
            raise ChangeError(
                f"verification failed: {result.summary()}; the previous plugins are restored",
                details=details,
            )
        if result is None:
            return [], {}
        notes = [f"{v.name}: {w}" for v in result.plugins for w in v.warnings]
        notes += [f"{v.name}: configuration migrated" for v in result.plugins if v.migrated]
        before = {k: None if v is None else dict(v) for k, v in result.config_before.items()}
        return notes, before

    def _verify(self, plan: Plan, worker: VerifyWorker | None) -> VerifyResult | None:
        if worker is None:
            return None
        plugins = tuple(c.name for c in plan.changes if c.is_plugin and c.after is not None)
        migrations = tuple(
            Migration(c.name, c.before, c.after)
            for c in plan.changes
            if c.is_plugin and c.before and c.after and c.before != c.after
        )
        request = VerifyRequest(plugins, migrations, self.paths.config_file)
        return worker.run(request)

    def _archive_after(self, plan: Plan, steps: dict[str, float]) -> None:
        """Keep a wheel of everything just installed (beside verification, in a thread)."""
        started = time.monotonic()
        installed = self._snapshot(only=[c.name for c in plan.changes if c.after is not None])
        for change in plan.changes:
            dist = installed.get(change.name)
            if change.after is None or dist is None:
                continue
            try:
                self._archived(dist)
            except (ChangeError, OSError):
                continue  # the before-set is archived; a missing after-wheel costs a download
        steps["archive"] = steps.get("archive", 0.0) + time.monotonic() - started

    def _fail(self, tx: Transaction, error: ChangeError | ChangeInterrupted) -> None:
        """Restore the set before ``tx`` and record why it failed (signals wait meanwhile).

        :raises ChangeInterrupted: a signal stopped the change (or came while restoring):
            the message says the previous plugins are restored.
        """
        self.on_step("restore")
        target = {name: (dict(entry) or None) for name, entry in tx.before.items()}
        with self._guard.shielded():
            try:
                self._restore(target, tx.extra.get("listing", {}))
            except ChangeError as restore_error:
                # Left active: the next command reports it and `plugin recover` tries again.
                self.journal.update(tx, error=f"{error}; {restore_error}")
                raise ChangeError(
                    f"{error}; restoring the previous plugins failed too ({restore_error}); "
                    "run `cloudcraver plugin recover`"
                ) from None
            signum = self._guard.received
            reason = str(error) if signum is None else f"interrupted by {signal_name(signum)}"
            self.journal.finish(tx, "restored", error=reason)
        if signum is not None:
            raise ChangeInterrupted(
                signum,
                f"{reason}: change {tx.id} ({tx.command}) was stopped and undone; "
                "the previous plugins are restored",
            ) from None

    # ------------------------------------------------------------------ restoring

    def _restore(self, target: Mapping[str, Entry | None], listing: Mapping[str, Any]) -> None:
        """Make the named distributions exactly as ``target`` says, from the archive."""
        current = self._snapshot()
        removes, wheels = [], []
        for name, want in target.items():
            have = current.get(name)
            if not want:
                if have is not None:
                    removes.append(have)
                continue
            if have is not None and _matches(have, want):
                continue
            wheel = self._wheel_of(name, want)
            wheels.append(wheel)
        with _scratch("restore") as tmp, self._keeping_shared(target):
            folder = self.archive.materialize(wheels, tmp)
            # Checked before anything is removed: a damaged archive changes nothing.
            self._check_archived(folder, wheels)
            for dist in removes:
                self._remove(dist)
            if wheels:
                pins = [f"{w.name}=={w.version}" for w in wheels]
                args = ["install", "--no-index", "--no-deps", "--force-reinstall"]
                args += ["--find-links", str(folder), *pins]
                result = self.runner.run(args)
                if not result.ok:
                    raise ChangeError(
                        "pip could not put back the archived wheels", details=error_block(result)
                    )
        _remove_orphans(self._snapshot(), listing)

    def _check_archived(self, folder: Path, wheels: list[ArchivedWheel]) -> None:
        """Refuse archived wheels whose files do not match their own ``RECORD``."""
        for wheel in wheels:
            copy = WheelFile(folder / wheel.filename, wheel.name, wheel.version)
            problems = record_problems(copy)
            if problems:
                raise ChangeError(
                    f"the archived wheel of {wheel.name} {wheel.version} "
                    f"({self.archive.path(wheel)}) does not match its RECORD ({problems[0]}); "
                    "it was altered in the archive; nothing was changed",
                    details="\n".join(problems),
                )

    def _wheel_of(self, name: str, want: Entry) -> ArchivedWheel:
        sha = want.get("archive")
        for entry in self.archive.entries():
            if entry.sha256 == sha and self.archive.verify(entry):
                return entry
        raise ChangeError(
            f"the archived wheel of {name} {want.get('version')} is missing or damaged "
            f"({self.archive.root}); it cannot be put back without it"
        )

    def _remove(self, dist: InstalledDist) -> None:
        if (dist.dist_info / "RECORD").is_file():
            result = self.runner.run(["uninstall", "--yes", dist.name])
            if result.ok:
                return
        # pip was stopped before it wrote RECORD: the files it wrote are orphans (removed
        # below); the metadata folder goes by hand.
        shutil.rmtree(dist.dist_info, ignore_errors=True)

    def _rollback_target(self, to: int | None) -> tuple[dict[str, Entry | None], list[int]]:
        """What to put back: per distribution, its entry before the oldest undone change."""
        committed = [t for t in self.journal.history() if t.state == "committed"]
        if to is None:
            undo = [t for t in committed if not _is_undone(t, committed)][-1:]
            if not undo:
                raise InputError("nothing to roll back: no committed change in `plugin history`")
        else:
            if not any(t.id == to for t in self.journal.history()):
                raise InputError(f"no transaction {to}; see `cloudcraver plugin history`")
            undo = [t for t in committed if t.id > to]
            if not undo:
                raise InputError(f"nothing to roll back: no committed change after {to}")
        target: dict[str, Entry | None] = {}
        for tx in reversed(undo):  # the oldest undone change's before-set wins
            for name, entry in tx.before.items():
                target[name] = dict(entry) or None
            for name in tx.after:
                target.setdefault(name, None)
        return target, [t.id for t in undo]

    # ------------------------------------------------------------------ helpers

    def _update_specs(
        self,
        installed: Mapping[str, InstalledDist],
        names: Sequence[str],
        policies: Mapping[str, str],
        default_policy: str,
    ) -> tuple[list[str], list[str]]:

        plugins = set(plugin_distributions(installed))
        wanted: list[str] = distribution_names(names, installed) or sorted(plugins)
        specs, notes = [], []
        for name in wanted:
            if name not in installed or name not in plugins:
                raise InputError(f"'{name}' is not an installed plugin; see `plugin list`")
            dist = installed[name]
            policy = policies.get(name, default_policy)
            if dist.editable or (dist.direct_url and "vcs_info" in dist.direct_url):
                notes.append(f"{name}: installed from {_origin(dist)}; not updated")
                continue
            spec = policy_spec(name, dist.version, policy)
            if spec is None:
                notes.append(f"{name}: pinned at {dist.version}; not updated")
                continue
            specs.append(spec)
        return specs, notes

    def _snapshot(self, only: Iterable[str] | None = None) -> dict[str, InstalledDist]:
        python = None if is_this_interpreter(self.runner.python) else self.runner.python
        return snapshot(python, only=None if only is None else set(only))

    @contextmanager
    def _warm_pips(self, lock: ChangeLock, count: int) -> Iterator[None]:
        """Start pip processes that import pip while the host plans (``PipRunner.prestart``)."""
        self.runner.prestart(count, lock_fd=lock.fileno())
        try:
            yield
        finally:
            self.runner.close()

    def _mark_prefix(self) -> None:
        """Name the environment in its folder, for the check every command makes."""
        marker = self.folder / PREFIX_FILE
        real = os.path.realpath(self.prefix)
        if not marker.is_file() or marker.read_text(encoding="utf-8").strip() != real:
            atomic_write_text(marker, real + "\n")

    def _raise_if_signalled(self) -> None:
        """Raise the signal that came while it was held back (see :meth:`_changing`)."""
        if self._guard.received is not None:
            raise ChangeInterrupted(self._guard.received)

    def _lock(self) -> ChangeLock:
        return ChangeLock(self.folder, wait=self.wait, on_wait=self.on_wait)

    @contextmanager
    def _changing(self) -> Iterator[ChangeLock]:
        """The change lock, with SIGINT/SIGTERM undoing the change (see :mod:`.signals`)."""
        with interruptible() as guard, self._lock() as lock:
            self._guard = guard
            try:
                yield lock
            finally:
                self._guard = SignalGuard()

    def _refuse_if_interrupted(self) -> None:
        try:
            tx = self.journal.active()
        except ValueError as error:
            raise ChangeError(f"{error}; run `cloudcraver plugin recover` first") from None
        if tx is not None:
            raise ChangeError(
                f"change {tx.id} ({tx.command}) was interrupted; run `cloudcraver plugin "
                "recover` to put back the plugins it changed, then try again"
            )


# ---------------------------------------------------------------------- functions


def _prefix_of(python: Path) -> str:
    import sys

    if is_this_interpreter(python):
        return sys.prefix
    # A venv's interpreter lives in <prefix>/bin (Scripts on Windows).
    return str(Path(python).absolute().parent.parent)


def _entry(dist: InstalledDist, wheel: ArchivedWheel) -> dict[str, Any]:
    return {
        "version": dist.version,
        "files_hash": dist.files_hash,
        "archive": wheel.sha256,
        "editable": dist.editable,
    }


def _matches(dist: InstalledDist, want: Entry) -> bool:
    return (
        dist.version == want.get("version")
        and dist.files_hash == want.get("files_hash")
        and not damaged(dist)
    )


@contextmanager
def _scratch(purpose: str) -> Iterator[Path]:
    """A temporary folder for the duration of a step."""
    with tempfile.TemporaryDirectory(prefix=f"cloudcraver-{purpose}-") as tmp:
        yield Path(tmp)


@contextmanager
def _leaving_nothing_behind(before: Mapping[str, InstalledDist]) -> Iterator[None]:
    """Remove what planning left in site folders when the change goes no further.

    pip runs an sdist's build code to plan (its metadata); code that drops a file (a
    ``.pth`` runs at every interpreter start) into ``site-packages`` must not keep it there
    when the change is refused or only a dry run. Entries no distribution owns that were
    not there before are removed, as after an interrupted change.
    """
    listing = _listing(before)
    try:
        yield
    finally:
        _remove_orphans(before, listing)


def _checked_install_args(wheels: list[WheelFile], wheel_dir: Path, folder: Path) -> list[str]:
    """The pip arguments that install exactly the checked ``wheels`` from ``wheel_dir``.

    By requirement (a path would be recorded as a direct URL), each pinned to its sha256:
    a wheel of the same name and version elsewhere (``find-links`` of the user's pip
    configuration) does not match the hash, so pip cannot install it instead.
    """
    from .archive import sha256_file

    lines = [f"{w.name}=={w.version} --hash=sha256:{sha256_file(w.path)}\n" for w in wheels]
    requirements = folder / "checked-wheels.txt"
    requirements.write_text("".join(lines), encoding="utf-8")
    return ["--no-index", "--find-links", str(wheel_dir), "-r", str(requirements)]


def _is_vcs(spec: str) -> bool:
    """Whether a pip spec is a VCS URL (``git+https://...``, ``name @ git+...``)."""
    url = spec.split(" @ ", 1)[-1].strip()
    return url.split("+", 1)[0] in {"git", "hg", "svn", "bzr"} and "+" in url


def _match_plan(plan: Plan, wheels: list[WheelFile]) -> None:
    """Refuse wheels pip got that the plan does not install (another name or version)."""
    for wheel in wheels:
        change = plan.change(wheel.name)
        if change is None or change.after is None or not _same(change.after, wheel.version):
            raise ChangeError(
                f"refused: pip got {wheel.path.name}, which the plan does not install "
                f"({'; '.join(c.describe() for c in plan.changes)}); nothing was changed"
            )


def _same(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "name": change.name,
        "action": change.action,
        "before": change.before,
        "after": change.after,
        "requested": change.requested,
        "is_plugin": change.is_plugin,
    }


def _apply_args(plan: Plan, specs: Sequence[str], editable: bool) -> list[str]:
    """The pip arguments installing exactly the plan: user paths and URLs, pins for the rest."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    named: set[str] = set()
    verbatim: list[str] = []
    for spec in specs:
        try:
            requirement = Requirement(spec)
        except InvalidRequirement:
            requirement = None
        if requirement is not None and requirement.url is None and not editable:
            named.add(canonicalize_name(requirement.name))
        else:
            verbatim += ["-e", spec] if editable else [spec]
    pins = [
        f"{c.name}=={c.after}"
        for c in plan.changes
        if c.after is not None and (c.name in named or not c.requested)
    ]
    return [*verbatim, *pins]


def _restore_plan(
    target: Mapping[str, Entry | None],
    current: Mapping[str, InstalledDist],
    *,
    command: str,
    undone: list[int],
) -> Plan:
    from .plan import classify

    changes = []
    for name, want in sorted(target.items()):
        have = current.get(name)
        if not want:
            if have is not None:
                changes.append(Change(name, "remove", have.version, None, True))
            continue
        if have is not None and _matches(have, want):
            continue
        version = str(want.get("version"))
        action = classify(have.version if have else None, version)
        changes.append(Change(name, action, have.version if have else None, version, True))
    return Plan(command=command, specs=tuple(str(i) for i in undone), changes=tuple(changes))


def _is_undone(tx: Transaction, committed: list[Transaction]) -> bool:
    """Whether a later rollback already undid ``tx`` (then the one before it is next)."""
    return any(tx.id in (t.extra.get("undoes") or ()) for t in committed)


def _origin(dist: InstalledDist) -> str:
    url = (dist.direct_url or {}).get("url", "")
    return str(url) or "a local folder"


def _listing(installed: Mapping[str, InstalledDist]) -> dict[str, list[str]]:
    """The entries of every site folder before the change (to spot pip's leftovers later)."""
    folders = {str(d.site_dir) for d in installed.values()}
    listing = {}
    for folder in sorted(folders):
        try:
            listing[folder] = sorted(os.listdir(folder))
        except OSError:
            continue
    return listing


def _remove_orphans(installed: Mapping[str, InstalledDist], listing: Mapping[str, Any]) -> None:
    """Remove what an interrupted pip left in site folders that no distribution owns.

    Only entries that were not there before the change are candidates, so nothing the user
    put there by hand is touched.
    """
    owned: dict[str, set[str]] = {}
    for dist in installed.values():
        tops = owned.setdefault(str(dist.site_dir), set())
        tops.add(dist.dist_info.name)
        for entry in read_record(dist.dist_info):
            head = entry.path.split("/", 1)[0]
            if head and head != "..":
                tops.add(head)
    for folder, before in listing.items():
        try:
            now = os.listdir(folder)
        except OSError:
            continue
        keep = set(before) | owned.get(folder, set())
        for name in now:
            if name in keep or name == "__pycache__":
                continue
            path = Path(folder, name)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
