"""The pumps a cell may use: the built-in files and those a user has loaded."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import math
import os
import pathlib
import sys
from collections.abc import Callable

from nakpump._jit import jit, recompose
from nakpump.errors import SpecError
from nakpump.mechanisms.base import CELL_VARIABLES, Param, PumpMechanism, State, declare_pump

PUMPS: dict[str, PumpMechanism] = {}  # by name, in registration order (their kernel codes)
BUILT_IN = ("kager", "luo_rudy", "sigmoid", "reversible", "isoforms")  # mechanisms/pumps/<file>.py
_origin = "built-in"
_loaded: dict[str, list[str]] = {}  # resolved path → names of the pumps it declared

# Cell variables at which a loaded pump is tried once, to refuse one that does not give a
# finite number at a resting state (mV, mM).
_TRIAL = {"rate_max": 1.0, "v": -70.0, "na_i": 10.0, "k_i": 140.0, "na_o": 145.0, "k_o": 4.0,
          "rt_f": 26.7, "atp": 2.0, "adp": 0.03, "pi": 3.0, "ouabain": 0.0}


def pump(*, name: str, params: dict[str, Param] | None = None, source: str = "",
         check: Callable[[dict], str | None] | None = None,
         free_energy: Callable | None = None, moves: dict[str, float] | None = None,
         states: dict[str, State] | None = None) -> Callable:
    """Declare a Na+/K+ pump: decorate its rate function (see mechanisms.base).

    The function's arguments name what it reads: cell variables (CELL_VARIABLES, first)
    and then its parameters, each declared in `params`. It returns the turnover per unit
    `rate_max` (for a saturating form, the fraction of its maximum), or, when it takes
    `rate_max` as its first argument, cycles/s/µm² itself. check(values) may return a
    message when a combination of parameter values is not allowed. A form that owns its
    ATP dependence may give free_energy(values, atp, adp, pi, rt_f): the ΔG_ATP/F (mV)
    it implies, which the resting-state report then uses for E_pump. moves (optional)
    states what one cycle moves ({"na": -3, "k": +2, "atp": -1}, + into the cell); the
    engine books every pump as that cycle, so any other declaration is refused. states:
    the form's own (mechanisms.State), which the rate function may read by name; their
    rates functions are compiled like it.
    """
    def decorate(func: Callable) -> PumpMechanism:
        compiled = {n: State(jit(st.rates), st.initial, st.doc) if isinstance(st, State)
                    and callable(st.rates) else st for n, st in (states or {}).items()}
        mech = declare_pump(jit(func), name=name, params=params or {}, source=source,
                            origin=_origin, check=check, free_energy=free_energy,
                            moves=moves, states=compiled)
        if name in PUMPS:
            raise SpecError(f"mechanism '{name}' ({_origin})", name,
                            f"a name not taken already (by {PUMPS[name].origin})")
        PUMPS[name] = mech
        return mech

    return decorate


def pump_code(kind: str | None) -> int:
    """The kernels' code of a pump form: 0 for none, 1 + its place in PUMPS."""
    if kind is None:
        return 0
    return 1 + list(PUMPS).index(kind)


def _load_builtins() -> None:
    for stem in BUILT_IN:
        importlib.import_module(f"nakpump.mechanisms.pumps.{stem}")


def load_mechanisms(path: str | os.PathLike) -> list[str]:
    """Load the pumps a Python file declares; return their names.

    After this they work wherever a built-in does. Loading the same file again returns
    its pumps; another file may not reuse a name. The kernels are compiled again for
    the new composition on their next call (cached on disk under its hash).
    """
    global _origin
    file = pathlib.Path(path)
    if not file.is_file() or file.suffix != ".py":
        raise SpecError("mechanisms", str(path), "an existing Python file (.py) of mechanisms")
    key = str(file.resolve())
    if key in _loaded:
        return list(_loaded[key])
    try:
        text = file.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise SpecError("mechanisms", str(path), f"a readable Python file in UTF-8 "
                                                 f"({type(exc).__name__})") from None
    # Named by its text: kernels cached on disk refer to the module by name, and the
    # composition key (nakpump._jit) is made of the same text.
    module_name = "nakpump_user_" + hashlib.sha256(text.encode()).hexdigest()[:16]
    before = list(PUMPS)
    _origin = str(file)
    try:
        spec = importlib.util.spec_from_file_location(module_name, file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # the user's file: its errors are theirs to read
        for name in set(PUMPS) - set(before):
            PUMPS.pop(name)
        sys.modules.pop(module_name, None)
        if isinstance(exc, SpecError):
            raise
        raise SpecError("mechanisms", str(file),
                        f"a file that runs ({type(exc).__name__}: {exc})") from None
    finally:
        _origin = "built-in"
    names = [n for n in PUMPS if n not in before]
    if not names:
        raise SpecError("mechanisms", str(file), "a file that declares at least one "
                        "mechanism (a function decorated with nakpump.mechanisms.pump)")
    try:
        for name in names:
            _try_compile(PUMPS[name])
    except SpecError:
        for name in names:
            PUMPS.pop(name)
        raise
    _loaded[key] = names
    recompose(text)
    from nakpump.engine import compose

    compose.install()
    return list(names)


def _trial_arguments(func: Callable, mech: PumpMechanism) -> list[float]:
    """func's arguments at a resting state, the defaults and the initial states."""
    values = {**_TRIAL, **{n: p.default for n, p in mech.params.items()},
              **{n: st.initial for n, st in mech.states.items()}}
    return [values[a] for a in inspect.signature(func.py_func).parameters]


def _try_compile(mech: PumpMechanism) -> None:
    """Compile a loaded pump's functions for float arguments and try them at rest."""
    where = f"mechanism '{mech.name}' ({mech.origin})"
    for sname, st in mech.states.items():
        try:
            alpha, beta = st.rates(*_trial_arguments(st.rates, mech))
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SpecError(f"{where}: states.{sname}.rates", st.rates.py_func.__name__,
                            f"a function numba can compile returning (α, β) in 1/s ({first})"
                            ) from None
        if not (math.isfinite(alpha) and math.isfinite(beta) and alpha >= 0 and beta >= 0):
            raise SpecError(f"{where}: states.{sname}.rates", (alpha, beta),
                            "finite rates ≥ 0 (1/s) at rest and the default parameters")
    try:
        value = mech.rate(*_trial_arguments(mech.rate, mech))
    except Exception as exc:  # numba's typing errors are long: their first line says it
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError(where, mech.rate.py_func.__name__,
                        f"a rate function numba can compile for numbers ({first})") from None
    if not isinstance(value, float) or not math.isfinite(value):
        raise SpecError(where, value, "a finite number (turnover per unit rate_max) at "
                        + ", ".join(f"{k} {v:g} {CELL_VARIABLES[k]}" for k, v in _TRIAL.items()
                                    if k in mech.reads) + " and the default parameters")
