"""Hostile files, paths and output, through the real ``cloudcraver`` (issue 9, items 7 and 9-14).

Every attack is built here: FIFOs, symbolic links to devices, device nodes (as root),
folders the user cannot read, TOML nested thousands of levels deep, resource names that
forge report lines. A run that would read for ever runs with its address space limited
(``ulimit -v``), so that a regression fails the test instead of exhausting the machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import Cli
from .helpers import (
    FIRST_PARTY,
    assert_bad_manifest_fails_only_its_plugin,
    assert_exit,
    assert_no_traceback,
    assert_one_error,
    by_name,
    error_lines,
    parse_json,
    shown,
    warning_lines,
)

pytestmark = [
    pytest.mark.venv,
    pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform"),
]

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
#: Address space a run may use (KiB): far above what cloudcraver needs, far below the machine.
MEMORY_LIMIT_KIB = 1_500_000


@pytest.fixture
def policy(cc: Cli) -> Cli:
    """The first-party plugins only."""
    return cc.only(*FIRST_PARTY)


def bounded(
    cli: Cli, *args: str | os.PathLike[str], timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run ``cloudcraver`` with its memory limited and a timeout: reading /dev/zero fails fast."""
    if shutil.which("sh") is None or sys.platform == "win32":
        return cli(*args, timeout=timeout)
    argv = ["sh", "-c", f'ulimit -v {MEMORY_LIMIT_KIB}; exec "$@"', "sh", cli.cli_env.cloudcraver]
    return cli.cli_env.run_program(
        [*argv, *args], home=cli.home, env=cli.environ(), timeout=timeout
    )


def summary_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if " finding(s) in " in line.split(":")[0]]


# ------------------------------------------------- item 7: only regular files, bounded reads


def test_fifo_and_device_link_in_a_scanned_folder_are_skipped_with_a_warning(
    policy: Cli, data
) -> None:
    infra = policy.home / "infra"
    data("insecure.yaml", to=infra)
    os.mkfifo(infra / "a-pipe.yaml")  # sorted first: a blocking open would hang here
    (infra / "zero.yaml").symlink_to("/dev/zero")  # would be read for ever

    result = bounded(policy, "validate", "infra", "-f", "json")

    assert_exit(result, 1)  # insecure.yaml's findings, nothing else
    assert_no_traceback(result)
    report = parse_json(result)
    assert [Path(f["path"]).name for f in report["files"]] == ["insecure.yaml"]
    warnings = warning_lines(result)
    assert any("a-pipe.yaml" in w and "FIFO" in w for w in warnings), shown(result)
    assert any("zero.yaml" in w and "character device" in w for w in warnings), shown(result)


@pytest.mark.parametrize("kind", ["fifo", "device link", "device"])
def test_a_fifo_or_device_named_on_the_command_line_is_refused(
    policy: Cli, data, kind: str
) -> None:
    data("insecure.yaml")
    if kind == "fifo":
        os.mkfifo(policy.home / "named.yaml")
        name, needle = "named.yaml", "FIFO"
    elif kind == "device link":
        (policy.home / "named.yaml").symlink_to("/dev/zero")
        name, needle = "named.yaml", "character device"
    else:
        name, needle = "/dev/zero", "character device"

    result = bounded(policy, "validate", name, "insecure.yaml")

    assert_exit(result, 2)
    assert_no_traceback(result)
    (line,) = error_lines(result)
    assert name in line and needle in line and "not a regular file" in line, shown(result)
    assert "aws-s3-tls-only" in result.stdout, "the other file is still checked"


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="no /proc file system")
def test_the_document_size_limit_holds_on_the_bytes_read_not_the_size_stat_gives(
    policy: Cli,
) -> None:
    # /proc files say they hold 0 bytes whatever they hold: a stat check lets them through.
    policy.config_file.write_text("[host]\nmax_document_bytes = 200\n", encoding="utf-8")
    (policy.home / "maps.yaml").symlink_to("/proc/self/maps")
    assert os.stat(policy.home / "maps.yaml").st_size == 0

    result = bounded(policy, "validate", "maps.yaml")

    assert_one_error(result, 2, "maps.yaml", "over the 200-byte limit", "max_document_bytes")


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_params_from_a_device_or_fifo_is_refused(policy: Cli, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(policy.home / "params.json")
        name, needle = "params.json", "FIFO"
    else:
        name, needle = "/dev/zero", "character device"

    result = bounded(policy, "template", "create", "aws-s3-bucket", "demo", "--params", name)

    assert_one_error(result, 2, f"--params {name}", needle)


@pytest.mark.parametrize("file", ["config.toml", "state.toml"])
def test_a_config_or_state_file_that_is_a_fifo_is_refused(cc: Cli, file: str) -> None:
    os.mkfifo(cc.home / file)

    for args in (["plugin", "list"], ["--safe-mode", "plugin", "list"]):
        result = bounded(cc, *args)
        assert_one_error(result, 2, file, "FIFO")


@pytest.mark.parametrize("attack", ["fifo", "huge"])
def test_a_manifest_that_is_a_fifo_or_huge_fails_that_plugin_only(
    cc: Cli, clone_plugin: Callable[[str, str, str], Path], tmp_path: Path, attack: str
) -> None:
    checkout = clone_plugin("cc-test-manifest", "manifest-demo", "hostile-manifest")
    manifest = next(checkout.rglob("cloudcraver_plugin.toml"))
    manifest.unlink()
    if attack == "fifo":
        os.mkfifo(manifest)
        needle = "FIFO"
    else:
        manifest.write_text("# padding\n" * 500_000, encoding="utf-8")  # 5 MB of comments
        needle = "byte limit"
    runner = cc.with_env(CLOUDCRAVER_PLUGIN_PATH=str(tmp_path / "plugin-path"))

    result = bounded(runner, "plugin", "list", "--all", "--json")

    assert_exit(result, 0)
    plugins = by_name(json.loads(result.stdout))
    assert plugins["hostile-manifest"]["status"] == "failed", shown(result)
    assert needle in plugins["hostile-manifest"]["failure"]["reason"], shown(result)
    assert plugins["aws-s3"]["status"] != "failed" and plugins["policy"]["status"] != "failed"


# ------------------------------------------------------ item 9: TOML nested too deeply


def deep_toml(shape: str) -> str:
    if shape == "arrays":  # tomllib recurses: RecursionError
        return "[host]\nplugin_paths = " + "[" * 5000 + "]" * 5000 + "\n"
    return "[plugins." + ".".join(["a"] * 5000) + "]\nx = 1\n"  # nests without recursing


@pytest.mark.parametrize("shape", ["arrays", "tables"])
@pytest.mark.parametrize("file", ["config.toml", "state.toml", "project/cloudcraver.toml"])
def test_toml_nested_too_deeply_is_malformed_on_every_command(
    cc: Cli, file: str, shape: str
) -> None:
    project = cc.home / "project"
    (project / ".git").mkdir(parents=True)  # a repository: its cloudcraver.toml applies
    (cc.home / file).write_text(deep_toml(shape), encoding="utf-8")

    for args in (["plugin", "list"], ["--safe-mode", "plugin", "list"], ["template", "list"]):
        result = cc(*args, cwd=project)
        assert_one_error(result, 2, Path(file).name, "nested more than")


def test_a_manifest_nested_too_deeply_fails_that_plugin_only(
    cc: Cli, clone_plugin: Callable[[str, str, str], Path], tmp_path: Path
) -> None:
    checkout = clone_plugin("cc-test-manifest", "manifest-demo", "deep-manifest")
    assert_bad_manifest_fails_only_its_plugin(
        cc,
        checkout,
        tmp_path / "plugin-path",
        "deep-manifest",
        "\n[deep]\nvalue = " + "[" * 5000 + "]" * 5000 + "\n",
        "nested more than",
    )


# ------------------------------------------------- item 10: writes and what they replace


def test_output_onto_a_fifo_is_refused_and_the_fifo_stays(policy: Cli, data) -> None:
    data("insecure.yaml")
    os.mkfifo(policy.home / "pipe")

    validated = policy("validate", "insecure.yaml", "-o", "pipe")
    created = policy("template", "create", "aws-s3-bucket", "demo", "-o", "pipe")

    for result in (validated, created):
        assert_one_error(result, 2, "--output pipe", "FIFO")
    assert stat.S_ISFIFO(os.lstat(policy.home / "pipe").st_mode), "the FIFO was replaced"


@pytest.mark.skipif(not IS_ROOT, reason="creating a device node needs root")
def test_output_onto_a_device_is_refused_and_the_device_stays(policy: Cli, data) -> None:
    # A node of its own for /dev/full (1, 7): the real one is never put at risk.
    device = policy.home / "full"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    data("insecure.yaml")

    validated = policy("validate", "insecure.yaml", "-o", device)
    created = policy("template", "create", "aws-s3-bucket", "demo", "-o", device)

    for result in (validated, created):
        assert_one_error(result, 2, "--output", "character device")
    assert stat.S_ISCHR(os.lstat(device).st_mode), "the device was replaced by a file"


def test_output_through_a_symlink_writes_its_target_and_the_link_stays(policy: Cli, data) -> None:
    data("insecure.yaml")
    (policy.home / "reports").mkdir()
    target = policy.home / "reports" / "report.json"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o644)
    link = policy.home / "report.json"
    link.symlink_to(target)

    result = policy("validate", "insecure.yaml", "-f", "json", "-o", "report.json")

    assert_exit(result, 1)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert '"aws-s3-tls-only"' in target.read_text(encoding="utf-8")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644, "the file keeps its permissions"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"], "no temp left"


def test_config_set_through_a_symlinked_config_file(cc: Cli) -> None:
    dotfiles = cc.home / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "cloudcraver.toml"
    real.write_text("# kept in my dotfiles\n[host]\nstrict = false\n", encoding="utf-8")
    cc.config_file.symlink_to(real)

    cc("config", "set", "host.strict", "true", check=True)

    assert cc.config_file.is_symlink(), "the link was replaced by a file"
    assert real.read_text(encoding="utf-8") == "# kept in my dotfiles\n[host]\nstrict = true\n"
    assert cc("config", "get", "host.strict", check=True).stdout.strip() == "true"


@pytest.mark.parametrize("where", ["folder", "under a file", "long name"])
def test_output_onto_a_folder_under_a_file_or_a_too_long_name_is_an_input_error(
    policy: Cli, data, where: str
) -> None:
    data("insecure.yaml")
    (policy.home / "folder").mkdir()
    (policy.home / "file.txt").write_text("mine\n", encoding="utf-8")
    target = {
        "folder": "folder",
        "under a file": "file.txt/report.json",
        "long name": "r" * 300 + ".json",
    }[where]

    validated = policy("validate", "insecure.yaml", "-o", target)
    created = policy("template", "create", "aws-s3-bucket", "demo", "-o", target)

    for result in (validated, created):
        assert_one_error(result, 2, "--output")
    assert (policy.home / "file.txt").read_text(encoding="utf-8") == "mine\n"


def test_output_with_a_long_but_valid_name_is_written(policy: Cli) -> None:
    name = "r" * 250 + ".yaml"  # 255 bytes: the temporary file's name must fit too

    policy("template", "create", "aws-s3-bucket", "demo", "-o", name, check=True)

    assert (policy.home / name).read_text(encoding="utf-8").startswith("AWSTemplateFormatVersion")


# --------------------------------------------------- item 11: folders that cannot be read


def without_read_override(cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    """Run so that permission bits deny reads, as root too (capabilities dropped)."""
    if not IS_ROOT:
        return cli(*args)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permission bits do not deny reads")
    drop = "--bounding-set=-dac_override,-dac_read_search"
    return cli.cli_env.run_program(
        [setpriv, drop, cli.cli_env.cloudcraver, *args], home=cli.home, env=cli.environ()
    )


@pytest.fixture
def locked_folder(policy: Cli, data) -> Iterator[Path]:
    """``infra/`` with a clean file and ``infra/locked/`` (mode 000) holding a failing one."""
    infra = policy.home / "infra"
    data("warning_only.yaml", to=infra)
    data("insecure.yaml", to=infra / "locked")
    (infra / "locked").chmod(0)
    yield infra
    (infra / "locked").chmod(0o755)


def test_a_folder_that_cannot_be_read_is_an_error(policy: Cli, locked_folder: Path) -> None:
    result = without_read_override(policy, "validate", "infra")

    assert_exit(result, 2)
    assert_no_traceback(result)
    (line,) = error_lines(result)
    assert "locked" in line and "cannot read this folder" in line, shown(result)
    assert "--skip-unreadable" in line
    assert "aws-s3-versioning" in result.stdout, "the readable file is still checked"


def test_skip_unreadable_skips_it_with_a_warning(policy: Cli, locked_folder: Path) -> None:
    result = without_read_override(policy, "validate", "infra", "--skip-unreadable")

    assert_exit(result, 0)  # warning_only.yaml has warnings only
    assert error_lines(result) == [], shown(result)
    (warning,) = warning_lines(result)
    assert "locked" in warning and "skipped" in warning


# ------------------------------------------------------- item 12: input faults, not bugs


LONE_SURROGATE_KEY = (
    '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": '
    '{"Bucket\\ud800": {"Type": "AWS::S3::Bucket", "Properties": {}}}}'
)


def test_a_lone_surrogate_in_a_json_key_is_reported_not_a_crash(policy: Cli) -> None:
    (policy.home / "surrogate.json").write_text(LONE_SURROGATE_KEY, encoding="utf-8")

    text = policy("validate", "surrogate.json")
    as_json = policy("validate", "surrogate.json", "-f", "json")
    to_file = policy("validate", "surrogate.json", "-o", "report.txt")

    for result in (text, as_json, to_file):
        assert_exit(result, 1)
        assert_no_traceback(result)
    assert "Bucket\\ud800" in text.stdout
    assert {f["resource"] for f in parse_json(as_json)["files"][0]["findings"]} == {"Bucket\ud800"}
    assert "Bucket\\ud800" in (policy.home / "report.txt").read_text(encoding="utf-8")


def test_a_file_name_over_255_bytes_is_an_input_error(policy: Cli, data) -> None:
    data("insecure.yaml")

    result = policy("validate", "x" * 300 + ".yaml", "insecure.yaml")

    assert_exit(result, 2)
    assert_no_traceback(result)
    (line,) = error_lines(result)
    assert "name too long" in line.lower(), shown(result)


# ------------------------------------------------------ item 14: what reaches the terminal


def test_a_resource_name_cannot_forge_report_lines(policy: Cli) -> None:
    forged = "0 finding(s) in 1 file(s): 0 error(s), 0 warning(s), 0 info"
    (policy.home / "forge.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
        f'  "Bucket\\r\\n{forged}\\n\\u202e\\x1b[2J":\n    Type: AWS::S3::Bucket\n',
        encoding="utf-8",
    )

    result = policy("validate", "forge.yaml")

    assert_exit(result, 1)
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line.startswith(forged)]) == 0, shown(result)
    assert len(summary_lines(result.stdout)) == 1, shown(result)
    assert re.match(r"[1-9]\d* finding\(s\) in 1 file\(s\)", lines[-1]), shown(result)
    assert "Bucket\\r\\n0 finding(s)" in result.stdout
    for raw in ("\r", "\u202e", "\x1b"):
        assert raw not in result.stdout, f"{raw!r} printed raw" + shown(result)


def test_error_lines_escape_control_characters_in_file_names(policy: Cli) -> None:
    infra = policy.home / "infra"
    infra.mkdir()
    (infra / "evil\n0 finding(s)\u202e\x1b[31m.yaml").write_bytes(b"\x00binary")

    result = policy("validate", "infra")

    # The line feed is folded to a space (error lines are one line), the others escaped.
    assert_one_error(result, 2, "evil 0 finding(s)\\u202e\\x1b[31m.yaml", "binary")
    assert "\u202e" not in result.stderr and "\x1b" not in result.stderr


def test_a_100_kb_value_is_not_echoed_whole(policy: Cli) -> None:
    value = "v" * 100_000

    result = policy("template", "create", "aws-s3-bucket", "demo", "--set", f"nope={value}")

    line = assert_one_error(result, 2, "--set nope=", "more characters", "unknown parameter")
    assert len(line) < 1100, f"a line of {len(line)} characters"


def test_plugin_tables_escape_control_characters_from_manifests(
    cc: Cli, clone_plugin: Callable[[str, str, str], Path], tmp_path: Path
) -> None:
    checkout = clone_plugin("cc-test-manifest", "manifest-demo", "loud-manifest")
    manifest = next(checkout.rglob("cloudcraver_plugin.toml"))
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        text.replace('description = "', 'description = "\\u001b[2J\\u202eHidden ', 1),
        encoding="utf-8",
    )
    runner = cc.with_env(CLOUDCRAVER_PLUGIN_PATH=str(tmp_path / "plugin-path"))

    result = runner("plugin", "list", check=True)

    assert "\\x1b[2J\\u202eHidden" in result.stdout, shown(result)
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
