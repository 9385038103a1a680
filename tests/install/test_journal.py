"""The transaction journal: durable records, increasing ids, the ACTIVE marker, damage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cloudcraver_host.install.journal import (
    FINAL_STATES,
    Journal,
    Transaction,
    environment_folder,
)

BEFORE = {"cc-x": {"version": "1.0", "files_hash": "aa", "archive_sha256": "11"}}
AFTER = {"cc-x": {"version": "2.0", "files_hash": None, "archive_sha256": None}}
PLAN = [{"name": "cc-x", "action": "upgrade", "before": "1.0", "after": "2.0"}]


def begin(journal: Journal, command: str = "plugin install") -> Transaction:
    return journal.begin(command, ["cc-x==2.0"], BEFORE, AFTER, PLAN)


def test_begin_writes_the_record_and_marks_it_active(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "env")
    tx = begin(journal)
    assert tx.id == 1 and tx.state == "planned" and tx.finished is None
    stored = json.loads((tmp_path / "env" / "transactions" / "000001.json").read_text())
    assert stored["before"] == BEFORE and stored["after"] == AFTER and stored["plan"] == PLAN
    assert stored["argv"] == ["cc-x==2.0"] and stored["command"] == "plugin install"
    assert (tmp_path / "env" / "ACTIVE").read_text().strip() == "1"
    assert journal.active() == tx
    assert journal.get(1) == tx


def test_states_steps_and_finish(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    tx = begin(journal)
    tx = journal.update(tx, state="applying", steps={"plan": 0.5})
    tx = journal.update(tx, state="verifying", steps={**tx.steps, "apply": 1.25})
    assert journal.get(tx.id).state == "verifying"
    assert journal.active() == tx  # still in progress
    done = journal.finish(tx, "committed")
    assert done.state == "committed" and done.finished is not None
    assert done.steps == {"plan": 0.5, "apply": 1.25}
    assert journal.active() is None
    assert not (tmp_path / "ACTIVE").exists()
    assert journal.get(done.id) == done


def test_ids_increase_and_history_is_in_order(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    for state in ("committed", "restored", "committed", "failed"):
        journal.finish(begin(journal), state)  # type: ignore[arg-type]
    history = journal.history()
    assert [tx.id for tx in history] == [1, 2, 3, 4]
    assert [tx.state for tx in history] == ["committed", "restored", "committed", "failed"]
    last = journal.last_committed()
    assert last is not None and last.id == 3


def test_last_committed_none_without_one(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    assert journal.last_committed() is None and journal.history() == []
    journal.finish(begin(journal), "restored")
    assert journal.last_committed() is None


def test_finish_refuses_a_non_final_state(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    tx = begin(journal)
    with pytest.raises(ValueError, match="not a final state"):
        journal.finish(tx, "applying")
    with pytest.raises(ValueError, match="id never changes"):
        journal.update(tx, id=7)
    assert {"committed", "restored", "recovered", "failed"} == FINAL_STATES


def test_error_and_extra_fields_are_kept(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    tx = journal.begin("plugin update", [], BEFORE, AFTER, PLAN, config_before={"x": {"a": 1}})
    done = journal.finish(tx, "restored", error="verification failed: cc-x: ImportError")
    again = journal.get(done.id)
    assert again.error == "verification failed: cc-x: ImportError"
    assert again.extra == {"config_before": {"x": {"a": 1}}}


def test_damaged_records_are_reported_and_skipped(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    for _ in range(4):
        journal.finish(begin(journal), "committed")
    records = tmp_path / "transactions"
    # A torn write (the file system lost the end of the file), garbage, and a wrong shape.
    text = (records / "000002.json").read_text()
    (records / "000002.json").write_text(text[: len(text) // 2])
    (records / "000003.json").write_bytes(b"\x00\xff\xfe garbage")
    (records / "000004.json").write_text(json.dumps({"id": 4, "command": "x"}))
    scan = journal.scan()
    assert [tx.id for tx in scan.transactions] == [1]
    assert [d.path.name for d in scan.damaged] == ["000002.json", "000003.json", "000004.json"]
    assert all(d.reason for d in scan.damaged)
    assert "missing" in scan.damaged[2].reason
    assert [tx.id for tx in journal.history()] == [1]
    last = journal.last_committed()
    assert last is not None and last.id == 1
    # A damaged id is never given again.
    assert begin(journal).id == 5
    with pytest.raises(ValueError, match="damaged"):
        journal.get(2)
    with pytest.raises(KeyError):
        journal.get(99)


def test_temporary_files_are_not_records(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.finish(begin(journal), "committed")
    (tmp_path / "transactions" / ".000002.json.abc.tmp").write_text("{")
    (tmp_path / "transactions" / "notes.txt").write_text("hello")
    assert [tx.id for tx in journal.history()] == [1] and journal.damaged() == []
    assert begin(journal).id == 2


def test_active_after_a_kill_between_final_write_and_marker_removal(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    tx = begin(journal)
    journal.update(tx, state="committed")  # the final write landed, ACTIVE not yet removed
    assert (tmp_path / "ACTIVE").exists()
    assert journal.active() is None


def test_active_naming_a_missing_or_damaged_record_raises(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    tmp_path.joinpath("ACTIVE").write_text("12\n")
    with pytest.raises(ValueError, match="no record"):
        journal.active()
    tmp_path.joinpath("ACTIVE").write_text("x1")
    with pytest.raises(ValueError, match="not a transaction id"):
        journal.active()


def test_killed_process_leaves_an_interrupted_transaction(tmp_path: Path) -> None:
    """A process killed mid-change leaves ACTIVE naming its record, in its last state."""
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from cloudcraver_host.install.journal import Journal\n"
        "j = Journal(Path(sys.argv[1]))\n"
        "tx = j.begin('plugin install', ['cc-x'], {}, {'cc-x': {'version': '1'}}, [])\n"
        "j.update(tx, state='applying')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=False)
    assert result.returncode == -9
    active = Journal(tmp_path).active()
    assert active is not None and active.id == 1 and active.state == "applying"


def test_environment_folder_is_per_prefix(tmp_path: Path) -> None:
    data = tmp_path / "data"
    here = environment_folder(data)
    assert here.parent == data / "environments" and len(here.name) == 16
    assert environment_folder(data, sys.prefix) == here
    assert environment_folder(data, str(tmp_path)) != here
    link = tmp_path / "link"
    os.symlink(sys.prefix, link)
    assert environment_folder(data, str(link)) == here  # the same environment
