"""Developer sessions: nox -s tests | lint | typecheck | bench."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


def install_project(session: nox.Session, extra: str = "test") -> None:
    session.install("-e", "./hookspecs", "-e", f".[{extra}]")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole test suite (builds plugin wheels and a virtualenv of its own)."""
    install_project(session)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on everything."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the host and the contract."""
    install_project(session)
    session.install("mypy>=1.10", "types-PyYAML")
    session.run("mypy")


@nox.session
def checkov(session: nox.Session) -> None:
    """checkov in an environment of its own (it pins old dependencies); the tests run it there.

    The tests find it at .nox/checkov/bin/checkov, or wherever CLOUDCRAVER_CHECKOV points.
    """
    session.install("checkov>=3.2")
    session.run("checkov", "--version")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: each prints medians and ratios measured side by side in one run."""
    install_project(session)
    for script in sorted(Path("benchmarks").glob("bench_*.py")):
        session.run("python", str(script))
