"""Fixed-step integration of many independent cells at once: blocks of cells in a prange.

Cells that share their protocol's boundary times are stepped together in
blocks of up to layout.TILE: each block's states, parameters and drives are
gathered into columns, integrated by the single cell's kernel
(engine.fixed.integrate_block, which steps them as a tile; one cell is a block
of one) and scattered back. Within a block the step is one loop over cells per
phase, vectorised; blocks are independent, so the loop over them is parallel.
A cell computes exactly what it computes alone: the same operations in the
same order, lane by lane.
"""

from __future__ import annotations

import numba
import numpy as np

from nakpump._jit import kernel, kernel_parallel
from nakpump.engine.fixed import integrate_block, segment_times
from nakpump.engine.layout import N_DRIVE, N_PARAM, N_STATE


@kernel_parallel
def integrate_population(y, p, blocks, starts, order, proto, seg_t, seg_d, n_seg, t0, t1, dt,
                         k0, n_steps, rec_every, rec_idx, rec_out, threshold, spikes, n_spikes,
                         first_lane, overflow):
    """Integrate the listed blocks of cells (rows of y, in place) from t0 = k0·dt to t1 (ms).

    y: (cells, N_STATE); p: (cells, N_PARAM). Block b holds the cells
    order[starts[b]:starts[b+1]], which share their protocol's boundary times;
    proto[c] is cell c's row of seg_t (protocols, max segments + 1; ms), seg_d
    (protocols, max segments, N_DRIVE) and n_seg. rec_out (cells, samples,
    variables) gets the observables rec_idx at t0, every rec_every steps and at
    t1. The i-th listed block's cells write their spike times (ms) into the rows
    of spikes and n_spikes from first_lane[i] on. A block in which a cell
    detects more spikes than spikes holds is left at its state at t0, its
    recording unwritten, and flagged in overflow[i], to be run again with a
    larger buffer.
    """
    for i in numba.prange(blocks.shape[0]):
        b = blocks[i]
        cells = order[starts[b]:starts[b + 1]]
        lanes = cells.shape[0]
        row = proto[cells[0]]
        c_t, lo, hi = segment_times(seg_t[row, :n_seg[row] + 1], t0, t1)
        ys = np.empty((N_STATE, lanes))
        ps = np.empty((N_PARAM, lanes))
        ds = np.empty((hi - lo, N_DRIVE, lanes))
        for j in range(lanes):
            c = cells[j]
            ys[:, j] = y[c]
            ps[:, j] = p[c]
            ds[:, :, j] = seg_d[proto[c], lo:hi]
        rec = np.empty((lanes, rec_out.shape[1], rec_out.shape[2]))
        rec_t = np.empty(rec_out.shape[1])
        audit = np.empty((2, N_STATE, lanes))
        lane0 = first_lane[i]
        n_spk = n_spikes[lane0:lane0 + lanes]
        integrate_block(ys, ps, c_t, ds, dt, k0, n_steps, rec_every, rec_idx, rec_t, rec,
                        n_steps, audit, threshold, spikes[lane0:lane0 + lanes], n_spk)
        overflow[i] = n_spk.max() > spikes.shape[1]
        if not overflow[i]:
            for j in range(lanes):
                c = cells[j]
                y[c] = ys[:, j]
                rec_out[c] = rec[j]


@kernel
def compact_spikes(spikes, n_spikes, lane_cells, keep):
    """The spike times (ms) held in the rows of spikes (lanes, capacity) whose keep is set,
    n_spikes[lane] of each, with each one's cell (lane_cells[lane], int32): lane by lane,
    in time order within a lane."""
    total = 0
    for i in range(n_spikes.shape[0]):
        if keep[i]:
            total += n_spikes[i]
    times = np.empty(total)
    cells = np.empty(total, dtype=np.int32)
    k = 0
    for i in range(n_spikes.shape[0]):
        if keep[i]:
            for s in range(n_spikes[i]):
                times[k] = spikes[i, s]
                cells[k] = lane_cells[i]
                k += 1
    return times, cells
