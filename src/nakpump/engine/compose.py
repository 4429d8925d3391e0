"""The registered pumps composed into the kernels.

The engine knows no pump by name: `install` writes the dispatch over the registry
(mechanisms.PUMPS) as Python source, one branch per pump with its parameter slots as
literal offsets, and compiles it into this module's `pump_form_rate`. The kernels call
it through pump_rate_of and pump_lanes below, and numba inlines the pump's own function
into them, as fast as a hand-written branch (a first-class function object would not
be). install runs at import and again when a user's pump is loaded; the kernels are then
compiled anew under the new composition key (nakpump._jit).
"""

from __future__ import annotations

import inspect
import math

import numba

from nakpump._jit import jit_inline
from nakpump.biophysics.pumps import atp_factor, pump_current
from nakpump.engine.layout import (
    ADP_I,
    ATP_I,
    D_ATP,
    D_BLOCK,
    D_I_PUMP,
    D_OUABAIN,
    K_I,
    K_O,
    NA_I,
    NA_O,
    OUABAIN_BOUND,
    P_ADP,
    P_ATP_NORMAL,
    P_KM_ATP,
    P_METABOLISM,
    P_PI,
    P_PUMP_0,
    P_PUMP_KIND,
    P_PUMP_MAX,
    P_RT_F,
    PI_I,
    PUMP_S0,
    V,
)
from nakpump.mechanisms import PUMPS

# Set by install: the dispatch over the registered pumps, and its source for reading.
pump_form_rate = None
pump_lanes = None
pump_state_lanes = None
pump_state_derivatives = None
source = ""

# How the generated code reads each cell variable of lane j (rows s apart; parameters at
# Pb[i·s + jp], drives at Db[i·s + jd]); atp, adp and pi come from nucleotides().
_LANE_VARIABLES = {
    "v": f"Yb[{V} * s + j]", "na_i": f"Yb[{NA_I} * s + j]", "k_i": f"Yb[{K_I} * s + j]",
    "na_o": f"Yb[{NA_O} * s + j]", "k_o": f"Yb[{K_O} * s + j]",
    "rt_f": f"Pb[{P_RT_F} * s + jp]", "ouabain": f"Db[{D_OUABAIN} * s + jd]",
}


def _arguments(func, mech, *, states: str) -> str:
    """The call arguments of one of mech's functions, by their names: cell variables as
    named, parameter i as P[at + i·s], state k as `states`.format(k=k)."""
    params, own = list(mech.params), list(mech.states)
    out = []
    for name in inspect.signature(func.py_func).parameters:
        if name in params:
            i = params.index(name)
            out.append("P[at]" if i == 0 else f"P[at + {i} * s]")
        elif name in own:
            out.append(states.format(k=own.index(name)))
        else:
            out.append(name)
    return ", ".join(out)


def dispatch_source() -> str:
    """Python source of the functions install compiles, over the registered pumps."""
    lines = [
        "def pump_form_rate(kind, v, na_i, k_i, na_o, k_o, rt_f, rate_max, atp, adp, pi,",
        "                   km_atp, atp_normal, P, at, s, ouabain, st0, st1, st2, st3):",
        '    """rate_max × the turnover of pump form `kind` (cycles/s/µm²), with the',
        "    Michaelis–Menten ATP factor for forms that do not read atp themselves; the",
        '    form\'s parameter i is P[at + i·s], its state k stk."""',
    ]
    for code, mech in enumerate(PUMPS.values(), start=1):
        call = f"_form_{code}({_arguments(mech.rate, mech, states='st{k}')})"
        if not mech.scales_itself:
            call = "rate_max * " + call
        factor = "" if mech.owns_atp else " * atp_factor(atp, km_atp, atp_normal)"
        lines += [f"    if kind == {code}:  # {mech.name}", f"        return {call}{factor}"]
    lines += ["    return 0.0", "", ""]
    lines += [
        "def pump_lanes(Yb, Pb, Db, op, od, s, lanes):",
        '    """Each lane\'s pump current (µA/cm², O2 not applied) at its present state, into',
        "    its D_I_PUMP row. The lanes share lane 0's pump form: one loop per form, the form",
        '    a constant in it (its branch folds away; the loop vectorises across cells)."""',
        f"    kind = int(Pb[op + {P_PUMP_KIND} * s])",
    ]
    for code, mech in enumerate(PUMPS.values(), start=1):
        lines += [f"    {'if' if code == 1 else 'elif'} kind == {code}:  # {mech.name}",
                  f"        _pump_lanes(Yb, Pb, Db, op, od, s, lanes, {code})"]
    lines += ["    else:  # no pump", "        _pump_lanes(Yb, Pb, Db, op, od, s, lanes, 0)"]
    lines += ["", ""]
    # The forms' own states: exact relaxation over dt at frozen rates (step), and their
    # derivatives (rhs). Forms without states have no branch.
    lines += [
        "def pump_state_lanes(Yb, Pb, Db, op, od, s, lanes, dt):",
        '    """Step the pump form\'s own states of every lane over dt (ms)."""',
        f"    kind = int(Pb[op + {P_PUMP_KIND} * s])",
    ]
    deriv = [
        "def pump_state_derivatives(Yb, Pb, Db, out):",
        '    """d/dt (per ms) of one cell\'s pump-form states into out."""',
        f"    kind = int(Pb[{P_PUMP_KIND}])",
        "    s, j, jp, jd = 1, 0, 0, 0",
    ]
    for code, mech in enumerate(PUMPS.values(), start=1):
        if not mech.states:
            continue
        lines += [f"    if kind == {code}:  # {mech.name}", "        for j in range(lanes):",
                  "            jp, jd = op + j, od + j"]
        deriv += [f"    if kind == {code}:  # {mech.name}"]
        for k, (sname, st) in enumerate(mech.states.items()):
            args = _arguments(st.rates, mech, states="")
            binds = [f"{n} = {_LANE_VARIABLES[n]}" for n in _LANE_VARIABLES
                     if n in inspect.signature(st.rates.py_func).parameters]
            if {"atp", "adp", "pi"} & set(inspect.signature(st.rates.py_func).parameters):
                binds.append("atp, adp, pi = nucleotides(Yb, Pb, Db, jp, jd, s, j)")
            row = f"Yb[{PUMP_S0 + k} * s + j]"
            at = f"at = {P_PUMP_0} * s + jp"
            lines += [f"            {b}" for b in (*binds, at, "P = Pb")]
            lines += [f"            alpha, beta = _state_{code}_{k}({args})  # {sname}",
                      "            rate = 0.001 * (alpha + beta)  # 1/ms",
                      "            if rate > 0.0:",
                      "                inf = 0.001 * alpha / rate",
                      f"                {row} = inf + ({row} - inf) * math.exp(-rate * dt)"]
            deriv += [f"        {b}" for b in (*binds, at, "P = Pb")]
            deriv += [f"        alpha, beta = _state_{code}_{k}({args})  # {sname}",
                      f"        out[{PUMP_S0 + k}] = 0.001 * (alpha * (1.0 - {row}) - beta * "
                      f"{row})"]
    lines += ["    return", "", ""] + deriv + ["    return"]
    return "\n".join(lines) + "\n"


def install() -> None:
    """Compile the dispatch over the pumps registered now (dispatch_source)."""
    global pump_form_rate, pump_lanes, pump_state_lanes, pump_state_derivatives, source
    source = dispatch_source()
    namespace = {"atp_factor": atp_factor, "_pump_lanes": _pump_lanes, "math": math,
                 "nucleotides": nucleotides}
    for code, mech in enumerate(PUMPS.values(), start=1):
        namespace[f"_form_{code}"] = mech.rate
        for k, st in enumerate(mech.states.values()):
            namespace[f"_state_{code}_{k}"] = st.rates
    exec(compile(source, "<nakpump.engine.compose dispatch>", "exec"), namespace)
    # inlined at numba's IR level into the cached kernels; itself has no file to cache in
    inline = numba.njit(inline="always", error_model="numpy")
    pump_form_rate = inline(namespace["pump_form_rate"])
    namespace["pump_form_rate"] = pump_form_rate
    pump_lanes = inline(namespace["pump_lanes"])
    pump_state_lanes = inline(namespace["pump_state_lanes"])
    pump_state_derivatives = inline(namespace["pump_state_derivatives"])


@jit_inline  # inlined: a call taking the array P costs reference counting in lane loops
def pump_rate_of(kind, v, na_i, k_i, na_o, k_o, rt_f, rate_max, atp, adp, pi, km_atp,
                 atp_normal, unblocked, P, at, s, ouabain, st0, st1, st2, st3):
    """Pump turnover (cycles/s/µm²) of form `kind` (mechanisms.pump_code) at these
    variables (mV, mM, µM of ouabain), with ATP and the unblocked fraction applied; the
    form's parameter i is P[at + i·s], its own states st0…st3."""
    if kind == 0:
        return 0.0
    return pump_form_rate(kind, v, na_i, k_i, na_o, k_o, rt_f, rate_max, atp, adp, pi,
                          km_atp, atp_normal, P, at, s, ouabain, st0, st1, st2,
                          st3) * unblocked


@jit_inline
def unblocked(Yb, Db, jd, s, j):
    """Fraction of lane j's pumps at work: neither blocked by a PumpBlock (D_BLOCK) nor
    bound to ouabain (OUABAIN_BOUND); exactly 1 − D_BLOCK without ouabain."""
    return (1.0 - Db[D_BLOCK * s + jd]) * (1.0 - Yb[OUABAIN_BOUND * s + j])


@jit_inline
def nucleotides(Yb, Pb, Db, jp, jd, s, j):
    """([ATP], [ADP], [Pi]) in mM that lane j's pump sees: its own states with a
    metabolism, else the protocol's [ATP] and the cell's fixed ADP and Pi. Blended by a
    0/1 weight, not chosen by a branch: conditional expressions over array elements cost
    ~30 ns here (numba), and the lane loops stay vectorisable."""
    own = Pb[P_METABOLISM * s + jp] != 0.0
    w = 1.0 if own else 0.0
    return (w * Yb[ATP_I * s + j] + (1.0 - w) * Db[D_ATP * s + jd],
            w * Yb[ADP_I * s + j] + (1.0 - w) * Pb[P_ADP * s + jp],
            w * Yb[PI_I * s + j] + (1.0 - w) * Pb[P_PI * s + jp])


@jit_inline
def pump_context(Yb, Pb, Db, jp, jd, s, j):
    """(atp, adp, pi, unblocked fraction, ouabain, st0, st1, st2, st3) of lane j: what its
    pump's rate takes besides the ions and V, for callers that evaluate it at other
    concentrations."""
    atp, adp, pi = nucleotides(Yb, Pb, Db, jp, jd, s, j)
    return (atp, adp, pi, unblocked(Yb, Db, jd, s, j), Db[D_OUABAIN * s + jd],
            Yb[PUMP_S0 * s + j], Yb[(PUMP_S0 + 1) * s + j], Yb[(PUMP_S0 + 2) * s + j],
            Yb[(PUMP_S0 + 3) * s + j])


@jit_inline  # inlined, as pump_rate_of: no array crosses a call inside the rhs
def pump_rate_cell(y, p, d, v):
    """pump_rate_of for one cell's flat state y, parameters p and drives d, at v (mV);
    O2 not applied."""
    kind = int(p[P_PUMP_KIND])
    if kind == 0:
        return 0.0
    c = pump_context(y, p, d, 0, 0, 1, 0)
    return pump_rate_of(kind, v, y[NA_I], y[K_I], y[NA_O], y[K_O], p[P_RT_F],
                        p[P_PUMP_MAX], c[0], c[1], c[2], p[P_KM_ATP], p[P_ATP_NORMAL],
                        c[3], p, P_PUMP_0, 1, c[4], c[5], c[6], c[7], c[8])


@jit_inline
def pump_rate_lane(Yb, Pb, Db, jp, jd, s, j, v, kind):
    """pump_rate_of for lane j of a block (rows s apart; parameters at Pb[i·s + jp],
    drives at Db[i·s + jd]) at v (mV); O2 not applied."""
    c = pump_context(Yb, Pb, Db, jp, jd, s, j)
    return pump_rate_of(kind, v, Yb[NA_I * s + j], Yb[K_I * s + j], Yb[NA_O * s + j],
                        Yb[K_O * s + j], Pb[P_RT_F * s + jp], Pb[P_PUMP_MAX * s + jp],
                        c[0], c[1], c[2], Pb[P_KM_ATP * s + jp], Pb[P_ATP_NORMAL * s + jp],
                        c[3], Pb, P_PUMP_0 * s + jp, s, c[4], c[5], c[6], c[7], c[8])


@jit_inline
def _pump_lanes(Yb, Pb, Db, op, od, s, lanes, kind):
    for j in range(lanes):
        Db[D_I_PUMP * s + od + j] = pump_current(
            pump_rate_lane(Yb, Pb, Db, op + j, od + j, s, j, Yb[V * s + j], kind))


install()
