"""Reports written in pieces: the same text as one ``json.dumps(..., indent=2)``.

The JSON and SARIF reports are streamed (:func:`iter_json`, :func:`iter_sarif`) so that
a report of hundreds of thousands of findings is never one string; what they write is
checked here against the data as ``json.dumps`` writes it.
"""

from __future__ import annotations

import json
from typing import Any

from cloudcraver_hookspecs import Finding, Location, Severity

from cloudcraver_host import reports
from cloudcraver_host.documents import DocumentResult, ValidationReport


def _findings(path: str, count: int) -> list[Finding]:
    return [
        Finding(
            rule_id=f"rule-{index % 3}",
            severity=(Severity.ERROR, Severity.WARNING, Severity.INFO)[index % 3],
            message=f'bucket b{index} \u00e9 "quoted"\nnext',
            resource=f"aws_s3_bucket.b{index}" if index % 2 else None,
            location=Location(file=path, line=index or None, column=index % 4 or None, path="/x")
            if index % 5
            else None,
            remediation="fix it" if index % 3 else None,
            plugin="policy" if index % 7 else None,
        )
        for index in range(count)
    ]


def _report(count: int) -> ValidationReport:
    return ValidationReport(
        results=[
            DocumentResult(path="a.yaml", format="cloudformation", findings=_findings("a", count)),
            DocumentResult(path="empty.tf", format="terraform"),
            DocumentResult(path="bad.json", error="bad.json: not JSON"),
            DocumentResult(path="/abs/b.tf.json", format="terraform", findings=_findings("b", 3)),
        ]
    )


def _json_data(report: ValidationReport) -> dict[str, Any]:
    return {
        "files": [
            {
                "path": result.path,
                "format": result.format,
                "error": result.error,
                "findings": [f.to_dict() for f in result.findings],
            }
            for result in report.results
        ],
        "summary": reports._summary(report),
    }


def test_json_report_is_json_dumps_indented() -> None:
    # More findings than one piece holds, so that the pieces' seams are checked too.
    report = _report(reports._CHUNK * 2 + 7)
    expected = json.dumps(_json_data(report), indent=2) + "\n"
    assert reports.render_json(report) == expected
    assert len(list(reports.iter_json(report))) > 3
    empty = ValidationReport()
    assert reports.render_json(empty) == json.dumps(_json_data(empty), indent=2) + "\n"


def test_sarif_report_is_json_dumps_indented() -> None:
    report = _report(reports._CHUNK + 1)
    text = reports.render_sarif(report, tool_version="1.0")
    assert text == json.dumps(json.loads(text), indent=2) + "\n"
    data = json.loads(text)
    assert len(data["runs"][0]["results"]) == reports._CHUNK + 1 + 3
    assert [r["id"] for r in data["runs"][0]["tool"]["driver"]["rules"]] == [
        "rule-0",
        "rule-1",
        "rule-2",
    ]
    assert data["runs"][0]["invocations"][0]["executionSuccessful"] is False
    empty = reports.render_sarif(ValidationReport(), tool_version="1.0")
    assert empty == json.dumps(json.loads(empty), indent=2) + "\n"


def test_text_report_lines() -> None:
    report = _report(reports._CHUNK + 1)
    text = reports.render_text(report)
    lines = text.splitlines()
    assert lines[0] == 'a.yaml: error rule-0: bucket b0 \u00e9 "quoted"\\nnext'
    assert (
        lines[1] == 'a.yaml:1: warning rule-1: bucket b1 \u00e9 "quoted"\\nnext [aws_s3_bucket.b1]'
    )
    assert lines[2] == "    fix: fix it"
    assert lines[-1] == (
        f"{reports._CHUNK + 4} finding(s) in 4 file(s): 668 error(s), 668 warning(s), 668 info;"
        " 1 file(s) could not be validated"
    )


def test_json_report_of_unusual_findings_is_json_dumps_indented() -> None:
    # The findings the JSON writer does not write field by field: each must come out as
    # json.dumps(to_dict()) writes it.
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Tagged(Finding):
        tag: str = "t"

        def to_dict(self) -> dict[str, Any]:
            return {**super().to_dict(), "tag": self.tag}

    @dataclass(frozen=True)
    class Spot(Location):
        def to_dict(self) -> dict[str, Any]:
            return {**super().to_dict(), "spot": True}

    shared = Location(file="a", line=3, path="/p")
    findings = [
        Tagged("r", Severity.ERROR, "m", location=shared),
        Finding("r", "warning", "plain severity text", location=shared),  # type: ignore[arg-type]
        Finding("r", Severity.INFO, "m", resource=7, location=Spot("a", 3)),  # type: ignore[arg-type]
        Finding("r", Severity.INFO, "m", location=Location("a", True, 2.5)),  # type: ignore[arg-type]
        Finding("", Severity.INFO, "", resource="", remediation="", plugin=""),
        Finding("r\u202e", Severity.INFO, "\ud800\n", location=shared, plugin="p"),
    ]
    report = ValidationReport(results=[DocumentResult("a", "terraform", findings=findings)])
    assert reports.render_json(report) == json.dumps(_json_data(report), indent=2) + "\n"


def test_text_report_escapes_what_the_files_wrote() -> None:
    unsafe = "\x00\x1b\x7f\x85\u061c\u200e\u2028\u2029\u202e\u2066\ud800\t\r\n"
    findings = [
        Finding(f"rule-{char!r}", Severity.ERROR, f"m{char}", resource=f"r{char}")
        for char in unsafe
    ]
    text = reports.render_text(ValidationReport(results=[DocumentResult("a", findings=findings)]))
    lines = text.splitlines()
    assert len(lines) == len(unsafe) + 1, lines
    assert all(char not in text.replace("\n", "") for char in unsafe)
    assert lines[0] == "a: error rule-'\\x00': m\\x00 [r\\x00]"
