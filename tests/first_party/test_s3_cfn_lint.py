"""cfn-lint, run in process, finds no error and no warning in any aws-s3-bucket template.

Held to it: the default template (YAML and JSON), every boolean and enum option of the
parameter schema flipped one at a time (see :func:`.s3_cases.schema_flips`) and the
combined configurations, in YAML, and in JSON for the reviewed ones (both formats describe
the same template: ``test_s3_options`` checks that for every case). cfn-lint's
informational rules run too, but their matches are not failures (they are advice, such as
preferring dynamic references); errors (E) and warnings (W) are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.rules import Match
from cfnlint.runner import Runner

from .helpers import render
from .s3_cases import FIXED_COMBINATIONS, Case, all_combinations, schema_flips

Lint = Callable[[str], list[Match]]

FLIPS = schema_flips()
COMBINATIONS = all_combinations()


@pytest.fixture(scope="module")
def lint() -> Lint:
    """Lint a template text; one runner (its rules loaded once) for the whole module."""
    runner = Runner(ConfigMixIn(regions=["us-east-1"], include_checks=["I"]))

    def run(text: str) -> list[Match]:
        template, errors = decode_str(text)
        if errors:
            return list(errors)
        assert template is not None
        return list(runner.validate_template(template))

    return run


def problems(lint: Lint, fmt: str, params: dict[str, Any]) -> list[str]:
    """The errors and warnings of the template rendered from ``params``, one line each."""
    text = render(fmt, **params)
    return [
        f"{match.rule.id} line {match.linenumber}: {match.message}"
        for match in lint(text)
        if match.rule.id[0] in "EW"
    ]


def assert_clean(lint: Lint, fmt: str, params: dict[str, Any]) -> None:
    found = problems(lint, fmt, params)
    assert found == [], f"parameters {json.dumps(params)} ({fmt}):\n" + "\n".join(found)


def test_cfn_lint_reports_errors_and_warnings(lint: Lint) -> None:
    # The harness itself: a broken value and a half-protected resource are reported.
    text = render("yaml")
    broken = text.replace("SSEAlgorithm: AES256", "SSEAlgorithm: AES512", 1)
    assert any(match.rule.id.startswith("E") for match in lint(broken))
    unprotected = text.replace("    UpdateReplacePolicy: Retain\n", "", 1)
    assert "W3011" in {match.rule.id for match in lint(unprotected)}


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_default_template_is_clean(lint: Lint, fmt: str) -> None:
    assert_clean(lint, fmt, {})


def test_every_flip_is_a_valid_parameter_set() -> None:
    # A new option whose values need an example or a companion fails here, by name.
    invalid = []
    for case in FLIPS:
        try:
            case.model()
        except ValueError as exc:
            invalid.append(f"{case.id}: {exc}")
    assert invalid == [], "add to s3_cases.BASES or COMPANIONS:\n" + "\n".join(invalid)


def test_flips_cover_the_options_of_the_schema() -> None:
    ids = {case.id.split("=")[0] for case in FLIPS}
    for expected in (
        "versioning",
        "encryption",
        "block_public_access",
        "object_ownership",
        "access_logging.enabled",
        "website.public",
        "replication.storage_class",
        "object_lock.mode",
        "update_replace_policy",
        "lifecycle[].transitions[].storage_class",
        "cors[].allowed_methods",
    ):
        assert expected in ids


def test_there_are_at_least_50_valid_distinct_combinations() -> None:
    distinct = {json.dumps(case.params, sort_keys=True) for case in COMBINATIONS}
    assert len(distinct) == len(COMBINATIONS) >= 50
    for case in COMBINATIONS:
        case.model()  # raises if a combination is invalid


@pytest.mark.parametrize("case", FLIPS, ids=lambda case: case.id)
def test_schema_flip_is_clean(lint: Lint, case: Case) -> None:
    assert_clean(lint, "yaml", case.params)


@pytest.mark.parametrize("case", COMBINATIONS, ids=lambda case: case.id)
def test_combination_is_clean(lint: Lint, case: Case) -> None:
    assert_clean(lint, "yaml", case.params)


@pytest.mark.parametrize("case", FIXED_COMBINATIONS, ids=lambda case: case.id)
def test_combination_is_clean_in_json(lint: Lint, case: Case) -> None:
    assert_clean(lint, "json", case.params)
