"""The discovery cache: its fingerprint follows every install, and it is never wrong.

Timestamps: Linux stamps files from a coarse clock (a few milliseconds), so two writes in
quick succession can share one modification time. Where a test changes a file that already
existed, it moves the file's modification time forward by hand (as the later command of a
real user would find it) with :func:`touch`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from support.harness import Wheelhouse

from cloudcraver_host import discovery_cache
from cloudcraver_host.discovery import DiscoveryResult
from cloudcraver_host.discovery_cache import CACHE_FORMAT, DiscoveryCache, environment_fingerprint

Project = Callable[[str], Path]


def touch(path: Path, seconds: float = 5) -> None:
    """Move ``path``'s modification time ``seconds`` later than it is."""
    stat = path.stat()
    later = stat.st_mtime_ns + int(seconds * 1e9)
    os.utime(path, ns=(later, later))


def write_dist_info(
    folder: Path, name: str, version: str, entry_points: str, *, package: str | None = None
) -> Path:
    """A real installed distribution's metadata folder (as pip leaves it)."""
    dist_info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(entry_points, encoding="utf-8")
    if package:
        (folder / package).mkdir(exist_ok=True)
        (folder / package / "__init__.py").write_text("", encoding="utf-8")
    return dist_info


def entry_points(plugin: str, module: str, manifest: bool = False) -> str:
    text = f"[cloudcraver]\n{plugin} = {module}\n"
    if manifest:
        text += f"\n[cloudcraver.manifest]\n{plugin} = {module}:cloudcraver_plugin.toml\n"
    return text


MANIFEST = """\
name = "cache-demo"
description = "{description}"
contract = ">=1.0,<2"
hooks = ["validate_document"]
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on ``sys.path``, like a second site-packages."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


class CountingDiscover:
    """Stands in for ``discovery_cache.discover``: counts calls, then runs the real one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self._real = discovery_cache.discover
        monkeypatch.setattr(discovery_cache, "discover", self)

    def __call__(self, *args: object, **kwargs: object) -> DiscoveryResult:
        self.calls += 1
        return self._real(*args, **kwargs)  # type: ignore[arg-type]


def forbid_discovery(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> DiscoveryResult:
        raise AssertionError("discovery ran although the cache should have answered")

    monkeypatch.setattr(discovery_cache, "discover", refuse)


# ---------------------------------------------------------------------------- the fingerprint


def test_fingerprint_is_stable_while_nothing_changes(site: Path) -> None:
    assert environment_fingerprint([]) == environment_fingerprint([])


def test_fingerprint_follows_a_dist_info_appearing_changing_and_going(site: Path) -> None:
    before = environment_fingerprint([])
    dist_info = write_dist_info(site, "fp-demo", "1.0", entry_points("fp-demo", "fp_demo"))
    installed = environment_fingerprint([])
    assert installed != before

    (dist_info / "entry_points.txt").write_text(entry_points("fp-other", "fp_demo"))
    touch(dist_info / "entry_points.txt")
    assert environment_fingerprint([]) not in (before, installed)

    shutil.rmtree(dist_info)
    assert environment_fingerprint([]) == before


def test_fingerprint_follows_an_upgrade_to_another_version(site: Path) -> None:
    old = write_dist_info(site, "fp-demo", "1.0", entry_points("fp-demo", "fp_demo"))
    first = environment_fingerprint([])
    shutil.rmtree(old)
    write_dist_info(site, "fp-demo", "2.0", entry_points("fp-demo", "fp_demo"))
    assert environment_fingerprint([]) != first


def test_fingerprint_follows_pth_files(site: Path) -> None:
    before = environment_fingerprint([])
    pth = site / "editable-demo.pth"
    pth.write_text(str(site / "src") + "\n", encoding="utf-8")
    added = environment_fingerprint([])
    assert added != before
    touch(pth)
    assert environment_fingerprint([]) not in (before, added)
    pth.unlink()
    assert environment_fingerprint([]) == before


def test_fingerprint_follows_sys_path(site: Path, tmp_path: Path) -> None:
    before = environment_fingerprint([])
    extra = tmp_path / "elsewhere"
    extra.mkdir()
    sys.path.append(str(extra))  # the host conftest restores sys.path
    assert environment_fingerprint([]) != before


def test_fingerprint_follows_plugin_path_entries(tmp_path: Path, project: Project) -> None:
    folder = tmp_path / "plugin-path"
    folder.mkdir()
    empty = environment_fingerprint([folder], environment=False)

    checkout = folder / "cc-test-manifest"
    shutil.copytree(project("cc-test-manifest"), checkout)
    added = environment_fingerprint([folder], environment=False)
    assert added != empty

    touch(checkout / "pyproject.toml")
    touched = environment_fingerprint([folder], environment=False)
    assert touched not in (empty, added)

    shutil.rmtree(checkout)
    # The folder's own modification time moved too, so this is not `empty` again either.
    assert environment_fingerprint([folder], environment=False) not in (added, touched)


def test_fingerprint_follows_a_wheel_on_the_plugin_path(
    tmp_path: Path, wheelhouse: Wheelhouse
) -> None:
    wheel = Path(shutil.copy(wheelhouse.wheel("cc-test-manifest"), tmp_path))
    first = environment_fingerprint([wheel], environment=False)
    touch(wheel)
    assert environment_fingerprint([wheel], environment=False) != first
    wheel.unlink()
    assert environment_fingerprint([wheel], environment=False) != first


def test_fingerprint_follows_the_plugin_paths_given(tmp_path: Path, project: Project) -> None:
    checkout = project("cc-test-manifest")
    assert environment_fingerprint([checkout], environment=False) != environment_fingerprint(
        [], environment=False
    )


# ---------------------------------------------------------------------------- hits and misses


def test_a_hit_gives_the_same_records_without_discovering(
    tmp_path: Path, project: Project, wheelhouse: Wheelhouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The environment (first-party plugins with manifests, JSON schemas, contract ranges)
    # plus a checkout and a wheel: every kind of record round-trips through the cache.
    wheel = Path(shutil.copy(wheelhouse.wheel("cc-test-base"), tmp_path))
    paths = [project("cc-test-manifest"), project("cc-test-plain"), wheel]
    cache = DiscoveryCache(tmp_path / "cache")
    counting = CountingDiscover(monkeypatch)
    first = cache.discover(paths)
    assert counting.calls == 1
    assert {"aws-s3", "manifest-demo", "plain-demo", "dep-base"} <= {r.name for r in first.records}
    assert cache.path.is_file()

    forbid_discovery(monkeypatch)
    second = DiscoveryCache(tmp_path / "cache").discover(paths)
    assert second.records == first.records
    assert second.warnings == first.warnings
    demo = next(r for r in second.records if r.name == "manifest-demo")
    assert demo.manifest is not None and demo.manifest.templates[0].parameters["properties"]


def test_a_changed_environment_is_a_miss(
    tmp_path: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = DiscoveryCache(tmp_path / "cache")
    counting = CountingDiscover(monkeypatch)
    assert "cache-demo" not in {r.name for r in cache.discover([]).records}

    write_dist_info(
        site, "cache-demo", "1.0", entry_points("cache-demo", "cache_demo"), package="cache_demo"
    )
    found = {r.name: r for r in cache.discover([]).records}
    assert counting.calls == 2
    assert found["cache-demo"].version == "1.0"
    cache.discover([])
    assert counting.calls == 2  # and the new result is what is cached now


def test_an_edited_manifest_of_a_checkout_is_picked_up(
    tmp_path: Path, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = project("cc-test-manifest")
    cache = DiscoveryCache(tmp_path / "cache")
    [record] = cache.discover([checkout], environment=False).records
    assert record.manifest is not None
    assert record.manifest.description.startswith("Test plugin")

    manifest = checkout / "cc_test_manifest" / "cloudcraver_plugin.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("Test plugin:", "Edited:"), encoding="utf-8")
    touch(manifest)
    counting = CountingDiscover(monkeypatch)
    [record] = cache.discover([checkout], environment=False).records
    assert counting.calls == 1
    assert record.manifest is not None and record.manifest.description.startswith("Edited:")

    schema = checkout / "cc_test_manifest" / "demo-bucket.schema.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    data["properties"]["size"]["default"] = 7
    schema.write_text(json.dumps(data), encoding="utf-8")
    touch(schema)
    [record] = cache.discover([checkout], environment=False).records
    assert counting.calls == 2
    assert record.manifest is not None
    assert record.manifest.templates[0].parameters["properties"]["size"]["default"] == 7


def test_an_edited_manifest_of_an_editable_install_is_picked_up(
    tmp_path: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An editable install: the metadata in site-packages, the package in the source folder
    # a .pth file puts on sys.path. Editing the manifest changes nothing in site-packages.
    source = tmp_path / "src"
    package = source / "cache_demo"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    manifest = package / "cloudcraver_plugin.toml"
    manifest.write_text(MANIFEST.format(description="first"), encoding="utf-8")
    (site / "__editable__.cache_demo.pth").write_text(str(source) + "\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(source))  # what site.py does with the .pth at start-up
    write_dist_info(site, "cache-demo", "1.0", entry_points("cache-demo", "cache_demo", True))

    cache = DiscoveryCache(tmp_path / "cache")
    record = next(r for r in cache.discover([]).records if r.name == "cache-demo")
    assert record.manifest is not None and record.manifest.description == "first"

    manifest.write_text(MANIFEST.format(description="second"), encoding="utf-8")
    touch(manifest)
    record = next(r for r in cache.discover([]).records if r.name == "cache-demo")
    assert record.manifest is not None and record.manifest.description == "second"


def _valid_cache_for_this_environment(path: Path, paths: list[Path]) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == CACHE_FORMAT
    assert data["fingerprint"] == environment_fingerprint(paths, environment=False)
    return data  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\x00\xff not json at all", id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param(b"[1, 2, 3]", id="a-json-list"),
        pytest.param(b'"a json string"', id="a-json-string"),
        pytest.param(b'{"format": 999, "fingerprint": "x"}', id="another-format"),
        pytest.param(b'{"format": 1}', id="missing-keys"),
    ],
)
def test_a_corrupt_or_foreign_cache_file_is_a_miss_and_is_rewritten(
    tmp_path: Path, project: Project, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    paths = [project("cc-test-manifest")]
    cache = DiscoveryCache(tmp_path / "cache")
    cache.path.parent.mkdir(parents=True)
    cache.path.write_bytes(content)
    counting = CountingDiscover(monkeypatch)
    [record] = cache.discover(paths, environment=False).records
    assert record.name == "manifest-demo" and counting.calls == 1
    _valid_cache_for_this_environment(cache.path, paths)
    cache.discover(paths, environment=False)
    assert counting.calls == 1


def test_a_truncated_cache_file_is_a_miss(
    tmp_path: Path, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [project("cc-test-manifest")]
    cache = DiscoveryCache(tmp_path / "cache")
    cache.discover(paths, environment=False)
    whole = cache.path.read_bytes()
    cache.path.write_bytes(whole[: len(whole) // 2])
    counting = CountingDiscover(monkeypatch)
    assert [r.name for r in cache.discover(paths, environment=False).records] == ["manifest-demo"]
    assert counting.calls == 1
    assert cache.path.read_bytes() == whole


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda record: {**record, "unknown_field": 1}, id="unknown-field"),
        pytest.param(lambda record: {"name": record["name"]}, id="missing-fields"),
        pytest.param(lambda record: {**record, "manifest": [1, 2]}, id="manifest-a-list"),
        pytest.param(
            lambda record: {**record, "manifest": {**record["manifest"], "permissions": []}},
            id="permissions-a-list",
        ),
        pytest.param(lambda record: "not a record", id="record-a-string"),
    ],
)
def test_a_well_formed_file_with_damaged_records_is_a_miss(
    tmp_path: Path,
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    damage: Callable[[dict[str, object]], object],
) -> None:
    paths = [project("cc-test-manifest")]
    cache = DiscoveryCache(tmp_path / "cache")
    cache.discover(paths, environment=False)
    data = json.loads(cache.path.read_text(encoding="utf-8"))
    data["records"] = [damage(record) for record in data["records"]]
    cache.path.write_text(json.dumps(data), encoding="utf-8")
    counting = CountingDiscover(monkeypatch)
    [record] = cache.discover(paths, environment=False).records
    assert record.manifest is not None and counting.calls == 1


def test_a_cache_of_another_fingerprint_is_a_miss(
    tmp_path: Path, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [project("cc-test-manifest")]
    cache = DiscoveryCache(tmp_path / "cache")
    cache.discover(paths, environment=False)
    data = json.loads(cache.path.read_text(encoding="utf-8"))
    data["fingerprint"] = "0" * 64
    data["records"] = []  # what another environment found
    cache.path.write_text(json.dumps(data), encoding="utf-8")
    counting = CountingDiscover(monkeypatch)
    assert [r.name for r in cache.discover(paths, environment=False).records] == ["manifest-demo"]
    assert counting.calls == 1


def test_an_unwritable_cache_folder_only_costs_speed(
    tmp_path: Path, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A regular file where the folder should be: no write can succeed, even as root.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    paths = [project("cc-test-manifest")]
    cache = DiscoveryCache(blocked / "cache")
    counting = CountingDiscover(monkeypatch)
    for expected_calls in (1, 2):
        [record] = cache.discover(paths, environment=False).records
        assert record.name == "manifest-demo" and record.manifest is not None
        assert counting.calls == expected_calls


# ---------------------------------------------------------------------------- concurrent writers

_WRITER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from cloudcraver_host import discovery_cache
    from cloudcraver_host.discovery_cache import DiscoveryCache

    folder, checkout, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    if mode == "hit-only":
        def refuse(*args, **kwargs):
            raise SystemExit("discovery ran: the cache did not answer")
        discovery_cache.discover = refuse
    result = DiscoveryCache(folder).discover([checkout])
    print(json.dumps(sorted((r.name, r.version) for r in result.records)))
    """
)


def test_concurrent_writers_leave_one_valid_cache_that_later_runs_use(
    tmp_path: Path, project: Project
) -> None:
    folder, checkout = tmp_path / "cache", project("cc-test-manifest")
    work = tmp_path / "cwd"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDCRAVER_", "CC_TEST_"))}

    def start(mode: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(folder), str(checkout), mode],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    writers = [start("populate") for _ in range(10)]
    outputs = [process.communicate(timeout=120) for process in writers]
    assert [p.returncode for p in writers] == [0] * 10, [err for _, err in outputs]
    answers = {out for out, _ in outputs}
    assert len(answers) == 1
    assert '["manifest-demo", "1.0.0"]' in answers.pop()

    [cache_file] = folder.glob("discovery-*.json")
    data = json.loads(cache_file.read_text(encoding="utf-8"))
    assert data["format"] == CACHE_FORMAT
    assert "manifest-demo" in {r["name"] for r in data["records"]}
    assert list(folder.glob("*.tmp")) == [] and len(list(folder.iterdir())) == 1

    later = start("hit-only")
    out, err = later.communicate(timeout=120)
    assert later.returncode == 0, err
    assert out == outputs[0][0]
