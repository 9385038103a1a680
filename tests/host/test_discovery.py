"""Discovery: plugin paths (checkouts, wheels, folders), duplicates, manifest problems."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cloudcraver_hookspecs import RenderRequest
from support.harness import CliEnv, Wheelhouse
from support.inprocess import EventLog, imported, make_host

from cloudcraver_host.discovery import discover
from cloudcraver_host.lifecycle import PluginStatus, Stage

Project = Callable[[str], Path]


def test_checkout_is_read_from_pyproject_and_manifest_without_import(
    project: Project, marker_dir: Path
) -> None:
    path = project("cc-test-manifest")
    result = discover([path], environment=False)
    assert result.warnings == []
    [record] = result.records
    assert (record.name, record.version, record.distribution) == (
        "manifest-demo",
        "1.0.0",
        "cc-test-manifest",
    )
    assert (record.kind, record.location, record.entry_point) == (
        "checkout",
        str(path),
        "cc_test_manifest",
    )
    assert record.contract == ">=1.0,<2" and not record.first_party
    assert record.manifest is not None and record.manifest_error is None
    assert [t.name for t in record.manifest.templates] == ["demo-bucket"]
    assert imported(marker_dir) == set()


def test_manifest_schema_file_matches_the_code(tmp_path: Path, project: Project) -> None:
    host = make_host(tmp_path, paths=[project("cc-test-manifest")])
    manifest = host.record("manifest-demo").manifest
    assert manifest is not None
    [(name, [descriptor])] = host.call_each("contribute_templates")
    assert name == "manifest-demo"
    assert manifest.templates[0].parameters == descriptor.parameter_schema()
    assert manifest.templates[0].name == descriptor.name
    assert manifest.templates[0].formats == descriptor.formats


def test_wheel_is_read_and_imported_from_the_archive(
    tmp_path: Path, wheelhouse: Wheelhouse, marker_dir: Path, event_log: EventLog
) -> None:
    wheel = shutil.copy(wheelhouse.wheel("cc-test-manifest"), tmp_path)
    host = make_host(tmp_path, paths=[Path(wheel)])
    record = host.record("manifest-demo")
    assert (record.kind, record.location, record.version) == ("wheel", str(wheel), "1.0.0")
    assert record.manifest is not None
    assert record.manifest.templates[0].parameters["title"] == "DemoBucketParameters"
    assert imported(marker_dir) == set()

    request = RenderRequest("demo-bucket", "logs", {"size": 2, "versioned": False}, "json")
    rendered = host.call_plugin("manifest-demo", "render_template", request=request)
    assert json.loads(rendered.content)["Resources"]["Bucket"]["Properties"] == {
        "BucketName": "logs",
        "size": 2,
        "versioned": False,
    }
    assert rendered.filename == "logs.json"
    assert imported(marker_dir) == {"manifest-demo"}
    assert event_log.events()[0]["version"] == "1.0.0"


def test_folder_of_wheels_and_checkouts(
    tmp_path: Path, wheelhouse: Wheelhouse, project: Project
) -> None:
    folder = tmp_path / "plugins"
    folder.mkdir()
    shutil.copy(wheelhouse.wheel("cc-test-plain"), folder)
    shutil.copy(wheelhouse.wheel("cc-test-base"), folder)
    shutil.copytree(project("cc-test-child"), folder / "cc-test-child")
    (folder / "notes.txt").write_text("not a plugin")
    result = discover([folder], environment=False)
    assert result.warnings == []
    kinds = {r.name: r.kind for r in result.records}
    assert kinds == {"plain-demo": "wheel", "dep-base": "wheel", "dep-child": "checkout"}


def test_folder_of_installed_distributions(tmp_path: Path, wheelhouse: Wheelhouse) -> None:
    folder = tmp_path / "site"
    with zipfile.ZipFile(wheelhouse.wheel("cc-test-plain")) as archive:
        archive.extractall(folder)  # a wheel's content is its installed layout
    host = make_host(tmp_path, paths=[folder])
    record = host.record("plain-demo")
    assert record.kind == "directory"
    assert [t.name for [t] in host.hook.contribute_templates()] == ["plain-note"]


def test_plugin_paths_from_the_configuration(tmp_path: Path, wheelhouse: Wheelhouse) -> None:
    missing = tmp_path / "nowhere"
    joined = os.pathsep.join([str(wheelhouse.wheel("cc-test-plain")), str(missing)])
    host = make_host(
        tmp_path,
        environ={"CLOUDCRAVER_PLUGIN_PATH": joined},
        discovery=None,
        environment=False,
    )
    assert host.names() == ["plain-demo"]
    assert host.warnings == [f"plugin path {missing} does not exist; check [host] plugin_paths"]


def test_unusable_paths_are_warnings(tmp_path: Path) -> None:
    text = tmp_path / "plugin.txt"
    text.write_text("no")
    corrupt = tmp_path / "corrupt-1.0-py3-none-any.whl"
    corrupt.write_bytes(b"not a zip file")
    missing = tmp_path / "missing"
    result = discover([missing, text, corrupt], environment=False)
    assert result.records == []
    assert len(result.warnings) == 3
    assert str(missing) in result.warnings[0] and "does not exist" in result.warnings[0]
    assert str(text) in result.warnings[1] and "not a wheel" in result.warnings[1]
    assert str(corrupt) in result.warnings[2] and "not a readable wheel" in result.warnings[2]


@pytest.mark.parametrize("v2_first", [False, True])
def test_duplicate_names_the_higher_version_wins_with_a_warning(
    tmp_path: Path,
    project: Project,
    wheelhouse: Wheelhouse,
    event_log: EventLog,
    v2_first: bool,
) -> None:
    checkout = project("cc-test-manifest")
    wheel = Path(shutil.copy(wheelhouse.wheel("cc-test-manifest-v2"), tmp_path))
    paths = [wheel, checkout] if v2_first else [checkout, wheel]
    host = make_host(tmp_path, paths=paths)
    record = host.record("manifest-demo")
    assert (record.version, record.location) == ("2.0.0", str(wheel))
    [warning] = host.warnings
    assert "two plugins named 'manifest-demo'" in warning
    assert f"using 2.0.0 from {wheel}" in warning
    assert f"ignoring 1.0.0 from {checkout}" in warning
    # The winner's code is what runs.
    host.activate("manifest-demo")
    assert [(e["event"], e["version"]) for e in event_log.events()] == [("activate", "2.0.0")]


def test_first_party_plugins_come_from_the_cloudcraver_distribution() -> None:
    records = {r.name: r for r in discover(environment=True).records}
    for name in ("aws-s3", "policy"):
        assert records[name].first_party, records[name]
        assert records[name].kind == "environment"
        assert records[name].distribution == "cloudcraver"


# ---------------------------------------------------------------------------- broken manifests


def break_manifest(project: Path, old: str, new: str) -> Path:
    manifest = project / "cc_test_manifest" / "cloudcraver_plugin.toml"
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new, 1))
    return manifest


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '    "contribute_commands",\n',
            '    "contribute_comands",\n',
            ["hooks", "contribute_comands"],
        ),
        ('description = "Test', 'colour = "red"\ndescription = "Test', ["colour", "unknown key"]),
        ('contract = ">=1.0,<2"', 'contract = "one or two"', ["contract", "one or two"]),
        ('name = "manifest-demo"', 'name = "other-name"', ["other-name", "manifest-demo"]),
        ("hooks = [", "hooks = [[", ["invalid TOML"]),
        (
            'parameters = "demo-bucket.schema.json"',
            'parameters = "missing.schema.json"',
            ["templates[0].parameters", "missing.schema.json"],
        ),
    ],
    ids=["unknown-hook", "unknown-key", "bad-contract", "wrong-name", "bad-toml", "missing-schema"],
)
def test_manifest_errors_fail_validation_naming_the_file_and_key(
    tmp_path: Path,
    project: Project,
    marker_dir: Path,
    old: str,
    new: str,
    expected: list[str],
) -> None:
    checkout = project("cc-test-manifest")
    manifest = break_manifest(checkout, old, new)
    host = make_host(tmp_path, paths=[checkout, project("cc-test-plain")])
    assert [f.rule_id for r in host.hook.validate_document(document=_doc()) for f in r] == [
        "PLAIN_SEEN"
    ]
    info = host.info("manifest-demo")
    assert info.status is PluginStatus.FAILED
    assert info.failure is not None and info.failure.stage is Stage.VALIDATE
    assert str(manifest) in info.failure.reason
    for text in expected:
        assert text in info.failure.reason
    assert imported(marker_dir) == {"plain-demo"}


def test_missing_manifest_file_fails_validation(
    tmp_path: Path, project: Project, marker_dir: Path
) -> None:
    checkout = project("cc-test-manifest")
    (checkout / "cc_test_manifest" / "cloudcraver_plugin.toml").unlink()
    host = make_host(tmp_path, paths=[checkout])
    host.hook.validate_document(document=_doc())
    failure = host.info("manifest-demo").failure
    assert failure is not None and failure.stage is Stage.VALIDATE
    assert "cc_test_manifest/cloudcraver_plugin.toml" in failure.reason
    assert imported(marker_dir) == set()


def _doc():
    from cloudcraver_hookspecs import InfrastructureDocument

    return InfrastructureDocument(path="stack.json", format="cloudformation", data={})


# ---------------------------------------------------------------------------- in the real venv

_DISCOVER = """
import json, sys
from pathlib import Path
from cloudcraver_host.config import load_config
from cloudcraver_host.discovery import discover
from cloudcraver_host.host import PluginHost
result = discover([Path(sys.argv[1])])
records = {r.name: [r.version, r.kind, r.location] for r in result.records}
host = PluginHost(config=load_config(user_file=Path("none.toml")), discovery=result)
status = host.activate("manifest-demo").status.value
code = sys.modules["cc_test_manifest"]
print(json.dumps({
    "records": records,
    "warnings": result.warnings,
    "status": status,
    "imported": [code.__version__, code.__file__],
}))
"""


@pytest.mark.venv
def test_plugin_path_wheel_beats_the_installed_version(cli_env: CliEnv, tmp_path: Path) -> None:
    wheel = cli_env.wheels["cc-test-manifest-v2"]
    result = cli_env.run_python("-c", _DISCOVER, str(wheel), home=tmp_path, check=True)
    data = json.loads(result.stdout)
    assert data["records"]["manifest-demo"] == ["2.0.0", "wheel", str(wheel)]
    assert data["records"]["plain-demo"][:2] == ["1.0.0", "environment"]
    [warning] = [w for w in data["warnings"] if "manifest-demo" in w]
    assert f"using 2.0.0 from {wheel}" in warning
    assert "ignoring 1.0.0 from " in warning
    assert str(cli_env.site_packages) in warning  # the installed copy's place
    # The wheel's code is what runs, although 1.0.0 is installed in site-packages.
    assert data["status"] == "activated"
    assert data["imported"][0] == "2.0.0"
    assert data["imported"][1].startswith(str(wheel))


def test_manifest_entry_point_without_a_plugin_entry_point_is_a_warning(
    project: Project,
) -> None:
    checkout = project("cc-test-base")
    pyproject = checkout / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            '[project.entry-points."cloudcraver.manifest"]\ndep-base',
            '[project.entry-points."cloudcraver.manifest"]\ndep-bass',
        )
    )
    result = discover([checkout], environment=False)
    assert [r.name for r in result.records] == ["dep-base"]
    assert result.records[0].manifest is None
    [warning] = result.warnings
    assert str(checkout) in warning and "'dep-bass'" in warning
