"""checkov's CloudFormation S3 checks on aws-s3-bucket templates.

checkov runs once for the module (it takes seconds to start) over a folder holding the
default template (YAML and JSON), every combined configuration and one template per option
that trades checks away. It runs in its own environment (``nox -s checkov``), offline:
``--skip-download`` and ``BC_SKIP_MAPPING`` skip the platform calls, no API key is passed,
``CKV_SKIP_PACKAGE_UPDATE_CHECK`` skips the PyPI version check, and every proxy variable
points at a closed loopback port so that anything else trying to go out fails instead.

What is held:

- the default template and every hardened combination (no option of :data:`.TRADES`) pass
  all nine checks; the log bucket the template creates passes eight and skips CKV_AWS_18 in
  its own Metadata, with the reason;
- every configuration fails exactly the checks its options trade away, and each option of
  the docs table fails exactly the checks the table lists.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cloudcraver_plugins.aws_s3.render import LOG_BUCKET_SKIPPED_CHECKS

from .helpers import render
from .s3_cases import (
    CHECKOV_S3_CHECKS,
    TRADES,
    Case,
    all_combinations,
    traded_checks,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "first-party-plugins.md"
COMBINATIONS = all_combinations()
HARDENED = [case for case in COMBINATIONS if not traded_checks(case.model())]
TRADE_CASES = {
    f"trade-{index}": (option, params, checks)
    for index, (option, (params, checks)) in enumerate(sorted(TRADES.items()))
}
# Nothing may leave the machine: a proxy nobody listens on (port 9, "discard").
_DEAD_PROXY = "http://127.0.0.1:9"


@dataclass
class CheckovRun:
    """The results of one checkov run: ``results[file][resource][check] = (result, comment)``."""

    results: dict[str, dict[str, dict[str, tuple[str, str | None]]]]
    summary: dict[str, Any]
    files: list[str]
    seconds: float

    def of(self, file: str, resource: str) -> dict[str, tuple[str, str | None]]:
        """The results of one bucket of one template."""
        return self.results.get(file, {}).get(resource, {})

    def failed(self, file: str, resource: str) -> set[str]:
        """The checks one bucket of one template fails."""
        results = self.of(file, resource)
        return {check for check, (result, _) in results.items() if result == "FAILED"}


def _environment(home: Path) -> dict[str, str]:
    # Built from nothing rather than copied: no credential or API key of the developer's
    # environment reaches checkov.
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "BC_SKIP_MAPPING": "TRUE",
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
        "LOG_LEVEL": "WARNING",
    }
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        environment[variable] = _DEAD_PROXY
    environment["NO_PROXY"] = environment["no_proxy"] = ""
    return environment


def _write_templates(folder: Path) -> None:
    files = {"default.yaml": render("yaml"), "default.json": render("json")}
    for case in COMBINATIONS:
        files[f"{case.id}.yaml"] = render("yaml", **case.params)
    for name, (_, params, _) in TRADE_CASES.items():
        files[f"{name}.yaml"] = render("yaml", **params)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def _run_checkov(checkov: Path, folder: Path, home: Path) -> dict[str, Any]:
    """checkov's JSON report on ``folder`` and how long the run took."""
    started = time.perf_counter()
    completed = subprocess.run(
        [
            str(checkov),
            "--directory",
            str(folder),
            "--framework",
            "cloudformation",
            "--check",
            ",".join(CHECKOV_S3_CHECKS),
            "--output",
            "json",
            "--skip-download",
            "--compact",
        ],
        capture_output=True,
        text=True,
        cwd=home,
        env=_environment(home),
        timeout=600,
        check=False,
    )
    seconds = time.perf_counter() - started
    # 0: all passed, 1: some failed (expected for the traded options); anything else broke.
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    report = json.loads(completed.stdout)
    assert isinstance(report, dict), "expected one cloudformation report"
    return {"report": report, "seconds": seconds}


@pytest.fixture(scope="module")
def checkov_run(checkov: Path, tmp_path_factory: pytest.TempPathFactory) -> CheckovRun:
    """checkov's results on every template of this module, from one run per test session.

    Under pytest-xdist the first worker runs checkov under a file lock in the run's shared
    temporary folder and the others read its report.
    """
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by every worker of this run
    root = base / "checkov-s3"
    with FileLock(str(root) + ".lock"):
        saved = root / "report.json"
        if saved.is_file():
            run = json.loads(saved.read_text(encoding="utf-8"))
        else:
            folder, home = root / "templates", root / "home"
            folder.mkdir(parents=True)
            home.mkdir()
            _write_templates(folder)
            run = _run_checkov(checkov, folder, home)
            saved.write_text(json.dumps(run), encoding="utf-8")
    files = sorted(path.name for path in (root / "templates").iterdir())
    report, seconds = run["report"], run["seconds"]
    results: dict[str, dict[str, dict[str, tuple[str, str | None]]]] = {}
    for kind in ("passed_checks", "failed_checks", "skipped_checks"):
        for item in report["results"].get(kind, []):
            file = Path(item["file_path"]).name
            resource = item["resource"].split(".", 1)[1]  # "AWS::S3::Bucket.Bucket"
            outcome = item["check_result"]
            bucket = results.setdefault(file, {}).setdefault(resource, {})
            bucket[item["check_id"]] = (outcome["result"], outcome.get("suppress_comment"))
    print(f"checkov: {len(files)} templates in {seconds:.1f} s")  # shown with -s / -rP
    return CheckovRun(results, report["summary"], files, seconds)


def assert_log_bucket_hardened(run: CheckovRun, file: str) -> None:
    results = run.of(file, "LogBucket")
    assert set(results) == set(CHECKOV_S3_CHECKS), file
    for check, (result, comment) in results.items():
        if check in LOG_BUCKET_SKIPPED_CHECKS:
            assert (result, comment) == ("SKIPPED", LOG_BUCKET_SKIPPED_CHECKS[check]), file
        else:
            assert result == "PASSED", f"{file}: LogBucket {check} {result}"


def test_checkov_read_every_template(checkov_run: CheckovRun) -> None:
    assert checkov_run.summary["parsing_errors"] == 0
    assert sorted(checkov_run.results) == checkov_run.files
    for file in checkov_run.files:
        assert set(checkov_run.of(file, "Bucket")) == set(CHECKOV_S3_CHECKS), file


@pytest.mark.parametrize("file", ["default.yaml", "default.json"])
def test_default_template_passes_every_check(checkov_run: CheckovRun, file: str) -> None:
    results = checkov_run.of(file, "Bucket")
    assert {check: result for check, (result, _) in results.items()} == dict.fromkeys(
        CHECKOV_S3_CHECKS, "PASSED"
    )
    assert_log_bucket_hardened(checkov_run, file)
    assert set(checkov_run.results[file]) == {"Bucket", "LogBucket"}


def test_there_are_hardened_combinations() -> None:
    assert len(HARDENED) >= 20
    kinds = {json.dumps(sorted(case.params)) for case in HARDENED}
    assert len(kinds) > 10  # varied, not one configuration over and over


@pytest.mark.parametrize("case", HARDENED, ids=lambda case: case.id)
def test_hardened_combination_passes_every_check(checkov_run: CheckovRun, case: Case) -> None:
    file = f"{case.id}.yaml"
    results = checkov_run.of(file, "Bucket")
    assert {check: result for check, (result, _) in results.items()} == dict.fromkeys(
        CHECKOV_S3_CHECKS, "PASSED"
    ), json.dumps(case.params)
    if case.model().access_logging.creates_bucket:
        assert_log_bucket_hardened(checkov_run, file)


@pytest.mark.parametrize("case", COMBINATIONS, ids=lambda case: case.id)
def test_combination_fails_exactly_its_traded_checks(checkov_run: CheckovRun, case: Case) -> None:
    file = f"{case.id}.yaml"
    expected = traded_checks(case.model())
    assert checkov_run.failed(file, "Bucket") == expected, json.dumps(case.params)
    if case.model().access_logging.creates_bucket:
        assert_log_bucket_hardened(checkov_run, file)


@pytest.mark.parametrize("name", sorted(TRADE_CASES), ids=lambda name: TRADE_CASES[name][0])
def test_traded_option_fails_exactly_the_documented_checks(
    checkov_run: CheckovRun, name: str
) -> None:
    _, _, checks = TRADE_CASES[name]
    assert checkov_run.failed(f"{name}.yaml", "Bucket") == checks


def documented_trades() -> dict[str, frozenset[str]]:
    """The "option | checkov checks it trades away" table of the docs' S3 section."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## `aws-s3`", 1)[1].split("\n## ", 1)[0]
    header = re.search(r"^\| option \| checkov checks it trades away \|.*$", section, re.M)
    assert header is not None, "the S3 section has no 'option | checkov checks...' table"
    rows = section[header.end() :].strip().splitlines()[1:]  # after the |---| line
    table = {}
    for row in rows:
        if not row.startswith("|"):
            break
        option, checks = (cell.strip() for cell in row.strip("|").split("|")[:2])
        table[option] = frozenset(re.findall(r"CKV_AWS_\d+", checks))
    return table


def test_docs_table_lists_exactly_the_traded_checks() -> None:
    assert documented_trades() == {option: checks for option, (_, checks) in TRADES.items()}
