"""What the run-time safety costs: the fault check after each chunk and the chunking itself.

    python benchmarks/fault_check.py [--repeat K]

Issue 19 asks that checking every chunk for faults (a value not finite, a concentration or
volume ≤ 0, |V| > 1000 mV: nakpump.simulate.faulty) cost under 2 % of a run. This times, in
one process, the same runs with the check as shipped and with it replaced by a no-op, and
with the run in 50 chunks (as shipped: a signal can stop it between them) against one:
a cortical cell (fixed step, 60 s; adaptive, 10 min) and a population of 10 000 hh-squid
cells (fixed step, 200 ms). Fastest of K runs each (default 5), sides alternating.
"""

from __future__ import annotations

import argparse
import importlib
import time

import numpy as np

import nakpump as nk
from nakpump.protocols import Stimulus

simulate = importlib.import_module("nakpump.simulate")  # the module (nk.simulate: the door)
population = importlib.import_module("nakpump.population")


def _fastest(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cortical, squid = nk.preset("cortical"), nk.preset("hh-squid")
    drive = [Stimulus(amplitude=3.0)]
    runs = {
        "cortical, fixed, 60 s": lambda: nk.simulate(cortical, 60_000.0, drive,
                                                     method="fixed"),
        "cortical, adaptive, 10 min": lambda: nk.simulate(cortical, 600_000.0, drive,
                                                          method="adaptive"),
        "10 000 hh-squid, 200 ms": lambda: nk.simulate_population(
            squid, 200.0, [Stimulus(amplitude=10.0, start=5.0)], n=10_000),
    }
    shipped = (simulate.faulty, population.faulty, simulate.N_CHUNKS)

    def variant(check: bool, chunks: int):
        def no_fault(states):
            return np.zeros(states.shape[:-1], dtype=bool)
        simulate.faulty = shipped[0] if check else no_fault
        population.faulty = shipped[1] if check else no_fault
        simulate.N_CHUNKS = population.N_CHUNKS = chunks

    print(f"{'run':<28} {'shipped (s)':>12} {'no check (s)':>13} {'check cost':>11} "
          f"{'1 chunk (s)':>12} {'chunking cost':>14}")
    for name, run in runs.items():
        run()  # compile
        times = {"shipped": np.inf, "no check": np.inf, "one chunk": np.inf}
        for _ in range(args.repeat):
            for label, (check, chunks) in (("shipped", (True, shipped[2])),
                                           ("no check", (False, shipped[2])),
                                           ("one chunk", (True, 1))):
                variant(check, chunks)
                times[label] = min(times[label], _fastest(run, 1))
        variant(True, shipped[2])
        s, n, o = times["shipped"], times["no check"], times["one chunk"]
        print(f"{name:<28} {s:>12.3f} {n:>13.3f} {100 * (s - n) / n:>10.1f}% {o:>12.3f} "
              f"{100 * (s - o) / o:>13.1f}%")


if __name__ == "__main__":
    main()
