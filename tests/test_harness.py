"""The session virtualenv really holds Cloud Craver and the test plugins, with no network."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.harness import INSTALLED_PLUGINS, CliEnv, Wheelhouse

pytestmark = pytest.mark.venv


def test_venv_imports_the_host_the_contract_and_the_plugins(
    cli_env: CliEnv, tmp_path: Path
) -> None:
    result = cli_env.run_python(
        "-c",
        "import cloudcraver_host, cloudcraver_hookspecs, cc_test_plain, sys; print(sys.prefix)",
        home=tmp_path,
        check=True,
    )
    assert Path(result.stdout.strip()).resolve() == cli_env.venv.resolve()


def test_venv_lists_every_plugin_entry_point(cli_env: CliEnv, tmp_path: Path) -> None:
    code = (
        "import importlib.metadata as m, json; "
        "print(json.dumps(sorted(ep.name for ep in m.entry_points(group='cloudcraver'))))"
    )
    result = cli_env.run_python("-c", code, home=tmp_path, check=True)
    names = json.loads(result.stdout)
    assert sorted(names) == sorted(INSTALLED_PLUGINS)
    assert "manifest-demo" in names and names.count("manifest-demo") == 1  # v2 not installed


def test_venv_sees_the_outer_dependencies_as_installed(cli_env: CliEnv, tmp_path: Path) -> None:
    # pip in the venv finds every requirement of cloudcraver satisfied: it never needs an index.
    result = cli_env.run_python(
        "-m", "pip", "check", "--disable-pip-version-check", home=tmp_path, check=True
    )
    assert "No broken requirements found" in result.stdout


def test_cloudcraver_executable_is_the_venvs(cli_env: CliEnv) -> None:
    assert cli_env.cloudcraver.is_file()
    assert cli_env.cloudcraver.parent == cli_env.python.parent
    first_line = cli_env.cloudcraver.read_text(encoding="utf-8").splitlines()[0]
    assert str(cli_env.venv) in first_line


def test_run_gives_a_clean_environment(cli_env: CliEnv, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CLOUDCRAVER_SAFE_MODE", "1")
    monkeypatch.setenv("PIP_INDEX_URL", "http://example.invalid/simple")
    code = "import json, os; print(json.dumps(dict(os.environ)))"
    result = cli_env.run_python(
        "-c", code, home=tmp_path, env={"CC_EXTRA": "x", "LANG": None}, check=True
    )
    environ = json.loads(result.stdout)
    assert environ["CLOUDCRAVER_HOME"] == str(tmp_path)
    assert environ["HOME"] == str(tmp_path)
    assert environ["PIP_CONFIG_FILE"] == os.devnull
    assert environ["NO_COLOR"] == "1" and environ["COLUMNS"] == "200"
    assert environ["CC_EXTRA"] == "x"
    assert "LANG" not in environ
    assert not [k for k in environ if k.startswith("PIP_") and k != "PIP_CONFIG_FILE"]
    assert not [k for k in environ if k.startswith("CLOUDCRAVER_") and k != "CLOUDCRAVER_HOME"]
    assert environ["PATH"].split(os.pathsep)[0] == str(cli_env.python.parent)


def test_run_check_reports_the_output(cli_env: CliEnv, tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match=r"expected exit code 0, got 3(.|\n)*boom"):
        cli_env.run_python(
            "-c", "import sys; print('boom'); sys.exit(3)", home=tmp_path, check=True
        )
    assert cli_env.run_python("-c", "raise SystemExit(3)", home=tmp_path, check=3).returncode == 3


def test_wheelhouse_keeps_the_v2_plugin_as_a_wheel(wheelhouse: Wheelhouse) -> None:
    v2 = wheelhouse.wheel("cc-test-manifest-v2")
    assert v2.is_file() and v2.parent == wheelhouse.path
    assert v2.name.endswith("-2.0.0-py3-none-any.whl")
