"""Validation reports as text for people, JSON for scripts and SARIF 2.1.0 for code scanners."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

from cloudcraver_hookspecs import Finding, Location, Severity

from .display import escape
from .documents import ValidationReport
from .indented_json import STEP, dumps_indented, write_indented

__all__ = ["iter_json", "iter_sarif", "iter_text", "render_json", "render_sarif", "render_text"]

#: Findings per piece of a report written in pieces.
_CHUNK = 2000

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: A severity's text, without the enum's ``value`` property.
_SEVERITY_TEXT: dict[object, str] = {member: member.value for member in Severity}
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
    ends: dict[str | None, str] = {None: "\n", "": "\n"}  # a remediation's line, escaped once
    for result in report.results:
        chunk: list[str] = []
        path = result.path
        for finding in result.findings:
            location = finding.location
            line = f":{location.line}" if location and location.line else ""
            resource = f" [{finding.resource}]" if finding.resource else ""
            severity = _SEVERITY_TEXT.get(finding.severity) or _severity(finding)
            text = f"{path}{line}: {severity} {finding.rule_id}: {finding.message}{resource}"
            # isprintable() is a C check, False for every character escape() escapes
            # (controls, bidirectional controls, separators, surrogates) and for more.
            chunk.append(text if text.isprintable() else escape(text))
            remediation = finding.remediation
            end = ends.get(remediation)
            if end is None:
                end = ends[remediation] = f"\n    fix: {escape(remediation)}\n"  # type: ignore[arg-type]
            chunk.append(end)
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
            writer = _FindingWriter("      " + STEP).write
            yield from _in_chunks(result.findings, "      ", out, "\n    }", writer)
            separator = ",\n    "
        yield '\n  ],\n  "summary": '
    yield dumps_indented(_summary(report)).replace("\n", "\n  ") + "\n}\n"


def _in_chunks(
    items: Iterable[Any],
    indent: str,
    out: list[str],
    closing: str,
    write: Callable[[Any, str, list[str]], None] = write_indented,
) -> Iterator[str]:
    """What ``out`` holds, a JSON list of ``items`` at depth ``indent``, then ``closing``.

    Given back in pieces of a few thousand items; ``write`` writes one item.
    """
    inner = indent + STEP
    separator = "[\n" + inner
    count = 0
    for item in items:
        out.append(separator)
        write(item, inner, out)
        separator = ",\n" + inner
        count += 1
        if count % _CHUNK == 0:
            yield "".join(out)
            out.clear()
    out.append(("\n" + indent + "]" if count else "[]") + closing)
    yield "".join(out)


class _FindingWriter:
    """Writes a finding as ``write_indented(finding.to_dict(), ...)`` would, without the dict.

    A report may hold 270,000 findings: building two dictionaries for each and walking
    them took 1.6 s. The texts that repeat (a rule, its remediation, the plugin, the
    file) are encoded once. The result is checked
    against ``json.dumps(..., indent=2)`` by ``tests/host/test_reports.py``.
    """

    def __init__(self, indent: str) -> None:
        self.indent = indent
        inner = ",\n" + indent + STEP
        self.keys = {key: f'{inner}"{key}": ' for key in _FINDING_KEYS}
        self.encoded: dict[str, str] = {}
        inner += STEP
        self.location_keys = {
            key: f'{inner}"{key}": ' for key in ("file", "line", "column", "path")
        }
        self.location_end = "\n" + indent + STEP + "}"

    def write(self, finding: Finding, indent: str, out: list[str]) -> None:
        """Append ``finding`` at depth ``indent`` (the writer's) to ``out``."""
        resource, location = finding.resource, finding.location
        remediation, plugin = finding.remediation, finding.plugin
        if (
            indent != self.indent
            or type(finding) is not Finding  # a subclass may have its own to_dict
            or type(finding.rule_id) is not str
            or type(finding.message) is not str
            or not (resource is None or type(resource) is str)
            or not (remediation is None or type(remediation) is str)
            or not (plugin is None or type(plugin) is str)
        ):
            write_indented(finding.to_dict(), indent, out)
            return
        keys, encoded = self.keys, self.encoded
        severity = _SEVERITY_TEXT.get(finding.severity) or Severity(finding.severity).value
        out.append("{" + keys["rule_id"][1:])
        out.append(encoded.get(finding.rule_id) or self._encode(finding.rule_id))
        out.append(keys["severity"] + encode_basestring_ascii(severity))
        out.append(keys["message"] + encode_basestring_ascii(finding.message))
        if resource is not None:
            out.append(keys["resource"] + encode_basestring_ascii(resource))
        if location is not None:
            out.append(keys["location"] + self._location(location))
        if remediation is not None:
            out.append(
                keys["remediation"] + (encoded.get(remediation) or self._encode(remediation))
            )
        if plugin is not None:
            out.append(keys["plugin"] + (encoded.get(plugin) or self._encode(plugin)))
        out.append("\n" + indent + "}")

    def _encode(self, text: str) -> str:
        result = self.encoded[text] = encode_basestring_ascii(text)
        return result

    def _location(self, location: Location) -> str:
        file, line, column, path = location.file, location.line, location.column, location.path
        if (
            type(location) is not Location  # a subclass: its own to_dict
            or type(file) is not str
            or not (line is None or type(line) is int)
            or not (column is None or type(column) is int)
            or not (path is None or type(path) is str)
        ):
            piece: list[str] = []
            write_indented(location.to_dict(), self.indent + STEP, piece)
            return "".join(piece)
        keys = self.location_keys
        text = keys["file"][1:] + (self.encoded.get(file) or self._encode(file))
        if line is not None:
            text += keys["line"] + int.__repr__(line)
        if column is not None:
            text += keys["column"] + int.__repr__(column)
        if path is not None:
            text += keys["path"] + encode_basestring_ascii(path)
        return "{" + text + self.location_end


_FINDING_KEYS = ("rule_id", "severity", "message", "resource", "location", "remediation", "plugin")


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
