"""Measure reference numbers with the independent Wei, Ullah & Schiff (2014) peer.

    nice python tests/peers/measure_wei.py    # ≈ 5–6 min on one core, mostly DOP853

Prints (a) rest at K_bath 4 mM, O2_bath 32 mg/L after 20, 300 and 3000 s, (b) hypoxia
(O2_bath 32 → 10, 5, 2, 0 mg/L at 20 s, 120 s), (c) full pump block (ρ × 0 at
20 s, 300 s), (d) raised K_bath (4 → 8, 10, 12, 15, 20 mM at 20 s, 120 s), (e) ion
conservation, charge bookkeeping and wall time of every run, and (f) a solver
check across an SD exit (anoxia 20–60 s, then reoxygenation) and on the K_bath 20
plateau. Compare with /work/shared/references.md §3.2.

Integrator: the peer's "hybrid" (LSODA below −60 mV, DOP853 above), rtol = atol
= 1e-8 (atol in natural units: mV, mM, mg/L; amounts scaled by Vol0). Plain LSODA
is printed alongside in (f): it holds unstable depolarised plateaus (see
published_wei._solve_segment).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from published_wei import (  # noqa: E402  (peer module, deliberately not nakpump)
    IV,
    charge_check,
    conservation,
    k_exchanged,
    wei,
    wei_aux,
    wei_params,
    wei_rhs,
)

RTOL = ATOL = 1e-8
METHOD = "hybrid"
T_SWITCH = 20e3      # ms; every perturbation starts at 20 s, after the §3.2 rest
SD_LEVEL = -30.0     # mV
SD_MIN_S = 5.0       # s; SD = V above −30 mV contiguously for longer than this
WALL: list[tuple[str, float]] = []
RUNS: list[tuple[str, object]] = []


def timed(label, fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    dt = time.perf_counter() - t0
    WALL.append((label, dt))
    RUNS.append((label, out))
    return out, dt


def at(res, t_ms):
    """Index of the last stored sample at or before t_ms."""
    return max(int(np.searchsorted(res.t, t_ms, side="right")) - 1, 0)


def state_line(res, i=-1, indent="    "):
    return (f"{indent}t = {res.t[i] / 1e3:.1f} s: V {res.V[i]:.3f} mV, [K]o {res.K_o[i]:.3f}, "
            f"[K]i {res.K_i[i]:.2f}, [Na]i {res.Na_i[i]:.3f}, [Na]o {res.Na_o[i]:.2f}, "
            f"[Cl]i {res.Cl_i[i]:.3f}, [Cl]o {res.Cl_o[i]:.2f} mM,\n{indent}  O2 {res.O2[i]:.3f} "
            f"mg/L, I_pump {res.I_pump[i]:.4f} µA/cm², Vol_i/Vol0 {res.vol_ratio[i]:.4f}")


def above_intervals(res):
    """Contiguous intervals (ms) with V > −30 mV, from the located crossings."""
    ups, downs = np.asarray(res.up), np.asarray(res.down)
    out = []
    for u in ups:
        later = downs[downs > u]
        out.append((u, later[0] if later.size else np.inf))
    if res.V[0] > SD_LEVEL:  # already above at t = 0
        first = downs[0] if downs.size else np.inf
        out.insert(0, (res.t[0], first))
    return out


def sd_episodes(res):
    return [(a, b) for a, b in above_intervals(res) if b - a > SD_MIN_S * 1e3]


def longest_above(res):
    ivs = above_intervals(res)
    if not ivs:
        return 0.0
    return max(min(b, res.t[-1]) - a for a, b in ivs) / 1e3


def longest_sampled_above(res, level=-50.0, t0=0.0):
    """(start, length) in s of the longest run of stored samples with V > level after t0.

    From the solver's own samples, not located crossings: good to a step (steps are
    short whenever V moves fast). Catches depolarisation-block plateaus that stay
    below the −30 mV SD criterion.
    """
    above = (res.V > level) & (res.t >= t0)
    if not above.any():
        return None, 0.0
    idx = np.flatnonzero(np.diff(np.r_[0, above.astype(int), 0]))
    starts, ends = idx[::2], idx[1::2] - 1
    lengths = res.t[ends] - res.t[starts]
    k = int(np.argmax(lengths))
    return res.t[starts[k]] / 1e3, lengths[k] / 1e3


def bursts_from_spikes(spikes, gap_ms=1000.0):
    """Split spike times into bursts separated by silent gaps > gap_ms."""
    if len(spikes) == 0:
        return []
    breaks = np.where(np.diff(spikes) > gap_ms)[0]
    starts = np.r_[0, breaks + 1]
    ends = np.r_[breaks, len(spikes) - 1]
    return [spikes[a:b + 1] for a, b in zip(starts, ends)]


def perturbation_summary(res, t0=T_SWITCH):
    """SD episodes, spikes and extremes after the switch at t0."""
    sel = res.t >= t0
    sds = sd_episodes(res)
    sp = res.spikes[res.spikes >= t0]
    i_k = np.argmax(np.where(sel, res.K_o, -np.inf))
    s = f"    {len(sp)} spikes after the switch"
    if len(sp):
        s += f" (first at {sp[0] / 1e3:.2f} s, last at {sp[-1] / 1e3:.2f} s)"
    s += f"; longest V > −30 mV stretch {longest_above(res):.2f} s"
    a50, l50 = longest_sampled_above(res, -50.0, t0)
    s += (f"; longest V > −50 mV stretch {l50:.2f} s" + (f" (from {a50:.2f} s)" if l50 else "")
          + "\n")
    if sds:
        for a, b in sds:
            end = "not repolarised by the end" if not np.isfinite(b) else f"ends {b / 1e3:.2f} s"
            s += (f"    SD: onset {a / 1e3:.2f} s ({(a - t0) / 1e3:.2f} s after the switch), "
                  f"{end}; V > −30 mV for {(min(b, res.t[-1]) - a) / 1e3:.2f} s\n")
    else:
        s += "    no SD (V never above −30 mV for > 5 s)\n"
    s += (f"    peak [K]o {res.K_o[i_k]:.2f} mM at {res.t[i_k] / 1e3:.2f} s; "
          f"Vol_i/Vol0 min {res.vol_ratio[sel].min():.4f}, max {res.vol_ratio[sel].max():.4f}; "
          f"min [Na]o {res.Na_o[sel].min():.2f} mM; max [Na]i {res.Na_i[sel].max():.2f} mM")
    return s


# ---------------------------------------------------------------------------- (a)
def rest():
    print("\n(a) rest, K_bath 4 mM, O2_bath 32 mg/L, from the §3.1 initial state")
    r20, dt = timed("rest 20 s", wei, 20e3, method=METHOD, rtol=RTOL, atol=ATOL)
    print(state_line(r20) + f"   [{dt:.2f} s wall, {len(r20.spikes)} spikes]")
    print("    §3.2: V −73.71, [K]o 4.39, [Na]i 17.93, O2 29.96, I_pump 1.064, Vol_i/Vol0 0.997")
    rF, _ = timed("rest 20 s, F = 96320", wei, 20e3, method=METHOD, rtol=RTOL, atol=ATOL,
                  F=96320.0)
    print(f"    with the MATLAB code's F = 96320 C/mol: V {rF.V[-1]:.3f}, [K]o {rF.K_o[-1]:.3f}, "
          f"[Na]i {rF.Na_i[-1]:.3f}, I_pump {rF.I_pump[-1]:.4f}, Vol_i/Vol0 "
          f"{rF.vol_ratio[-1]:.4f}")

    r300, dt = timed("rest 300 s", wei, 300e3, method=METHOD, rtol=RTOL, atol=ATOL)
    print(state_line(r300) + f"   [{dt:.2f} s wall, {len(r300.spikes)} spikes]")
    r3k, dt = timed("rest 3000 s", wei, 3000e3, method=METHOD, rtol=RTOL, atol=ATOL)
    print(state_line(r3k) + f"   [{dt:.2f} s wall, {len(r3k.spikes)} spikes]")
    p = wei_params()
    for lbl, r in (("300 s", r300), ("3000 s", r3k)):
        y = r.y_final
        d = np.asarray(wei_rhs(0.0, y, p))
        aux = wei_aux(y[:12, None], p)
        g = float(aux["gamma"][0])
        na_in = -(g * aux["I_Na"][0] + aux["NKCC1"][0])  # mM/s into the cell (passive)
        na_pump = 3.0 * g * aux["I_pump"][0]
        k_out = g * aux["I_K"][0] + aux["KCC2"][0] + aux["NKCC1"][0]
        k_pump = 2.0 * g * aux["I_pump"][0]
        print(f"    at {lbl}: dV/dt {d[IV] * 1e3:.2e} mV/s; E_K {aux['E_K'][0]:.2f}, E_Na "
              f"{aux['E_Na'][0]:.2f}, E_Cl {aux['E_Cl'][0]:.2f} mV; γ {g:.5f} mM/s per µA/cm²")
        print(f"      Na: passive influx {na_in:.5f} vs pump efflux {na_pump:.5f} mM/s;  "
              f"K: passive + cotransport efflux {k_out:.5f} vs pump influx {k_pump:.5f} mM/s")
    print(f"    drift 20 → 300 s: ΔV {r300.V[-1] - r20.V[-1]:+.4f} mV, Δ[K]o "
          f"{r300.K_o[-1] - r20.K_o[-1]:+.4f}, Δ[Na]i {r300.Na_i[-1] - r20.Na_i[-1]:+.4f}, "
          f"Δ[Cl]i {r300.Cl_i[-1] - r20.Cl_i[-1]:+.4f} mM")
    return r20


# ---------------------------------------------------------------------------- (b)
def hypoxia(levels=(10.0, 5.0, 2.0, 0.0), after_ms=120e3):
    print(f"\n(b) hypoxia: O2_bath 32 → x mg/L at {T_SWITCH / 1e3:.0f} s, "
          f"{after_ms / 1e3:.0f} s more")
    for o2 in levels:
        r, dt = timed(f"hypoxia O2_bath {o2:g}", wei, T_SWITCH + after_ms, method=METHOD,
                      rtol=RTOL, atol=ATOL, events=[(T_SWITCH, {"o2_bath": o2})])
        print(f"  O2_bath = {o2:g} mg/L  [{dt:.1f} s wall, {r.nfev} rhs calls, "
              f"{r.n_pieces} pieces]")
        print(perturbation_summary(r))
        print(state_line(r))


# ---------------------------------------------------------------------------- (c)
def pump_block(after_ms=300e3):
    print(f"\n(c) pump block: ρ × 0 from {T_SWITCH / 1e3:.0f} s (neuronal and glial pump term), "
          f"{after_ms / 1e3:.0f} s more")
    r, dt = timed("pump block", wei, T_SWITCH + after_ms, method=METHOD, rtol=RTOL, atol=ATOL,
                  events=[(T_SWITCH, {"pump": 0.0})])
    print(f"    [{dt:.1f} s wall, {r.nfev} rhs calls, {r.n_pieces} pieces]")
    print(perturbation_summary(r))
    ivs = above_intervals(r)
    if ivs:
        print(f"    first V > −30 mV at {ivs[0][0] / 1e3:.2f} s "
              f"({(ivs[0][0] - T_SWITCH) / 1e3:.2f} s after the block)")
    for tt in (60e3, 120e3, T_SWITCH + 60e3, T_SWITCH + 120e3):
        i = at(r, tt)
        print(f"    t = {tt / 1e3:5.0f} s: Vol_i/Vol0 {r.vol_ratio[i]:.4f} "
              f"(Δ {r.vol_ratio[i] - r.vol_ratio[at(r, T_SWITCH)]:+.4f} since the block), "
              f"V {r.V[i]:.2f} mV, [K]o {r.K_o[i]:.2f}, [Na]o {r.Na_o[i]:.2f}, "
              f"[Na]i {r.Na_i[i]:.2f} mM")
    print(state_line(r))


# ---------------------------------------------------------------------------- (d)
def raised_k(levels=(8.0, 10.0, 12.0, 15.0, 20.0), after_ms=120e3):
    print(f"\n(d) raised K_bath: 4 → x mM at {T_SWITCH / 1e3:.0f} s, {after_ms / 1e3:.0f} s more "
          "(bursts = spike groups separated by > 1 s)")
    for kb in levels:
        r, dt = timed(f"K_bath {kb:g}", wei, T_SWITCH + after_ms, method=METHOD, rtol=RTOL,
                      atol=ATOL, events=[(T_SWITCH, {"k_bath": kb})])
        sp = r.spikes[r.spikes >= T_SWITCH]
        bursts = bursts_from_spikes(sp)
        print(f"  K_bath = {kb:g} mM  [{dt:.1f} s wall, {r.nfev} rhs calls, "
              f"{r.n_pieces} pieces]")
        print(perturbation_summary(r))
        if bursts:
            starts = np.array([b[0] for b in bursts]) / 1e3
            durs = np.array([b[-1] - b[0] for b in bursts]) / 1e3
            n = [len(b) for b in bursts]
            s = f"    {len(bursts)} burst(s); starts (s) {np.round(starts, 2).tolist()}"
            if len(bursts) > 2:
                per = np.diff(starts[1:])  # skip the first (transient) interval
                if per.size:
                    s += f"\n    period (from the 2nd burst) {per.mean():.2f} s " \
                         f"(min {per.min():.2f}, max {per.max():.2f})"
            s += f"\n    spikes/burst {n}; durations (s) {np.round(durs, 2).tolist()}"
            first = bursts[0][0]
            sel = r.t >= first
            s += (f"\n    after the first spike: [K]o {r.K_o[sel].min():.2f}–"
                  f"{r.K_o[sel].max():.2f}, [Na]i {r.Na_i[sel].min():.2f}–"
                  f"{r.Na_i[sel].max():.2f} mM, "
                  f"V min {r.V[sel].min():.1f} mV")
            print(s)
        print(state_line(r))


# ---------------------------------------------------------------------------- (f)
def final_diff(a, b):
    keys = ("V", "K_o", "K_i", "Na_i", "Na_o", "Cl_i", "O2", "vol_ratio")
    return ", ".join(f"{k} {getattr(a, k)[-1] - getattr(b, k)[-1]:+.2e}" for k in keys)


def plateau_exit(res, t_from):
    """First time (s) after t_from at which V < −60 mV (end of a depolarised plateau)."""
    i = np.flatnonzero((res.t > t_from) & (res.V < -60.0))
    return res.t[i[0]] / 1e3 if i.size else np.inf


def solver_check():
    print("\n(f) solver check")
    ev = [(T_SWITCH, {"o2_bath": 0.0}), (60e3, {"o2_bath": 32.0})]
    T = 100e3
    print("  anoxia (O2_bath 0) from 20 to 60 s, then 32 mg/L, to 100 s. SD exit = down-crossing "
          "of −30 mV;\n  plateau exit = first V < −60 mV after it")
    rl, dl = timed("anoxia 20–60 s, LSODA", wei, T, method="LSODA", rtol=RTOL, atol=ATOL,
                   events=ev)
    rh, dh = timed("anoxia 20–60 s, hybrid", wei, T, method="hybrid", rtol=RTOL, atol=ATOL,
                   events=ev)
    # DOP853 from the hybrid run's state at 60 s (inside the SD) to the end
    i60 = int(np.flatnonzero(rh.t == 60e3)[0])
    rd, dd = timed("anoxia tail 60–100 s, DOP853 rtol 1e-10", wei, T - 60e3, o2_bath=32.0,
                   y0=rh.Y[:, i60], method="DOP853", rtol=1e-10, atol=1e-10)
    for name in ("t", "spikes", "up", "down"):  # put the tail on the common clock
        setattr(rd, name, getattr(rd, name) + 60e3)
    for lbl, r, dt in (("LSODA", rl, dl), ("hybrid", rh, dh), ("DOP853 tail", rd, dd)):
        sds = sd_episodes(r)
        ex = plateau_exit(r, sds[-1][1]) if sds and np.isfinite(sds[-1][1]) else np.nan
        print(f"    {lbl:12s}: SD episodes (s) "
              f"{[(round(float(a) / 1e3, 3), round(float(b) / 1e3, 3)) for a, b in sds]}; "
              f"plateau exit "
              f"{ex:.3f} s; {len(r.spikes)} spikes  [{dt:.1f} s wall]")
        print(state_line(r, indent="      "))
    print(f"    hybrid − DOP853 at {T / 1e3:.0f} s: {final_diff(rh, rd)}")
    print(f"    LSODA  − DOP853 at {T / 1e3:.0f} s: {final_diff(rl, rd)}")

    print("  K_bath 20 mM from 20 s, 120 s more: plain LSODA vs hybrid (d)")
    rk, dk = timed("K_bath 20, LSODA", wei, T_SWITCH + 120e3, method="LSODA", rtol=RTOL,
                   atol=ATOL, events=[(T_SWITCH, {"k_bath": 20.0})])
    hyb = dict(RUNS).get("K_bath 20")
    print(f"    LSODA: {len(rk.spikes)} spikes, final V {rk.V[-1]:.3f}, [K]o {rk.K_o[-1]:.3f}, "
          f"[Na]i {rk.Na_i[-1]:.3f}  [{dk:.1f} s wall]")
    if hyb is not None:
        print(f"    hybrid: {len(hyb.spikes)} spikes, final V {hyb.V[-1]:.3f}, "
              f"[K]o {hyb.K_o[-1]:.3f}, [Na]i {hyb.Na_i[-1]:.3f}")


# ---------------------------------------------------------------------------- (e)
def bookkeeping():
    print("\n(e) conservation (max relative drift of the total over the run; K includes what "
          "bath and glia took),\n    K⁺ exchanged (mol; + = out of the ECS), charge check "
          "(C·A0·ΔV/FΣzΔN_i − 1 and C·∫A dV/FΣzΔN_i − 1), wall time")
    for (label, r), (_, dt) in zip(RUNS, WALL):
        c = conservation(r)
        k = k_exchanged(r)
        q = charge_check(r)
        qi = max(abs(q["Q_ions"]), 1e-30)
        rel_a = (q["Q_V_fixed_area"] - q["Q_ions"]) / qi
        rel_i = (q["Q_V_integral"] - q["Q_ions"]) / qi
        print(f"    {label:38s} Na {c['Na']:.1e}  K {c['K']:.1e}  Cl {c['Cl']:.1e} | "
              f"bath {k['bath'][-1]:+.2e} glia {k['glia'][-1]:.2e} gliapump "
              f"{k['gliapump'][-1]:.2e} | {rel_a:+.1e} {rel_i:+.1e} | {dt:6.1f} s")


def main():
    t_all = time.perf_counter()
    print(f"Integrator: {METHOD} (LSODA below −60 mV, DOP853 above), rtol = {RTOL:g}, "
          f"atol = {ATOL:g} (natural units)")
    rest()
    hypoxia()
    pump_block()
    raised_k()
    solver_check()
    bookkeeping()
    print(f"\n    total wall {time.perf_counter() - t_all:.1f} s")


if __name__ == "__main__":
    main()
