"""numbalsoda's compiled LSODA on nakpump's right-hand side (and on a port of Cressman 2009).

numbalsoda (`pip install numbalsoda`, built from its sdist: needs gfortran) calls a
right-hand side compiled as a numba cfunc, with a data pointer for its parameters. Here
the cfunc wraps flat.reduced_rhs, i.e. nakpump's own numba engine.cell.rhs, with the
parameters, drives and fixed state in the data vector (flat.Problem.data).

numbalsoda returns the state only at given times and has no root finding, so the
solution is sampled every `sample` ms in pieces of ≤ `piece` ms (one lsoda call each:
memory stays bounded; each call restarts LSODA). A sampling interval in which a watched
variable crosses its level is integrated again on its own from its first sample, sampled
REFINE times more densely, and the crossing is located on the cubic Hermite interpolant
there, with the derivative from rhs (flat.hermite_crossing): the interpolation error is
then ~REFINE⁴ times smaller than on the coarse samples (the Cressman upstroke, with its
instantaneous m, needs this: on 0.025 ms samples alone it is ~1e-3 ms). The whole loop
(segments, pieces, crossings) is compiled; the sampling is part of the wall time. The
solution depends slightly on the output times (numbalsoda's wrapper passes each output back
in as the next call's state): one more output time moves the end of a 1 s hh-1952 run by
~0.03 mV at rtol 1e-4 and ~1e-5 mV at 1e-8, i.e. sampling perturbs a run at the level of
its own error.

run_port integrates cressman_published, a minimal numba port of the published Cressman
et al. (2009) equations as tests/peers/published_tissue.py writes them (cressman_rhs: V, n,
h, Ca, [K]o, [Na]i; [K]i = 158 − [Na]i and [Na]o = 144 − 7([Na]i − 18) by the model's
relations, Cl− fixed): the minimal peer a user would write for model (a).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types
from numbalsoda import lsoda, lsoda_sig

from nakpump.engine.layout import ATOL_SCALE, CA_I, D_K_BATH, K_O, NA_I, H, N, V
from peers.flat import IDX0, Problem, enter, hermite_crossing, reduced_rhs, start

MXSTEP = 1_000_000  # LSODA steps allowed between two samples
REFINE = 32  # a sampling interval with a crossing is integrated again, sampled this much finer


@numba.cfunc(lsoda_sig)  # not cached: it inlines nakpump's rhs (see peers.flat)
def _nakpump_cfunc(t, z, dz, data):
    n = int(data[0])
    reduced_rhs(numba.carray(z, (n,)), numba.carray(dz, (n,)),
                numba.carray(data, (IDX0 + 2 * n,)))


@numba.njit(cache=True)
def _grid(a, b, sample):
    """a, the multiples of sample strictly between a and b (ms), b."""
    k0 = math.floor(a / sample) + 1
    t = np.empty(max(math.ceil(b / sample) - k0, 0) + 2)
    t[0] = a
    n = 1
    for k in range(k0, math.ceil(b / sample) + 1):
        tk = k * sample
        if a + 1e-9 * sample < tk < b - 1e-9 * sample:
            t[n] = tk
            n += 1
    t[n] = b
    return t[:n + 1]


@numba.njit(cache=True)
def _crosses(x0, x1, level, up):
    return x0 < level <= x1 if up else x0 > level >= x1


@numba.njit  # not cached: numbalsoda's lsoda is a ctypes function
def _integrate(address, deriv, entry, data, z, seg_t, seg_d, rtol, atol, sample, piece,
               slots, levels, ups, rec_slots, every):
    """Integrate z over the segments (entry(data, z, drives) entering each).

    slots, levels, ups: the watched variables (their place in z), levels (in z's units)
    and directions (True: upward); rec_slots: variables (places in z) kept at the
    multiples of `every` ms. Returns (crossing times, which watch each is, the kept
    samples as flat rows (t, x…), ok).
    """
    times = numba.typed.List.empty_list(types.float64)
    which = numba.typed.List.empty_list(types.int64)
    kept = numba.typed.List.empty_list(types.float64)
    dz0 = np.empty(z.size)
    dz1 = np.empty(z.size)
    for s in range(seg_t.size - 1):
        entry(data, z, seg_d[s])
        a = seg_t[s]
        while a < seg_t[s + 1]:
            b = min(a + piece, seg_t[s + 1])
            t = _grid(a, b, sample)
            zs, ok = lsoda(address, z, t, data, rtol, atol, MXSTEP)
            if not ok:
                return times, which, kept, False
            for w in range(slots.size):
                j, level, up = slots[w], levels[w], ups[w]
                for i in range(t.size - 1):
                    if _crosses(zs[i, j], zs[i + 1, j], level, up):
                        # again over this interval alone, sampled REFINE times as densely
                        tt = np.linspace(t[i], t[i + 1], REFINE + 1)
                        zz, ok = lsoda(address, zs[i].copy(), tt, data, rtol, atol, MXSTEP)
                        if not ok:
                            return times, which, kept, False
                        for m in range(REFINE):
                            if _crosses(zz[m, j], zz[m + 1, j], level, up):
                                deriv(zz[m], dz0, data)
                                deriv(zz[m + 1], dz1, data)
                                times.append(hermite_crossing(tt[m], tt[m + 1], zz[m, j],
                                                              zz[m + 1, j], dz0[j], dz1[j],
                                                              level))
                                which.append(w)
                                break
            if rec_slots.size:
                for i in range(0 if a == 0.0 else 1, t.size):  # a piece's start: kept before
                    if abs(t[i] - round(t[i] / every) * every) < 1e-9 * every:
                        kept.append(t[i])
                        for j in rec_slots:
                            kept.append(zs[i, j])
            z = zs[-1].copy()
            a = b
    return times, which, kept, True


@numba.njit(cache=True)
def _no_entry(data, z, d):
    pass


def _run(address, deriv, entry, data, z0, seg_t, seg_d, watch, rec_slots, rtol, atol, sample,
         piece, every):
    slots = np.array([w[0] for w in watch], dtype=np.int64)
    levels = np.array([w[1] for w in watch], dtype=np.float64)
    ups = np.array([w[2] for w in watch], dtype=np.bool_)
    times, which, kept, ok = _integrate(address, deriv, entry, data, z0.copy(), seg_t, seg_d,
                                        rtol, atol, sample, piece, slots, levels, ups,
                                        np.array(rec_slots, dtype=np.int64), every)
    if not ok:
        raise RuntimeError(f"numbalsoda LSODA failed (rtol {rtol:g}, atol {atol:g})")
    times, which = np.array(times), np.array(which, dtype=np.int64)
    return ([np.sort(times[which == w]) for w in range(len(watch))],
            np.array(kept).reshape(-1, 1 + len(rec_slots)))


def run(prob: Problem, watch, rtol: float, atol: float, *, record=(), every: float = 1.0,
        sample: float = 0.025, piece: float = 1000.0) -> tuple[list[np.ndarray], np.ndarray]:
    """A run of prob with LSODA at rtol and atol·ATOL_SCALE, sampled every `sample` ms:
    the crossing times (ms) of each watched (state index, level, upward), and the state
    variables `record` (indices) at the multiples of `every` ms (rows t, x…)."""
    data, z0 = start(prob)
    watch_z = [(prob.slot(j), level / prob.scale[prob.slot(j)], up) for j, level, up in watch]
    crossings, kept = _run(_nakpump_cfunc.address, reduced_rhs, enter, data, z0, prob.seg_t,
                           prob.seg_d, watch_z, [prob.slot(j) for j in record], rtol, atol,
                           sample, piece, every)
    kept[:, 1:] *= prob.scale[[prob.slot(j) for j in record]]
    return crossings, kept


# --- the published Cressman 2009 equations (tests/peers/published_tissue.py) -------------
PORT_STATE = (V, N, H, CA_I, K_O, NA_I)  # the port's variables in nakpump's layout
PORT_SCALE = np.array([ATOL_SCALE[j] for j in PORT_STATE])


@numba.njit(cache=True)
def _xexp(a, x):
    """a·x/(1 − exp(−0.1x)), its removable singularity at x = 0 guarded."""
    if abs(x) < 1e-7:
        return a * (10.0 + 0.5 * x)
    return a * x / (1.0 - math.exp(-0.1 * x))


@numba.njit(cache=True)
def cressman_published(v, n, h, ca, k_o, na_i, k_bath, dy):
    """Cressman et al. (2009) as published (erratum form): d(V mV, n, h, Ca mM, [K]o mM,
    [Na]i mM)/dt per ms into dy; k_bath (mM). Currents outward positive (µA/cm²)."""
    rt_f, beta, gamma, tau = 26.64, 7.0, 4.45e-2, 1000.0  # mV; Vol_i/Vol_o; mM/s/(µA/cm²); ms/s
    k_i = 158.0 - na_i
    na_o = 144.0 - beta * (na_i - 18.0)
    e_na = rt_f * math.log(na_o / na_i)
    e_k = rt_f * math.log(k_o / k_i)
    e_cl = rt_f * math.log(6.0 / 130.0)
    am = _xexp(0.1, v + 30.0)
    m = am / (am + 4.0 * math.exp(-(v + 55.0) / 18.0))
    i_na = (100.0 * m ** 3 * h + 0.0175) * (v - e_na)
    i_k = (40.0 * n ** 4 + 0.01 * ca / (1.0 + ca) + 0.05) * (v - e_k)
    i_cl = 0.05 * (v - e_cl)
    an, bn = _xexp(0.01, v + 34.0), 0.125 * math.exp(-(v + 44.0) / 80.0)
    ah = 0.07 * math.exp(-(v + 44.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-0.1 * (v + 14.0)))
    pump = 1.25 / (1.0 + math.exp((25.0 - na_i) / 3.0)) / (1.0 + math.exp(5.5 - k_o))  # mM/s
    glia = 66.0 / (1.0 + math.exp((18.0 - k_o) / 2.5))  # mM/s
    diff = 1.2 * (k_o - k_bath)  # mM/s
    dy[0] = -(i_na + i_k + i_cl)
    dy[1] = 3.0 * (an * (1.0 - n) - bn * n)
    dy[2] = 3.0 * (ah * (1.0 - h) - bh * h)
    dy[3] = -0.002 * 0.1 * (v - 120.0) / (1.0 + math.exp(-(v + 25.0) / 2.5)) - ca / 80.0
    dy[4] = (gamma * beta * i_k - 2.0 * beta * pump - glia - diff) / tau
    dy[5] = (-gamma * i_na - 3.0 * pump) / tau


@numba.njit(cache=True)
def _port_deriv(z, dz, data):
    """The port on z = y/s; data = (k_bath, s_0 … s_5)."""
    s = data[1:7]
    cressman_published(z[0] * s[0], z[1] * s[1], z[2] * s[2], z[3] * s[3], z[4] * s[4],
                       z[5] * s[5], data[0], dz)
    for k in range(6):
        dz[k] /= data[1 + k]


@numba.cfunc(lsoda_sig, cache=True)
def _port_cfunc(t, z, dz, data):
    _port_deriv(numba.carray(z, (6,)), numba.carray(dz, (6,)), numba.carray(data, (7,)))


def run_port(prob: Problem, watch, rtol: float, atol: float, *, sample: float = 0.025,
             piece: float = 1000.0) -> list[np.ndarray]:
    """As run, for the port, from prob's start state (prob: one segment, whose bath K+ the
    port takes; watch indices in nakpump's layout): the crossing times."""
    if prob.seg_t.size != 2:
        raise ValueError("the Cressman port takes one protocol segment (a constant bath K+)")
    k_bath = float(prob.seg_d[0, D_K_BATH])
    data = np.concatenate(([k_bath], PORT_SCALE))
    z0 = prob.y0[list(PORT_STATE)] / PORT_SCALE
    watch_z = [(PORT_STATE.index(j), level / PORT_SCALE[PORT_STATE.index(j)], up)
               for j, level, up in watch]
    return _run(_port_cfunc.address, _port_deriv, _no_entry, data, z0, prob.seg_t,
                prob.seg_d, watch_z, [], rtol, atol, sample, piece, 1.0)[0]
