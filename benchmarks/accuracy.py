"""Accuracy against wall time for every integrator setting (prints a table).

    python benchmarks/accuracy.py [--quick]

(a) 1 s of HH firing (hh-1952, 10 µA/cm², 6.3 °C); (b) the cortical cell firing under
a constant 6 µA/cm² drive for 60 s (20 s with --quick) with its pumps blocked from 10 s.
Each setting's spike times and final [Na]i are compared with a tight reference run in the
same process (scipy Radau, rtol = atol = 1e-10). Spike errors are taken spike by spike
over the spikes both runs have ("max") and for the last of them ("last"); "Δn" is the
difference in spike count. Wall times exclude numba compilation (one warm-up run each).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import nakpump as nk

SETTINGS = (
    [dict(method="fixed", scheme="euler", dt=dt) for dt in (0.1, 0.05, 0.025, 0.01)]
    + [dict(method="fixed", scheme="strang", dt=dt) for dt in (0.1, 0.05, 0.025, 0.01)]
    + [dict(method="adaptive", rtol=r, atol=r) for r in (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)]
    + [dict(method="doubling", rtol=r, atol=r) for r in (1e-3, 1e-4, 1e-5, 1e-6)]
)


def _run(cell, duration, proto, **kw):
    t0 = time.perf_counter()
    ds = nk.simulate(cell, duration, proto, record=["v", "na_i"], record_interval=10.0, **kw)
    return ds, time.perf_counter() - t0


def _label(kw):
    if kw["method"] == "fixed":
        return f"fixed {kw['scheme']:<6} dt={kw['dt']:<6g}"
    return f"{kw['method']} rtol={kw['rtol']:<8.0e}"


def table(name, cell, duration, proto):
    print(f"\n{name}")
    ref, wall = _run(cell, duration, proto, method="reference", solver="Radau", rtol=1e-10,
                     atol=1e-10)
    r_spk, r_na = ref.spike_time.values, float(ref.na_i[-1])
    print(f"reference: Radau rtol 1e-10, {r_spk.size} spikes, {wall:.1f} s wall")
    print(f"{'setting':<28}{'wall (s)':>10}{'steps':>11}{'Δn':>5}{'max err (ms)':>14}"
          f"{'last err (ms)':>15}{'[Na]i rel err':>15}")
    for kw in SETTINGS:
        _run(cell, min(duration, 50.0), proto[:1], **kw)  # compile / warm up
        ds, wall = _run(cell, duration, proto, **kw)
        spk = ds.spike_time.values
        n = min(spk.size, r_spk.size)
        err = np.abs(spk[:n] - r_spk[:n])
        info = json.loads(ds.attrs["integrator"])
        steps = info.get("steps", round(duration / kw.get("dt", 1.0)))
        print(f"{_label(kw):<28}{wall:>10.3f}{steps:>11}{spk.size - r_spk.size:>5}"
              f"{err.max():>14.3g}{err[-1]:>15.3g}{abs(float(ds.na_i[-1]) / r_na - 1):>15.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 s instead of 60 s for (b)")
    args = parser.parse_args()
    hh = nk.preset("hh-1952")
    table("(a) hh-1952, 10 µA/cm², 1 s", hh, 1000.0, [nk.Stimulus(amplitude=10.0)])
    cortical = nk.preset("cortical")
    duration = 20_000.0 if args.quick else 60_000.0
    table(f"(b) cortical, 6 µA/cm², pump blocked from 10 s, {duration / 1000:.0f} s", cortical,
          duration, [nk.Stimulus(amplitude=6.0), nk.PumpBlock(start=10_000.0)])


if __name__ == "__main__":
    main()
