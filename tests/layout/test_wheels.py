"""The wheels carry ``py.typed`` and the version written in the source, once.

``cloudcraver`` claims ``Typing :: Typed``: without a ``py.typed`` in each package, type
checkers ignore the annotations of an application embedding the host (PEP 561). The
versions are written once, in ``cloudcraver_host.__version__`` and
``cloudcraver_hookspecs.CONTRACT_VERSION``; the build reads them from there.
"""

from __future__ import annotations

import sys
import zipfile
from email.parser import HeaderParser

from cloudcraver_hookspecs import CONTRACT_VERSION
from support.harness import Wheelhouse

import cloudcraver_host

from .sources import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def test_versions_are_written_once_and_the_packages_are_typed() -> None:
    for folder in (ROOT, ROOT / "hookspecs"):
        project = tomllib.loads((folder / "pyproject.toml").read_text("utf-8"))["project"]
        assert "version" not in project and "version" in project["dynamic"], folder
    assert (ROOT / "cloudcraver_host" / "py.typed").is_file()
    assert (ROOT / "hookspecs" / "cloudcraver_hookspecs" / "py.typed").is_file()


def test_wheels_carry_py_typed_and_the_source_version(wheelhouse: Wheelhouse) -> None:
    expected = {
        "cloudcraver": (cloudcraver_host.__version__, ("cloudcraver_host/py.typed",)),
        "hookspecs": (CONTRACT_VERSION, ("cloudcraver_hookspecs/py.typed",)),
    }
    for project, (version, typed) in expected.items():
        with zipfile.ZipFile(wheelhouse.wheel(project)) as wheel:
            names = set(wheel.namelist())
            metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
            headers = HeaderParser().parsestr(wheel.read(metadata).decode("utf-8"))
        assert headers["Version"] == version, project
        assert set(typed) <= names, project
