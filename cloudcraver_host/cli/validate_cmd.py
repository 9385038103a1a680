"""``cloudcraver validate FILE...``: check infrastructure files with every validator plugin."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..errors import EXIT_FINDINGS, EXIT_USAGE
from .context import command, eprint, one_line, state_of

if TYPE_CHECKING:
    from ..documents import ValidationReport


class ReportFormat(str, enum.Enum):
    """How the report is printed."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


class FailOn(str, enum.Enum):
    """The least severe finding that makes the command fail."""

    ERROR = "error"
    WARNING = "warning"


@command
def validate(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Files or folders to validate."),
    report_format: ReportFormat = typer.Option(ReportFormat.TEXT, "--format", "-f"),
    fail_on: FailOn = typer.Option(
        FailOn.ERROR, "--fail-on", help="Exit 1 when a finding is at least this severe."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to FILE."),
    jobs: int | None = typer.Option(
        None,
        "--jobs",
        "-j",
        min=1,
        help="Processes sharing the files (default: one per processor; 1: none).",
    ),
    skip_unreadable: bool = typer.Option(
        False,
        "--skip-unreadable",
        help="Skip folders that cannot be read, with a warning (default: an error, exit 2).",
    ),
) -> None:
    """Validate infrastructure files (CloudFormation, Terraform, ARM...) with every validator.

    Exit codes: 0 no finding at or above --fail-on; 1 such findings; 2 a file or folder
    could not be read or parsed.
    """
    from cloudcraver_hookspecs import Severity

    from ..collector import collector_paused
    from ..documents import expand_paths, validate_files

    host = state_of(ctx).host()
    found = expand_paths(
        files,
        warn=lambda message: eprint(f"warning: {one_line(message)}"),
        skip_unreadable=skip_unreadable,
    )
    with collector_paused():  # millions of objects, no cycles: see collector.py
        report = validate_files(host, list(found), jobs=jobs)
        _print_report(report, report_format, output)
    for error in report.errors:
        eprint(f"error: {one_line(error)}")
    if report.errors:
        raise typer.Exit(EXIT_USAGE)
    if report.fails(Severity(fail_on.value)):
        raise typer.Exit(EXIT_FINDINGS)


def _print_report(
    report: ValidationReport, report_format: ReportFormat, output: Path | None
) -> None:
    """Print the report, or write it to ``output``."""
    from .. import __version__
    from ..reports import iter_json, iter_sarif, iter_text

    if report_format is ReportFormat.JSON:
        pieces = iter_json(report)
    elif report_format is ReportFormat.SARIF:
        pieces = iter_sarif(report, tool_version=__version__)
    else:
        pieces = iter_text(report)
    if output is not None:
        from .output import write_output

        write_output(output, "".join(pieces))
    else:
        # Printed piece by piece: a report of 270,000 findings is never one string.
        for piece in pieces:
            typer.echo(piece, nl=False)
