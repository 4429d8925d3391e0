"""Property tests of the command line's contract for bad input (issue 19), run in process.

Where the facts asserted come from: the docstring of nakpump/cli.py (and the README's
command-line section) promise that bad input "prints one line naming the field, the value
and what is allowed, and exits with status 2: no traceback, no partial output file", that
"a run that fails numerically (IntegrationError) prints its cell, time and culprits and
exits 3", and that an output file is written only by a run that finished. So for every
input generated here, driven through typer's CliRunner on `nakpump.cli.app`:

  1. the exit status is 0, 2 or 3;
  2. no exception escapes the command other than SystemExit (typer.Exit);
  3. on a non-zero status, stderr is exactly one line and it starts "nakpump: error:"
     (lines starting "nakpump: warning:" are allowed besides);
  4. the output file (-o out.nc) exists if and only if the status is 0;
  5. stderr is shorter than 500 characters;
  6. the command returns within TIMEOUT seconds (no hang).

Inputs: (a) scenario TOML files made by mutating a valid short scenario (hh-1952 or
cortical, 2 ms): keys, value types, units, numbers (nan, inf, negative, huge) and event
tables; (b) argument lists for `run --preset ... --duration ... --set ... --stimulus ...`
and `rest --set ...` from sampled fragments. The values that set how much work a valid run
does (duration, dt, record interval, rtol) come from short lists, so that a run that is
accepted stays short; the hostile corpus (benchmarks/hostile.py) covers huge ones.

Examples per test: a few hundred in all by default; NAKPUMP_FUZZ_EXAMPLES=10000 sets the
number for every test (the nightly run). No example database is written (database=None).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("hypothesis", minversion="6.100")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from nakpump.cli import app  # noqa: E402

TIMEOUT = 60.0  # s per example: longer is a hang
NIGHTLY = int(os.environ.get("NAKPUMP_FUZZ_EXAMPLES", "0") or 0)


def examples(default: int):
    return settings(max_examples=NIGHTLY or default, deadline=None, database=None)


try:  # click < 8.2 mixes stderr into stdout unless told not to
    RUNNER = CliRunner(mix_stderr=False)
except TypeError:  # click >= 8.2 and typer's own runner keep them apart
    RUNNER = CliRunner()


# ---------------------------------------------------------------------------- checking

class Hang(BaseException):
    """Raised by the alarm; a BaseException, so no `except Exception` in nakpump hides it."""


@contextlib.contextmanager
def time_limit(seconds: float):
    def alarm(_signum, _frame):
        raise Hang(f"no exit within {seconds:g} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module", autouse=True)
def _bounded():
    """One numba thread (benchmarks may run beside the tests) and a cap on address space,
    so an input that asks for the impossible fails the test instead of the machine."""
    import numba

    threads = numba.get_num_threads()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = 8 * 2**30 if hard == resource.RLIM_INFINITY else min(8 * 2**30, hard)
    numba.set_num_threads(1)
    if soft == resource.RLIM_INFINITY or soft > cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        numba.set_num_threads(threads)


def invoke(args: list[str], output: Path | None = None) -> None:
    """Run `nakpump args` in process and assert the contract (module docstring)."""
    try:
        with time_limit(TIMEOUT):
            result = RUNNER.invoke(app, args)
    except Hang:
        pytest.fail(f"hang: nakpump {args!r} ran longer than {TIMEOUT:g} s")
    status, stderr, exc = result.exit_code, result.stderr, result.exception
    where = f"nakpump {args!r}\nstatus {status}\nstderr:\n{stderr}"
    if exc is not None and not isinstance(exc, SystemExit):
        # re-raised from where it was raised, so Hypothesis tells distinct bugs apart
        if hasattr(exc, "add_note"):
            exc.add_note(f"uncaught by the command line: {where}")
        raise exc
    assert status in (0, 2, 3), where
    if status != 0:
        lines = [ln for ln in stderr.splitlines() if not ln.startswith("nakpump: warning:")]
        assert len(lines) == 1, f"not one error line\n{where}"
        assert lines[0].startswith("nakpump: error:"), f"not 'nakpump: error:'\n{where}"
    if output is not None:
        assert output.exists() == (status == 0), (
            f"output {'left behind' if output.exists() else 'missing'}\n{where}")
    assert len(stderr) < 500, f"stderr of {len(stderr)} characters\n{where}"


# ----------------------------------------------------------------------- value fragments

def _float_text(x: float) -> str:
    return repr(x)  # 'nan', 'inf', '-inf', '1e+308', '5e-324', '-0.0': all valid TOML too


NUMBER_TEXT = st.one_of(
    st.sampled_from(["0", "-1", "1", "2", "8", "-70", "0.5", "1e308", "-1e308", "1e-308",
                     "1e999", "nan", "inf", "-inf", "NaN", "1_000", "\u22128", "0x10", "1e",
                     "9223372036854775807"]),
    st.floats().map(_float_text),
    st.integers(-10**6, 10**6).map(str),
)
UNITS = st.sampled_from(["", " ", " mM", "mM", " M", " uM", " µM", " mV", " V", " ms", " s",
                         " min", " uA/cm^2", " mS/cm^2", " uF/cm^2", " um", " um^2", " pL",
                         " degC", " K", " Hz", " %", " kJ/mol", " 1/(s*um^2)", " parsec",
                         " mM mM", " furlong", " kg"])
QUANTITY_TEXT = st.builds(lambda n, u: n + u, NUMBER_TEXT, UNITS)
WORDS = st.sampled_from(["", " ", "abc", "true", "false", "yes", "none", "None", "[]", "{}",
                         "kager", "hh", "traub", "dynamic", "fixed", "na", "k", "x" * 600])
CLI_VALUE = st.one_of(QUANTITY_TEXT, WORDS)

# TOML literals: numbers, quoted quantities, other types
TOML_NUMBER = st.one_of(
    st.sampled_from(["0", "-1", "1", "2", "1e308", "-1e308", "1e-308", "nan", "inf", "-inf",
                     "9223372036854775807", "-9223372036854775808"]),
    st.floats().map(_float_text),
    st.integers(-10**6, 10**6).map(str),
)
TOML_OTHER = st.sampled_from(["true", "false", '""', '"abc"', "[]", "[1, 2]", '["x"]', "{}",
                              "{a = 1}", "1979-05-27", "1979-05-27T07:32:00Z", "07:32:00",
                              '"\\u0000"', '"' + "x" * 600 + '"'])
TOML_VALUE = st.one_of(TOML_NUMBER, QUANTITY_TEXT.map(json.dumps), TOML_OTHER)


def toml_from(*texts: str):
    """Quoted TOML strings from a short list (values that set how long a valid run is)."""
    return st.sampled_from([json.dumps(t) for t in texts])


# the values that decide how much work an accepted run does: short lists, bad ones included
DURATION = st.one_of(toml_from("2 ms", "1 ms", "0.5ms", "2", "0", "-1 ms", "nan", "1 parsec",
                               "2 mV", "1e30 s", "", "abc", "1e-300 ms"),
                     st.sampled_from(["2", "1.5", "0", "-2", "nan", "inf", "true", "[2]",
                                      "{a = 1}", "1979-05-27"]))
DT = toml_from("0.025 ms", "0.01", "0.05 ms", "0", "-0.025", "nan", "1 s", "abc", "5 mV")
INTERVAL = toml_from("0.1 ms", "1 ms", "0.5", "0", "-1 ms", "nan", "abc", "1 mV")
TOLERANCE = st.sampled_from(["1e-6", "1e-4", "0", "-1", "nan", '"abc"', "true", "2"])

TOP_KEYS = ["mechanisms", "preset", "published", "cell", "v_rest", "method", "scheme", "dt",
            "solver", "rtol", "atol", "h_max", "threshold", "nonsense", "events", "record",
            "parameters", "population", "duration"]
KEY_VALUES = {
    "preset": st.one_of(toml_from("hh-1952", "cortical", "nonsense", "", "hh-squid"),
                        TOML_OTHER),
    "method": st.one_of(toml_from("auto", "fixed", "adaptive", "reference", "nonsense", ""),
                        TOML_OTHER),
    "scheme": st.one_of(toml_from("strang", "euler", "nonsense"), TOML_OTHER),
    "solver": st.one_of(toml_from("LSODA", "Radau", "BDF", "nonsense"), TOML_OTHER),
    "published": st.sampled_from(["true", "false", '"yes"', "1"]),
    "mechanisms": st.sampled_from(["[]", '"x"', "[1]", '["/nonexistent/pump.py"]']),
    "dt": DT, "rtol": TOLERANCE, "atol": TOLERANCE, "duration": DURATION,
    "h_max": toml_from("50 ms", "1 ms", "0", "-1", "nan", "abc"),
}
PARAMETER_NAMES = ["ions.k_o", "ions.na_i", "ions.k_i", "ions.cl_o", "temp_c", "capacitance",
                   "area", "volume", "v_init", "leak.g_na", "leak.g_k", "channels.g_na",
                   "channels.q10", "channels.kind", "pump.rate_max", "pump.km_na", "pump.kind",
                   "atp", "dg_atp", "outside_volume", "pump_electrogenic", "concentrations",
                   "stim_ion", "name", "glia", "nonsense", "ions.nonsense", "ions", "v_rest",
                   "published"]
RECORD_NAMES = ["v", "na_i", "k_i", "i_pump", "e_na", "nonsense", "", "spike_time"]
EVENT_TYPES = ["stimulus", "pulse_train", "pump_block", "atp_change", "bath_change",
               "voltage_clamp", "potassium_puff", "oxygen_change", "metabolic_block",
               "ouabain", "nonsense"]
EVENT_FIELDS = ["amplitude", "start", "stop", "width", "frequency", "n_pulses", "fraction",
                "atp", "na_o", "k_o", "cl_o", "v", "o2", "concentration", "ion", "along",
                "colour"]
EVENT_TIME = st.one_of(toml_from("0 ms", "0.5 ms", "1 ms", "1.5", "3 ms", "-1 ms", "nan",
                                 "1 parsec", "1 mV", "1e30 s"),
                       st.sampled_from(["0", "1", "-1", "1e308", "nan", "inf", "true", "[]"]))
EVENT_VALUE = st.one_of(TOML_VALUE, EVENT_TIME)


# ---------------------------------------------------------------------- (a) scenario files

@st.composite
def scenarios(draw) -> str:
    """A valid 2 ms scenario with some of its keys replaced, removed or added, and maybe
    [parameters], [record], [population] and [[events]] tables."""
    top = {"preset": draw(toml_from("hh-1952", "cortical")), "duration": json.dumps("2 ms")}
    for key in draw(st.lists(st.sampled_from(TOP_KEYS), max_size=3, unique=True)):
        top[key] = draw(KEY_VALUES.get(key, TOML_VALUE))
    for key in draw(st.lists(st.sampled_from(["preset", "duration"]), max_size=1)):
        top.pop(key, None)
    lines = [f"{key} = {value}" for key, value in top.items()]
    if draw(st.booleans()):
        params = draw(st.dictionaries(st.sampled_from(PARAMETER_NAMES), TOML_VALUE, min_size=1,
                                      max_size=3))
        lines += ["[parameters]"] + [f"{json.dumps(k)} = {v}" for k, v in params.items()]
    if draw(st.integers(0, 3)) == 0:
        record = draw(st.fixed_dictionaries({}, optional={
            "variables": st.one_of(st.lists(st.sampled_from(RECORD_NAMES), max_size=3)
                                   .map(json.dumps), TOML_OTHER),
            "interval": INTERVAL, "other": TOML_VALUE}))
        lines += ["[record]"] + [f"{k} = {v}" for k, v in record.items()]
    if draw(st.integers(0, 5)) == 0:
        population = draw(st.fixed_dictionaries(
            {"cells": st.sampled_from(["2", "3", "0", "-1", "1.5", '"abc"', "true"])},
            optional={"seed": st.sampled_from(["1", "-1", '"x"', "1.5"]),
                      "start": toml_from("stored", "rest", "nonsense"),
                      "threads": st.sampled_from(["1", "0", "1000", '"x"'])}))
        lines += ["[population]"] + [f"{k} = {v}" for k, v in population.items()]
        if draw(st.booleans()):
            dist = draw(st.sampled_from(
                ['{dist = "normal", mean = 4, sd = 1}', '{dist = "uniform", low = 5, high = 1}',
                 '{dist = "lognormal", mean = 0, sd = 1}', '{dist = "values", values = []}',
                 '{dist = "nonsense"}', '{dist = "normal", mean = nan, sd = 1}', '"x"']))
            name = draw(st.sampled_from(["ions.k_o", "pump.rate_max", "nonsense",
                                         "protocol[0].amplitude"]))
            lines += ["[population.parameters]", f"{json.dumps(name)} = {dist}"]
    for event in draw(st.lists(st.fixed_dictionaries(
            {"type": st.one_of(toml_from(*EVENT_TYPES), TOML_OTHER)},
            optional={f: EVENT_VALUE for f in EVENT_FIELDS}), max_size=3)):
        if draw(st.integers(0, 9)) == 0:
            event.pop("type")
        lines += ["[[events]]"] + [f"{k} = {v}" for k, v in event.items()]
    return "\n".join(lines) + "\n"


@examples(150)
@given(text=scenarios())
def test_scenario_files_meet_the_contract(text):
    with tempfile.TemporaryDirectory() as tmp:
        scenario, out = Path(tmp, "scenario.toml"), Path(tmp, "out.nc")
        scenario.write_text(text)
        invoke(["run", str(scenario), "-o", str(out)], out)


# ------------------------------------------------------------------- (b) argument lists

SET_ITEM = st.one_of(
    st.builds(lambda name, value: f"{name}={value}", st.sampled_from(PARAMETER_NAMES),
              CLI_VALUE),
    st.sampled_from(["=", "=5", "ions.k_o", "ions.k_o==8", "ions.k_o=8=9", " = ",
                     "ions.k_o=8 mM", "x" * 600 + "=1"]),
)
SPAN = st.one_of(
    st.builds(lambda a, b: a + b, QUANTITY_TEXT, st.one_of(st.just(""),
                                                            QUANTITY_TEXT.map(":".__add__))),
    st.sampled_from(["", ":", "1:2:3", "abc", "@1"]),
)
STIMULUS = st.one_of(
    st.builds(lambda amp, when: amp + when, QUANTITY_TEXT,
              st.one_of(st.just(""), SPAN.map("@".__add__))),
    st.sampled_from(["", "@", "10@", "@1ms", "10@@1", "10 uA/cm^2@1ms:1.5ms"]),
)
CLI_DURATION = st.sampled_from(["2ms", "1 ms", "0.5ms", "2", "0", "-1ms", "nan", "inf",
                                "1 parsec", "1e30 s", "", "2 mV", "abc", "1e-300 ms"])
CLI_DT = st.sampled_from(["0.025 ms", "0.01", "0.05ms", "0", "-0.025", "nan", "inf", "1 s",
                          "abc", "5 mV", ""])


@st.composite
def run_arguments(draw) -> list[str]:
    args = ["run", "--preset", draw(st.sampled_from(["hh-1952", "hh-1952", "cortical",
                                                     "hh-squid", "nonsense", ""])),
            "--duration", draw(CLI_DURATION)]
    for _ in range(draw(st.integers(0, 3))):
        args += ["--set", draw(SET_ITEM)]
    for _ in range(draw(st.integers(0, 2))):
        args += ["--stimulus", draw(STIMULUS)]
    if draw(st.integers(0, 3)) == 0:
        args += ["--pump-block", draw(SPAN)]
    if draw(st.integers(0, 3)) == 0:
        args += ["--dt", draw(CLI_DT)]
    if draw(st.integers(0, 3)) == 0:
        args += ["--method", draw(st.sampled_from(["auto", "fixed", "adaptive", "reference",
                                                   "nonsense", ""]))]
    if draw(st.integers(0, 4)) == 0:
        args += [draw(st.sampled_from(["--rtol", "--atol"])),
                 draw(st.sampled_from(["1e-6", "0", "-1", "nan", "abc", ""]))]
    if draw(st.integers(0, 4)) == 0:
        args += ["--scheme", draw(st.sampled_from(["strang", "euler", "nonsense"]))]
    return args


@examples(120)
@given(args=run_arguments())
def test_run_arguments_meet_the_contract(args):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "out.nc")
        invoke([*args, "-o", str(out)], out)


@examples(60)
@given(preset=st.sampled_from(["cortical", "cortical", "hh-squid", "cortical-reversible",
                               "hh-1952", "nonsense"]),
       items=st.lists(SET_ITEM, min_size=1, max_size=3), as_json=st.booleans())
def test_rest_arguments_meet_the_contract(preset, items, as_json):
    args = ["rest", "--preset", preset]
    for item in items:
        args += ["--set", item]
    invoke(args + (["--json"] if as_json else []))
