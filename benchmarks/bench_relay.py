"""Hook call overhead: the host's relay against a raw pluggy call, side by side.

Run: python benchmarks/bench_relay.py [--quick] [--check] (or nox -s bench). Prints the
median time per call for 1, 10 and 50 implementations and the ratio host / pluggy, with
PASS/FAIL against the target (at most 1.10).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable

import pluggy
from cloudcraver_hookspecs import PROJECT_NAME, hookimpl, specs

from cloudcraver_host import PluginHost
from cloudcraver_host.discovery import DiscoveryResult


def make_plugin(index: int) -> object:
    class Plugin:
        @hookimpl
        def validate_document(self, document: object) -> list[int]:
            return [index]

    return Plugin()


def per_call(function: Callable[[], object], calls: int = 2000, repeats: int = 15) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        samples.append((time.perf_counter() - started) / calls)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls: a smoke test")
    parser.add_argument("--check", action="store_true", help="exit 1 if the target fails")
    options = parser.parse_args()
    calls, repeats, rounds = (200, 3, 2) if options.quick else (2000, 15, 5)

    print(f"{'impls':>5}  {'pluggy µs':>10}  {'host µs':>8}  {'host/pluggy':>11}")
    worst = 0.0
    for count in (1, 10, 50):
        pm = pluggy.PluginManager(PROJECT_NAME)
        pm.add_hookspecs(specs)
        host = PluginHost(discovery=DiscoveryResult())
        for index in range(count):
            pm.register(make_plugin(index), name=f"p{index}")
            host.register(make_plugin(index), f"p{index}")
        raw = pm.hook.validate_document
        relay = host.hook.validate_document
        assert sorted(map(tuple, raw(document=None))) == sorted(map(tuple, relay(document=None)))
        # Interleave the two so that machine noise hits both alike.
        raw_times, host_times = [], []
        for _ in range(rounds):
            raw_times.append(per_call(functools.partial(raw, document=None), calls, repeats))
            host_times.append(per_call(functools.partial(relay, document=None), calls, repeats))
        r, h = statistics.median(raw_times) * 1e6, statistics.median(host_times) * 1e6
        worst = max(worst, h / r)
        print(f"{count:>5}  {r:>10.2f}  {h:>8.2f}  {h / r:>11.2f}")
        host.close()
    ok = worst <= 1.1
    print(
        f"\nTargets\n  {'PASS' if ok else 'FAIL'}  relay / raw pluggy, worst of 1, 10, 50 "
        f"implementations: {worst:.2f} (target <= 1.10)"
    )
    if options.check and not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
