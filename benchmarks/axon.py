"""The HH axon (issue 8): conduction velocity as dx and dt shrink, nakpump beside NEURON.

Prints one table: for each scheme (backward Euler; nakpump's Strang step beside NEURON's
Crank–Nicolson) and each (dx, dt), the velocity between 2.5 and 3 cm of a 4 cm axon,
its difference from the converged 18.7346 m/s (NEURON CN and CVODE extrapolated,
tests/peers/measure_axon.py), and the wall time of each simulator on the same cable,
recording V at every step at four sites (NEURON) or V everywhere every 10 µs (nakpump).

    python benchmarks/axon.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import nakpump as nk
from nakpump.axon import conduction_velocity, simulate_axon
from nakpump.model.axon import axon_preset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "peers"))

CONVERGED = 18.7346  # m/s
LENGTH, T_END = 40_000.0, 2.6  # µm, ms
SITES = (25_000.0, 30_000.0)  # µm


def run_nakpump(dx: float, dt: float, scheme: str) -> tuple[float, float]:
    axon = axon_preset("hh-axon", length=LENGTH, segment_length=dx)
    stim = nk.Stimulus(amplitude=20.0 / (np.pi * axon.diameter * dx * 1e-8), start=0.1,
                       stop=0.2)  # 20 µA, as the NEURON peer's IClamp
    simulate_axon(axon, 0.3, [stim], dt=dt, scheme=scheme)  # compile outside the timing
    t0 = time.perf_counter()
    ds = simulate_axon(axon, T_END, [stim], dt=dt, scheme=scheme,
                       record_interval=dt * max(1, round(0.01 / dt)))
    wall = time.perf_counter() - t0
    return conduction_velocity(ds, *SITES), wall


def run_neuron(dx: float, dt: float, method: str) -> tuple[float, float] | None:
    try:
        import neuron_axon
    except ImportError:
        return None
    ref = neuron_axon.run_axon(length_um=LENGTH, dx_um=dx, dt_ms=dt, method=method,
                               record_at=(0.625, 0.75), velocity_sites=(0.625, 0.75),
                               tstop_ms=T_END)
    return ref.velocity_m_s, ref.wall_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="dx 100 and 50 µm only")
    args = parser.parse_args()
    grid = [(100.0, 0.004), (50.0, 0.002)] + ([] if args.quick else [(25.0, 0.001)])
    print(f"HH axon, 18.5 °C, 476 µm, 35.4 Ω·cm, {LENGTH / 1e4:g} cm; velocity 2.5–3 cm; "
          f"converged {CONVERGED} m/s")
    print(f"{'scheme':<28}{'dx µm':>7}{'dt µs':>7}{'v m/s':>10}{'error':>9}{'wall s':>8}"
          f"{'NEURON/nakpump':>16}")
    for ours, theirs, label in (("euler", "euler", "backward Euler"),
                                ("strang", "cn", "Strang / NEURON CN")):
        for dx, dt in grid:
            v, wall = run_nakpump(dx, dt, ours)
            peer = run_neuron(dx, dt, theirs)
            print(f"{'nakpump ' + label:<28}{dx:>7g}{dt * 1e3:>7g}{v:>10.4f}"
                  f"{v - CONVERGED:>+9.4f}{wall:>8.3f}")
            if peer is not None:
                print(f"{'NEURON  ' + label:<28}{dx:>7g}{dt * 1e3:>7g}{peer[0]:>10.4f}"
                      f"{peer[0] - CONVERGED:>+9.4f}{peer[1]:>8.3f}{peer[1] / wall:>16.2f}")


if __name__ == "__main__":
    main()
