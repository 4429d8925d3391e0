"""Reference integration with scipy's solve_ivp over the same right-hand side.

Slow but tight: for tests, for measuring the fixed-step kernel's accuracy,
and for users who want an error-controlled answer. Each protocol segment is
integrated on its own so that no step straddles a discontinuity; spike times
come from solve_ivp's event location (dense output, root-found).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from nakpump._jit import kernel
from nakpump.engine.cell import clamp_jump, enter_segment, observe, rhs, sync_algebraic
from nakpump.engine.layout import (
    ATOL_SCALE,
    D_CLAMP,
    D_V_CLAMP,
    N_OBS,
    N_STATE,
    V,
)


@kernel
def fd_jacobian(y, p, d, jac):
    """Forward-difference Jacobian of rhs at y into jac (for the implicit solvers).

    Fixed relative steps (√ε·max(|y_j|, 1)) keep variables that nothing depends
    on (charge integrals, fixed concentrations) from derailing scipy's adaptive
    difference quotients.
    """
    n = y.shape[0]
    f0 = np.empty(n)
    f1 = np.empty(n)
    yy = y.copy()
    rhs(y, p, d, f0)
    for j in range(n):
        h = 1.5e-8 * max(abs(y[j]), 1.0)
        yy[j] = y[j] + h
        rhs(yy, p, d, f1)
        for i in range(n):
            jac[i, j] = (f1[i] - f0[i]) / h
        yy[j] = y[j]


PIECE = 1000.0  # ms: longest stretch one solve_ivp call covers (its dense output's memory)


def integrate_reference(y, p, seg_t, seg_d, rec_times, rec_idx, threshold, *,
                        method="LSODA", rtol=1e-9, atol=1e-9, first_step=None,
                        max_step=np.inf):
    """Integrate y in place over the segments; return (recorded array, spike times, nfev).

    rec_times (ms, sorted) are the sample times; rec_idx the observables recorded;
    max_step (ms) caps the solver's steps, so that it cannot stride over the onset of
    firing after a quiet stretch (LSODA otherwise can, e.g. when a pump stops).
    """
    out = np.empty(N_STATE)
    obs = np.empty(N_OBS)
    rec = np.empty((rec_times.size, rec_idx.size))
    spikes: list[float] = []
    nfev = 0
    atol_vec = atol * np.array(ATOL_SCALE)
    k_rec = 0
    for s in range(seg_t.size - 1):
        d = seg_d[s]
        t0, t1 = seg_t[s], seg_t[s + 1]
        enter_segment(y, p, d)
        if d[D_CLAMP] > 0.5 and y[V] != d[D_V_CLAMP]:
            clamp_jump(y, p, d[D_V_CLAMP])
        sync_algebraic(y, p)

        def fun(t, yy, d=d):
            rhs(yy, p, d, out)
            return out.copy()

        def jac(t, yy, d=d):
            m = np.empty((N_STATE, N_STATE))
            fd_jacobian(yy, p, d, m)
            return m

        def crossing(t, yy):
            return yy[V] - threshold
        crossing.direction = 1.0

        options = {} if method == "LSODA" else {"jac": jac}
        # Dense output grows with the steps it covers: solve in pieces of ≤ PIECE ms.
        cuts = np.append(np.arange(t0, t1, PIECE), t1)
        for a, b in zip(cuts[:-1], cuts[1:]):
            # Samples in [a, b); the final one at the very end of the run.
            last = s == seg_t.size - 2 and b == t1
            hi = np.searchsorted(rec_times, b, side="right" if last else "left")
            t_eval = rec_times[k_rec:hi]
            sol = solve_ivp(fun, (a, b), y, method=method, rtol=rtol, atol=atol_vec,
                            dense_output=True, events=crossing, first_step=first_step,
                            max_step=max_step, **options)
            if sol.status < 0:
                raise RuntimeError(f"reference integration failed at t = {sol.t[-1]:g} ms: "
                                   f"{sol.message}")
            nfev += sol.nfev
            spikes.extend(float(t) for t in sol.t_events[0])
            samples = sol.sol(t_eval) if t_eval.size else np.empty((N_STATE, 0))
            for j in range(t_eval.size):
                yy = np.ascontiguousarray(samples[:, j])
                sync_algebraic(yy, p)
                observe(yy, p, d, obs)
                rec[k_rec + j] = obs[rec_idx]
            k_rec = hi
            y[:] = sol.y[:, -1]
            sync_algebraic(y, p)
    return rec, np.array(spikes), nfev
