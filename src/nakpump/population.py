"""Many cells at once: per-cell parameters and protocols → one kernel → one Dataset.

A population is N cells of one specification in which any numeric parameter
may differ cell by cell (a length-N array under its dotted name,
"pump.rate_max", "ions.k_o", "temp_c") and so may any numeric field of a
protocol event ("protocol[0].amplitude"); or each cell has its own protocol.
Each cell is integrated by the single cell's fixed step (engine.population
runs engine.fixed over cells in parallel), so cell i of a population is, bit
for bit, `simulate(cell_i, ..., method="fixed")` run alone.

    cells = nk.simulate_population(
        nk.preset("cortical"), 1000.0, [nk.Stimulus(amplitude=3.0)],
        parameters={"pump.rate_max": rng.normal(8e4, 1e4, 500),
                    "protocol[0].amplitude": np.linspace(0, 6, 500)})
    cells.firing_rate, cells.na_i_end, cells.atp_used_total   # per cell

Units as everywhere: ms, mV, mM, µA/cm².
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numba
import numpy as np
import xarray as xr

from nakpump import __version__
from nakpump.engine.compile import cell_parameters, initial_state
from nakpump.engine.layout import (
    CL_I,
    CL_O,
    K_I,
    K_O,
    N_DRIVE,
    N_PARAM,
    N_STATE,
    NA_I,
    NA_O,
    P_SCHEME,
    Q_PUMP,
    STATE_NAMES,
    TILE,
    VOL_I,
    V,
)
from nakpump.engine.population import compact_spikes, integrate_population
from nakpump.errors import IntegrationError, RunInterrupted, SpecError
from nakpump.interrupt import stop_if_requested
from nakpump.model.spec import (
    CellSpec,
    parameter_names,
    parameter_unit,
    spec_to_dict,
)
from nakpump.protocols import EVENT_TYPES, Event, compile_protocol, event_to_dict
from nakpump.results import (
    atp_from_pump_charge,
    conservation_errors,
    variable_attrs,
)
from nakpump.simulate import (
    N_CHUNKS,
    check_memory,
    check_run,
    check_steps,
    columns,
    fault_error,
    faulty,
    observables,
    state_aliases,
    steps_per_sample,
)
from nakpump.storage import NETCDF_SUFFIXES, ResultStream, check_output_path, open_result

PROTOCOL_FIELD = re.compile(r"^protocol\[(\d+)\]\.(\w+)$")
STARTS = ("stored", "rest")
BLOCK = TILE  # cells stepped together, vectorised (engine.cell.step_tile)
DEFAULT_RECORD = ("v", "na_i", "k_i", "i_pump")  # for populations of up to SPIKES_ONLY_ABOVE
SPIKES_ONLY_ABOVE = 1000  # cells; larger populations record spikes and summaries only
MAX_DEFAULT_VALUES = 20_000_000  # recorded values kept by default (160 MB)
CHUNK_VALUES = 4_000_000  # recorded values per chunk (32 MB)
CHUNK_MS = 25.0  # ms of simulated time per chunk at most (bounds the spike buffers)
SPIKE_RATE_GUESS = 0.2  # spikes/ms a cell's spike buffer holds at first (200 Hz)
SPIKE_BUFFER_MIN = 4  # spikes, at least
# V and the concentrations: kept from t = 0 for the conservation report, reported at the end.
ION_COLUMNS = (V, NA_I, K_I, CL_I, NA_O, K_O, CL_O)


def _as_per_cell(name: str, value: Any, n: int | None) -> np.ndarray | None:
    """value as a float64 array of length n, or None for a scalar; errors name the cell."""
    if np.isscalar(value) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return None
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise SpecError(name, value, "a number, or an array of numbers, one per cell") from None
    if arr.ndim != 1 or (n is not None and arr.size != n):
        raise SpecError(name, f"an array of shape {arr.shape}",
                        f"a scalar or a 1-d array of length {n} (one value per cell)")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise SpecError(f"{name} (cell {bad[0]})", float(arr[bad[0]]), "a finite number")
    return arr


@dataclasses.dataclass
class _Table:
    """Per-cell arrays for the kernel, built from the unique parameter combinations."""

    p: np.ndarray  # (cells, N_PARAM)
    y: np.ndarray  # (cells, N_STATE)
    proto: np.ndarray  # (cells,) row of the protocol tables
    seg_t: np.ndarray  # (protocols, max segments + 1), ms
    seg_d: np.ndarray  # (protocols, max segments, N_DRIVE)
    n_seg: np.ndarray  # (protocols,)
    order: np.ndarray  # cells sorted into blocks: block b is order[starts[b]:starts[b + 1]]
    starts: np.ndarray  # (blocks + 1,); a block's cells share their protocol's boundary times
    # per distinct cell (proto's rows): area, volume, outside_volume (NaN: bath), capacitance
    geometry: dict[str, np.ndarray]
    dynamic: bool

    def release(self) -> None:
        """Drop the tables only the integration needs (parameters, protocols, blocks)."""
        empty = np.empty(0)
        self.p = self.seg_t = self.seg_d = self.n_seg = self.order = self.starts = empty


def _split_parameters(cell: CellSpec, protocol: Sequence[Event], parameters: Mapping[str, Any],
                      n: int | None):
    """Check parameter names; return (n, scalar cell overrides, per-cell cell columns,
    per-cell protocol columns {(event, field): array}, scalar protocol fields)."""
    known = set(parameter_names(cell))
    scalar, per_cell, proto_cols, proto_scalar = {}, {}, {}, {}
    for name, value in parameters.items():
        match = PROTOCOL_FIELD.match(name)
        if match is None and name not in known:
            raise SpecError(f"parameters['{name}']", value,
                            "a dotted parameter name of the cell (" + ", ".join(sorted(known))
                            + ") or 'protocol[i].field'")
        if match is not None:
            i, field = int(match[1]), match[2]
            if i >= len(protocol):
                raise SpecError(f"parameters['{name}']", value,
                                f"an event index below {len(protocol)} (the shared protocol "
                                "has that many events)")
            numeric = [f.name for f in dataclasses.fields(protocol[i])
                       if f.name not in ("ion",)]
            if field not in numeric:
                raise SpecError(f"parameters['{name}']", value,
                                f"a field of {type(protocol[i]).__name__}: " + ", ".join(numeric))
        key = (int(match[1]), match[2]) if match else name
        arr = _as_per_cell(name, value, n)
        if arr is None:
            (proto_scalar if match else scalar)[key] = value
        else:
            n = arr.size
            (proto_cols if match else per_cell)[key] = arr
    if n is None:
        raise SpecError("n", n, "a number of cells ≥ 1 (or per-cell parameter arrays)")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise SpecError("n", n, "a whole number of cells ≥ 1")
    return int(n), scalar, per_cell, proto_cols, proto_scalar


def _with_fields(protocol: Sequence[Event], fields: Mapping[tuple[int, str], Any]) -> list[Event]:
    """The protocol with some events' fields replaced (validated again)."""
    events = list(protocol)
    for (i, field), value in fields.items():
        if isinstance(value, np.floating):
            value = float(value)
        events[i] = dataclasses.replace(events[i], **{field: value})
    return events


def _build_table(cell: CellSpec, n: int, duration: float, protocols: list[Sequence[Event]],
                 proto_index: np.ndarray, per_cell: dict[str, np.ndarray],
                 proto_cols: dict[tuple[int, str], np.ndarray], start: str,
                 scheme: str) -> _Table:
    """Build each distinct cell (parameters, protocol) once and index it per cell."""
    from nakpump.steady import SteadyStateError, at_rest

    names = list(per_cell)
    fields = list(proto_cols)
    columns = [per_cell[k] for k in names] + [proto_cols[k] for k in fields]
    columns.append(proto_index.astype(float))
    table = np.column_stack(columns)
    rows, first, inverse, counts = np.unique(table, axis=0, return_index=True,
                                             return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")  # cells of distinct row r: order[at[r]:at[r+1]]
    at = np.concatenate(([0], np.cumsum(counts)))
    n_u = rows.shape[0]
    p = np.empty((n, len(cell_parameters(cell))))
    y = np.empty((n, N_STATE))
    seg_t = np.zeros((n_u, 2))  # grown below if a protocol has more segments
    seg_d = np.zeros((n_u, 1, N_DRIVE))
    n_seg = np.empty(n_u, dtype=np.int64)
    geometry = {k: np.empty(n_u) for k in ("area", "volume", "outside_volume", "capacitance")}
    for r in range(n_u):
        i = int(first[r])
        overrides = {k: float(rows[r, j]) for j, k in enumerate(names)}
        try:
            cell_r = cell.replace(**overrides) if overrides else cell
            if start == "rest":
                cell_r = at_rest(cell_r)
            values = {k: rows[r, len(names) + j] for j, k in enumerate(fields)}
            events = _with_fields(protocols[proto_index[i]], values)
            times, drives = compile_protocol(events, cell_r, duration)
        except SpecError as exc:
            raise SpecError(f"{exc.field} (cell {i})", exc.value, exc.allowed) from None
        except SteadyStateError as exc:
            raise SpecError(f"start (cell {i})", "rest", f"a cell with a resting state ({exc})"
                            ) from None
        p_r = cell_parameters(cell_r)
        p_r[P_SCHEME] = 0.0 if scheme == "euler" else 1.0
        group = order[at[r]:at[r + 1]]
        p[group] = p_r
        y[group] = initial_state(cell_r, p_r)
        k = drives.shape[0]
        if k > seg_d.shape[1]:
            seg_t = np.pad(seg_t, ((0, 0), (0, k + 1 - seg_t.shape[1])))
            seg_d = np.pad(seg_d, ((0, 0), (0, k - seg_d.shape[1]), (0, 0)))
        seg_t[r, :k + 1], seg_d[r, :k], n_seg[r] = times, drives, k
        geometry["area"][r], geometry["volume"][r] = cell_r.area, cell_r.volume
        geometry["capacitance"][r] = cell_r.capacitance
        geometry["outside_volume"][r] = (math.nan if cell_r.outside_volume is None
                                         else cell_r.outside_volume)
    # Blocks of at most BLOCK cells whose protocols switch at the same times.
    _, timing = np.unique(np.column_stack((n_seg, seg_t)), axis=0, return_inverse=True)
    timing = timing.reshape(-1)[inverse]
    cells = np.lexsort((np.arange(n), timing))
    group_at = np.flatnonzero(np.diff(timing[cells], prepend=-1))
    starts = [b for g0, g1 in zip(group_at, [*group_at[1:], n]) for b in range(g0, g1, BLOCK)]
    return _Table(p=p, y=y, proto=inverse.astype(np.int64), seg_t=seg_t, seg_d=seg_d,
                  n_seg=n_seg, order=cells, starts=np.array([*starts, n], dtype=np.int64),
                  geometry=geometry, dynamic=cell.concentrations == "dynamic")


def _protocols(protocol: Any, n: int) -> tuple[list[Sequence[Event]], np.ndarray]:
    """(distinct protocols, index of each cell's) from one shared protocol or one per cell."""
    items = list(protocol)
    if all(isinstance(ev, EVENT_TYPES) for ev in items):
        return [items], np.zeros(n, dtype=np.int64)
    if len(items) != n:
        raise SpecError("protocol", f"a sequence of {len(items)} items",
                        f"a list of events shared by all cells, or one list of events per cell "
                        f"({n})")
    distinct: dict[tuple, int] = {}
    index = np.empty(n, dtype=np.int64)
    for c, events in enumerate(items):
        try:
            key = tuple(events)
        except TypeError:
            raise SpecError(f"protocol[{c}]", events, "a list of events") from None
        index[c] = distinct.setdefault(key, len(distinct))
    return [list(k) for k in distinct], index


def simulate_population(cell: CellSpec, duration: float, protocol: Sequence[Any] = (), *,
                        n: int | None = None, parameters: Mapping[str, Any] | None = None,
                        start: str = "stored", dt: float = 0.025, scheme: str = "strang",
                        record: Sequence[str] | None = None,
                        record_interval: float | None = None, threshold: float = 0.0,
                        threads: int | None = None, output: str | os.PathLike | None = None,
                        overwrite: bool = False,
                        progress: Callable[[float, float], None] | None = None,
                        scenario: str | None = None) -> xr.Dataset:
    """Simulate n cells of one specification for duration (ms); return one Dataset.

    parameters: dotted names → a scalar (all cells) or a length-n array (one value
    per cell); names are the cell's parameters ("pump.rate_max", "leak.g_na",
    "ions.k_o", "temp_c", …) or fields of the shared protocol's events
    ("protocol[0].amplitude"). protocol: events shared by all cells, or a list
    of n event lists (one per cell). n defaults to the arrays' length.
    start: "stored" (each cell from the stored state, overrides applied: exactly
    what simulate(cell.replace(**overrides)) starts from) or "rest" (each cell
    first moved to its own resting state; a solve per distinct cell).
    dt, scheme, threshold: as simulate(method="fixed").
    record: variables recorded per cell at record_interval (ms, a multiple of
    dt); default DEFAULT_RECORD for n ≤ 1000, [] (spikes and summaries only)
    above. threads: numba threads (default: all).
    output: a NetCDF path to stream to (memory then stays flat in simulated
    time); the Dataset returned is read lazily from it. overwrite, faults and
    interruption as in simulate: a fault stops the run, naming the variable, the
    cell (its index) and the time; what was streamed is set aside, never put at output.

    The Dataset has dims cell, time and spike: recorded variables (cell, time);
    spike_time and spike_cell (spike; in order of time, then cell); per cell:
    the parameters given as arrays, spike_count, firing_rate (Hz),
    atp_used_total (pmol/cm²), i_pump_mean (µA/cm²), the end state (v_end,
    na_i_end, …) and the conservation errors between start and end
    (conservation_na, …, conservation_charge_mV), whose maxima over cells are
    in attrs["conservation"]; attrs["timing"] has the wall seconds spent building
    the per-cell tables (setup_s) and integrating (run_s).
    """
    check_run(cell, duration, dt, threshold, scheme)
    if start not in STARTS:
        raise SpecError("start", start, "one of " + ", ".join(STARTS))
    max_threads = numba.config.NUMBA_NUM_THREADS
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or not 1 <= threads <= max_threads):
        raise SpecError("threads", threads, f"a whole number from 1 to {max_threads}")
    if output is not None:
        output = check_output_path(output, overwrite=overwrite, suffixes=NETCDF_SUFFIXES)
    parameters = dict(parameters or {})
    shared = list(protocol)
    per_cell_protocols = bool(shared) and not all(isinstance(e, EVENT_TYPES) for e in shared)
    if per_cell_protocols and n is None:
        n = len(shared)
    n, scalar, per_cell, proto_cols, proto_scalar = _split_parameters(
        cell, [] if per_cell_protocols else shared, parameters, n)
    if scalar:
        cell = cell.replace(**scalar)
    if proto_scalar:
        shared = _with_fields(shared, proto_scalar)
    protocols, proto_index = _protocols(shared, n)

    names = tuple(record if record is not None else
                  (DEFAULT_RECORD if n <= SPIKES_ONLY_ABOVE else ()))
    aliases = state_aliases(cell)
    rec_names, rec_idx = observables([aliases.get(n, n) for n in names])
    check_steps(duration, dt, "dt")
    n_steps = max(1, math.ceil(duration / dt - 1e-9))
    if record_interval is not None:
        rec_every = steps_per_sample(record_interval, dt)
    elif names:
        rec_every = max(1, math.ceil(n_steps * n * len(rec_names) / MAX_DEFAULT_VALUES))
    else:
        rec_every = n_steps
    # the cells' state, parameters and work space; the recording unless it is streamed
    check_memory(n * (2 * N_STATE + N_PARAM + 64), "cells' state", "cells", n,
                 "fewer cells per run: split the population")
    if output is None:
        check_memory(n * (n_steps / rec_every + 2) * len(rec_names), "recording",
                     "record_interval", record_interval)

    clock = time.perf_counter()
    table = _build_table(cell, n, duration, protocols, proto_index, per_cell, proto_cols, start,
                         scheme)
    setup_s = time.perf_counter() - clock
    y_start = table.y[:, ION_COLUMNS]  # what the conservation report compares with
    attrs = {
        "title": f"nakpump population of {n} '{cell.name}' cells",
        "preset": cell.name,
        "nakpump_version": __version__,
        "duration_ms": float(duration),
        "record_interval_ms": float(min(rec_every * dt, duration)),
        "spike_threshold_mV": float(threshold),
        "spec": json.dumps(spec_to_dict(cell)),
        "protocol": json.dumps([[event_to_dict(ev) for ev in events] for events in protocols]),
        "per_cell_parameters": json.dumps(list(per_cell) + [f"protocol[{i}].{f}"
                                                            for i, f in proto_cols]),
        "start": start,
        "integrator": json.dumps({"method": "fixed", "scheme": scheme, "dt": dt,
                                  "threads": threads or numba.get_num_threads()}),
    }
    if scenario is not None:
        attrs["scenario"] = scenario
    # chunks are at most CHUNK_MS of simulated time: short enough to check and stop between
    chunks = _checked(_chunks(table, n_steps, dt, duration, rec_every, rec_idx, threshold,
                              threads, n_chunks=N_CHUNKS if progress is not None else 1),
                      table, duration, cell.name)

    def per_cell_vars() -> dict[str, tuple[tuple[str, ...], np.ndarray, dict]]:
        out = {}
        for name, values in per_cell.items():
            out[name] = (("cell",), values, {"units": parameter_unit(name) or "1",
                                             "long_name": f"per-cell parameter {name}"})
        for (i, field), values in proto_cols.items():
            out[f"protocol[{i}].{field}"] = (("cell",), values,
                                             {"long_name": f"per-cell {field} of event {i}"})
        return out

    if output is None:
        parts = []
        for t_done, part in chunks:
            parts.append(part)
            if progress is not None:
                progress(t_done, duration)
        table.release()  # what only the integration needs, before the parts are joined
        sampled, rec, spikes, spike_cells = (np.concatenate(col, axis=1 if k == 1 else 0)
                                             for k, col in enumerate(zip(*parts)))
        del parts
        data = {name: (("cell", "time"), values, variable_attrs(name))
                for name, values in columns(names, rec_names, rec, aliases).items()}
        data.update(_spike_vars(spikes, spike_cells))
        data.update(per_cell_vars())
        attrs["timing"] = json.dumps({"setup_s": setup_s,
                                      "run_s": time.perf_counter() - clock - setup_s})
        summary, report = _summary(table, y_start, np.bincount(spike_cells, minlength=n),
                                   duration)
        data.update(summary)
        attrs["conservation"] = json.dumps(report)
        coords = {"cell": ("cell", np.arange(n), {"long_name": "cell index"}),
                  "time": ("time", sampled, variable_attrs("time"))}
        return xr.Dataset(data, coords=coords, attrs=attrs)
    with ResultStream(output, names, n_cells=n, overwrite=overwrite) as stream:
        counts = np.zeros(n, dtype=np.int64)
        t_done = 0.0
        try:
            for t_done, (sampled, rec, spikes, spike_cells) in chunks:
                stream.append(sampled, columns(names, rec_names, rec, aliases), spikes,
                              spike_cells)
                counts += np.bincount(spike_cells, minlength=n)
                if progress is not None:
                    progress(t_done, duration)
        except (IntegrationError, KeyboardInterrupt) as exc:
            if not isinstance(exc, IntegrationError | RunInterrupted):
                exc = RunInterrupted(t_done, duration, signal.SIGINT)
            if t_done > 0.0:
                status = "failed" if isinstance(exc, IntegrationError) else "interrupted"
                exc.saved = stream.abandon(status, {**attrs, "completed_ms": t_done,
                                                    "error": str(exc)})
            raise exc from None
        attrs["timing"] = json.dumps({"setup_s": setup_s,
                                      "run_s": time.perf_counter() - clock - setup_s})
        table.release()
        summary, report = _summary(table, y_start, counts, duration)
        stream.add("cell", ("cell",), np.arange(n), {"long_name": "cell index"})
        for name, (dims, values, meta) in {**per_cell_vars(), **summary}.items():
            stream.add(name, dims, values, meta)
        attrs["conservation"] = json.dumps(report)
        stream.finish(attrs)
    return open_result(output)


def _checked(chunks, table: _Table, duration: float, cell_name: str):
    """The chunks, each after a check of every cell's state (IntegrationError naming the
    first faulty cell: a value not finite, a concentration or volume ≤ 0, |V| > V_BOUND);
    RunInterrupted after a chunk if a signal asked the run to stop."""
    for chunk in chunks:
        bad = faulty(table.y)
        if bad.any():
            c = int(np.argmax(bad))
            raise fault_error(table.y[c], chunk[0], f"{cell_name} #{c}")
        yield chunk
        stop_if_requested(chunk[0], duration)


def _spike_vars(spikes, spike_cells):
    return {"spike_time": (("spike",), spikes, variable_attrs("spike_time")),
            "spike_cell": (("spike",), spike_cells, variable_attrs("spike_cell"))}


def _summary(table: _Table, y_start: np.ndarray, counts: np.ndarray, duration: float):
    """Per-cell summaries (name → (dims, values, attrs)) and the conservation maxima.

    y_start: the ION_COLUMNS of the state at t = 0 (the charge integrals start at 0);
    counts: spikes per cell.
    """
    n = y_start.shape[0]
    y = table.y
    out = {
        "spike_count": (("cell",), counts, {"units": "1", "long_name": "number of spikes"}),
        "firing_rate": (("cell",), counts / (duration * 1e-3),
                        {"units": "Hz", "long_name": "mean firing rate over the run"}),
        "atp_used_total": (("cell",), atp_from_pump_charge(y[:, Q_PUMP]),
                           {"units": "pmol/cm^2", "long_name": "ATP hydrolysed over the run"}),
        "i_pump_mean": (("cell",), y[:, Q_PUMP] / duration,
                        {"units": "uA/cm^2", "long_name": "pump current averaged over the run"}),
    }
    for j in ION_COLUMNS:
        attrs = variable_attrs(STATE_NAMES[j])
        attrs["long_name"] += " at the end"
        out[f"{STATE_NAMES[j]}_end"] = (("cell",), y[:, j].copy(), attrs)
    if not table.dynamic:
        return out, {k: math.nan for k in ("na", "k", "cl", "charge", "charge_mV")}
    errors: dict[str, np.ndarray] = {}
    block = 8192  # cells at a time: the start states are rebuilt block by block (memory)
    for b0 in range(0, n, block):
        sl = slice(b0, min(b0 + block, n))
        start = np.zeros_like(y[sl])
        start[:, ION_COLUMNS] = y_start[sl]
        start[:, VOL_I] = 1.0  # every cell starts at its own initial volume
        rows = table.proto[sl]
        g = {k: v[rows] for k, v in table.geometry.items()}
        part = conservation_errors(np.stack((start, y[sl])), g["area"], g["volume"],
                                   g["outside_volume"], g["capacitance"])
        for name, err in part.items():
            errors.setdefault(name, np.empty(n))[sl] = err
    report: dict[str, float] = {}
    for name, err in errors.items():
        out[f"conservation_{name}"] = (("cell",), err, {
            "units": "mV" if name == "charge_mV" else "1",
            "long_name": f"conservation error ({name}) between start and end"})
        report[name] = float(err.max())
    return out, report


def _chunks(table: _Table, n_steps: int, dt: float, duration: float, rec_every: int,
            rec_idx: np.ndarray, threshold: float, threads: int | None, n_chunks: int):
    """Run the population kernel chunk by chunk; yield (t_end, (sample times, recording
    (cell, time, k), spike times, spiking cells)). Cells whose spike buffer overflowed
    in a chunk are run through it again (with their block) with a larger buffer."""
    n = table.y.shape[0]
    values_per_step = n * max(1, rec_idx.size) / rec_every
    per = min(n_steps, max(1, math.ceil(CHUNK_VALUES / values_per_step)),
              max(1, math.ceil(CHUNK_MS / dt)), max(1, math.ceil(n_steps / n_chunks)))
    if rec_every < n_steps:  # chunks end on the recording grid
        per = max(rec_every, per // rec_every * rec_every)
    bounds = [*range(0, n_steps, per), n_steps]
    capacity = int(per * dt * SPIKE_RATE_GUESS) + SPIKE_BUFFER_MIN
    all_blocks = np.arange(table.starts.size - 1)
    sizes = np.diff(table.starts)
    old_threads = numba.get_num_threads()
    try:
        if threads is not None:
            numba.set_num_threads(threads)
        for i in range(len(bounds) - 1):
            k0, k1 = bounds[i], bounds[i + 1]
            t0, t1 = k0 * dt, min(k1 * dt, duration)
            n_rec = (k1 - k0) // rec_every + 2
            rec = np.empty((n, n_rec, rec_idx.size))
            blocks, cap, found = all_blocks, capacity, []
            while blocks.size:
                lanes = sizes[blocks]
                first_lane = np.concatenate(([0], np.cumsum(lanes)[:-1]))
                spikes = np.empty((int(lanes.sum()), cap))
                n_spikes = np.zeros(spikes.shape[0], dtype=np.int64)
                overflow = np.zeros(blocks.size, dtype=np.bool_)
                integrate_population(table.y, table.p, blocks, table.starts, table.order,
                                     table.proto, table.seg_t, table.seg_d, table.n_seg, t0, t1,
                                     dt, k0, k1 - k0, rec_every, rec_idx, rec, threshold, spikes,
                                     n_spikes, first_lane, overflow)
                lane_cells = table.order if blocks is all_blocks else np.concatenate(
                    [table.order[table.starts[b]:table.starts[b + 1]] for b in blocks])
                times, cells = compact_spikes(spikes, n_spikes, lane_cells,
                                              np.repeat(~overflow, lanes))
                found.append((cells, times))
                del spikes
                capacity = max(capacity, int(1.5 * n_spikes.max()) + 4)  # for the next chunk
                blocks, cap = blocks[overflow], 2 * int(n_spikes.max()) + 4
            spike_cells = np.concatenate([f[0] for f in found])
            spike_times = np.concatenate([f[1] for f in found])
            order = np.lexsort((spike_cells, spike_times))  # by time, then cell
            ks = k0 + rec_every * np.arange((k1 - k0) // rec_every + 1)
            times = ks * dt
            if (k1 - k0) % rec_every:
                times = np.append(times, t1)
            times[-1] = t1
            # A chunk's last sample is the next one's first, taken there: observables that
            # depend on the drive (i_pump at a pump block) then show the new segment's value.
            last = times.size if i == len(bounds) - 2 else times.size - 1
            if rec_idx.size == 0:  # spikes only: no time axis
                last = 0
            yield t1, (times[:last], rec[:, :last], spike_times[order], spike_cells[order])
    finally:
        numba.set_num_threads(old_threads)
