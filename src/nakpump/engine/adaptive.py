"""Error-controlled integration: the fixed step, sized by step doubling, extrapolated.

Each attempt takes the cell's own step (engine.cell.step_tile on one lane, of
order q: 1 for the backward-Euler scheme, 2 for the Strang scheme) once
with h and twice with h/2. Their difference estimates the local error; the
accepted state is the Richardson extrapolation y½ + (y½ − y₁)/(2^q − 1), one
order higher. Because both candidate states keep every linear invariant (each
ion's amount, C·A·ΔV = F·Vol·Σz·Δc) to round-off, so does their combination:
the adaptive method conserves by construction, like the fixed one. The step is
implicit in V and exact for gates at frozen V, so quiet minutes are crossed in
steps of many milliseconds while spikes get microseconds.

Protocol boundaries are hit exactly (a step never straddles one); spike times
are interpolated within the accepted step; samples are interpolated linearly
onto the recording grid between accepted states.
"""

from __future__ import annotations

import numpy as np

from nakpump._jit import kernel
from nakpump.engine.cell import (
    derive_tile,
    enter_segment,
    load_tile,
    load_tile_drives,
    observe,
    step_tile,
)
from nakpump.engine.layout import (
    COMP_NA_I,
    N_DRIVE,
    N_OBS,
    N_PARAM,
    N_STATE,
    NA_I,
    P_VOL_RATIO,
    P_VOLUME,
    TILE,
    TILE_SIZE,
    VOL_I,
    V,
)


@kernel
def _attempt(y, tile, h, full, half):
    """One h step and two h/2 steps from y into full and half (no change to y), in lane 0
    of a tile that holds the cell's parameters and drives."""
    one = np.int64(1)  # not a literal 1: numba would compile the step again for it
    for i in range(N_STATE):
        tile[i * TILE] = y[i]
    step_tile(tile, one, h)
    for i in range(N_STATE):
        full[i] = tile[i * TILE]
        tile[i * TILE] = y[i]
    step_tile(tile, one, 0.5 * h)
    step_tile(tile, one, 0.5 * h)
    for i in range(N_STATE):
        half[i] = tile[i * TILE]


@kernel
def _extrapolate_amounts(y, y_half, y_full, weight, y_new, ratio):
    """_extrapolate for a cell whose volume changes: the amounts (concentration × relative
    volume) are what is conserved, so they are extrapolated, and the concentrations follow
    from the extrapolated volumes. Everything is formed from the increments over y and
    added with Kahan compensation, so rounding stays at round-off over millions of steps."""
    for j in range(y.shape[0]):
        if not (COMP_NA_I <= j < COMP_NA_I + 6):
            y_new[j] = y_half[j] + weight * (y_half[j] - y_full[j])
    for k in range(6):  # inside (k < 3), then outside, whose volume is 1 + ratio·(1 − w)
        i, c = NA_I + k, COMP_NA_I + k
        scale = 1.0 if k < 3 else -ratio  # d(volume)/dw
        v_y = y[VOL_I] if k < 3 else 1.0 + ratio * (1.0 - y[VOL_I])
        dv_half = scale * (y_half[VOL_I] - y[VOL_I])
        dv_full = scale * (y_full[VOL_I] - y[VOL_I])
        dv_new = scale * (y_new[VOL_I] - y[VOL_I])
        conc = y[i] - y[c]
        dc_half = (y_half[i] - y[i]) - (y_half[c] - y[c])
        dc_full = (y_full[i] - y[i]) - (y_full[c] - y[c])
        da_half = dc_half * v_y + (conc + dc_half) * dv_half  # amount increments
        da_full = dc_full * v_y + (conc + dc_full) * dv_full
        da = da_half + weight * (da_half - da_full)
        delta = (da - conc * dv_new) / (v_y + dv_new)  # c_new − c: c_new·v_new = c·v_y + da
        corrected = delta - y[c]
        total = y[i] + corrected
        y_new[c] = (total - y[i]) - corrected
        y_new[i] = total


@kernel
def _blend(y0, y1, frac, out, p2):
    """out = the state a fraction frac of the way from y0 to y1, linearly; with a volume
    law, concentrations through their amounts (as _extrapolate_amounts), so that an
    interpolated state conserves what the two ends do."""
    for j in range(y0.shape[0]):
        out[j] = (1.0 - frac) * y0[j] + frac * y1[j]
    if p2[P_VOLUME, 0] == 0.0:
        return
    ratio = p2[P_VOL_RATIO, 0]
    for k in range(6):
        c = COMP_NA_I + k
        if k < 3:
            v0, v1, v = y0[VOL_I], y1[VOL_I], out[VOL_I]
        else:
            v0, v1 = 1.0 + ratio * (1.0 - y0[VOL_I]), 1.0 + ratio * (1.0 - y1[VOL_I])
            v = 1.0 + ratio * (1.0 - out[VOL_I])
        out[NA_I + k] = ((1.0 - frac) * (y0[NA_I + k] - y0[c]) * v0
                         + frac * (y1[NA_I + k] - y1[c]) * v1) / v
        out[c] = 0.0


@kernel
def _extrapolate(y, y_half, y_full, weight, y_new):
    """y_new = y_half + weight·(y_half − y_full), formed from the small increments over y.

    Concentrations carry Kahan compensation terms (engine.layout.COMP_NA_I): their
    increments include the terms' change and are added back with compensation, so
    rounding does not accumulate over millions of accepted steps.
    """
    for j in range(y.shape[0]):
        if COMP_NA_I <= j < COMP_NA_I + 6:  # set together with their concentrations
            continue
        d_half = y_half[j] - y[j]
        d_full = y_full[j] - y[j]
        if NA_I <= j < NA_I + 6:
            c = COMP_NA_I + j - NA_I
            d_half -= y_half[c] - y[c]
            d_full -= y_full[c] - y[c]
            delta = d_half + weight * (d_half - d_full)
            corrected = delta - y[c]
            total = y[j] + corrected
            y_new[c] = (total - y[j]) - corrected
            y_new[j] = total
        else:
            y_new[j] = y[j] + (d_half + weight * (d_half - d_full))


@kernel
def record_until(t, y, p, d, obs, rec_times, rec_idx, rec_out, k_rec, rec0, audit_times,
                 audit_out, k_audit, audit0):
    """Record state y as every sample and audit due at or before t (ms): the observables
    rec_idx into rec_out, the full state into audit_out (rows counted from rec0, audit0).
    Returns the run-wide indices of the next sample and audit."""
    while k_rec - rec0 < rec_times.shape[0] and rec_times[k_rec - rec0] <= t:
        observe(y, p, d, obs)
        for j in range(rec_idx.shape[0]):
            rec_out[k_rec - rec0, j] = obs[rec_idx[j]]
        k_rec += 1
    while k_audit - audit0 < audit_times.shape[0] and audit_times[k_audit - audit0] <= t:
        audit_out[k_audit - audit0, :] = y
        k_audit += 1
    return k_rec, k_audit


# clock: the integrator's position, carried from one call to the next
C_T, C_SEG, C_H, C_ARMED, C_ENTERED, C_REC, C_AUDIT = range(7)
N_CLOCK = 7


@kernel
def integrate_adaptive(y, p, seg_t, seg_d, order, rtol, atol_vec, err_idx, h_max, clock,
                       t_soft, rec_times, rec_idx, rec_out, audit_times, audit_out, threshold,
                       spikes):
    """Integrate y in place with local error ≤ rtol·|y| + atol, from the clock's position
    until the first accepted step that reaches t_soft (ms), or the end of the segments.

    clock (N_CLOCK floats) holds time, segment, next step size, spike-detector state and
    the run-wide indices of the next sample and audit; a run split into calls takes
    exactly the steps of one call. rec_times and audit_times hold this call's sample
    times (from the clock's indices on); observables rec_idx are written to rec_out
    and full states to audit_out, row for row; spike times to spikes. Returns (spikes,
    accepted, rejected steps).
    """
    n = y.shape[0]
    weight = 1.0 / (2.0**order - 1.0)  # Richardson weight for a step of this order
    expo = 1.0 / (order + 1.0)  # the local error estimate scales as h^(order+1)
    y_full = np.empty(n)
    y_half = np.empty(n)
    p2 = p.reshape((N_PARAM, 1))
    tile = np.empty(TILE_SIZE)
    load_tile(tile, y.reshape((n, 1)), p2)
    y_new = np.empty(n)
    y_rec = np.empty(n)
    obs = np.empty(N_OBS)
    n_spk = 0
    n_acc = 0
    n_rej = 0
    t = clock[C_T]
    s = int(clock[C_SEG])
    h = clock[C_H]
    armed = clock[C_ARMED] > 0.5
    entered = clock[C_ENTERED] > 0.5
    k_rec = int(clock[C_REC])
    k_audit = int(clock[C_AUDIT])
    rec0 = k_rec
    audit0 = k_audit
    n_seg = seg_t.shape[0] - 1
    stop = False
    while s < n_seg and not stop:
        d = seg_d[s]
        load_tile_drives(tile, np.ascontiguousarray(d).reshape((N_DRIVE, 1)))
        if not entered:
            enter_segment(y, p, d)
            t = seg_t[s]
            entered = True
            # samples at the very start of a segment see its drive
            k_rec, k_audit = record_until(t, y, p, d, obs, rec_times, rec_idx, rec_out, k_rec,
                                          rec0, audit_times, audit_out, k_audit, audit0)
        for i in range(n):  # the derived drives follow the state as the segment begins
            tile[i * TILE] = y[i]
        derive_tile(tile, np.int64(1))
        t_end = seg_t[s + 1]
        while t < t_end:
            if t >= t_soft:
                stop = True
                break
            h = min(h, h_max, t_end - t)
            last = t + h >= t_end - 1e-12 * max(1.0, abs(t_end))
            if last:
                h = t_end - t
            _attempt(y, tile, h, y_full, y_half)
            err = 0.0
            for j in err_idx:
                y_new[j] = y_half[j] + weight * (y_half[j] - y_full[j])
                scale = atol_vec[j] + rtol * max(abs(y[j]), abs(y_new[j]))
                e = abs(y_half[j] - y_full[j]) / scale
                if e > err:
                    err = e
            if err > 1.0 or not np.isfinite(err):
                n_rej += 1
                h *= max(0.2, 0.9 * err**-expo) if np.isfinite(err) else 0.2
                continue
            if p2[P_VOLUME, 0] != 0.0:
                _extrapolate_amounts(y, y_half, y_full, weight, y_new, p2[P_VOL_RATIO, 0])
            else:
                _extrapolate(y, y_half, y_full, weight, y_new)
            t_new = t_end if last else t + h
            v_old = y[V]
            v_new = y_new[V]
            if armed and v_new >= threshold:
                if n_spk < spikes.shape[0]:
                    spikes[n_spk] = t + (t_new - t) * (threshold - v_old) / (v_new - v_old)
                n_spk += 1
                armed = False
            elif v_new < threshold:
                armed = True
            # samples inside (t, t_new]: linear interpolation between accepted states
            while k_rec - rec0 < rec_times.shape[0] and rec_times[k_rec - rec0] <= t_new:
                w = (rec_times[k_rec - rec0] - t) / (t_new - t)
                _blend(y, y_new, w, y_rec, p2)
                observe(y_rec, p, d, obs)
                for j in range(rec_idx.shape[0]):
                    rec_out[k_rec - rec0, j] = obs[rec_idx[j]]
                k_rec += 1
            while (k_audit - audit0 < audit_times.shape[0]
                   and audit_times[k_audit - audit0] <= t_new):
                w = (audit_times[k_audit - audit0] - t) / (t_new - t)
                _blend(y, y_new, w, audit_out[k_audit - audit0], p2)
                k_audit += 1
            y[:] = y_new
            t = t_new
            n_acc += 1
            growth = 5.0 if err == 0.0 else min(5.0, 0.9 * err**-expo)
            h = h * max(growth, 0.2)
        if not stop:
            s += 1
            entered = False
    clock[C_T] = t
    clock[C_SEG] = s
    clock[C_H] = h
    clock[C_ARMED] = 1.0 if armed else 0.0
    clock[C_ENTERED] = 1.0 if entered else 0.0
    clock[C_REC] = k_rec
    clock[C_AUDIT] = k_audit
    return n_spk, n_acc, n_rej
