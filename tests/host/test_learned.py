"""What the host remembers of plugins without a manifest (LearnedFacts)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cloudcraver_host.discovery import PluginRecord
from cloudcraver_host.learned import LearnedFacts

RECORD = PluginRecord(
    name="Plain_Demo",
    version="1.0.0",
    distribution="cc-test-plain",
    entry_point="cc_test_plain",
    kind="environment",
    location="/site-packages/cc_test_plain-1.0.0.dist-info",
)


def test_a_fact_is_kept_across_instances(tmp_path: Path) -> None:
    LearnedFacts(tmp_path).put(RECORD, "hooks", ["validate_document"])
    again = LearnedFacts(tmp_path)
    assert again.get(RECORD, "hooks") == ["validate_document"]
    assert again.get(RECORD, "templates") is None
    # keyed by the normalised plugin name
    assert again.get(replace(RECORD, name="plain-demo"), "hooks") == ["validate_document"]


def test_another_version_or_location_knows_nothing(tmp_path: Path) -> None:
    facts = LearnedFacts(tmp_path)
    facts.put(RECORD, "hooks", ["validate_document"])
    assert facts.get(replace(RECORD, version="1.0.1"), "hooks") is None
    assert facts.get(replace(RECORD, location="/elsewhere"), "hooks") is None


def test_a_new_version_forgets_everything_learned_of_the_old_one(tmp_path: Path) -> None:
    facts = LearnedFacts(tmp_path)
    facts.put(RECORD, "hooks", ["validate_document"])
    facts.put(RECORD, "templates", [{"name": "plain-note"}])
    upgraded = replace(RECORD, version="2.0.0")
    facts.put(upgraded, "hooks", ["render_template"])

    for reader in (facts, LearnedFacts(tmp_path)):
        assert reader.get(upgraded, "hooks") == ["render_template"]
        assert reader.get(upgraded, "templates") is None
        assert reader.get(RECORD, "hooks") is None


def test_a_copy_in_another_place_forgets_what_the_other_copy_offered(tmp_path: Path) -> None:
    facts = LearnedFacts(tmp_path)
    facts.put(RECORD, "templates", [{"name": "plain-note"}])
    checkout = replace(RECORD, kind="checkout", location="/work/cc-test-plain")
    facts.put(checkout, "hooks", ["validate_document"])
    assert facts.get(checkout, "hooks") == ["validate_document"]
    assert facts.get(checkout, "templates") is None  # learned of the other copy's code


def test_plugins_are_kept_apart(tmp_path: Path) -> None:
    facts = LearnedFacts(tmp_path)
    other = replace(RECORD, name="other", location="/other")
    facts.put(RECORD, "hooks", ["a"])
    facts.put(other, "hooks", ["b"])
    reread = LearnedFacts(tmp_path)
    assert (reread.get(RECORD, "hooks"), reread.get(other, "hooks")) == (["a"], ["b"])


@pytest.mark.parametrize(
    "content",
    [b"\x00 not json", b"", b"[1, 2]", b'{"plain-demo": "not an entry"}', b'{"plain-demo": 3}'],
    ids=["garbage", "empty", "a-list", "entry-a-string", "entry-a-number"],
)
def test_a_corrupt_file_is_tolerated_and_replaced(tmp_path: Path, content: bytes) -> None:
    facts = LearnedFacts(tmp_path)
    facts.path.write_bytes(content)
    assert facts.get(RECORD, "hooks") is None
    facts.put(RECORD, "hooks", ["validate_document"])
    data = json.loads(facts.path.read_text(encoding="utf-8"))
    assert data["plain-demo"]["hooks"] == ["validate_document"]
    assert LearnedFacts(tmp_path).get(RECORD, "hooks") == ["validate_document"]


def test_an_unwritable_folder_only_costs_speed(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    facts = LearnedFacts(blocked / "cache")
    facts.put(RECORD, "hooks", ["validate_document"])  # no error
    assert facts.get(RECORD, "hooks") == ["validate_document"]  # known for this run
    assert LearnedFacts(blocked / "cache").get(RECORD, "hooks") is None


def test_putting_what_is_known_does_not_write(tmp_path: Path) -> None:
    facts = LearnedFacts(tmp_path)
    facts.put(RECORD, "hooks", ["validate_document"])
    facts.path.write_text("{}", encoding="utf-8")  # changed behind its back
    facts.put(RECORD, "hooks", ["validate_document"])
    assert facts.path.read_text(encoding="utf-8") == "{}"
