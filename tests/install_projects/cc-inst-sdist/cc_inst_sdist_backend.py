"""A minimal in-tree PEP 517/660 backend for ``cc-inst-sdist`` (standard library only).

pip builds an sdist, a folder, a VCS checkout or an editable install in an isolated
environment and would fetch the backend from the index; an in-tree backend with no build
requirements keeps the test index free of build tools. It knows this one project: metadata
below, version read from ``pyproject.toml``. The editable wheel holds a ``.pth`` file naming
the source folder.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent
_NAME = "cc-inst-sdist"
_PACKAGE = "cc_inst_sdist"
_SDIST_FILES = ("pyproject.toml", "cc_inst_sdist_backend.py")


def _version() -> str:
    text = (_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version = "([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise RuntimeError("no version in pyproject.toml")
    return match.group(1)


def _metadata() -> str:
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {_NAME}\n"
        f"Version: {_version()}\n"
        "Summary: Install test plugin inst-sdist: published as an sdist only.\n"
        "Requires-Python: >=3.10\n"
        "Requires-Dist: cloudcraver-hookspecs<2,>=1.0\n"
    )


_ENTRY_POINTS = (
    "[cloudcraver]\ninst-sdist = cc_inst_sdist\n\n"
    "[cloudcraver.manifest]\ninst-sdist = cc_inst_sdist:cloudcraver_plugin.toml\n"
)


def _package_files() -> list[Path]:
    return sorted(
        p for p in (_ROOT / _PACKAGE).rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )


def get_requires_for_build_wheel(config_settings: Any = None) -> list[str]:
    """No build requirements."""
    return []


def get_requires_for_build_sdist(config_settings: Any = None) -> list[str]:
    """No build requirements."""
    return []


def build_sdist(sdist_directory: str, config_settings: Any = None) -> str:
    """Write ``cc_inst_sdist-<version>.tar.gz`` (sources, backend and PKG-INFO)."""
    base = f"cc_inst_sdist-{_version()}"
    target = Path(sdist_directory, base + ".tar.gz")
    with tarfile.open(target, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name in _SDIST_FILES:
            tar.add(_ROOT / name, f"{base}/{name}")
        for path in _package_files():
            tar.add(path, f"{base}/{path.relative_to(_ROOT).as_posix()}")
        data = _metadata().encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return target.name


def get_requires_for_build_editable(config_settings: Any = None) -> list[str]:
    """No build requirements."""
    return []


def build_wheel(
    wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None
) -> str:
    """Write ``cc_inst_sdist-<version>-py3-none-any.whl``."""
    files = {path.relative_to(_ROOT).as_posix(): path.read_bytes() for path in _package_files()}
    return _write_wheel(wheel_directory, files)


def build_editable(
    wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None
) -> str:
    """Write an editable wheel: a ``.pth`` file naming this source folder."""
    return _write_wheel(wheel_directory, {"_cc_inst_sdist_editable.pth": f"{_ROOT}\n".encode()})


def _write_wheel(wheel_directory: str, files: dict[str, bytes]) -> str:
    dist_info = f"cc_inst_sdist-{_version()}.dist-info"
    files[f"{dist_info}/METADATA"] = _metadata().encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: cc_inst_sdist_backend\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    files[f"{dist_info}/entry_points.txt"] = _ENTRY_POINTS.encode()
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    filename = f"cc_inst_sdist-{_version()}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    return filename
