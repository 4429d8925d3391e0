"""Property tests of the command line's contract for bad input (issue 19), run in process.

Where the facts asserted come from: the docstring of nakpump/cli.py (and the README's
command-line section) promise that bad input "prints one line naming the field, the value
and what is allowed, and exits with status 2: no traceback, no partial output file", that
"a run that fails numerically (IntegrationError) prints its cell, time and culprits and
exits 3", and that an output file is written only by a run that finished. So for every
input generated here, driven through typer's CliRunner on `nakpump.cli.app`:

  1. the exit status is 0, 2 or 3;
  2. no exception escapes the command other than SystemExit (typer.Exit): the runs set
     NAKPUMP_DEBUG=1, so that one the command line would print as "nakpump: internal
     error" (status 1) is raised where it rose, and Hypothesis tells such bugs apart;
  3. on a non-zero status, stderr is exactly one line and it starts "nakpump: error:"
     (lines starting "nakpump: warning:" are allowed besides);
  4. the output file (-o out.nc) exists if and only if the status is 0;
  5. stderr is shorter than 500 characters;
  6. the command returns within TIMEOUT seconds (no hang).

Inputs: (a) scenario TOML files made by mutating a valid short scenario (hh-1952,
cortical or hh-squid, 2 ms): keys, value types, units, numbers (nan, inf, negative, huge)
and event tables; (b) argument lists for `run --preset ... --duration ... --set ...
--stimulus ...` and `rest --set ...` from sampled fragments. Each fragment is plausible
three times in four (`mostly`), so most inputs get past the first check and the hostile
fragment meets the code behind it. The values that set how much work an accepted run does
(duration, dt, record interval, tolerances) come from short lists, so accepted runs stay
short; the hostile corpus (benchmarks/hostile.py) covers the huge ones.

Examples per test: a few hundred in all by default; NAKPUMP_FUZZ_EXAMPLES=10000 sets the
number for every test (the nightly run). No example database is written (database=None).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
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
            result = RUNNER.invoke(app, args, env={"NAKPUMP_DEBUG": "1"})
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

def mostly(valid: st.SearchStrategy, hostile: st.SearchStrategy) -> st.SearchStrategy:
    """`valid` about three times in four (and when shrinking), so that most inputs get past
    the first check and a hostile fragment meets the code behind it."""
    return st.integers(0, 3).flatmap(lambda i: hostile if i == 3 else valid)


def amounts(lo: float, hi: float, unit: str) -> st.SearchStrategy[str]:
    """A plausible value as text: bare (taken in nakpump's unit) or with its unit."""
    return st.builds(lambda x, with_unit: f"{x:.6g} {unit}" if with_unit else f"{x:.6g}",
                     st.floats(lo, hi), st.booleans())


def toml(text: str) -> str:
    """Command-line text as a TOML value: numbers and booleans bare, the rest a string."""
    if text in ("true", "false", "nan", "inf", "-inf") or re.fullmatch(
            r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?", text):
        return text
    return json.dumps(text)


# plausible settings of the cells' parameters (hh-1952 has no pump: pump.* is refused there)
VALID_SETTINGS = {
    "ions.k_o": amounts(1, 20, "mM"), "ions.na_i": amounts(5, 40, "mM"),
    "ions.cl_o": amounts(50, 150, "mM"), "temp_c": amounts(5, 40, "degC"),
    "capacitance": amounts(0.5, 2, "uF/cm^2"), "leak.g_na": amounts(0, 0.1, "mS/cm^2"),
    "leak.g_k": amounts(0.01, 0.5, "mS/cm^2"), "channels.g_na": amounts(10, 150, "mS/cm^2"),
    "v_init": amounts(-90, -50, "mV"), "atp": amounts(0.5, 5, "mM"),
    "pump.rate_max": amounts(1e4, 1e6, "1/(s*um^2)"),
    "pump_electrogenic": st.sampled_from(["true", "false"]),
    "stim_ion": st.sampled_from(["k", "na"]),
}
HOSTILE_NAMES = [*VALID_SETTINGS, "ions.k_i", "area", "volume", "channels.q10",
                 "channels.kind", "pump.km_na", "pump.kind", "dg_atp", "outside_volume",
                 "concentrations", "name", "glia", "nonsense", "ions.nonsense", "ions",
                 "v_rest", "published"]

NUMBER_TEXT = st.one_of(
    st.sampled_from(["0", "-1", "1", "-70", "1e308", "-1e308", "1e-308", "1e999", "nan",
                     "inf", "-inf", "NaN", "1_000", "\u22128", "0x10", "1e",
                     "9223372036854775807"]),
    st.floats().map(repr),  # 'nan', 'inf', '1e+308', '5e-324', '-0.0', ...
    st.integers(-10**6, 10**6).map(str),
)
UNITS = st.sampled_from(["", " ", " mM", "mM", " M", " uM", " µM", " mV", " V", " ms", " s",
                         " min", " uA/cm^2", " mS/cm^2", " uF/cm^2", " um", " pL", " degC",
                         " K", " Hz", " %", " kJ/mol", " parsec", " mM mM", " furlong"])
HOSTILE_TEXT = st.one_of(
    st.builds(lambda n, u: n + u, NUMBER_TEXT, UNITS),
    st.sampled_from(["", " ", "abc", "true", "yes", "none", "[]", "{}", "kager", "traub",
                     "dynamic", "8\nmM", "x" * 600]))
HOSTILE_TOML = st.one_of(
    st.sampled_from(["0", "-1", "1e308", "-1e308", "1e-308", "nan", "inf", "-inf",
                     "9223372036854775807", "true", "false", '""', "[]", "[1, 2]", '["x"]',
                     "{}", "{a = 1}", "1979-05-27", "1979-05-27T07:32:00Z", "07:32:00",
                     '"\\u0000"', '"' + "x" * 600 + '"']),
    st.floats().map(repr),
    HOSTILE_TEXT.map(json.dumps),
)

SETTING = mostly(
    st.sampled_from(sorted(VALID_SETTINGS)).flatmap(
        lambda name: VALID_SETTINGS[name].map(lambda value: (name, value))),
    st.tuples(st.sampled_from(HOSTILE_NAMES), HOSTILE_TEXT))

# the values that decide how much work an accepted run does: short lists, bad ones included
DURATION = mostly(st.sampled_from(["2 ms", "1ms", "0.5 ms", "2", "0.002 s"]),
                  st.sampled_from(["0", "-1ms", "nan", "inf", "1 parsec", "1e30 s", "",
                                   "2 mV", "abc", "1e-300 ms", "1e999"]))
DT = mostly(st.sampled_from(["0.025 ms", "0.01", "0.05ms"]),
            st.sampled_from(["0", "-0.025", "nan", "inf", "1 s", "abc", "5 mV", ""]))
METHOD = mostly(st.sampled_from(["auto", "fixed", "adaptive", "reference"]),
                st.sampled_from(["nonsense", "", "FIXED", "LSODA"]))
SCHEME = mostly(st.sampled_from(["strang", "euler"]), st.sampled_from(["nonsense", ""]))
TIME = mostly(amounts(0, 2, "ms"), st.sampled_from(["-1 ms", "nan", "inf", "1 parsec",
                                                    "1 mV", "1e30 s", "abc", ""]))


# ---------------------------------------------------------------------- (a) scenario files

def _event(kind: str, fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({"type": st.just(json.dumps(kind)),
                                  **{k: v.map(toml) for k, v in fields.items()}},
                                 optional={"start": TIME.map(toml), "stop": TIME.map(toml)})


VALID_EVENTS = st.one_of(
    _event("stimulus", {"amplitude": amounts(-20, 50, "uA/cm^2")}),
    _event("pulse_train", {"amplitude": amounts(0, 50, "uA/cm^2"),
                           "frequency": amounts(1, 500, "Hz"),
                           "width": amounts(0.05, 1, "ms")}),
    _event("pump_block", {"fraction": amounts(0, 1, "1")}),
    _event("bath_change", {"k_o": amounts(1, 20, "mM")}),
    _event("voltage_clamp", {"v": amounts(-100, 40, "mV")}),
    _event("atp_change", {"atp": amounts(0.1, 5, "mM")}),
    _event("ouabain", {"concentration": amounts(0.001, 10, "uM")}),
    _event("metabolic_block", {"fraction": amounts(0, 1, "1")}),
)
EVENT_FIELDS = ["type", "amplitude", "start", "stop", "width", "frequency", "n_pulses",
                "fraction", "k_o", "v", "atp", "concentration", "ion", "along", "colour"]


@st.composite
def events(draw) -> dict[str, str]:
    """A valid event, or one with a field replaced, added or removed."""
    event = draw(VALID_EVENTS)
    if draw(st.integers(0, 3)) == 3:
        field = draw(st.sampled_from(EVENT_FIELDS))
        if draw(st.integers(0, 4)) == 4:
            event.pop(field, None)
        else:
            event[field] = draw(HOSTILE_TOML)
    return event


VALID_KEYS = {  # scenario keys and plausible values
    "method": METHOD.map(json.dumps), "scheme": SCHEME.map(json.dumps),
    "dt": DT.map(toml), "duration": DURATION.map(toml),
    "rtol": st.sampled_from(["1e-6", "1e-4", "0", "-1", "nan", '"abc"']),
    "atol": st.sampled_from(["1e-6", "1e-8", "0", "-1", "nan", "true"]),
    "h_max": mostly(st.just('"50 ms"'), st.sampled_from(["0", "-1", "nan", '"abc"'])),
    "threshold": mostly(amounts(-30, 20, "mV").map(toml), HOSTILE_TOML),
    "solver": mostly(st.sampled_from(['"LSODA"', '"Radau"', '"BDF"']), HOSTILE_TOML),
    "v_rest": mostly(amounts(-80, -60, "mV").map(toml), HOSTILE_TOML),
    "published": st.sampled_from(["true", "false", '"yes"', "1"]),
    "mechanisms": st.sampled_from(["[]", '"x"', "[1]", '["/nonexistent/pump.py"]']),
    "preset": mostly(st.sampled_from(['"hh-1952"', '"cortical"', '"hh-squid"']),
                     st.one_of(st.sampled_from(['"nonsense"', '"hh-axon"', '"CORTICAL"']),
                               HOSTILE_TOML)),
    "cell": HOSTILE_TOML, "nonsense": HOSTILE_TOML, "events": HOSTILE_TOML,
    "record": HOSTILE_TOML, "parameters": HOSTILE_TOML, "population": HOSTILE_TOML,
}


@st.composite
def scenarios(draw) -> str:
    """A valid 2 ms scenario with keys replaced, removed or added, and maybe [parameters],
    [record], [population] and [[events]] tables, mostly with plausible values."""
    top = {"preset": draw(st.sampled_from(['"hh-1952"', '"cortical"', '"hh-squid"'])),
           "duration": '"2 ms"'}
    for key in draw(st.lists(st.sampled_from(sorted(VALID_KEYS)), max_size=2, unique=True)):
        top[key] = draw(VALID_KEYS[key])
    if draw(st.integers(0, 9)) == 9:
        top.pop(draw(st.sampled_from(["preset", "duration"])))
    lines = [f"{key} = {value}" for key, value in top.items()]
    if draw(st.booleans()):
        settings_ = dict(draw(st.lists(SETTING, min_size=1, max_size=3)))
        lines += ["[parameters]"] + [f"{json.dumps(k)} = {toml(v)}" for k, v in settings_.items()]
    if draw(st.integers(0, 3)) == 0:
        record = draw(st.fixed_dictionaries({}, optional={
            "variables": mostly(st.lists(st.sampled_from(["v", "na_i", "k_i", "i_pump"]),
                                         max_size=3).map(json.dumps),
                                st.sampled_from(['["nonsense"]', '[""]', '"v"', "[1]"])),
            "interval": mostly(st.sampled_from(['"0.1 ms"', '"1 ms"', "0.5"]),
                               st.sampled_from(["0", '"-1 ms"', "nan", '"abc"', '"1 mV"'])),
            "other": HOSTILE_TOML}))
        lines += ["[record]"] + [f"{k} = {v}" for k, v in record.items()]
    if draw(st.integers(0, 5)) == 0:
        population = draw(st.fixed_dictionaries(
            {"cells": mostly(st.sampled_from(["2", "3"]),
                             st.sampled_from(["0", "-1", "1.5", '"abc"', "true"]))},
            optional={"seed": mostly(st.just("1"), st.sampled_from(["-1", '"x"', "1.5"])),
                      "start": mostly(st.sampled_from(['"stored"', '"rest"']),
                                      st.just('"nonsense"')),
                      "threads": mostly(st.just("1"), st.sampled_from(["0", "1000", '"x"']))}))
        lines += ["[population]"] + [f"{k} = {v}" for k, v in population.items()]
        if draw(st.booleans()):
            name = draw(st.sampled_from(["ions.k_o", "pump.rate_max", "nonsense",
                                         "protocol[0].amplitude"]))
            dist = draw(mostly(
                st.sampled_from(['{dist = "normal", mean = 4, sd = 0.5}',
                                 '{dist = "uniform", low = 2, high = 6}']),
                st.sampled_from(['{dist = "uniform", low = 5, high = 1}', '"x"',
                                 '{dist = "lognormal", mean = 0, sd = 1}',
                                 '{dist = "values", values = []}', '{dist = "nonsense"}',
                                 '{dist = "normal", mean = nan, sd = 1}'])))
            lines += ["[population.parameters]", f"{json.dumps(name)} = {dist}"]
    for event in draw(st.lists(events(), max_size=3)):
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

SET_ITEM = mostly(SETTING.map("=".join),
                  st.sampled_from(["=", "=5", "ions.k_o", "ions.k_o==8", "ions.k_o=8=9",
                                   " = ", "x" * 600 + "=1"]))
SPAN = st.builds(lambda start, stop: start + stop, TIME,
                 st.one_of(st.just(""), TIME.map(":".__add__)))
STIMULUS = mostly(
    st.builds(lambda amp, when: amp + when, amounts(-20, 50, "uA/cm^2"),
              st.one_of(st.just(""), SPAN.map("@".__add__))),
    st.one_of(st.builds(lambda amp, when: amp + when, HOSTILE_TEXT,
                        st.one_of(st.just(""), SPAN.map("@".__add__))),
              st.sampled_from(["", "@", "10@", "@1ms", "10@@1", "10@1:2:3"])))


@st.composite
def run_arguments(draw) -> list[str]:
    args = ["run", "--preset", draw(mostly(st.sampled_from(["hh-1952", "cortical", "hh-squid"]),
                                           st.sampled_from(["nonsense", "", "hh-axon"]))),
            "--duration", draw(DURATION)]
    for _ in range(draw(st.integers(0, 3))):
        args += ["--set", draw(SET_ITEM)]
    for _ in range(draw(st.integers(0, 2))):
        args += ["--stimulus", draw(STIMULUS)]
    if draw(st.integers(0, 3)) == 0:
        args += ["--pump-block", draw(SPAN)]
    if draw(st.integers(0, 3)) == 0:
        args += ["--dt", draw(DT)]
    if draw(st.integers(0, 3)) == 0:
        args += ["--method", draw(METHOD)]
    if draw(st.integers(0, 4)) == 0:
        args += [draw(st.sampled_from(["--rtol", "--atol"])),
                 draw(st.sampled_from(["1e-6", "1e-4", "0", "-1", "nan", "abc", ""]))]
    if draw(st.integers(0, 4)) == 0:
        args += ["--scheme", draw(SCHEME)]
    return args


@examples(120)
@given(args=run_arguments())
def test_run_arguments_meet_the_contract(args):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "out.nc")
        invoke([*args, "-o", str(out)], out)


@examples(60)
@given(preset=mostly(st.sampled_from(["cortical", "hh-squid", "cortical-reversible"]),
                     st.sampled_from(["hh-1952", "nonsense", ""])),
       items=st.lists(SET_ITEM, min_size=1, max_size=3), as_json=st.booleans())
def test_rest_arguments_meet_the_contract(preset, items, as_json):
    args = ["rest", "--preset", preset]
    for item in items:
        args += ["--set", item]
    invoke(args + (["--json"] if as_json else []))
