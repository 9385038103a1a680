"""The change lock: one change per environment, across real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cloudcraver_host.errors import ChangeError
from cloudcraver_host.install.lock import ChangeLock, Owner, read_owner

pytestmark = pytest.mark.skipif(os.name != "posix", reason="flock semantics are POSIX")

# A process that takes the lock, says so on stdout, and holds it until stdin closes.
HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from cloudcraver_host.install.lock import ChangeLock

    with ChangeLock(Path(sys.argv[1]), command="cloudcraver plugin install cc-slow"):
        print("locked", flush=True)
        sys.stdin.read()
    """
)


def start_holder(folder: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def stop(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=10)


def test_free_lock_is_taken_and_owner_recorded(tmp_path: Path) -> None:
    waited: list[Owner] = []
    with ChangeLock(
        tmp_path, on_wait=waited.append, command="cloudcraver plugin install x"
    ) as lock:
        owner = read_owner(tmp_path)
        assert owner is not None and owner.pid == os.getpid()
        assert owner.command == "cloudcraver plugin install x" and owner.started
        assert lock.held and lock.fileno() >= 0
        assert not os.get_inheritable(lock.fileno())  # only pip runs given pass_fds get it
    assert waited == []  # free: no waiting message
    assert not lock.held and read_owner(tmp_path) is None
    with pytest.raises(RuntimeError):
        lock.fileno()


def test_no_wait_names_the_holder(tmp_path: Path) -> None:
    holder = start_holder(tmp_path)
    try:
        with pytest.raises(ChangeError) as caught, ChangeLock(tmp_path, wait=False):
            pytest.fail("must not get the lock")
        message = str(caught.value)
        assert f"pid {holder.pid}: cloudcraver plugin install cc-slow, since " in message
        assert message.startswith("another change is running (") and "--no-wait" in message
        assert caught.value.exit_code == 5
    finally:
        stop(holder)


def test_waiting_proceeds_after_release(tmp_path: Path) -> None:
    holder = start_holder(tmp_path)
    waited: list[Owner] = []

    def release_soon(owner: Owner) -> None:
        waited.append(owner)
        stop(holder)  # the holder lets go while we wait

    started = time.monotonic()
    with ChangeLock(tmp_path, wait=True, on_wait=release_soon):
        owner = read_owner(tmp_path)
        assert owner is not None and owner.pid == os.getpid()
    assert [o.pid for o in waited] == [holder.pid]  # called once, naming the holder
    assert time.monotonic() - started < 10


def test_two_processes_never_hold_it_together(tmp_path: Path) -> None:
    """Several processes increment a counter file under the lock; none is lost."""
    code = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        from cloudcraver_host.install.lock import ChangeLock

        folder = Path(sys.argv[1])
        for _ in range(20):
            with ChangeLock(folder, wait=True):
                counter = folder / "counter"
                value = int(counter.read_text()) if counter.exists() else 0
                time.sleep(0.001)
                counter.write_text(str(value + 1))
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)]) for _ in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    assert (tmp_path / "counter").read_text() == "80"


def test_stale_owner_of_a_dead_process_does_not_block(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
    holder.kill()  # SIGKILL: owner.json stays, the kernel drops the flock
    holder.wait(timeout=10)
    stale = read_owner(tmp_path)
    assert stale is not None and stale.pid == holder.pid
    with ChangeLock(tmp_path, wait=False) as lock:
        assert lock.held
        owner = read_owner(tmp_path)
        assert owner is not None and owner.pid == os.getpid()


def test_a_child_given_the_descriptor_keeps_the_lock_after_the_parent_dies(
    tmp_path: Path,
) -> None:
    """Host SIGKILLed while pip runs: pip (the child holding the fd) keeps the lock."""
    parent = textwrap.dedent(
        """
        import os, signal, subprocess, sys
        from pathlib import Path
        from cloudcraver_host.install.lock import ChangeLock

        lock = ChangeLock(Path(sys.argv[1]), command="cloudcraver plugin install cc-x")
        lock.acquire()
        child = subprocess.Popen(
            [sys.executable, "-c", "import sys; print('child', flush=True); sys.stdin.read()"],
            pass_fds=[lock.fileno()],
        )
        print(child.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", parent, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    second = proc.stdout.readline().strip()
    child_pid = int(second if first == "child" else first)
    assert proc.wait(timeout=10) == -9
    try:
        with (
            pytest.raises(ChangeError, match="another change is running"),
            ChangeLock(tmp_path, wait=False),
        ):
            pass
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the child shares the parent's stdin: it now ends
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(child_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
    with ChangeLock(tmp_path, wait=False) as lock:  # the child has exited: free again
        assert lock.held


def test_unreadable_owner_file_still_gives_a_message(tmp_path: Path) -> None:
    holder = start_holder(tmp_path)
    try:
        (tmp_path / "owner.json").write_text("{torn")
        with (
            pytest.raises(ChangeError, match="an unknown command"),
            ChangeLock(tmp_path, wait=False),
        ):
            pass
    finally:
        stop(holder)
