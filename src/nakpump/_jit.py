"""The one place nakpump chooses how its scalar functions are compiled.

Biophysics functions are plain scalar Python decorated with `jit`, so the same
source serves tests, the scipy reference integrator and the compiled kernels
(and a GPU target later). Set NUMBA_DISABLE_JIT=1 to run them as Python.

Compiled code is cached on disk under a key that includes the composition: a hash
of every source file a kernel can inline (engine, biophysics, the mechanisms, a
user's mechanism files). numba's own key covers only a function's bytecode, so an
edited callee, or another pump registered, would otherwise reuse stale machine code.
"""

from __future__ import annotations

import hashlib
import pathlib

import numba
from numba.core.caching import FunctionCache

_PACKAGE = pathlib.Path(__file__).parent
# What the kernels inline: a change to any of these files changes the compiled code.
_KERNEL_SOURCES = ("_jit.py", "units.py", "biophysics", "engine", "mechanisms")
_extra_sources: list[str] = []  # user mechanism sources, in the order they were loaded
_key: str | None = None
_dispatchers: list = []  # every kernel compiled through this module


def _source_hash() -> str:
    h = hashlib.sha256()
    for entry in _KERNEL_SOURCES:
        path = _PACKAGE / entry
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in (f for f in files if f.exists()):
            h.update(str(f.relative_to(_PACKAGE)).encode())
            h.update(f.read_bytes())
    for text in _extra_sources:
        h.update(text.encode())
    return h.hexdigest()[:16]


def composition_key() -> str:
    """Hash (16 hex digits) of the kernels' sources and the user mechanisms loaded."""
    global _key
    if _key is None:
        _key = _source_hash()
    return _key


def recompose(extra_source: str) -> None:
    """A user mechanism with source text `extra_source` joins the composition: every kernel
    compiled in this process is dropped, to be compiled again (or loaded from the disk
    cache under the new key) on its next call, with the new mechanism inlined."""
    global _key
    _extra_sources.append(extra_source)
    _key = None
    for disp in _dispatchers:
        disp._reset_overloads()


class _ComposedCache(FunctionCache):
    def _index_key(self, sig, codegen):
        return super()._index_key(sig, codegen) + (composition_key(),)


def _compiler(**options):
    """A decorator compiling with numba.njit(**options), cached under the composition key."""
    make = numba.njit(cache=False, **options)

    def decorate(func):
        disp = make(func)
        if isinstance(disp, numba.core.dispatcher.Dispatcher):  # not under NUMBA_DISABLE_JIT
            disp._cache = _ComposedCache(disp.py_func)
            _dispatchers.append(disp)
        return disp

    return decorate


jit = _compiler(fastmath=False, error_model="numpy")

# The engine's per-cell functions (the phases of a step, the right-hand side, the
# integrators' helpers) allocate nothing: compiled without numba's reference counting
# (its private `_nrt` option), they hand arrays to one another for free; with it, every
# array passed to an inlined helper behind a branch cost an atomic increment and
# decrement (the right-hand side took 135 ns instead of 65 ns). The biophysics keeps
# `jit`, so that a user may also call it on numpy arrays.
step_jit = _compiler(fastmath=False, error_model="numpy", _nrt=False)
# The same numerics for a function that allocates its own work arrays.
jit_alloc = jit

# For the per-lane loops of engine.cell.step_tile: inlined at numba's IR level into the
# function that dispatches on the model's kinds, so that each loop is compiled with its
# kinds as constants (branches folded, the loop vectorised across cells).
jit_inline = _compiler(fastmath=False, error_model="numpy", inline="always")

# The integration loops (engine.fixed, engine.population, engine.reference), with numba's
# default (Python) error model; `kernel_parallel` runs prange loops on threads.
kernel = _compiler()
kernel_inline = _compiler(inline="always")
kernel_parallel = _compiler(parallel=True)
