"""Two versions of nakpump side by side: wall times before and after a change (A/B).

    python benchmarks/ab_compare.py BEFORE_SRC AFTER_SRC [--repeat K] [--cells N]

BEFORE_SRC and AFTER_SRC are `src` directories (e.g. of two git worktrees); each
measurement runs in its own process with PYTHONPATH set to one of them, the sides
taking turns (ABAB…), and the fastest of K runs (default 3) per side is printed, so
that the drift of a shared machine does not fall on one side. Measurements:

- cold: `import nakpump` and the first simulate(cortical, 100 ms, 6 µA/cm²) in a
  process with an empty numba cache (a fresh NUMBA_CACHE_DIR and a copy of the side's
  src without __pycache__); warm: the same in a second process, from that cache;
- pop 1t / pop 2t: simulate_population(hh-squid, N cells (default 10 000), 200 ms,
  dt 0.025 ms, scheme "euler", spikes only, 10 µA/cm², pump rate_max uniform in
  [0.5, 1.5] × the preset's, seed 1) with threads=1 and 2;
- adaptive 120 s: cortical under 3.3 µA/cm², pumps blocked from 60 s, rtol 1e-6,
  V and [Na]i every 1 ms; fixed 20 s: the same with the fixed step, pumps not
  blocked (a protocol's events start within the run);
- axon: simulate_axon(hh-axon, 4 cm, dx 50 µm, dt 2 µs, Strang, 2.6 ms), as
  benchmarks/axon.py.

The others time the call alone, after a short warm-up call in the same process
(numba's compilation or cache loading excluded), with one numba cache per side. The
table gives before (s), after (s) and their ratio; below it, each side's results (spike
counts, final [Na]i mM, velocity m/s), which should be equal.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MEASUREMENTS = ("cold", "warm", "pop 1t", "pop 2t", "adaptive 120 s", "fixed 20 s", "axon")


def _timed(call, warmup=None) -> tuple[float, object]:
    """(wall s, result) of call(), after warmup() if given."""
    if warmup is not None:
        warmup()
    t = time.perf_counter()
    ds = call()
    return time.perf_counter() - t, ds


def measure(name: str, cells: int) -> dict:
    """Run one measurement in this process: its wall time (s) and its results."""
    t = time.perf_counter()
    import nakpump as nk

    if name in ("cold", "warm"):  # the import too: a version may load kernels in it
        ds = nk.simulate(nk.preset("cortical"), 100.0, [nk.Stimulus(amplitude=6.0)])
        return {"wall": time.perf_counter() - t, "spikes": ds.sizes["spike"],
                "na_i": float(ds.na_i[-1])}
    if name.startswith("pop"):
        cell = nk.preset("hh-squid")
        rate_max = cell.pump.rate_max * np.random.default_rng(1).uniform(0.5, 1.5, cells)
        threads = int(name[4])

        def run(duration, n):
            return nk.simulate_population(cell, duration, [nk.Stimulus(amplitude=10.0)],
                                          parameters={"pump.rate_max": rate_max[:n]},
                                          dt=0.025, scheme="euler", record=[],
                                          threads=threads)
        wall, ds = _timed(lambda: run(200.0, cells), lambda: run(0.25, 4))
        return {"wall": wall, "spikes": ds.spike_count.values.tolist(),
                "na_i": ds.na_i_end.values.tolist()}
    if name == "axon":
        from nakpump.axon import conduction_velocity, simulate_axon
        from nakpump.model.axon import axon_preset

        dx, dt = 50.0, 0.002  # µm, ms
        axon = axon_preset("hh-axon", length=40_000.0, segment_length=dx)
        stim = [nk.Stimulus(amplitude=20.0 / (np.pi * axon.diameter * dx * 1e-8),
                            start=0.1, stop=0.2)]  # 20 µA
        wall, ds = _timed(lambda: simulate_axon(axon, 2.6, stim, dt=dt, record_interval=0.01),
                          lambda: simulate_axon(axon, 0.3, stim, dt=dt))
        return {"wall": wall, "velocity": conduction_velocity(ds, 25_000.0, 30_000.0),
                "v_end": float(ds.v[-1].mean())}
    adaptive = name.startswith("adaptive")
    duration = 120_000.0 if adaptive else 20_000.0  # ms
    kw = {"method": "adaptive", "rtol": 1e-6} if adaptive else {"method": "fixed"}
    kw |= {"record": ["v", "na_i"], "record_interval": 1.0}
    # A protocol's events start within the run: no block in 20 s; at 0.5 s in the warm-up.
    drive = [nk.Stimulus(amplitude=3.3)]
    protocol = drive + [nk.PumpBlock(start=duration / 2)] if adaptive else drive
    warmup = drive + [nk.PumpBlock(start=500.0)] if adaptive else drive
    cell = nk.preset("cortical")
    wall, ds = _timed(lambda: nk.simulate(cell, duration, protocol, **kw),
                      lambda: nk.simulate(cell, 1000.0, warmup, **kw))
    return {"wall": wall, "spikes": ds.sizes["spike"], "na_i": float(ds.na_i[-1])}


def run_child(src: Path, cache: Path, name: str, cells: int) -> dict:
    """measure(name) in a fresh process importing nakpump from src, numba cache in cache."""
    env = dict(os.environ, PYTHONPATH=str(src), NUMBA_CACHE_DIR=str(cache))
    code = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            f"import ab_compare; r = ab_compare.measure({name!r}, {cells}); "
            "r['file'] = sys.modules['nakpump'].__file__; print(json.dumps(r))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True)
    if proc.returncode:
        sys.exit(f"{name} failed with {src}:\n{proc.stderr}")
    res = json.loads(proc.stdout.splitlines()[-1])
    assert Path(res.pop("file")).is_relative_to(src), f"nakpump not imported from {src}"
    return res


def summary(res: dict) -> str:
    """One line of a measurement's results."""
    if isinstance(res.get("spikes"), list):
        return (f"spikes {sum(res['spikes'])} in {len(res['spikes'])} cells, "
                f"mean final [Na]i {np.mean(res['na_i']):.12g} mM")
    if "velocity" in res:
        return f"velocity {res['velocity']:.10g} m/s, mean final V {res['v_end']:.12g} mV"
    return f"spikes {res['spikes']}, final [Na]i {res['na_i']:.15g} mM"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="src directory of the version before")
    parser.add_argument("after", type=Path, help="src directory of the version after")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (fastest kept)")
    parser.add_argument("--cells", type=int, default=10_000, help="population size")
    parser.add_argument("--only", nargs="+", choices=MEASUREMENTS, default=MEASUREMENTS)
    args = parser.parse_args()
    if "warm" in args.only and "cold" not in args.only:
        parser.error("warm runs from cold's cache: ask for cold too")
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    walls = {(m, s): [] for m in args.only for s in sides}
    results = {}
    with tempfile.TemporaryDirectory(prefix="ab_compare_") as tmp:
        tmp = Path(tmp)
        for k in range(args.repeat):
            for m in args.only:
                for side, src in sides.items():
                    if m == "warm":
                        continue  # run with cold, from cold's cache
                    if m == "cold":
                        # An empty numba cache, and no cached kernels beside the sources.
                        run = Path(tempfile.mkdtemp(dir=tmp))
                        shutil.copytree(src, run / "src",
                                        ignore=shutil.ignore_patterns("__pycache__"))
                        runs = [("cold", run / "src", run / "cache")]
                        if "warm" in args.only:
                            runs.append(("warm", run / "src", run / "cache"))
                    else:
                        runs = [(m, src, tmp / f"cache-{side}")]
                    for name, where, cache in runs:
                        res = run_child(where, cache, name, args.cells)
                        walls[name, side].append(res.pop("wall"))
                        results[name, side] = res
                        print(f"[{k + 1}/{args.repeat}] {name:<15} {side:<7}"
                              f"{walls[name, side][-1]:8.3f} s", file=sys.stderr, flush=True)
    print(f"fastest of {args.repeat} per side; before = {sides['before']}, "
          f"after = {sides['after']}")
    print(f"{'measurement':<16}{'before (s)':>12}{'after (s)':>12}{'after/before':>14}")
    for m in args.only:
        b, a = min(walls[m, "before"]), min(walls[m, "after"])
        print(f"{m:<16}{b:>12.3f}{a:>12.3f}{a / b:>14.3f}")
    print("\nresults (should be equal):")
    for m in args.only:
        same = results[m, "before"] == results[m, "after"]
        print(f"{m:<16}{'equal' if same else 'DIFFERENT'}")
        for side in sides:
            print(f"  {side:<8}{summary(results[m, side])}")


if __name__ == "__main__":
    main()
