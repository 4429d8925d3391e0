"""A nakpump model as the flat arrays the peer solvers integrate, and crossing times.

Every peer integrates what nk.simulate integrates: the start state of
engine.compile.initial_state, the parameters of cell_parameters, the protocol's segments
(protocols.compile_protocol), each entered with engine.cell.enter_segment and
sync_algebraic and integrated on its own (no step straddles a change of drive), and the
right-hand side engine.cell.rhs. Two changes of variables leave the model as it is:

- Only the moving state is integrated: the variables of layout.ERROR_CONTROLLED whose
  derivative is not identically zero for this cell and protocol (rhs evaluated at a
  perturbed state under every segment's drive). The others are bookkeeping (charge
  integrals, glia and bath counters, Kahan terms), algebraic (instantaneous m, h(n), the
  AHP's activation: rhs computes them from the rest) or held fixed; none feeds back.
- The peers integrate z = y/s with s = layout.ATOL_SCALE of those variables and a scalar
  atol: their error weights rtol·|z| + atol are nakpump's rtol·|y| + atol·s per variable
  (numbalsoda takes only a scalar atol).

Crossings of a level by a sampled solution are located on the cubic Hermite interpolant of
the samples and their derivatives (from rhs), solved by bisection to round-off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

import nakpump as nk
from nakpump._jit import jit
from nakpump.engine.cell import enter_segment, rhs, sync_algebraic
from nakpump.engine.compile import cell_parameters, initial_state
from nakpump.engine.layout import (
    ATOL_SCALE,
    ERROR_CONTROLLED,
    N_DRIVE,
    N_PARAM,
    N_STATE,
    H,
    M,
    N,
    P,
)
from nakpump.protocols import compile_protocol

# The data vector (float64) handed to the reduced right-hand side, e.g. through numbalsoda's
# data pointer: [n, p (N_PARAM), d (N_DRIVE), y (N_STATE), out (N_STATE), index (n), s (n)];
# y holds the full state (the fixed variables at their values), y and out are work space.
P0 = 1
D0 = P0 + N_PARAM
Y0 = D0 + N_DRIVE
OUT0 = Y0 + N_STATE
IDX0 = OUT0 + N_STATE


@dataclass(frozen=True)
class Problem:
    """One model, run and protocol as flat arrays (layout in nakpump.engine.layout)."""

    y0: np.ndarray  # full start state, as nk.simulate starts
    p: np.ndarray  # parameters
    seg_t: np.ndarray  # ms, segment boundaries from 0 to the run's duration
    seg_d: np.ndarray  # (segments, N_DRIVE) drives
    index: np.ndarray  # the moving variables' indices in y
    scale: np.ndarray  # their ATOL_SCALE: z = y[index]/scale is what the peers integrate

    def data(self) -> np.ndarray:
        """A fresh data vector at the start state, drives of the first segment."""
        n = self.index.size
        out = np.zeros(IDX0 + 2 * n)
        out[0] = n
        out[P0:D0] = self.p
        out[D0:Y0] = self.seg_d[0]
        out[Y0:OUT0] = self.y0
        out[IDX0:IDX0 + n] = self.index
        out[IDX0 + n:] = self.scale
        return out

    def slot(self, state_index: int) -> int:
        """Where the state variable y[state_index] is in z."""
        return int(np.flatnonzero(self.index == state_index)[0])


def problem(cell: nk.CellSpec, duration: float, protocol) -> Problem:
    """The flat arrays of a run of `cell` for `duration` (ms) under `protocol`."""
    p = cell_parameters(cell)
    y0 = initial_state(cell, p)
    seg_t, seg_d = compile_protocol(protocol, cell, duration)
    moving = np.zeros(N_STATE, dtype=bool)
    out = np.empty(N_STATE)
    for d in seg_d:  # rhs at a state off every rest and fixed point
        y = y0.copy()
        enter_segment(y, p, d)
        y[0] += 5.0  # mV
        y[[M, H, N, P]] = 0.9 * y[[M, H, N, P]] + 0.01
        y[5:11] *= 1.01  # concentrations (mM)
        rhs(y, p, d, out)
        moving |= out != 0.0
    index = np.array([j for j in ERROR_CONTROLLED if moving[j]], dtype=np.int64)
    return Problem(y0, p, seg_t, seg_d, index, np.array(ATOL_SCALE)[index])


# nakpump's cache keys (its composition) guard these, which inline engine.cell: numba's own
# keys only a function's bytecode, and a changed layout would run stale machine code.
@jit
def reduced_rhs(z, dz, data):
    """dz/dt (per ms) of the moving, scaled state z (data: see Problem.data)."""
    n = z.shape[0]
    y = data[Y0:OUT0]
    out = data[OUT0:IDX0]
    for k in range(n):
        y[int(data[IDX0 + k])] = z[k] * data[IDX0 + n + k]
    rhs(y, data[P0:D0], data[D0:Y0], out)
    for k in range(n):
        dz[k] = out[int(data[IDX0 + k])] / data[IDX0 + n + k]


@jit
def enter(data, z, d):
    """Enter a segment with drives d from the moving state z (overwritten with the state
    after entry): the bath's concentrations set, the algebraic variables synchronised."""
    n = z.shape[0]
    y = data[Y0:OUT0]
    p = data[P0:D0]
    data[D0:Y0] = d
    for k in range(n):
        y[int(data[IDX0 + k])] = z[k] * data[IDX0 + n + k]
    enter_segment(y, p, data[D0:Y0])
    sync_algebraic(y, p)
    for k in range(n):
        z[k] = y[int(data[IDX0 + k])] / data[IDX0 + n + k]


def start(prob: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(data, z0): the data vector and the moving, scaled start state."""
    return prob.data(), prob.y0[prob.index] / prob.scale


@numba.njit(cache=True)
def hermite_crossing(t0, t1, x0, x1, dx0, dx1, level):
    """Time (ms) in (t0, t1] at which the cubic Hermite interpolant of x (and dx/dt) at t0
    and t1 crosses level, x0 and x1 lying on either side of it; bisection to round-off."""
    h = t1 - t0
    lo, hi = 0.0, 1.0
    below = x0 < level
    for _ in range(64):
        s = 0.5 * (lo + hi)
        s2 = s * s
        s3 = s2 * s
        x = ((2 * s3 - 3 * s2 + 1) * x0 + (s3 - 2 * s2 + s) * h * dx0
             + (3 * s2 - 2 * s3) * x1 + (s3 - s2) * h * dx1)
        if (x < level) == below:
            lo = s
        else:
            hi = s
        if hi - lo < 1e-16:
            break
    return t0 + h * 0.5 * (lo + hi)
