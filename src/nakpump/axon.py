"""Simulate an axon: the compartments of an AxonSpec stepped together, as one labelled Dataset.

Data flow as for one cell: the spec becomes flat arrays (one column per compartment),
the fixed-step kernel (engine.fixed.integrate_cable: the cable's axial coupling,
engine.cable) integrates them, and the result comes back with dims `x` (µm along the
axon) and `time` (ms), each compartment's spike times on `spike`, and a conservation
report for the whole axon and the worst compartment.

Protocol: stimuli (Stimulus, PulseTrain) act on the first compartment (x = 0 end);
every other event (pump block, ATP, bath, clamp) acts on the whole axon; an event
wrapped in Along(event, start, stop) acts on the compartments whose centres lie in
[start, stop] µm instead.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from nakpump import __version__
from nakpump.engine.compile import cell_parameters, initial_state
from nakpump.engine.fixed import integrate_cable
from nakpump.engine.layout import (
    N_DRIVE,
    N_STATE,
    NA_I,
    P_SCHEME,
    Q_INJ_NA,
    Q_K,
    Q_NA,
    Q_PUMP,
)
from nakpump.errors import SpecError
from nakpump.model.axon import AxonSpec
from nakpump.model.spec import _check_number, spec_to_dict
from nakpump.protocols import (
    EVENT_TYPES,
    Event,
    Ouabain,
    PulseTrain,
    Stimulus,
    compile_protocol,
    event_to_dict,
)
from nakpump.results import conservation_errors, variable_attrs
from nakpump.simulate import (
    check_memory,
    check_run,
    check_steps,
    columns,
    observables,
    steps_per_sample,
)
from nakpump.units import AMOL_PER_UA_CM2_MS_UM2, AVOGADRO, nc_cm2_to_pmol_cm2


@dataclass(frozen=True)
class Along:
    """An event that acts on part of an axon: the compartments whose centres lie between
    start and stop (µm from the stimulated end), e.g. a pump block of one stretch."""

    event: object
    start: float  # µm
    stop: float  # µm

    def __post_init__(self) -> None:
        if not isinstance(self.event, EVENT_TYPES):
            raise SpecError("along.event", self.event, "a protocol event (Stimulus, PumpBlock…)")
        _check_number("along.start", self.start, lower=0.0, strict=False, unit="µm")
        _check_number("along.stop", self.stop, lower=self.start, strict=False,
                      unit="µm, ≥ start")


DEFAULT_RECORD = ("v",)
MAX_RATE_KHZ = 0.5  # spikes per ms per compartment the spike buffer has room for
MAX_VALUES = 2_000_000  # samples × compartments recorded per variable unless asked for more


def simulate_axon(axon: AxonSpec, duration: float, protocol: Sequence[Event | Along] = (), *,
                  dt: float = 0.002, scheme: str = "strang", record: Sequence[str] | None = None,
                  record_interval: float | None = None, threshold: float = 0.0,
                  scenario: str | None = None) -> xr.Dataset:
    """Run the axon for `duration` ms under `protocol` with the fixed step dt (ms).

    record: variables of every compartment (default V) every record_interval ms
    (default dt, coarsened so that each variable keeps at most 2 million numbers).
    threshold (mV): upward crossings are each compartment's spikes (`spike_time`,
    `spike_x`), from which conduction_velocity reads arrival times.
    scenario: a scenario (JSON) to store with the result (see nakpump.scenario).
    """
    cell = axon.compartment()
    check_run(cell, duration, dt, threshold, scheme)
    cells = axon.compartments()
    n = len(cells)
    ps = np.empty((len(cell_parameters(cell)), n))
    ys = np.empty((N_STATE, n))
    for j, c in enumerate(cells):
        ps[:, j] = cell_parameters(c)
        ps[P_SCHEME, j] = 0.0 if scheme == "euler" else 1.0
        ys[:, j] = initial_state(c, ps[:, j])
    x = np.array(axon.positions())
    for i, ev in enumerate(protocol):
        if isinstance(ev, Along) and ev.start > axon.length:
            raise SpecError(f"protocol[{i}].start", ev.start, f"a position on the axon "
                                                              f"(≤ {axon.length:g} µm)")
    seg_t, seg_d = _compartment_drives(protocol, cell, duration, x)
    area = np.array([c.area for c in cells])
    g_axial = np.array(axon.axial_conductances())

    names = tuple(DEFAULT_RECORD if record is None else record)
    rec_names, rec_idx = observables(names)
    check_steps(duration, dt, "dt")
    n_steps = max(1, math.ceil(duration / dt - 1e-9))
    if record_interval is None:  # every step, coarsened to keep ≤ MAX_VALUES numbers per variable
        rec_every = max(1, math.ceil(n_steps * n / MAX_VALUES))
    else:
        rec_every = steps_per_sample(record_interval, dt)
    check_memory(n * ((n_steps / rec_every + 2) * len(rec_names) + 202 * N_STATE
                      + duration * MAX_RATE_KHZ), "recording", "record_interval",
                 record_interval)
    n_rec = n_steps // rec_every + 2
    rec_t = np.empty(n_rec)
    rec_out = np.empty((n, n_rec, rec_idx.size))
    audit_every = max(1, math.ceil(n_steps / 200))
    audit = np.empty((n_steps // audit_every + 2, N_STATE, n))
    capacity = int(duration * MAX_RATE_KHZ) + 16
    spikes = np.empty((n, capacity))
    n_spk = np.zeros(n, dtype=np.int64)
    got, n_audit = integrate_cable(ys, ps, seg_t, seg_d, dt, 0, n_steps, rec_every, rec_idx,
                                   rec_t, rec_out, audit_every, audit, threshold, spikes,
                                   n_spk, area, g_axial)
    states = np.moveaxis(audit[:n_audit], 2, 1)  # (audits, compartments, N_STATE)

    spike_x, spike_time = [], []
    if n_spk.max() > capacity:
        warnings.warn(f"a compartment crossed {threshold:g} mV {int(n_spk.max())} times, more "
                      f"than the {capacity} spike times kept per compartment; the rest are "
                      "missing from spike_time", RuntimeWarning, stacklevel=2)
    for j in range(n):
        k = min(int(n_spk[j]), capacity)
        spike_x.extend([x[j]] * k)
        spike_time.extend(spikes[j, :k].tolist())
    order = np.lexsort((spike_x, spike_time))
    data = {name: xr.Variable(("x", "time"), values, variable_attrs(name))
            for name, values in columns(names, rec_names, rec_out[:, :got]).items()}
    data["spike_time"] = xr.Variable("spike", np.array(spike_time)[order],
                                     variable_attrs("spike_time"))
    data["spike_x"] = xr.Variable("spike", np.array(spike_x)[order],
                                  {"units": "um", "long_name": "position of the spike"})
    coords = {"time": xr.Variable("time", rec_t[:got], variable_attrs("time")),
              "x": xr.Variable("x", x, {"units": "um", "long_name": "distance from the "
                                                                  "stimulated end"})}
    attrs = {
        "title": f"nakpump axon {axon.name}", "preset": axon.name,
        "nakpump_version": __version__, "duration_ms": float(duration),
        "spike_threshold_mV": float(threshold), "dx_um": axon.dx,
        "axon": json.dumps({k: v for k, v in vars(axon).items()
                            if k not in ("membrane", "soma")} | {"soma": axon.soma is not None}),
        "spec": json.dumps(spec_to_dict(cell)),
        "protocol": json.dumps([_event_dict(ev) for ev in protocol]),
        "integrator": json.dumps({"method": "fixed", "scheme": scheme, "dt": dt}),
        "conservation": json.dumps(axon_conservation(axon, states)),
    }
    if scenario is not None:
        attrs["scenario"] = scenario  # the plain data a saved result is run again from
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _event_dict(ev) -> dict:
    if isinstance(ev, Along):
        return {**event_to_dict(ev.event), "along_um": [ev.start, ev.stop]}
    return event_to_dict(ev)


def _compartment_drives(protocol, cell, duration, x):
    """(segment boundaries, drives (segments, N_DRIVE, compartments)): every compartment's
    own protocol (see the module docstring) on the boundaries of all of them together."""
    protocol = list(protocol)
    for i, ev in enumerate(protocol):
        if not isinstance(ev, (Along, *EVENT_TYPES)):
            raise SpecError(f"protocol[{i}]", ev, "a protocol event, or Along(event, start, "
                                                  "stop)")
    everything = [ev.event if isinstance(ev, Along) else ev for ev in protocol]
    for i, ev in enumerate(everything):
        if isinstance(ev, Ouabain):
            raise SpecError(f"protocol[{i}]", ev, "an event the cable kernels step (they do "
                                                  "not bind ouabain yet: use PumpBlock)")
    seg_t, _ = compile_protocol(everything, cell, duration)
    mids = 0.5 * (seg_t[:-1] + seg_t[1:])
    drives = np.empty((mids.size, N_DRIVE, x.size))
    compiled: dict[tuple, np.ndarray] = {}
    for j, pos in enumerate(x):
        mine = tuple(i for i, ev in enumerate(protocol)
                     if (ev.start <= pos <= ev.stop if isinstance(ev, Along)
                         else j == 0 or not isinstance(ev, (Stimulus, PulseTrain))))
        if mine not in compiled:
            t_j, d_j = compile_protocol([everything[i] for i in mine], cell, duration)
            compiled[mine] = d_j[np.searchsorted(t_j, mids, side="right") - 1]
        drives[:, :, j] = compiled[mine]
    return seg_t, np.ascontiguousarray(drives)


def axon_conservation(axon: AxonSpec, states: np.ndarray) -> dict[str, float]:
    """Conservation over a run, states (samples, compartments, N_STATE): the largest error of
    any compartment (`*_compartment`: each carries the axial current as injected K+) and of
    the whole axon (each ion's total amount inside + what crossed the membrane − what the
    stimulus brought, relative; the axial currents cancel between neighbours)."""
    cells = axon.compartments()
    if cells[0].concentrations == "fixed":
        return {k: math.nan for k in ("na", "k", "cl", "charge_mV", "na_compartment",
                                      "k_compartment", "cl_compartment")}
    area = np.array([c.area for c in cells])
    volume = np.array([c.volume for c in cells])
    errors = conservation_errors(states, area, volume, np.full(len(cells), math.nan),
                                 np.array([c.capacitance for c in cells]))
    report = {f"{k}_compartment": float(np.max(v)) for k, v in errors.items()
              if k in ("na", "k", "cl")}
    report["charge_mV"] = float(np.max(errors["charge_mV"]))
    per_charge = AMOL_PER_UA_CM2_MS_UM2 * area
    for ion, k, q_pass, pump_n, z in (("na", 0, Q_NA, 3.0, 1.0), ("k", 1, Q_K, -2.0, 1.0),
                                      ("cl", 2, Q_NA + 2, 0.0, -1.0)):
        inside = states[..., NA_I + k] * volume
        crossed = per_charge * (states[..., q_pass] + pump_n * states[..., Q_PUMP]) / z
        injected = per_charge * states[..., Q_INJ_NA + k] / z  # stimulus + axial
        total = (inside + crossed - injected).sum(axis=1)
        report[ion] = float(np.max(np.abs(total - total[0])) / abs(total[0]))
    return report


def arrival_times(ds: xr.Dataset) -> np.ndarray:
    """First spike time (ms) at each compartment (NaN where the impulse never arrived)."""
    x = ds.x.values
    first = np.full(x.size, np.nan)
    for pos, t in zip(ds.spike_x.values[::-1], ds.spike_time.values[::-1]):
        first[np.searchsorted(x, pos)] = t
    return first


def conduction_velocity(ds: xr.Dataset, x1: float, x2: float) -> float:
    """Conduction velocity (m/s) between the compartments nearest x1 and x2 (µm), from the
    first impulse's arrival times there."""
    x = ds.x.values
    i1, i2 = (int(np.argmin(np.abs(x - pos))) for pos in (x1, x2))
    t = arrival_times(ds)
    return float((x[i2] - x[i1]) / (t[i2] - t[i1]) * 1e-3)  # µm/ms → m/s


def impulse_fluxes(ds: xr.Dataset, x: float, t0: float, t1: float) -> dict[str, float]:
    """Na+ entry and K+ exit (pmol/cm²) through the membrane at position x (µm) between t0
    and t1 (ms), in excess of the resting flux at t0, and the ATP the pump needs to return
    that Na+ (one per 3 Na+) per µm of axon; needs q_na and q_k recorded."""
    here = ds.sel(x=x, method="nearest")
    out = {}
    for name, key, sign in (("na_entry", "q_na", -1.0), ("k_exit", "q_k", 1.0)):
        q = here[key]
        rest_rate = float((q.isel(time=1) - q.isel(time=0)) / (q.time[1] - q.time[0]))
        dq = float(q.sel(time=t1, method="nearest") - q.sel(time=t0, method="nearest"))
        out[name] = sign * nc_cm2_to_pmol_cm2(dq - rest_rate * (t1 - t0))
    diameter = json.loads(ds.attrs["axon"])["diameter"]  # µm
    area_per_um_cm2 = math.pi * diameter * 1e-8
    out["atp_per_um"] = out["na_entry"] * 1e-12 * area_per_um_cm2 / 3.0 * AVOGADRO
    return out


def conduction(ds: xr.Dataset, window: float = 50.0) -> tuple[np.ndarray, np.ndarray]:
    """(start times, arrived): each impulse started at the x = 0 end (its spike times, ms)
    and whether it reached the far end within `window` ms and before the next one started.
    Conduction failure is an impulse that started and did not arrive."""
    x = ds.x.values
    start = np.sort(ds.spike_time.values[ds.spike_x.values == x[0]])
    far = np.sort(ds.spike_time.values[ds.spike_x.values == x[-1]])
    ends = np.minimum(np.append(start[1:], np.inf), start + window)
    arrived = np.array([np.any((far > s) & (far <= e)) for s, e in zip(start, ends)],
                       dtype=bool)
    return start, arrived


def axon_summary(ds: xr.Dataset) -> dict:
    """What a run of an axon shows: impulses started and arrived, the velocity between a
    quarter and three quarters of the length, conservation."""
    x = ds.x.values
    near, far = ds.spike_x.values == x[0], ds.spike_x.values == x[-1]
    start, arrived = conduction(ds)
    summary = {"preset": ds.attrs["preset"], "duration_ms": ds.attrs["duration_ms"],
               "length_um": float(x[-1] + 0.5 * ds.attrs["dx_um"]),
               "compartments": int(x.size), "impulses_started": int(near.sum()),
               "impulses_arrived": int(far.sum()),
               "first_failure_ms": float(start[~arrived][0]) if (~arrived).any() else None,
               "conservation": json.loads(ds.attrs["conservation"])}
    arrival = arrival_times(ds)
    quarter, three = int(0.25 * x.size), int(0.75 * x.size)
    summary["velocity_m_s"] = (float((x[three] - x[quarter]) / (arrival[three]
                                                                - arrival[quarter]) * 1e-3)
                               if np.isfinite(arrival[[quarter, three]]).all() else None)
    return summary
