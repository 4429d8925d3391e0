"""A cell's pump written as NMODL, for NEURON users (`nrnivmodl` compiles it).

The pump's rate function (mechanisms/pumps/…, or a user's file) is translated from its
Python source: straight-line arithmetic, math.exp/log/sqrt/fabs, tuple assignments and
calls of helper functions of the same module that return tuples (inlined). Anything else
is refused with the construct named. The mod file carries the same bookkeeping as
nakpump's engine: i_p = 1.602e-8 mA/cm² per cycle/s/µm², ina = 3·i_p, ik = −2·i_p, with
the Q10 factor, the ATP dependence and the unblocked fraction applied; RT/F from
`celsius` with nakpump's constants.

    text = nk.nmodl.pump_mod(nk.preset("cortical"))   # SUFFIX nkp_kager_export
"""

from __future__ import annotations

import ast
import inspect
import textwrap

from nakpump.errors import SpecError
from nakpump.model.spec import CellSpec
from nakpump.units import CYCLE_TO_UA_CM2, FARADAY, GAS_CONSTANT

_ASCII = {"µ": "u", "²": "^2", "³": "^3", "·": "*", "−": "-", "×": "x", "…": "...",
          "⁺": "+", "⁻": "-", "–": "-", "—": "-", "′": "'", "α": "alpha", "δ": "delta",
          "Δ": "Delta", "τ": "tau"}
_MATH = {"exp": "exp", "log": "log", "sqrt": "sqrt", "fabs": "fabs"}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}


class _Translator:
    """Python function (AST) → NMODL statements; every name gets a trailing underscore so
    that none clashes with NMODL's own (v, pi, e, area …)."""

    def __init__(self, func, where: str):
        self.func = getattr(func, "py_func", func)
        self.where = where
        self.module = inspect.getmodule(self.func)
        self.locals: list[str] = []
        self.lines: list[str] = []
        self.n_inlined = 0

    def fail(self, node, what: str):
        raise SpecError(f"nmodl export of {self.where}", ast.unparse(node)[:60],
                        f"code the NMODL export handles ({what})")

    def expr(self, node, names: dict[str, str]) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            return repr(float(node.value))
        if isinstance(node, ast.Name):
            if node.id not in names:
                self.fail(node, f"'{node.id}' is not an argument or a local")
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return (f"({self.expr(node.left, names)} {_OPS[type(node.op)]} "
                    f"{self.expr(node.right, names)})")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            return f"({sign}{self.expr(node.operand, names)})"
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "math"
                and node.func.attr in _MATH and len(node.args) == 1):
            return f"{_MATH[node.func.attr]}({self.expr(node.args[0], names)})"
        self.fail(node, "+ − × ÷ **, numbers, names and math.exp/log/sqrt/fabs")

    def body(self, func, names: dict[str, str], prefix: str) -> list[str]:
        """Statements of func with its arguments bound to `names`; its return value's
        expressions (one, or a tuple's)."""
        tree = ast.parse(textwrap.dedent(inspect.getsource(getattr(func, "py_func", func))))
        fdef = tree.body[0]
        for stmt in fdef.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # docstring
            if isinstance(stmt, ast.Return):
                value = stmt.value
                parts = value.elts if isinstance(value, ast.Tuple) else [value]
                return [self.expr(p, names) for p in parts]
            if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
                self.fail(stmt, "assignments and one return")
            target, value = stmt.targets[0], stmt.value
            targets = target.elts if isinstance(target, ast.Tuple) else [target]
            if not all(isinstance(t, ast.Name) for t in targets):
                self.fail(stmt, "assignments to plain names")
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                values = self.inline(value, names)
            elif isinstance(value, ast.Tuple):
                values = [self.expr(v, names) for v in value.elts]
            else:
                values = [self.expr(value, names)]
            if len(values) != len(targets):
                self.fail(stmt, "as many values as names")
            for t, v in zip(targets, values):
                local = f"{prefix}{t.id}_"
                if local not in self.locals:
                    self.locals.append(local)
                self.lines.append(f"{local} = {v}")
                names = {**names, t.id: local}
        self.fail(fdef, "a function that ends in a return")

    def inline(self, call: ast.Call, names: dict[str, str]) -> list[str]:
        helper = getattr(self.module, call.func.id, None)
        if helper is None or call.keywords:
            self.fail(call, f"calls of helper functions of {self.module.__name__} "
                            "with positional arguments")
        self.n_inlined += 1
        py = getattr(helper, "py_func", helper)
        params = list(inspect.signature(py).parameters)
        if len(params) != len(call.args):
            self.fail(call, "a call with all the helper's arguments")
        args = [self.expr(a, names) for a in call.args]
        return self.body(py, dict(zip(params, args)), prefix=f"h{self.n_inlined}_")


def _ascii(text: str) -> str:
    """nocmodl reads ASCII only: known symbols spelled out, anything else as '?'."""
    for symbol, plain in _ASCII.items():
        text = text.replace(symbol, plain)
    return text.encode("ascii", "replace").decode("ascii")


def pump_mod(cell: CellSpec, suffix: str | None = None) -> str:
    """NMODL source of the cell's pump, its PARAMETERs set to the cell's values."""
    pump = cell.pump
    if pump is None:
        raise SpecError("pump", None, "a cell with a pump to export")
    mech = pump.mechanism
    if mech.states:
        raise SpecError("pump.kind", mech.name, "a pump form without states of its own (their "
                        "kinetics are not exported yet)")
    suffix = suffix or "nkp_" + mech.name.replace("-", "_") + "_export"
    tr = _Translator(mech.rate, f"pump '{mech.name}'")
    cell_names = {"rate_max": "rate_max", "v": "v", "na_i": "nai", "k_i": "ki",
                  "na_o": "nao", "k_o": "ko", "rt_f": "rt_f", "atp": "atp", "adp": "adp",
                  "pi": "pi_i"}
    args = [cell_names[r] for r in mech.reads] + list(mech.params)
    py_args = list(inspect.signature(getattr(mech.rate, "py_func", mech.rate)).parameters)
    names = {a: f"{a}_" for a in py_args}
    (result,) = tr.body(mech.rate, names, prefix="")
    form_args = ", ".join(f"{a}_" for a in py_args)
    rate = pump.rate_max * pump.q10 ** ((cell.temp_c - pump.temp_ref_c) / 10.0)
    atp_factor = "" if mech.owns_atp else (
        " * atp * (atp_normal + km_atp) / ((atp + km_atp) * atp_normal)")
    scale = "" if mech.scales_itself else "rate_max * "
    params = "\n".join(
        f"    {n} = {getattr(pump, n)!r}  : {p.unit}; {p.doc}" for n, p in mech.params.items())
    rng = ", ".join(mech.params)
    reads = ", ".join(args)
    return _ascii(f"""TITLE {mech.name} Na+/K+ pump from nakpump: 3 Na+ out, 2 K+ in per cycle

COMMENT
{(mech.doc.splitlines() or [mech.name])[0]}
Source: {mech.source or mech.origin}
Turnover r (cycles/s/um2) = {scale}form(...){' x ATP factor' if atp_factor else ''} x (1 - block);
the pump current ip = {CYCLE_TO_UA_CM2 * 1e-3!r} mA/cm2 per cycle/s/um2, ina = 3 ip,
ik = -2 ip. rate_max holds the Q10 factor at {cell.temp_c:g} degC. RT/F from celsius
with nakpump's R = {GAS_CONSTANT!r} and F = {FARADAY!r}.
ENDCOMMENT

NEURON {{
    SUFFIX {suffix}
    USEION na READ nai, nao WRITE ina
    USEION k READ ki, ko WRITE ik
    RANGE rate_max, {rng}, atp, adp, pi_i, km_atp, atp_normal, block, ip
}}

UNITS {{
    (mA) = (milliamp)
    (mV) = (millivolt)
    (mM) = (milli/liter)
}}

PARAMETER {{
    rate_max = {rate!r}  : cycles/s/um2 (per pump for a form that returns one pump's rate)
{params}
    atp = {cell.atp!r} (mM)
    adp = {cell.adp!r} (mM)
    pi_i = {cell.pi!r} (mM)
    km_atp = {pump.km_atp!r} (mM)
    atp_normal = {cell.atp!r} (mM)
    block = 0
}}

ASSIGNED {{
    v (mV)
    celsius (degC)
    nai (mM)
    nao (mM)
    ki (mM)
    ko (mM)
    ina (mA/cm2)
    ik (mA/cm2)
    ip (mA/cm2)
    rt_f (mV)
}}

BREAKPOINT {{
    rt_f = {GAS_CONSTANT!r} * (celsius + 273.15) / {FARADAY!r} * 1000
    ip = {CYCLE_TO_UA_CM2 * 1e-3!r} * {scale}form({reads}){atp_factor} * (1 - block)
    ina = 3 * ip
    ik = -2 * ip
}}

FUNCTION form({form_args}) {{
    LOCAL {', '.join(tr.locals) if tr.locals else 'unused_'}
{textwrap.indent(chr(10).join(tr.lines), '    ')}
    form = {result}
}}
""")
