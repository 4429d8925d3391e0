"""Every bad input gets one line naming the field (issue 19, classes 5 and 6), in the
command line and the Python API alike.

The facts asserted are the CLI contract (README, nakpump.cli): bad input exits 2 with one
line "nakpump: error: FIELD = VALUE is not allowed: WHAT IS", no traceback, no output
file; and the limits the code documents (storage, simulate.MAX_DURATION, MAX_STEPS,
check_memory, protocols.MAX_TRAIN_HZ, MAX_PULSES, presets.V_REST_RANGE).
"""

import json

import h5py
import pytest

import nakpump as nk
from nakpump.errors import SpecError
from nakpump.protocols import PulseTrain, Stimulus
from tests.clitools import assert_refused, invoke

REST = ("rest", "--preset", "cortical")
RUN = ("run", "--preset", "hh-1952", "--duration", "5ms")


@pytest.mark.parametrize("setting, fragments", [
    ("v_rest=nan", ["v_rest", "finite"]),
    ("v_rest=-60 mA", ["v_rest", "a voltage"]),
    ("v_rest=+40", ["v_rest", "-120 to 0 mV"]),
    ("published=true", ["--published"]),
    ("pump_electrogenic=maybe", ["pump_electrogenic"]),
    ("ions.k_o=8 mV", ["ions.k_o", "a concentration"]),
    ("nonsense.field=1", ["nonsense.field", "a parameter name"]),
    ("=3", ["--set"]),
])
def test_set_errors_name_the_field(setting, fragments):
    assert_refused(invoke(*REST, "--set", setting), *fragments)


def test_set_takes_text_and_switches():
    # the cell's own name and its on/off switches are settable, not a traceback
    result = invoke(*REST, "--set", "name=my-cell", "--set", "v_rest=-65 mV", "--json")
    assert result.exit_code == 0, result.stderr
    assert '"preset": "my-cell"' in result.stdout
    assert invoke("run", "--preset", "cortical", "--duration", "2ms", "--set",
                  "pump_electrogenic=false").exit_code == 0


@pytest.mark.parametrize("content, fragment", [
    (b"\x00\x01\xff\xfe", "UTF-8"),
    ("preset = 'hh-1952'\nduration = '5 ms'\n# caf\xe9\n".encode("latin-1"), "UTF-8"),
    (b"preset = [\"x\"]\nduration = \"5 ms\"\n", "a preset's name"),
    (b"preset = \"hh-1952\"\nduration = true\n", "duration"),
    (("preset = 'hh-1952'\nduration = '5 ms'\nx = " + "{a = " * 600 + "1" + "}" * 600)
     .encode(), "nested"),
    (b"preset = \"hh-1952\"\nduration = \"5 ms\"\n[[events]]\ntype = \"pulse_train\"\n"
     b"amplitude = 5\nfrequency = \"1 MHz\"\nwidth = 0.0001\nn_pulses = 3\n",
     "pulse_train.frequency"),
])
def test_malformed_scenario_files_are_refused_naming_what(tmp_path, content, fragment):
    scenario = tmp_path / "s.toml"
    scenario.write_bytes(content)
    out = tmp_path / "o.nc"
    assert_refused(invoke("run", scenario, "-o", out), fragment)
    assert not out.exists()


def test_a_directory_as_the_scenario_is_refused(tmp_path):
    assert_refused(invoke("run", tmp_path), "scenario", "not a directory")


def test_a_result_with_a_corrupt_scenario_is_refused(tmp_path):
    out = tmp_path / "r.nc"
    assert invoke(*RUN, "-o", out).exit_code == 0
    with h5py.File(out, "a") as f:
        f.attrs["scenario"] = "{not json"
    assert_refused(invoke("run", out), "scenario attribute")
    out.write_bytes(b"not a netcdf file")
    assert_refused(invoke("run", out), "result", "NetCDF")


@pytest.mark.parametrize("args, fragments", [
    (("--duration", "1e30 s"), ["duration", "116 days"]),
    (("--duration", "5ms", "--dt", "1e-12ms"), ["dt", "steps"]),
    (("--duration", "1000s", "--method", "adaptive", "--rtol", "1e-6"), []),
])
def test_runs_that_would_never_end_or_not_fit_are_refused_first(args, fragments):
    result = invoke("run", "--preset", "hh-1952", *args)
    if fragments:
        assert_refused(result, *fragments)
    else:  # the control: a long run that fits is accepted
        assert result.exit_code == 0, result.stderr


def test_api_wrong_types_get_spec_errors_naming_the_field(hh):
    cases = [
        (lambda: nk.preset(["x"]), "preset"),
        (lambda: nk.preset("cortical", v_rest=float("nan")), "v_rest"),
        (lambda: nk.simulate(hh, 5.0, Stimulus(amplitude=1.0)), "protocol"),
        (lambda: nk.simulate(hh, 50.0, dt=1e-9), "dt"),
        (lambda: nk.simulate(hh, 5000.0, method="adaptive", h_max=1e-9), "h_max"),
        (lambda: nk.simulate(hh, 1e9, method="adaptive", record_interval=1e-3),
         "record_interval"),
        (lambda: nk.simulate_population(nk.preset("hh-squid"), 5.0, n=10**8), "cells"),
        (lambda: PulseTrain(amplitude=1.0, frequency=1000.0, width=0.1, stop=1e10),
         "pulse_train"),
    ]
    for call, field in cases:
        with pytest.raises(SpecError) as caught:
            call()
        assert caught.value.field == field
        assert len(str(caught.value)) < 800


def test_v_rest_takes_a_quantity():
    # a resting potential given with its unit is the same as the number in mV
    assert nk.preset("cortical", v_rest="-65 mV") == nk.preset("cortical", v_rest=-65.0)


def test_long_values_are_clipped_in_the_message():
    with pytest.raises(SpecError) as caught:
        nk.preset("x" * 3_000_000)
    assert len(str(caught.value)) < 800 and "(3000002 characters)" in str(caught.value)


def test_axon_runs_refuse_options_they_would_ignore(tmp_path):
    for option in (("--csv", tmp_path / "a.csv"), ("--method", "adaptive"), ("--rtol", "1e-6"),
                   ("--published",)):
        assert_refused(invoke("run", "--preset", "hh-axon", "--duration", "1ms", *option),
                       option[0], "axon")


def test_presets_lists_the_axons_too():
    result = invoke("presets", "--json")
    assert result.exit_code == 0
    kinds = {row["name"]: row["kind"] for row in json.loads(result.stdout)}
    assert kinds["hh-axon"] == "axon" and kinds["cortical"] == "cell"
    assert_refused(invoke("presets", "show", "hh-axon"), "a cell preset")


def test_a_run_recording_nothing_reports_without_crashing(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text('preset = "hh-1952"\nduration = "5 ms"\n[record]\nvariables = []\n')
    result = invoke("run", scenario, "-o", tmp_path / "o.nc")
    assert result.exit_code == 0, result.stderr
    assert "(not recorded)" in result.stdout
