"""Validation reports as text for people, JSON for scripts and SARIF 2.1.0 for code scanners."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import Finding, Severity

from .display import escape
from .documents import ValidationReport

__all__ = ["render_json", "render_sarif", "render_text"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _summary(report: ValidationReport) -> dict[str, int]:
    return {
        "files": len(report.results),
        "findings": len(report.findings),
        "errors": report.count(Severity.ERROR),
        "warnings": report.count(Severity.WARNING),
        "info": report.count(Severity.INFO),
        "unreadable": len(report.errors),
    }


def render_text(report: ValidationReport) -> str:
    """One line per finding (``file:line: severity rule: message [resource]``), then a summary.

    What comes from the files (their names, resource names, messages quoting them) has its
    control characters escaped: a line break in a resource name cannot start a line.
    """
    lines: list[str] = []
    for result in report.results:
        for finding in result.findings:
            location = finding.location
            line = f":{location.line}" if location and location.line else ""
            resource = f" [{finding.resource}]" if finding.resource else ""
            lines.append(
                escape(
                    f"{result.path}{line}: {Severity(finding.severity).value} "
                    f"{finding.rule_id}: {finding.message}{resource}"
                )
            )
            if finding.remediation:
                lines.append(f"    fix: {escape(finding.remediation)}")
    counts = _summary(report)
    lines.append(
        f"{counts['findings']} finding(s) in {counts['files']} file(s): "
        f"{counts['errors']} error(s), {counts['warnings']} warning(s), {counts['info']} info"
        + (
            f"; {counts['unreadable']} file(s) could not be validated"
            if counts["unreadable"]
            else ""
        )
    )
    return "\n".join(lines) + "\n"


def render_json(report: ValidationReport) -> str:
    """The report as JSON: every file with its format, findings or error, and a summary."""
    data = {
        "files": [
            {
                "path": result.path,
                "format": result.format,
                "error": result.error,
                "findings": [f.to_dict() for f in result.findings],
            }
            for result in report.results
        ],
        "summary": _summary(report),
    }
    return json.dumps(data, indent=2) + "\n"


def _uri(path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate.as_uri()
    return candidate.as_posix()


def _sarif_result(path: str, finding: Finding, rule_index: int) -> dict[str, Any]:
    region: dict[str, Any] = {}
    if finding.location and finding.location.line:
        region["startLine"] = finding.location.line
        if finding.location.column:
            region["startColumn"] = finding.location.column
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
    if region:
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.resource:
        location["logicalLocations"] = [{"name": finding.resource, "kind": "resource"}]
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL[Severity(finding.severity)],
        "message": {"text": finding.message},
        "locations": [location],
    }
    if finding.plugin:
        result["properties"] = {"plugin": finding.plugin}
    return result


def render_sarif(report: ValidationReport, *, tool_version: str) -> str:
    """The report as a SARIF 2.1.0 log with one run, its rules and results."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for doc in report.results:
        for finding in doc.findings:
            if finding.rule_id not in index:
                index[finding.rule_id] = len(rules)
                rule: dict[str, Any] = {
                    "id": finding.rule_id,
                    "shortDescription": {
                        "text": f"{finding.rule_id} ({finding.plugin or 'plugin'})"
                    },
                    "defaultConfiguration": {"level": _SARIF_LEVEL[Severity(finding.severity)]},
                }
                if finding.remediation:
                    rule["help"] = {"text": finding.remediation}
                rules.append(rule)
            results.append(_sarif_result(doc.path, finding, index[finding.rule_id]))
    notifications = [{"level": "error", "message": {"text": error}} for error in report.errors]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "cloudcraver",
                "version": tool_version,
                "rules": rules,
            }
        },
        "results": results,
        "invocations": [
            {
                "executionSuccessful": not report.errors,
                "toolExecutionNotifications": notifications,
            }
        ],
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"
