"""Peak memory of ``cloudcraver`` commands with 0, 50 and 200 plugins installed.

Run: python benchmarks/bench_memory.py [--quick] [--check] (or nox -s bench).

Uses the environments of ``bench_startup.py`` (built on first use, see ``_bench_env.py``).
Peak memory is the program's maximum resident set size (``ru_maxrss`` from ``wait4``, taken
by a small launcher so that the benchmark's own memory does not count), the median over
interleaved runs, with the discovery cache warm.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_env import APPS, COUNTS, bin_dir, ensure_venvs, environ
from _measure import Case, check, measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 runs each: a smoke test")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target fails")
    options = parser.parse_args()
    runs = 2 if options.quick else options.runs

    ensure_venvs()
    cases: dict[str, Case] = {}
    python0 = str(bin_dir(0) / "python")
    cases["python -c pass"] = Case("python -c pass", [python0, "-c", "pass"], environ(0), runs)
    cases["bare typer plugin list"] = Case(
        "bare typer plugin list",
        [python0, str(APPS / "bare_typer.py"), "plugin", "list"],
        environ(0),
        runs,
    )
    for count in COUNTS:
        exe = str(bin_dir(count) / "cloudcraver")
        for args in (["--help"], ["plugin", "list"], ["template", "list"]):
            label = f"cloudcraver {' '.join(args)} [{count}]"
            cases[label] = Case(label, [exe, *args], environ(count), runs)
    top = max(COUNTS)
    label = f"eager pluggy plugin list [{top}]"
    cases[label] = Case(
        label,
        [str(bin_dir(top) / "python"), str(APPS / "eager_host.py"), "plugin", "list"],
        environ(top),
        1,
    )
    for case in cases.values():
        case.memory = True
        check(case)  # also warms each venv's discovery cache
    measure(list(cases.values()))

    mib = {label: case.median_rss / 1024 for label, case in cases.items()}
    print("\nPeak resident memory (ru_maxrss of the child), median of interleaved runs")
    print(f"{'case':<44} {'MiB':>8} {'runs':>5}")
    for label, case in cases.items():
        print(f"{label:<44} {mib[label]:>8.1f} {len(case.rss_kib):>5}")
    ratio = mib[f"cloudcraver plugin list [{top}]"] / mib["cloudcraver plugin list [0]"]
    ok = ratio <= 1.2
    print("\nOther ratios")
    for a, b in (
        (f"cloudcraver --help [{top}]", "cloudcraver --help [0]"),
        (f"cloudcraver template list [{top}]", "cloudcraver template list [0]"),
        ("cloudcraver plugin list [0]", "bare typer plugin list"),
        (f"eager pluggy plugin list [{top}]", f"cloudcraver plugin list [{top}]"),
    ):
        print(f"  {a} / {b}: {mib[a] / mib[b]:.2f}")
    print("\nTargets")
    print(
        f"  {'PASS' if ok else 'FAIL'}  peak memory of plugin list [{top}] / [0]: "
        f"{ratio:.2f} (target <= 1.20)"
    )
    if options.check and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
