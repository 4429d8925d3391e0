"""The machine limit: nakpump's population benchmark model as one bare numba kernel.

    python benchmarks/numba_limit.py [--check] [--speed] [--neuron]

The model is the `hh-squid` cell (HH 1952 channels at 6.3 °C, Kager pump, Na+ and K+
leaks, Na+/K+ counted inside a fixed bath; [Cl]i stays put as hh-squid has no Cl− leak),
N cells that differ only in their constant K+-carried stimulus (µA/cm²) and pump
capacity (cycles/s/µm²), stepped with nakpump's "euler" scheme: V and the concentrations
by a linearly implicit backward-Euler step with every ion current linearised at the new V
(engine.cell._membrane_lanes, theta = 1), then the gates by exponential Euler at the new V
(engine.cell._gate_lanes). Nothing else: no protocol segments, no recording, no charge
integrals and no Kahan compensation of the concentrations (nakpump keeps both for its
conservation report), no checks inside. It is the speed a hand-written kernel of the same
arithmetic reaches on this machine, the yardstick for nakpump's engine and for NEURON.

Layout, and why. State is one float64 array per variable (structure of arrays). A prange
iteration takes a block of 64 cells, copies its state into local arrays, runs the whole
time loop over the block with the cells innermost, and writes the state back. One cell
per iteration with its state in registers (the obvious order) is latency-bound: each
step is a chain log → current → division → V → exp → gates. With the cells innermost
LLVM vectorises the arithmetic (divisions included) across cells and the core overlaps
independent cells, while exp and log stay scalar libm calls (fastmath off, and this
numba has no SVML). The rates' exponentials are shared (two exp calls instead of six,
see _advance), which pays off mostly in this layout. Measured on one core (AVX2): the
per-cell loop 17 M neuron-steps/s (18 M with shared exponentials), this one 22 M with six
exp calls and 34 M with two. What is left per cell-step are 7 libm calls (2 log, 2 rate
exp, 3 gate exp), which now set the pace.

--check compares a few cells with nakpump.simulate(method="fixed", scheme="euler");
--speed prints neuron-steps/s (cells × steps / wall s) at N = 10⁴ and 10⁵ on 1 and 2
threads; --neuron adds NEURON's (tests/peers/neuron_population.py) at N = 10³ and 10⁴.
Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numba
import numpy as np

import nakpump as nk
from nakpump.biophysics.pumps import atp_factor
from nakpump.engine.compile import cell_parameters, initial_state
from nakpump.engine.layout import (
    K_I,
    NA_I,
    P_CAP,
    P_FLUX_I,
    P_G_K,
    P_G_NA,
    P_GL_K,
    P_GL_NA,
    P_PHI,
    P_RT_F,
    H,
    M,
    N,
    V,
)
from nakpump.model.spec import CellSpec, KagerPump
from nakpump.units import CYCLE_TO_UA_CM2

BLOCK = 64  # cells stepped together: enough for AVX2 lanes and OoO overlap, all in L1


@numba.njit(parallel=True, fastmath=False, cache=True, error_model="numpy")
def _advance(v, m, h, n, na_i, k_i, spike_count, amplitude, i_pump_max, n_steps, dt, block,
             cap, rt_f, flux, g_na_bar, g_k_bar, gl_na, gl_k, na_o, k_o, km_na, phi, threshold):
    """Advance every cell n_steps steps of dt (ms) in place; add each cell's upward crossings
    of threshold (mV) to spike_count.

    State arrays (length N): v (mV), m, h, n, na_i, k_i (mM). amplitude: K+-carried
    stimulus (µA/cm², inward +); i_pump_max: the pump's current (µA/cm²) at saturating
    [Na]i, i.e. rate_max·factors·e/area over (1 + km_k/k_o)², which the bath fixes.
    Cells are taken `block` at a time (one prange iteration), the time loop runs over a
    block and the innermost loop over its cells (the module docstring says why).
    error_model "numpy": no zero-division checks (as in nakpump._jit), so the loop vectorises.
    """
    log_na_o = math.log(na_o)
    log_k_o = math.log(k_o)
    size = v.shape[0]
    for b in numba.prange((size + block - 1) // block):
        lo = b * block
        hi = min(lo + block, size)
        # The block's state in local arrays: L1-resident, and visibly unaliased so that
        # LLVM vectorises the cell loop (numba's argument arrays might alias).
        vb, mb, hb, nb = v[lo:hi].copy(), m[lo:hi].copy(), h[lo:hi].copy(), n[lo:hi].copy()
        na_b, k_b = na_i[lo:hi].copy(), k_i[lo:hi].copy()
        stim_b, ip_b = amplitude[lo:hi].copy(), i_pump_max[lo:hi].copy()
        armed = vb < threshold
        count = np.zeros(hi - lo, dtype=np.int64)
        for _ in range(n_steps):
            for j in range(hi - lo):
                vc, na, k, stim = vb[j], na_b[j], k_b[j], stim_b[j]
                # --- V and concentrations: currents at the old state, linearised at new V.
                e_na = rt_f * (log_na_o - math.log(na))
                e_k = rt_f * (log_k_o - math.log(k))
                m3 = mb[j] * mb[j] * mb[j]
                g_na = g_na_bar * m3 * hb[j] + gl_na
                n2 = nb[j] * nb[j]
                g_k = g_k_bar * n2 * n2 + gl_k
                sat = 1.0 + km_na / na
                i_pump = ip_b[j] / (sat * sat * sat)
                i_na = g_na * (vc - e_na) + 3.0 * i_pump
                i_k = g_k * (vc - e_k) - 2.0 * i_pump
                dv = -dt * (i_na + i_k - stim) / (cap + dt * (g_na + g_k))
                na_b[j] = na - dt * flux * (i_na + g_na * dv)
                k_b[j] = k - dt * flux * (i_k + g_k * dv - stim)
                vc += dv
                vb[j] = vc
                # --- Gates: exponential Euler at the new V (HH 1952 rates, modern sign).
                # Five of the rates' six exponentials are powers of exp(−(v + 65)/80) times
                # constants (exact identities, ~1e-15 relative): two exp calls, not six.
                # No call sits inside a branch, so the branches become selects.
                u = vc + 65.0
                e80 = math.exp(-u / 80.0)
                e20 = e80 * e80
                e20 *= e20
                e10 = e20 * e20
                x = vc + 40.0  # α_m = 0.1·x/(1 − e^(−x/10)), → 1 + x/20 at x = 0
                alpha_m = 0.1 * x / (1.0 - e10 * 12.182493960703473)  # e^2.5
                if abs(x) < 1e-6:
                    alpha_m = 0.1 * (10.0 + 0.5 * x)
                beta_m = 4.0 * math.exp(-u / 18.0)
                alpha_h = 0.07 * e20
                beta_h = 1.0 / (1.0 + e10 * 20.085536923187668)  # e^3
                y = vc + 55.0  # α_n = 0.01·y/(1 − e^(−y/10))
                alpha_n = 0.01 * y / (1.0 - e10 * 2.718281828459045)  # e^1
                if abs(y) < 1e-6:
                    alpha_n = 0.01 * (10.0 + 0.5 * y)
                beta_n = 0.125 * e80
                s = alpha_m + beta_m
                x_inf = alpha_m / s
                mb[j] = x_inf + (mb[j] - x_inf) * math.exp(-phi * s * dt)
                s = alpha_h + beta_h
                x_inf = alpha_h / s
                hb[j] = x_inf + (hb[j] - x_inf) * math.exp(-phi * s * dt)
                s = alpha_n + beta_n
                x_inf = alpha_n / s
                nb[j] = x_inf + (nb[j] - x_inf) * math.exp(-phi * s * dt)
                # --- Spikes: count an upward crossing; armed again below threshold.
                count[j] += armed[j] and vc >= threshold
                armed[j] = vc < threshold
        v[lo:hi], m[lo:hi], h[lo:hi], n[lo:hi] = vb, mb, hb, nb
        na_i[lo:hi], k_i[lo:hi] = na_b, k_b
        spike_count[lo:hi] += count


def _check(cell: CellSpec) -> None:
    ch, pump = cell.channels, cell.pump
    if ch.kind != "hh" or ch.g_m != 0.0 or ch.h_from_n:
        raise ValueError("the limit kernel hard-codes HH 1952 channels without an M-current")
    if not isinstance(pump, KagerPump):
        raise ValueError(f"the limit kernel hard-codes the Kager pump, not {type(pump).__name__}")
    if cell.outside_volume is not None or cell.concentrations != "dynamic":
        raise ValueError("the limit kernel hard-codes dynamic concentrations in a fixed bath")
    if cell.stim_ion != "k":
        raise ValueError("the limit kernel hard-codes a K+-carried stimulus")
    if cell.leak.g_cl != 0.0:
        raise ValueError("the limit kernel hard-codes hh-squid's absent Cl− leak ([Cl]i fixed)")


def run_numba_limit(cell: CellSpec, amplitude, rate_max, duration_ms: float, *,
                    dt: float = 0.025, threads: int | None = None, threshold: float = 0.0,
                    block: int = BLOCK) -> dict[str, Any]:
    """Simulate N = len(amplitude) copies of `cell` (hh-squid-like) for duration_ms (ms).

    amplitude: constant K+-carried stimulus per cell (µA/cm², depolarising +, on from
    t = 0); rate_max: the pump's rate_max per cell (cycles/s/µm², before its Q10 and ATP
    factors). Start: cell.v_init, cell.ions, gates at steady state there. duration_ms must
    be a whole number of steps of dt (ms). threads: numba threads (None: numba's
    default). Spikes: upward crossings of threshold (mV) at step ends.

    Returns spike_count (N ints), v (mV), na_i, k_i (mM) at the end, compile_s (numba
    compilation or loading its cache on a process's first call, a one-step warm-up
    later), run_s (wall s of the run), steps and settings.
    """
    _check(cell)
    amplitude = np.ascontiguousarray(amplitude, dtype=np.float64)
    rate_max = np.ascontiguousarray(rate_max, dtype=np.float64)
    if amplitude.ndim != 1 or amplitude.shape != rate_max.shape:
        raise ValueError("amplitude and rate_max must be 1-D arrays of the same length")
    n_steps = round(duration_ms / dt)
    if abs(n_steps * dt - duration_ms) > 1e-9 * max(dt, duration_ms):
        raise ValueError(f"duration_ms {duration_ms} is not a whole number of steps of {dt}")

    p = cell_parameters(cell)
    y0 = initial_state(cell, p)
    pump, ions = cell.pump, cell.ions
    # Everything in the Kager rate but [Na]i is constant here: fold Q10, ATP, the bath's
    # K+ saturation and the charge per cycle into one current per cell.
    scale = (pump.q10 ** ((cell.temp_c - pump.temp_ref_c) / 10.0)
             * atp_factor(cell.atp, pump.km_atp, cell.atp) * CYCLE_TO_UA_CM2
             / (1.0 + pump.km_k / ions.k_o) ** 2)
    i_pump_max = rate_max * scale
    size = amplitude.size
    state = [np.full(size, y0[j]) for j in (V, M, H, N, NA_I, K_I)]
    spikes = np.zeros(size, dtype=np.int64)
    consts = (p[P_CAP], p[P_RT_F], p[P_FLUX_I], p[P_G_NA], p[P_G_K], p[P_GL_NA], p[P_GL_K],
              ions.na_o, ions.k_o, pump.km_na, p[P_PHI], float(threshold))

    previous = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(threads)
    try:
        scratch = [a[:1].copy() for a in state]
        t0 = time.perf_counter()
        _advance(*scratch, spikes[:1].copy(), amplitude[:1], i_pump_max[:1], 1, dt, block,
                 *consts)
        compile_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        _advance(*state, spikes, amplitude, i_pump_max, n_steps, dt, block, *consts)
        run_s = time.perf_counter() - t0
        used = numba.get_num_threads()
    finally:
        numba.set_num_threads(previous)
    v, _, _, _, na_i, k_i = state
    return {"spike_count": spikes, "v": v, "na_i": na_i, "k_i": k_i, "compile_s": compile_s,
            "run_s": run_s, "steps": n_steps,
            "settings": {"dt": dt, "threads": used, "threshold": threshold, "block": block}}


def heterogeneous(cell: CellSpec, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(amplitude µA/cm², rate_max cycles/s/µm²) of a test population: drives uniform in
    0–20 µA/cm², pump capacities uniform within ±50 % of the cell's."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.0, 20.0, size),
            cell.pump.rate_max * rng.uniform(0.5, 1.5, size))


def check(cell: CellSpec, size: int = 8, duration: float = 200.0) -> None:
    """Print the kernel's agreement with nakpump.simulate(fixed, euler) for a few cells."""
    amplitude, rate_max = heterogeneous(cell, size, seed=1)
    amplitude[:2] = (0.0, 20.0)  # the ends of the range
    out = run_numba_limit(cell, amplitude, rate_max, duration)
    na0 = cell.ions.na_i
    worst = dict.fromkeys(("v", "na_i", "k_i", "na rise"), 0.0)
    na_abs = 0.0
    same = 0
    for i in range(size):
        ds = nk.simulate(cell.replace(**{"pump.rate_max": rate_max[i]}), duration,
                         [nk.Stimulus(amplitude=amplitude[i])], method="fixed", dt=0.025,
                         scheme="euler", record=["v", "na_i", "k_i"], record_interval=duration)
        same += int(ds.spike_time.size == out["spike_count"][i])
        ref = {"v": float(ds.v[-1]), "na_i": float(ds.na_i[-1]), "k_i": float(ds.k_i[-1])}
        ref["na rise"] = ref["na_i"] - na0
        got = {name: float(out[name][i]) for name in ("v", "na_i", "k_i")}
        got["na rise"] = got["na_i"] - na0
        na_abs = max(na_abs, abs(got["na_i"] - ref["na_i"]))
        for name in worst:
            if ref[name] != 0.0:
                worst[name] = max(worst[name], abs(got[name] / ref[name] - 1.0))
    print(f"limit kernel vs nakpump fixed/euler, {size} cells, {duration:g} ms: "
          f"spike counts equal in {same}/{size}; max relative difference at the end: "
          + ", ".join(f"{name} {err:.1e}" for name, err in worst.items())
          + f" (|Δ[Na]i| ≤ {na_abs:.1e} mM: nakpump's Kahan sums against plain ones)")


def speed(cell: CellSpec, sizes, threads, duration: float = 200.0, neuron: bool = False):
    """Print neuron-steps/s (cells × steps / wall s of the run) of the kernel, or of the
    NEURON peer (tests/peers/neuron_population.py) with neuron=True."""
    if neuron:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "peers"))
        from neuron_population import run_neuron_population
    for size in sizes:
        amplitude, rate_max = heterogeneous(cell, size)
        for n_threads in threads:
            if neuron:
                out = run_neuron_population(cell, amplitude, rate_max, duration,
                                            threads=n_threads)
                name, setup = "NEURON", f"build {out['build_s']:.1f} s"
            else:
                out = run_numba_limit(cell, amplitude, rate_max, duration, threads=n_threads)
                name, setup = "limit ", f"compile {out['compile_s']:.2f} s"
            steps = round(duration / 0.025)
            print(f"{name} N = {size:>6}, {n_threads} thread(s): "
                  f"{size * steps / out['run_s'] / 1e6:6.1f} M neuron-steps/s "
                  f"(run {out['run_s']:.2f} s, {setup}, "
                  f"{int(np.sum(out['spike_count']))} spikes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="agreement with nakpump")
    parser.add_argument("--speed", action="store_true", help="kernel at N = 1e4, 1e5")
    parser.add_argument("--neuron", action="store_true", help="NEURON at N = 1e3, 1e4")
    args = parser.parse_args()
    everything = not (args.check or args.speed or args.neuron)
    cell = nk.preset("hh-squid")
    if args.check or everything:
        check(cell)
    if args.speed or everything:
        speed(cell, (10_000, 100_000), (1, 2))
    if args.neuron or everything:
        speed(cell, (1_000, 10_000), (1,), neuron=True)


if __name__ == "__main__":
    main()
