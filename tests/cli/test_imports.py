"""What each command imports: no plugin code for listings, no heavy library it does not use.

Each command runs the real CLI of the session venv in a fresh interpreter that writes
``sorted(sys.modules)`` to a file when it exits, with the discovery cache warm (as every
run but the first after an install is). Standard output is a pipe, as in scripts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from .conftest import Cli

pytestmark = pytest.mark.venv

_DUMP = """
import atexit, json, sys

out = sys.argv[1]

def dump():
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(sorted(sys.modules), handle)

atexit.register(dump)
sys.argv = ["cloudcraver", *sys.argv[2:]]
from cloudcraver_host.cli import main

main()
"""

#: Libraries only some commands need: dependency resolution, pip, pydantic's validation.
HEAVY = ("resolvelib", "pip", "pydantic", "pydantic_core")

#: Modules of plugins: the test plugins and the first-party ones.
PLUGIN_PREFIXES = ("cc_test_", "cloudcraver_plugins")

LISTINGS: list[Sequence[str]] = [
    ["--help"],
    ["plugin", "--help"],
    ["plugin", "list"],
    ["plugin", "list", "--all", "--json"],
    ["plugin", "info", "manifest-demo"],
    ["plugin", "info", "plain-demo"],  # no manifest: shown from what is known, not imported
    ["plugin", "disable", "manifest-demo"],
    ["plugin", "enable", "manifest-demo"],
    ["template", "list"],
    ["template", "list", "--json"],
    ["template", "info", "aws-s3-bucket"],
    ["template", "info", "demo-bucket", "--json"],
    ["config", "show"],
    ["config", "show", "--origins"],
    ["config", "get", "plugins.manifest-demo.greeting"],
    ["config", "validate"],
]


def modules_of(cc: Cli, args: Sequence[str], tmp_path: Path) -> set[str]:
    out = tmp_path / f"modules-{'-'.join(args).strip('-')}.json"
    cc.cli_env.run_python("-c", _DUMP, str(out), *args, home=cc.home, env=cc.environ(), check=True)
    return set(json.loads(out.read_text(encoding="utf-8")))


def roots(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


@pytest.fixture
def warm(cc: Cli, tmp_path: Path) -> Cli:
    """The session venv's cloudcraver with its discovery cache populated by a first run.

    The first run goes through the same ``python -c`` runner: the cache is kept per
    ``sys.path``, whose first entry differs between a script and ``python -c``.
    """
    cc.config_file.write_text('[plugins.manifest-demo]\ngreeting = "hi"\n', encoding="utf-8")
    first = modules_of(cc, ["plugin", "list"], tmp_path)
    assert "cloudcraver_host.manifest" in first  # the cold run read the manifests
    assert list((cc.home / "cache").glob("discovery-*.json")), "no discovery cache written"
    cc.forget_imports()
    return cc


@pytest.mark.parametrize("args", LISTINGS, ids=" ".join)
def test_listings_import_no_plugin_and_no_heavy_library(
    warm: Cli, tmp_path: Path, args: Sequence[str]
) -> None:
    modules = modules_of(warm, args, tmp_path)

    plugins = sorted(m for m in modules if m.startswith(PLUGIN_PREFIXES))
    assert plugins == [], f"{' '.join(args)} imported plugin modules"
    assert warm.imported() == set()
    heavy = sorted(roots(modules) & set(HEAVY))
    assert heavy == [], f"{' '.join(args)} imported {heavy}"
    # Of the install machinery, only the cheap check for an interrupted change runs.
    install = sorted(m for m in modules if m.startswith("cloudcraver_host.install."))
    assert set(install) <= {"cloudcraver_host.install.interrupted"}, install
    # A warm cache answers: the manifest model (pydantic) and metadata scanning stay out.
    assert "cloudcraver_host.manifest" not in modules
    assert "importlib.metadata" not in modules


@pytest.mark.parametrize("args", [["--help"], ["plugin", "--help"], ["template", "--help"]])
def test_help_off_a_terminal_does_not_import_rich(
    warm: Cli, tmp_path: Path, args: Sequence[str]
) -> None:
    modules = modules_of(warm, args, tmp_path)
    assert "rich" not in roots(modules)


def test_listing_tables_off_a_terminal_do_not_import_rich(warm: Cli, tmp_path: Path) -> None:
    for args in (["plugin", "list"], ["template", "list"], ["config", "show", "--origins"]):
        assert "rich" not in roots(modules_of(warm, args, tmp_path)), args


def test_the_plugin_commands_in_help_come_from_manifests(warm: Cli, tmp_path: Path) -> None:
    result = warm("--help", check=True)
    assert "demo-hello" in result.stdout  # declared in manifest-demo's manifest
    assert warm.imported() == set()


def test_a_cold_cache_reads_manifests_but_imports_no_plugin(cc: Cli, tmp_path: Path) -> None:
    modules = modules_of(cc, ["plugin", "list"], tmp_path)
    assert sorted(m for m in modules if m.startswith(PLUGIN_PREFIXES)) == []
    assert cc.imported() == set()
    assert "cloudcraver_host.manifest" in modules  # manifests validated with pydantic, once


def test_rendering_imports_only_the_plugin_it_needs(warm: Cli, tmp_path: Path) -> None:
    # Plugins without a manifest are left out: their templates are unknown until they are
    # asked once (template create does ask them, see test_templates.py).
    with_manifests = warm.only("manifest-demo", "dep-base", "dep-child", "aws-s3", "policy")
    modules = modules_of(with_manifests, ["template", "create", "demo-bucket", "x"], tmp_path)
    plugins = {m.partition(".")[0] for m in modules if m.startswith(PLUGIN_PREFIXES)}
    assert plugins == {"cc_test_manifest"}
    assert warm.imported() == {"manifest-demo"}
    assert not roots(modules) & {"resolvelib", "pip"}
