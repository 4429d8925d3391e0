"""The `cortical` cell rebuilt in NEURON: an independent peer for accuracy and speed checks.

The same single-compartment model as nakpump's engine.cell (currents outward
positive): C dV/dt = −(I_Na + I_K + I_Cl) + I_inj with

    I_Na = (g_Na m³h + gL_Na)(V − E_Na) + 3 I_p
    I_K  = (g_K n⁴ + g_M p + gL_K)(V − E_K) − 2 I_p
    I_Cl = gL_Cl (V − E_Cl)

and d[X]i/dt = −(A/Vol)(I_X − inj_X)/(zF) for Na+, K+, Cl− against a fixed
bath. Here it is written as NMODL mechanisms (mod/): nkp_traub (channels),
nkp_leak (leaks), nkp_pump (Kager pump with a `block` RANGE), nkp_accum (the
concentrations, with an explicit area-to-volume ratio) and nkp_kstim (the
stimulus as an inward K+ current, ik = −amp, so that it adds K+ inside as
nakpump's K+-carried stimulus does). NEURON computes E_X from the
concentrations with its own FARADAY and R at h.celsius = cell.temp_c.

Every number comes from the CellSpec at run time; nothing is retyped. The
mechanisms are compiled with nrnivmodl into tests/peers/.nrnbuild (git-ignored)
the first time they are needed, or whenever a mod file is newer than the build.

    cell = nk.preset("cortical")
    out = run_neuron(cell, 1000.0, 6.0, 100.0)      # dict of numpy arrays

Units as in nakpump: ms, mV, mM, µA/cm² (converted to NEURON's mA/cm² and
S/cm² here and nowhere else).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nakpump.biophysics.pumps import atp_factor, pump_current
from nakpump.model.spec import CellSpec, KagerPump

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")  # no "no DISPLAY" banner

HERE = Path(__file__).resolve().parent
MOD_DIR = HERE / "mod"
BUILD_DIR = HERE / ".nrnbuild"
MECHANISMS = ("nkp_traub", "nkp_leak", "nkp_pump", "nkp_accum", "nkp_kstim")
UA_TO_MA = 1e-3  # µA/cm² → mA/cm², and mS/cm² → S/cm²

_loaded: list[Path] = []


def _library(build_dir: Path) -> Path | None:
    found = sorted(build_dir.glob("*/libnrnmech.so"))
    found += sorted(build_dir.glob("*/.libs/libnrnmech.so"))
    return found[0] if found else None


def compile_mechanisms(build_dir: Path = BUILD_DIR, mod_dir: Path = MOD_DIR) -> Path:
    """Run nrnivmodl on mod_dir in build_dir unless an up-to-date library is there; its
    path."""
    build_dir.mkdir(parents=True, exist_ok=True)
    newest_mod = max(f.stat().st_mtime for f in mod_dir.glob("*.mod"))
    lib = _library(build_dir)
    if lib is not None and lib.stat().st_mtime >= newest_mod:
        return lib
    nrnivmodl = shutil.which("nrnivmodl")
    if nrnivmodl is None:
        raise RuntimeError("nrnivmodl is not on PATH (it comes with `pip install neuron`)")
    proc = subprocess.run([nrnivmodl, str(mod_dir)], cwd=build_dir, capture_output=True,
                          text=True)
    lib = _library(build_dir)
    if proc.returncode != 0 or lib is None:
        raise RuntimeError(f"nrnivmodl failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return lib


def load_mechanisms(build_dir: Path = BUILD_DIR, mod_dir: Path = MOD_DIR):
    """Compile (if needed) and load the mechanisms once per process; NEURON's `h`."""
    from neuron import h

    if build_dir not in _loaded:
        lib = compile_mechanisms(build_dir, mod_dir)
        if not _loaded:  # a second library with the same mechanism names would clash
            h.nrn_load_dll(str(lib))
        _loaded.append(build_dir)
    h.load_file("stdrun.hoc")
    return h


def constants() -> dict[str, float]:
    """NEURON's physical constants as used for its Nernst potentials (C/mol, J/(mol·K))."""
    h = load_mechanisms()
    return {"FARADAY": float(h.FARADAY), "R": float(h.R)}


@dataclass
class NeuronCell:
    """One NEURON section set up as a CellSpec; keep it alive while simulating, then drop it."""

    cell: CellSpec
    sec: Any
    seg: Any
    pump: Any  # the segment's pump mechanism (its `block` RANGE)

    @property
    def h(self):
        from neuron import h

        return h


def pump_imax(cell: CellSpec) -> float:
    """The pump's maximal current (mA/cm²) at the cell's temperature and normal ATP."""
    pump = cell.pump
    if not isinstance(pump, KagerPump):
        raise ValueError(f"only the Kager pump is built here, not {type(pump).__name__}")
    rate = pump.rate_max * pump.q10 ** ((cell.temp_c - pump.temp_ref_c) / 10.0)
    rate *= atp_factor(cell.atp, pump.km_atp, cell.atp)
    return pump_current(rate) * UA_TO_MA


def build(cell: CellSpec, pump_suffix: str = "nkp_pump") -> NeuronCell:
    """A one-section NEURON model of `cell` (traub channels, Kager pump, bath outside).
    pump_suffix: another pump mechanism whose PARAMETERs already hold the cell's values
    (nakpump.nmodl.pump_mod's export) instead of mod/nkp_pump.mod."""
    ch = cell.channels
    if ch.kind != "traub" or ch.h_from_n:
        raise ValueError(f"only the traub channel family is built here, not {ch.kind!r}")
    if cell.outside_volume is not None:
        raise ValueError("only a cell in an infinite bath (outside_volume None) is built here")
    if cell.concentrations != "dynamic" or cell.stim_ion != "k":
        raise ValueError("the peer counts ions (concentrations 'dynamic') and injects K+")
    h = load_mechanisms()
    others = [s.name() for s in h.allsec()]
    if others:
        raise RuntimeError(f"other sections exist ({others}); they would be simulated too")

    sec = h.Section(name="soma")
    sec.nseg = 1
    side = float(np.sqrt(cell.area / np.pi))  # cylinder with diam = L: side area π·d·L = area
    sec.L = side
    sec.diam = side
    sec.cm = cell.capacitance
    sec.Ra = 100.0  # irrelevant for one compartment
    for name in MECHANISMS:
        sec.insert(pump_suffix if name == "nkp_pump" else name)
    seg = sec(0.5)

    seg.nkp_traub.gnabar = ch.g_na * UA_TO_MA
    seg.nkp_traub.gkbar = ch.g_k * UA_TO_MA
    seg.nkp_traub.gmbar = ch.g_m * UA_TO_MA
    seg.nkp_traub.vt = ch.vt
    seg.nkp_traub.tau_max = ch.tau_m_max
    seg.nkp_traub.phi = ch.rate_factor(cell.temp_c)
    seg.nkp_leak.gna = cell.leak.g_na * UA_TO_MA
    seg.nkp_leak.gk = cell.leak.g_k * UA_TO_MA
    seg.nkp_leak.gcl = cell.leak.g_cl * UA_TO_MA
    pump = getattr(seg, pump_suffix)
    if pump_suffix == "nkp_pump":
        pump.imax = pump_imax(cell)
        pump.kmna = cell.pump.km_na
        pump.kmk = cell.pump.km_k
    pump.block = 0.0
    seg.nkp_accum.a_over_v = cell.area / cell.volume
    seg.nkp_kstim.amp = 0.0

    ions = cell.ions
    h.celsius = cell.temp_c
    h.nai0_na_ion, h.nao0_na_ion = ions.na_i, ions.na_o
    h.ki0_k_ion, h.ko0_k_ion = ions.k_i, ions.k_o
    h.cli0_cl_ion, h.clo0_cl_ion = ions.cl_i, ions.cl_o
    return NeuronCell(cell=cell, sec=sec, seg=seg, pump=pump)


def _crossings(t: np.ndarray, v: np.ndarray, threshold: float) -> np.ndarray:
    """Upward threshold crossings of a sampled trace, linearly interpolated (ms)."""
    k = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    return t[k] + (threshold - v[k]) * (t[k + 1] - t[k]) / (v[k + 1] - v[k])


def run_neuron(cell: CellSpec, duration_ms: float, stim_amp: float, stim_start: float,
               stim_stop: float | None = None, block_start: float | None = None, *,
               method: str = "cvode", rtol: float = 1e-8, atol: float = 1e-8,
               dt: float = 0.025, record_interval: float | None = None,
               threshold: float = 0.0, pump_suffix: str = "nkp_pump") -> dict[str, Any]:
    """Simulate `cell` in NEURON for duration_ms (ms) from its stored (resting) state.

    stim_amp (µA/cm², depolarising, carried by K+) is on for stim_start ≤ t <
    stim_stop (None: to the end); the pump is blocked completely from
    block_start (ms; None: never). method "cvode" (global variable step,
    rtol/atol, the same absolute tolerance on every state) or "fixed" (NEURON's
    staggered backward Euler with step dt ms). record_interval (ms): sample
    spacing of t, v, nai, ki (None: every integrator step). Spikes are upward
    crossings of threshold (mV), linearly interpolated within the step (CVODE:
    NetCon with condition order 2; fixed step: from V recorded at every step,
    since NetCon then reports the end of the step).

    Returns t, v, nai, ki, spikes (numpy arrays), e_na0 / e_k0 / e_cl0 (mV, NEURON's
    reversal potentials at t = 0), steps (integrator steps) and the run's settings.
    """
    if method not in ("cvode", "fixed"):
        raise ValueError(f"method must be 'cvode' or 'fixed', not {method!r}")
    model = build(cell, pump_suffix)
    h, seg = model.h, model.seg
    cvode = h.CVode()
    cvode.active(1 if method == "cvode" else 0)
    if method == "cvode":
        cvode.rtol(rtol)
        cvode.atol(atol)
    h.dt = dt
    cvode.condition_order(2)

    stop = None if stim_stop is None or stim_stop >= duration_ms else stim_stop

    def set_amp(amp: float) -> None:
        seg.nkp_kstim.amp = amp * UA_TO_MA
        if cvode.active():
            cvode.re_init()

    def set_block(fraction: float) -> None:
        model.pump.block = fraction
        if cvode.active():
            cvode.re_init()

    def schedule() -> None:  # events are cleared by finitialize, so they are placed here
        if stim_start > 0.0:
            cvode.event(stim_start, lambda: set_amp(stim_amp))
        if stop is not None:
            cvode.event(stop, lambda: set_amp(0.0))
        if block_start is not None and block_start > 0.0:
            cvode.event(block_start, lambda: set_block(1.0))

    seg.nkp_kstim.amp = stim_amp * UA_TO_MA if stim_start <= 0.0 else 0.0
    model.pump.block = 1.0 if block_start is not None and block_start <= 0.0 else 0.0
    handler = h.FInitializeHandler(schedule)

    rec = {}
    for name, ref in (("t", h._ref_t), ("v", seg._ref_v), ("nai", seg._ref_nai),
                      ("ki", seg._ref_ki)):
        vec = h.Vector()
        if record_interval is None:
            vec.record(ref)
        else:
            vec.record(ref, record_interval)
        rec[name] = vec
    spikes = h.Vector()
    detector = h.NetCon(seg._ref_v, None, sec=model.sec)
    detector.threshold = threshold
    detector.record(spikes)
    every_step = None
    if method == "fixed":  # NetCon gives the step's end here: interpolate from every step
        every_step = (h.Vector().record(h._ref_t), h.Vector().record(seg._ref_v))

    h.finitialize(cell.v_init)
    e0 = {"e_na0": float(seg.ena), "e_k0": float(seg.ek), "e_cl0": float(seg.ecl),
          "nai0": float(seg.nai), "ki0": float(seg.ki), "cli0": float(seg.cli),
          "nao0": float(seg.nao), "ko0": float(seg.ko), "clo0": float(seg.clo)}
    h.tstop = duration_ms
    if method == "cvode":
        cvode.solve(duration_ms)
    else:
        h.continuerun(duration_ms)
    out: dict[str, Any] = {name: np.array(vec) for name, vec in rec.items()}
    if out["t"][-1] < h.t - 1e-9 * max(1.0, h.t):  # Dt recording leaves out t = tstop
        for name, value in (("t", h.t), ("v", seg.v), ("nai", seg.nai), ("ki", seg.ki)):
            out[name] = np.append(out[name], value)
    out["spikes"] = np.array(spikes)
    if every_step is not None:
        out["spikes"] = _crossings(np.array(every_step[0]), np.array(every_step[1]), threshold)
    out.update(e0)
    out["area"] = float(h.area(0.5, sec=model.sec))
    out["steps"] = out["t"].size - 1 if record_interval is None else None
    out["settings"] = {"method": method, "rtol": rtol, "atol": atol, "dt": dt}
    # Delete the section now: an undelivered event's callback would keep it alive and a
    # later build() would simulate it alongside its own.
    del detector, handler
    h.delete_section(sec=model.sec)
    return out
