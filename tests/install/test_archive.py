"""archive.py: the content-addressed wheel store and its index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cloudcraver_host.errors import ChangeError, StateFileError
from cloudcraver_host.install.archive import ArchivedWheel, WheelArchive, sha256_file
from cloudcraver_host.install.environment import snapshot
from cloudcraver_host.install.pip import PipRunner

from .helpers import Venv, make_wheel


def test_add_stores_by_content_and_indexes(tmp_path: Path) -> None:
    archive = WheelArchive(tmp_path / "archive")
    wheel = make_wheel(tmp_path / "w", "CC_Thing", "1.0.0")
    entry = archive.add(wheel)
    assert entry == ArchivedWheel(
        name="cc-thing",
        version="1.0.0",
        sha256=sha256_file(wheel),
        filename="CC_Thing-1.0.0-py3-none-any.whl",
    )
    assert archive.path(entry) == tmp_path / "archive" / f"{entry.sha256}.whl"
    assert archive.path(entry).read_bytes() == wheel.read_bytes()
    assert archive.verify(entry)
    # Same content again: one file, one entry; a files_hash learnt later is recorded.
    again = archive.add(wheel, files_hash="f" * 64)
    assert again == ArchivedWheel(**{**entry.__dict__, "files_hash": "f" * 64})
    assert archive.entries() == [again]
    assert sorted(p.name for p in archive.root.iterdir()) == [
        f"{entry.sha256}.whl",
        "index.json",
        "index.json.lock",
    ]
    index = json.loads(archive.index_path.read_text())
    assert index["version"] == 1 and index["wheels"][0]["filename"] == entry.filename


def test_find_by_name_version_and_files_hash(tmp_path: Path) -> None:
    archive = WheelArchive(tmp_path / "archive")
    assert archive.find("cc-a", "1.0") is None
    downloaded = archive.add(make_wheel(tmp_path / "a", "cc-a", "1.0"))
    assert archive.find("CC.A", "1.0.0") == downloaded  # names and versions compare canonically
    assert archive.find("cc-a", "1.1") is None
    rebuilt = archive.add(
        make_wheel(tmp_path / "b", "cc-a", "1.0", files={"cc_a.py": "# rebuilt\n"}),
        files_hash="1" * 64,
        repacked=True,
    )
    assert rebuilt.repacked
    assert archive.find("cc-a", "1.0", "1" * 64) == rebuilt
    assert archive.find("cc-a", "1.0", "1" * 64, exact=True) == rebuilt
    # Unknown files: the wheel whose files are not known yet may give them; not with exact.
    assert archive.find("cc-a", "1.0", "2" * 64) == downloaded
    assert archive.find("cc-a", "1.0", "2" * 64, exact=True) is None
    assert archive.find("cc-a", "1.0") == rebuilt  # the latest added


def test_verify_and_materialize(tmp_path: Path, venv: Venv, runner: PipRunner) -> None:
    archive = WheelArchive(tmp_path / "archive")
    entry = archive.add(make_wheel(tmp_path / "w", "cc-a", "2.0"))
    folder = archive.materialize([entry], tmp_path / "links")
    assert (folder / "cc_a-2.0-py3-none-any.whl").read_bytes() == archive.path(entry).read_bytes()
    result = runner.run(
        ["install", "-q", "--no-index", "--no-deps", "--find-links", str(folder), "cc-a==2.0"]
    )
    assert result.ok, result.stderr
    assert snapshot(venv.python)["cc-a"].version == "2.0"

    archive.path(entry).write_bytes(b"not a wheel")
    assert not archive.verify(entry)
    with pytest.raises(ChangeError, match=r"archived wheel of cc-a 2\.0 .* missing or damaged"):
        archive.materialize([entry], tmp_path / "links2")
    archive.path(entry).unlink()
    assert not archive.verify(entry)


def test_bad_inputs(tmp_path: Path) -> None:
    archive = WheelArchive(tmp_path / "archive")
    bad = tmp_path / "not-a-wheel.whl"
    bad.write_bytes(b"x")
    with pytest.raises(ChangeError, match="cannot archive"):
        archive.add(bad)
    archive.root.mkdir(exist_ok=True)
    archive.index_path.write_text("{broken")
    with pytest.raises(StateFileError, match="not a wheel archive index"):
        archive.entries()


def test_concurrent_adders_lose_nothing(tmp_path: Path) -> None:
    wheels = [make_wheel(tmp_path / "w", f"cc-p{i}", "1.0") for i in range(12)]
    root = tmp_path / "archive"
    code = (
        "import sys; from pathlib import Path\n"
        "from cloudcraver_host.install.archive import WheelArchive\n"
        "a = WheelArchive(Path(sys.argv[1]))\n"
        "for w in sys.argv[2:]: a.add(Path(w))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(root), *map(str, wheels[i::3])])
        for i in range(3)
    ] + [subprocess.Popen([sys.executable, "-c", code, str(root), *map(str, wheels)])]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    archive = WheelArchive(root)
    assert sorted(e.name for e in archive.entries()) == sorted(f"cc-p{i}" for i in range(12))
    assert all(archive.verify(e) for e in archive.entries())
    assert not list(root.glob(".incoming-*"))
