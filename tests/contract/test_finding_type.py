"""``Finding``'s handwritten ``__init__`` keeps the dataclass's behaviour."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest
from cloudcraver_hookspecs import Finding, Location, Severity


def _full() -> Finding:
    return Finding("R", Severity.ERROR, "m", "res", Location("f", 2, None, "/p"), "fix", "pl")


def test_fields_defaults_and_keywords() -> None:
    short = Finding("R", Severity.INFO, "m")
    assert (short.resource, short.location, short.remediation, short.plugin) == (None,) * 4
    by_keyword = Finding(
        rule_id="R",
        severity=Severity.ERROR,
        message="m",
        resource="res",
        location=Location("f", 2, None, "/p"),
        remediation="fix",
        plugin="pl",
    )
    assert by_keyword == _full() and hash(by_keyword) == hash(_full())
    assert vars(_full()) == {f.name: getattr(_full(), f.name) for f in dataclasses.fields(Finding)}
    with pytest.raises(TypeError):
        Finding("R", Severity.INFO)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Finding("R", Severity.INFO, "m", unknown=1)  # type: ignore[call-arg]


def test_frozen_compared_and_shown_like_a_dataclass() -> None:
    finding = _full()
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.plugin = "other"  # type: ignore[misc]
    assert finding != dataclasses.replace(finding, plugin="other")
    assert repr(finding) == (
        "Finding(rule_id='R', severity=<Severity.ERROR: 'error'>, message='m', resource='res', "
        "location=Location(file='f', line=2, column=None, path='/p'), remediation='fix', "
        "plugin='pl')"
    )


def test_copied_pickled_replaced_and_subclassed() -> None:
    finding = _full()
    assert pickle.loads(pickle.dumps(finding)) == finding
    assert copy.deepcopy(finding) == finding and copy.copy(finding) == finding
    assert dataclasses.replace(finding, message="n").message == "n"
    assert dataclasses.asdict(finding)["location"] == {
        "file": "f",
        "line": 2,
        "column": None,
        "path": "/p",
    }

    @dataclasses.dataclass(frozen=True)
    class Tagged(Finding):
        tag: str = "t"

    tagged = Tagged("R", Severity.INFO, "m", tag="x")
    assert (tagged.tag, tagged.plugin) == ("x", None)
    assert pickle.loads(pickle.dumps(_full())).to_dict() == _full().to_dict()
