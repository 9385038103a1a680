"""Installing 20 plugins: ``cloudcraver plugin install`` against plain ``pip install``.

Run: python benchmarks/bench_install.py [--quick] [--runs N] [--check] (or nox -s bench).

Both install the same 20 generated plugin wheels (``_bench_env.write_plugin_wheel`` with no
import cost, so the host is measured, not plugin code) from a PEP 503 index on 127.0.0.1
(the test suite's own ``tests/support/index.py``) into ``benchmarks/.work/venv-0``, where
Cloud Craver and all its dependencies are already installed, so neither side downloads
anything but the 20 plugins. pip runs isolated from the machine's pip configuration, the
same way on both sides (``PIP_CONFIG_FILE`` is ``os.devnull``, the only index is the local
one), with one pip cache shared by both and warmed by an untimed install of each first.

Each run starts from the environment without the 20 plugins (removed, untimed, with
``pip uninstall`` between runs) and the Cloud Craver side from an empty ``CLOUDCRAVER_HOME``
(empty archive and journal, as for a first install). The sides alternate run by run; the
whole process's wall time is measured. Printed: every run, the medians, the ratio
cloudcraver / pip (target at most 1.5) and the median of each step the ``--json`` result
reports (plan, archive, apply, verify) with what is left ("other"), so the extra time has
a name.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_env import ROOT, WORK, bin_dir, ensure_venvs, environ, log, write_plugin_wheel

PLUGINS = 20
TARGET = 1.5
#: The steps of ``plugin install --json`` that run one after the other; ``archive`` runs in a
#: thread during ``verify`` (the wheels just installed), and before ``apply`` only for what a
#: change replaces: nothing, on a first install, so it is not added to these.
SERIAL_STEPS = ("plan", "apply", "verify")
STEPS = ("plan", "archive", "apply", "verify")


def plugin_wheels() -> list[Path]:
    """The 20 generated plugin wheels, without the 50 ms import cost of the start-up ones."""
    folder = WORK / "install-plugins"
    stamp = folder / f"stamp-0ms-{PLUGINS}"
    if not stamp.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for index in range(PLUGINS):
            write_plugin_wheel(folder, index, import_ms=0)
        stamp.write_text("ok")
    return sorted(folder.glob("*.whl"))


def project_names(wheels: Sequence[Path]) -> list[str]:
    """Distribution names from wheel file names (``ccbench_plugin_0000-1.0.0-...``)."""
    return [w.name.split("-", 1)[0].replace("_", "-") for w in wheels]


def isolated_env(index_url: str, cache: Path, empty: Path, home: Path) -> dict[str, str]:
    """venv-0's environment, with pip seeing only the local index (identical on both sides)."""
    return environ(
        0,
        CLOUDCRAVER_HOME=str(home),
        PIP_CONFIG_FILE=os.devnull,
        XDG_CONFIG_DIRS=str(empty),
        XDG_CONFIG_HOME=str(empty),
        PIP_INDEX_URL=index_url,
        PIP_EXTRA_INDEX_URL="",
        PIP_FIND_LINKS="",
        PIP_CONSTRAINT="",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_CACHE_DIR=str(cache),
    )


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall time of one whole process and its standard output; exit code 0 insisted on."""
    started = time.perf_counter()
    result = subprocess.run(
        argv,
        env=env,
        cwd=env["HOME"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"exit code {result.returncode}: {' '.join(argv)}\n"
            f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
        )
    return elapsed, result.stdout


def uninstall(python: str, names: list[str], env: dict[str, str], expected: int) -> None:
    """Remove the plugins (untimed); ``expected`` of them must have been installed."""
    _, out = timed([python, "-m", "pip", "uninstall", "-y", *names], env)
    removed = out.count("Successfully uninstalled")
    if removed != expected:
        raise SystemExit(f"expected {expected} plugins installed, pip uninstalled {removed}")


def cloudcraver_steps(out: str, names: list[str]) -> dict[str, float]:
    """The steps of a ``plugin install --json`` result, after checking it installed all."""
    result: dict[str, Any] = json.loads(out)
    installed = {c["name"] for c in result["changes"] if c["action"] == "install"}
    if result["state"] != "committed" or installed != set(names):
        raise SystemExit(f"cloudcraver did not install the {len(names)} plugins:\n{out}")
    return {k: float(v) for k, v in result["steps"].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 runs each: a smoke test")
    parser.add_argument("--runs", type=int, default=5, help="runs per side (default 5)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target fails")
    options = parser.parse_args()
    runs = 2 if options.quick else options.runs

    ensure_venvs((0,))
    wheels = plugin_wheels()
    names = project_names(wheels)
    python, cloudcraver = str(bin_dir(0) / "python"), str(bin_dir(0) / "cloudcraver")
    sys.path.insert(0, str(ROOT / "tests"))
    from support.index import PackageIndex

    scratch = Path(tempfile.mkdtemp(prefix="install-", dir=WORK))
    cache, empty = scratch / "pip-cache", scratch / "empty"
    empty.mkdir()
    pip_times: list[float] = []
    cc_times: list[float] = []
    version_times: list[float] = []  # `pip --version`: the fixed cost of one pip process
    steps: list[dict[str, float]] = []
    load_before = os.getloadavg()
    try:
        with PackageIndex(wheels) as index:

            def env(home: Path) -> dict[str, str]:
                return isolated_env(index.simple_url, cache, empty, home)

            base = env(scratch / "home-pip")
            # Nothing of an earlier, interrupted run may be left (0 or 20 were installed).
            subprocess.run(
                [python, "-m", "pip", "uninstall", "-y", *names],
                env=base,
                capture_output=True,
                check=False,
            )
            log(f"{PLUGINS} plugins, index {index.simple_url}, {runs} runs per side + warm-up")
            for round_ in range(runs + 1):  # round 0: the untimed warm-up of each side
                elapsed, _ = timed([python, "-m", "pip", "install", *names], base)
                uninstall(python, names, base, PLUGINS)
                if round_:
                    pip_times.append(elapsed)
                    version_times.append(timed([python, "-m", "pip", "--version"], base)[0])
                home = scratch / f"home-cc-{round_}"  # a first install: no archive, no journal
                argv = [cloudcraver, "plugin", "install", *names, "--yes", "--json"]
                elapsed, out = timed(argv, env(home))
                run_steps = cloudcraver_steps(out, names)
                uninstall(python, names, base, PLUGINS)
                shutil.rmtree(home, ignore_errors=True)
                if round_:
                    cc_times.append(elapsed)
                    steps.append({**run_steps, "total": elapsed})
                    log(f"run {round_}: pip {pip_times[-1]:.2f} s, cloudcraver {elapsed:.2f} s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load_after = os.getloadavg()
    report(pip_times, cc_times, version_times, steps, (load_before, load_after), options.check)


def report(
    pip_times: list[float],
    cc_times: list[float],
    version_times: list[float],
    steps: list[dict[str, float]],
    loads: tuple[tuple[float, float, float], tuple[float, float, float]],
    check: bool,
) -> None:
    for row in steps:
        row["other"] = row["total"] - sum(row.get(k, 0.0) for k in SERIAL_STEPS)
    columns = (*STEPS, "other")
    print(
        f"\nInstalling {PLUGINS} plugin wheels from a local index (127.0.0.1), warm pip cache,"
        " whole-process wall time in seconds, sides alternating run by run;"
        " cloudcraver's steps from its --json result"
    )
    print(
        f"{'run':>4} {'pip':>6} {'cloudcraver':>11} {'ratio':>6}  "
        + " ".join(f"{k:>7}" for k in columns)
    )
    for number, (p, row) in enumerate(zip(pip_times, steps, strict=True), 1):
        c = row["total"]
        cells = " ".join(f"{row.get(k, 0.0):>7.2f}" for k in columns)
        print(f"{number:>4} {p:>6.2f} {c:>11.2f} {c / p:>6.2f}  {cells}")
    pip_median, cc_median = statistics.median(pip_times), statistics.median(cc_times)
    ratio = cc_median / pip_median
    medians = {k: statistics.median(row.get(k, 0.0) for row in steps) for k in columns}
    cells = " ".join(f"{medians[k]:>7.2f}" for k in columns)
    print(f"{'med':>4} {pip_median:>6.2f} {cc_median:>11.2f} {ratio:>6.2f}  {cells}")

    labels = {
        "plan": "plan: pip install --dry-run --report (prestarted pip)",
        "archive": "archive: a wheel of each plugin installed (during verify)",
        "apply": "apply: pip install --no-deps of the planned versions",
        "verify": "verify: the worker checks the plugins, archive joined",
        "other": "other: process start, lock, snapshot, journal",
    }
    print(f"\nWhere cloudcraver's time goes (medians over {len(steps)} runs)")
    for key in columns:
        share = 100 * medians[key] / cc_median
        print(f"  {labels[key]:<60} {medians[key]:>6.2f} s {share:>4.0f}%")
    print(f"  {'total, whole process':<60} {cc_median:>6.2f} s")
    print(f"  {'plain pip install, whole process':<60} {pip_median:>6.2f} s")
    pip_twice = statistics.median(r.get("plan", 0.0) + r.get("apply", 0.0) for r in steps)
    print(f"\nExtra over pip: {cc_median - pip_median:.2f} s, of which (medians)")
    print(
        f"  pip's work done twice: plan + apply {pip_twice:.2f} s against one pip install:"
        f" +{pip_twice - pip_median:.2f} s"
    )
    print(f"  verify (and archive beside it): +{medians['verify']:.2f} s")
    print(f"  other: +{medians['other']:.2f} s")
    print(
        f"For scale: `python -m pip --version` (starting pip, nothing to do) takes "
        f"{statistics.median(version_times):.2f} s; cloudcraver runs pip twice (plan, apply), "
        "both started ahead while it reads the environment."
    )
    (b1, b5, _), (a1, a5, _) = loads
    print(
        f"Load average (1, 5 min) before {b1:.2f}, {b5:.2f}, after {a1:.2f}, {a5:.2f} "
        f"on {os.cpu_count()} CPUs"
    )
    ok = ratio <= TARGET
    print("\nTargets")
    print(
        f"  {'PASS' if ok else 'FAIL'}  cloudcraver plugin install / pip install, "
        f"{PLUGINS} plugins: {ratio:.2f} (target <= {TARGET:.2f})"
    )
    if check and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
