"""The one place nakpump chooses how its scalar functions are compiled.

Biophysics functions are plain scalar Python decorated with `jit`, so the same
source serves tests, the scipy reference integrator and the compiled kernels
(and a GPU target later). Set NUMBA_DISABLE_JIT=1 to run them as Python.
"""

from __future__ import annotations

import numba

jit = numba.njit(cache=True, fastmath=False, error_model="numpy")

# For the per-lane loops of engine.cell.step_tile: inlined at numba's IR level into the
# function that dispatches on the model's kinds, so that each loop is compiled with its
# kinds as constants (branches folded, the loop vectorised across cells).
jit_inline = numba.njit(cache=True, fastmath=False, error_model="numpy", inline="always")
