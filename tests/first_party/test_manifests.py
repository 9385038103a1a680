"""The plugins' manifests agree with their code, and the schema files with their models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from cloudcraver_hookspecs import hook_table

import cloudcraver_plugins
import cloudcraver_plugins.aws_s3.plugin as s3_plugin
import cloudcraver_plugins.policy.plugin as policy_plugin
from cloudcraver_host.manifest import Manifest, parse_manifest
from cloudcraver_plugins import schemas
from cloudcraver_plugins.aws_s3.params import S3BucketParameters, S3PluginConfig
from cloudcraver_plugins.policy.config import PolicyConfig

PLUGINS = {"aws-s3": s3_plugin, "policy": policy_plugin}


def manifest_of(module: ModuleType) -> Manifest:
    folder = Path(module.__file__ or "").parent
    path = folder / "cloudcraver_plugin.toml"
    return parse_manifest(
        path.read_text(encoding="utf-8"),
        source=str(path),
        read_relative=lambda relative: (folder / relative).read_text(encoding="utf-8"),
    )


def implemented_hooks(module: ModuleType) -> set[str]:
    return {name for name in dir(module) if hasattr(getattr(module, name), "cloudcraver_impl")}


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_manifest_hooks_are_the_implemented_hooks(name: str) -> None:
    module = PLUGINS[name]
    manifest = manifest_of(module)
    assert manifest.name == name
    assert manifest.contract == ">=1.0,<2"
    assert set(manifest.hooks) == implemented_hooks(module)
    assert implemented_hooks(module) <= set(hook_table())
    assert manifest.permissions.is_empty()


def test_manifest_config_schemas_are_the_models() -> None:
    assert manifest_of(s3_plugin).config_schema == S3PluginConfig.model_json_schema()
    assert manifest_of(policy_plugin).config_schema == PolicyConfig.model_json_schema()


def test_manifest_template_is_the_contributed_template() -> None:
    (entry,) = manifest_of(s3_plugin).templates
    (descriptor,) = s3_plugin.contribute_templates()
    assert (entry.name, entry.provider, entry.output_format, entry.description) == (
        descriptor.name,
        descriptor.provider,
        descriptor.output_format,
        descriptor.description,
    )
    assert entry.formats == descriptor.formats
    assert entry.parameters == descriptor.parameter_schema()
    assert descriptor.parameters is S3BucketParameters


def test_policy_offers_no_templates() -> None:
    assert manifest_of(policy_plugin).templates == ()


def test_schema_files_match_the_models() -> None:
    stale = schemas.stale_files()
    assert stale == [], "regenerate with: python -m cloudcraver_plugins.schemas"


def test_schema_check_reports_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copies = {}
    for path, text in schemas.expected_files().items():
        copy = tmp_path / path.relative_to(Path(cloudcraver_plugins.__file__).parent)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(text, encoding="utf-8")
        copies[copy] = text
    monkeypatch.setattr(schemas, "expected_files", lambda: copies)
    assert schemas.main(["--check"]) == 0
    first = next(iter(copies))
    first.write_text("{}\n", encoding="utf-8")
    assert schemas.main(["--check"]) == 1
    assert schemas.main([]) == 0  # regenerates
    assert first.read_text(encoding="utf-8") == copies[first]


@pytest.mark.parametrize(
    "module", ["cloudcraver_plugins.aws_s3.plugin", "cloudcraver_plugins.policy.plugin"]
)
def test_importing_a_plugin_is_cheap(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "heavy = [m for m in ('yaml', 'pydantic') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
