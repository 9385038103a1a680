"""Helpers for the install package tests: tiny real wheels, real venvs, clean pip.

Their fixtures (``venv``, ``wheel_dir``, ``runner``) are in this folder's ``conftest.py``.

Wheels are written by hand (a zip with a correct ``WHEEL``, ``METADATA`` and ``RECORD``): no
build backend, so making one takes milliseconds. A virtualenv is made ``--without-pip`` with a
``.pth`` file naming the outer environment's ``site-packages``: it gets pip, pluggy and
Cloud Craver from there (read-only for pip, which never uninstalls outside the environment)
and installs into its own ``site-packages``. pip runs with :func:`pip_environ`, so this
machine's pip configuration does not apply.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_wheel(
    dest: Path,
    name: str,
    version: str,
    *,
    requires: tuple[str, ...] = (),
    files: Mapping[str, str] | None = None,
    console_scripts: Mapping[str, str] | None = None,
    entry_points: str = "",
    scripts: Mapping[str, str] | None = None,
) -> Path:
    """Write ``<name>-<version>-py3-none-any.whl`` into ``dest`` and return its path.

    ``files`` maps paths in the wheel root to text (default: a module ``<name>.py``
    defining ``VERSION``); ``scripts`` become ``.data/scripts/`` files.
    """
    dest.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[-_.]+", "_", name)
    info = f"{stem}-{version}.dist-info"
    if files is None:
        files = {f"{stem.lower()}.py": f"VERSION = {version!r}\n"}
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {r}" for r in requires]
    content: dict[str, bytes] = {k: v.encode() for k, v in files.items()}
    for script, text in (scripts or {}).items():
        content[f"{stem}-{version}.data/scripts/{script}"] = text.encode()
    eps = entry_points
    if console_scripts:
        eps += "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in console_scripts.items())
    if eps:
        content[f"{info}/entry_points.txt"] = eps.encode()
    content[f"{info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    content[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [f"{path},{_record_hash(data)},{len(data)}" for path, data in content.items()]
    record.append(f"{info}/RECORD,,")
    content[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = dest / f"{stem}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in content.items():
            info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            executable = ".data/scripts/" in arcname
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            zf.writestr(info, data, zipfile.ZIP_DEFLATED)
    return path


def pip_environ(tmp: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any pip configuration of the machine or user."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "CLOUDCRAVER_"))}
    empty = tmp / "no-config"
    empty.mkdir(exist_ok=True)
    env.update(
        {
            # pip reads global files (/etc/xdg/pip) from XDG_CONFIG_DIRS whatever names
            # PIP_CONFIG_FILE; the variables below also override anything that slips through.
            "XDG_CONFIG_DIRS": str(empty),
            "XDG_CONFIG_HOME": str(empty),
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_CONSTRAINT": "",
            "PIP_FIND_LINKS": "",
            "PIP_INDEX_URL": "http://127.0.0.1:9/simple",  # nothing listens: no traffic leaves
            "PIP_NO_CACHE_DIR": "1",
        }
    )
    env.update(extra or {})
    return env


@dataclass
class Venv:
    """A virtualenv made for one test."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    @property
    def bin(self) -> Path:
        return self.python.parent

    @property
    def site_packages(self) -> Path:
        out = subprocess.run(
            [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return Path(out)


def make_venv(root: Path) -> Venv:
    """A venv without pip of its own, seeing the outer environment's packages after its own."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", root], check=True)
    venv = Venv(root)
    outer = sysconfig.get_paths()["purelib"]
    # The outer site-packages goes after the venv's own: pip, pluggy and the host come from
    # there, and whatever pip installs into the venv shadows nothing outside. addsitedir (an
    # `import` line) also runs the outer .pth files: the editable Cloud Craver checkout.
    (venv.site_packages / "zz_outer.pth").write_text(
        f"import site; site.addsitedir({outer!r})\n", encoding="utf-8"
    )
    return venv
