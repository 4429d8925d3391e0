"""Fixed-step integration of many independent cells at once: a prange over cells.

Each cell runs engine.fixed.integrate_fixed, the single-cell kernel, on its own
rows of the state and parameter tables and its own protocol, so a cell of a
population takes exactly the steps it would take alone (bit for bit). Cells
are independent, so the loop over them is parallel and each thread keeps one
cell's state in cache for a whole chunk of time. Per cell the kernel allocates
a few small scratch vectors per chunk and nothing per step; the per-step code
(engine.cell.step) touches only scalars and the cell's own rows, as a GPU
thread would.
"""

from __future__ import annotations

import numba
import numpy as np

from nakpump.engine.fixed import integrate_fixed, segments_between


@numba.njit(parallel=True, cache=True)
def integrate_population(y, p, cells, proto, seg_t, seg_d, n_seg, t0, t1, dt, k0, n_steps,
                         rec_every, rec_idx, rec_out, threshold, spikes, n_spikes):
    """Integrate the cells listed in `cells` (rows of y, in place) from t0 = k0·dt to t1 (ms).

    y: (cells, N_STATE); p: (cells, N_PARAM); proto[c]: the row of seg_t
    (protocols, max segments + 1; ms) and seg_d (protocols, max segments,
    N_DRIVE) holding cell c's protocol, of n_seg[proto[c]] segments over the
    whole run. For the i-th listed cell: records observables rec_idx at t0,
    every rec_every steps and at t1 into rec_out[i] (samples, variables);
    writes its spike times (ms) into spikes[i] and their number into
    n_spikes[i]. A cell with more spikes than spikes[i] holds is put back to
    its state at t0, to be run again with a larger buffer.
    """
    for i in numba.prange(cells.shape[0]):
        c = cells[i]
        j = proto[c]
        ns = n_seg[j]
        c_t, c_d = segments_between(seg_t[j, :ns + 1], seg_d[j, :ns], t0, t1)
        rec_t = np.empty(rec_out.shape[1])
        audit = np.empty((2, y.shape[1]))
        _, _, n_spk = integrate_fixed(y[c], p[c], c_t, c_d, dt, k0, n_steps, rec_every, rec_idx,
                                      rec_t, rec_out[i], n_steps, audit, threshold, spikes[i])
        n_spikes[i] = n_spk
        if n_spk > spikes.shape[1]:
            y[c, :] = audit[0]  # the state at t0
