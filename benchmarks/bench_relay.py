"""Hook call overhead: the host's relay against a raw pluggy call, side by side.

Run: python benchmarks/bench_relay.py (or nox -s bench). Prints the median time per call
for 1, 10 and 50 implementations and the ratio host / pluggy.
"""

from __future__ import annotations

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
    print(f"{'impls':>5}  {'pluggy µs':>10}  {'host µs':>8}  {'host/pluggy':>11}")
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
        for _ in range(5):
            raw_times.append(per_call(functools.partial(raw, document=None)))
            host_times.append(per_call(functools.partial(relay, document=None)))
        r, h = statistics.median(raw_times) * 1e6, statistics.median(host_times) * 1e6
        print(f"{count:>5}  {r:>10.2f}  {h:>8.2f}  {h / r:>11.2f}")
        host.close()


if __name__ == "__main__":
    main()
