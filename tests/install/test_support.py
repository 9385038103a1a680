"""The install test infrastructure itself: real wheels, a real index, real virtualenvs.

These prove what the plugin install tests rely on: pip installs the test wheels from the
test index and from nowhere else; a project taken offline is an error for pip; the machine's
pip configuration is not seen; every test's virtualenv is its own.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.version import Version
from support.harness import CliEnv
from support.index import FILE_CACHE_CONTROL, PackageIndex
from support.install_env import MINIMUM_PIP, InstallEnv, ensure_pip, shared_fingerprint
from support.install_wheels import InstallWheels, git_repository, project_copy, sources_hash

# No proxy from the environment: the index is on the loopback interface.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with _OPENER.open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _render(env: InstallEnv) -> dict[str, object]:
    result = env.run("template", "create", "inst-good-note", "n1", "-f", "json", check=True)
    data: dict[str, object] = json.loads(result.stdout)
    return data


# ---------------------------------------------------------------------------- wheels


def test_every_version_is_built_from_one_source(install_wheels: InstallWheels) -> None:
    assert install_wheels.versions("cc-inst-good") == ["1.0.0", "1.1.0", "1.2.0", "2.0.0"]
    assert install_wheels.versions("cc-inst-lib") == ["1.0.0", "2.0.0"]
    assert install_wheels.versions("pluggy") == ["0.13.1"]
    assert install_wheels.sdist("cc-inst-sdist", "1.1.0").name == "cc_inst_sdist-1.1.0.tar.gz"
    for path in install_wheels.files():
        assert path.is_file()
    # Cached by a hash of the sources: the folder is named by it.
    assert install_wheels.path.parent.name in (sources_hash(), "install-wheels")


# ---------------------------------------------------------------------------- index


def test_index_serves_pep503_pages_and_files(
    package_index: PackageIndex, install_wheels: InstallWheels
) -> None:
    status, _, body = _get(package_index.simple_url)
    assert status == 200
    assert '<a href="cc-inst-good/">cc-inst-good</a>' in body.decode()

    status, headers, body = _get(package_index.simple_url + "cc-inst-good/")
    page = body.decode()
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    wheel = install_wheels.wheel("cc-inst-good", "1.2.0")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert f'href="../../files/{wheel.name}#sha256={digest}"' in page
    assert 'data-requires-python="&gt;=3.10"' in page
    assert page.count("<a ") == 4

    status, headers, body = _get(package_index.file_url(wheel.name))
    assert status == 200
    assert body == wheel.read_bytes()
    assert headers["Cache-Control"] == FILE_CACHE_CONTROL

    # Names are normalized (a redirect, as PyPI does); unknown ones are 404.
    status, _, body = _get(package_index.simple_url + "CC_Inst.Good/")
    assert status == 200 and "cc_inst_good-1.0.0" in body.decode()
    assert _get(package_index.simple_url + "no-such-project/")[0] == 404


def test_offline_project_answers_404(fresh_index: PackageIndex) -> None:
    page = fresh_index.simple_url + "cc-inst-good/"
    with fresh_index.offline("cc-inst-good"):
        assert _get(page)[0] == 404
        assert _get(fresh_index.file_url("cc_inst_good-1.0.0-py3-none-any.whl"))[0] == 404
        assert _get(fresh_index.simple_url + "cc-inst-lib/")[0] == 200
    assert _get(page)[0] == 200
    with fresh_index.offline():
        assert _get(fresh_index.simple_url + "cc-inst-lib/")[0] == 404
    assert [r.status for r in fresh_index.requested("cc-inst-good")] == [404, 404, 200]


# ---------------------------------------------------------------------------- pip + venv


def test_pip_installs_from_the_test_index(
    make_install_env: Callable[..., InstallEnv], fresh_index: PackageIndex
) -> None:
    install_env = make_install_env(index=fresh_index)
    before = install_env.installed()
    assert "cc-inst-good" not in before
    assert {"cloudcraver", "cloudcraver-hookspecs", "pluggy", "pip"} <= set(before)

    install_env.pip("install", "cc-inst-good==1.1.0")
    assert install_env.installed()["cc-inst-good"] == "1.1.0"
    assert _render(install_env)["version"] == "1.1.0"
    listed = install_env.run("plugin", "list", check=True).stdout
    assert "inst-good" in listed and "1.1.0" in listed

    install_env.pip("install", "--upgrade", "cc-inst-good")
    assert _render(install_env)["version"] == "2.0.0"
    # pip found the host's own dependencies installed: it asked the index for nothing else.
    assert fresh_index.pages_requested() == {"cc-inst-good"}


def test_pip_sees_the_host_dependencies_installed(install_env: InstallEnv) -> None:
    """A plugin needing the contract and a library: pip fetches only the library."""
    result = install_env.pip("install", "cc-inst-withdep")
    assert "Requirement already satisfied: cloudcraver-hookspecs" in result.stdout
    installed = install_env.installed()
    assert installed["cc-inst-withdep"] == "1.0.0"
    assert installed["cc-inst-lib"] == "2.0.0"


def test_sdist_only_project_is_built_by_pip_without_an_index_for_build_tools(
    install_env: InstallEnv,
) -> None:
    install_env.pip("install", "cc-inst-sdist")
    assert install_env.installed()["cc-inst-sdist"] == "1.1.0"
    assert "inst-sdist" in install_env.run("plugin", "list", check=True).stdout


def test_folder_editable_and_vcs_installs_need_no_index(
    make_install_env: Callable[..., InstallEnv], tmp_path: Path
) -> None:
    """cc-inst-sdist's in-tree backend lets pip build a folder, an editable install and a git
    URL in its isolated build environment with no index at all."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = make_install_env(index=None)
    folder = project_copy("cc-inst-sdist", tmp_path / "checkout", "3.0.0")
    env.pip("install", "-e", folder)
    assert env.installed()["cc-inst-sdist"] == "3.0.0"
    direct_url = env.run_python(
        "-c",
        "import importlib.metadata as m; print(m.distribution('cc-inst-sdist')"
        ".read_text('direct_url.json'))",
    ).stdout
    assert json.loads(direct_url)["dir_info"] == {"editable": True}
    env.run("plugin", "list", check=True)

    url = git_repository("cc-inst-sdist", tmp_path / "repo", ("4.0.0", "4.1.0"))
    # The plain URL: pip 23's packaging refuses "name @ git+file:///..." (no host).
    env.pip("install", f"{url}@v4.0.0")
    assert env.installed()["cc-inst-sdist"] == "4.0.0"
    env.pip("install", folder.parent / "repo")
    assert env.installed()["cc-inst-sdist"] == "4.1.0"


def test_offline_project_is_an_error_for_pip(
    make_install_env: Callable[..., InstallEnv], fresh_index: PackageIndex
) -> None:
    env = make_install_env(index=fresh_index)
    with fresh_index.offline("cc-inst-good"):
        result = env.pip("install", "cc-inst-good", check=None)
    assert result.returncode != 0
    assert "No matching distribution found for cc-inst-good" in result.stderr
    assert "cc-inst-good" not in env.installed()
    # With the index down altogether, pip fails at once (no retries).
    fresh_index.stop()
    started = time.monotonic()
    result = env.pip("install", "cc-inst-lib", check=None)
    assert result.returncode != 0
    assert time.monotonic() - started < 30


def test_no_index_env_reaches_no_index(make_install_env: Callable[..., InstallEnv]) -> None:
    env = make_install_env(index=None)
    result = env.pip("install", "cc-inst-good", check=None)
    assert result.returncode != 0
    assert "No matching distribution found for cc-inst-good" in result.stderr


def test_machine_pip_configuration_is_not_seen(
    install_env: InstallEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Whatever the outer environment says, the child does not get it...
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("cc-inst-good==1.0.0\n", encoding="utf-8")
    monkeypatch.setenv("PIP_CONSTRAINT", str(constraints))
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    environ = install_env.environ()
    assert environ["PIP_CONSTRAINT"] == "" and environ["PIP_FIND_LINKS"] == ""
    assert environ["PIP_INDEX_URL"] == install_env.index_url
    # ...and neither does a user configuration file (even one in the test's own home).
    user_conf = install_env.home / ".config" / "pip" / "pip.conf"
    user_conf.parent.mkdir(parents=True)
    user_conf.write_text(f"[global]\nconstraint = {constraints}\n", encoding="utf-8")

    debug = install_env.pip_config_debug()
    # pip lists the files it knows of, but loads none: PIP_CONFIG_FILE is os.devnull.
    values = [line for line in debug.splitlines() if line.startswith("    ")]
    assert values == [], debug
    assert "/etc/xdg/pip" not in debug
    assert "find-links" not in debug and "constraint = " not in debug
    # Every value pip has comes from the variables the harness sets, none from a file.
    listed = install_env.pip("config", "list").stdout.splitlines()
    assert listed and all(line.startswith(":env:.") for line in listed), listed
    assert ":env:.constraint=''" in listed and ":env:.find-links=''" in listed

    install_env.pip("install", "cc-inst-good==1.2.0")
    assert install_env.installed()["cc-inst-good"] == "1.2.0"
    # No pip cache: a test sees what the index or the host's archive gives, nothing kept.
    cache = install_env.pip("cache", "dir", check=None)
    assert cache.returncode != 0 and "disabled" in cache.stderr


def test_a_pip_config_file_of_the_test_is_read(
    make_install_env: Callable[..., InstallEnv], fresh_index: PackageIndex, tmp_path: Path
) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {fresh_index.simple_url}\n", encoding="utf-8")
    env = make_install_env(index=None, pip_config=conf)
    assert "PIP_INDEX_URL" not in env.environ() and "PIP_NO_INDEX" not in env.environ()
    env.pip("install", "cc-inst-lib==1.0.0")
    assert env.installed()["cc-inst-lib"] == "1.0.0"
    assert fresh_index.requested("cc-inst-lib")


def test_two_install_envs_are_independent(
    make_install_env: Callable[..., InstallEnv], install_template: CliEnv
) -> None:
    first, second = make_install_env("first"), make_install_env("second")
    assert first.home != second.home
    first.pip("install", "cc-inst-good==1.0.0")
    second.pip("install", "cc-inst-good==2.0.0")
    assert _render(first)["version"] == "1.0.0"
    assert _render(second)["version"] == "2.0.0"

    # Nothing reached the template (see also test_writing_into_a_shared_file_is_detected).
    third = make_install_env("third")
    assert "cc-inst-good" not in third.installed()
    assert install_template.site_packages is not None
    assert not list(install_template.site_packages.glob("cc_inst_good*"))


def test_writing_into_a_shared_file_is_detected(install_template: CliEnv, tmp_path: Path) -> None:
    """What the session guard of ``install_template`` catches, on a template of our own."""
    own = tmp_path / "template"
    shutil.copytree(install_template.venv, own, symlinks=True)  # real copies, no links
    assert install_template.site_packages is not None

    def inside(path: Path) -> Path:
        return own / path.relative_to(install_template.venv)

    template = CliEnv(
        venv=own,
        python=inside(install_template.python),
        cloudcraver=inside(install_template.cloudcraver),
        wheelhouse=install_template.wheelhouse,
        site_packages=inside(install_template.site_packages),
    )
    before = shared_fingerprint(template)
    child = InstallEnv.clone(template, tmp_path / "child")
    child.pip("uninstall", "-y", "pip")  # pip replaces and removes: the template keeps its files
    assert shared_fingerprint(template) == before

    other = InstallEnv.clone(template, tmp_path / "other")
    with open(other.site_packages / "pip" / "__init__.py", "a", encoding="utf-8") as shared:
        shared.write("# written through a hard link\n")
    assert shared_fingerprint(template) != before


def test_plain_pip_would_break_the_host_with_old_pluggy(
    make_install_env: Callable[..., InstallEnv],
) -> None:
    """Why the host must protect its requirements: plain pip downgrades pluggy (it warns).

    The test venv's pluggy is shadowed in its own site-packages only; the shared folder of
    the host's dependencies (and so every other test's venv) keeps pluggy 1.x.
    """
    broken = make_install_env("broken")
    broken.pip("install", "cc-inst-oldpluggy")
    assert broken.installed()["pluggy"] == "0.13.1"
    result = broken.run("plugin", "list")
    assert result.returncode != 0
    assert "stub pluggy 0.13.1" in result.stderr + result.stdout

    other = make_install_env("other")
    assert other.installed()["pluggy"].split(".")[0] == "1"
    other.run("plugin", "list", check=True)


def test_a_clone_is_cheap(
    make_install_env: Callable[..., InstallEnv], record_property: Callable[[str, object], None]
) -> None:
    make_install_env("warm")  # the first clone also lists the template's private files
    started = time.perf_counter()
    env = make_install_env("timed")
    seconds = time.perf_counter() - started
    record_property("clone_seconds", round(seconds, 3))
    assert seconds < 1.5
    assert env.run("--version", check=True).stdout.strip()


def test_the_template_has_the_test_environments_pip(install_env: InstallEnv) -> None:
    version = install_env.pip("--version").stdout.split()[1]
    assert version == importlib.metadata.version("pip")
    assert Version(ensure_pip(install_env.cli)) >= Version(MINIMUM_PIP)


def test_popen_runs_the_host_in_a_session_of_its_own(install_env: InstallEnv) -> None:
    process = install_env.popen("--version")
    # Not reaped before communicate(), so even a finished child still has its group.
    assert os.getpgid(process.pid) == process.pid
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 0 and stdout.strip()
    assert install_env.sys_prefix() == str(install_env.venv)
    assert install_env.paths.data_dir == install_env.home / "data"
