"""The transaction journal: one durable JSON record per change to the plugin environment.

Each change (install, update, uninstall, rollback, recover) is written down before pip
starts, so that a process killed at any moment leaves enough on disk to put the
environment back: what was installed before (versions, content hashes, archived wheels),
what was intended, and how far the change got. Layout, in the environment's folder
(:func:`environment_folder`)::

    transactions/000001.json   one record per transaction, ids increasing
    ACTIVE                     the id of the transaction in progress (absent: none)

Records are replaced atomically (temporary file, fsync, rename, fsync of the folder):
a reader sees the old or the new record, never a mix. ``ACTIVE`` is written after the
record it names and removed only after the record's final state is durable, so an
``ACTIVE`` file always names a record that says where the change stopped. A record left
in ``planned`` with no ``ACTIVE`` naming it belongs to a process that died before pip
started: the environment was not touched.

The journal does no locking of its own: every writer holds the environment's
:class:`~cloudcraver_host.install.lock.ChangeLock`. Readers (``history``, the start-up
check for an interrupted change) need no lock, because every write is atomic.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

from ..tomlfile import _fsync_directory, atomic_write_text
from .interrupted import ACTIVE_FILE, ENDED_STATES, ENVIRONMENTS, ID_WIDTH, RECORDS

__all__ = [
    "FINAL_STATES",
    "STATES",
    "DamagedRecord",
    "Journal",
    "JournalScan",
    "State",
    "Transaction",
    "environment_folder",
]

#: Where a transaction stands. ``planned``: recorded, pip not started; ``applying``: pip
#: may be changing the environment; ``verifying``: pip is done, plugins are being checked;
#: ``committed``: the after-set is in place; ``restored``: the change failed and the
#: before-set was put back; ``recovered``: ``plugin recover`` put back an interrupted
#: change's before-set; ``failed``: restoring failed too (the record says what is left).
State = Literal["planned", "applying", "verifying", "committed", "restored", "recovered", "failed"]
STATES: tuple[State, ...] = get_args(State)
#: The states a transaction ends in: no ``ACTIVE`` file names it any more.
FINAL_STATES: frozenset[State] = frozenset(s for s in STATES if s in ENDED_STATES)

_FORMAT = 1  # bumped if a record's shape changes incompatibly


def environment_folder(data_dir: Path, prefix: str = sys.prefix) -> Path:
    """The folder holding the journal and lock of the Python environment at ``prefix``.

    Keyed by a hash of the resolved prefix, so two environments (a venv and the system
    Python, say) never share a journal, and a symlinked path to the same venv does.
    """
    resolved = os.path.realpath(prefix)
    digest = hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:16]
    return data_dir / ENVIRONMENTS / digest


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Transaction:
    """One transaction record, as stored.

    :param id: its number; ids increase with each transaction of the environment.
    :param command: the command line's command, such as ``plugin install``.
    :param argv: the arguments it was given.
    :param started: when it began (ISO 8601, UTC).
    :param finished: when it reached a final state, or ``None``.
    :param state: one of :data:`STATES`.
    :param before: what was installed before: ``{name: {version, files_hash, archive_sha256}}``.
    :param after: what the change intends to have installed, in the same shape.
    :param plan: the planned changes, as plain dicts (``plan.Change`` fields).
    :param error: why it failed, one line, or ``None``.
    :param steps: seconds spent per step (``plan``, ``apply``, ``verify``, ``archive``...).
    :param extra: fields the journal does not interpret (config sections saved before a
        migration, say); kept as given.
    """

    id: int
    command: str
    argv: tuple[str, ...]
    started: str
    state: State
    before: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    after: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    plan: tuple[Mapping[str, Any], ...] = ()
    finished: str | None = None
    error: str | None = None
    steps: Mapping[str, float] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        """Whether the transaction has ended (committed, restored, recovered or failed)."""
        return self.state in FINAL_STATES

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data (what the file holds)."""
        return {
            "format": _FORMAT,
            "id": self.id,
            "command": self.command,
            "argv": list(self.argv),
            "started": self.started,
            "finished": self.finished,
            "state": self.state,
            "before": {k: dict(v) for k, v in self.before.items()},
            "after": {k: dict(v) for k, v in self.after.items()},
            "plan": [dict(c) for c in self.plan],
            "error": self.error,
            "steps": dict(self.steps),
            "extra": dict(self.extra),
        }

    @classmethod
    def from_json(cls, data: Any) -> Transaction:
        """Read a record; :class:`ValueError` names what is wrong with a malformed one."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        missing = [k for k in ("id", "command", "argv", "started", "state") if k not in data]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        if not isinstance(data["id"], int) or isinstance(data["id"], bool):
            raise ValueError(f"id is not a number: {data['id']!r}")
        if data["state"] not in STATES:
            raise ValueError(f"unknown state {data['state']!r}")
        for key, kind in (("before", dict), ("after", dict), ("plan", list), ("steps", dict)):
            if not isinstance(data.get(key, kind()), kind):
                raise ValueError(f"{key} is not a {kind.__name__}")
        return cls(
            id=data["id"],
            command=str(data["command"]),
            argv=tuple(str(a) for a in data["argv"]),
            started=str(data["started"]),
            state=cast(State, data["state"]),
            before=data.get("before", {}),
            after=data.get("after", {}),
            plan=tuple(data.get("plan", [])),
            finished=data.get("finished"),
            error=data.get("error"),
            steps={str(k): float(v) for k, v in data.get("steps", {}).items()},
            extra=data.get("extra") or {},
        )


@dataclass(frozen=True)
class DamagedRecord:
    """A record file that could not be read (torn by a crash of the file system, edited...).

    :param path: the file.
    :param reason: what is wrong, one line.
    """

    path: Path
    reason: str


@dataclass(frozen=True)
class JournalScan:
    """Every readable record, by increasing id, and the files that could not be read."""

    transactions: tuple[Transaction, ...]
    damaged: tuple[DamagedRecord, ...]


class Journal:
    """The transactions of one Python environment, kept in ``folder``.

    :param folder: the environment's folder (see :func:`environment_folder`); created on
        the first write.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.records = folder / RECORDS
        self.active_file = folder / ACTIVE_FILE

    def __repr__(self) -> str:
        return f"Journal({str(self.folder)!r})"

    # ------------------------------------------------------------------ writing

    def begin(
        self,
        command: str,
        argv: Sequence[str],
        before: Mapping[str, Mapping[str, Any]],
        after: Mapping[str, Mapping[str, Any]],
        plan: Sequence[Mapping[str, Any]],
        **extra: Any,
    ) -> Transaction:
        """Record a new transaction in state ``planned`` and mark it active.

        Both writes are durable when this returns: pip may start.

        :param extra: more fields to keep with the record (see :attr:`Transaction.extra`).
        """
        tx = Transaction(
            id=self._next_id(),
            command=command,
            argv=tuple(argv),
            started=_now(),
            state="planned",
            before=before,
            after=after,
            plan=tuple(plan),
            extra=extra,
        )
        self._write(tx)
        # After the record: an ACTIVE file must never name a record that is not there.
        atomic_write_text(self.active_file, f"{tx.id}\n")
        return tx

    def update(self, tx: Transaction, **fields: Any) -> Transaction:
        """Write ``tx`` with ``fields`` changed (``state="applying"``, ``steps=...``).

        :returns: the record as now stored.
        """
        if "id" in fields:
            raise ValueError("a transaction's id never changes")
        new = dataclasses.replace(tx, **fields)
        if new.state not in STATES:
            raise ValueError(f"unknown state {new.state!r}")
        self._write(new)
        return new

    def finish(self, tx: Transaction, state: State, *, error: str | None = None) -> Transaction:
        """Write the final ``state`` (and ``error``), then remove the ``ACTIVE`` marker.

        :raises ValueError: if ``state`` is not a final state.
        """
        if state not in FINAL_STATES:
            raise ValueError(f"{state!r} is not a final state ({', '.join(sorted(FINAL_STATES))})")
        new = self.update(
            tx, state=state, error=error if error is not None else tx.error, finished=_now()
        )
        # Only once the final state is durable: a crash before this line leaves ACTIVE
        # naming a finished record, which active() reads as nothing in progress.
        self._clear_active(new.id)
        return new

    def _clear_active(self, tx_id: int) -> None:
        if self._active_id() == tx_id:
            try:
                self.active_file.unlink()
            except FileNotFoundError:
                return
            _fsync_directory(self.folder)

    def _write(self, tx: Transaction) -> None:
        text = json.dumps(tx.to_json(), indent=1, sort_keys=True, ensure_ascii=False)
        atomic_write_text(self._path(tx.id), text + "\n")

    def _path(self, tx_id: int) -> Path:
        return self.records / f"{tx_id:0{ID_WIDTH}d}.json"

    def _ids(self) -> list[int]:
        try:
            names = os.listdir(self.records)
        except FileNotFoundError:
            return []
        ids = []
        for name in names:
            stem, dot, suffix = name.partition(".")
            if dot and suffix == "json" and stem.isdigit():
                ids.append(int(stem))
        return sorted(ids)

    def _next_id(self) -> int:
        # Damaged records count too: an id is never given twice, even if its file is torn.
        ids = self._ids()
        return ids[-1] + 1 if ids else 1

    # ------------------------------------------------------------------ reading

    def get(self, tx_id: int) -> Transaction:
        """The record of transaction ``tx_id``.

        :raises KeyError: if there is none.
        :raises ValueError: if its file is damaged (the message says how).
        """
        path = self._path(tx_id)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeyError(tx_id) from None
        try:
            tx = Transaction.from_json(json.loads(text))
        except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
            raise ValueError(f"{path}: damaged transaction record: {exc}") from exc
        if tx.id != tx_id:
            raise ValueError(f"{path}: damaged transaction record: holds id {tx.id}")
        return tx

    def scan(self) -> JournalScan:
        """Read every record; damaged files are listed, never raised."""
        found: list[Transaction] = []
        damaged: list[DamagedRecord] = []
        for tx_id in self._ids():
            try:
                found.append(self.get(tx_id))
            except (ValueError, OSError, UnicodeDecodeError) as exc:
                damaged.append(DamagedRecord(self._path(tx_id), _one_line(exc)))
            except KeyError:  # removed between listing and reading
                continue
        return JournalScan(tuple(found), tuple(damaged))

    def history(self) -> list[Transaction]:
        """Every readable transaction, oldest first (damaged records skipped: see :meth:`scan`)."""
        return list(self.scan().transactions)

    def damaged(self) -> list[DamagedRecord]:
        """The record files that cannot be read."""
        return list(self.scan().damaged)

    def _active_id(self) -> int | None:
        try:
            text = self.active_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else None

    def active(self) -> Transaction | None:
        """The transaction that was in progress when its process stopped, if any.

        A process running a change is such a transaction too: take the environment's
        :class:`~cloudcraver_host.install.lock.ChangeLock` first to know it is interrupted.

        :raises ValueError: if ``ACTIVE`` names a damaged record or is unreadable (the
            environment's state is unknown: recovery must restore from the archive).
        """
        try:
            text = self.active_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        if not text.isdigit():
            raise ValueError(f"{self.active_file}: damaged: {text[:40]!r} is not a transaction id")
        try:
            tx = self.get(int(text))
        except KeyError:
            raise ValueError(
                f"{self.active_file}: names transaction {text}, which has no record"
            ) from None
        # Killed between the final write and removing ACTIVE: the change had ended.
        return None if tx.is_final else tx

    def last_committed(self) -> Transaction | None:
        """The most recent committed transaction: its after-set is the last known good set."""
        for tx in reversed(self.history()):
            if tx.state == "committed":
                return tx
        return None


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
