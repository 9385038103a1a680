"""Whole-process start-up of ``cloudcraver`` against the programs users compare it with.

Run: python benchmarks/bench_startup.py [--quick] [--runs N] [--check] (or nox -s bench).

The first run builds the environments under ``benchmarks/.work/`` (see ``_bench_env.py``:
one venv per plugin count, 0, 50 and 200 generated plugins whose import busy-works 50 ms;
datasette from the configured package index); later runs reuse them and only reinstall
Cloud Craver when its sources changed.

Every program runs as a fresh process with stdout not a terminal (as in scripts), its
discovery cache warm unless the case says "cold"; the cases are interleaved round by round
and the median wall time is reported, with the ratios the targets of the issue name. The
``--help`` cases are also run on a pseudo-terminal, where Typer renders help with rich.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_env import (
    APPS,
    COUNTS,
    IMPORT_MS,
    bin_dir,
    ensure_venvs,
    environ,
    home_dir,
    log,
    template_name,
)
from _measure import Case, check, measure


def ours(count: int, *args: str) -> list[str]:
    return [str(bin_dir(count) / "cloudcraver"), *args]


def app(count: int, script: str, *args: str) -> list[str]:
    return [str(bin_dir(count) / "python"), str(APPS / script), *args]


def build_cases(runs: int, quick: bool) -> dict[str, Case]:
    eager_runs = {0: runs, 50: 1 if quick else min(runs, 5), 200: 1 if quick else min(runs, 3)}
    cases: dict[str, Case] = {}

    def add(label: str, argv: list[str], count: int = 0, n: int = runs, **kw: object) -> None:
        env = environ(count, **kw.pop("env", {}))  # type: ignore[arg-type]
        cases[label] = Case(label, argv, env, n, **kw)  # type: ignore[arg-type]

    python = str(bin_dir(0) / "python")
    add("python -c pass", [python, "-c", "pass"])
    add("python -c 'import typer'", [python, "-c", "import typer"])
    add("datasette --help", [str(bin_dir(0) / "datasette"), "--help"])
    for command in (["--help"], ["plugin", "list"], ["template", "list"]):
        text = " ".join(command)
        add(f"bare typer {text}", app(0, "bare_typer.py", *command))
        add(
            f"bare typer (plain help) {text}",
            app(0, "bare_typer.py", *command),
            env={"BENCH_TYPER_PLAIN": "1"},
        )
        for count in COUNTS:
            add(f"cloudcraver {text} [{count}]", ours(count, *command), count)
            add(
                f"eager pluggy {text} [{count}]",
                app(count, "eager_host.py", *command),
                count,
                eager_runs[count],
            )
    for count in COUNTS:
        add(
            f"cloudcraver template create aws-s3-bucket [{count}]",
            ours(count, "template", "create", "aws-s3-bucket", "demo"),
            count,
        )
        if count:
            add(
                f"cloudcraver template create {template_name(0)} [{count}]",
                ours(count, "template", "create", template_name(0), "demo"),
                count,
            )
    cold = 2 if quick else min(runs, 7)
    for count in (0, max(COUNTS)):
        cache = next((home_dir(count) / "cache").glob("discovery-*.json"), None)
        add(
            f"cloudcraver plugin list, cold cache [{count}]",
            ours(count, "plugin", "list"),
            count,
            cold,
            before=str(cache) if cache else None,
        )
    tty = {"tty": True}
    add("pty: bare typer --help", app(0, "bare_typer.py", "--help"), **tty)
    add("pty: cloudcraver --help [0]", ours(0, "--help"), **tty)
    add("pty: datasette --help", [str(bin_dir(0) / "datasette"), "--help"], **tty)
    return cases


def warm(runs: int) -> None:
    """One run of each cloudcraver venv so that discovery caches exist (and commands work)."""
    for count in COUNTS:
        check(Case("warm-up", ours(count, "plugin", "list"), environ(count), 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs each: a smoke test")
    parser.add_argument("--runs", type=int, default=15, help="runs per case (default 15)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target fails")
    options = parser.parse_args()
    runs = 3 if options.quick else options.runs

    ensure_venvs()
    warm(runs)
    cases = build_cases(runs, options.quick)
    for case in cases.values():
        check(case)  # every command works before anything is timed
    log(f"measuring {len(cases)} cases, up to {runs} interleaved runs each")
    measure(list(cases.values()))

    ms = {label: case.median * 1000 for label, case in cases.items()}
    print(
        f"\nWhole-process wall time, median of interleaved runs; generated plugins' imports "
        f"take {IMPORT_MS} ms each; [N] = N plugins installed (besides the 2 first-party)."
    )
    print(f"{'case':<62} {'median ms':>10} {'min ms':>8} {'runs':>5}")
    for label, case in cases.items():
        print(f"{label:<62} {ms[label]:>10.1f} {min(case.times) * 1000:>8.1f} {len(case.times):>5}")

    def ratio(a: str, b: str) -> float:
        return ms[a] / ms[b]

    results: list[tuple[str, float, str, bool]] = []

    def target(name: str, value: float, limit: str, ok: bool) -> None:
        results.append((name, value, limit, ok))

    help0, list0 = "cloudcraver --help [0]", "cloudcraver plugin list [0]"
    # The bare Typer app is Typer with its defaults (its --help: about 0.22 s). The
    # like-for-like lines giving the bare app our plain help too are printed among the other
    # ratios: they say what our host work costs, and are not the target.
    for command, ours_label in (("--help", help0), ("plugin list", list0)):
        r = ratio(ours_label, f"bare typer {command}")
        target(f"{command} [0] / bare Typer {command} (Typer defaults)", r, "<= 1.20", r <= 1.2)
    r = ratio("datasette --help", help0)
    target("datasette --help / cloudcraver --help [0]", r, ">= 3.00", r >= 3)
    r = ratio("datasette --help", list0)
    target("datasette --help / cloudcraver plugin list [0]", r, ">= 3.00", r >= 3)
    r = ratio("cloudcraver plugin list [200]", list0)
    target("plugin list [200] / plugin list [0]", r, "<= 1.25", r <= 1.25)
    r = ratio(
        "cloudcraver template create aws-s3-bucket [200]",
        "cloudcraver template create aws-s3-bucket [0]",
    )
    target("template create [200] / template create [0]", r, "<= 1.25", r <= 1.25)

    print("\nOther ratios")
    for a, b in (
        (help0, "bare typer (plain help) --help"),
        (list0, "bare typer (plain help) plugin list"),
        ("cloudcraver --help [200]", help0),
        ("cloudcraver template list [200]", "cloudcraver template list [0]"),
        ("cloudcraver template list [0]", "bare typer (plain help) template list"),
        ("eager pluggy plugin list [200]", "cloudcraver plugin list [200]"),
        ("eager pluggy --help [200]", "cloudcraver --help [200]"),
        ("eager pluggy plugin list [0]", list0),
        (f"cloudcraver template create {template_name(0)} [200]", list0),
        ("cloudcraver plugin list, cold cache [200]", "cloudcraver plugin list [200]"),
        ("cloudcraver plugin list, cold cache [0]", list0),
        ("pty: cloudcraver --help [0]", "pty: bare typer --help"),
        ("pty: datasette --help", "pty: cloudcraver --help [0]"),
    ):
        print(f"  {a} / {b}: {ratio(a, b):.2f}")

    start = ms["python -c pass"]
    typer_own = ms["bare typer (plain help) --help"] - start
    ours_above = ms[help0] - start
    typer_import = ms["python -c 'import typer'"] - start
    print(
        f"\nTyper's own share of `cloudcraver --help`: the bare Typer app needs {typer_own:.0f} ms "
        f"above `python -c pass` ({start:.0f} ms); cloudcraver needs {ours_above:.0f} ms, so "
        f"{typer_own / ours_above:.0%} of our time above interpreter start-up is Typer's "
        f"(`import typer` alone: {typer_import:.0f} ms). "
        f"On a terminal (rich help): bare {ms['pty: bare typer --help']:.0f} ms, "
        f"cloudcraver {ms['pty: cloudcraver --help [0]']:.0f} ms."
    )

    print("\nTargets")
    for name, value, limit, ok in results:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {value:.2f} (target {limit})")
    if options.check and not all(ok for *_, ok in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
