"""Fixed-step integration of a block of cells over a piecewise-constant protocol.

The step grid is t_k = k·dt; a protocol boundary inside a step splits that
step in two, so events happen exactly when they are scheduled and recorded
samples stay on the grid. The cells of a block (columns of the state block,
stepped as a tile by engine.cell.step_tile) share their protocol's boundary
times, not its values, and step in lockstep; one cell is a block of one
(integrate_fixed); a cable's compartments step together (integrate_cable). Spikes
are detected on the fly (upward threshold crossings, time by linear
interpolation), so spike times do not depend on the recording interval. The
kernel allocates a few scratch vectors per call and nothing per step.
"""

from __future__ import annotations

import numpy as np

from nakpump._jit import kernel, kernel_inline
from nakpump.engine.cable import enter_cable, step_cable
from nakpump.engine.cell import (
    enter_segment_tile,
    load_tile,
    load_tile_drives,
    observe,
    step_tile,
    store_tile_state,
)
from nakpump.engine.layout import (
    N_DRIVE,
    N_DRIVE_WORK,
    N_OBS,
    N_PARAM,
    N_STATE,
    TILE,
    TILE_SIZE,
    V,
)


@kernel
def segment_times(seg_t, t0, t1):
    """(boundaries, lo, hi): the protocol's segments lo … hi − 1 of boundaries seg_t (ms)
    that overlap [t0, t1], with their boundaries cut to [t0, t1]."""
    lo = max(np.searchsorted(seg_t, t0, side="right") - 1, 0)
    hi = np.searchsorted(seg_t, t1, side="left")
    c_t = np.empty(hi - lo + 1)
    c_t[0] = t0
    c_t[1:hi - lo] = seg_t[lo + 1:hi]
    c_t[hi - lo] = t1
    return c_t, lo, hi


@kernel
def segments_between(seg_t, seg_d, t0, t1):
    """The protocol's segments (boundaries seg_t, ms; drives seg_d) restricted to [t0, t1]."""
    c_t, lo, hi = segment_times(seg_t, t0, t1)
    return c_t, seg_d[lo:hi]


@kernel
def _record(ys, ps, ds, rec_idx, rec_out, row, y1, p1, d1, obs):
    """Observables rec_idx of every lane into rec_out[lane, row]."""
    if rec_idx.shape[0] == 0:  # spikes only
        return
    for j in range(ys.shape[1]):
        y1[:] = ys[:, j]
        p1[:] = ps[:, j]
        d1[:] = ds[:, j]
        observe(y1, p1, d1, obs)
        for i in range(rec_idx.shape[0]):
            rec_out[j, row, i] = obs[rec_idx[i]]


@kernel
def _enter(ys, ps, ds, tile, d_work, cable):
    """Enter a protocol segment with drives ds: for a cable, into the block itself and its
    working drives d_work; for cells, into the tile that holds them while they step (ys
    then follows the tile)."""
    if cable:
        enter_cable(ys, ps, ds, d_work)
        return
    load_tile_drives(tile, ds)
    enter_segment_tile(tile, ys.shape[1])
    store_tile_state(tile, ys)


@kernel
def integrate_block(ys, ps, seg_t, seg_d, dt, k0, n_steps, rec_every, rec_idx, rec_t, rec_out,
                    audit_every, audit_out, threshold, spikes, n_spk):
    """Integrate the block ys (N_STATE, B ≤ layout.TILE separate cells) in place from
    seg_t[0] = k0·dt to seg_t[-1] (ms).

    ps: (N_PARAM, B); seg_d: (segments, N_DRIVE, B), lane by lane. Step k ends at
    (k0 + k + 1)·dt, so a run split into chunks takes exactly the steps of the
    whole run. Records the observables rec_idx at t = 0 and every rec_every steps
    (and at the end) into rec_t/rec_out (B, samples, variables), and the full
    state every audit_every steps (and at both ends) into audit_out (audits,
    N_STATE, B), for the conservation report; writes each lane's spike times (ms)
    into spikes[lane] and their number (kept or not) into n_spk[lane].
    Returns (samples, audits).
    """
    return _integrate(ys, ps, seg_t, seg_d, dt, k0, n_steps, rec_every, rec_idx, rec_t,
                      rec_out, audit_every, audit_out, threshold, spikes, n_spk, np.empty(0),
                      np.empty(0), False)


@kernel
def integrate_cable(ys, ps, seg_t, seg_d, dt, k0, n_steps, rec_every, rec_idx, rec_t, rec_out,
                    audit_every, audit_out, threshold, spikes, n_spk, area, g_axial):
    """integrate_block for the compartments of a cable (engine.cable), any number of them,
    with their areas (µm²) and the axial conductances between neighbours (µS, one fewer)."""
    return _integrate(ys, ps, seg_t, seg_d, dt, k0, n_steps, rec_every, rec_idx, rec_t,
                      rec_out, audit_every, audit_out, threshold, spikes, n_spk, area, g_axial,
                      True)


@kernel_inline
def _integrate(ys, ps, seg_t, seg_d, dt, k0, n_steps, rec_every, rec_idx, rec_t, rec_out,
               audit_every, audit_out, threshold, spikes, n_spk, area, g_axial, cable):
    # Inlined with cable a constant, so that cells never compile the cable's step.
    lanes = ys.shape[1]
    t_end = seg_t[seg_t.shape[0] - 1]
    n_seg = seg_t.shape[0] - 1
    eps = 1e-9 * dt
    obs = np.empty(N_OBS)
    y1, p1, d1 = np.empty(N_STATE), np.empty(N_PARAM), np.empty(N_DRIVE)
    v_old = np.empty(lanes)
    v_new = np.empty(lanes)
    armed = np.empty(lanes, dtype=np.bool_)
    d_work = np.empty((N_DRIVE_WORK, lanes)) if cable else np.empty((N_DRIVE_WORK, 0))
    work = np.empty((7, lanes)) if cable else np.empty((7, 0))
    # Separate cells step in a tile (engine.cell.step_tile, vectorised across cells),
    # which holds their state while they step; ys is brought up to date where it is read.
    if not cable and lanes > TILE:
        raise ValueError("integrate_block: more cells than a tile holds")
    tile = np.empty(0 if cable else TILE_SIZE)
    if not cable:
        load_tile(tile, ys, ps)
    seg = 0
    _enter(ys, ps, seg_d[0], tile, d_work, cable)
    for j in range(lanes):
        n_spk[j] = 0
        armed[j] = ys[V, j] < threshold

    rec_t[0] = seg_t[0]
    _record(ys, ps, seg_d[0], rec_idx, rec_out, 0, y1, p1, d1, obs)
    n_rec = 1
    audit_out[0] = ys
    n_audit = 1
    next_rec = rec_every  # steps done at the next sample and audit (no division per step)
    next_audit = audit_every

    for k in range(n_steps):
        t = seg_t[0] if k == 0 else (k0 + k) * dt
        t1 = min((k0 + k + 1) * dt, t_end)
        while True:
            t_stop = min(t1, seg_t[seg + 1])
            h = t_stop - t
            if h > eps:
                if cable:
                    v_old[:] = ys[V]
                    step_cable(ys, ps, seg_d[seg], d_work, area, g_axial, h, work)
                    v_new[:] = ys[V]
                else:
                    for j in range(lanes):
                        v_old[j] = tile[V * TILE + j]
                    step_tile(tile, lanes, h)
                    for j in range(lanes):
                        v_new[j] = tile[V * TILE + j]
                # A lane spikes when it crosses threshold upwards armed, and is armed again
                # below it. Crossings are rare: test for any at all in one vectorised loop.
                crossed = False
                for j in range(lanes):
                    crossed |= armed[j] & (v_new[j] >= threshold)
                for j in range(lanes):
                    if crossed and armed[j] and v_new[j] >= threshold:
                        if n_spk[j] < spikes.shape[1]:
                            spikes[j, n_spk[j]] = t + h * (threshold - v_old[j]) / (v_new[j]
                                                                                   - v_old[j])
                        n_spk[j] += 1
                    armed[j] = v_new[j] < threshold
            t = t_stop
            if seg < n_seg - 1 and t >= seg_t[seg + 1] - eps:
                seg += 1
                _enter(ys, ps, seg_d[seg], tile, d_work, cable)
            if t >= t1 - eps:
                break
        record = k + 1 == next_rec or k == n_steps - 1
        audit = k + 1 == next_audit or k == n_steps - 1
        if k + 1 == next_rec:
            next_rec += rec_every
        if k + 1 == next_audit:
            next_audit += audit_every
        if (record or audit) and not cable:
            store_tile_state(tile, ys)
        if record:
            rec_t[n_rec] = t1
            _record(ys, ps, seg_d[seg], rec_idx, rec_out, n_rec, y1, p1, d1, obs)
            n_rec += 1
        if audit:
            audit_out[n_audit] = ys
            n_audit += 1
    return n_rec, n_audit


@kernel
def integrate_fixed(y, p, seg_t, seg_d, dt, k0, n_steps, rec_every, rec_idx, rec_t, rec_out,
                    audit_every, audit_out, threshold, spikes):
    """integrate_block for one cell: y (N_STATE), p (N_PARAM), seg_d (segments, N_DRIVE),
    rec_out (samples, variables), audit_out (audits, N_STATE), spikes (capacity,).

    Returns (samples, audits, spikes detected); detected spikes beyond the buffer are
    counted but not stored.
    """
    n_spk = np.zeros(1, dtype=np.int64)
    ys = y.reshape((N_STATE, 1))
    n_rec, n_audit = integrate_block(
        ys, p.reshape((N_PARAM, 1)), seg_t,
        np.ascontiguousarray(seg_d).reshape((seg_d.shape[0], N_DRIVE, 1)), dt, k0, n_steps,
        rec_every, rec_idx, rec_t, rec_out.reshape((1, rec_out.shape[0], rec_out.shape[1])),
        audit_every, audit_out.reshape((audit_out.shape[0], N_STATE, 1)), threshold,
        spikes.reshape((1, spikes.shape[0])), n_spk)
    return n_rec, n_audit, n_spk[0]
