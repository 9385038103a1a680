"""``cloudcraver config validate``: manifest schemas without importing plugins; ``--load``."""

from __future__ import annotations

import pytest

from .conftest import Cli
from .helpers import FIRST_PARTY, assert_exit, assert_no_traceback, error_lines, shown

pytestmark = pytest.mark.venv


@pytest.fixture
def demo(cc: Cli) -> Cli:
    """manifest-demo and the first-party plugins only."""
    return cc.only("manifest-demo", *FIRST_PARTY)


def test_a_bad_value_is_found_from_the_manifest_schema_without_importing(demo: Cli) -> None:
    demo.config_file.write_text('[plugins.manifest-demo]\nlimit = "lots"\n', encoding="utf-8")

    result = demo("config", "validate")

    assert_exit(result, 2)
    assert_no_traceback(result)
    (line,) = [e for e in error_lines(result) if "plugins.manifest-demo.limit" in e]
    assert "'lots'" in line and "expected integer" in line, shown(result)
    assert str(demo.config_file) in line
    assert demo.imported() == set(), "config validate imported a plugin"
    assert "not checked without --load" not in result.stderr  # every plugin has a schema


def test_numbers_given_as_text_by_variables_are_accepted(demo: Cli) -> None:
    good = demo("config", "validate", env={"CLOUDCRAVER_PLUGINS__MANIFEST_DEMO__LIMIT": "7"})
    assert_exit(good, 0)
    assert "configuration is valid" in good.stdout

    bad = demo("config", "validate", env={"CLOUDCRAVER_PLUGINS__MANIFEST_DEMO__LIMIT": "seven"})
    assert_exit(bad, 2)
    (line,) = [e for e in error_lines(bad) if "plugins.manifest-demo.limit" in e]
    assert "CLOUDCRAVER_PLUGINS__MANIFEST_DEMO__LIMIT" in line, shown(bad)
    assert demo.imported() == set()


def test_load_imports_the_plugins_and_checks_with_their_models(demo: Cli) -> None:
    demo.config_file.write_text('[plugins.manifest-demo]\nlimit = "lots"\n', encoding="utf-8")

    result = demo("config", "validate", "--load")

    assert_exit(result, 2)
    assert_no_traceback(result)
    assert "manifest-demo" in demo.imported()
    errors = [e for e in error_lines(result) if "plugins.manifest-demo.limit" in e]
    assert errors, shown(result)
    assert "configuration is valid" not in result.stdout
    # activated to check, then deactivated again
    events = [(e["plugin"], e["event"]) for e in demo.events()]
    assert ("manifest-demo", "activate") not in events  # refused before activate ran


def test_load_passes_a_good_configuration_through_the_models(demo: Cli) -> None:
    demo.config_file.write_text("[plugins.manifest-demo]\nlimit = 10\n", encoding="utf-8")

    result = demo("config", "validate", "--load", check=True)

    assert "configuration is valid" in result.stdout
    assert "manifest-demo" in demo.imported()
    activated = [e for e in demo.events() if e["event"] == "activate"]
    assert activated and activated[0]["config"]["limit"] == 10


def test_a_plugin_without_a_schema_is_named_as_not_checked(cc: Cli) -> None:
    result = cc.only("plain-demo", *FIRST_PARTY)("config", "validate")

    assert_exit(result, 0)
    assert "not checked without --load: plain-demo" in result.stderr, shown(result)
    assert cc.imported() == set()
