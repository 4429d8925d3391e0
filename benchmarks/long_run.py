"""Thirty minutes of a driven cortical cell that loses its pumps: nakpump against NEURON.

    PYTHONPATH=src python benchmarks/long_run.py [--minutes N | --quick]
                                                 [--reference-solver Radau|LSODA]

The scenario: `cortical` under a constant K+-carried drive of 3.3 µA/cm² from t = 0 (it
fires at ~9 Hz, adapting to ~6 Hz over the first minute), all pumps blocked from 60 s, N
minutes simulated (default 30; --quick: 2), V and [Na]i recorded every 1 ms (the same
scenario as examples/long_run.toml). Each setting is compared with a tight reference run
in the same process (nakpump "reference", scipy Radau rtol = atol = 1e-10 by default:
~0.3 s per spike, so ~16 min for --quick and ~1.5 h from 4 min on, when the cell has
fallen silent after ~16 000 spikes; LSODA at the same tolerances is ~15× faster, 470 s
for 30 min, and agrees with Radau to ~1e-4 ms over 2 min). Spike errors are
taken spike by spike over the spikes both runs have ("max") and for the last of them
("last"); "Δn" is the difference in spike count. NEURON is the peer in tests/peers
(neuron_cortical.py: the same model in NMODL, global CVODE with the same absolute
tolerance on every state); its rows are left out when NEURON is not installed. Wall
times come from time.perf_counter and exclude numba and nrnivmodl compilation (one short
warm-up run per setting). The last column divides NEURON's wall time by the fastest
nakpump setting with the same spike count and a max spike error no larger than NEURON's
("matched error"); "interp" divides it by nakpump's adaptive wall time at NEURON's max
error, read off the adaptive settings' wall–error curve (log–log).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import nakpump as nk
from nakpump.units import FARADAY, GAS_CONSTANT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "peers"))

DRIVE = 3.3  # µA/cm²: 9.3 Hz in the first 10 s, 6.0 Hz in 50–60 s (adaptive rtol 1e-6)
BLOCK_AT = 60_000.0  # ms
RECORD_EVERY = 1.0  # ms
NAKPUMP_SETTINGS = (
    [dict(method="fixed", scheme="strang", dt=dt) for dt in (0.05, 0.025, 0.01)]
    + [dict(method="fixed", scheme="euler", dt=0.025)]
    + [dict(method="adaptive", rtol=r, atol=r) for r in (1e-4, 1e-5, 1e-6, 1e-7, 1e-8)]
    + [dict(method="doubling", rtol=r, atol=r) for r in (1e-4, 1e-6)]
)
NEURON_TOLERANCES = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10)  # CVODE rtol = atol


@dataclass
class Row:
    engine: str
    label: str
    wall: float
    spikes: np.ndarray
    na_i: float
    extra: dict = field(default_factory=dict)


def _label(kw: dict) -> str:
    if kw["method"] == "fixed":
        return f"fixed {kw['scheme']} dt={kw['dt']:g}"
    if kw["method"] == "reference":
        return f"reference {kw['solver']} rtol={kw['rtol']:.0e}"
    return f"{kw['method']} rtol={kw['rtol']:.0e}"


def _protocol(duration: float) -> list:
    proto = [nk.Stimulus(amplitude=DRIVE)]
    if BLOCK_AT < duration:
        proto.append(nk.PumpBlock(fraction=1.0, start=BLOCK_AT))
    return proto


def run_nakpump(cell, duration: float, kw: dict) -> Row:
    t0 = time.perf_counter()
    ds = nk.simulate(cell, duration, _protocol(duration), record=["v", "na_i"],
                     record_interval=RECORD_EVERY, **kw)
    wall = time.perf_counter() - t0
    info = json.loads(ds.attrs["integrator"])
    return Row("nakpump", _label(kw), wall, ds.spike_time.values, float(ds.na_i[-1]),
               {"steps": info.get("steps", round(duration / kw.get("dt", 1.0)))})


def run_peer(peer, cell, duration: float, tol: float) -> Row:
    block = BLOCK_AT if BLOCK_AT < duration else None
    t0 = time.perf_counter()
    out = peer.run_neuron(cell, duration, DRIVE, 0.0, block_start=block, method="cvode",
                          rtol=tol, atol=tol, record_interval=RECORD_EVERY)
    wall = time.perf_counter() - t0
    return Row("NEURON", f"CVODE rtol=atol={tol:.0e}", wall, out["spikes"],
               float(out["nai"][-1]))


def spike_errors(spk: np.ndarray, ref: np.ndarray) -> tuple[int, float, float]:
    """(Δn, max |Δt| over common spikes, |Δt| of the last common spike), ms."""
    n = min(spk.size, ref.size)
    if n == 0:
        return spk.size - ref.size, float("nan"), float("nan")
    err = np.abs(spk[:n] - ref[:n])
    return spk.size - ref.size, float(err.max()), float(err[-1])


def _interpolated_wall(curve: list[Row], emax: float) -> float:
    """nakpump adaptive wall time at a given max spike error, log–log interpolated (or nan)."""
    pts = sorted((q.extra["emax"], q.wall) for q in curve
                 if q.extra["dn"] == 0 and np.isfinite(q.extra["emax"]) and q.extra["emax"] > 0)
    if len(pts) < 2 or not pts[0][0] <= emax <= pts[-1][0]:
        return float("nan")
    err, wall = np.log(np.array(pts)).T
    return float(np.exp(np.interp(np.log(emax), err, wall)))


def print_table(rows: list[Row], ref: Row) -> None:
    for r in rows:
        r.extra["dn"], r.extra["emax"], r.extra["elast"] = spike_errors(r.spikes, ref.spikes)
    rivals = [r for r in rows if r.engine == "nakpump" and not r.label.startswith("reference")]
    adaptive = [r for r in rivals if r.label.startswith("adaptive")]
    print(f"{'engine':<9}{'setting':<26}{'wall (s)':>10}{'spikes':>8}{'Δn':>5}"
          f"{'max err (ms)':>14}{'last err (ms)':>15}{'[Na]i rel err':>15}"
          f"{'NEURON/nakpump':>16}  matched with (fastest nakpump with Δn 0 and max err ≤ "
          f"NEURON's; 'interp': adaptive wall–error curve, log–log)")
    for r in rows:
        dn, emax, elast = r.extra["dn"], r.extra["emax"], r.extra["elast"]
        ratio, partner = "", ""
        if r.engine == "NEURON":
            ok = [q for q in rivals if q.extra["dn"] == 0 and q.extra["emax"] <= emax]
            if dn != 0:
                ratio, partner = "—", "NEURON's spike count differs from the reference"
            elif ok:
                best = min(ok, key=lambda q: q.wall)
                ratio, partner = f"{r.wall / best.wall:.2f}", best.label
            else:
                ratio, partner = "—", "no nakpump setting tried is as accurate"
            interp = _interpolated_wall(adaptive, emax) if dn == 0 else float("nan")
            if np.isfinite(interp):
                partner += f"; interp {r.wall / interp:.2f}"
        print(f"{r.engine:<9}{r.label:<26}{r.wall:>10.2f}{r.spikes.size:>8}{dn:>5}"
              f"{emax:>14.3g}{elast:>15.3g}{abs(r.na_i / ref.na_i - 1):>15.2e}"
              f"{ratio:>16}  {partner}")


def _revision() -> str:
    """The work tree's commit, '+edits' when src/ has uncommitted changes."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    return head + ("+edits" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="simulated minutes (30)")
    parser.add_argument("--quick", action="store_true", help="2 simulated minutes")
    parser.add_argument("--reference-solver", choices=("Radau", "LSODA"), default="Radau",
                        help="scipy solver of the rtol = atol = 1e-10 reference (Radau)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows when piped to a file
    minutes = 2.0 if args.quick else args.minutes
    duration = minutes * 60_000.0
    cell = nk.preset("cortical")
    import neuron_cortical as peer  # sets NEURON's -nogui option before NEURON loads

    if importlib.util.find_spec("neuron") is None:
        peer = None
        print("NEURON rows left out: NEURON is not installed (pip install neuron)")

    print(f"cortical, {DRIVE} µA/cm² (K+) from 0 s, pumps blocked from "
          f"{BLOCK_AT / 1000:g} s, {minutes:g} min simulated, V recorded every "
          f"{RECORD_EVERY:g} ms; nakpump {nk.__version__} at {_revision()}")
    if peer is not None:
        c = peer.constants()
        print(f"NEURON: FARADAY {c['FARADAY']!r} C/mol, R {c['R']!r} J/(mol·K) "
              f"(nakpump: {FARADAY!r}, {GAS_CONSTANT!r})")

    # Warm-ups: numba compiles each kernel, nrnivmodl builds the mechanisms.
    short = 50.0
    for kw in NAKPUMP_SETTINGS:
        run_nakpump(cell, short, kw)
    if peer is not None:
        run_peer(peer, cell, short, 1e-6)

    ref_kw = dict(method="reference", solver=args.reference_solver, rtol=1e-10, atol=1e-10)
    ref = run_nakpump(cell, duration, ref_kw)
    before = int((ref.spikes < min(BLOCK_AT, duration)).sum())
    last = f"{ref.spikes[-1] / 1000:.1f} s" if ref.spikes.size else "—"
    print(f"reference: nakpump {ref.label}, {ref.spikes.size} spikes ({before} before the "
          f"block, last at {last}), final [Na]i {ref.na_i:.6g} mM, {ref.wall:.1f} s wall\n")

    rows = []
    other = "LSODA" if args.reference_solver == "Radau" else "Radau"
    if other == "LSODA":  # the other scipy solver, as a check on the reference itself
        rows.append(run_nakpump(cell, duration, dict(ref_kw, solver=other)))
    for kw in NAKPUMP_SETTINGS:
        rows.append(run_nakpump(cell, duration, kw))
    if peer is not None:
        for tol in NEURON_TOLERANCES:
            rows.append(run_peer(peer, cell, duration, tol))
    print_table(rows, ref)


if __name__ == "__main__":
    main()
