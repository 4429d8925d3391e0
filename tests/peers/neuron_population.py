"""A population of `hh-squid` cells in NEURON: the peer of nakpump's population benchmark.

N single-compartment sections, one per cell, all the same CellSpec except for two
per-cell inputs: a constant K+-carried stimulus `amplitude` (µA/cm², on from t = 0) and
the pump's `rate_max` (cycles/s/µm², before its Q10 and ATP factors). The model is
nakpump's engine.cell with currents outward positive:

    C dV/dt = −(I_Na + I_K + I_Cl) + I_stim
    I_Na = (g_Na m³h + gL_Na)(V − E_Na) + 3 I_p,  I_K = (g_K n⁴ + gL_K)(V − E_K) − 2 I_p

with [Na]i, [K]i, [Cl]i counted inside a fixed bath. Channels are NEURON's built-in `hh`
(its rates are HH 1952's, modern sign, q10 = 3^((celsius − 6.3)/10)) with its own leak
switched off (gl_hh = 0) and its rate tables off (usetable_hh = 0, exact rates). Leaks,
pump, accumulation and the K+-carried stimulus are the NMODL mechanisms of the cortical
peer (neuron_cortical.py, mod/), loaded with its load_mechanisms().

Integration: NEURON's fixed step dt, CVODE off, secondorder 0 (staggered backward
Euler). Its concentrations advance with the ion currents of the start of the step,
where nakpump's "euler" scheme linearises them at the new V: the two differ by O(dt).
Most of NEURON's time here (~60 %) goes to nkp_accum's METHOD derivimplicit, a Newton
solve for what is an explicit update at fixed step (the ion currents are constant over
the step); the same file with METHOD cnexp gives the same results (to rounding)
~2.6× faster.

Spikes: a NetCon per section; at fixed step it reports the end of the step in which V
crossed threshold (no interpolation, condition_order 2 or not), which is all the spike
counts need. NetCon looks at the threshold at the start of the following step, so one
extra step is taken after the final state has been read, so that a crossing in the last
step is counted too.

    cell = nk.preset("hh-squid")
    out = run_neuron_population(cell, amplitude, rate_max, 200.0, threads=2)

    python tests/peers/neuron_population.py     # agreement with nakpump, 50 cells

Units as in nakpump: ms, mV, mM, µA/cm² (NEURON's mA/cm² and S/cm² only inside).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from nakpump.model.spec import CellSpec, KagerPump

try:
    import neuron_cortical as cortical
except ImportError:  # run or imported from elsewhere: the sibling module by path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import neuron_cortical as cortical

PEER_MECHANISMS = ("hh",) + tuple(m for m in cortical.MECHANISMS if m != "nkp_traub")
UA_TO_MA = cortical.UA_TO_MA


def _check(cell: CellSpec) -> None:
    ch = cell.channels
    if ch.kind != "hh" or ch.g_m != 0.0 or ch.h_from_n:
        raise ValueError(f"only HH 1952 channels (NEURON's hh) are built here, not {ch.kind!r}")
    # hh.mod scales its rates by 3^((celsius − 6.3)/10): the spec's φ must be that.
    phi_hh = 3.0 ** ((cell.temp_c - 6.3) / 10.0)
    if abs(ch.rate_factor(cell.temp_c) / phi_hh - 1.0) > 1e-12:
        raise ValueError("the cell's gating rate factor is not hh.mod's q10 = 3 from 6.3 °C")
    if not isinstance(cell.pump, KagerPump):
        raise ValueError(f"only the Kager pump is built here, not {type(cell.pump).__name__}")
    if cell.outside_volume is not None or cell.concentrations != "dynamic":
        raise ValueError("the peer counts ions (concentrations 'dynamic') inside a fixed bath")
    if cell.stim_ion != "k":
        raise ValueError("the peer's stimulus is carried by K+ (cell.stim_ion 'k')")


def run_neuron_population(cell: CellSpec, amplitude, rate_max, duration_ms: float, *,
                          dt: float = 0.025, threads: int = 1,
                          threshold: float = 0.0) -> dict[str, Any]:
    """Simulate N = len(amplitude) copies of `cell` in NEURON for duration_ms (ms).

    amplitude: constant K+-carried stimulus per cell (µA/cm², depolarising +, from t =
    0 to the end); rate_max: the pump's rate_max per cell (cycles/s/µm²). All cells
    start at cell.v_init and cell.ions with gates at steady state. Fixed step dt (ms),
    `threads` NEURON threads (cells are independent, so they split across threads).
    Spikes are NetCon threshold (mV) crossings, timed to the step.

    Returns spike_count (N ints), spike_cell and spike_time (ms) of every spike, v (mV),
    na_i, k_i (mM) at the end (N arrays), build_s (wall s creating and setting up the
    sections), run_s (wall s of finitialize and the run), t_end (ms) and settings. The
    sections are deleted before returning, so the next call starts from an empty model.
    """
    _check(cell)
    amplitude = np.asarray(amplitude, dtype=np.float64)
    rate_max = np.asarray(rate_max, dtype=np.float64)
    if amplitude.ndim != 1 or amplitude.shape != rate_max.shape:
        raise ValueError("amplitude and rate_max must be 1-D arrays of the same length")
    h = cortical.load_mechanisms()
    others = [s.name() for s in h.allsec()]
    if others:
        raise RuntimeError(f"{len(others)} other sections exist ({others[0]}, …); "
                           "they would be simulated too")
    pc = h.ParallelContext()
    threads_before = int(pc.nthread())

    sections, detectors = [], []
    try:
        t0 = time.perf_counter()
        spike_time, spike_cell = _build(h, cell, amplitude, rate_max, threshold, sections,
                                        detectors)
        h.CVode().active(0)
        h.secondorder = 0
        h.dt = dt
        pc.nthread(threads)
        pc.set_maxstep(10.0)  # psolve runs in intervals of the NetCons' delay (1 ms)
        build_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        h.finitialize(cell.v_init)
        pc.psolve(duration_ms)
        run_s = time.perf_counter() - t0
        t_end = float(h.t)
        final = np.array([(sec(0.5).v, sec(0.5).nai, sec(0.5).ki) for sec in sections])
        final = final.reshape(-1, 3)
        # NetCon tests the threshold at the start of the next step, so a crossing in the
        # last step would go uncounted: one more step, after reading the final state,
        # records it (at t_end). Anything timed after t_end is the extra step's own.
        pc.psolve(t_end + dt)
        cells = np.array(spike_cell, dtype=np.int64)
        times = np.array(spike_time)
        keep = times <= t_end + 0.5 * dt
        cells, times = cells[keep], times[keep]
    finally:
        detectors.clear()  # NetCons first: they refer to the sections' voltages
        for sec in sections:
            h.delete_section(sec=sec)
        sections.clear()
        pc.nthread(threads_before)
    return {
        "spike_count": np.bincount(cells, minlength=amplitude.size),
        "spike_cell": cells, "spike_time": times,
        "v": final[:, 0], "na_i": final[:, 1], "k_i": final[:, 2],
        "build_s": build_s, "run_s": run_s, "t_end": t_end,
        "settings": {"method": "fixed", "dt": dt, "secondorder": 0, "threads": threads,
                     "threshold": threshold, "channels": "hh (gl_hh 0, usetable_hh 0)"},
    }


def _build(h, cell: CellSpec, amplitude: np.ndarray, rate_max: np.ndarray, threshold: float,
           sections: list, detectors: list):
    """Create one section per cell into `sections` and a spike detector per section into
    `detectors`; return NEURON Vectors (spike times in ms, cell indices) they record to."""
    ch, leak, ions = cell.channels, cell.leak, cell.ions
    # imax is linear in rate_max: the cortical peer's pump_imax once, scaled per cell.
    imax = cortical.pump_imax(cell) * (rate_max / cell.pump.rate_max)
    side = float(np.sqrt(cell.area / np.pi))  # L = diam: side area π·d·L = cell.area
    h.celsius = cell.temp_c
    h.usetable_hh = 0
    h.nai0_na_ion, h.nao0_na_ion = ions.na_i, ions.na_o
    h.ki0_k_ion, h.ko0_k_ion = ions.k_i, ions.k_o
    h.cli0_cl_ion, h.clo0_cl_ion = ions.cl_i, ions.cl_o
    spike_time, spike_cell = h.Vector(), h.Vector()
    for i in range(amplitude.size):
        sec = h.Section(name=f"cell_{i}")
        sections.append(sec)
        sec.L = side
        sec.diam = side
        sec.cm = cell.capacitance
        for name in PEER_MECHANISMS:
            sec.insert(name)
        # Section-wide range assignments (one segment): cheaper than seg.mech.attr.
        sec.gnabar_hh = ch.g_na * UA_TO_MA
        sec.gkbar_hh = ch.g_k * UA_TO_MA
        sec.gl_hh = 0.0  # the leak is nkp_leak's, ion by ion
        sec.gna_nkp_leak = leak.g_na * UA_TO_MA
        sec.gk_nkp_leak = leak.g_k * UA_TO_MA
        sec.gcl_nkp_leak = leak.g_cl * UA_TO_MA
        sec.imax_nkp_pump = imax[i]
        sec.kmna_nkp_pump = cell.pump.km_na
        sec.kmk_nkp_pump = cell.pump.km_k
        sec.a_over_v_nkp_accum = cell.area / cell.volume
        sec.amp_nkp_kstim = amplitude[i] * UA_TO_MA
        detector = h.NetCon(sec(0.5)._ref_v, None, sec=sec)
        detector.threshold = threshold
        detector.record(spike_time, spike_cell, i)
        detectors.append(detector)
    return spike_time, spike_cell


def compare(size: int = 50, duration: float = 200.0, seed: int = 0) -> None:
    """Print spike-count, spike-time and [Na]i agreement with nakpump's fixed "euler"
    scheme (the same step size) for `size` cells with random drives in 0–20 µA/cm² and
    pump capacities within ±50 % of the preset's."""
    import nakpump as nk

    cell = nk.preset("hh-squid")
    rng = np.random.default_rng(seed)
    amplitude = rng.uniform(0.0, 20.0, size)
    rate_max = cell.pump.rate_max * rng.uniform(0.5, 1.5, size)
    dt = 0.025
    nrn = run_neuron_population(cell, amplitude, rate_max, duration, dt=dt)
    na0 = cell.ions.na_i
    same_count, same_step, n_spikes, dt_max = 0, 0, 0, 0.0
    na_err, rise_err = [], []
    for i in range(size):
        ds = nk.simulate(cell.replace(**{"pump.rate_max": rate_max[i]}), duration,
                         [nk.Stimulus(amplitude=amplitude[i])], method="fixed", dt=dt,
                         scheme="euler", record=["na_i", "k_i"], record_interval=duration)
        t_nk = ds.spike_time.values
        t_nrn = nrn["spike_time"][nrn["spike_cell"] == i]
        n_spikes += t_nk.size
        if t_nk.size == t_nrn.size:
            same_count += 1
            # NetCon gives the end of the crossing step, nakpump interpolates within it.
            same_step += int(np.sum((t_nk > t_nrn - dt - 1e-9) & (t_nk <= t_nrn + 1e-9)))
            if t_nk.size:
                dt_max = max(dt_max, float(np.max(np.abs(t_nrn - t_nk))))
        na_nk = float(ds.na_i[-1])
        na_err.append(abs(nrn["na_i"][i] / na_nk - 1.0))
        if na_nk != na0:
            rise_err.append(abs((nrn["na_i"][i] - na0) / (na_nk - na0) - 1.0))
    rise = nrn["na_i"] - na0
    print(f"NEURON (hh + nkp_* mechanisms, fixed dt {dt} ms) vs nakpump fixed/euler, "
          f"{size} cells, {duration:g} ms, drives 0–20 µA/cm², rate_max ±50 %:")
    print(f"  spike counts equal in {same_count}/{size} cells ({n_spikes} nakpump spikes); "
          f"{same_step} spikes in the same step, max |Δt| {dt_max:.3g} ms")
    print(f"  final [Na]i: max relative difference {max(na_err):.2e}; [Na]i rise "
          f"{rise.min():.3g}–{rise.max():.3g} mM, max relative difference {max(rise_err):.2e}, "
          f"median {np.median(rise_err):.2e}")
    print(f"  NEURON build {nrn['build_s']:.2f} s, run {nrn['run_s']:.2f} s, "
          f"ended at t = {nrn['t_end']:.12g} ms")


if __name__ == "__main__":
    compare()
