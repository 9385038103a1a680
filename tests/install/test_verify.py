"""The verification worker, on real plugin wheels installed with pip into a venv of the test.

The venv is made without pip (``python -m venv --without-pip``, fast); a ``.pth`` file makes
this environment's packages (Cloud Craver, pluggy, pydantic, hatchling) importable in it,
and the plugins are installed into it by this environment's pip (``--python``), offline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cloudcraver_host.install.verify import (
    Migration,
    PluginVerdict,
    VerifyRequest,
    VerifyResult,
    VerifyWorker,
    verify_plugins,
)
from cloudcraver_host.tomlfile import read_toml

pytestmark = pytest.mark.skipif(os.name != "posix", reason="venv layout of POSIX")

GOOD_CODE = """
from cloudcraver_hookspecs import TemplateDescriptor, hookimpl

@hookimpl
def contribute_templates():
    return [TemplateDescriptor("good-t", "aws", "cloudformation")]

@hookimpl
def render_template(request):
    return None

@hookimpl
def migrate_config(from_version, to_version, config):
    if "old" not in config:
        return None
    config["new"] = config.pop("old")
    config["migrated_from"] = from_version
    return config
"""

GOOD_MANIFEST = """
name = "v-good"
contract = ">=1.1,<2"
hooks = ["contribute_templates", "render_template", "migrate_config"]

[[templates]]
name = "good-t"
provider = "aws"
output_format = "cloudformation"
"""

SECOND_CODE = """
from cloudcraver_hookspecs import hookimpl

@hookimpl
def migrate_config(from_version, to_version, config):
    return {**config, "second": to_version}
"""

PROJECTS: dict[str, tuple[str, str | None]] = {
    # distribution: (plugin module code, manifest or None); plugin name = distribution[3:]
    "cc-v-good": (GOOD_CODE, GOOD_MANIFEST),
    "cc-v-second": (SECOND_CODE, None),
    "cc-v-import": ("raise ImportError('cc-v-import cannot import a thing')\n", None),
    "cc-v-unknown": (
        "from cloudcraver_hookspecs import hookimpl\n\n"
        "@hookimpl\ndef not_a_hook():\n    return 1\n",
        None,
    ),
    "cc-v-future": (
        "from cloudcraver_hookspecs import hookimpl\n\n"
        "@hookimpl\ndef validate_document(document):\n    return []\n",
        'name = "v-future"\ncontract = ">=2.0,<3"\nhooks = ["validate_document"]\n',
    ),
    "cc-v-mismatch": (
        "from cloudcraver_hookspecs import hookimpl\n\n"
        "@hookimpl\ndef validate_document(document):\n    return []\n",
        'name = "v-mismatch"\ncontract = ">=1.0,<2"\n'
        'hooks = ["validate_document", "contribute_commands"]\n',
    ),
    "cc-v-templates": (
        "from cloudcraver_hookspecs import TemplateDescriptor, hookimpl\n\n"
        "@hookimpl\ndef contribute_templates():\n"
        "    return [TemplateDescriptor('t-one', 'aws', 'cloudformation')]\n\n"
        "@hookimpl\ndef render_template(request):\n    return None\n",
        'name = "v-templates"\ncontract = ">=1.0,<2"\n'
        'hooks = ["contribute_templates", "render_template"]\n'
        '[[templates]]\nname = "t-one"\nprovider = "aws"\noutput_format = "cloudformation"\n'
        '[[templates]]\nname = "t-two"\nprovider = "aws"\noutput_format = "cloudformation"\n',
    ),
    "cc-v-migfail": (
        "from cloudcraver_hookspecs import hookimpl\n\n"
        "@hookimpl\ndef migrate_config(from_version, to_version, config):\n"
        "    raise ValueError(f'cannot migrate from {from_version}\\nsecond line')\n",
        None,
    ),
    "cc-v-noisy": (
        "print('noise on stdout at import')\n"
        "from cloudcraver_hookspecs import hookimpl\n\n"
        "@hookimpl\ndef validate_document(document):\n    return []\n",
        None,
    ),
    "cc-v-late": (
        "from cloudcraver_hookspecs import hookimpl\n\n"
        "@hookimpl\ndef validate_document(document):\n    return []\n",
        None,
    ),
}
INSTALLED = [name for name in PROJECTS if name != "cc-v-late"]


def write_project(root: Path, dist: str, code: str, manifest: str | None) -> Path:
    package = dist.replace("-", "_")
    plugin = dist[3:]
    project = root / dist
    (project / package).mkdir(parents=True)
    (project / package / "__init__.py").write_text(textwrap.dedent(code))
    entry_points = f'[project.entry-points.cloudcraver]\n{plugin} = "{package}"\n'
    if manifest is not None:
        (project / package / "cloudcraver_plugin.toml").write_text(manifest)
        entry_points += (
            f'\n[project.entry-points."cloudcraver.manifest"]\n'
            f'{plugin} = "{package}:cloudcraver_plugin.toml"\n'
        )
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling>=1.21"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{dist}"\nversion = "2.0.0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["cloudcraver-hookspecs>=1.0,<2"]\n\n'
        f"{entry_points}\n"
        f'[tool.hatch.build.targets.wheel]\npackages = ["{package}"]\n'
        # An editable install is then a plain .pth naming the project folder.
        'dev-mode-dirs = ["."]\n'
    )
    return project


def pip_env(tmp: Path) -> dict[str, str]:
    """No pip configuration of this machine, no index."""
    empty = tmp / "empty-xdg"
    empty.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "CLOUDCRAVER_"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        XDG_CONFIG_DIRS=str(empty),
        XDG_CONFIG_HOME=str(empty),
        PIP_CONSTRAINT="",
        PIP_FIND_LINKS="",
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def pip(python: Path, *args: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), *args, "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


class PluginVenv:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.venv = root / "venv"
        self.python = self.venv / "bin" / "python"
        self.projects = root / "projects"
        self.wheels = root / "wheels"
        self.env = pip_env(root)
        self.home = root / "home"

    def build(self) -> None:
        for dist, (code, manifest) in PROJECTS.items():
            write_project(self.projects, dist, code, manifest)
        subprocess.run(
            [
                sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                "--no-index", "-w", str(self.wheels),
                *(str(self.projects / d) for d in PROJECTS),
            ],
            env=self.env, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(self.venv)],
            check=True,
            timeout=120,
        )
        site = subprocess.run(
            [str(self.python), "-c", "import site; print(site.getsitepackages()[0])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        outer = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
        # ``import`` line: addsitedir also processes the outer .pth files (editable installs).
        Path(site, "outer_env.pth").write_text(f"import site; site.addsitedir({outer!r})\n")
        self.install(*INSTALLED)

    def wheel(self, dist: str) -> Path:
        return next(self.wheels.glob(dist.replace("-", "_") + "-*.whl"))

    def install(self, *dists: str) -> None:
        pip(
            self.python,
            "install",
            "--no-index",
            "--no-deps",
            *(str(self.wheel(d)) for d in dists),
            env=self.env,
        )

    def uninstall(self, *dists: str) -> None:
        pip(self.python, "uninstall", "-y", *dists, env=self.env)

    def worker_env(self) -> dict[str, str]:
        return {**self.env, "CLOUDCRAVER_HOME": str(self.home)}


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> PluginVenv:
    venv = PluginVenv(tmp_path_factory.mktemp("verify"))
    venv.build()
    return venv


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return tmp_path / "config.toml"


def verdicts(result: VerifyResult) -> dict[str, PluginVerdict]:
    return {v.name: v for v in result.plugins}


def run(plugin_venv: PluginVenv, request: VerifyRequest, *, timeout: float = 120.0) -> VerifyResult:
    with VerifyWorker(plugin_venv.python, env=plugin_venv.worker_env()) as worker:
        return worker.run(request, timeout)


def test_good_plugin_passes(plugin_venv: PluginVenv, config_file: Path) -> None:
    started = time.perf_counter()
    result = run(plugin_venv, VerifyRequest(("v-good",), config_file=config_file))
    elapsed = time.perf_counter() - started
    assert result.ok, result.summary()
    good = verdicts(result)["v-good"]
    assert good.error is None and good.version == "2.0.0" and good.distribution == "cc-v-good"
    assert 0 < good.seconds < elapsed and not good.migrated and good.warnings == ()
    assert not config_file.exists()  # nothing to migrate, nothing written


def test_a_distribution_name_stands_for_its_plugins(plugin_venv: PluginVenv) -> None:
    result = run(plugin_venv, VerifyRequest(("cc-v-good", "cc-v-noisy")))
    assert result.ok, result.summary()
    assert set(verdicts(result)) == {"v-good", "v-noisy"}  # noisy printed: the JSON held


@pytest.mark.parametrize(
    ("plugin", "expected"),
    [
        ("v-import", "ImportError: cc-v-import cannot import a thing"),
        ("v-unknown", "implements 'not_a_hook', which is not a hook of contract 1.1.0"),
        ("v-future", "supports contract >=2.0,<3, but this host implements contract 1.1.0"),
        (
            "v-mismatch",
            "manifest and code disagree: declares contribute_commands but does not implement it",
        ),
        ("v-templates", "lists template(s) t-two, which contribute_templates does not offer"),
        ("not-installed", "no plugin or distribution named 'not-installed' is installed"),
    ],
)
def test_each_fault_fails_its_plugin_only(
    plugin_venv: PluginVenv, plugin: str, expected: str
) -> None:
    result = run(plugin_venv, VerifyRequest((plugin, "v-good")))
    assert not result.ok and result.error is None
    found = verdicts(result)
    assert found["v-good"].ok
    assert not found[plugin].ok
    error = found[plugin].error
    assert error is not None and expected in error and "\n" not in error
    assert plugin in result.summary()


def test_migration_result_is_written_to_the_config(
    plugin_venv: PluginVenv, config_file: Path
) -> None:
    config_file.write_text(
        "# my settings\n[host]\nstrict = false\n\n"
        "[plugins.v_good]  # spelled with _\nold = 'kept value'\nother = 2\n\n"
        "[plugins.policy]\nrequired_tags = ['owner']\n"
    )
    request = VerifyRequest(
        ("v-good", "v-second"),
        (Migration("v-good", "1.0.0", "2.0.0"), Migration("cc-v-second", "", "2.0.0")),
        config_file,
    )
    result = run(plugin_venv, request)
    assert result.ok, result.summary()
    assert result.config_written
    assert verdicts(result)["v-good"].migrated and verdicts(result)["v-second"].migrated
    assert result.config_before == {
        "v-good": {"old": "kept value", "other": 2},
        "v-second": None,
    }
    data = read_toml(config_file)
    assert data["plugins"]["v_good"] == {"new": "kept value", "other": 2, "migrated_from": "1.0.0"}
    assert data["plugins"]["v-second"] == {"second": "2.0.0"}
    assert data["plugins"]["policy"] == {"required_tags": ["owner"]}
    assert data["host"] == {"strict": False}
    assert not list(config_file.parent.glob(".config.toml.*.tmp"))


def test_migration_keeping_the_config_writes_nothing(
    plugin_venv: PluginVenv, config_file: Path
) -> None:
    config_file.write_text("# untouched\n[plugins.v-good]\nnew = 1\n")
    before = config_file.read_bytes()
    request = VerifyRequest(("v-good",), (Migration("v-good", "1.0.0", "2.0.0"),), config_file)
    result = run(plugin_venv, request)
    assert result.ok and not result.config_written and result.config_before == {}
    assert not verdicts(result)["v-good"].migrated
    assert config_file.read_bytes() == before


def test_a_key_edit_keeps_the_comments(plugin_venv: PluginVenv, config_file: Path) -> None:
    config_file.write_text("# keep me\n[plugins.v-second]\nx = 1  # and me\n")
    request = VerifyRequest(("v-second",), (Migration("v-second", "1", "2.0.0"),), config_file)
    result = run(plugin_venv, request)
    assert result.ok and result.config_written
    text = config_file.read_text()
    assert "# keep me" in text and "# and me" in text
    assert read_toml(config_file)["plugins"]["v-second"] == {"x": 1, "second": "2.0.0"}


def test_a_raising_migration_fails_and_writes_nothing(
    plugin_venv: PluginVenv, config_file: Path
) -> None:
    config_file.write_text("[plugins.v-good]\nold = 1\n[plugins.v-migfail]\na = 1\n")
    before = config_file.read_bytes()
    request = VerifyRequest(
        ("v-good", "v-migfail"),
        (Migration("v-good", "1.0.0", "2.0.0"), Migration("v-migfail", "1.0.0", "2.0.0")),
        config_file,
    )
    result = run(plugin_venv, request)
    assert not result.ok and not result.config_written
    failed = verdicts(result)["v-migfail"]
    assert failed.error == "migrate_config raised ValueError: cannot migrate from 1.0.0"
    assert config_file.read_bytes() == before  # v-good's migration is not written either


def test_an_unreadable_config_fails_the_migration(
    plugin_venv: PluginVenv, config_file: Path
) -> None:
    config_file.write_text("[plugins.v-good\nold = 1\n")
    request = VerifyRequest(("v-good",), (Migration("v-good", "1.0.0", "2.0.0"),), config_file)
    result = run(plugin_venv, request)
    assert not result.ok and result.error is None and not result.config_written
    error = verdicts(result)["v-good"].error
    assert error is not None and "cannot migrate its configuration" in error
    assert "invalid TOML" in error and str(config_file) in error


def test_no_migration_runs_when_a_plugin_fails(plugin_venv: PluginVenv, config_file: Path) -> None:
    config_file.write_text("[plugins.v-good]\nold = 1\n")
    before = config_file.read_bytes()
    request = VerifyRequest(
        ("v-good", "v-import"), (Migration("v-good", "1.0.0", "2.0.0"),), config_file
    )
    result = run(plugin_venv, request)
    assert not result.ok and not result.config_written
    assert config_file.read_bytes() == before


def test_the_worker_reads_the_environment_after_the_request(plugin_venv: PluginVenv) -> None:
    """Started before pip: a plugin installed meanwhile, as a wheel or editable (.pth), is seen."""
    with VerifyWorker(plugin_venv.python, env=plugin_venv.worker_env()) as worker:
        time.sleep(0.5)  # let it start and wait on stdin
        plugin_venv.install("cc-v-late")
        try:
            result = worker.run(VerifyRequest(("v-late",)))
        finally:
            plugin_venv.uninstall("cc-v-late")
    assert result.ok, result.summary()

    with VerifyWorker(plugin_venv.python, env=plugin_venv.worker_env()) as worker:
        time.sleep(0.5)
        pip(
            plugin_venv.python, "install", "--no-index", "--no-deps", "--no-build-isolation", "-e",
            str(plugin_venv.projects / "cc-v-late"), env=plugin_venv.env,
        )  # fmt: skip
        try:
            result = worker.run(VerifyRequest(("v-late",)))
        finally:
            plugin_venv.uninstall("cc-v-late")
    assert result.ok, result.summary()


def test_worker_crash_and_timeout_fail_every_plugin(tmp_path: Path) -> None:
    # An "interpreter" that never answers, then one that exits at once.
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\nexec sleep 60\n")
    python.chmod(0o755)
    with VerifyWorker(python) as worker:
        result = worker.run(VerifyRequest(("v-good",)), timeout=1.0)
    assert not result.ok and result.error is not None and "longer than 1s" in result.error
    assert verdicts(result)["v-good"].error == result.error

    python.write_text("#!/bin/sh\necho 'Traceback: it broke' >&2\nexit 3\n")
    with VerifyWorker(python) as worker:
        result = worker.run(VerifyRequest(("v-good",)))
    assert not result.ok and result.error is not None
    assert "exit 3" in result.error and "it broke" in result.error


def test_verify_plugins_in_this_environment() -> None:
    """The host-side function with the first-party plugins of this very environment."""
    result = verify_plugins(sys.executable, VerifyRequest(("aws-s3", "policy")))
    assert result.ok, result.summary()
    assert [v.name for v in result.plugins] == ["aws-s3", "policy"]


def test_request_and_result_round_trip() -> None:
    request = VerifyRequest(("a",), (Migration("a", "", "2"),), Path("/x/config.toml"))
    assert VerifyRequest.from_json(json.loads(json.dumps(request.to_json()))) == request
    assert request.to_json()["migrations"] == [{"plugin": "a", "from": "", "to": "2"}]
    result = VerifyResult((PluginVerdict("a", False, "boom", 1.5),), {"a": None}, True, 2.0)
    assert VerifyResult.from_json(json.loads(json.dumps(result.to_json()))) == result
    with pytest.raises(ValueError, match="malformed"):
        VerifyRequest.from_json({"plugins": [], "migrations": [{"from": "1"}]})
