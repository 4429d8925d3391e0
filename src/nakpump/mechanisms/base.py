"""What a mechanism declares, and the checks it meets before a cell may use it.

A pump mechanism is one pure function, the turnover of one unit of `rate_max`, whose
argument names say what it reads: cell variables by their names (CELL_VARIABLES) and its
own parameters, each declared once with its default, unit, bounds, meaning and source.
The engine, not the mechanism, moves the ions: 3 Na+ out, 2 K+ in and 1 ATP per cycle.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

from nakpump.engine.layout import N_PUMP_PARAMS, N_PUMP_STATES
from nakpump.errors import SpecError

# What a pump may read, with units (the engine passes these, by name).
CELL_VARIABLES = {
    "v": "mV",  # membrane potential
    "na_i": "mM", "k_i": "mM", "na_o": "mM", "k_o": "mM",
    "rt_f": "mV",  # RT/F at the cell's temperature
    "atp": "mM", "adp": "mM", "pi": "mM",  # cytosolic adenine nucleotides and phosphate
    "ouabain": "uM",  # the protocol's ouabain (protocols.Ouabain)
}
MAX_PARAMS = N_PUMP_PARAMS  # parameter slots a pump has in the kernels
MAX_STATES = N_PUMP_STATES  # state slots
SHARED = ("rate_max", "temp_ref_c", "q10", "km_atp")  # every pump's; not declared again
# One cycle of the Na+/K+-ATPase, by the ion moved (+ into the cell) and charge out.
NA_K_CYCLE = {"na": -3.0, "k": +2.0, "atp": -1.0}
VALENCE = {"na": 1.0, "k": 1.0, "cl": -1.0}
TRACKED = ("na", "k", "cl", "atp")


@dataclass(frozen=True)
class Param:
    """A declared parameter: default value in `unit` (a pint unit string, "1" for none),
    allowed range, its meaning in one line and where it comes from.

    range: "" (any finite number), ">0", ">=0", "<=1", or "lo..hi" (both included),
    as NMODL writes <lo,hi> after a parameter.
    """

    default: float
    unit: str
    range: str = ""
    doc: str = ""
    source: str = ""

    def limits(self) -> tuple[float, bool, float]:
        """(lower, lower excluded, upper) of the range; ±inf where open."""
        r = self.range.replace(" ", "")
        try:
            if not r:
                return -math.inf, False, math.inf
            if ".." in r:
                lo, hi = r.split("..")
                return float(lo), False, float(hi)
            if r.startswith(">="):
                return float(r[2:]), False, math.inf
            if r.startswith(">"):
                return float(r[1:]), True, math.inf
            if r.startswith("<="):
                return -math.inf, False, float(r[2:])
        except ValueError:
            pass
        raise SpecError("range", self.range, "'', '>x', '>=x', '<=x' or 'lo..hi'")

    def allowed(self) -> str:
        lo, strict, hi = self.limits()
        text = "a finite number"
        if lo > -math.inf:
            text += f" {'>' if strict else '≥'} {lo:g}"
        if hi < math.inf:
            text += f"{' and' if lo > -math.inf else ''} ≤ {hi:g}"
        return text + f" ({self.unit})"

    def check(self, name: str, value: Any) -> None:
        """Raise SpecError naming `name` unless value is a finite number in the range."""
        lo, strict, hi = self.limits()
        if isinstance(value, bool) or not isinstance(value, Real):
            raise SpecError(name, value, self.allowed())
        if (not math.isfinite(value) or value > hi or value < lo
                or (strict and value == lo)):
            raise SpecError(name, value, self.allowed())


@dataclass(frozen=True)
class State:
    """A state of the mechanism's own between 0 and 1 (a bound fraction, a conformation):
    ds/dt = α·(1 − s) − β·s, with (α, β) = rates(…) in 1/s. rates takes cell variables
    and the mechanism's parameters by name, like the rate function; the engine steps s
    exactly for α, β frozen over a step (as it does gates) and starts it at `initial`."""

    rates: Callable
    initial: float = 0.0
    doc: str = ""


@dataclass(frozen=True)
class PumpMechanism:
    """A Na+/K+ pump form: `rate(<reads>, <params>)` is its turnover per unit rate_max.

    reads: the cell variables it takes (names in CELL_VARIABLES), in argument order, after
    "rate_max" when it takes that first and returns cycles/s/µm² itself (scales_itself);
    params: its own parameters in argument order (they follow the reads). A form that
    reads `atp` owns its ATP dependence; otherwise the engine applies the Michaelis–Menten
    factor of `km_atp` (biophysics.pumps.atp_factor). moves: per cycle (NA_K_CYCLE).
    """

    name: str
    rate: Callable
    params: dict[str, Param]
    reads: tuple[str, ...]
    doc: str = ""
    source: str = ""
    origin: str = "built-in"  # or the file it was loaded from
    moves: dict[str, float] = field(default_factory=lambda: dict(NA_K_CYCLE))
    check: Callable[[dict], str | None] | None = None  # refuses combinations of values
    free_energy: Callable | None = None  # (values, atp, adp, pi, rt_f) → ΔG_ATP/F in mV
    states: dict[str, State] = field(default_factory=dict)  # its own, in slot order

    @property
    def handles_ouabain(self) -> bool:
        """Whether the form models ouabain itself (then the engine's binding is off)."""
        return any("ouabain" in _arguments(st.rates) for st in self.states.values()) or (
            "ouabain" in self.reads)

    def validate(self, values: dict[str, float], prefix: str = "pump.") -> None:
        """Raise SpecError unless every parameter value is in its range and `check` agrees."""
        for pname, p in self.params.items():
            p.check(prefix + pname, values[pname])
        problem = self.check(values) if self.check else None
        if problem:
            raise SpecError(prefix.rstrip(".") or "pump", values, problem)

    @property
    def owns_atp(self) -> bool:
        return "atp" in self.reads

    @property
    def scales_itself(self) -> bool:
        """Whether the form takes rate_max (its first argument) and returns cycles/s/µm²
        itself, rather than its turnover per unit rate_max."""
        return "rate_max" in self.reads


def declare_pump(rate: Callable, *, name: str, params: dict[str, Param], source: str = "",
                 moves: dict[str, float] | None = None, origin: str = "built-in",
                 check: Callable[[dict], str | None] | None = None,
                 free_energy: Callable | None = None, states: dict[str, State] | None = None
                 ) -> PumpMechanism:
    """Check a pump declaration and return it as a PumpMechanism (see `pump`)."""
    where = f"mechanism '{name}' ({origin})"
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "-_" for c in name):
        raise SpecError("mechanism.name", name, "a non-empty name of letters, digits, - and _")
    states = dict(states or {})
    args = _arguments(rate)
    for pname, p in params.items():
        if not isinstance(p, Param):
            raise SpecError(f"{where}: params.{pname}", p, "a Param(default, unit, …)")
        if not isinstance(p.unit, str) or not p.unit:
            raise SpecError(f"{where}: params.{pname}.unit", p.unit,
                            "a unit string such as 'mM', 'mV', '1/ms' or '1' for none")
        _check_unit(f"{where}: params.{pname}.unit", p.unit)
        try:
            p.limits()
        except SpecError:
            raise SpecError(f"{where}: params.{pname}.range", p.range,
                            "'', '>x', '>=x', '<=x' or 'lo..hi'") from None
        p.check(f"{where}: params.{pname}.default", p.default)
    taken = (*CELL_VARIABLES, *SHARED)
    for own in (*params, *states):
        if own in taken:
            raise SpecError(f"{where}: {own}", own, "a name not already a cell variable "
                            "or shared pump parameter (" + ", ".join(taken) + ")")
    for sname, st in states.items():
        if not isinstance(st, State) or not callable(st.rates):
            raise SpecError(f"{where}: states.{sname}", st, "a State(rates, initial, doc)")
        Param(0.0, "1", "0..1").check(f"{where}: states.{sname}.initial", st.initial)
        _check_arguments(f"{where}: states.{sname}.rates", _arguments(st.rates), params, {})
    if len(states) > MAX_STATES:
        raise SpecError(f"{where}: states", len(states), f"at most {MAX_STATES} states")
    if "rate_max" in args[1:]:
        raise SpecError(f"{where}: argument", "rate_max", "the first argument, if taken")
    scales = bool(args) and args[0] == "rate_max"
    args = [a for a in args if a != "rate_max"]
    _check_arguments(f"{where}: argument", args, params, states)
    reads = tuple(a for a in args if a in CELL_VARIABLES)
    missing = [p for p in params if p not in args and not any(
        p in _arguments(st.rates) for st in states.values())]
    if missing:
        raise SpecError(f"{where}: params.{missing[0]}", missing[0],
                        "a parameter the rate function (or a state's rates) takes")
    if len(params) > MAX_PARAMS:
        raise SpecError(f"{where}: params", len(params), f"at most {MAX_PARAMS} parameters")
    moves = dict(NA_K_CYCLE if moves is None else moves)
    for ion in moves:
        if ion not in TRACKED:
            raise SpecError(f"{where}: moves.{ion}", moves[ion],
                            "moves of ions the cell tracks: " + ", ".join(TRACKED))
    charge_out = 0.0 - sum(VALENCE.get(ion, 0.0) * n for ion, n in moves.items())
    if moves != NA_K_CYCLE:
        raise SpecError(f"{where}: moves", moves,
                        f"the Na+/K+-ATPase cycle {NA_K_CYCLE} (net +1 charge out per "
                        f"cycle; this one moves {charge_out + 0.0:+g}): the engine books a "
                        "pump's current as one elementary charge out per cycle")
    return PumpMechanism(name=name, rate=rate, params=dict(params),
                         reads=("rate_max", *reads) if scales else reads,
                         doc=inspect.getdoc(getattr(rate, "py_func", rate)) or "",
                         source=source, origin=origin, moves=moves, check=check,
                         free_energy=free_energy, states=states)


def _arguments(func: Callable) -> list[str]:
    return list(inspect.signature(getattr(func, "py_func", func)).parameters)


def _check_arguments(where: str, args: list[str], params: dict, states: dict) -> None:
    unknown = [a for a in args if a not in CELL_VARIABLES and a not in params
               and a not in states]
    if unknown:
        raise SpecError(where, unknown[0],
                        "a cell variable (" + ", ".join(CELL_VARIABLES) + "), a declared "
                        "parameter (" + (", ".join(params) or "none declared") + ")"
                        + (" or state (" + ", ".join(states) + ")" if states else ""))


def _check_unit(name: str, unit: str) -> None:
    import pint

    from nakpump.quantities import registry

    try:
        registry().Unit(unit)
    except (pint.errors.PintError, ValueError, TypeError, AttributeError):
        raise SpecError(name, unit, "a unit pint understands, e.g. 'mM', 'mV', '1/ms', '1'") \
            from None
