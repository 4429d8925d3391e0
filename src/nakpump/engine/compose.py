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

import numba

from nakpump._jit import jit, jit_inline
from nakpump.biophysics.pumps import atp_factor, pump_current
from nakpump.engine.layout import (
    D_ATP,
    D_BLOCK,
    D_I_PUMP,
    K_I,
    K_O,
    NA_I,
    NA_O,
    P_ADP,
    P_ATP_NORMAL,
    P_KM_ATP,
    P_PI,
    P_PUMP_0,
    P_PUMP_KIND,
    P_PUMP_MAX,
    P_RT_F,
    V,
)
from nakpump.mechanisms import PUMPS

# Set by install: the dispatch over the registered pumps, and its source for reading.
pump_form_rate = None
pump_lanes = None
source = ""


def dispatch_source() -> str:
    """Python source of pump_form_rate and pump_lanes over the registered pumps."""
    lines = [
        "def pump_form_rate(kind, v, na_i, k_i, na_o, k_o, rt_f, rate_max, atp, adp, pi,",
        "                   km_atp, atp_normal, P, at, s):",
        '    """rate_max × the turnover of pump form `kind` (cycles/s/µm²), with the',
        "    Michaelis–Menten ATP factor for forms that do not read atp themselves; the",
        '    form\'s parameter i is P[at + i·s]."""',
    ]
    for code, mech in enumerate(PUMPS.values(), start=1):
        args = [r for r in mech.reads if r != "rate_max"]  # named as in the signature
        args += ["P[at]" if i == 0 else f"P[at + {i} * s]" for i in range(len(mech.params))]
        if mech.scales_itself:
            call = f"_form_{code}(rate_max, {', '.join(args)})"
        else:
            call = f"rate_max * _form_{code}({', '.join(args)})"
        factor = "" if mech.owns_atp else " * atp_factor(atp, km_atp, atp_normal)"
        lines += [f"    if kind == {code}:  # {mech.name}", f"        return {call}{factor}"]
    lines.append("    return 0.0")
    lines += [
        "",
        "",
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
    return "\n".join(lines) + "\n"


def install() -> None:
    """Compile the dispatch over the pumps registered now into pump_form_rate."""
    global pump_form_rate, pump_lanes, source
    source = dispatch_source()
    namespace = {"atp_factor": atp_factor, "_pump_lanes": _pump_lanes}
    for code, mech in enumerate(PUMPS.values(), start=1):
        namespace[f"_form_{code}"] = mech.rate
    exec(compile(source, "<nakpump.engine.compose dispatch>", "exec"), namespace)
    # inlined at numba's IR level into the cached kernels; itself has no file to cache in
    inline = numba.njit(inline="always", error_model="numpy")
    pump_form_rate = inline(namespace["pump_form_rate"])
    namespace["pump_form_rate"] = pump_form_rate
    pump_lanes = inline(namespace["pump_lanes"])


@jit
def pump_rate_of(kind, v, na_i, k_i, na_o, k_o, rt_f, rate_max, atp, adp, pi, km_atp,
                 atp_normal, block, P, at, s):
    """Pump turnover (cycles/s/µm²) of form `kind` (mechanisms.pump_code) at these
    variables (mV, mM), with ATP and the blocked fraction applied; the form's parameter i
    is P[at + i·s]."""
    if kind == 0:
        return 0.0
    return pump_form_rate(kind, v, na_i, k_i, na_o, k_o, rt_f, rate_max, atp, adp, pi,
                          km_atp, atp_normal, P, at, s) * (1.0 - block)


@jit
def pump_rate_cell(y, p, d, v):
    """pump_rate_of for one cell's flat state y, parameters p and drives d, at v (mV);
    O2 not applied."""
    return pump_rate_of(int(p[P_PUMP_KIND]), v, y[NA_I], y[K_I], y[NA_O], y[K_O], p[P_RT_F],
                        p[P_PUMP_MAX], d[D_ATP], p[P_ADP], p[P_PI], p[P_KM_ATP],
                        p[P_ATP_NORMAL], d[D_BLOCK], p, P_PUMP_0, 1)


@jit_inline
def pump_rate_lane(Yb, Pb, Db, jp, jd, s, j, v, kind):
    """pump_rate_of for lane j of a block (rows s apart; parameters at Pb[i·s + jp],
    drives at Db[i·s + jd]) at v (mV); O2 not applied."""
    return pump_rate_of(kind, v, Yb[NA_I * s + j], Yb[K_I * s + j], Yb[NA_O * s + j],
                        Yb[K_O * s + j], Pb[P_RT_F * s + jp], Pb[P_PUMP_MAX * s + jp],
                        Db[D_ATP * s + jd], Pb[P_ADP * s + jp], Pb[P_PI * s + jp],
                        Pb[P_KM_ATP * s + jp], Pb[P_ATP_NORMAL * s + jp],
                        Db[D_BLOCK * s + jd], Pb, P_PUMP_0 * s + jp, s)


@jit_inline
def _pump_lanes(Yb, Pb, Db, op, od, s, lanes, kind):
    for j in range(lanes):
        Db[D_I_PUMP * s + od + j] = pump_current(
            pump_rate_lane(Yb, Pb, Db, op + j, od + j, s, j, Yb[V * s + j], kind))


install()
