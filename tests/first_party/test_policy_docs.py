"""The policy section of docs/first-party-plugins.md lists the rules as the registry has them."""

from __future__ import annotations

from pathlib import Path

from cloudcraver_plugins.policy.rules import BUILTIN_RULES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "first-party-plugins.md"


def policy_rule_rows() -> dict[str, list[str]]:
    section = DOCS.read_text(encoding="utf-8").split("## `policy`", 1)[1]
    table = section.split("| rule | default severity | checkov | checks |", 1)[1]
    rows: dict[str, list[str]] = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_every_rule_is_documented_as_registered() -> None:
    rows = policy_rule_rows()
    assert list(rows) == [rule.id for rule in BUILTIN_RULES]
    for rule in BUILTIN_RULES:
        severity, checkov, description = rows[rule.id]
        assert severity.split(" ")[0] == rule.severity.value, rule.id
        assert ("(opt-in)" in severity) == (not rule.default_enabled), rule.id
        assert checkov == (", ".join(rule.checkov) or "-"), rule.id
        assert description == rule.description, rule.id
