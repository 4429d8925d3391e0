"""One door to every integrator: simulate(cell, duration, protocol) → xarray Dataset.

Data flows one way: the validated CellSpec and protocol become flat arrays
(engine.compile, protocols), a kernel integrates them (engine.fixed,
engine.adaptive or engine.reference) chunk by chunk, and the chunks are either
gathered into a labelled Dataset (results.build_dataset) or streamed to
NetCDF (storage.ResultStream).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from nakpump import __version__
from nakpump.engine import adaptive, switching
from nakpump.engine.cell import rhs
from nakpump.engine.compile import cell_parameters, initial_state
from nakpump.engine.fixed import integrate_fixed, segments_between
from nakpump.engine.layout import (
    ATOL_SCALE,
    CL_O,
    D_OUABAIN,
    D_STIM_CL,
    D_STIM_K,
    D_STIM_NA,
    ERROR_CONTROLLED,
    N_STATE,
    NA_I,
    OBS_NAMES,
    OUABAIN_BOUND,
    P_N_LIVE,
    P_SCHEME,
    STATE_NAMES,
    VOL_I,
    V,
)
from nakpump.engine.reference import integrate_reference
from nakpump.errors import IntegrationError, RunInterrupted, SpecError
from nakpump.interrupt import stop_if_requested
from nakpump.model.spec import CellSpec, _check_number, spec_to_dict
from nakpump.protocols import Event, compile_protocol, event_to_dict
from nakpump.results import atp_from_pump_charge, build_dataset, conservation_report
from nakpump.storage import NETCDF_SUFFIXES, ResultStream, check_output_path, open_result

METHODS = ("auto", "fixed", "adaptive", "doubling", "reference")
DEFAULT_RTOL = 1e-6  # "adaptive": 0.02 ms spike-time error over 60 s of bursting (docs)
AUTO_ADAPTIVE_AFTER = 10_000.0  # ms: "auto" runs longer than this adaptively (accuracy.py)
SCHEMES = {"euler": 1, "strang": 2}  # step scheme → order of accuracy
REFERENCE_SOLVERS = ("LSODA", "Radau", "BDF")
RECORDABLE = tuple(n for n in OBS_NAMES if not n.startswith("_")) + ("atp_used",)
DEFAULT_RECORD = ("v", "m", "h", "n", "na_i", "k_i", "cl_i", "na_o", "k_o", "cl_o", "e_na",
                  "e_k", "e_cl", "i_na", "i_k", "i_cl", "i_pump", "pump_rate", "i_inj",
                  "q_na", "q_k", "q_pump", "atp_used")
TISSUE_RECORD = ("k_buffer", "k_glia", "bath_na", "bath_k", "bath_cl")
MAX_DEFAULT_SAMPLES = 200_000
AUDIT_SAMPLES = 10_000  # full states kept for the conservation report, evenly spaced
N_CHUNKS = 50  # a run is integrated (checked, reported on, interruptible) in this many chunks
V_BOUND = 1000.0  # mV: no membrane holds this; a run beyond it has gone wrong
MAX_DURATION = 1e10  # ms (116 days)
MIN_DURATION = 1e-6  # ms: shorter than any step
MIN_TOL = 1e-14  # the smallest rtol and atol: a few ulp of the state
MAX_STEPS = 1e10  # fixed steps (or h_max steps) in one run: beyond it a run never ends
STREAM_CHUNK = 100_000  # samples per chunk when streaming to disk


def _fixed_chunks(y, p, seg_t, seg_d, dt, rec_every, rec_idx, threshold, n_chunks,
                  k_start=0):
    """Run the fixed-step kernel in chunks on the recording grid from step k_start (a
    continued run) to the end of the protocol (seg_t[-1], ms); yield each chunk's
    (t_end, sample times, observables, audited full states, spike times, audit times, state
    at t_end)."""
    duration = seg_t[-1]
    n_steps = max(1, math.ceil(duration / dt - 1e-9))
    audit_every = max(1, math.ceil((n_steps - k_start) / AUDIT_SAMPLES))
    per = max(rec_every, math.ceil((n_steps - k_start) / n_chunks / rec_every) * rec_every)
    bounds = [*range(k_start, n_steps, per), n_steps]
    for i, (k0, k1) in enumerate(itertools.pairwise(bounds)):
        t0, t1 = k0 * dt, min(k1 * dt, duration)
        c_t, c_d = segments_between(seg_t, seg_d, float(t0), float(t1))
        n = k1 - k0
        rec_t = np.empty(n // rec_every + 2)
        rec_out = np.empty((rec_t.size, rec_idx.size))
        audit = np.empty((n // audit_every + 2, N_STATE))
        spk = np.empty(int(t1 - t0) + 16)  # room for 1 kHz firing
        n_rec, n_audit, n_spk = integrate_fixed(y, p, c_t, c_d, dt, k0, n, rec_every, rec_idx,
                                                rec_t, rec_out, audit_every, audit, threshold,
                                                spk)
        _warn_spikes(n_spk, spk.size, t0, t1)
        # A chunk's last sample is the next one's first, taken there with the drive of the
        # segment that starts then (as in a run in one piece).
        last = n_rec if k1 == n_steps else n_rec - 1
        first = 0 if i == 0 else 1  # audits (states only) keep the previous chunk's end
        a_t = np.minimum(k0 + np.minimum(np.arange(n_audit) * audit_every, n), n_steps) * dt
        yield (t1, rec_t[:last], rec_out[:last], audit[first:n_audit],
               spk[:min(n_spk, spk.size)], np.minimum(a_t[first:], duration), y.copy())


class _Grid:
    """Sample times k·interval (ms), the last one at the run's end, made on demand."""

    def __init__(self, duration: float, interval: float):
        self.duration = duration
        self.interval = interval
        n = math.floor(duration / interval + 1e-9)
        self.size = n + (1 if abs(n * interval - duration) <= 1e-9 * duration else 2)

    def at(self, k: np.ndarray) -> np.ndarray:
        """Times of the samples with indices k (ms)."""
        return np.where(k == self.size - 1, self.duration, k * self.interval)

    def times(self, k0: int, k1: int) -> np.ndarray:
        """Times of samples k0 … k1 − 1 (ms)."""
        return self.at(np.arange(k0, min(k1, self.size)))


def _adaptive_chunks(method, y, p, seg_t, seg_d, order, rtol, atol, h_max, grid, rec_idx,
                     threshold, n_chunks, stats, cell_name):
    """Run an error-controlled kernel ("adaptive": engine.switching; "doubling":
    engine.adaptive, the step of this order) in chunks of the sample grid; yield like
    _fixed_chunks.

    A chunk ends with the first accepted step past its soft end, so chunks take
    exactly the steps of a run in one piece; only a chunk's own sample times are
    made. stats collects the kernel's counts (steps, rejected, …).
    """
    kernel = switching if method == "adaptive" else adaptive
    every = max(1, math.ceil(grid.size / AUDIT_SAMPLES))  # audit a is sample a·every
    n_audit = math.ceil((grid.size - 1) / every) + 1  # … and the last is the last sample

    def audit_times(a0, a1):
        return grid.at(np.minimum(np.arange(a0, min(a1, n_audit)) * every, grid.size - 1))

    atol_vec = atol * np.array(ATOL_SCALE)
    err_idx = np.array(ERROR_CONTROLLED)
    if method == "adaptive":
        ouabain = bool(np.any(seg_d[:, D_OUABAIN] > 0.0) or y[OUABAIN_BOUND] > 0.0)
        err_idx = switching.moving_variables(p, ouabain)
        p = p.copy()
        p[P_N_LIVE] = switching.live_rows(p, ouabain)
    clock = np.zeros(kernel.N_CLOCK)
    clock[kernel.C_H] = 0.025
    clock[kernel.C_ARMED] = 1.0 if y[V] < threshold else 0.0
    margin = int(h_max / grid.interval) + 2  # samples one step past the soft end can add
    per = max(1, math.ceil((grid.size - 1) / n_chunks))
    for k1 in [*range(per, grid.size - 1, per), grid.size - 1]:
        t_soft = grid.times(k1, k1 + 1)[0] if k1 < grid.size - 1 else math.inf
        k_rec, k_audit = int(clock[kernel.C_REC]), int(clock[kernel.C_AUDIT])
        rec_t = grid.times(k_rec, k1 + 1 + margin)
        a_t = audit_times(k_audit, k1 // every + 2 + margin // every + 1)
        rec_out = np.empty((rec_t.size, rec_idx.size))
        audit = np.empty((a_t.size, N_STATE))
        t0 = clock[kernel.C_T]
        spk = np.empty(int(rec_t[-1] - t0) + 16)  # room for 1 kHz firing
        args = (rtol, atol_vec, err_idx, h_max, clock, t_soft, rec_t, rec_idx, rec_out, a_t,
                audit, threshold, spk)
        if method == "adaptive":
            counts = switching.integrate_switching(y, p, seg_t, seg_d, *args)
            names = ("steps", "rejected", "stiff_steps", "rhs_evaluations")
            if clock[switching.C_FAILED]:
                d = seg_d[min(int(clock[kernel.C_SEG]), seg_d.shape[0] - 1)]
                raise IntegrationError(clock[kernel.C_T], cell_name, _culprits(y, p, d))
        else:
            counts = adaptive.integrate_adaptive(y, p, seg_t, seg_d, order, *args)
            names = ("steps", "rejected")
        n_spk = counts[0]
        for name, count in zip(names, counts[1:]):
            stats[name] = stats.get(name, 0) + int(count)
        _warn_spikes(n_spk, spk.size, t0, clock[kernel.C_T])
        n_rec = int(clock[kernel.C_REC]) - k_rec
        n_aud = int(clock[kernel.C_AUDIT]) - k_audit
        yield (min(clock[kernel.C_T], grid.duration), rec_t[:n_rec], rec_out[:n_rec],
               audit[:n_aud], spk[:min(n_spk, spk.size)], a_t[:n_aud], y.copy())
        if clock[kernel.C_SEG] >= seg_t.size - 1:
            break


def _culprits(y: np.ndarray, p: np.ndarray, d: np.ndarray) -> list[str]:
    """What to blame where a run failed at state y: the variables that are not finite or
    are concentrations ≤ 0; failing those, the one changing fastest for its scale."""
    bad = [name for name, value in zip(STATE_NAMES, y) if not np.isfinite(value)]
    bad += [STATE_NAMES[i] for i in range(NA_I, CL_O + 1) if np.isfinite(y[i]) and y[i] <= 0]
    if bad:
        return [name + " out of range" for name in bad]
    f = np.empty(N_STATE)
    rhs(y, p, d, f)
    moving = switching.moving_variables(p)
    rate = np.abs(f[moving]) / (np.abs(y[moving]) + np.array(ATOL_SCALE)[moving])
    j = moving[int(np.argmax(rate))]
    return [f"{STATE_NAMES[j]} changing fastest (d{STATE_NAMES[j]}/dt = {f[j]:.3g} per ms)"]


def faulty(states: np.ndarray) -> np.ndarray:
    """Which full states (…, N_STATE) have left the physical range: a value not finite, a
    concentration or volume ≤ 0, |V| > V_BOUND."""
    return (~np.isfinite(states).all(axis=-1) | (states[..., NA_I:CL_O + 1] <= 0.0).any(axis=-1)
            | (states[..., VOL_I] <= 0.0) | (np.abs(states[..., V]) > V_BOUND))


def fault_error(y: np.ndarray, t: float, cell_name: str,
                drive: np.ndarray | None = None) -> IntegrationError:
    """The IntegrationError for a faulty state y at time t (ms), naming each variable out
    of range and, with the protocol's drive then, a stimulus that was on."""
    culprits = [f"{name} = {value}" for name, value in zip(STATE_NAMES, y)
                if not np.isfinite(value)]
    culprits += [f"{STATE_NAMES[i]} = {y[i]:.4g} mM ≤ 0" for i in range(NA_I, CL_O + 1)
                 if y[i] <= 0.0]
    if y[VOL_I] <= 0.0:
        culprits.append(f"vol_i = {y[VOL_I]:.4g} (relative) ≤ 0")
    if abs(y[V]) > V_BOUND:
        culprits.append(f"v = {y[V]:.4g} mV beyond ±{V_BOUND:g} mV")
    cause = ""
    if drive is not None:
        carriers = [f"{drive[k]:g} µA/cm² carried by {ion}"
                    for k, ion in ((D_STIM_NA, "Na+"), (D_STIM_K, "K+"), (D_STIM_CL, "Cl−"))
                    if drive[k] != 0.0]
        cause = f", with a stimulus of {' and '.join(carriers)} on" if carriers else ""
    return IntegrationError(t, cell_name, culprits,
                            what=f"the state left the physical range{cause}")


def _shifted(chunks, t0: float):
    """Chunks of a run on a clock from 0 moved to the continued clock (times + t0 ms)."""
    for t_done, time, rec, audit, spikes, a_t, y_end in chunks:
        yield t_done + t0, time + t0, rec, audit, spikes + t0, a_t + t0, y_end


def continued_from(initial: xr.Dataset | None) -> tuple[float, np.ndarray | None]:
    """(time in ms, full state) where a result to continue ended (or was interrupted);
    (0, None) for None."""
    if initial is None:
        return 0.0, None
    if not isinstance(initial, xr.Dataset) or "final_state" not in initial.attrs:
        raise SpecError("initial", type(initial).__name__, "a single-cell result of "
                                                           "nakpump.simulate to continue")
    if initial.attrs.get("status") == "failed":
        raise SpecError("initial", "a failed run", "a result whose run did not fail")
    try:
        state = json.loads(initial.attrs["final_state"])
        y = np.array([float(state[name]) for name in STATE_NAMES])
        t0 = float(initial.attrs["final_state_time_ms"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError("initial", "its final_state attribute", f"the full state a result of "
                                                                f"this nakpump writes ({exc})") \
            from None
    if faulty(y) or not math.isfinite(t0) or t0 < 0.0:
        raise SpecError("initial", "its final state", "a state within the physical range")
    return t0, y


def _checked(chunks, seg_t, seg_d, duration, cell_name):
    """The chunks, each checked for faults (IntegrationError) before it is used; after each,
    RunInterrupted if a signal asked the run to stop (interrupt.graceful_signals)."""
    for chunk in chunks:
        bad = faulty(chunk[3])
        if bad.any():
            j = int(np.argmax(bad))
            t = float(chunk[5][j])
            k = int(np.searchsorted(seg_t, t, side="right")) - 1
            raise fault_error(chunk[3][j], t, cell_name, seg_d[max(0, min(k, len(seg_d) - 1))])
        yield chunk
        stop_if_requested(chunk[0], duration)


def _warn_spikes(n_spk, kept, t0, t1):
    if n_spk > kept:
        warnings.warn(f"{n_spk} spikes in {t0:g}–{t1:g} ms, only {kept} kept", stacklevel=4)


def check_run(cell: CellSpec, duration: float, dt: float, threshold: float,
              scheme: str) -> None:
    """The checks every run makes (simulate and simulate_population), SpecError if one fails."""
    if not isinstance(cell, CellSpec):
        raise SpecError("cell", cell, "a CellSpec, e.g. nakpump.preset('cortical')")
    _check_number("duration", duration, lower=MIN_DURATION, strict=False, upper=MAX_DURATION,
                  unit="ms, at most about 116 days")
    _check_number("dt", dt, lower=0.0, upper=1.0, unit="ms")
    _check_number("threshold", threshold, unit="mV")
    if scheme not in SCHEMES:
        raise SpecError("scheme", scheme, "one of " + ", ".join(SCHEMES))


def check_steps(duration: float, step: float, field: str) -> None:
    """SpecError if a run of duration (ms) in steps of `step` (ms) would never end."""
    n = duration / step
    if n > MAX_STEPS:
        raise SpecError(field, step, f"a step giving at most {MAX_STEPS:.0e} steps for this "
                                     f"run ({duration:g} ms / {step:g} ms = {n:.2g} steps: "
                                     f"hours to years of computing)")


def check_memory(n_values: float, what: str, field: str, value: object,
                 advice: str = "record less, less often, or stream to a file with "
                               "output=") -> None:
    """SpecError (field = value) if holding n_values float64 values in memory would not
    fit in half of this machine's memory."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        total = 16 * 2**30
    need = 8.0 * n_values
    if need > total / 2:
        raise SpecError(field, value, f"a value whose {what} fits in memory (it needs "
                                     f"{need / 2**30:.3g} GiB, this machine has "
                                     f"{total / 2**30:.3g} GiB; {advice})")


def steps_per_sample(record_interval: float, dt: float) -> int:
    """record_interval (ms) as a whole number of fixed steps dt (ms); SpecError if it is not."""
    _check_number("record_interval", record_interval, lower=0.0, unit="ms")
    every = round(record_interval / dt)
    if every < 1 or abs(every * dt - record_interval) > 1e-9 * record_interval:
        raise SpecError("record_interval", record_interval, f"a whole multiple of dt = {dt:g} ms")
    return every


def default_record(cell: CellSpec) -> tuple[str, ...]:
    """What a run records unless told: DEFAULT_RECORD, with the glia/bath counters for a
    closed outside and the AHP's Ca2+ where there is one."""
    names = DEFAULT_RECORD
    if cell.closed and cell.concentrations == "dynamic":
        names += TISSUE_RECORD
    if cell.volume_law is not None:
        names += ("vol_i",)
    if cell.oxygen is not None:
        names += ("o2", "o2_pump")
    if cell.metabolism is not None:
        names += ("atp_i", "adp_i", "pi_i", "atp_made", "atp_pump", "atp_basal")
    names += tuple(state_aliases(cell))
    if cell.channels.g_ahp > 0:
        names += ("ca_i",)
    return names


def observables(names: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The observables (and their indices in engine.layout's OBS_NAMES) that recording the
    variables `names` takes: atp_used is derived from q_pump. SpecError for an unknown name."""
    for name in names:
        if name not in RECORDABLE:
            raise SpecError("record", name, "variable names among " + ", ".join(RECORDABLE))
    rec_names = list(dict.fromkeys(("q_pump" if n == "atp_used" else n) for n in names))
    return rec_names, np.array([OBS_NAMES.index(n) for n in rec_names], dtype=np.int64)


def columns(names, rec_names, rec, aliases=None):
    """The requested variables from the recorded observables rec (…, observable): one array
    of rec's other axes per name (atp_used from q_pump; a name in `aliases`, such as
    "pump.bound_a3", from the observable it stands for)."""
    out = {}
    for name in names:
        if name == "atp_used":
            out[name] = atp_from_pump_charge(rec[..., rec_names.index("q_pump")])
        else:
            out[name] = rec[..., rec_names.index((aliases or {}).get(name, name))]
    return out


def state_aliases(cell: CellSpec) -> dict[str, str]:
    """Result names of the pump form's own states, "pump.<state>" → "pump_state_<k>"."""
    if cell.pump is None:
        return {}
    return {f"pump.{name}": f"pump_state_{k}"
            for k, name in enumerate(cell.pump.mechanism.states)}


def simulate(cell: CellSpec, duration: float, protocol: Sequence[Event] = (), *,
             method: str = "auto", dt: float = 0.025, record: Sequence[str] | None = None,
             record_interval: float | None = None, threshold: float = 0.0,
             solver: str = "LSODA", rtol: float | None = None, atol: float | None = None,
             h_max: float = 50.0, scheme: str = "strang",
             output: str | os.PathLike | None = None, overwrite: bool = False,
             progress: Callable[[float, float], None] | None = None,
             scenario: str | None = None, initial: xr.Dataset | None = None,
             until: float | None = None, join: bool = False) -> xr.Dataset:
    """Simulate a cell for duration (ms) under a protocol; return a labelled Dataset.

    method: "auto" (default: "fixed" for runs up to 10 s, "adaptive" beyond,
    where it is both faster and far more accurate; see benchmarks/accuracy.py),
    "fixed" (step dt ms of the given scheme: "strang", second order,
    gates by exponential half steps around a trapezoidal V step; or "euler",
    first order, backward-Euler V then exponential-Euler gates as in NEURON),
    "adaptive" (variable step and order: DOP853, order 8, where the cell fires,
    RODAS4, order 4 and L-stable, where it is stiff, switched automatically
    (engine.switching); local error ≤ rtol·|y| + atol, steps ≤ h_max ms;
    default rtol = atol = DEFAULT_RTOL), "doubling" (the fixed step of `scheme`
    sized by step doubling and Richardson-extrapolated; default rtol 1e-4, atol
    1e-6) or "reference" (scipy solve_ivp with `solver`; default rtol = atol =
    1e-9). atol is scaled per variable (engine.layout.ATOL_SCALE); docs/integrators.md
    says what spike-time error each rtol gives.
    record: variable names (default DEFAULT_RECORD; [] records spike times only);
    record_interval (ms): sampling interval, a multiple of dt for "fixed"
    (default: dt, coarsened so that at most 200 000 samples are kept).
    threshold (mV): spike detection level (upward crossings).
    output: a NetCDF path; the recording is then streamed to it in chunks (memory
    does not grow with the run) and the Dataset returned is read lazily from it. An
    existing file there is refused unless overwrite; it is replaced only by a finished
    run (storage.Claim). A run that fails (IntegrationError) or is interrupted
    (RunInterrupted) leaves what it streamed in STEM.failed.nc or STEM.interrupted.nc,
    named by the error's `saved`.
    Faults stop a run: after each chunk its full states are checked, and a value that
    is not finite, a concentration or volume ≤ 0 or |V| > V_BOUND raises IntegrationError
    naming the variables, the cell and the time.
    initial, until: a piece of a run. The run of `duration` (ms, its protocol's clock)
    starts from the final state (attrs["final_state"]) of the result `initial` at its end
    time t0 (default: from the start, 0), and stops at `until` (ms; default: duration).
    simulate(cell, T, p, until=t) then simulate(cell, T, p, initial=that) joined equal
    simulate(cell, T, p): bit for bit with "fixed" (t on the step grid), to the tolerance
    with the error-controlled methods (each piece starts with a fresh step). With join,
    the result holds initial's recording and spikes followed by this piece's: the whole
    run, as if it had not been split (how `nakpump run --resume` finishes a run).
    progress: called as progress(t_done, duration) (ms) between chunks.
    scenario: a scenario (JSON) to store with the result (see nakpump.scenario).
    The conservation report (conservation_report) is in attrs["conservation"].
    """
    check_run(cell, duration, dt, threshold, scheme)
    if method not in METHODS:
        raise SpecError("method", method, "one of " + ", ".join(METHODS))
    if method == "auto":
        method = "adaptive" if duration > AUTO_ADAPTIVE_AFTER else "fixed"
    if solver not in REFERENCE_SOLVERS:
        raise SpecError("solver", solver, "one of " + ", ".join(REFERENCE_SOLVERS))
    default_tol = {"reference": (1e-9, 1e-9), "adaptive": (DEFAULT_RTOL, DEFAULT_RTOL)}
    rtol_0, atol_0 = default_tol.get(method, (1e-4, 1e-6))
    rtol = rtol_0 if rtol is None else rtol
    atol = atol_0 if atol is None else atol
    # below ~1e-14 a double cannot resolve the step's error: such a run would never end
    _check_number("rtol", rtol, lower=MIN_TOL, strict=False, upper=0.1)
    _check_number("atol", atol, lower=MIN_TOL, strict=False)
    _check_number("h_max", h_max, lower=0.0, unit="ms")
    if output is not None:
        output = check_output_path(output, overwrite=overwrite, suffixes=NETCDF_SUFFIXES)
    # The piece of the run made here: from t0 (0, or where `initial` ended) to t_end.
    t0, y = continued_from(initial)
    if initial is not None and initial.attrs.get("preset") != cell.name:
        raise SpecError("initial", f"a result of '{initial.attrs.get('preset')}'",
                        f"a result of this cell, '{cell.name}'")
    t_end = duration
    if until is not None:
        _check_number("until", until, lower=0.0, upper=duration, unit="ms, ≤ duration")
        t_end = until
    if t_end <= t0:
        raise SpecError("until" if until is not None else "duration", t_end,
                        f"a time after {t0:g} ms, where the continued run ended")
    piece = t_end - t0
    check_steps(piece, dt if method == "fixed" else h_max, "dt" if method == "fixed"
                else "h_max")
    names = tuple(default_record(cell) if record is None else record)
    if join and (initial is None or set(names) != set(initial.data_vars) - {"spike_time"}):
        raise SpecError("join", True, "a continued run (initial) that records what initial "
                                      "recorded")
    if join and record_interval is None:  # one run: one sampling grid
        record_interval = float(initial.attrs["record_interval_ms"])
    # The requested observables; full states are kept separately on a coarser grid for
    # the conservation report.
    aliases = state_aliases(cell)
    rec_names, rec_idx = observables([aliases.get(n, n) for n in names])
    if record_interval is None and not names:  # spikes only: keep just the two ends
        rec_every = max(1, math.ceil(piece / dt - 1e-9))
        interval = piece
    elif record_interval is None:
        rec_every = max(1, math.ceil(piece / dt / MAX_DEFAULT_SAMPLES))
        interval = rec_every * dt
    elif method == "fixed":
        rec_every = steps_per_sample(record_interval, dt)
        interval = record_interval
    else:  # adaptive and reference runs sample on any grid
        _check_number("record_interval", record_interval, lower=0.0, unit="ms")
        rec_every, interval = 1, record_interval
    if output is None:
        check_memory((piece / interval + 2) * (len(rec_names) + 1), "recording",
                     "record_interval", record_interval)

    p = cell_parameters(cell)
    p[P_SCHEME] = 0.0 if scheme == "euler" else 1.0
    if y is None:
        y = initial_state(cell, p)
    seg_t, seg_d = compile_protocol(protocol, cell, duration)
    k_start = 0
    if method == "fixed":  # the whole run's own steps, from step t0/dt to t_end
        k_start = round(t0 / dt)
        for name, t in (("initial", t0), ("until", t_end)):
            if t not in (0.0, duration) and abs(round(t / dt) * dt - t) > 1e-9 * t:
                raise SpecError(name, f"{t:g} ms", f"a time on the step grid (a multiple of "
                                                   f"dt = {dt:g} ms)")
        if t_end < duration:
            seg_t, seg_d = segments_between(seg_t, seg_d, 0.0, t_end)
    elif piece < duration:  # the error-controlled methods run the piece on a clock from 0
        seg_t, seg_d = segments_between(seg_t, seg_d, t0, t_end)
        seg_t = seg_t - t0
        seg_t[-1] = piece
    attrs = {
        "title": f"nakpump simulation of '{cell.name}'",
        "preset": cell.name,
        "nakpump_version": __version__,
        "start_ms": float(t0),
        "duration_ms": float(piece),
        "record_interval_ms": float(interval),
        "spike_threshold_mV": float(threshold),
        "spec": json.dumps(spec_to_dict(cell)),
        "protocol": json.dumps([event_to_dict(ev) for ev in protocol]),
    }
    if scenario is not None:
        attrs["scenario"] = scenario

    grid = _Grid(piece, interval)
    # Chunks bound memory when streaming and let a signal stop the run between them.
    n_chunks = max(N_CHUNKS, math.ceil(grid.size / STREAM_CHUNK))
    stats = {}
    if method == "fixed":
        chunks = _fixed_chunks(y, p, seg_t, seg_d, dt, rec_every, rec_idx, threshold, n_chunks,
                               k_start)
        integrator = {"method": "fixed", "scheme": scheme, "dt": dt}
    elif method in ("adaptive", "doubling"):
        chunks = _adaptive_chunks(method, y, p, seg_t, seg_d, SCHEMES[scheme], rtol, atol,
                                  h_max, grid, rec_idx, threshold, n_chunks, stats, cell.name)
        integrator = {"method": method, "rtol": rtol, "atol": atol, "h_max": h_max}
        if method == "doubling":
            integrator["scheme"] = scheme
    else:
        full = np.arange(N_STATE, dtype=np.int64)
        times = grid.times(0, grid.size)
        rec, spikes, nfev = integrate_reference(y, p, seg_t, seg_d, times,
                                                np.concatenate((full, rec_idx)), threshold,
                                                method=solver, rtol=rtol, atol=atol,
                                                max_step=h_max)
        chunks = iter([(piece, times, rec[:, N_STATE:], rec[:, :N_STATE], spikes, times,
                        rec[-1, :N_STATE].copy())])
        integrator = {"method": "reference", "solver": solver, "rtol": rtol, "atol": atol,
                      "h_max": h_max, "nfev": int(nfev)}

    before = {}  # a join's errors so far: each piece's are against its own start, so sum
    if join:
        before = json.loads(initial.attrs["conservation"])
        start = float(initial.attrs.get("start_ms", 0.0))
        attrs.update(start_ms=start, duration_ms=t_end - start)

    def finish_attrs(report, t_last, y_last):
        """The result's attrs: the conservation report, the last state y_last at t_last
        (ms) for a continuation."""
        integrator.update(stats)
        if join:
            report = {k: v + before.get(k, math.nan) for k, v in report.items()}
        return {**attrs, "integrator": json.dumps(integrator),
                "conservation": json.dumps(report), "final_state_time_ms": float(t_last),
                "final_state": json.dumps(dict(zip(STATE_NAMES, y_last.tolist())))}

    def earlier():
        """initial's recording up to (not including) t0, and its spikes: a join's head."""
        keep = initial.time.values < t0
        return (initial.time.values[keep], {n: initial[n].values[keep] for n in names},
                initial.spike_time.values)

    if method != "fixed" and piece < duration:
        chunks = _shifted(chunks, t0)
        seg_t = seg_t + t0
    chunks = _checked(chunks, seg_t, seg_d, t_end, cell.name)
    if output is None:
        parts = []
        for t_done, *part, _, y_end in chunks:  # noqa: B007 (y_end: the last, after it)
            parts.append(part)
            if progress is not None:
                progress(t_done - t0, piece)
        time, rec, audit, spikes = (np.concatenate(col) for col in zip(*parts))
        cols = columns(names, rec_names, rec, aliases)
        if join:
            head_t, head, head_spikes = earlier()
            time, spikes = np.concatenate((head_t, time)), np.concatenate((head_spikes, spikes))
            cols = {n: np.concatenate((head[n], cols[n])) for n in names}
        return build_dataset(time=time, columns=cols, spikes=spikes,
                             attrs=finish_attrs(conservation_report(cell, audit), t_done,
                                                y_end))
    with ResultStream(output, names, overwrite=overwrite) as stream:
        t_done, so_far, report, first, v_max = t0, None, None, None, 1.0
        if join:
            stream.append(*earlier())
        try:
            for t_done, time, rec, audit, spikes, _, y_end in chunks:
                # errors against the run's first state, the worst so far kept chunk by chunk
                # (the relative charge error is over the largest |V| of the whole run)
                first = audit[:1] if first is None else first
                errors = conservation_report(cell, np.concatenate((first, audit)))
                report = errors if report is None else {
                    k: float(np.fmax(v, report[k])) for k, v in errors.items()}
                v_max = max(v_max, float(np.abs(audit[:, V]).max()))
                report["charge"] = report["charge_mV"] / v_max
                # the run so far, in the file after every chunk: what --resume starts from
                so_far = {**finish_attrs(report, t_done, y_end), "completed_ms": t_done}
                stream.append(time, columns(names, rec_names, rec, aliases), spikes,
                              attrs=so_far)
                if progress is not None:
                    progress(t_done - t0, piece)
        except (IntegrationError, KeyboardInterrupt) as exc:
            if not isinstance(exc, IntegrationError | RunInterrupted):
                exc = RunInterrupted(t_done, t_end, signal.SIGINT)
            if so_far is not None:
                status = "failed" if isinstance(exc, IntegrationError) else "interrupted"
                try:
                    exc.saved = stream.abandon(status, {**so_far, "error": str(exc)})
                except Exception:  # pragma: no cover - a second Ctrl-C inside a write
                    exc.saved = None
            raise exc from None
        stream.finish(so_far)
    return open_result(output)
