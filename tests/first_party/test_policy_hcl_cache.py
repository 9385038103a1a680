"""The HCL parser's tables are cached in the host's cache folder, never in the package.

The tables take two seconds to build. They live in ``$CLOUDCRAVER_HOME/cache`` (or the
platform's user cache folder), under a name carrying the python-hcl2, lark and Python
versions; a corrupt or truncated file is rebuilt; where the folder cannot be written,
python-hcl2's own parser is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import hcl2
import hcl2.parser
import lark
import platformdirs
import pytest
from support.harness import CliEnv

import cloudcraver_plugins.policy
from cloudcraver_host.paths import HostPaths
from cloudcraver_plugins.policy import hcl

from .test_policy_hcl import SECURE_SPLIT

PACKAGE = Path(cloudcraver_plugins.policy.__file__).parent
EXPECTED = hcl.parse(SECURE_SPLIT)  # data and lines, with whichever parser is cached now


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A cache file as the plugin writes it (the tables take two seconds to build: once)."""
    folder = tmp_path_factory.mktemp("built")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLOUDCRAVER_HOME", str(folder))
        assert fresh_parse() == EXPECTED
        content = hcl.parser_cache_file().read_bytes()
    hcl._parser.cache_clear()
    return content


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A fresh CLOUDCRAVER_HOME, and a parser loaded anew (before and after the test)."""
    monkeypatch.setenv("CLOUDCRAVER_HOME", str(tmp_path))
    hcl._parser.cache_clear()
    yield tmp_path
    hcl._parser.cache_clear()


@pytest.fixture
def cached(home: Path, built: bytes) -> Path:
    """The fresh home's cache file, as an earlier run left it."""
    path = hcl.parser_cache_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(built)
    return path


def fresh_parse() -> tuple[object, object]:
    """Parse as a new process would: the parser is loaded (or built) again."""
    hcl._parser.cache_clear()
    return hcl.parse(SECURE_SPLIT)


def package_caches() -> list[Path]:
    return [p for p in PACKAGE.rglob("*") if "cache" in p.name and "__pycache__" not in p.parts]


def test_the_cache_folder_is_the_hosts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLOUDCRAVER_HOME", str(tmp_path / "cc"))
    assert hcl.cache_folder() == tmp_path / "cc" / "cache" == HostPaths.from_environment().cache_dir
    monkeypatch.setenv("CLOUDCRAVER_HOME", "~/cc-home")
    assert hcl.cache_folder() == HostPaths.from_environment().cache_dir
    for unset in ("", None):
        if unset is None:
            monkeypatch.delenv("CLOUDCRAVER_HOME")
        else:
            monkeypatch.setenv("CLOUDCRAVER_HOME", unset)
        expected = Path(platformdirs.user_cache_dir("cloudcraver", appauthor=False))
        assert hcl.cache_folder() == expected == HostPaths.from_environment().cache_dir


def test_tables_are_cached_in_the_home_not_the_package(home: Path) -> None:
    assert fresh_parse() == EXPECTED
    path = hcl.parser_cache_file()
    assert path.parent == home / "cache"
    assert path.is_file()
    assert f"python-hcl2-{hcl2.__version__}" in path.name
    assert f"lark-{lark.__version__}" in path.name
    assert list((home / "cache").iterdir()) == [path]  # no temporary file left behind
    assert package_caches() == []


def no_build(*args: object, **kwargs: object) -> None:
    raise AssertionError("the tables were built again")


def test_cached_tables_are_read_without_building(
    cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = cached.read_bytes()
    monkeypatch.setattr(lark.Lark, "open", no_build)
    monkeypatch.setattr(hcl2.parser, "parser", no_build)
    assert fresh_parse() == EXPECTED
    assert cached.read_bytes() == written


def test_another_version_never_reads_the_tables(
    cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hcl2, "__version__", "8.99.0")
    new = hcl.parser_cache_file()
    assert new != cached and "8.99.0" in new.name
    assert fresh_parse() == EXPECTED  # built for this version
    assert new.is_file()
    monkeypatch.setattr(lark, "__version__", "9.0.0")
    assert "lark-9.0.0" in hcl.parser_cache_file().name


def damaged(good: bytes) -> dict[str, bytes]:
    magic, key, rest = good.split(b"\n", 2)
    return {
        "garbage": b"garbage\n" * 100,
        "truncated": good[: len(good) // 2],
        "one-byte-short": good[:-1],
        "one-bit-flipped": good[:-1] + bytes([good[-1] ^ 1]),
        "empty": b"",
        "other-key": b"\n".join([magic, b"0" * 64, rest]),
        "other-format": good.replace(b"tables 1", b"tables 2", 1),
        "pickled-garbage": b"\n".join([magic, key, b"0" * 64, b"\x80\x04garbage"]),
    }


def test_a_damaged_cache_file_is_detected(cached: Path, built: bytes) -> None:
    key = built.split(b"\n", 2)[1]
    assert hcl._read_cached_parser(cached, key) is not None
    for name, content in damaged(built).items():
        cached.write_bytes(content)
        assert hcl._read_cached_parser(cached, key) is None, name


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_cache_file_is_rebuilt(cached: Path, built: bytes, damage: str) -> None:
    bad = damaged(built)[damage]
    cached.write_bytes(bad)
    assert fresh_parse() == EXPECTED  # validation still works
    rewritten = cached.read_bytes()
    assert rewritten != bad
    assert rewritten.split(b"\n", 2)[:2] == built.split(b"\n", 2)[:2]  # magic and key
    assert hcl._read_cached_parser(cached, built.split(b"\n", 2)[1]) is not None
    assert list(cached.parent.iterdir()) == [cached]  # no temporary file left behind


def test_validation_works_on_a_damaged_file_through_the_plugin(cached: Path) -> None:
    from .helpers import findings_of, parse_text

    cached.write_bytes(b"\x80\x04garbage")
    hcl._parser.cache_clear()
    document = parse_text("main.tf", SECURE_SPLIT)
    assert document is not None
    assert findings_of(document) == []
    assert cached.read_bytes().startswith(hcl._CACHE_MAGIC)


def test_python_hcl2s_own_parser_is_used_where_the_cache_cannot_be_written(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file where the home folder should be: nothing can be created under it (even as
    # root, which file modes do not stop).
    blocked = home / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("CLOUDCRAVER_HOME", str(blocked))
    hcl._parser.cache_clear()
    assert hcl._parser() is hcl2.parser.parser()  # propagates positions: slower, same data
    assert hcl.parse(SECURE_SPLIT) == EXPECTED
    assert blocked.read_text() == ""
    assert package_caches() == []


def test_a_read_only_cache_with_valid_tables_is_used(
    cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hcl, "_writable_folder", lambda folder: False)
    monkeypatch.setattr(lark.Lark, "open", no_build)
    hcl._parser.cache_clear()
    assert hcl._parser() is not hcl2.parser.parser()
    assert hcl.parse(SECURE_SPLIT) == EXPECTED


@pytest.mark.venv
def test_the_installed_package_stays_clean(cli_env: CliEnv, tmp_path: Path) -> None:
    """The real ``cloudcraver validate`` writes the tables into CLOUDCRAVER_HOME only."""
    assert cli_env.site_packages is not None
    package = cli_env.site_packages / "cloudcraver_plugins" / "policy"
    before = sorted(p.name for p in package.iterdir() if p.name != "__pycache__")
    (tmp_path / "main.tf").write_text(SECURE_SPLIT, encoding="utf-8")
    only = {"CLOUDCRAVER_PLUGINS": "aws-s3,policy"}
    result = cli_env.run("validate", "main.tf", home=tmp_path, env=only, check=True)
    assert "0 finding(s) in 1 file(s)" in result.stdout
    assert sorted(p.name for p in package.iterdir() if p.name != "__pycache__") == before
    (cached,) = (tmp_path / "cache").glob("policy-hcl-parser-*.lark-cache")
    assert cached.read_bytes().startswith(hcl._CACHE_MAGIC)
