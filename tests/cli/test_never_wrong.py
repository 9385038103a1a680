"""The discovery cache is never wrong: the real executable, while pip changes its venv.

Each step runs ``cloudcraver plugin list --json`` (which populates or uses the discovery
cache) right after pip installed, uninstalled, upgraded or reinstalled a plugin, and the
listing must show the change at once. The venv is made for this module (the session venv
is shared and must not change); the plugin-path tests use the session venv, which they do
not change.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.harness import PLUGIN_PROJECTS, CliEnv, Wheelhouse, build_cli_env, build_wheel

from .conftest import Cli
from .helpers import by_name

pytestmark = pytest.mark.venv


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Wheelhouse) -> Iterator[CliEnv]:
    """A venv of this module's own: Cloud Craver and dep-base only."""
    root = tmp_path_factory.mktemp("fresh-venv")
    yield build_cli_env(root, wheelhouse, projects=("cc-test-base",))
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def run(fresh: CliEnv, tmp_path: Path) -> Cli:
    markers = tmp_path / "markers"
    markers.mkdir()
    return Cli(fresh, tmp_path / "home", markers, tmp_path / "events.jsonl")


def listed(cc: Cli, **env: str) -> dict[str, dict[str, Any]]:
    result = cc("plugin", "list", "--all", "--json", env=env or None, check=True)
    return by_name(json.loads(result.stdout))


def cache_files(cc: Cli) -> list[Path]:
    return sorted((cc.home / "cache").glob("discovery-*.json"))


def rebuilt(project: str, tmp_path: Path, replacements: dict[str, str]) -> Path:
    """A wheel of ``tests/plugin_projects/<project>`` with text replaced in its files."""
    copy = tmp_path / "rebuilt" / project
    shutil.copytree(PLUGIN_PROJECTS / project, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for path in copy.rglob("*"):
        if path.is_file() and path.suffix in (".toml", ".py"):
            text = path.read_text(encoding="utf-8")
            for old, new in replacements.items():
                text = text.replace(old, new)
            path.write_text(text, encoding="utf-8")
    return build_wheel(copy, tmp_path / "rebuilt-wheels")


def test_installs_uninstalls_and_upgrades_show_at_once(
    run: Cli, fresh: CliEnv, wheelhouse: Wheelhouse, tmp_path: Path
) -> None:
    first = listed(run)
    assert set(first) == {"aws-s3", "policy", "dep-base"}
    assert len(cache_files(run)) == 1
    assert listed(run) == first  # from the cache now

    fresh.pip(
        "install", "--no-index", "--no-deps", wheelhouse.wheel("cc-test-plain"), home=run.home
    )
    after_install = listed(run)
    assert after_install["plain-demo"]["version"] == "1.0.0"

    upgrade = rebuilt("cc-test-plain", tmp_path, {'version = "1.0.0"': 'version = "1.1.0"'})
    fresh.pip("install", "--no-index", "--no-deps", "--upgrade", upgrade, home=run.home)
    assert listed(run)["plain-demo"]["version"] == "1.1.0"

    fresh.pip("uninstall", "-y", "cc-test-plain", home=run.home)
    assert "plain-demo" not in listed(run)

    # Another version of a plugin with a manifest: 1.0.0, then 2.0.0 (another distribution
    # of the same plugin, as when a project is renamed)
    fresh.pip(
        "install", "--no-index", "--no-deps", wheelhouse.wheel("cc-test-manifest"), home=run.home
    )
    assert listed(run)["manifest-demo"]["version"] == "1.0.0"
    fresh.pip("uninstall", "-y", "cc-test-manifest", home=run.home)
    fresh.pip(
        "install", "--no-index", "--no-deps", wheelhouse.wheel("cc-test-manifest-v2"), home=run.home
    )
    assert listed(run)["manifest-demo"]["version"] == "2.0.0"
    fresh.pip("uninstall", "-y", "cc-test-manifest-v2", home=run.home)
    assert set(listed(run)) == {"aws-s3", "policy", "dep-base"}
    assert run.imported() == set()  # all along, nothing was imported to list


def test_a_reinstall_of_the_same_version_with_another_manifest_shows(
    run: Cli, fresh: CliEnv, tmp_path: Path
) -> None:
    before = listed(run)["dep-base"]
    changed = rebuilt("cc-test-base", tmp_path, {'"Test plugin required': '"Rebuilt plugin'})
    fresh.pip("install", "--no-index", "--no-deps", "--force-reinstall", changed, home=run.home)
    after = listed(run)["dep-base"]
    assert after["version"] == before["version"]
    assert after["description"] != before["description"]
    assert after["description"].startswith("Rebuilt plugin")


# ---------------------------------------------------------------------------- plugin paths


def test_plugin_path_entries_show_at_once(
    cc: Cli, clone_plugin: Callable[[str, str, str], Path], wheelhouse: Wheelhouse, tmp_path: Path
) -> None:
    folder = tmp_path / "plugin-path"
    folder.mkdir()
    path_env = {"CLOUDCRAVER_PLUGIN_PATH": str(folder)}
    base = listed(cc, **path_env)
    assert "path-demo" not in base

    checkout = clone_plugin("cc-test-manifest", "manifest-demo", "path-demo")
    added = listed(cc, **path_env)
    assert added["path-demo"]["kind"] == "checkout"
    assert added["path-demo"]["location"] == str(checkout)

    manifest = next(checkout.rglob("cloudcraver_plugin.toml"))
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("Test plugin:", "Edited in place:"), encoding="utf-8")
    assert listed(cc, **path_env)["path-demo"]["description"].startswith("Edited in place:")

    shutil.rmtree(checkout)
    assert "path-demo" not in listed(cc, **path_env)

    # A wheel dropped into the folder: manifest-demo 2.0.0 wins over the installed 1.0.0.
    shutil.copy(wheelhouse.wheel("cc-test-manifest-v2"), folder)
    result = cc("plugin", "list", "--json", env=path_env, check=True)
    assert by_name(json.loads(result.stdout))["manifest-demo"]["version"] == "2.0.0"
    assert "two plugins named 'manifest-demo'" in result.stderr
    assert listed(cc)["manifest-demo"]["version"] == "1.0.0"  # without the plugin path
    assert cc.imported() == set()
