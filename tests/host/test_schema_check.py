"""``schema_check``: configuration checked against JSON schemas pydantic itself emitted.

The schemas here come from real pydantic models (``model_json_schema()``), as plugin
manifests carry them, and every verdict is compared with what pydantic's own validation
(lax mode, the mode plugins' configuration is validated in) says of the same value.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cloudcraver_host.schema_check import schema_problems


class Mode(str, Enum):
    FAST = "fast"
    SAFE = "safe"


class Endpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: int = Field(8080, ge=1, le=65535)
    host: str = Field("localhost", pattern=r"^[a-z][a-z.]*$")


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=10)
    mode: Mode = Mode.FAST
    ratio: float = Field(0.5, gt=0, lt=1)
    enabled: bool = True
    retries: int = 3
    tags: list[str] = Field(default_factory=list, max_length=3)
    endpoint: Endpoint = Endpoint()
    mirrors: list[Endpoint] = Field(default_factory=list)
    either: int | str = 1
    backup: Endpoint | None = None
    flavour: Literal["plain", "salted"] = "plain"


class Lenient(BaseModel):
    """Unknown keys ignored (pydantic's default): the schema allows them."""

    limit: int = 3


SCHEMA = Config.model_json_schema()


def pydantic_accepts(model: type[BaseModel], value: dict[str, Any]) -> bool:
    try:
        model.model_validate(value)
    except ValidationError:
        return False
    return True


VALID = [
    {"name": "ok"},
    {
        "name": "full",
        "mode": "safe",
        "ratio": 0.25,
        "enabled": False,
        "retries": 0,
        "tags": ["a", "b"],
        "endpoint": {"port": 443, "host": "example.org"},
        "mirrors": [{"port": 1}, {"host": "mirror"}],
        "either": "text",
        "backup": None,
        "flavour": "salted",
    },
    # text as environment variables and --config deliver it
    {"name": "env", "ratio": "0.75", "enabled": "true", "retries": "5"},
    {"name": "env", "enabled": "0", "endpoint": {"port": "8081"}},
    {"name": "env", "enabled": "yes", "ratio": ".5"},
    {"name": "env", "enabled": "off", "retries": " 7 "},
    {"name": "env", "ratio": "5e-1"},
    {"name": "union", "either": 3},
    {"name": "optional", "backup": {"port": 22}},
]

INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({}, "name", "required"),
    ({"name": "ok", "nmae": "typo"}, "nmae", "unknown key"),
    ({"name": "ok", "endpoint": {"prot": 1}}, "endpoint.prot", "unknown key"),
    ({"name": "ok", "mode": "slow"}, "mode", "one of 'fast', 'safe'"),
    ({"name": "ok", "flavour": "sweet"}, "flavour", "one of"),
    ({"name": "ok", "ratio": "lots"}, "ratio", "number"),
    ({"name": "ok", "ratio": 1}, "ratio", "less than 1"),
    ({"name": "ok", "ratio": 0}, "ratio", "more than 0"),
    ({"name": "ok", "enabled": "maybe"}, "enabled", "boolean"),
    ({"name": "ok", "retries": "many"}, "retries", "integer"),
    ({"name": "ok", "retries": "2.5"}, "retries", "integer"),
    ({"name": "ok", "endpoint": {"port": 0}}, "endpoint.port", "at least 1"),
    ({"name": "ok", "endpoint": {"port": 70000}}, "endpoint.port", "at most 65535"),
    ({"name": "ok", "endpoint": {"port": "eighty"}}, "endpoint.port", "integer"),
    ({"name": "ok", "endpoint": {"host": "Bad Host"}}, "endpoint.host", "matching"),
    ({"name": "ok", "endpoint": "localhost:80"}, "endpoint", "object"),
    ({"name": "x"}, "name", "at least 2"),
    ({"name": "x" * 11}, "name", "at most 10"),
    ({"name": 12}, "name", "string"),
    ({"name": "ok", "tags": ["a", "b", "c", "d"]}, "tags", "at most 3"),
    ({"name": "ok", "tags": "a,b"}, "tags", "array"),
    ({"name": "ok", "tags": ["a", 1]}, "tags.1", "string"),
    ({"name": "ok", "mirrors": [{"port": 1}, {"port": -1}]}, "mirrors.1.port", "at least 1"),
    ({"name": "ok", "either": [1]}, "either", "integer or string"),
    ({"name": "ok", "backup": {"port": "no"}}, "backup", "expected"),
]


@pytest.mark.parametrize("value", VALID)
def test_what_pydantic_accepts_passes(value: dict[str, Any]) -> None:
    assert pydantic_accepts(Config, value)
    assert schema_problems(SCHEMA, value) == []


@pytest.mark.parametrize(("value", "where", "expected"), INVALID)
def test_what_pydantic_refuses_is_reported_where_it_is(
    value: dict[str, Any], where: str, expected: str
) -> None:
    assert not pydantic_accepts(Config, value)
    problems = schema_problems(SCHEMA, value)
    assert problems, f"{value} passed the schema check"
    assert any(path == where and expected in text for path, text in problems), problems


def test_every_problem_is_reported_not_just_the_first() -> None:
    problems = schema_problems(
        SCHEMA, {"mode": "slow", "endpoint": {"port": 0, "extra": 1}, "ratio": 2}
    )
    assert {path for path, _ in problems} == {
        "name",
        "mode",
        "ratio",
        "endpoint.port",
        "endpoint.extra",
    }


def test_unknown_keys_are_allowed_where_the_model_ignores_them() -> None:
    schema = Lenient.model_json_schema()
    value = {"limit": "4", "unused": True}
    assert pydantic_accepts(Lenient, value)
    assert schema_problems(schema, value) == []
    assert schema_problems(schema, {"limit": "four"}) == [("limit", "expected integer")]


def test_the_unknown_key_message_names_the_known_keys() -> None:
    [(path, text)] = schema_problems(Endpoint.model_json_schema(), {"prot": 1})
    assert path == "prot" and "port, host" in text


def test_a_schema_of_a_whole_document_reports_the_top() -> None:
    assert schema_problems(SCHEMA, "not a table") == [("", "expected object")]
