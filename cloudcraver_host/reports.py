"""Validation reports as text for people, JSON for scripts and SARIF 2.1.0 for code scanners."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import Finding, Severity

from .display import escape
from .documents import ValidationReport
from .indented_json import STEP, dumps_indented, write_indented

__all__ = ["iter_json", "iter_sarif", "iter_text", "render_json", "render_sarif", "render_text"]

#: Findings per piece of a report written in pieces.
_CHUNK = 2000

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
    return "".join(iter_text(report))


def iter_text(report: ValidationReport) -> Iterator[str]:
    """:func:`render_text` in pieces, written as they come: a large report is never one string."""
    fixes: dict[str, str] = {}  # a rule's remediation, escaped once
    for result in report.results:
        chunk: list[str] = []
        for finding in result.findings:
            location = finding.location
            line = f":{location.line}" if location and location.line else ""
            resource = f" [{finding.resource}]" if finding.resource else ""
            chunk.append(
                escape(
                    f"{result.path}{line}: {_severity(finding)} "
                    f"{finding.rule_id}: {finding.message}{resource}"
                )
                + "\n"
            )
            remediation = finding.remediation
            if remediation:
                fix = fixes.get(remediation)
                if fix is None:
                    fix = fixes[remediation] = f"    fix: {escape(remediation)}\n"
                chunk.append(fix)
            if len(chunk) >= _CHUNK:
                yield "".join(chunk)
                chunk.clear()
        yield "".join(chunk)
    counts = _summary(report)
    yield (
        f"{counts['findings']} finding(s) in {counts['files']} file(s): "
        f"{counts['errors']} error(s), {counts['warnings']} warning(s), {counts['info']} info"
        + (
            f"; {counts['unreadable']} file(s) could not be validated"
            if counts["unreadable"]
            else ""
        )
        + "\n"
    )


def _severity(finding: Finding) -> str:
    severity = finding.severity
    return severity.value if type(severity) is Severity else Severity(severity).value


def render_json(report: ValidationReport) -> str:
    """The report as JSON: every file with its format, findings or error, and a summary."""
    return "".join(iter_json(report))


def iter_json(report: ValidationReport) -> Iterator[str]:
    """:func:`render_json` in pieces of a few thousand findings.

    The text is ``json.dumps(data, indent=2)`` of the report's data (:mod:`.indented_json`).
    """
    if not report.results:
        yield '{\n  "files": [],\n  "summary": '
    else:
        yield '{\n  "files": ['
        separator = "\n    "
        for result in report.results:
            out = [separator]
            head = {"path": result.path, "format": result.format, "error": result.error}
            write_indented(head, "    ", out)
            out.pop()  # its closing "\n    }": the file's findings go inside
            out.append(',\n      "findings": ')
            yield from _in_chunks((f.to_dict() for f in result.findings), "      ", out, "\n    }")
            separator = ",\n    "
        yield '\n  ],\n  "summary": '
    yield dumps_indented(_summary(report)).replace("\n", "\n  ") + "\n}\n"


def _in_chunks(items: Iterable[Any], indent: str, out: list[str], closing: str) -> Iterator[str]:
    """What ``out`` holds, a JSON list of ``items`` at depth ``indent``, then ``closing``.

    Given back in pieces of a few thousand items.
    """
    inner = indent + STEP
    separator = "[\n" + inner
    count = 0
    for item in items:
        out.append(separator)
        write_indented(item, inner, out)
        separator = ",\n" + inner
        count += 1
        if count % _CHUNK == 0:
            yield "".join(out)
            out.clear()
    out.append(("\n" + indent + "]" if count else "[]") + closing)
    yield "".join(out)


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
    return "".join(iter_sarif(report, tool_version=tool_version))


def iter_sarif(report: ValidationReport, *, tool_version: str) -> Iterator[str]:
    """:func:`render_sarif` in pieces of a few thousand results.

    The text is ``json.dumps(log, indent=2)`` (:mod:`.indented_json`).
    """
    rules, index = _sarif_rules(report)
    tool = {"driver": {"name": "cloudcraver", "version": tool_version, "rules": rules}}
    notifications = [{"level": "error", "message": {"text": error}} for error in report.errors]
    invocations = [
        {"executionSuccessful": not report.errors, "toolExecutionNotifications": notifications}
    ]
    head = {"$schema": SARIF_SCHEMA, "version": "2.1.0"}
    out = [dumps_indented(head)[: -len("\n}")], ',\n  "runs": [\n    {\n      "tool": ']
    write_indented(tool, "      ", out)
    out.append(',\n      "results": ')
    results = (
        _sarif_result(doc.path, finding, index[finding.rule_id])
        for doc in report.results
        for finding in doc.findings
    )
    yield from _in_chunks(results, "      ", out, ',\n      "invocations": ')
    out = []
    write_indented(invocations, "      ", out)
    out.append("\n    }\n  ]\n}\n")
    yield "".join(out)


def _sarif_rules(report: ValidationReport) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The rules of the findings, in order of first finding, and their positions."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
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
    return rules, index
