"""The pump exported as NMODL (nakpump.nmodl) runs in NEURON as it does in nakpump.

For the Kager pump of `cortical` and the reversible Post–Albers pump of
`cortical-reversible`: the exported mod file, compiled with nrnivmodl and run in the
peer's NEURON cell (tests/peers/neuron_cortical.py, CVODE rtol 1e-10), against nakpump's
reference integrator (rtol 1e-10) under the same drive over 500 ms: the same spike count,
spike times within 0.005 ms and [Na]i within 1e-5 relative (both integrators at 1e-10:
measured 5e-5 ms and 1.2e-7; test_neuron.py's targets for the hand-written peer pump are
0.1 ms and 0.1 %).
Skipped, saying why, where NEURON or a compiler is missing.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nakpump as nk
from nakpump.nmodl import pump_mod

pytest.importorskip("neuron", reason="NEURON is not installed (pip install neuron)")

HERE = Path(__file__).resolve().parent
DURATION, DRIVE, START = 500.0, 6.0, 100.0


@pytest.mark.parametrize("preset", ["cortical", "cortical-reversible"])
def test_exported_pump_runs_in_neuron_as_in_nakpump(preset, tmp_path):
    env = {**os.environ,  # nrnivmodl sits beside the interpreter in a virtualenv
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    proc = subprocess.run([sys.executable, str(HERE / "nmodl_export_run.py"), preset,
                           str(tmp_path), str(DURATION), str(DRIVE), str(START)],
                          capture_output=True, text=True, timeout=600, cwd=HERE, env=env)
    if proc.returncode != 0 and "nrnivmodl" in proc.stderr:
        pytest.skip(f"NEURON mechanisms could not be built here: {proc.stderr[-300:]}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    nrn = json.loads(proc.stdout.strip().splitlines()[-1])
    cell = nk.preset(preset)
    ref = nk.simulate(cell, DURATION, [nk.Stimulus(amplitude=DRIVE, start=START)],
                      method="reference", rtol=1e-10, atol=1e-10, record=["v", "na_i"],
                      record_interval=1.0)
    t_ref, t_nrn = ref.spike_time.values, np.array(nrn["spikes"])
    assert t_ref.size > 5 and t_nrn.size == t_ref.size
    assert np.max(np.abs(t_nrn - t_ref)) < 0.005  # ms (measured: 5e-5 for both pumps)
    na_nrn = np.interp(ref.time.values, nrn["t"], nrn["nai"])
    assert np.max(np.abs(na_nrn / ref.na_i.values - 1.0)) < 1e-5  # (measured: 1.2e-7)


def test_export_refuses_what_it_cannot_translate(tmp_path):
    path = tmp_path / "odd_pump.py"
    path.write_text(
        "from nakpump.mechanisms import Param, pump\n\n"
        "@pump(name='odd-export', params={'km': Param(1.0, 'mM', '>0')})\n"
        "def odd(na_i, km):\n"
        "    return na_i / km if na_i > 0.0 else 0.0\n")
    script = (f"import nakpump as nk\nnk.load_mechanisms({str(path)!r})\n"
              "from nakpump.nmodl import pump_mod\n"
              "cell = nk.preset('cortical', **{'pump.kind': 'odd-export'})\n"
              "try:\n    pump_mod(cell)\nexcept nk.SpecError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=600)
    assert "nmodl export of pump 'odd-export'" in out.stdout, out.stderr[-2000:]
    assert "numbers, names and math.exp" in out.stdout


def test_exported_parameters_are_the_cells():
    pump = nk.preset("cortical-reversible").pump
    text = pump_mod(nk.preset("cortical-reversible"))
    for name in pump.mechanism.params:
        assert f"    {name} = {getattr(pump, name)!r}" in text, name
    assert "SUFFIX nkp_reversible_export" in text
    assert "USEION na READ nai, nao WRITE ina" in text
