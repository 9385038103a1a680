"""The bounded reader, the write target, TOML depth and text escaping, in process.

The end-to-end attacks are in ``tests/cli/test_hostile_files.py``; these pin the
primitives' edge cases, each built on real files (FIFOs, symbolic links, deep TOML).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from cloudcraver_host.display import escape, shorten
from cloudcraver_host.errors import ConfigError
from cloudcraver_host.regular_files import (
    FileTooLargeError,
    NotRegularFileError,
    read_bytes,
    write_target,
)
from cloudcraver_host.tomlfile import MAX_DEPTH, atomic_write_text, loads, too_deep

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")


@needs_fifo
def test_a_fifo_swapped_in_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _capture(outcome, fifo), daemon=True)

    reader.start()
    reader.join(timeout=10)

    assert not reader.is_alive(), "reading a FIFO blocked"
    assert isinstance(outcome[0], NotRegularFileError) and "FIFO" in str(outcome[0])


def _capture(outcome: list[BaseException], path: Path) -> None:
    try:
        read_bytes(path, 100)
    except BaseException as exc:  # handed to the test thread
        outcome.append(exc)


def test_the_limit_is_on_bytes_read(tmp_path: Path) -> None:
    exact = tmp_path / "exact"
    exact.write_bytes(b"x" * 100)
    over = tmp_path / "over"
    over.write_bytes(b"x" * 101)

    assert read_bytes(exact, 100) == b"x" * 100
    with pytest.raises(FileTooLargeError, match="101 bytes is over the 100-byte limit"):
        read_bytes(over, 100)


def test_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFileError, match="a folder"):
        read_bytes(tmp_path, 100)
    with pytest.raises(NotRegularFileError, match="a folder"):
        write_target(tmp_path)


def test_write_target_follows_links_and_refuses_paths_under_files(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    link = tmp_path / "link.toml"
    link.symlink_to(real)  # dangling for now: the write creates the file it names
    (tmp_path / "file").write_text("x", encoding="utf-8")

    assert write_target(link) == real
    atomic_write_text(link, "a = 1\n")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "a = 1\n"
    with pytest.raises(NotRegularFileError, match="not a folder"):
        write_target(tmp_path / "file" / "deeper" / "x.toml")


def test_a_lone_surrogate_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("before\n", encoding="utf-8")

    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "a\ud800b")

    assert target.read_text(encoding="utf-8") == "before\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 3000 + "]" * 3000,  # recursion in tomllib
        "a = " + "{b = " * 3000 + "1" + "}" * 3000,
        "[" + ".".join(["t"] * 3000) + "]",  # no recursion, a deep table all the same
    ],
)
def test_toml_nested_too_deeply_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match=f"nested more than {MAX_DEPTH} levels"):
        loads(text, source="deep.toml")


def test_depth_limit_is_exact() -> None:
    assert loads("a = " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1), source="ok")
    assert not too_deep({"a": [[]]}, 3) and too_deep({"a": [[[]]]}, 3)


def test_escape_makes_every_control_visible() -> None:
    raw = "a\nb\rc\td\x1b[2Je\x85f\u2028g\u202eh\u2066i\ud800j\\k é 日本"
    assert escape(raw) == ("a\\nb\\rc\\td\\x1b[2Je\\x85f\\u2028g\\u202eh\\u2066i\\ud800j\\k é 日本")


def test_shorten_keeps_both_ends() -> None:
    text = "start" + "x" * 10_000 + "end"
    short = shorten(text, 200)
    assert short.startswith("start") and short.endswith("end")
    assert "more characters" in short and len(short) < 250
    assert shorten("short", 200) == "short"
