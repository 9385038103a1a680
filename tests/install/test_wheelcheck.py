"""wheelcheck.py: wheels read as zips, against their own RECORD and the installed RECORDs.

Fast (no pip): the wheels are written by hand, then altered as an attacker would.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from cloudcraver_host.errors import ChangeError
from cloudcraver_host.install.environment import InstalledDist
from cloudcraver_host.install.wheelcheck import (
    WheelFile,
    check_wheels,
    overlaps,
    record_problems,
    shared_files,
)

from .helpers import make_wheel


def rewrite(wheel: Path, replace: dict[str, bytes | None]) -> None:
    """Replace (bytes) or drop (``None``) members of a built wheel, keeping the rest."""
    with zipfile.ZipFile(wheel) as source:
        items = [(i.filename, source.read(i)) for i in source.infolist()]
    names = [name for name, _ in items]
    added = [(name, data) for name, data in replace.items() if name not in names]
    with zipfile.ZipFile(wheel, "w") as target:
        for name, data in [*items, *added]:
            new = replace.get(name, data)
            if new is not None:
                target.writestr(name, new)


def record_of(wheel: Path) -> tuple[str, str]:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith("/RECORD"))
        return name, zf.read(name).decode()


def installed_dist(site: Path, name: str, files: dict[str, str]) -> InstalledDist:
    """A distribution "installed" in ``site``: its files and a RECORD naming them."""
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    for path, text in files.items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(text)
    rows = [f"{path},,\n" for path in files] + [f"{info.name}/RECORD,,\n"]
    (info / "RECORD").write_text("".join(rows))
    return InstalledDist(name, "1.0", info, "", False, None, ())


def test_a_sound_wheel_has_no_problem(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "cc-ok", "1.0", scripts={"tool": "#!python\n"})
    assert record_problems(WheelFile.of(wheel)) == []


@pytest.mark.parametrize(
    ("alter", "problem"),
    [
        ("content", "cc_bad.py: content does not match its RECORD hash"),
        ("size", "cc_bad.py: size 16, RECORD says 99"),
        ("unlisted", "extra.pth: in the wheel, not listed in RECORD"),
        ("missing", "cc_bad.py: listed in RECORD, not in the wheel"),
        ("md5", "cc_bad.py: no sha256 (or stronger) hash in RECORD"),
        ("self-hashed", "RECORD must list itself without a hash"),
    ],
)
def test_an_altered_wheel_is_named_with_its_problem(
    tmp_path: Path, alter: str, problem: str
) -> None:
    wheel = make_wheel(tmp_path, "cc-bad", "1.0")
    record_name, record = record_of(wheel)
    line = next(r for r in record.splitlines() if r.startswith("cc_bad.py,"))
    path, digest, _ = line.split(",")
    changes: dict[str, bytes | None] = {
        "content": {"cc_bad.py": b"VERSION = '6'\n"},
        "size": {record_name: record.replace(line, f"{path},{digest},99").encode()},
        "unlisted": {"extra.pth": b"import os\n"},
        "missing": {"cc_bad.py": None},
        "md5": {record_name: record.replace(line, f"{path},md5=abc,15").encode()},
        "self-hashed": {
            record_name: record.replace(f"{record_name},,", f"{record_name},{digest},1").encode()
        },
    }[alter]
    rewrite(wheel, changes)

    problems = record_problems(WheelFile.of(wheel))

    assert any(problem in p for p in problems), problems


def test_not_a_zip_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    wheel = tmp_path / "cc_junk-1.0-py3-none-any.whl"
    wheel.write_bytes(b"not a zip")
    assert record_problems(WheelFile.of(wheel))[0].startswith("not a readable wheel")


def test_files_of_another_distribution_and_scripts_overlap(tmp_path: Path) -> None:
    site, scripts = tmp_path / "site", tmp_path / "bin"
    host = installed_dist(site, "host", {"host_pkg/names.py": "x", "../bin/host-tool": "y"})
    scheme = {k: str(site) for k in ("purelib", "platlib")}
    scheme |= {"scripts": str(scripts), "data": str(tmp_path), "include": str(tmp_path / "inc")}
    wheel = make_wheel(
        tmp_path / "w",
        "cc-evil",
        "1.0",
        files={"cc_evil.py": "", "host_pkg/names.py": "trojan"},
        scripts={"host-tool": "#!python\n"},
    )

    found = overlaps([WheelFile.of(wheel)], {"host": host}, scheme)

    assert sorted((o.wheel, o.owner, o.path) for o in found) == [
        ("cc-evil", "host", "../bin/host-tool"),
        ("cc-evil", "host", "host_pkg/names.py"),
    ]
    with pytest.raises(ChangeError, match=r"refused: cc-evil would overwrite .* of host"):
        check_wheels([WheelFile.of(wheel)], {"host": host}, scheme)


def test_an_upgrade_may_replace_its_own_files_and_two_wheels_may_not_collide(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    own = installed_dist(site, "cc-a", {"cc_a.py": "old"})
    scheme = {k: str(site) for k in ("purelib", "platlib", "scripts", "data", "include")}
    upgrade = WheelFile.of(make_wheel(tmp_path / "a", "cc-a", "2.0", files={"cc_a.py": "new"}))
    other = WheelFile.of(make_wheel(tmp_path / "b", "cc-b", "1.0", files={"cc_a.py": "b"}))

    assert overlaps([upgrade], {"cc-a": own}, scheme) == []
    found = overlaps([upgrade, other], {"cc-a": own}, scheme)
    assert [(o.wheel, o.owner, o.path) for o in found] == [("cc-b", "cc-a", "cc_a.py")]


def test_shared_files_are_those_another_record_lists(tmp_path: Path) -> None:
    site = tmp_path / "site"
    host = installed_dist(site, "host", {"host_pkg/names.py": "x"})
    sharer = installed_dist(site, "cc-sharer", {"cc_sharer.py": "", "host_pkg/names.py": "x"})
    installed = {"host": host, "cc-sharer": sharer}

    assert shared_files(["cc-sharer"], installed) == [site / "host_pkg" / "names.py"]
    assert shared_files(["nothing-installed"], installed) == []
