"""``cloudcraver validate``: findings, exit codes, reports, unreadable files, failing validators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Cli
from .helpers import (
    FIRST_PARTY,
    assert_exit,
    assert_no_traceback,
    assert_one_error,
    error_lines,
    parse_json,
    shown,
    warning_lines,
)

try:
    import jsonschema
except ImportError:  # the outer environment may not have it: structural checks still run
    jsonschema = None

pytestmark = pytest.mark.venv

#: What ``insecure.yaml`` breaks: (rule, severity, line).
INSECURE = {
    ("aws-s3-tls-only", "error", 4),
    ("aws-s3-encryption", "error", 10),  # an algorithm S3 does not know
    ("aws-s3-public-access-block", "error", 6),
    ("aws-s3-versioning", "warning", 9),
}


@pytest.fixture
def policy(cc: Cli) -> Cli:
    """The first-party plugins only: the policy plugin's findings and nothing else."""
    return cc.only(*FIRST_PARTY)


def findings_of(report: dict[str, Any], path: str) -> set[tuple[str, str, int | None]]:
    (entry,) = [f for f in report["files"] if f["path"] == path]
    return {
        (f["rule_id"], f["severity"], (f.get("location") or {}).get("line"))
        for f in entry["findings"]
    }


# ---------------------------------------------------------------------------- findings


def test_rendered_template_validates_clean(policy: Cli) -> None:
    policy("template", "create", "aws-s3-bucket", "demo", "-o", "demo.yaml", check=True)
    policy("template", "create", "aws-s3-bucket", "demo", "-f", "json", "-o", "demo.json")

    result = policy("validate", "demo.yaml", "demo.json", check=True)
    report = policy.json("validate", "demo.yaml", "demo.json", "--format", "json")

    assert "0 error(s)" in result.stdout
    assert report["summary"]["errors"] == 0 and report["summary"]["files"] == 2
    assert {f["format"] for f in report["files"]} == {"cloudformation"}
    assert_no_traceback(result)


def test_rendered_template_validates_clean_with_access_logging_on(policy: Cli) -> None:
    # The default template creates LogBucket for Bucket's access logs: a log bucket is not
    # itself asked to log.
    policy.config_file.write_text(
        '[plugins.policy]\nenabled_rules = ["aws-s3-access-logging"]\n', encoding="utf-8"
    )
    policy("template", "create", "aws-s3-bucket", "x", "-o", "x.yaml", check=True)
    policy("template", "create", "aws-s3-bucket", "x", "-f", "json", "-o", "x.json", check=True)
    policy("template", "create", "aws-s3-bucket", "y", "-o", "y.yaml", "--set",
           "access_logging.enabled=false", check=True)  # fmt: skip

    report = policy.json(
        "validate", "x.yaml", "x.json", "y.yaml", "-f", "json", "--fail-on", "warning", check=1
    )

    findings = {
        (entry["path"], f["rule_id"], f.get("resource"))
        for entry in report["files"]
        for f in entry["findings"]
    }
    assert findings == {("y.yaml", "aws-s3-access-logging", "Bucket")}


def test_insecure_file_exits_1_with_rules_and_lines(policy: Cli, data) -> None:
    data("insecure.yaml")

    result = policy("validate", "insecure.yaml")

    assert_exit(result, 1)
    for rule, severity, line in INSECURE:
        assert f"insecure.yaml:{line}: {severity} {rule}:" in result.stdout, shown(result)
    assert "4 finding(s) in 1 file(s): 3 error(s), 1 warning(s)" in result.stdout
    assert error_lines(result) == []
    assert_no_traceback(result)


def test_fail_on_warning(policy: Cli, data) -> None:
    data("warning_only.yaml")

    default = policy("validate", "warning_only.yaml")
    strict = policy("validate", "warning_only.yaml", "--fail-on", "warning")

    assert_exit(default, 0)
    assert_exit(strict, 1)
    assert "warning aws-s3-versioning" in strict.stdout


def test_json_report(policy: Cli, data) -> None:
    data("insecure.yaml", "warning_only.yaml")

    report = policy.json("validate", "insecure.yaml", "warning_only.yaml", "-f", "json", check=1)

    assert set(report) == {"files", "summary"}
    assert [f["path"] for f in report["files"]] == ["insecure.yaml", "warning_only.yaml"]
    for entry in report["files"]:
        assert set(entry) >= {"path", "format", "error", "findings"}
        assert entry["format"] == "cloudformation" and entry["error"] is None
        for finding in entry["findings"]:
            assert {"rule_id", "severity", "message", "plugin"} <= set(finding)
            assert finding["plugin"] == "policy"
    assert findings_of(report, "insecure.yaml") == INSECURE
    assert findings_of(report, "warning_only.yaml") == {("aws-s3-versioning", "warning", 6)}
    assert report["summary"] == {
        "files": 2,
        "findings": 5,
        "errors": 3,
        "warnings": 2,
        "info": 0,
        "unreadable": 0,
    }


def test_report_to_a_file(policy: Cli, data) -> None:
    data("insecure.yaml")

    result = policy("validate", "insecure.yaml", "-f", "json", "-o", "report.json")

    assert_exit(result, 1)
    assert result.stdout == ""
    written = (policy.home / "report.json").read_text(encoding="utf-8")
    assert '"aws-s3-tls-only"' in written


#: The part of the SARIF 2.1.0 schema these reports must satisfy (hand-written subset).
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "version": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "properties": {"id": {"type": "string"}},
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message", "ruleId", "level", "locations"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {
                                    "type": "object",
                                    "required": ["text"],
                                    "properties": {"text": {"type": "string"}},
                                },
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "properties": {
                                                            "startLine": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            }
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_sarif_report(policy: Cli, data) -> None:
    data("insecure.yaml")

    sarif = policy.json("validate", "insecure.yaml", "--format", "sarif", check=1)

    if jsonschema is not None:
        jsonschema.validate(sarif, SARIF_SUBSET)
    assert sarif["version"] == "2.1.0"
    assert len(sarif["runs"]) == 1
    run = sarif["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "cloudcraver"
    assert driver["version"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    seen = set()
    for result in run["results"]:
        assert result["message"]["text"]
        assert result["level"] in ("error", "warning", "note")
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"].endswith("insecure.yaml")
        seen.add((result["ruleId"], result["level"], physical["region"]["startLine"]))
    assert seen == INSECURE
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_report_records_unreadable_files(policy: Cli, data) -> None:
    data("insecure.yaml")

    result = policy("validate", "insecure.yaml", "missing.yaml", "--format", "sarif")

    assert_exit(result, 2)
    sarif = parse_json(result)
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert any(
        "missing.yaml" in n["message"]["text"] for n in invocation["toolExecutionNotifications"]
    )
    assert len(sarif["runs"][0]["results"]) == len(INSECURE)


def test_folder_is_searched(policy: Cli, data) -> None:
    infra = policy.home / "infra"
    data("insecure.yaml", "warning_only.yaml", to=infra / "nested")
    (infra / "README.md").write_text("not a template\n", encoding="utf-8")

    report = policy.json("validate", "infra", "-f", "json", check=1)

    paths = sorted(Path(f["path"]).name for f in report["files"])
    assert paths == ["insecure.yaml", "warning_only.yaml"]


# ---------------------------------------------------------------------------- unreadable files


def write_bad_files(home: Path) -> dict[str, str]:
    """Files no validator may see; returns each name with what its error must say."""
    (home / "binary.yaml").write_bytes(b"Resources:\x00\x01\x02\xff")
    (home / "latin1.yaml").write_bytes(b"Description: caf\xe9\nResources: {}\n")
    (home / "big.yaml").write_text("Resources: {}\n" + "# padding\n" * 1000, encoding="utf-8")
    (home / "empty-folder").mkdir()
    return {
        "missing.yaml": "no such file",
        "malformed.yaml": "malformed.yaml:",  # the line of the YAML error
        "binary.yaml": "binary",
        "latin1.yaml": "UTF-8",
        "big.yaml": "max_document_bytes",
    }


def test_unreadable_files_are_one_error_each_and_the_others_are_checked(policy: Cli, data) -> None:
    data("insecure.yaml", "malformed.yaml")
    policy.config_file.write_text("[host]\nmax_document_bytes = 4000\n", encoding="utf-8")
    expected = write_bad_files(policy.home)
    files = ["missing.yaml", "malformed.yaml", "binary.yaml", "latin1.yaml", "big.yaml"]

    result = policy("validate", files[0], files[1], "insecure.yaml", *files[2:], "-f", "json")

    assert_exit(result, 2)
    assert_no_traceback(result)
    errors = error_lines(result)
    assert len(errors) == len(files), shown(result)
    for name, needle in expected.items():
        (line,) = [e for e in errors if name in e]
        assert needle in line, line
    report = parse_json(result)
    assert findings_of(report, "insecure.yaml") == INSECURE, "the readable file is still checked"
    assert report["summary"]["unreadable"] == len(files)
    assert "malformed.yaml:7" in next(e for e in errors if "malformed.yaml" in e)


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("missing.yaml", "no such file"),
        ("malformed.yaml", "invalid YAML"),
        ("binary.yaml", "binary"),
        ("latin1.yaml", "UTF-8"),
        ("big.yaml", "4000-byte limit"),
    ],
)
def test_each_unreadable_file_alone(policy: Cli, data, name: str, needle: str) -> None:
    data("malformed.yaml")
    policy.config_file.write_text("[host]\nmax_document_bytes = 4000\n", encoding="utf-8")
    write_bad_files(policy.home)

    result = policy("validate", name)

    assert_one_error(result, 2, name, needle)


def test_folder_without_documents_is_an_error(policy: Cli, data) -> None:
    data("insecure.yaml")
    (policy.home / "empty-folder").mkdir()

    result = policy("validate", "empty-folder", "insecure.yaml")

    assert_exit(result, 2)
    (line,) = error_lines(result)
    assert "empty-folder" in line, shown(result)
    assert "aws-s3-tls-only" in result.stdout


# ---------------------------------------------------------------------------- failing validators


def test_failing_validator_is_a_warning_once_and_others_still_report(cc: Cli, data) -> None:
    data("insecure.yaml", "warning_only.yaml")
    run = cc.only("policy", "hook-fails", "dep-base")

    result = run("validate", "insecure.yaml", "warning_only.yaml")

    assert_exit(result, 1)  # from the policy findings
    about = [line for line in result.stderr.splitlines() if "hook-fails" in line]
    assert len(about) == 1, shown(result)
    assert about[0].startswith("warning: ")
    assert "hook-fails exploded" in about[0] and "validate_document" in about[0]
    assert "insecure.yaml:4: error aws-s3-tls-only" in result.stdout
    assert "BASE_SEEN" in result.stdout
    assert error_lines(result) == []
    assert_no_traceback(result)

    clean = run("validate", "warning_only.yaml")
    assert_exit(clean, 0)  # a plugin failure alone does not fail the command
    assert len(warning_lines(clean)) == 1


def test_failing_validator_under_strict_exits_3(cc: Cli, data) -> None:
    data("warning_only.yaml")
    run = cc.only("policy", "hook-fails")

    result = run("--strict", "validate", "warning_only.yaml")

    assert_exit(result, 3)
    assert "aws-s3-versioning" in result.stdout
    assert_no_traceback(result)


# ---------------------------------------------------------------------------- many files


def test_jobs_give_the_same_report_as_one_process(policy: Cli, data) -> None:
    for index in range(40):
        folder = policy.home / ("a" if index < 20 else "b")
        data("insecure.yaml" if index % 2 else "warning_only.yaml", to=folder)
        (folder / ("insecure.yaml" if index % 2 else "warning_only.yaml")).rename(
            folder / f"doc{index:03}.yaml"
        )

    one = policy("validate", "a", "b", "-f", "json", "--jobs", "1", check=1)
    several = policy("validate", "a", "b", "-f", "json", "--jobs", "3", check=1)
    default = policy("validate", "a", "b", "-f", "json", check=1)

    assert several.stdout == one.stdout == default.stdout
    report = parse_json(one)
    assert report["summary"]["files"] == 40
    assert [f["path"] for f in report["files"]] == sorted(f["path"] for f in report["files"])


def test_a_validator_failing_in_a_worker_is_reported_once(cc: Cli, data) -> None:
    for index in range(30):
        data("warning_only.yaml", to=cc.home / "docs")
        (cc.home / "docs" / "warning_only.yaml").rename(cc.home / "docs" / f"doc{index:03}.yaml")
    run = cc.only("policy", "hook-fails")

    # The plugin fails on the last file only: in a worker, never in the parent.
    result = run("validate", "docs", "--jobs", "2", env={"CC_TEST_FAIL_ON": "doc029.yaml"})
    strict = run("--strict", "validate", "docs", "-j", "2", env={"CC_TEST_FAIL_ON": "doc029.yaml"})

    about = [line for line in result.stderr.splitlines() if "hook-fails" in line]
    assert len(about) == 1 and "hook-fails exploded" in about[0], shown(result)
    assert result.stdout.count("aws-s3-versioning") == 30
    assert_exit(result, 0)
    assert_exit(strict, 3)
    assert_no_traceback(result)
