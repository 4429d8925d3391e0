"""Fixed-step integration of one cell over a piecewise-constant protocol.

The step grid is t_k = k·dt; a protocol boundary inside a step splits that
step in two, so events happen exactly when they are scheduled and recorded
samples stay on the grid. Spikes are detected on the fly (upward threshold
crossings, time by linear interpolation), so spike times do not depend on the
recording interval. The kernel allocates one scratch vector per call and
nothing per step.
"""

from __future__ import annotations

import numba
import numpy as np

from nakpump.engine.cell import enter_segment, observe, step
from nakpump.engine.layout import N_OBS, V


@numba.njit(cache=True)
def segments_between(seg_t, seg_d, t0, t1):
    """The protocol's segments (boundaries seg_t, ms; drives seg_d) restricted to [t0, t1]."""
    lo = max(np.searchsorted(seg_t, t0, side="right") - 1, 0)
    hi = np.searchsorted(seg_t, t1, side="left")
    c_t = np.empty(hi - lo + 1)
    c_t[0] = t0
    c_t[1:hi - lo] = seg_t[lo + 1:hi]
    c_t[hi - lo] = t1
    return c_t, seg_d[lo:hi]


@numba.njit(cache=True)
def integrate_fixed(y, p, seg_t, seg_d, dt, k0, n_steps, rec_every, rec_idx, rec_t, rec_out,
                    audit_every, audit_out, threshold, spikes):
    """Integrate y in place from seg_t[0] = k0·dt to seg_t[-1] (ms) with step dt (ms).

    Step k ends at (k0 + k + 1)·dt, so a run split into chunks takes exactly the
    steps of the whole run.

    Records the observables rec_idx at t = 0 and every rec_every steps (and at
    the end) into rec_t/rec_out, and the full state every audit_every steps
    (and at both ends) into audit_out, for the conservation report; writes
    spike times (ms) into spikes. Returns (samples, audits, spikes detected);
    detected spikes beyond the buffer are counted but not stored.
    """
    t_end = seg_t[seg_t.shape[0] - 1]
    n_seg = seg_t.shape[0] - 1
    eps = 1e-9 * dt
    obs = np.empty(N_OBS)
    seg = 0
    enter_segment(y, p, seg_d[0])
    n_spk = 0
    armed = y[V] < threshold

    observe(y, p, seg_d[0], obs)
    rec_t[0] = seg_t[0]
    for j in range(rec_idx.shape[0]):
        rec_out[0, j] = obs[rec_idx[j]]
    n_rec = 1
    audit_out[0, :] = y
    n_audit = 1

    for k in range(n_steps):
        t = seg_t[0] if k == 0 else (k0 + k) * dt
        t1 = min((k0 + k + 1) * dt, t_end)
        while True:
            t_stop = min(t1, seg_t[seg + 1])
            h = t_stop - t
            if h > eps:
                v_old = y[V]
                step(y, p, seg_d[seg], h)
                v_new = y[V]
                if armed and v_new >= threshold:
                    if n_spk < spikes.shape[0]:
                        spikes[n_spk] = t + h * (threshold - v_old) / (v_new - v_old)
                    n_spk += 1
                    armed = False
                elif v_new < threshold:
                    armed = True
            t = t_stop
            if seg < n_seg - 1 and t >= seg_t[seg + 1] - eps:
                seg += 1
                enter_segment(y, p, seg_d[seg])
            if t >= t1 - eps:
                break
        if (k + 1) % rec_every == 0 or k == n_steps - 1:
            observe(y, p, seg_d[seg], obs)
            rec_t[n_rec] = t1
            for j in range(rec_idx.shape[0]):
                rec_out[n_rec, j] = obs[rec_idx[j]]
            n_rec += 1
        if (k + 1) % audit_every == 0 or k == n_steps - 1:
            audit_out[n_audit, :] = y
            n_audit += 1
    return n_rec, n_audit, n_spk
