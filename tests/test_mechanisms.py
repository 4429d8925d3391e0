"""Mechanisms as units: a pump is one file, declared once, checked when it is loaded.

A user's pump runs in a fresh interpreter (a loaded mechanism recompiles the kernels for
the new composition, which this test session should not pay for every later test): the
same equations as the built-in Kager pump, written in a user's file, must give the
built-in's run to rounding in a single cell and in a population (peer: the built-in,
same run).
"""

import json
import re
import subprocess
import sys
import textwrap

import pytest

import nakpump as nk
from nakpump.mechanisms import PUMPS, load_mechanisms
from nakpump.model.spec import parameter_unit

LAB_KAGER = '''
"""The Kager (2000) pump, written as a user would."""

from nakpump.mechanisms import Param, pump


@pump(name="lab-kager", source="Kager, Wadman & Somjen (2000), retyped",
      params={"km_na": Param(7.7, "mM", ">0", "half-saturation by internal Na+"),
              "km_k": Param(2.0, "mM", ">0", "half-saturation by external K+")})
def lab_kager(rate_max, na_i, k_o, km_na, km_k):
    """rate_max·(k_o/(k_o + km_k))²·(na_i/(na_i + km_na))³ (cycles/s/µm²)."""
    na3 = na_i * na_i * na_i
    na_km = na_i + km_na
    k_km = k_o + km_k
    return rate_max * (na3 * k_o * k_o) / (na_km * na_km * na_km * (k_km * k_km))
'''

RUN = '''
import json, sys
import numpy as np
import nakpump as nk
names = nk.load_mechanisms(sys.argv[1])
built_in = nk.preset("cortical")
user = built_in.replace(**{"pump.kind": "lab-kager"})
proto = [nk.Stimulus(amplitude=8.0, start=20.0, stop=380.0), nk.PumpBlock(start=200.0)]
rec = ["v", "na_i", "k_i"]
a = nk.simulate(built_in, 400.0, proto, record=rec, method="fixed")
b = nk.simulate(user, 400.0, proto, record=rec, method="fixed")
pa = nk.simulate_population(built_in, 400.0, proto, n=3,
                            parameters={"pump.rate_max": [5e4, 8e4, 1.2e5]}, record=rec)
pb = nk.simulate_population(user, 400.0, proto, n=3,
                            parameters={"pump.rate_max": [5e4, 8e4, 1.2e5]}, record=rec)
print(json.dumps({
    "names": names, "kind": user.pump.kind,
    "spikes": [a.spike_time.size, b.spike_time.size],
    "cell_diff": max(float(abs(a[n] - b[n]).max() / abs(a[n]).max()) for n in rec),
    "pop_diff": max(float(abs(pa[n] - pb[n]).max() / abs(pa[n]).max()) for n in rec),
    "conservation": nk.conservation(b),
    "rest_v": [nk.resting_state(built_in).v, nk.resting_state(user).v],
}))
'''


def test_a_user_pump_file_runs_as_the_built_in_does(tmp_path):
    (tmp_path / "lab_kager.py").write_text(LAB_KAGER)
    (tmp_path / "run.py").write_text(RUN)
    out = subprocess.run([sys.executable, str(tmp_path / "run.py"),
                          str(tmp_path / "lab_kager.py")], capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["names"] == ["lab-kager"] and got["kind"] == "lab-kager"
    assert got["spikes"][0] == got["spikes"][1] > 5
    # the same arithmetic in the same kernels: equal to rounding
    assert got["cell_diff"] < 1e-12
    assert got["pop_diff"] < 1e-12
    for ion in ("na", "k", "cl"):
        assert got["conservation"][ion] < 1e-9
    assert got["rest_v"][1] == pytest.approx(got["rest_v"][0], abs=1e-9)


BAD = {
    "missing unit": ('params={"km": Param(1.0, "")}', "def f(na_i, km):\n    return na_i / km",
                     "unit"),
    "unknown unit": ('params={"km": Param(1.0, "bananas")}',
                     "def f(na_i, km):\n    return na_i / km", "a unit pint understands"),
    "bad range": ('params={"km": Param(1.0, "mM", "positive")}',
                  "def f(na_i, km):\n    return na_i / km", "'lo..hi'"),
    "default out of range": ('params={"km": Param(-1.0, "mM", ">0")}',
                             "def f(na_i, km):\n    return na_i / km", "> 0"),
    "unknown variable": ('params={"km": Param(1.0, "mM")}',
                         "def f(na_i, ca_o, km):\n    return na_i / km", "ca_o"),
    "undeclared parameter": ("params={}", "def f(na_i, km):\n    return na_i / km", "'km'"),
    "name clash": ('name="kager", params={}', "def f(na_i):\n    return na_i", "not taken"),
    "non-jittable": ("params={}", "def f(na_i):\n    return float(str(na_i))",
                     "numba can compile"),
    "not finite at rest": ("params={}", "def f(k_o):\n    return math.log(k_o - 10.0)",
                           "a finite number"),
    "untracked ion": ('params={}, moves={"ca": -1.0}', "def f(na_i):\n    return na_i",
                      "ions the cell tracks"),
    "charge mismatch": ('params={}, moves={"na": -3.0, "k": 3.0, "atp": -1.0}',
                        "def f(na_i):\n    return na_i", "this one moves +0"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_bad_mechanism_file_gets_its_error(tmp_path, case):
    decl, body, message = BAD[case]
    if "name=" not in decl:
        decl = 'name="bad-pump", ' + decl
    text = textwrap.dedent(f'''
        import math
        from nakpump.mechanisms import Param, pump

        @pump({decl})
        ''') + body + "\n"
    path = tmp_path / f"{case.replace(' ', '_')}.py"
    path.write_text(text)
    before = list(PUMPS)
    with pytest.raises(nk.SpecError, match=re.escape(message)):
        load_mechanisms(path)
    assert list(PUMPS) == before  # nothing half-registered


@pytest.mark.parametrize("text, message", [("def broken(:\n", "a file that runs"),
                                           ("x = 1\n", "declares at least one mechanism")])
def test_files_that_do_not_declare_a_pump_are_refused(tmp_path, text, message):
    path = tmp_path / "m.py"
    path.write_text(text)
    with pytest.raises(nk.SpecError, match=message):
        load_mechanisms(path)
    with pytest.raises(nk.SpecError, match="an existing Python file"):
        load_mechanisms(tmp_path / "absent.py")


def test_parameters_take_their_declared_units():
    assert parameter_unit("pump.km_na") == "mM"  # kager and luo-rudy agree
    assert parameter_unit("pump.k3_back") == "1/(mM^2*s)"  # only the reversible pump has it
    assert parameter_unit("pump.rate_max") == "1/(s*um^2)"
    assert parameter_unit("pump.half") is None  # no pump has it: not oxygen's mg/L
    assert parameter_unit("oxygen.half") == "mg/L"


def test_the_pump_form_of_a_preset_can_be_swapped_by_name():
    cell = nk.preset("cortical", **{"pump.kind": "sigmoid", "pump.na_half": 20.0})
    assert cell.pump.kind == "sigmoid" and cell.pump.na_half == 20.0
    assert cell.pump.k_half == PUMPS["sigmoid"].params["k_half"].default
    with pytest.raises(nk.SpecError, match="parameters of the sigmoid pump"):
        nk.preset("cortical", **{"pump.kind": "sigmoid", "pump.km_na": 3.0})
    with pytest.raises(nk.SpecError, match="one of kager"):
        nk.preset("cortical", **{"pump.kind": "nope"})
    with pytest.raises(nk.SpecError, match="≥ -1 and ≤ 1"):
        nk.ReversiblePump(rate_max=1.0, temp_ref_c=37.0, delta_k_o=2.0)
