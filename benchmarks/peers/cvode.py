"""SUNDIALS CVODE (BDF or Adams) through scikit-sundae, on nakpump's right-hand side.

scikit-sundae (`pip install scikit-sundae`, module sksundae; its wheels carry SUNDIALS)
calls a Python right-hand side, which here calls flat.reduced_rhs, i.e. nakpump's numba
engine.cell.rhs: one Python call and one numba dispatch per evaluation. CVODE runs with
its dense direct linear solver and difference-quotient Jacobian, steps capped at max_step
(nakpump's default h_max). Crossing times come from CVODE's own root finding on its
interpolant (g = V − threshold, with a direction), so nothing is sampled for them.
Each protocol segment is a fresh solve (CVODE re-initialised at the change of drive); the
state is returned every `piece` ms only (or at the times asked for), so memory does not
grow with the run beyond what is asked for.
"""

from __future__ import annotations

import math

import numpy as np
from sksundae.cvode import CVODE

from peers.flat import Problem, enter, reduced_rhs, start

MAX_NUM_STEPS = 10_000_000  # between two outputs


def run(prob: Problem, watch, rtol: float, atol: float, *, method: str = "BDF",
        max_step: float = 50.0, piece: float = 1000.0, record=(),
        every: float = 1.0) -> tuple[list[np.ndarray], np.ndarray]:
    """A run of prob with CVODE `method` ("BDF" or "Adams") at rtol and atol·ATOL_SCALE:
    the crossing times (ms) of each watched (state index, level, upward), and the state
    variables `record` (indices) at the multiples of `every` ms (rows t, x…; CVODE's
    interpolant)."""
    data, z = start(prob)
    slots = np.array([prob.slot(j) for j, _, _ in watch])
    levels = np.array([level / prob.scale[prob.slot(j)] for j, level, _ in watch])
    kept_slots = [prob.slot(j) for j in record]

    def rhs(t, z, dz):  # data by closure: sksundae's userdata check fails on an array
        reduced_rhs(z, dz, data)

    def events(t, z, g):
        g[:] = z[slots] - levels

    events.direction = [1 if up else -1 for _, _, up in watch]
    events.terminal = [False] * len(watch)
    times: list[list[float]] = [[] for _ in watch]
    kept = [np.empty((0, 1 + len(record)))]
    for s in range(prob.seg_t.size - 1):
        enter(data, z, prob.seg_d[s])
        t0, t1 = prob.seg_t[s], prob.seg_t[s + 1]
        solver = CVODE(rhs, method=method, rtol=rtol, atol=atol, max_step=max_step,
                       max_num_steps=MAX_NUM_STEPS, eventsfn=events, num_events=len(watch))
        if record:
            out_t = np.union1d(np.arange(math.ceil(t0 / every), math.floor(t1 / every) + 1)
                               * every, [t0, t1])
        else:  # ≥ 3 output times: with two, sksundae would keep every step
            out_t = np.linspace(t0, t1, max(3, math.ceil((t1 - t0) / piece) + 1))
        sol = solver.solve(out_t, z)
        if not sol.success:
            raise RuntimeError(f"CVODE {method} failed at t = {sol.t[-1]:g} ms (rtol {rtol:g}):"
                               f" {sol.message}")
        z = sol.y[-1].copy()
        if sol.t_events is not None:
            for t, found in zip(sol.t_events, sol.i_events):
                for w in np.flatnonzero(found):
                    times[w].append(float(t))
        if record:
            first = 0 if s == 0 else 1  # a segment's start is the last one's end
            kept.append(np.column_stack([sol.t[first:], sol.y[first:, kept_slots]
                                         * prob.scale[kept_slots]]))
    return [np.array(t) for t in times], np.concatenate(kept)
