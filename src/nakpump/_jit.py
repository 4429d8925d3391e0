"""The one place nakpump chooses how its scalar functions are compiled.

Biophysics functions are plain scalar Python decorated with `jit`, so the same
source serves tests, the scipy reference integrator and the compiled kernels
(and a GPU target later). Set NUMBA_DISABLE_JIT=1 to run them as Python.
"""

from __future__ import annotations

import numba

jit = numba.njit(cache=True, fastmath=False, error_model="numpy")
