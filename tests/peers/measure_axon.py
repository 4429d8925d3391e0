"""Measure the HH (1952) squid axon with the independent NEURON peer (neuron_axon.py).

    nice python tests/peers/measure_axon.py      # ≈ 1 min on one core

Prints (a) the conduction velocity (m/s) at 18.5 °C over dx ∈ {200, 100, 50, 25} µm
× dt ∈ {4, 2, 1} µs with NEURON's fixed-step backward Euler, then Crank–Nicolson
and CVODE for a few settings and a finer backward-Euler pair for extrapolation,
with references.md §1.5's 18.67 / 18.70 / 18.72 (dx/dt = 100/4, 50/2, 25/1) and
18.73 (converged); (a′) that the velocity does not depend on the measuring sites,
the axon length or the stimulus; (b) Na⁺ entry and K⁺ exit per impulse
(pmol/cm², mid-axon) against 4.38 / 4.36 (references.md) and HH's 4.33 / 4.26,
including their dependence on the integration window; (c) wall time, nseg and
steps of every run.

Axon: a = 238 µm (diameter 476 µm), Ri 35.4 Ω·cm, 6 cm long, sealed ends; velocity
from the first 0-mV crossings at 3.0 and 4.5 cm (fractions 0.5, 0.75); stimulus
20 µA for 0.1 ms at x = 0 from t = 0.1 ms; tstop 18 ms.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from neuron_axon import GL, crossings, run_axon  # noqa: E402  (peer module, not nakpump)

DXS = (200.0, 100.0, 50.0, 25.0)           # µm
DTS = (0.004, 0.002, 0.001)                # ms
REF_BE = {(100.0, 0.004): 18.67, (50.0, 0.002): 18.70, (25.0, 0.001): 18.72}
REF_CONVERGED = 18.73
REF_IONS = (4.38, 4.36)                    # references.md [sim], pmol/cm²
HH_IONS = (4.33, 4.26)                     # HH 1952, pmol/cm²
ALONG = tuple(np.round(np.arange(0.05, 0.951, 0.05), 2))
RUNS: list[tuple[str, object]] = []


def run(label: str, **kw):
    res = run_axon(**kw)
    RUNS.append((label, res))
    if np.any(res.n_crossings != 1):
        print(f"  !! {label}: crossings per site {res.n_crossings.tolist()} (expected 1 each)")
    return res


def stim_threshold(dx_um: float = 100.0, dt_ms: float = 0.004) -> tuple[float, float]:
    """Bracket (nA) of the 0.1-ms pulse that just starts an impulse reaching x = 0.75."""
    lo, hi = 1000.0, 20000.0
    for _ in range(8):
        mid = 0.5 * (lo + hi)
        res = run_axon(dx_um=dx_um, dt_ms=dt_ms, stim_amp_nA=mid, tstop_ms=4.0)
        if res.n_crossings[-1] >= 1:
            hi = mid
        else:
            lo = mid
    return lo, hi


def leak_excess(res) -> float:
    """−∫ gL (V − v_rest) dt at mid-axon over the flux window, pmol/cm² (inward positive)."""
    v_mid = res.v[res.sites.index(0.5)]
    t0, t1 = res.flux_window_ms
    sel = (res.t >= t0) & (res.t <= t1)
    q = np.trapezoid(GL * (v_mid[sel] - res.v_rest), res.t[sel])  # µC/cm², outward
    return -q * 1e6 / res.faraday


def main() -> None:
    print(f"NEURON peer of the HH squid axon; load average {os.getloadavg()[0]:.2f} at start")

    # ---- set-up and rest ----------------------------------------------------------
    finest = run("BE dx 25 dt 1 (sites along)", dx_um=25.0, dt_ms=0.001, record_at=ALONG)
    print(f"axon {finest.length_um / 1e4:.1f} cm, diam {finest.diam_um:.0f} µm, Ra "
          f"{finest.ra} Ω·cm, {finest.celsius} °C (hh q10 factor {finest.q10:.4f})")
    print(f"rest (root of NEURON's hh total current) {finest.v_rest:.6f} mV "
          f"[ref −64.9964]; current after finitialize {finest.rest_current:.1e} mA/cm², "
          f"max |V − rest| before the stimulus {finest.rest_drift_mV:.1e} mV; "
          f"ena {finest.ena:g}, ek {finest.ek:g} mV")
    lo, hi = stim_threshold()
    print(f"stimulus {finest.stim_amp_nA / 1e3:g} µA × {finest.stim_dur_ms} ms at x = 0; "
          f"threshold (dx 100, dt 4 µs) {lo / 1e3:.2f}–{hi / 1e3:.2f} µA")
    print(f"velocity sites {finest.velocity_x_um[0] / 1e4:.4f} and "
          f"{finest.velocity_x_um[1] / 1e4:.4f} cm (segment centres); arrival = first "
          f"upward 0-mV crossing, linear interpolation")

    # ---- (a) convergence ----------------------------------------------------------
    print("\n(a) velocity (m/s), backward Euler (secondorder 0); [references.md]")
    print("  dx µm  nseg" + "".join(f"{f'dt {dt * 1e3:g} µs':>19}" for dt in DTS))
    be = {}
    for dx in DXS:
        cells = []
        for dt in DTS:
            if (dx, dt) == (25.0, 0.001):
                res = finest
            else:
                res = run(f"BE dx {dx:g} dt {dt * 1e3:g}", dx_um=dx, dt_ms=dt)
            be[dx, dt] = res
            ref = REF_BE.get((dx, dt))
            cells.append(f"{res.velocity_m_s:11.4f}" + (f" [{ref:.2f}]" if ref else " " * 8))
        print(f"  {dx:5g} {res.nseg:5d}" + "".join(cells))
    fine = run("BE dx 25 dt 0.5", dx_um=25.0, dt_ms=0.0005)
    finer = run("BE dx 12.5 dt 0.5", dx_um=12.5, dt_ms=0.0005)
    print(f"  extra: dx 25 dt 0.5 µs {fine.velocity_m_s:.4f}; dx 12.5 dt 0.5 µs "
          f"{finer.velocity_m_s:.4f}")
    v1 = be[25.0, 0.001].velocity_m_s
    print(f"  dt → 0 at dx 25 (first order, from 1 and 0.5 µs): "
          f"{2 * fine.velocity_m_s - v1:.4f}  [converged {REF_CONVERGED}]")

    print("  Crank–Nicolson (secondorder 2):")
    cn = {}
    for dx in (100.0, 25.0):
        row = []
        for dt in DTS:
            res = run(f"CN dx {dx:g} dt {dt * 1e3:g}", dx_um=dx, dt_ms=dt, method="cn")
            cn[dx, dt] = res
            row.append(f"{res.velocity_m_s:11.4f}" + " " * 8)
        print(f"  {dx:5g} {res.nseg:5d}" + "".join(row))
    for dx in (100.0, 25.0):
        a, b = cn[dx, 0.002].velocity_m_s, cn[dx, 0.001].velocity_m_s
        print(f"  CN dt → 0 at dx {dx:g} (second order, 2 and 1 µs): {b + (b - a) / 3:.4f}")
    print("  CVODE (global variable step; V sampled every 1 µs from its interpolant):")
    for dx in (100.0, 25.0):
        for rtol in (1e-4, 1e-6):
            res = run(f"CVODE dx {dx:g} rtol {rtol:g}", dx_um=dx, cvode=True, rtol=rtol,
                      atol=1e-6)
            print(f"  dx {dx:5g}  rtol {rtol:g} atol 1e-6: {res.velocity_m_s:.4f} "
                  f"({res.steps} steps)")

    # ---- (a') site, length and stimulus independence --------------------------------
    print("\n(a′) local velocity between neighbouring sites 0.05 … 0.95 "
          "(BE dx 25 dt 1 µs, 6 cm):")
    x, arr = finest.site_x_um, finest.arrival_ms
    loc = 1e-3 * np.diff(x) / np.diff(arr)
    for i in range(0, loc.size, 6):
        print("   " + "  ".join(f"{x[j] / 1e4:.2f}–{x[j + 1] / 1e4:.2f} cm {loc[j]:.4f}"
                              for j in range(i, min(i + 6, loc.size))))
    for f1, f2 in ((0.25, 0.75), (0.4, 0.6), (0.45, 0.8), (0.5, 0.75), (0.6, 0.8)):
        print(f"   sites {f1:.2f}–{f2:.2f}: {finest.velocity_between(f1, f2):.4f}")
    print("  length and stimulus (BE dx 50 dt 2 µs; velocity sites 0.5, 0.75 unless said):")
    base = be[50.0, 0.002].velocity_m_s
    print(f"   6 cm, 20 µA: {base:.4f}")
    for length, sites in ((40000.0, (0.5, 0.75)), (80000.0, (0.5, 0.75)),
                          (80000.0, (0.4, 0.8))):
        res = run(f"BE dx 50 dt 2, {length / 1e4:g} cm", length_um=length, dx_um=50.0,
                  dt_ms=0.002, velocity_sites=sites, tstop_ms=6.0)
        print(f"   {length / 1e4:g} cm, sites {sites[0]}–{sites[1]} "
              f"({res.velocity_x_um[0] / 1e4:.2f}–{res.velocity_x_um[1] / 1e4:.2f} cm): "
              f"{res.velocity_m_s:.4f} ({res.velocity_m_s - base:+.4f})")
    for amp in (10000.0, 40000.0):
        res = run(f"BE dx 50 dt 2, {amp / 1e3:g} µA", dx_um=50.0, dt_ms=0.002,
                  stim_amp_nA=amp, tstop_ms=6.0)
        print(f"   6 cm, {amp / 1e3:g} µA: {res.velocity_m_s:.4f} "
              f"({res.velocity_m_s - base:+.4f})")

    # ---- (b) ions per impulse -----------------------------------------------------------
    print("\n(b) per propagated impulse at mid-axon (x = "
          f"{finest.mid_x_um / 1e4:.4f} cm), pmol/cm²; window 0 … tstop = 18 ms, resting "
          "flux (ina, ik at t = 0) × 18 ms subtracted")
    print(f"  ina_rest {finest.ina_rest * 1e3:.4f}, ik_rest {finest.ik_rest * 1e3:.4f} "
          f"µA/cm²; arrival at mid-axon {finest.arrival_at(0.5):.3f} ms")
    print(f"  {'run':<22} {'Na⁺ in':>8} {'K⁺ out':>8} {'leak in':>8} {'Na−K−leak':>10}")
    for label, res in (("BE dx 25 dt 1", finest), ("BE dx 25 dt 0.5", fine),
                       ("BE dx 12.5 dt 0.5", finer), ("CN dx 25 dt 1", cn[25.0, 0.001]),
                       ("BE dx 100 dt 4", be[100.0, 0.004]), ("CN dx 100 dt 1",
                                                               cn[100.0, 0.001])):
        na, k = res.na_entry_pmol_cm2, res.k_exit_pmol_cm2
        lk = leak_excess(res)
        print(f"  {label:<22} {na:8.4f} {k:8.4f} {lk:8.4f} {na - k + lk:10.1e}")
    print(f"  references.md: {REF_IONS[0]} / {REF_IONS[1]};  HH 1952: {HH_IONS[0]} / "
          f"{HH_IONS[1]}")
    print("  window end (ms after the arrival at mid-axon) → Na⁺ in, K⁺ out "
          "(BE dx 25 dt 1 | CN dx 25 dt 1):")
    t_arr = finest.arrival_at(0.5)
    for w in (1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 12.0, 16.0):
        a = finest.ion_counts(0.0, t_arr + w)
        b = cn[25.0, 0.001].ion_counts(0.0, t_arr + w)
        print(f"   +{w:4.1f}: {a[0]:.4f} {a[1]:.4f} | {b[0]:.4f} {b[1]:.4f}")
    v_mid = finest.v[finest.sites.index(0.5)]
    below = finest.t[(finest.t > t_arr) & (v_mid < finest.v_rest)]
    print(f"  V at mid-axon: peak {v_mid.max():.2f} mV, min {v_mid.min():.2f} mV; below rest "
          f"from {below[0] - t_arr:.2f} ms after arrival; |V − rest| at 18 ms "
          f"{abs(v_mid[-1] - finest.v_rest):.1e} mV; 0-mV crossings "
          f"{crossings(finest.t, v_mid).size}")

    # ---- (c) cost -----------------------------------------------------------------------
    print("\n(c) wall time of each integration (finitialize → tstop; rest search and set-up "
          "excluded)")
    print(f"  {'run':<30} {'L cm':>5} {'nseg':>5} {'steps':>6} {'wall s':>7} "
          f"{'µs/(seg·step)':>14}")
    total = 0.0
    for label, res in RUNS:
        total += res.wall_s
        print(f"  {label:<30} {res.length_um / 1e4:5.1f} {res.nseg:5d} {res.steps:6d} "
              f"{res.wall_s:7.3f} {res.us_per_compartment_step:14.4f}")
    print(f"  total integration wall time {total:.1f} s (threshold search not listed); "
          f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
