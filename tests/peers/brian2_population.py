"""nakpump's population benchmark model (`hh-squid`) rebuilt in Brian2: an independent peer.

N one-compartment cells, each the CellSpec's squid axon (HH 1952 channels at
cell.temp_c, Na+, K+ and Cl− inside counted against a fixed bath, Kager pump,
ion-specific leaks), differing only in a constant K+-carried stimulus
`amplitude` (µA/cm², on from t = 0) and the pump's `rate_max` (cycles/s/µm²,
the pump.rate_max field, before its Q10 factor). Currents outward positive:

    C dV/dt = −(I_Na + I_K + I_Cl) + I_stim
    I_Na = (g_Na m³h + gL_Na)(V − E_Na) + 3 I_p
    I_K  = (g_K n⁴ + gL_K)(V − E_K) − 2 I_p
    I_Cl = gL_Cl (V − E_Cl)
    d[Na]i/dt = −f I_Na,   d[K]i/dt = −f (I_K − I_stim),   d[Cl]i/dt = f I_Cl

with E_X = (RT/F)/z·ln([X]o/[X]i), I_p = I_max/((1 + K_mK/[K]o)²(1 + K_mNa/[Na]i)³)
and f = (A/Vol)/F. The gating rates are HH's, written again here in Brian2's
syntax (α_m, α_n through Brian2's exprel, so their removable singularities are
harmless); every other number comes from the CellSpec at run time, and RT/F and
f from nakpump.engine.compile.cell_parameters (nakpump.units' constants, not
Brian2's), converted to Brian2 units by powers of ten only.

Integration: Brian2's `exponential_euler` at fixed step dt. It needs each
variable's rate to be linear in that variable, which V and the gates are but
the concentrations are not (they sit inside the Nernst logarithms and the pump's
Hill terms). E_Na, E_K, E_Cl and I_p are therefore `(constant over dt)`
subexpressions: evaluated once at the start of every step from the
concentrations and frozen over it, which is also what nakpump's fixed step does.
The concentration rates then do not contain the concentrations, and Brian2
advances them by forward Euler with the currents at the step's start; V and the
gates get the exponential update with all other variables at their old values.
nakpump's `scheme="euler"` differs in three first-order ways: V by linearly
implicit (backward) Euler, not exponentially; gates at the new V (NEURON's
staggering), not the old; concentrations with the currents linearised at the
new V. Measured against it (200 ms, dt 0.025 ms, 100 cells with 0–20 µA/cm² and
rate_max ±50 %): spike counts identical in 89 cells, one fewer in Brian2 in 11
(a last spike straddling the end); Brian2's spikes later by 0.03–0.14 ms at the
first and by ~0.1 ms more per spike after (≤ 1.7 ms by the 17th; 4.2 ms by the
10th in a cell just above the firing threshold). Against a Radau reference
(rtol 1e-10) nakpump's step leads by ≤ 1.0 ms and Brian2's lags by ≤ 2.7 ms
after 17 spikes, although Brian2 stamps a spike with the start of the step in
which V crossed (nakpump interpolates within it). The [Na]i rise per cell
(10–17 µM in tonically firing cells) differs by a median 0.0045 µM per spike
(0.37 %; 0.25–0.8 % where both runs end in the same phase of the firing cycle,
up to 10 % where one has its last spike half done), silent cells by < 1e-4 µM;
final [Na]i agrees to 2e-5 and [K]i to 2e-6 relative, and cells that settle
(≤ 1 spike) end at the same V within 1e-6 mV. numpy, Cython and C++ standalone
give the same numbers (to 1e-11 mV).

    cell = nk.preset("hh-squid")
    out = run_brian2(cell, amplitude, rate_max, 200.0)              # runtime, numpy
    out = run_brian2(cell, amplitude, rate_max, 200.0, device="cpp_standalone")

Brian2 must import under the installed numpy: numpy ≥ 2.4 needs Brian2 ≥ 2.10
(2.9, the newest PyPI offers Python 3.11, still wraps the removed ndarray.ptp);
2.11 installed on Python 3.11 with `pip install --ignore-requires-python` works.
The standalone device needs a C++ compiler.

Timing: build_s is everything before the simulation loop (building the group,
code generation, Cython or C++ compilation), run_s the loop as Brian2 times it
itself: runtime, Network.run's loop (device._last_run_time); standalone, the
binary's own timing of its run (results/last_run_info.txt), without process
start-up and array file input/output (settings["run_binary_s"] has the whole
binary). Runtime Cython keeps compiled code objects in Brian2's disk cache, so
only a first call compiles; standalone compiles a fresh project every call.
Measured on this 2-core machine (shared, load ~2; 200 ms, one thread): Cython
build 10.3 s with an empty cache, 0.2 s cached, run 1.1 s for N = 1000 and 10.5 s
for N = 10 000; cpp_standalone build 3.1 / 5.2 s, run 0.66 / 6.3 s.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from nakpump.biophysics.pumps import atp_factor, pump_current
from nakpump.engine.cell import steady_gates
from nakpump.engine.compile import cell_parameters
from nakpump.engine.layout import P_FLUX_I, P_RT_F
from nakpump.model.spec import CellSpec, KagerPump

# HH 1952 rates (1/ms at φ = 1), modern sign convention; α = s/exprel(−x/s) is
# x/(1 − e^(−x/s)) without its 0/0 at x = 0.
EQUATIONS = """
dv/dt = (I_stim - I_na - I_k - I_cl)/c_m : volt
I_na = (g_na*m**3*h + gl_na)*(v - E_na) + 3*I_p : amp/meter**2
I_k = (g_k*n**4 + gl_k)*(v - E_k) - 2*I_p : amp/meter**2
I_cl = gl_cl*(v - E_cl) : amp/meter**2
dm/dt = phi*(alpha_m*(1 - m) - beta_m*m) : 1
dh/dt = phi*(alpha_h*(1 - h) - beta_h*h) : 1
dn/dt = phi*(alpha_n*(1 - n) - beta_n*n) : 1
alpha_m = (1/ms)/exprel(-(v + 40*mV)/(10*mV)) : Hz
beta_m = (4/ms)*exp(-(v + 65*mV)/(18*mV)) : Hz
alpha_h = (0.07/ms)*exp(-(v + 65*mV)/(20*mV)) : Hz
beta_h = (1/ms)/(1 + exp(-(v + 35*mV)/(10*mV))) : Hz
alpha_n = (0.1/ms)/exprel(-(v + 55*mV)/(10*mV)) : Hz
beta_n = (0.125/ms)*exp(-(v + 65*mV)/(80*mV)) : Hz
dna_i/dt = -f_flux*I_na : mmolar
dk_i/dt = -f_flux*(I_k - I_stim) : mmolar
dcl_i/dt = f_flux*I_cl : mmolar
E_na = rt_f*log(na_o/na_i) : volt (constant over dt)
E_k = rt_f*log(k_o/k_i) : volt (constant over dt)
E_cl = -rt_f*log(cl_o/cl_i) : volt (constant over dt)
I_p = i_max/((1 + km_k/k_o)**2*(1 + km_na/na_i)**3) : amp/meter**2 (constant over dt)
I_stim : amp/meter**2 (constant)
i_max : amp/meter**2 (constant)
"""

METHOD = "exponential_euler"
DEVICES = ("runtime", "cpp_standalone")
TARGETS = ("numpy", "cython")


def _check(cell: CellSpec) -> None:
    ch = cell.channels
    if ch.kind != "hh" or ch.h_from_n or ch.g_m != 0.0:
        raise ValueError("only HH 1952 channels (no h(n), no M current) are built here")
    if not isinstance(cell.pump, KagerPump):
        raise ValueError(f"only the Kager pump is built here, not {type(cell.pump).__name__}")
    if cell.outside_volume is not None:
        raise ValueError("only a cell in a fixed bath (outside_volume None) is built here")
    if cell.concentrations != "dynamic" or cell.stim_ion != "k":
        raise ValueError("the peer counts ions (concentrations 'dynamic') and injects K+")


def pump_imax(cell: CellSpec, rate_max: np.ndarray) -> np.ndarray:
    """Maximal pump current (µA/cm²) per cell from pump.rate_max (cycles/s/µm², before Q10):
    the Q10 factor at cell.temp_c and the ATP factor at normal ATP, as nakpump applies them."""
    pump = cell.pump
    factor = pump.q10 ** ((cell.temp_c - pump.temp_ref_c) / 10.0)
    factor *= atp_factor(cell.atp, pump.km_atp, cell.atp)
    return pump_current(np.asarray(rate_max, dtype=float) * factor)


def _namespace(cell: CellSpec, threshold: float) -> dict[str, Any]:
    """The shared constants in Brian2 units (nakpump's values, converted by powers of ten)."""
    import brian2 as b2

    ua_cm2 = b2.uA / b2.cm**2
    ms_cm2 = b2.msiemens / b2.cm**2
    p = cell_parameters(cell)
    ions, leak, ch = cell.ions, cell.leak, cell.channels
    return {
        "c_m": cell.capacitance * b2.ufarad / b2.cm**2,
        "g_na": ch.g_na * ms_cm2, "g_k": ch.g_k * ms_cm2,
        "gl_na": leak.g_na * ms_cm2, "gl_k": leak.g_k * ms_cm2, "gl_cl": leak.g_cl * ms_cm2,
        "phi": ch.rate_factor(cell.temp_c),
        "rt_f": p[P_RT_F] * b2.mV,
        "f_flux": p[P_FLUX_I] * b2.mM / b2.ms / ua_cm2,
        "na_o": ions.na_o * b2.mM, "k_o": ions.k_o * b2.mM, "cl_o": ions.cl_o * b2.mM,
        "km_na": cell.pump.km_na * b2.mM, "km_k": cell.pump.km_k * b2.mM,
        "v_thr": threshold * b2.mV,
    }


def _build(cell: CellSpec, amplitude: np.ndarray, i_max: np.ndarray, dt: float,
           threshold: float):
    """NeuronGroup (at the cell's initial state), SpikeMonitor and Network for the cells."""
    import brian2 as b2

    ua_cm2 = b2.uA / b2.cm**2
    # A spike is V rising through threshold; the cell stays refractory, so cannot count
    # again, until V is back below it (nakpump re-arms its detector the same way).
    group = b2.NeuronGroup(amplitude.size, EQUATIONS, method=METHOD, threshold="v > v_thr",
                           refractory="v > v_thr", namespace=_namespace(cell, threshold),
                           dt=dt * b2.ms, name="cells")
    p = cell_parameters(cell)
    m0, h0, n0, _ = steady_gates(p, cell.v_init)
    ions = cell.ions
    group.v = cell.v_init * b2.mV
    group.m, group.h, group.n = m0, h0, n0
    group.na_i = ions.na_i * b2.mM
    group.k_i = ions.k_i * b2.mM
    group.cl_i = ions.cl_i * b2.mM
    group.I_stim = amplitude * ua_cm2
    group.i_max = i_max * ua_cm2
    spikes = b2.SpikeMonitor(group, name="spikes")
    return group, spikes, b2.Network(group, spikes)


def _collect(group, spikes) -> dict[str, Any]:
    import brian2 as b2

    return {
        "spike_count": np.asarray(spikes.count[:], dtype=np.int64),
        "spike_cell": np.asarray(spikes.i[:], dtype=np.int64),
        "spike_time": np.asarray(spikes.t[:] / b2.ms),
        "v": np.asarray(group.v[:] / b2.mV),
        "na_i": np.asarray(group.na_i[:] / b2.mM),
        "k_i": np.asarray(group.k_i[:] / b2.mM),
    }


def run_brian2(cell: CellSpec, amplitude, rate_max, duration_ms: float, *, dt: float = 0.025,
               device: str = "runtime", target: str = "numpy", threads: int = 1,
               threshold: float = 0.0, build_dir: str | Path | None = None) -> dict[str, Any]:
    """Simulate len(amplitude) copies of `cell` in Brian2 for duration_ms (ms) at step dt (ms).

    amplitude: K+-carried depolarising stimulus per cell (µA/cm², on for the whole run);
    rate_max: the pump's rate_max per cell (cycles/s/µm², before the Q10 factor).
    device "runtime" (code `target` "numpy" or "cython") or "cpp_standalone" (compiled
    into a fresh directory, build_dir or a temporary one, on `threads` OpenMP threads;
    0: a build without OpenMP). Spikes are upward crossings of threshold (mV), timed by
    Brian2 (the start of the step in which V crossed).

    Returns spike_count (per cell), spike_cell / spike_time (ms), final v (mV), na_i,
    k_i (mM), build_s (model set-up, code generation and compilation, s), run_s (the
    simulation loop as Brian2 times it, s) and the settings.
    """
    import brian2 as b2

    _check(cell)
    amplitude = np.atleast_1d(np.asarray(amplitude, dtype=float))
    rate_max = np.broadcast_to(np.asarray(rate_max, dtype=float), amplitude.shape)
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, not {device!r}")
    if device == "runtime" and target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, not {target!r}")
    i_max = pump_imax(cell, rate_max)
    settings = {"device": device, "target": target if device == "runtime" else "cpp",
                "threads": threads if device == "cpp_standalone" else 1, "method": METHOD,
                "dt_ms": dt, "duration_ms": float(duration_ms), "threshold_mV": threshold,
                "n_cells": int(amplitude.size), "brian2": b2.__version__}

    if device == "runtime":
        old_target = b2.prefs.codegen.target
        b2.prefs.codegen.target = target
        try:
            start = time.perf_counter()
            group, spikes, net = _build(cell, amplitude, i_max, dt, threshold)
            net.run(duration_ms * b2.ms, namespace={})
            total = time.perf_counter() - start
            run_s = float(b2.device._last_run_time)  # Network.run's own loop timer
        finally:
            b2.prefs.codegen.target = old_target
        out = _collect(group, spikes)
        out.update(build_s=total - run_s, run_s=run_s, settings=settings)
        return out

    # Standalone: a fresh project directory per call and a re-initialised device, so that
    # repeated calls in one process each generate, compile and run their own project.
    temporary = build_dir is None
    directory = Path(tempfile.mkdtemp(prefix="nakpump_brian2_") if temporary else build_dir)
    old_threads = b2.prefs.devices.cpp_standalone.openmp_threads
    b2.prefs.devices.cpp_standalone.openmp_threads = int(threads)
    b2.set_device("cpp_standalone", build_on_run=False, directory=str(directory))
    dev = b2.get_device()
    try:
        start = time.perf_counter()
        group, spikes, net = _build(cell, amplitude, i_max, dt, threshold)
        net.run(duration_ms * b2.ms, namespace={})  # records the run; nothing is simulated yet
        dev.build(directory=str(directory), compile=True, run=False, with_output=False)
        build_s = time.perf_counter() - start
        dev.run(directory=str(directory), with_output=False)
        run_s = float(dev._last_run_time)  # the binary's own timing of the network run
        settings.update(directory=None if temporary else str(directory),
                        run_binary_s=float(dev.timers["run_binary"]))
        out = _collect(group, spikes)  # read from the project's results before it goes
    finally:
        dev.reinit()
        b2.set_device("runtime")
        b2.prefs.devices.cpp_standalone.openmp_threads = old_threads
        if temporary:
            shutil.rmtree(directory, ignore_errors=True)
    out.update(build_s=build_s, run_s=run_s, settings=settings)
    return out
