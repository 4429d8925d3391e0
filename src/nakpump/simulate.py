"""One door to every integrator: simulate(cell, duration, protocol) → xarray Dataset.

Data flows one way: the validated CellSpec and protocol become flat arrays
(engine.compile, protocols), a kernel integrates them (engine.fixed or
engine.reference), and results.build_dataset labels what comes back.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from nakpump import __version__
from nakpump.engine.adaptive import integrate_adaptive
from nakpump.engine.compile import cell_parameters, initial_state
from nakpump.engine.fixed import integrate_fixed
from nakpump.engine.layout import (
    ATOL_SCALE,
    ERROR_CONTROLLED,
    N_STATE,
    OBS_NAMES,
    P_SCHEME,
)
from nakpump.engine.reference import integrate_reference
from nakpump.errors import SpecError
from nakpump.model.spec import CellSpec, _check_number, spec_to_dict
from nakpump.protocols import Event, compile_protocol, event_to_dict
from nakpump.results import atp_from_pump_charge, build_dataset, conservation_report

METHODS = ("fixed", "adaptive", "reference")
SCHEMES = {"euler": 1, "strang": 2}  # step scheme → order of accuracy
REFERENCE_SOLVERS = ("LSODA", "Radau", "BDF")
RECORDABLE = tuple(n for n in OBS_NAMES if not n.startswith("_")) + ("atp_used",)
DEFAULT_RECORD = ("v", "m", "h", "n", "na_i", "k_i", "cl_i", "na_o", "k_o", "cl_o", "e_na",
                  "e_k", "e_cl", "i_na", "i_k", "i_cl", "i_pump", "pump_rate", "i_inj",
                  "q_na", "q_k", "q_pump", "atp_used")
MAX_DEFAULT_SAMPLES = 200_000
AUDIT_SAMPLES = 10_000  # full states kept for the conservation report, evenly spaced


N_CHUNKS = 50  # a fixed-step run with a progress callback reports this often


def _run_fixed(y, p, seg_t, seg_d, dt, rec_every, rec_idx, threshold, progress):
    """Drive the fixed-step kernel, in chunks when progress is wanted.

    Returns (time, recorded observables, audited full states, spike times).
    """
    duration = seg_t[-1]
    n_steps = max(1, math.ceil(duration / dt - 1e-9))
    audit_every = max(1, math.ceil(n_steps / AUDIT_SAMPLES))
    if progress is None:
        bounds = [0, n_steps]
    else:  # chunk edges on the recording grid, so samples stay evenly spaced
        per = max(rec_every, math.ceil(n_steps / N_CHUNKS / rec_every) * rec_every)
        bounds = list(range(0, n_steps, per)) + [n_steps]
    times, recs, audits, spikes = [], [], [], []
    for k0, k1 in itertools.pairwise(bounds):
        t0, t1 = k0 * dt, min(k1 * dt, duration)
        lo = max(int(np.searchsorted(seg_t, t0, side="right")) - 1, 0)
        hi = int(np.searchsorted(seg_t, t1, side="left"))
        c_t = np.concatenate(([t0], seg_t[lo + 1:hi], [t1]))
        c_d = seg_d[lo:hi]
        n = k1 - k0
        n_max = n // rec_every + 2
        rec_t = np.empty(n_max)
        rec_out = np.empty((n_max, rec_idx.size))
        audit = np.empty((n // audit_every + 2, N_STATE))
        spk = np.empty(int(t1 - t0) + 16)  # room for 1 kHz firing
        n_rec, n_audit, n_spk = integrate_fixed(y, p, c_t, c_d, dt, n, rec_every, rec_idx,
                                                rec_t, rec_out, audit_every, audit, threshold,
                                                spk)
        if n_spk > spk.size:
            warnings.warn(f"{n_spk} spikes in {t0:g}–{t1:g} ms, only {spk.size} kept",
                          stacklevel=3)
        first = 0 if not times else 1  # a chunk's first sample is the previous one's last
        times.append(rec_t[first:n_rec])
        recs.append(rec_out[first:n_rec])
        audits.append(audit[first:n_audit])
        spikes.append(spk[:min(n_spk, spk.size)])
        if progress is not None:
            progress(t1, duration)
    return (np.concatenate(times), np.concatenate(recs), np.concatenate(audits),
            np.concatenate(spikes))


def simulate(cell: CellSpec, duration: float, protocol: Sequence[Event] = (), *,
             method: str = "fixed", dt: float = 0.025, record: Sequence[str] | None = None,
             record_interval: float | None = None, threshold: float = 0.0,
             solver: str = "LSODA", rtol: float | None = None, atol: float | None = None,
             h_max: float = 50.0, scheme: str = "strang",
             progress: Callable[[float, float], None] | None = None) -> xr.Dataset:
    """Simulate a cell for duration (ms) under a protocol; return a labelled Dataset.

    method: "fixed" (step dt ms of the given scheme: "strang", second order,
    gates by exponential half steps around a trapezoidal V step; or "euler",
    first order, backward-Euler V then exponential-Euler gates as in NEURON),
    "adaptive" (the same step sized by step doubling to local error ≤
    rtol·|y| + atol, Richardson-extrapolated, steps ≤ h_max ms; default rtol
    1e-5, atol 1e-6) or "reference" (scipy solve_ivp with `solver`; default
    rtol = atol = 1e-9). atol is scaled per variable (engine.layout.ATOL_SCALE).
    record: variable names (default DEFAULT_RECORD; [] records spike times only);
    record_interval (ms): sampling interval, a multiple of dt for "fixed"
    (default: dt, coarsened so that at most 200 000 samples are kept).
    threshold (mV): spike detection level (upward crossings).
    progress: called as progress(t_done, duration) (ms) between chunks of a
    fixed-step run, e.g. to draw a progress bar.
    The conservation report (conservation_report) is in attrs["conservation"].
    """
    if not isinstance(cell, CellSpec):
        raise SpecError("cell", cell, "a CellSpec, e.g. nakpump.preset('cortical')")
    _check_number("duration", duration, lower=0.0, unit="ms")
    _check_number("dt", dt, lower=0.0, upper=1.0, unit="ms")
    _check_number("threshold", threshold, unit="mV")
    if method not in METHODS:
        raise SpecError("method", method, "one of " + ", ".join(METHODS))
    if scheme not in SCHEMES:
        raise SpecError("scheme", scheme, "one of " + ", ".join(SCHEMES))
    if solver not in REFERENCE_SOLVERS:
        raise SpecError("solver", solver, "one of " + ", ".join(REFERENCE_SOLVERS))
    default_tol = 1e-9 if method == "reference" else (1e-5 if method == "adaptive" else None)
    rtol = default_tol if rtol is None else rtol
    atol = (default_tol if method == "reference" else 1e-6) if atol is None else atol
    _check_number("rtol", rtol if rtol is not None else 1e-9, lower=0.0, upper=0.1)
    _check_number("atol", atol, lower=0.0)
    _check_number("h_max", h_max, lower=0.0, unit="ms")
    names = tuple(DEFAULT_RECORD if record is None else record)
    for name in names:
        if name not in RECORDABLE:
            raise SpecError("record", name, "variable names among " + ", ".join(RECORDABLE))
    if record_interval is None and not names:  # spikes only: keep just the two ends
        rec_every = max(1, math.ceil(duration / dt - 1e-9))
        interval = duration
    elif record_interval is None:
        rec_every = max(1, math.ceil(duration / dt / MAX_DEFAULT_SAMPLES))
        interval = rec_every * dt
    else:
        _check_number("record_interval", record_interval, lower=0.0, unit="ms")
        interval = record_interval
        rec_every = round(record_interval / dt)
        if method == "fixed" and (rec_every < 1 or
                                  abs(rec_every * dt - record_interval) > 1e-9 * record_interval):
            raise SpecError("record_interval", record_interval,
                            f"a whole multiple of dt = {dt:g} ms")

    p = cell_parameters(cell)
    p[P_SCHEME] = 0.0 if scheme == "euler" else 1.0
    y = initial_state(cell, p)
    seg_t, seg_d = compile_protocol(protocol, cell, duration)
    # The requested observables (atp_used is derived from q_pump); full states are kept
    # separately on a coarser grid for the conservation report.
    wanted = [("q_pump" if n == "atp_used" else n) for n in names]
    rec_names = list(dict.fromkeys(wanted))
    rec_idx = np.array([OBS_NAMES.index(n) for n in rec_names], dtype=np.int64)

    if method == "fixed":
        time, rec, audit, spikes = _run_fixed(y, p, seg_t, seg_d, dt, rec_every, rec_idx,
                                              threshold, progress)
        integrator = {"method": "fixed", "scheme": scheme, "dt": dt}
    else:
        time = np.arange(0.0, duration, interval)
        if duration - time[-1] > 1e-9 * duration:
            time = np.append(time, duration)
        else:
            time[-1] = duration
        step = max(1, math.ceil(time.size / AUDIT_SAMPLES))
        audit_times = time[::step] if time[::step][-1] == time[-1] else np.append(
            time[::step], time[-1])
    if method == "adaptive":
        rec = np.empty((time.size, rec_idx.size))
        audit = np.empty((audit_times.size, N_STATE))
        spikes = np.empty(int(duration) + 16)  # room for 1 kHz firing
        atol_vec = atol * np.array(ATOL_SCALE)
        n_spk, n_acc, n_rej = integrate_adaptive(
            y, p, seg_t, seg_d, SCHEMES[scheme], rtol, atol_vec, np.array(ERROR_CONTROLLED),
            min(dt, 0.025),
            h_max, time, rec_idx, rec, audit_times, audit, threshold, spikes)
        spikes = spikes[:min(n_spk, spikes.size)]
        integrator = {"method": "adaptive", "scheme": scheme, "rtol": rtol, "atol": atol,
                      "h_max": h_max, "steps": int(n_acc), "rejected": int(n_rej)}
    elif method == "reference":
        full = np.arange(N_STATE, dtype=np.int64)
        rec, spikes, nfev = integrate_reference(y, p, seg_t, seg_d, time,
                                                np.concatenate((full, rec_idx)), threshold,
                                                method=solver, rtol=rtol, atol=atol)
        audit, rec = rec[:, :N_STATE], rec[:, N_STATE:]
        integrator = {"method": "reference", "solver": solver, "rtol": rtol, "atol": atol,
                      "nfev": int(nfev)}

    columns = {}
    for name in names:
        if name == "atp_used":
            columns[name] = atp_from_pump_charge(rec[:, rec_names.index("q_pump")])
        else:
            columns[name] = rec[:, rec_names.index(name)]
    report = conservation_report(cell, audit)
    attrs = {
        "title": f"nakpump simulation of '{cell.name}'",
        "preset": cell.name,
        "nakpump_version": __version__,
        "duration_ms": float(duration),
        "record_interval_ms": float(interval),
        "spike_threshold_mV": float(threshold),
        "integrator": json.dumps(integrator),
        "spec": json.dumps(spec_to_dict(cell)),
        "protocol": json.dumps([event_to_dict(ev) for ev in protocol]),
        "conservation": json.dumps(report),
    }
    return build_dataset(time=time, columns=columns, spikes=np.asarray(spikes, dtype=float),
                         attrs=attrs)
