"""``cloudcraver plugin list|info|enable|disable``, strict mode, safe mode, plugin selection."""

from __future__ import annotations

import sys

import pytest
from cloudcraver_hookspecs import CONTRACT_VERSION

from .conftest import Cli
from .helpers import (
    FIRST_PARTY,
    MANIFEST_PLUGINS,
    assert_exit,
    assert_no_traceback,
    assert_one_error,
    by_name,
    error_lines,
    parse_json,
    shown,
    table_row,
    warning_lines,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.venv

BROKEN_REASON = "cc-test-broken is broken on purpose"


def read_state(cc: Cli) -> dict:
    return tomllib.loads(cc.state_file.read_text(encoding="utf-8"))


def disabled_in_state(cc: Cli) -> set[str]:
    if not cc.state_file.exists():
        return set()
    plugins = read_state(cc).get("plugins", {})
    return {name for name, entry in plugins.items() if entry.get("enabled") is False}


# ---------------------------------------------------------------------------- plugin list


def test_plugin_list_shows_every_plugin_with_status_and_origin(cc: Cli) -> None:
    first = cc("plugin", "list", check=True)
    # Listing imports no plugin: a crash at import is not known yet...
    assert "registered" in table_row(first.stdout, "broken-import")
    cc("plugin", "list", "--load", check=True)  # ...until a command loads the plugin
    result = cc("plugin", "list", check=True)

    for name in cc.cli_env.plugins:
        table_row(result.stdout, name)
    assert "registered" in table_row(result.stdout, "manifest-demo")
    assert "1.0.0" in table_row(result.stdout, "manifest-demo")
    for name in FIRST_PARTY:
        assert "first-party" in table_row(result.stdout, name)
    assert "environment" in table_row(result.stdout, "dep-base")
    broken = table_row(result.stdout, "broken-import")
    assert "failed at load (last run)" in broken and BROKEN_REASON in broken
    future = table_row(result.stdout, "future-contract")
    assert "failed at validate" in future
    assert ">=2.0,<3" in future and CONTRACT_VERSION in future
    assert_no_traceback(result)


def test_plugin_list_imports_no_plugin(cc: Cli) -> None:
    cc("plugin", "list", check=True)
    cc("plugin", "list", "--json", check=True)
    cc("plugin", "list", "--all", check=True)
    assert cc.imported() == set()

    # --load imports the plugins without a manifest to learn their hooks, nothing else.
    cc("plugin", "list", "--load", check=True)
    imported = cc.imported()
    assert not imported & set(MANIFEST_PLUGINS), imported
    assert "future-contract" not in imported  # refused before import
    assert imported == {"plain-demo", "broken-import"}


def test_hooks_learned_at_a_load_are_listed_without_importing(cc: Cli) -> None:
    before = by_name(cc.json("plugin", "list", "--json"))["plain-demo"]
    assert before["hooks"] is None and before["hooks_source"] == "unknown"
    cc("plugin", "list", "--load", check=True)
    cc.forget_imports()

    after = by_name(cc.json("plugin", "list", "--json"))["plain-demo"]

    assert after["hooks_source"] == "last load"
    assert set(after["hooks"]) >= {"validate_document", "contribute_templates"}
    assert cc.imported() == set()


def test_plugin_list_reports_an_import_failure_once(cc: Cli) -> None:
    result = cc("plugin", "list", "--load", check=True)

    about_broken = [line for line in result.stderr.splitlines() if "broken-import" in line]
    assert len(about_broken) == 1, shown(result)
    assert about_broken[0].startswith("warning: ")
    assert BROKEN_REASON in about_broken[0] and "load" in about_broken[0]
    assert error_lines(result) == []


def test_plugin_list_json(cc: Cli) -> None:
    result = cc("plugin", "list", "--load", "--json", check=True)
    plugins = by_name(parse_json(result))

    assert set(plugins) == set(cc.cli_env.plugins)
    for entry in plugins.values():
        assert {"name", "version", "status", "kind", "first_party", "enabled", "failure"} <= set(
            entry
        )
        assert entry["enabled"] is True
    assert plugins["aws-s3"]["first_party"] is True and plugins["policy"]["first_party"] is True
    assert plugins["manifest-demo"]["status"] == "registered"
    assert plugins["manifest-demo"]["version"] == "1.0.0"
    assert plugins["manifest-demo"]["failure"] is None
    assert plugins["broken-import"]["status"] == "failed"
    assert plugins["broken-import"]["failure"]["stage"] == "load"
    assert BROKEN_REASON in plugins["broken-import"]["failure"]["reason"]
    future = plugins["future-contract"]
    assert future["status"] == "failed"
    assert future["failure"]["stage"] == "validate"
    assert ">=2.0,<3" in future["failure"]["reason"]
    assert CONTRACT_VERSION in future["failure"]["reason"]
    assert len([line for line in warning_lines(result) if "broken-import" in line]) == 1


def test_plugin_list_all_adds_disabled_plugins(cc: Cli) -> None:
    cc("plugin", "disable", "plain-demo", check=True)
    cc.forget_imports()

    listed = by_name(cc.json("plugin", "list", "--json"))
    everything = by_name(cc.json("plugin", "list", "--all", "--json"))
    table = cc("plugin", "list", "--all", check=True).stdout

    assert "plain-demo" not in listed
    assert everything["plain-demo"]["enabled"] is False
    assert "disabled" in table_row(table, "plain-demo")
    assert "plain-demo" not in cc.imported(), "a disabled plugin is never imported"


@pytest.mark.parametrize(
    ("how", "args", "env", "config"),
    [
        ("option", ("--strict",), {}, ""),
        ("user config", (), {}, "[host]\nstrict = true\n"),
        ("environment", (), {"CLOUDCRAVER_STRICT": "1"}, ""),
    ],
    ids=["option", "user-config", "environment"],
)
def test_strict_makes_plugin_failures_exit_3(
    cc: Cli, how: str, args: tuple[str, ...], env: dict[str, str], config: str
) -> None:
    if config:
        cc.config_file.write_text(config, encoding="utf-8")

    result = cc(*args, "plugin", "list", env=env)

    assert_exit(result, 3)
    assert "broken-import" in result.stdout  # the listing is still printed
    assert any("strict" in line for line in error_lines(result)), shown(result)
    assert_no_traceback(result)


def test_strict_without_failures_exits_0(cc: Cli) -> None:
    cc.only(*FIRST_PARTY)("--strict", "plugin", "list", check=True)


def test_no_strict_overrides_the_config(cc: Cli) -> None:
    cc.config_file.write_text("[host]\nstrict = true\n", encoding="utf-8")
    cc("--no-strict", "plugin", "list", check=True)


# ---------------------------------------------------------------------------- plugin info


def test_plugin_info_json(cc: Cli) -> None:
    info = cc.json("plugin", "info", "manifest-demo", "--json")

    assert info["name"] == "manifest-demo"
    assert info["version"] == "1.0.0"
    assert info["distribution"] == "cc-test-manifest"
    assert cc.cli_env.site_packages is not None
    assert info["location"] == str(cc.cli_env.site_packages / "cc_test_manifest-1.0.0.dist-info")
    assert info["kind"] == "environment" and info["first_party"] is False
    assert info["contract"] == ">=1.0,<2"
    assert info["status"] == "registered"
    assert info["has_manifest"] is True
    assert set(info["hooks"]) == {
        "config_model",
        "activate",
        "deactivate",
        "contribute_templates",
        "render_template",
        "validate_document",
        "contribute_commands",
    }
    order = info["call_order"]["validate_document"]
    assert 1 <= order["position"] <= order["of"]
    assert "activate" not in info["call_order"]  # called on each plugin alone
    assert info["templates"] == ["demo-bucket"]
    assert info["commands"] == ["demo-hello"]
    assert info["permissions"] == {"env": ["CC_TEST_LOG", "CC_TEST_MARKER_DIR"]}
    assert info["last_failure"] is None
    assert "manifest-demo" not in cc.imported()


def test_plugin_info_text(cc: Cli) -> None:
    result = cc("plugin", "info", "manifest-demo", check=True)
    fields = dict(
        line.split("  ", 1) for line in result.stdout.splitlines() if "  " in line.strip()
    )
    fields = {key.strip(): value.strip() for key, value in fields.items()}

    assert fields["Version"] == "1.0.0"
    assert fields["Location"].endswith("cc_test_manifest-1.0.0.dist-info")
    assert fields["Contract"] == ">=1.0,<2"
    assert fields["Status"] == "registered"
    hooks = fields["Hooks (call position)"]
    assert "validate_document (" in hooks and " of " in hooks
    assert fields["Templates"] == "demo-bucket"
    assert fields["Commands"] == "demo-hello"
    assert fields["Permissions"] == "env: CC_TEST_LOG, CC_TEST_MARKER_DIR"
    assert fields["Last failure"] == "none"


def test_plugin_info_shows_the_call_order_of_dependents(cc: Cli) -> None:
    child = cc.json("plugin", "info", "dep-child", "--json")
    base = cc.json("plugin", "info", "dep-base", "--json")

    assert child["requires"] == ["dep-base>=1.0"]
    child_at = child["call_order"]["validate_document"]["position"]
    base_at = base["call_order"]["validate_document"]["position"]
    assert child_at < base_at, "an extension answers before the plugin it requires"


def test_plugin_info_shows_the_last_failure_of_an_earlier_command(cc: Cli, data) -> None:
    data("warning_only.yaml")
    cc.only("policy", "hook-fails")("validate", "warning_only.yaml", check=0)

    info = cc.json("plugin", "info", "hook-fails", "--json")
    text = cc("plugin", "info", "hook-fails", check=True).stdout

    assert info["last_failure"]["stage"] == "call"
    assert "hook-fails exploded" in info["last_failure"]["reason"]
    assert info["last_failure"]["version"] == "1.0.0"
    assert "Last failure" in text and "call: ValueError: hook-fails exploded" in text
    assert "failed at call (last run)" in text


def test_plugin_info_of_failed_plugins(cc: Cli) -> None:
    unknown = cc.json("plugin", "info", "broken-import", "--json")
    broken = cc.json("plugin", "info", "broken-import", "--load", "--json")
    later = cc.json("plugin", "info", "broken-import", "--json")
    future = cc.json("plugin", "info", "future-contract", "--json")

    assert unknown["status"] == "registered" and unknown["hooks_source"] == "unknown"
    assert broken["status"] == "failed" and broken["failure"]["stage"] == "load"
    assert BROKEN_REASON in broken["failure"]["reason"]
    assert later["status"] == "registered"  # not imported this time...
    assert BROKEN_REASON in later["last_failure"]["reason"]  # ...but the failure is known
    assert future["failure"]["stage"] == "validate"
    assert future["contract"] == ">=2.0,<3"
    assert "future-contract" not in cc.imported()


def test_plugin_info_unknown_name_suggests_a_close_one(cc: Cli) -> None:
    close = cc("plugin", "info", "polcy")
    assert_one_error(close, 2, "unknown plugin 'polcy'", "did you mean 'policy'")

    far = cc("plugin", "info", "zzzzzz", "--json")
    assert_one_error(far, 2, "unknown plugin 'zzzzzz'", "plugin list --all")
    assert far.stdout == ""


# ---------------------------------------------------------------------------- enable / disable


def test_disable_and_enable_are_persisted(cc: Cli) -> None:
    result = cc("plugin", "disable", "plain-demo", check=True)
    assert "disabled plugin 'plain-demo'" in result.stdout
    assert disabled_in_state(cc) == {"plain-demo"}

    again = cc("plugin", "disable", "plain-demo", check=True)
    assert "already" in again.stdout
    assert disabled_in_state(cc) == {"plain-demo"}

    enabled = cc("plugin", "enable", "plain-demo", check=True)
    assert "enabled plugin 'plain-demo'" in enabled.stdout
    assert disabled_in_state(cc) == set()
    assert "plain-demo" in by_name(cc.json("plugin", "list", "--json"))


def test_disable_json(cc: Cli) -> None:
    first = cc.json("plugin", "disable", "dep-base", "--json")
    second = cc.json("plugin", "disable", "dep-base", "--json")
    back = cc.json("plugin", "enable", "dep-base", "--json")

    assert first == {"name": "dep-base", "enabled": False, "changed": True}
    assert second == {"name": "dep-base", "enabled": False, "changed": False}
    assert back == {"name": "dep-base", "enabled": True, "changed": True}


def test_disabled_plugin_is_never_imported(cc: Cli, data) -> None:
    data("warning_only.yaml")
    for name in ("plain-demo", "manifest-demo", "broken-import"):
        cc("plugin", "disable", name, check=True)
    cc.forget_imports()

    cc("plugin", "list", check=True)
    templates = cc("template", "list", "--json", check=True)
    cc("validate", "warning_only.yaml", check=0)

    assert not cc.imported() & {"plain-demo", "manifest-demo", "broken-import"}, cc.imported()
    offered = {t["name"] for t in parse_json(templates)}
    assert "plain-note" not in offered and "demo-bucket" not in offered
    assert "aws-s3-bucket" in offered


def test_disable_and_enable_work_while_a_plugin_crashes_at_import(cc: Cli) -> None:
    disabled = cc("plugin", "disable", "broken-import", check=True)
    assert_no_traceback(disabled)
    assert "broken-import" not in cc.imported()

    listed = cc("plugin", "list", check=True)
    assert "broken-import" not in listed.stdout
    assert not [line for line in listed.stderr.splitlines() if "broken-import" in line]
    assert "broken-import" not in cc.imported()

    cc("plugin", "enable", "broken-import", check=True)
    assert disabled_in_state(cc) == set()
    after = cc("plugin", "list", "--load", check=True)
    assert "failed at load" in table_row(after.stdout, "broken-import")


def test_enable_unknown_plugin_is_a_usage_error(cc: Cli) -> None:
    assert_one_error(cc("plugin", "enable", "dep-bse"), 2, "unknown plugin 'dep-bse'", "dep-base")
    assert_one_error(cc("plugin", "disable", "nope-nope"), 2, "unknown plugin 'nope-nope'")
    assert disabled_in_state(cc) == set()


# ---------------------------------------------------------------------------- recovery


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--safe-mode",), {}), ((), {"CLOUDCRAVER_SAFE_MODE": "1"})],
    ids=["option", "environment"],
)
def test_safe_mode_loads_only_first_party_plugins(
    cc: Cli, data, args: tuple[str, ...], env: dict[str, str]
) -> None:
    data("warning_only.yaml")

    listed = cc.json(*args, "plugin", "list", "--json", env=env)
    everything = by_name(cc.json(*args, "plugin", "list", "--all", "--json", env=env))
    table = cc(*args, "plugin", "list", "--all", env=env, check=True)
    validated = cc(*args, "validate", "warning_only.yaml", "--format", "json", env=env, check=0)

    assert {p["name"] for p in listed} == set(FIRST_PARTY)
    assert set(everything) == set(cc.cli_env.plugins)
    for name, entry in everything.items():
        if name in FIRST_PARTY:
            assert entry["blocked"] is None and entry["status"] == "registered"
        else:
            assert entry["blocked"] and "safe mode" in entry["blocked"], entry
            assert "skipped" in table_row(table.stdout, name)
    findings = parse_json(validated)["files"][0]["findings"]
    assert {f["plugin"] for f in findings} == {"policy"}
    assert cc.imported() == set(), "safe mode imports no third-party plugin"
    assert warning_lines(table) == [], "no third-party failure can show in safe mode"


def test_cloudcraver_plugins_loads_only_those_named(cc: Cli, data) -> None:
    data("warning_only.yaml")
    demo = cc.home / "demo.yaml"
    demo.write_text(
        (cc.home / "warning_only.yaml").read_text(encoding="utf-8") + "Demo: true\n",
        encoding="utf-8",
    )
    only = cc.only("manifest-demo", "policy")

    listed = only.json("plugin", "list", "--json")
    everything = by_name(only.json("plugin", "list", "--all", "--json"))
    report = only.json("validate", "demo.yaml", "--format", "json", check=0)

    assert {p["name"] for p in listed} == {"manifest-demo", "policy"}
    for name, entry in everything.items():
        if name not in ("manifest-demo", "policy"):
            assert entry["blocked"] and "CLOUDCRAVER_PLUGINS" in entry["blocked"]
    rules = {f["rule_id"] for f in report["files"][0]["findings"]}
    assert "DEMO_KEY" in rules and "aws-s3-versioning" in rules
    assert cc.imported() == {"manifest-demo"}


def test_empty_cloudcraver_plugins_loads_none(cc: Cli, data) -> None:
    data("warning_only.yaml")
    none = cc.only()

    assert none.json("plugin", "list", "--json") == []
    everything = none.json("plugin", "list", "--all", "--json")
    assert {p["name"] for p in everything} == set(cc.cli_env.plugins)
    assert all(p["blocked"] for p in everything)
    result = none("validate", "warning_only.yaml")
    assert_one_error(result, 2, "warning_only.yaml", "no plugin")
    assert cc.imported() == set()


# ---------------------------------------------------------------------------- duplicates


def test_newer_duplicate_on_plugin_path_wins_with_a_warning(cc: Cli) -> None:
    wheel = cc.cli_env.wheels["cc-test-manifest-v2"]
    on_path = cc.with_env(CLOUDCRAVER_PLUGIN_PATH=str(wheel))

    result = on_path("plugin", "list", "--json", check=True)
    plugins = by_name(parse_json(result))

    demo = plugins["manifest-demo"]
    assert demo["version"] == "2.0.0"
    assert demo["kind"] == "wheel"
    assert demo["location"] == str(wheel)
    duplicates = [line for line in warning_lines(result) if "manifest-demo" in line]
    assert len(duplicates) == 1, shown(result)
    assert str(wheel) in duplicates[0]
    assert cc.cli_env.site_packages is not None
    installed = cc.cli_env.site_packages / "cc_test_manifest-1.0.0.dist-info"
    assert str(installed) in duplicates[0]
    assert "2.0.0" in duplicates[0] and "1.0.0" in duplicates[0]
    assert "manifest-demo" not in cc.imported()

    hello = on_path.only("manifest-demo")("demo-hello", check=True)
    assert hello.stdout == "hello, world!\n"
    activations = [e for e in cc.events() if e["event"] == "activate"]
    assert [e["version"] for e in activations] == ["2.0.0"], "the winner's code runs"
