"""Hostile wheels and sdists meet ``cloudcraver plugin install`` (issue 9, items 2-4).

Each test builds its attack itself: a wheel shipping a file of the host, a wheel altered
after it was built, an archived wheel altered in the archive, an sdist whose build code drops
a ``.pth`` file into ``site-packages``, a ``json.py`` in the working directory. Real pip, the
real ``cloudcraver`` executable, a virtualenv per test.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from support.install_env import InstallEnv
from support.install_wheels import project_copy

from .helpers import make_wheel

pytestmark = pytest.mark.venv

HOST_FILE = "cloudcraver_host/names.py"


def shown(result: Any) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def safe_mode_works(env: InstallEnv) -> None:
    listed = env.run("--safe-mode", "plugin", "list")
    assert listed.returncode == 0, shown(listed)


def rewrite_member(wheel: Path, member: str, data: bytes, dest: Path | None = None) -> Path:
    """Replace one file inside a wheel after it was built (``RECORD`` left as it was)."""
    dest = dest or wheel
    with zipfile.ZipFile(wheel) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    tmp = dest.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
        for info, content in items:
            target.writestr(info, data if info.filename == member else content)
    tmp.replace(dest)
    return dest


# ---------------------------------------------------------------------------- item 2


def test_a_wheel_shipping_a_host_file_is_refused_before_pip_runs(
    install_env: InstallEnv, tmp_path: Path
) -> None:
    host_file = install_env.site_packages / HOST_FILE
    original = host_file.read_bytes()
    wheel = make_wheel(
        tmp_path / "wheels",
        "cc-clobber",
        "1.0",
        files={"cc_clobber.py": "X = 1\n", HOST_FILE: "raise SystemExit('trojan')\n"},
    )
    before = install_env.installed()

    result = install_env.run("plugin", "install", str(wheel), "--yes")

    assert result.returncode == 5, shown(result)
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: refused: cc-clobber would overwrite"), shown(result)
    assert HOST_FILE in first and "of cloudcraver;" in first and "nothing was changed" in first
    assert "Traceback" not in result.stderr
    assert host_file.read_bytes() == original
    assert install_env.installed() == before
    assert not (install_env.site_packages / "cc_clobber.py").exists()
    safe_mode_works(install_env)


def test_removing_a_distribution_keeps_the_files_another_one_owns(
    install_env: InstallEnv, tmp_path: Path
) -> None:
    # Installed by plain pip (which overwrites without asking): a copy of the host's file.
    host_file = install_env.site_packages / HOST_FILE
    original = host_file.read_bytes()
    wheel = make_wheel(
        tmp_path / "wheels",
        "cc-sharer",
        "1.0",
        files={"cc_sharer.py": "X = 1\n", HOST_FILE: original.decode()},
    )
    install_env.pip("install", "--no-deps", str(wheel))

    result = install_env.run("plugin", "uninstall", "cc-sharer", "--yes")

    assert result.returncode == 0, shown(result)
    assert "cc-sharer" not in install_env.installed()
    assert host_file.read_bytes() == original
    safe_mode_works(install_env)


def test_a_rollback_keeps_a_host_file_the_removed_distribution_shared(
    install_env: InstallEnv, tmp_path: Path
) -> None:
    host_file = install_env.site_packages / HOST_FILE
    original = host_file.read_bytes()
    first = make_wheel(tmp_path / "one", "cc-sharer", "1.0")
    done = install_env.run("plugin", "install", str(first), "--yes", "--no-verify")
    assert done.returncode == 0, shown(done)
    # Then replaced by plain pip with a version that ships a copy of the host's file.
    second = make_wheel(
        tmp_path / "two",
        "cc-sharer",
        "2.0",
        files={"cc_sharer.py": "X = 2\n", HOST_FILE: original.decode()},
    )
    install_env.pip("install", "--no-deps", str(second))

    result = install_env.run("plugin", "rollback", "--yes")

    assert result.returncode == 0, shown(result)
    assert "cc-sharer" not in install_env.installed()
    assert host_file.read_bytes() == original
    safe_mode_works(install_env)


# ---------------------------------------------------------------------------- item 3


def test_a_wheel_altered_after_it_was_built_is_refused(
    install_env: InstallEnv, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path / "wheels", "cc-tampered", "1.0")
    rewrite_member(wheel, "cc_tampered.py", b"VERSION = 'evil'\n")
    before = install_env.installed()

    result = install_env.run("plugin", "install", str(wheel), "--yes")

    assert result.returncode == 5, shown(result)
    first = result.stderr.splitlines()[0]
    assert "cc-tampered 1.0 does not match its RECORD" in first, shown(result)
    assert "cc_tampered.py" in first and "nothing was changed" in first
    assert install_env.installed() == before
    assert not (install_env.site_packages / "cc_tampered.py").exists()


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_a_wheel_with_a_file_record_does_not_list_is_refused(
    install_env: InstallEnv, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path / "wheels", "cc-extra", "1.0")
    with zipfile.ZipFile(wheel, "a") as zf:
        zf.writestr("cc_extra_hidden.pth", "import os\n")

    result = install_env.run("plugin", "install", str(wheel), "--yes")

    assert result.returncode == 5, shown(result)
    assert "cc_extra_hidden.pth: in the wheel, not listed in RECORD" in result.stderr
    assert not (install_env.site_packages / "cc_extra_hidden.pth").exists()


def test_an_archived_wheel_altered_in_the_archive_is_not_restored(
    install_env: InstallEnv,
) -> None:
    for args in (["install", "cc-inst-good==1.0.0"], ["update", "cc-inst-good"]):
        done = install_env.run("plugin", *args, "--yes")
        assert done.returncode == 0, shown(done)
    archive = install_env.paths.data_dir / "archive"
    index = json.loads((archive / "index.json").read_text())
    entry = next(e for e in index["wheels"] if e["version"] == "1.0.0")
    old = archive / f"{entry['sha256']}.whl"
    with zipfile.ZipFile(old) as zf:
        module = next(n for n in zf.namelist() if n.endswith("cc_inst_good/__init__.py"))
        code = zf.read(module)
    # The attacker rewrites the file, the archive's index and the journal, not RECORD.
    tampered = rewrite_member(old, module, code + b"\nEVIL = True\n", archive / "new.whl")
    new_sha = hashlib.sha256(tampered.read_bytes()).hexdigest()
    tampered.rename(archive / f"{new_sha}.whl")
    for path in [archive / "index.json", *install_env.paths.data_dir.rglob("0*.json")]:
        path.write_text(path.read_text().replace(entry["sha256"], new_sha))

    result = install_env.run("plugin", "rollback", "--yes")

    assert result.returncode == 5, shown(result)
    first = result.stderr.splitlines()[0]
    assert "archived wheel of cc-inst-good 1.0.0" in first, shown(result)
    assert "does not match its RECORD" in first and "nothing was changed" in first
    assert install_env.installed()["cc-inst-good"] != "1.0.0"
    listed = install_env.run("plugin", "list")
    assert "was interrupted" not in listed.stderr, shown(listed)


# ---------------------------------------------------------------------------- item 4


def test_a_json_py_in_the_working_directory_is_not_run_by_pip(
    install_env: InstallEnv, tmp_path: Path
) -> None:
    work = tmp_path / "checkout"
    work.mkdir()
    marker = tmp_path / "json-ran"
    (work / "json.py").write_text(f"open({str(marker)!r}, 'a').write('ran\\n')\n")

    result = install_env.run("plugin", "install", "cc-inst-good==1.0.0", "--yes", cwd=work)

    assert result.returncode == 0, shown(result)
    assert not marker.exists(), "a prestarted process imported json.py of the working directory"


def hostile_sdist(tmp_path: Path, env: InstallEnv, *, needs_old_pluggy: bool) -> Path:
    """An sdist of ``cc-inst-sdist`` 6.6.6 whose build code drops a ``.pth`` and a marker."""
    folder = project_copy("cc-inst-sdist", tmp_path / "hostile", version="6.6.6")
    backend = folder / "cc_inst_sdist_backend.py"
    pth = env.site_packages / "zz_hostile.pth"
    attack = (
        "import os as _os\n"
        f"open({str(tmp_path / 'build-ran')!r}, 'a').write('ran\\n')\n"
        f"open({str(pth)!r}, 'w').write('import os\\n')\n"
    )
    text = backend.read_text()
    if needs_old_pluggy:
        text = text.replace(
            '"Requires-Dist: cloudcraver-hookspecs<2,>=1.0\\n"',
            '"Requires-Dist: cloudcraver-hookspecs<2,>=1.0\\nRequires-Dist: pluggy<1\\n"',
        )
    backend.write_text(text.replace("from __future__ import annotations\n", "", 1))
    backend.write_text("from __future__ import annotations\n" + attack + backend.read_text())
    out = tmp_path / "dist"
    out.mkdir()
    code = f"import cc_inst_sdist_backend as b; print(b.build_sdist({str(out)!r}))"
    built = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, check=True
    )
    # Building it here ran the attack once: start from a clean environment.
    pth.unlink()
    (tmp_path / "build-ran").unlink()
    return out / built.stdout.strip()


def test_a_dry_run_of_an_sdist_says_it_builds_it_and_leaves_nothing(
    install_env: InstallEnv, tmp_path: Path
) -> None:
    sdist = hostile_sdist(tmp_path, install_env, needs_old_pluggy=False)
    listing = sorted(p.name for p in install_env.site_packages.iterdir())

    result = install_env.run("plugin", "install", str(sdist), "--dry-run")

    assert result.returncode == 0, shown(result)
    assert "install cc-inst-sdist 6.6.6" in result.stdout
    assert re.search(r"pip built cc-inst-sdist 6\.6\.6 \(sdist\) from source", result.stdout), (
        shown(result)
    )
    assert "its build code ran" in result.stdout and "nothing was changed" not in result.stdout
    assert (tmp_path / "build-ran").exists()  # the proof that the build code did run
    assert sorted(p.name for p in install_env.site_packages.iterdir()) == listing


def test_a_refused_sdist_leaves_no_pth_file_behind(install_env: InstallEnv, tmp_path: Path) -> None:
    sdist = hostile_sdist(tmp_path, install_env, needs_old_pluggy=True)
    listing = sorted(p.name for p in install_env.site_packages.iterdir())

    result = install_env.run("plugin", "install", str(sdist), "--yes")

    assert result.returncode == 5, shown(result)
    assert result.stderr.startswith("error: refused"), shown(result)
    assert (tmp_path / "build-ran").exists()
    assert not (install_env.site_packages / "zz_hostile.pth").exists()
    assert sorted(p.name for p in install_env.site_packages.iterdir()) == listing


def test_an_sdist_is_installed_as_the_wheel_that_was_checked(
    install_env: InstallEnv, tmp_path: Path
) -> None:
    sdist = hostile_sdist(tmp_path, install_env, needs_old_pluggy=False)

    result = install_env.run("plugin", "install", str(sdist), "--yes")

    assert result.returncode == 0, shown(result)
    assert install_env.installed()["cc-inst-sdist"] == "6.6.6"
    # Its build code ran while planning and building, never afterwards in site-packages.
    assert not (install_env.site_packages / "zz_hostile.pth").exists()
