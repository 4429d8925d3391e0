"""Measure reference numbers with the independent tissue-model peers.

    python tests/peers/measure_tissue.py            # ≈ 1–2 min on one core

Prints (a) Cressman 2009/2011 rest at k_bath 4, (b) Cressman 2009 bursting at
k_bath 8, (c) Hübel–Dahlem rest, pump-block SD, threshold block length and
recovery for the glial buffer (s = 0) and the bath (s = 1) schemes, and (d)
the wall time of each run. All runs: LSODA, rtol = atol = 1e-8.
Compare with /work/shared/references.md §2.2 and §4.2.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import root

sys.path.insert(0, str(Path(__file__).resolve().parent))

from published_tissue import (  # noqa: E402  (peer module, deliberately not nakpump)
    HD_Y0,
    cressman,
    cressman_aux,
    cressman_params,
    cressman_rhs,
    cressman_state_names,
    huebel_dahlem,
    huebel_dahlem_aux,
    huebel_dahlem_params,
    huebel_dahlem_rhs,
)

RTOL = ATOL = 1e-8
METHOD = "LSODA"
WALL: list[tuple[str, float]] = []


def timed(label, fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    dt = time.perf_counter() - t0
    WALL.append((label, dt))
    return out, dt


def jac_fd(f, y, h=1e-6):
    """Central-difference Jacobian (only to classify a fixed point's stability)."""
    y = np.asarray(y, float)
    J = np.empty((y.size, y.size))
    for j in range(y.size):
        e = np.zeros_like(y)
        e[j] = h * max(1.0, abs(y[j]))
        J[:, j] = (np.asarray(f(y + e)) - np.asarray(f(y - e))) / (2 * e[j])
    return J


# ---------------------------------------------------------------------------- (a)
def cressman_rest(variant: str):
    p = cressman_params(variant, 4.0)
    # Relax from the nominal start (K_o 4, Na_i 18) for 2000 s, then polish the
    # fixed point with a root solve so the printed digits are not relaxation-limited.
    res, dt = timed(f"Cressman {variant} rest, 2000 s relaxation", cressman, 4.0, variant,
                    2000e3, rtol=RTOL, atol=ATOL, method=METHOD)
    y_relax = res.y_final
    f = lambda y: np.asarray(cressman_rhs(0.0, y, p))  # noqa: E731
    sol = root(f, y_relax, method="hybr", tol=1e-14)
    y = sol.x
    names = cressman_state_names(p)
    d = dict(zip(names, y))
    aux = cressman_aux(d["V"], d["K_o"], d["Na_i"], p)
    eig = np.linalg.eigvals(jac_fd(f, y))
    print(f"\n(a) Cressman {variant}, k_bath = 4 mM  [relax 2000 s: {dt:.2f} s wall, "
          f"{len(res.spikes)} spikes; root polish |f| = {np.max(np.abs(f(y))):.1e}; "
          f"|Δ(relax→root)| max = {np.max(np.abs(y - y_relax)):.1e}]")
    print(f"    V = {d['V']:.4f} mV  n = {d['n']:.5f}  h = {d['h']:.5f}"
          + (f"  Ca = {d['Ca']:.3e}" if "Ca" in d else ""))
    print(f"    K_o = {d['K_o']:.4f}  Na_i = {d['Na_i']:.4f}  K_i = {aux['K_i']:.3f}  "
          f"Na_o = {aux['Na_o']:.3f} mM")
    print(f"    E_K = {aux['E_K']:.3f}  E_Na = {aux['E_Na']:.3f}  E_Cl = {aux['E_Cl']:.4f} mV")
    print(f"    pump = {aux['pump']:.5f} mM/s  glia = {aux['glia']:.5f} mM/s  "
          f"diff = {aux['diff']:.5f} mM/s")
    print(f"    max Re(eigenvalue) = {eig.real.max():.3e} /ms "
          f"({'stable' if eig.real.max() < 0 else 'UNSTABLE'})")
    return d, aux


# ---------------------------------------------------------------------------- (b)
def bursts_from_spikes(spikes, gap_ms=1000.0):
    """Split spike times into bursts separated by silent gaps > gap_ms."""
    if len(spikes) == 0:
        return []
    breaks = np.where(np.diff(spikes) > gap_ms)[0]
    starts = np.r_[0, breaks + 1]
    ends = np.r_[breaks, len(spikes) - 1]
    return [spikes[a:b + 1] for a, b in zip(starts, ends)]


def cressman_bursting(k_bath=8.0, variant="2009", duration_ms=300e3):
    res, dt = timed(f"Cressman {variant} k_bath {k_bath}, {duration_ms / 1e3:.0f} s", cressman,
                    k_bath, variant, duration_ms, rtol=RTOL, atol=ATOL, method=METHOD)
    bursts = bursts_from_spikes(res.spikes)
    # Drop the first burst (transient from the nominal start) and a last burst that
    # may have been cut by the end of the run (its last spike within 2 s of the end).
    keep = bursts[1:]
    if keep and duration_ms - keep[-1][-1] < 2000.0:
        keep = keep[:-1]
    starts = np.array([b[0] for b in keep])
    durs = np.array([b[-1] - b[0] for b in keep]) / 1e3
    counts = np.array([len(b) for b in keep])
    periods = np.diff(starts) / 1e3
    # Concentration ranges over whole cycles after the transient.
    sel = res.t >= starts[0] if len(starts) else slice(None)
    print(f"\n(b) Cressman {variant}, k_bath = {k_bath} mM, {duration_ms / 1e3:.0f} s "
          f"[{dt:.1f} s wall, {len(res.t)} steps, {res.nfev} rhs calls]")
    print(f"    {len(bursts)} bursts in total; first burst starts at "
          f"{bursts[0][0] / 1e3:.2f} s; analysed {len(keep)} bursts")
    print(f"    burst starts (s): {np.round(starts / 1e3, 3).tolist()}")
    print(f"    period   = {periods.mean():.3f} s  "
          f"(min {periods.min():.3f}, max {periods.max():.3f})")
    print(f"    duration = {durs.mean():.3f} s  (min {durs.min():.3f}, max {durs.max():.3f})")
    print(f"    spikes/burst = {counts.tolist()}")
    print(f"    K_o  range {res.K_o[sel].min():.3f} – {res.K_o[sel].max():.3f} mM")
    print(f"    Na_i range {res.Na_i[sel].min():.3f} – {res.Na_i[sel].max():.3f} mM")
    print("    reference (§2.2): 34.69 s / 6.51 s / 215 spikes; K_o 6.59–10.27, Na_i 16.16–19.10")


# ---------------------------------------------------------------------------- (c)
SD_LEVEL = -30.0     # mV
SD_MIN_S = 5.0       # s; SD = V above SD_LEVEL for longer than this, contiguously
T_OFF = 20e3         # ms; pump switched off at 20 s, as in the XPP file
AFTER_MS = 200e3     # ms simulated after the pump is switched back on


def above_intervals(r):
    """Contiguous intervals (ms) with v > SD_LEVEL, from the located crossings."""
    ups, downs = list(r.up), list(r.down)
    ivs = []
    for u in ups:
        later = [d for d in downs if d > u]
        ivs.append((u, later[0] if later else np.inf))
    return ivs


def sd_analysis(scheme, delta_s, k_bath=4.0):
    t_on = T_OFF + delta_s * 1e3
    r = huebel_dahlem(scheme, k_bath=k_bath, pump_off=(T_OFF, t_on), duration_ms=t_on + AFTER_MS,
                      rtol=RTOL, atol=ATOL, method=METHOD, v_level=SD_LEVEL)
    long_ivs = [(a, b) for a, b in above_intervals(r) if b - a > SD_MIN_S * 1e3]
    sd = bool(long_ivs)
    out = dict(r=r, sd=sd, t_on=t_on, n_spikes=len(r.spikes))
    if sd:
        a, b = long_ivs[0]
        out.update(onset=a, end=b, sd_dur=(b - a) / 1e3,
                   recovery=(b - t_on) / 1e3 if np.isfinite(b) else np.inf)
    # "recovered" = repolarised below −60 mV at the end and not above −30 mV in the last 10 s
    tail = r.t >= r.t[-1] - 10e3
    out["recovered"] = bool(r.v[-1] < -60.0 and r.v[tail].max() < SD_LEVEL)
    return out


def describe(label, o, wall):
    r = o["r"]
    s = (f"    {label}: SD = {o['sd']}, {o['n_spikes']} spikes, recovered by "
         f"t_on + {AFTER_MS / 1e3:.0f} s: {o['recovered']}  [{wall:.1f} s wall]")
    if o["sd"]:
        s += (f"\n      SD onset t = {o['onset'] / 1e3:.3f} s "
              f"(pump back on at {o['t_on'] / 1e3:.2f} s), "
              f"V > {SD_LEVEL:.0f} mV for {o['sd_dur']:.2f} s, repolarised at "
              f"{o['end'] / 1e3:.3f} s\n      → recovery time (end of SD − pump on) = "
              f"{o['recovery']:.2f} s")
        i = np.argmax(r.ke)
        s += (f"\n      peak ke = {r.ke[i]:.2f} mM at {r.t[i] / 1e3:.2f} s; "
              f"min dk = {r.dk.min():.2f} mM")
    s += (f"\n      end state (t = {r.t[-1] / 1e3:.1f} s): v = {r.v[-1]:.3f} mV, "
          f"ke = {r.ke[-1]:.3f}, ki = {r.ki[-1]:.3f}, nai = {r.nai[-1]:.3f}, "
          f"cli = {r.cli[-1]:.3f}, dk = {r.dk[-1]:.3f} mM, I_pump = {r.ipump[-1]:.4f} µA/cm²")
    print(s)


def hd_rest():
    p = huebel_dahlem_params("buffer")
    f0 = np.asarray(huebel_dahlem_rhs(0.0, HD_Y0, p))
    aux = huebel_dahlem_aux(HD_Y0[0], HD_Y0[2], HD_Y0[3], HD_Y0[4], p)
    print("\n(c) Hübel–Dahlem rest at the file's initial state (time in ms)")
    print(f"    v = {HD_Y0[0]:.4f} mV; nai {aux['nai']:.4f}, nae {aux['nae']:.4f}, "
          f"cle {aux['cle']:.4f}, ke {aux['ke']:.4f} mM")
    print(f"    E_K {aux['EK']:.3f}, E_Na {aux['ENA']:.3f}, E_Cl {aux['ECL']:.3f} mV; "
          f"I_pump = {aux['ipump']:.5f} µA/cm²; dv/dt = {f0[0] * 1e3:.3f} mV/s")
    for scheme in ("buffer", "bath"):
        r, dt = timed(f"HD {scheme} rest 100 s", huebel_dahlem, scheme, duration_ms=100e3,
                      rtol=RTOL, atol=ATOL, method=METHOD)
        print(f"    {scheme:6s}: after 100 s unperturbed v = {r.v[-1]:.4f} mV, "
              f"ke = {r.ke[-1]:.5f}, dk = {r.dk[-1]:.2e} mM, I_pump = {r.ipump[-1]:.5f}, "
              f"spikes {len(r.spikes)} [{dt:.1f} s wall]")


def hd_threshold(scheme, o_hi, lo=0.0, hi=9.5, tol=0.05):
    """Bisection on the block length δ (s) between no SD (lo) and SD (hi = the run o_hi)."""
    o_lo, w = timed(f"HD {scheme} δ={lo}", sd_analysis, scheme, lo)
    print(f"\n    {scheme}: bisection on δ ∈ [{lo}, {hi}] s (SD at δ={lo}: {o_lo['sd']}, "
          f"at δ={hi}: {o_hi['sd']})")
    if o_lo["sd"] or not o_hi["sd"]:
        print("    bracket invalid, no bisection")
        return None
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        o, w = timed(f"HD {scheme} δ={mid:.4f}", sd_analysis, scheme, mid)
        extra = f", V>−30 for {o['sd_dur']:.1f} s" if o["sd"] else ""
        print(f"      δ = {mid:.4f} s → SD {o['sd']} ({o['n_spikes']} spikes{extra}) "
              f"[{w:.1f} s wall]")
        lo, hi = (lo, mid) if o["sd"] else (mid, hi)
    print(f"    {scheme}: threshold δ between {lo:.4f} (no SD) and {hi:.4f} s (SD)")
    return lo, hi


def main():
    t_all = time.perf_counter()
    print(f"Integrator: solve_ivp {METHOD}, rtol = {RTOL:g}, atol = {ATOL:g}")
    cressman_rest("2009")
    cressman_rest("2011")
    cressman_bursting(8.0, "2009", 300e3)

    hd_rest()
    print(f"\n    SD criterion: v > {SD_LEVEL:.0f} mV contiguously for > {SD_MIN_S:.0f} s; "
          f"pump off (z = 0) from t = 20 s for δ s;\n    runs end {AFTER_MS / 1e3:.0f} s "
          "after the pump restarts.")
    for scheme in ("buffer", "bath"):
        o, w = timed(f"HD {scheme} δ=9.5", sd_analysis, scheme, 9.5)
        describe(f"{scheme} (s = {0 if scheme == 'buffer' else 1}), δ = 9.5 s", o, w)
        hd_threshold(scheme, o)

    print("\n(d) wall times")
    for label, dt in WALL:
        print(f"    {dt:7.2f} s  {label}")
    print(f"    total {time.perf_counter() - t_all:.1f} s")


if __name__ == "__main__":
    main()
