"""Hostile and unusual inputs through the real command line (issue 19); prints a table.

    python benchmarks/hostile.py [--limit N] [--only SUBSTRING] [--report /tmp/hostile.json]
                                 [--timeout 60] [--verbose]

The contract every invocation is held to (README, the docstring of nakpump/cli.py):
the process ends with status 0 (success), 2 (bad input: one line on stderr,
"nakpump: error: <field> = <value> is not allowed: <what is allowed>"), 3 (a run that
failed numerically: one line naming the cell and the time) or 128 + signal when
interrupted; never a Python traceback, never a hang; no file appears at an output path
unless the status is 0, and a file already there is never changed unless --overwrite
was given and the status is 0. Lines starting "nakpump: warning:" are allowed extra.

Each case runs `nakpump ARGS...` as a subprocess, one at a time, in a fresh temporary
directory holding the files it needs (scenario files, corrupt results, existing output
files), with a timeout (60 s: a hang; the process then gets SIGTERM, and SIGKILL if it
ignores that for 5 s), the address space (4 GiB) and file sizes (2 GiB) capped, so a case
that would fill memory or the disk meets the cap instead (a MemoryError here may be an
exhausted machine elsewhere), and numba limited to one thread (benchmarks may be running
beside it). Groups: set/ rest/ duration/ dt/ stimulus/ pump-block/ preset/ method/
scheme/ rtol/ atol/ argv/ scenario/ result/ plot/ continue/ output/ presets/ nmodl/ demo/
signal/ (a long run stopped by SIGINT, SIGTERM, or SIGINT twice).

Each case says whether the input should be refused ("refuse"), accepted ("accept") or
may go either way ("either"); an exit 0 on a "refuse" case is reported as silent
acceptance, for a human to judge.

Classes of failure (a case may fall in several):
  traceback        "Traceback" on stderr or stdout
  internal error   "nakpump: internal error" (an exception the command line caught as a
                   bug; the case is run again with NAKPUMP_DEBUG=1 to find where it rose)
  bad status       status outside {0, 2, 3} (128 + signal only for the interrupt cases)
  multi-line       a failing run whose stderr is not exactly one line (warnings aside)
  unprefixed       a failing run whose one line does not start "nakpump: error:"
  over-long        stderr longer than 500 characters
  file left        the output path appeared although the status was not 0
  file changed     a file that existed before was changed (or removed)
  hang             no exit within the timeout
  silent accept    status 0 for an input that should have been refused
  valid refused    status != 0 for an input that is valid (a control case)
Information only (not failures): error lines not in the "X = V is not allowed: ..."
form, and other files left in the case's directory (lock, part, .failed.nc, ...).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = Path(sys.executable).parent / "nakpump"
TIMEOUT = 60.0
MEMORY_CAP = 4 * 2**30  # bytes of address space per child (numba needs ~1 GB)
FILE_CAP = 2 * 2**30  # bytes per file a child may write
LONG = 500  # characters of stderr that count as an over-long error

FAILURES = ("traceback", "internal error", "bad status", "multi-line", "unprefixed",
            "over-long", "file left", "file changed", "hang", "silent accept", "valid refused")


# ---------------------------------------------------------------------------- cases

@dataclasses.dataclass
class Fixture:
    """A prepared file (see build_fixtures) copied into the case's directory."""

    name: str


DIRECTORY = object()  # a file entry that makes a directory
FIFO = object()  # ... a named pipe


@dataclasses.dataclass
class Case:
    name: str  # group/what, unique
    args: list[str]  # after `nakpump`; paths relative to the case's directory
    expect: str = "refuse"  # refuse | accept | either
    files: dict[str, object] = dataclasses.field(default_factory=dict)  # name → content
    outputs: tuple[str, ...] = ()  # paths that must not appear unless status 0
    symlinks: dict[str, str] = dataclasses.field(default_factory=dict)  # link → target
    signals: tuple[tuple[float, int], ...] = ()  # (seconds after start, signal) to send
    readonly: tuple[str, ...] = ()  # files made read-only (mode 0444)

    def watched(self) -> list[str]:
        """Files given to the case that must come out unchanged (unless --overwrite
        and status 0 for an output path)."""
        return [n for n in self.files if self.files[n] is not FIFO]


BASE = ["run", "--preset", "hh-1952", "--duration", "2ms"]  # a short valid run


def run_preset(*extra: str, expect: str = "refuse", name: str) -> Case:
    """`nakpump run --preset hh-1952 --duration 2ms EXTRA... -o out.nc`."""
    return Case(name, [*BASE, *extra, "-o", "out.nc"], expect, outputs=("out.nc",))


def scenario_text(top: dict[str, str] | None = None, drop=(), extra: str = "",
                  preset: str = '"hh-1952"', duration: str = '"2 ms"') -> str:
    """A short valid scenario with top-level keys replaced (raw TOML values), dropped or
    added, and `extra` TOML (tables) appended."""
    keys = {"preset": preset, "duration": duration, **(top or {})}
    lines = [f"{k} = {v}" for k, v in keys.items() if k not in drop]
    return "\n".join(lines) + "\n" + extra


def scenario_case(name: str, text: str | bytes, expect: str = "refuse") -> Case:
    """`nakpump run s.toml -o out.nc` with s.toml holding `text`."""
    return Case(f"scenario/{name}", ["run", "s.toml", "-o", "out.nc"], expect,
                files={"s.toml": text}, outputs=("out.nc",))


def set_cases() -> list[Case]:
    """`run --preset hh-1952 --set NAME=VALUE`: unknown names, text and boolean fields,
    hostile numbers and units."""
    cases = []
    k_o = [("-1", "refuse"), ("0", "refuse"), ("nan", "refuse"), ("inf", "refuse"),
           ("8 mV", "refuse"), ("abc", "refuse"), ("1e308", "refuse"), ("1e-308", "refuse"),
           ("1_000", "either"), ("8 M", "either"), ("8e-3 M", "accept"), ("8 µM", "either"),
           ("\u22128", "refuse"), ("8\nmM", "either"), ("8 degC", "refuse")]
    for value, expect in k_o:
        cases.append(run_preset("--set", f"ions.k_o={value}", expect=expect,
                                name=f"set/ions.k_o={value!r}"))
    numeric = {
        "temp_c": [("1e308", "refuse"), ("-300", "refuse"), ("300 K", "accept")],
        "capacitance": [("0", "refuse"), ("-1", "refuse")],
        "area": [("0", "refuse")],
        "volume": [("-1", "refuse")],
        "leak.g_na": [("-1", "refuse")],
        "channels.g_na": [("-120", "refuse")],
        "v_init": [("1e6", "refuse")],
        "channels.q10": [("0", "refuse")],
        "atp": [("-1", "refuse")],
        "outside_volume": [("-1", "refuse")],
        "ions.na_i": [("1e308", "refuse")],
    }
    for field, values in numeric.items():
        for value, expect in values:
            cases.append(run_preset("--set", f"{field}={value}", expect=expect,
                                    name=f"set/{field}={value!r}"))
    text = [("name=" + "x" * 100_000, "either"), ("v_rest=-70", "either"),
            ("v_rest=abc", "refuse"), ("published=true", "refuse"),
            ("pump_electrogenic=false", "either"), ("pump_electrogenic=maybe", "refuse"),
            ("channels.h_from_n=2", "refuse"),
            ("pump.kind=nonsense", "refuse"), ("pump.kind=kager", "either"),
            ("channels.kind=nonsense", "refuse"), ("stim_ion=x", "refuse"),
            ("glia=1", "refuse"), ("pump=none", "refuse")]
    for item, expect in text:
        cases.append(run_preset("--set", item, expect=expect,
                                name=f"set/{item[:40]!r}"))
    unknown = ["nonsense=1", "ions.nonsense=1", "=", "ions.k_o",
               "x" * 10_000 + "=1", "protocol[0].amplitude=1"]
    for item in unknown:
        cases.append(run_preset("--set", item, name=f"set/unknown {item[:40]!r}"))
    cases.append(run_preset("--set", "ions.k_o=8", "--set", "ions.k_o=nan",
                            name="set/twice, second bad"))
    cases.append(run_preset("--set", "pump.km_na=12 mM", name="set/pump param on a pumpless"
                            " cell"))
    cases.append(Case("set/cortical pump.rate_max=-1",
                      ["run", "--preset", "cortical", "--duration", "2ms", "--set",
                       "pump.rate_max=-1", "-o", "out.nc"], outputs=("out.nc",)))
    cases.append(Case("set/cortical pump.kind=nonsense",
                      ["run", "--preset", "cortical", "--duration", "2ms", "--set",
                       "pump.kind=nonsense", "-o", "out.nc"], outputs=("out.nc",)))
    cases.append(Case("set/cortical leak.g_na=0 (no Na+ leak to balance the pump)",
                      ["run", "--preset", "cortical", "--duration", "2ms", "--set",
                       "leak.g_na=0", "-o", "out.nc"], "either", outputs=("out.nc",)))
    cases.append(Case("set/cortical ions.k_o=1e5",
                      ["run", "--preset", "cortical", "--duration", "2ms", "--set",
                       "ions.k_o=1e5", "-o", "out.nc"], outputs=("out.nc",)))
    return cases


def rest_cases() -> list[Case]:
    """`nakpump rest` with hostile overrides, presets and mechanism files."""
    cases = []
    for item, expect in [("ions.k_o=-1", "refuse"), ("ions.k_o=8 mV", "refuse"),
                         ("ions.k_o=1e-308", "refuse"),
                         ("temp_c=-300", "refuse"),
                         ("pump.rate_max=0", "either"),
                         ("pump.kind=nonsense", "refuse"),
                         ("v_rest=-70", "either"), ("v_rest=+500 mV", "refuse"),
                         ("ions.k_o=2", "accept")]:
        cases.append(Case(f"rest/--set {item!r}", ["rest", "--set", item, "--json"], expect))
    for preset, expect in [("nonsense", "refuse"),
                           ("hh-axon", "either"), ("x" * 10_000, "refuse")]:
        cases.append(Case(f"rest/--preset {preset[:20]!r}", ["rest", "--preset", preset],
                          expect))
    mech = {"missing": None, "syntax": "def (:\n", "raises": "raise RuntimeError('boom')\n",

            "binary": b"\x00\xff\xfe\x81" * 64,
            "exit": "import sys\nsys.exit(5)\n",
            "keyboard": "raise KeyboardInterrupt\n",
            "bad-unit": ("from nakpump.mechanisms import Param, pump\n"
                         "@pump(name='bad-unit', source='x', params={'km': Param(1.0, 'flurbs',"
                         " '>0', 'x')})\ndef f(na_i, km):\n    return na_i / (na_i + km)\n"),
            "nan-rate": ("from nakpump.mechanisms import Param, pump\n"
                         "@pump(name='nan-rate', source='x', params={'km': Param(1.0, 'mM',"
                         " '>0', 'x')})\ndef f(na_i, km):\n    return (na_i - na_i) / 0.0 + km\n"),
            "unknown-arg": ("from nakpump.mechanisms import Param, pump\n"
                            "@pump(name='unknown-arg', source='x', params={})\n"
                            "def f(na_i, banana):\n    return na_i\n")}
    for name, content in mech.items():
        files = {} if content is None else {"m.py": content}
        cases.append(Case(f"rest/--mechanism {name}", ["rest", "--mechanism", "m.py"],
                          files=files))
    cases.append(Case("rest/--mechanism a directory", ["rest", "--mechanism", "m.py"],
                      files={"m.py": DIRECTORY}))
    return cases


def duration_dt_cases() -> list[Case]:
    cases = []
    for value, expect in [("-1ms", "refuse"), ("0", "refuse"), ("nan", "refuse"),
                          ("1 parsec", "refuse"), ("1e30 s", "refuse"), ("1e12 s", "refuse"),
                          ("5 mV", "refuse"), ("1e-300 ms", "refuse"), ("1e-12 ms", "either"),
                          ("0.002 s", "accept")]:
        cases.append(Case(f"duration/{value!r}", ["run", "--preset", "hh-1952", "--duration",
                                                  value, "-o", "out.nc"], expect,
                          outputs=("out.nc",)))
    cases.append(Case("duration/missing", ["run", "--preset", "hh-1952", "-o", "out.nc"],
                      outputs=("out.nc",)))
    for value, expect in [("0", "refuse"), ("-0.025", "refuse"), ("nan", "refuse"),
                          ("1e-12 ms", "refuse"), ("1 s", "either"),
                          ("1e-320", "refuse")]:
        cases.append(run_preset("--dt", value, expect=expect, name=f"dt/{value!r}"))
    cases.append(run_preset("--dt", "0", "--method", "adaptive", name="dt/0 with adaptive"))
    return cases


def event_option_cases() -> list[Case]:
    """--stimulus and --pump-block strings."""
    cases = []
    for value, expect in [("", "refuse"), ("10@", "refuse"), ("10@1:0.5", "refuse"),
                          ("10@-1", "refuse"),
                          ("nan", "refuse"), ("10 mV@1ms", "refuse"), ("1e308", "refuse"),
                          ("-1e308", "refuse"), ("10 uA@1ms", "refuse"),
                          ("1e9@0:1", "refuse"), ("10@1e30 s", "either"),
                          ("10 uA/cm^2@1ms:1.5ms", "accept"),
                          ("10 @ 1 : 2", "either")]:
        cases.append(run_preset("--stimulus", value, expect=expect,
                                name=f"stimulus/{value!r}"))
    for value, expect in [("", "refuse"), ("-1", "refuse"), ("5:1", "refuse"),
                          ("1 mV", "refuse"), ("1ms", "either")]:
        cases.append(run_preset("--pump-block", value, expect=expect,
                                name=f"pump-block/{value!r}"))
    cases.append(run_preset("--pump-block", "1e-280", "--method", "reference", expect="either",
                            name="pump-block/'1e-280' with the reference method"))
    cases.append(Case("pump-block/cortical 1e30 s", [
        "run", "--preset", "cortical", "--duration", "2ms", "--pump-block", "1e30 s",
        "-o", "out.nc"], "either", outputs=("out.nc",)))
    return cases


def option_cases() -> list[Case]:
    """--preset, --method, --scheme, --rtol, --atol, and odd command lines."""
    cases = []
    for value, expect in [("nonsense", "refuse"), ("", "refuse"),
                          ("../../etc/passwd", "refuse")]:
        cases.append(Case(f"preset/{value[:20]!r}", ["run", "--preset", value, "--duration",
                                                     "2ms", "-o", "out.nc"], expect,
                          outputs=("out.nc",)))
    cases.append(Case("preset/axon with --csv", [
        "run", "--preset", "hh-axon", "--duration", "0.1ms", "--csv", "x.csv"],
        outputs=("x.csv",)))
    cases.append(Case("preset/axon with --set length=-1", [
        "run", "--preset", "hh-axon", "--duration", "0.1ms", "--set", "length=-1",
        "-o", "out.nc"], outputs=("out.nc",)))
    cases.append(Case("preset/axon with --set length=1e9 cm", [
        "run", "--preset", "hh-axon", "--duration", "0.1ms", "--set", "length=1e9 cm",
        "-o", "out.nc"], outputs=("out.nc",)))
    cases.append(Case("preset/axon with --set name=x", [
        "run", "--preset", "hh-axon", "--duration", "0.1ms", "--set", "name=x",
        "-o", "out.nc"], "either", outputs=("out.nc",)))
    cases.append(Case("preset/axon with --dt 0", [
        "run", "--preset", "hh-axon", "--duration", "0.1ms", "--dt", "0", "-o", "out.nc"],
        outputs=("out.nc",)))
    cases.append(Case("preset/axon with --scheme nonsense", [
        "run", "--preset", "hh-axon", "--duration", "0.1ms", "--scheme", "nonsense",
        "-o", "out.nc"], outputs=("out.nc",)))
    for value in ("nonsense", ""):
        cases.append(run_preset("--method", value, name=f"method/{value!r}"))
    cases.append(run_preset("--method", "reference", expect="accept", name="method/reference"))
    for value in ("nonsense",):
        cases.append(run_preset("--scheme", value, name=f"scheme/{value!r}"))
    cases.append(run_preset("--scheme", "nonsense", "--method", "adaptive",
                            name="scheme/nonsense with adaptive"))
    for option in ("--rtol", "--atol"):
        for value, expect in [("abc", "refuse"), ("nan", "refuse"), ("-1", "refuse"),
                              ("1e-300", "refuse")]:
            cases.append(run_preset("--method", "adaptive", option, value, expect=expect,
                                    name=f"{option[2:]}/{value!r} adaptive"))
    cases.append(run_preset("--rtol", "-1", name="rtol/-1 with the fixed method"))
    cases.append(run_preset("--method", "reference", "--rtol", "nan",
                            name="rtol/nan reference"))
    odd = [([], "either"), (["nonsense"], "refuse"), (["run"], "refuse"),
           (["run", "--nonsense"], "refuse"), (["--version", "extra"], "either"),
           (["run", "--help"], "accept"),
           (["run", "a.toml", "--preset", "hh-1952"], "refuse"),
           (["run", "--preset", "hh-1952", "--duration", "2ms", "--published"], "refuse"),
           (["run", "--preset", "hh-1952", "--duration"], "refuse"),
           (["run", "-o"], "refuse"),
           (["rest", "--set"], "refuse")]
    for args, expect in odd:
        cases.append(Case(f"argv/{' '.join(args)[:50]!r}", args, expect,
                          files={"a.toml": scenario_text()} if "a.toml" in args else {}))
    return cases


def scenario_cases() -> list[Case]:
    """Scenario files: bytes, TOML syntax, types, events, record, population, axons."""
    s, c = scenario_text, scenario_case
    cases = [
        c("valid", s(), "accept"),
        c("empty file", ""),
        c("binary bytes", bytes(range(256)) * 8),
        c("NUL byte", b'preset = "hh-1952"\x00\n'),
        c("non-UTF-8 (latin-1 comment)", 'preset = "hh-1952"\nduration = "2 ms"\n# caf\xe9\n'
          .encode("latin-1")),
        c("invalid TOML: no value", "preset =\n"),
        c("1 MB preset name", s(preset='"' + "x" * 1_000_000 + '"')),
        c("tables nested 500 deep", s() + "[" + ".".join(["a"] * 500) + "]\nb = 1\n"),
        c("arrays nested 500 deep", s() + "deep = " + "[" * 500 + "]" * 500 + "\n"),
        c("arrays nested 100000 deep", s() + "deep = " + "[" * 100_000 + "]" * 100_000 + "\n"),
        c("inline tables nested 500 deep", s() + "deep = " + "{a = " * 500 + "1" + "}" * 500
          + "\n"),
        c("parameters nested 500 deep", s() + "[parameters." + ".".join(["a"] * 500)
          + "]\nb = 1\n"),
    ]
    wrong_types = {
        "preset": ['["x"]', "{a = 1}", '"nonsense"'],
        "duration": ["true", "1979-05-27T07:32:00Z", "nan", "0", '"2 mV"',
                     '"1e30 s"'],
        "method": ["1", '"nonsense"'],
        "scheme": ['"nonsense"'],
        "dt": ["0", "nan", '"1e-12 ms"'],
        "rtol": ['"abc"'],
        "h_max": ["0"],
        "threshold": ["nan"],
        "solver": ['"nonsense"'],
        "v_rest": ['"abc"', '"+500 mV"'],
        "published": ['"yes"'],
        "mechanisms": ['"x"', '["/nonexistent/pump.py"]', '["s.toml"]'],
        "parameters": ['{"ions.k_o" = nan}', '{"ions.k_o" = [1]}', '{"nonsense" = 1}',
                       '{"ions.k_o" = -1}', '{"temp_c" = 1e308}', '{"published" = true}',
                       '{"v_rest" = "-70 mV"}',
                       '{"pump_electrogenic" = "false"}'],
        "record": ['"x"', '{variables = ["nonsense"]}',
                   '{interval = 0}', '{interval = nan}', '{interval = "1e-9 ms"}'],
        "events": ['"x"'],
        "cell": ['"x"'],
        "population": ['"x"'],
        "nonsense": ["1"],
    }
    for key, values in wrong_types.items():
        for value in values:
            cases.append(c(f"{key} = {value[:40]}", s({key: value})))
    cases += [
        c("record variables = [] (spikes only)", s({"record": "{variables = []}"}), "accept"),
        c("no preset and no cell", s(drop=("preset",))),
        c("no duration", s(drop=("duration",))),
        c("cell only, empty", s({"cell": "{}"}, drop=("preset",))),
    ]
    ev = lambda body: s(extra="[[events]]\n" + body)  # noqa: E731
    train = 'type = "pulse_train"\namplitude = 10\n'
    events = {
        "unknown type": 'type = "nonsense"\n',
        "stimulus without amplitude": 'type = "stimulus"\n',
        "stimulus amplitude in mV": 'type = "stimulus"\namplitude = "10 mV"\n',
        "negative start": 'type = "stimulus"\namplitude = 10\nstart = -1\n',
        "start > stop": 'type = "stimulus"\namplitude = 10\nstart = 2\nstop = 1\n',
        "amplitude 1e308": 'type = "stimulus"\namplitude = 1e308\n',
        "amplitude a table": 'type = "stimulus"\namplitude = {a = 1}\n',
        "pulse_train 1 GHz": train + 'frequency = "1 GHz"\nwidth = "0.1 ms"\n',
        "pulse_train width 0": train + "frequency = 100\nwidth = 0\n",
        "pulse_train width > period": train + "frequency = 1000\nwidth = 5\n",
        "pulse_train n_pulses 2^62": (train + "frequency = 100\nwidth = 0.1\n"
                                      "n_pulses = 4611686018427387904\n"),
        "pump_block fraction 2": 'type = "pump_block"\nfraction = 2\n',
        "voltage_clamp 1e6 mV": 'type = "voltage_clamp"\nv = 1e6\n',
        "potassium_puff no stop": 'type = "potassium_puff"\nk_o = 10\n',
        "ouabain -1 uM": 'type = "ouabain"\nconcentration = -1\n',
        "along on a cell": 'type = "pump_block"\nalong = ["1 mm", "2 mm"]\n',
    }
    for name, body in events.items():
        cases.append(c(f"events: {name}", ev(body)))
    many = "".join(f'[[events]]\ntype = "stimulus"\namplitude = 1\nstart = {i * 1e-4}\n'
                   f"stop = {i * 1e-4 + 1e-4}\n" for i in range(10_000))
    cases.append(c("events: 10000 stimuli", s(extra=many), "either"))
    pop = lambda body: s(extra="[population]\n" + body)  # noqa: E731
    dist = 'cells = 2\n[population.parameters]\n"ions.k_o" = '
    population = {
        "cells = 0": "cells = 0\n", "cells = 10^12": "cells = 1000000000000\n",
        "cells = 10^8": "cells = 100000000\n",
        "cells = 2^63-1": "cells = 9223372036854775807\n",
        "seed = -1": "cells = 2\nseed = -1\n",
        "start = nonsense": 'cells = 2\nstart = "nonsense"\n',
        "unknown distribution": dist + '{dist = "nonsense"}\n',
        "uniform low > high": dist + '{dist = "uniform", low = 5, high = 1}\n',
        "distribution that goes negative": ('cells = 50\nseed = 1\n[population.parameters]\n'
                                            '"ions.k_o" = {dist = "normal", mean = 1, sd = 10}\n'),
        "sweep huge grid": ('[population.sweep]\n'
                            '"ions.k_o" = {start = 1, stop = 8, num = 1000000000}\n'),
        "protocol[5] with no event": ('cells = 2\n[population.parameters]\n'
                                      '"protocol[5].amplitude" = {dist = "uniform", low = 1, '
                                      'high = 2}\n'),
    }
    for name, body in population.items():
        cases.append(c(f"population: {name}", pop(body)))
    cases.append(c("population: 2 cells (valid)", pop("cells = 2\nseed = 1\n"), "accept"))
    axon = lambda top=None, extra="": s(top, preset='"hh-axon"', duration='"0.1 ms"',  # noqa
                                        extra=extra)
    cases += [
        c("axon: with cell key", axon({"cell": "{}"})),
        c("axon: length 1e9 cm", axon(extra='[parameters]\nlength = "1e9 cm"\n')),
        c("axon: dt 0", axon({"dt": "0"})),
        c("axon: along beyond the axon", axon(extra='[[events]]\ntype = "pump_block"\n'
                                                    'along = ["1 km", "2 km"]\n')),
        c("axon: scheme nonsense", axon({"scheme": '"nonsense"'})),
    ]
    # the scenario path itself
    cases += [
        Case("scenario/a directory", ["run", "d.toml", "-o", "out.nc"],
             files={"d.toml": DIRECTORY}, outputs=("out.nc",)),
        Case("scenario/a FIFO", ["run", "f.toml", "-o", "out.nc"], files={"f.toml": FIFO},
             outputs=("out.nc",)),
        Case("scenario/missing", ["run", "missing.toml", "-o", "out.nc"], outputs=("out.nc",)),
        Case("scenario//dev/zero", ["run", "/dev/zero", "-o", "out.nc"], outputs=("out.nc",)),
        Case("scenario/a symlink loop", ["run", "loop.toml", "-o", "out.nc"],
             symlinks={"loop.toml": "loop.toml"}, outputs=("out.nc",)),
        Case("scenario/with --set", ["run", "s.toml", "--set", "ions.k_o=8", "-o", "out.nc"],
             files={"s.toml": scenario_text()}, outputs=("out.nc",)),
        Case("scenario/with --rtol nan", ["run", "s.toml", "--rtol", "nan", "-o", "out.nc"],
             files={"s.toml": scenario_text()}, outputs=("out.nc",)),
    ]
    return cases


RESULT_FIXTURES = {  # name → how the valid result is spoiled (see build_fixtures)
    "truncated.nc": "first 4 kB", "text.nc": "a text file",
    "toml.nc": "a TOML scenario named .nc",
    "plain-hdf5.nc": "an HDF5 file without nakpump's attrs",
    "scenario-junk.nc": "scenario attr 'junk'",

    "scenario-int.nc": "scenario attr the integer 7",
    "scenario-bytes.nc": "scenario attr non-UTF-8 bytes",
    "scenario-missing.nc": "scenario attr deleted",
    "scenario-deep.nc": "scenario attr 100000 nested JSON arrays",
    "scenario-duration-huge.nc": "scenario duration 1e30", "scenario-duration-text.nc":
        "scenario duration 'abc'", "scenario-duration-nan.nc": "scenario duration NaN",
    "scenario-cell-junk.nc": "scenario cell 'junk'",
    "scenario-cell-k-negative.nc": "scenario cell ions.k_o -1",
    "scenario-events-junk.nc": "scenario events 'x'",
    "scenario-mechanism-missing.nc": "scenario mechanisms ['/nonexistent/pump.py']",
    "scenario-mechanism-hostname.nc": "scenario mechanisms ['/etc/hostname']",
    "scenario-population-huge.nc": "scenario population of 10^12 cells",
    "spec-junk.nc": "spec attr 'junk'", "spec-missing.nc": "spec attr deleted",
    "preset-missing.nc": "preset attr deleted", "v-missing.nc": "variable v deleted",
    "time-missing.nc": "variable time deleted",
    "final-state-junk.nc": "final_state attr 'junk'",
    "final-state-missing.nc": "final_state attr deleted",
    "final-state-nan.nc": "final_state v = NaN",
}


def result_cases() -> list[Case]:
    """`nakpump run R.nc` and `nakpump plot R.nc` on corrupt or doctored results."""
    cases = [Case("result/run a valid result", ["run", "r.nc", "-o", "out.nc"], "accept",
                  files={"r.nc": Fixture("result.nc")}, outputs=("out.nc",))]
    for name, what in RESULT_FIXTURES.items():
        if name.startswith("final-state"):
            continue  # what --from reads (continue_cases)
        # a rerun reads only the scenario: the other attrs may be spoiled harmlessly
        benign = name in ("spec-junk.nc", "preset-missing.nc", "v-missing.nc",
                          "time-missing.nc")
        cases.append(Case(f"result/run: {what}", ["run", "r.nc", "-o", "out.nc"],
                          "either" if benign else "refuse",
                          files={"r.nc": Fixture(name)}, outputs=("out.nc",)))
    for name in ("truncated.nc", "text.nc", "spec-junk.nc", "preset-missing.nc",
                 "v-missing.nc", "time-missing.nc"):
        cases.append(Case(f"plot/{RESULT_FIXTURES[name]}", ["plot", "r.nc", "-o", "r.png"],
                          "either" if name in ("spec-junk.nc", "preset-missing.nc") else "refuse",
                          files={"r.nc": Fixture(name)}, outputs=("r.png",)))
    cases.append(Case("result/run a directory named .nc", ["run", "d.nc", "-o", "out.nc"],
                      files={"d.nc": DIRECTORY}, outputs=("out.nc",)))
    cases.append(Case("result/run a missing .nc", ["run", "missing.nc", "-o", "out.nc"],
                      outputs=("out.nc",)))
    return cases


def continue_cases() -> list[Case]:
    """`run --from RESULT` (continue a run) and `--resume` (finish an interrupted one)."""
    good = {"r.nc": Fixture("result.nc")}
    base = ["run", "--preset", "hh-1952", "--duration", "10ms"]  # the fixture ends at 5 ms
    cases = [
        Case("continue/--from a valid result", [*base, "--from", "r.nc", "-o", "out.nc"],
             "accept", files=good, outputs=("out.nc",)),
        Case("continue/--from another cell's result",
             ["run", "--preset", "cortical", "--duration", "10ms", "--from", "r.nc",
              "-o", "out.nc"], files=good, outputs=("out.nc",)),
        Case("continue/--from missing", [*base, "--from", "missing.nc", "-o", "out.nc"],
             outputs=("out.nc",)),
        Case("continue/--from a directory", [*base, "--from", "d.nc", "-o", "out.nc"],
             files={"d.nc": DIRECTORY}, outputs=("out.nc",)),
        Case("continue/--from a scenario file", [*base, "--from", "s.toml", "-o", "out.nc"],
             files={"s.toml": scenario_text()}, outputs=("out.nc",)),
        Case("continue/--from itself as output", [*base, "--from", "r.nc", "-o", "r.nc",
                                                  "--overwrite"], files=good),
        Case("continue/--from and --resume", [*base, "--from", "r.nc", "--resume",
                                              "-o", "out.nc"], files=good, outputs=("out.nc",)),
        Case("continue/--resume without -o", [*base, "--resume"]),
        Case("continue/--resume with nothing to resume", [*base, "--resume", "-o", "out.nc"],
             outputs=("out.nc",)),
        Case("continue/--resume from a text file",
             [*base, "--resume", "-o", "out.nc"],
             files={"out.interrupted.nc": Fixture("text.nc")}, outputs=("out.nc",)),
        Case("continue/--resume from a finished result of another cell",
             ["run", "--preset", "cortical", "--duration", "10ms", "--resume", "-o", "out.nc"],
             files={"out.interrupted.nc": Fixture("result.nc")}, outputs=("out.nc",)),
        Case("continue/--from on an axon", ["run", "--preset", "hh-axon", "--duration",
                                            "10ms", "--from", "r.nc", "-o", "out.nc"],
             files=good, outputs=("out.nc",)),
    ]
    for name in ("text.nc", "final-state-junk.nc",
                 "final-state-missing.nc", "final-state-nan.nc"):
        cases.append(Case(f"continue/--from {RESULT_FIXTURES[name]}",
                          [*base, "--from", "r.nc", "-o", "out.nc"],
                          files={"r.nc": Fixture(name)}, outputs=("out.nc",)))
    return cases


def output_cases() -> list[Case]:
    """Output paths: directories, existing files (unchanged), the input itself, devices."""
    result = {"r.nc": Fixture("result.nc")}
    keep = {"old.nc": b"precious, not a result\n"}
    cases = [
        run_preset(name="output/valid control", expect="accept"),
        Case("output/a directory", [*BASE, "-o", "d.nc"], files={"d.nc": DIRECTORY}),
        Case("output/an existing file", [*BASE, "-o", "old.nc"], files=keep),
        Case("output/existing, --overwrite, bad --set", [*BASE, "--set", "ions.k_o=nan", "-o",
                                                         "old.nc", "--overwrite"], files=keep),
        Case("output/existing, --overwrite, run fails (1e9 uA/cm^2)",
             [*BASE, "--stimulus", "1e9@0", "-o", "old.nc", "--overwrite"], files=keep),
        Case("output/existing, --overwrite, bad --csv", [*BASE, "-o", "old.nc", "--csv",
                                                         "d", "--overwrite"],
             files={**keep, "d": DIRECTORY}),
        Case("output/existing, --overwrite, valid", [*BASE, "-o", "old.nc", "--overwrite"],
             "accept", files=keep),
        Case("output/the input result itself", ["run", "r.nc", "-o", "r.nc", "--overwrite"],
             files=result),
        Case("output/the input via a symlink", ["run", "r.nc", "-o", "link.nc", "--overwrite"],
             files=result, symlinks={"link.nc": "r.nc"}),
        Case("output/the scenario itself as --csv", ["run", "s.toml", "--csv", "s.toml",
                                                     "--overwrite"],
             files={"s.toml": scenario_text()}),
        Case("output/wrong suffix", [*BASE, "-o", "out.txt"], outputs=("out.txt",)),
        Case("output/in a missing directory", [*BASE, "-o", "missing/out.nc"]),
        Case("output/empty path", [*BASE, "-o", ""]),
        Case("output//dev/null", [*BASE, "-o", "/dev/null"]),
        Case("output/a FIFO", [*BASE, "-o", "f.nc"], files={"f.nc": FIFO}),
        Case("output/a dangling symlink", [*BASE, "-o", "dangle.nc"],
             symlinks={"dangle.nc": "elsewhere.nc"}, expect="either",
             outputs=("elsewhere.nc",)),
        Case("output/a symlink to a directory", [*BASE, "-o", "dlink.nc"],
             files={"d": DIRECTORY}, symlinks={"dlink.nc": "d"}),
        Case("output/-o and --csv the same file", [*BASE, "-o", "out.nc", "--csv", "out.nc"],
             outputs=("out.nc",)),
        Case("output/--csv existing", [*BASE, "--csv", "old.csv", "-o", "out.nc"],
             files={"old.csv": "a,b\n1,2\n"}, outputs=("out.nc",)),
        Case("output/--csv a directory", [*BASE, "--csv", "d.csv", "-o", "out.nc"],
             files={"d.csv": DIRECTORY}, outputs=("out.nc",)),
        Case("output/a read-only existing file with --overwrite",
             [*BASE, "-o", "ro.nc", "--overwrite"], files={"ro.nc": b"read-only\n"},
             readonly=("ro.nc",)),
        Case("output/existing, axon, no --overwrite",
             ["run", "--preset", "hh-axon", "--duration", "0.05ms", "-o", "old.nc"], files=keep),
        Case("output/plot onto an existing png", ["plot", "r.nc", "-o", "old.png"],
             files={**result, "old.png": b"not a png\n"}),
        Case("output/plot beside the result, png exists", ["plot", "r.nc"],
             files={**result, "r.png": b"not a png\n"}),
        Case("output/plot onto the result itself", ["plot", "r.nc", "-o", "r.nc"],
             files=result),
        Case("output/plot to a wrong suffix", ["plot", "r.nc", "-o", "r.txt"],
             files=result, outputs=("r.txt",)),
        Case("output/plot a missing file", ["plot", "missing.nc"], outputs=("missing.png",)),
    ]
    return cases


def other_command_cases() -> list[Case]:
    """presets show, nmodl and demo with bad arguments."""
    cases = []
    for name in ("nonsense", "", "x" * 10_000):
        cases.append(Case(f"presets/show {name[:20]!r}", ["presets", "show", name]))
    cases.append(Case("presets/show two names", ["presets", "show", "cortical", "hh-1952"]))
    cases.append(Case("presets/show nothing", ["presets", "show"]))
    cases.append(Case("presets/show hh-axon", ["presets", "show", "hh-axon"], "either"))
    keep = {"old.mod": b"NEURON { SUFFIX mine }\n"}
    cases += [
        Case("nmodl/bad preset", ["nmodl", "--preset", "nonsense"]),
        Case("nmodl/a cell without a pump", ["nmodl", "--preset", "hh-1952", "-o", "p.mod"],
             outputs=("p.mod",)),
        Case("nmodl/--set junk", ["nmodl", "--set", "pump.km_na=nan", "-o", "p.mod"],
             outputs=("p.mod",)),
        Case("nmodl/--set pump.kind=nonsense", ["nmodl", "--set", "pump.kind=nonsense"]),
        Case("nmodl/existing output", ["nmodl", "-o", "old.mod"], files=keep),
        Case("nmodl/existing, --overwrite, bad preset", ["nmodl", "--preset", "nonsense", "-o",
                                                         "old.mod", "--overwrite"], files=keep),
        Case("nmodl/output a directory", ["nmodl", "-o", "d.mod"], files={"d.mod": DIRECTORY}),
        Case("nmodl/output the mechanism file", ["nmodl", "--mechanism", "m.mod",
                                                 "-o", "m.mod", "--overwrite"],
             files={"m.mod": "x = 1\n"}),
        Case("nmodl/--mechanism syntax error", ["nmodl", "--mechanism", "m.py"],
             files={"m.py": "def (:\n"}),
        Case("nmodl/valid control", ["nmodl", "-o", "p.mod"], "accept", outputs=("p.mod",)),
        Case("demo/--story nonsense", ["demo", "--story", "nonsense", "--out", "dd"],
             outputs=("dd",)),
        Case("demo/--story ''", ["demo", "--story", "", "--out", "dd"], outputs=("dd",)),
        Case("demo/--out an existing file", ["demo", "--out", "f"], files={"f": b"keep\n"}),
        Case("demo/--out in a missing directory", ["demo", "--out", "missing/dd"]),
        Case("demo/--out /dev/null", ["demo", "--out", "/dev/null"]),
    ]
    return cases


SIGNAL_SCENARIO = scenario_text({"duration": '"3000 s"', "method": '"fixed"'},  # ~20 s
                                extra='[record]\ninterval = "100 ms"\n[[events]]\n'
                                      'type = "stimulus"\namplitude = 10\n')


def signal_cases() -> list[Case]:
    """A long run stopped by SIGINT, SIGTERM, or SIGINT twice: 130/143, no output."""
    files = {"long.toml": SIGNAL_SCENARIO}
    mk = lambda name, sigs: Case(f"signal/{name}", ["run", "long.toml", "-o", "out.nc"],  # noqa
                                 "refuse", files=dict(files), outputs=("out.nc",),
                                 signals=sigs)
    return [mk("SIGINT", ((4.0, signal.SIGINT),)), mk("SIGTERM", ((4.0, signal.SIGTERM),)),
            mk("SIGINT twice", ((4.0, signal.SIGINT), (4.2, signal.SIGINT)))]


def all_cases() -> list[Case]:
    cases = (set_cases() + rest_cases() + duration_dt_cases() + event_option_cases()
             + option_cases() + scenario_cases() + result_cases() + continue_cases()
             + output_cases()
             + other_command_cases() + signal_cases())
    seen: Counter = Counter()
    for case in cases:  # make names unique
        seen[case.name] += 1
        if seen[case.name] > 1:
            case.name += f" #{seen[case.name]}"
    return cases


# ------------------------------------------------------------------------- fixtures

def build_fixtures(directory: Path, env: dict[str, str]) -> None:
    """The valid result (a 5 ms hh-1952 run through the real CLI) and spoiled copies."""
    import h5py
    import numpy as np

    good = directory / "result.nc"
    proc = subprocess.run([str(SCRIPT), "run", "--preset", "hh-1952", "--duration", "5ms",
                           "-o", str(good)], capture_output=True, text=True, env=env,
                          timeout=300)
    if proc.returncode != 0:
        sys.exit(f"could not make the fixture result: {proc.stderr}")
    data = good.read_bytes()
    (directory / "truncated.nc").write_bytes(data[:4096])
    (directory / "text.nc").write_text("this is not a NetCDF file\n")
    (directory / "toml.nc").write_text(scenario_text())
    with h5py.File(directory / "plain-hdf5.nc", "w") as f:
        f["x"] = np.arange(3.0)
    with h5py.File(good, "r") as f:
        scenario = json.loads(f.attrs["scenario"])
        final_state = json.loads(f.attrs["final_state"])

    def doctored(name: str, edit: Callable) -> None:
        path = directory / name
        shutil.copyfile(good, path)
        with h5py.File(path, "r+") as f:
            edit(f)

    def set_attr(key, value):
        def edit(f):
            if value is None:
                del f.attrs[key]
            else:
                f.attrs[key] = value
        return edit

    def scen(change: Callable[[dict], None]):
        data = json.loads(json.dumps(scenario))
        change(data)
        return set_attr("scenario", json.dumps(data))

    def put(path: str, value):
        def change(d):
            *head, last = path.split(".")
            for key in head:
                d = d[key]
            d[last] = value
        return change

    edits = {
        "scenario-junk.nc": set_attr("scenario", "junk"),
        "scenario-int.nc": set_attr("scenario", 7),
        "scenario-bytes.nc": set_attr("scenario", np.bytes_(b"\xff\xfe{\x00")),
        "scenario-missing.nc": set_attr("scenario", None),
        "scenario-deep.nc": set_attr("scenario", "[" * 100_000 + "]" * 100_000),
        "scenario-duration-huge.nc": scen(put("duration", 1e30)),
        "scenario-duration-text.nc": scen(put("duration", "abc")),
        "scenario-duration-nan.nc": scen(put("duration", float("nan"))),
        "scenario-cell-junk.nc": scen(put("cell", "junk")),
        "scenario-cell-k-negative.nc": scen(put("cell.ions.k_o", -1.0)),
        "scenario-events-junk.nc": scen(put("events", "x")),
        "scenario-mechanism-missing.nc": scen(put("mechanisms", ["/nonexistent/pump.py"])),
        "scenario-mechanism-hostname.nc": scen(put("mechanisms", ["/etc/hostname"])),
        "scenario-population-huge.nc": scen(put("population", {"cells": 10**12})),
        "spec-junk.nc": set_attr("spec", "junk"),
        "spec-missing.nc": set_attr("spec", None),
        "preset-missing.nc": set_attr("preset", None),
        "v-missing.nc": lambda f: f.__delitem__("v"),
        "time-missing.nc": lambda f: f.__delitem__("time"),
        "final-state-junk.nc": set_attr("final_state", "junk"),
        "final-state-missing.nc": set_attr("final_state", None),
        "final-state-nan.nc": set_attr("final_state", json.dumps(
            {**final_state, "v": float("nan")})),
    }
    for name, edit in edits.items():
        doctored(name, edit)


# ---------------------------------------------------------------------------- running

def digest(path: Path) -> str | None:
    """A fingerprint of a file (content, mode) or directory (listing); None if absent."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if path.is_symlink():
        return f"link:{os.readlink(path)}"
    if path.is_dir():
        return "dir:" + ",".join(sorted(os.listdir(path)))
    if not path.is_file():
        return f"special:{info.st_mode:o}"
    h = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"file:{info.st_mode:o}:{h}"


def prepare(case: Case, directory: Path, fixtures: Path) -> None:
    for name, content in case.files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is DIRECTORY:
            path.mkdir()
        elif content is FIFO:
            os.mkfifo(path)
        elif isinstance(content, Fixture):
            shutil.copyfile(fixtures / content.name, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(str(content))
    for link, target in case.symlinks.items():
        os.symlink(target, directory / link)
    for name in case.readonly:
        os.chmod(directory / name, 0o444)


def limits() -> None:  # in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_CAP, FILE_CAP))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def listing(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


def run_case(case: Case, root: Path, fixtures: Path, env: dict[str, str],
             timeout: float) -> dict:
    directory = Path(tempfile.mkdtemp(prefix="case-", dir=root))
    try:
        prepare(case, directory, fixtures)
        before = {name: digest(directory / name) for name in case.watched()}
        outputs_before = {o: os.path.lexists(directory / o) for o in case.outputs}
        files_before = listing(directory)
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(SCRIPT), *case.args], cwd=directory, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, preexec_fn=limits,
                                start_new_session=True)
        hung = term_ignored = False
        try:
            if case.signals:
                start = time.monotonic()
                for after, sig in case.signals:
                    time.sleep(max(0.0, after - (time.monotonic() - start)))
                    if proc.poll() is None:
                        proc.send_signal(sig)
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:  # a hang: does it at least obey SIGTERM?
            hung = True
            proc.send_signal(signal.SIGTERM)
            try:
                out, err = proc.communicate(timeout=5)
                term_ignored = False
            except subprocess.TimeoutExpired:
                term_ignored = True
                os.killpg(proc.pid, signal.SIGKILL)  # the session this case started
                out, err = proc.communicate()
        seconds = time.perf_counter() - t0
        stdout = out.decode("utf-8", "replace")
        stderr = err.decode("utf-8", "replace")
        changed = [n for n, d in before.items() if digest(directory / n) != d]
        appeared = [o for o, existed in outputs_before.items()
                    if not existed and os.path.lexists(directory / o)]
        debris = sorted(listing(directory) - files_before - set(case.outputs))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return {"name": case.name, "args": [a if len(a) <= 200 else a[:200] + f"…({len(a)} chars)"
                                        for a in case.args],
            "expect": case.expect, "status": proc.returncode, "hung": hung,
            "sigterm_ignored": term_ignored,
            "stdout": stdout, "stderr": stderr, "changed": changed, "appeared": appeared,
            "debris": debris, "seconds": round(seconds, 2),
            "files": {n: describe(c) for n, c in case.files.items()},
            "symlinks": case.symlinks}


def describe(content: object) -> str:
    if content is DIRECTORY:
        return "<directory>"
    if content is FIFO:
        return "<FIFO>"
    if isinstance(content, Fixture):
        return f"<{content.name}: {RESULT_FIXTURES.get(content.name, 'a valid 5 ms result')}>"
    text = repr(content)
    return text if len(text) <= 300 else text[:300] + f"…({len(content)} long)"


def classify(r: dict, case: Case) -> list[str]:
    """The failure classes of one result (empty: the case met the contract)."""
    found = []
    status, stderr = r["status"], r["stderr"]
    lines = [ln for ln in stderr.splitlines() if not ln.startswith("nakpump: warning:")]
    if r["hung"]:
        return ["hang"] + (["file changed"] if r["changed"] else [])
    if "Traceback" in stderr or "Traceback" in r["stdout"]:
        found.append("traceback")
    if "nakpump: internal error" in stderr:
        found.append("internal error")
    # a process that dies of the signal (-N here) shows as 128 + N in a shell: the same
    allowed = {0, 2, 3} | {128 + s for _, s in case.signals} | {-s for _, s in case.signals}
    if status not in allowed or (case.signals and status == 0):
        found.append("bad status")
    if status != 0:
        if len(lines) != 1:
            found.append("multi-line")
        elif not lines[0].startswith("nakpump: error:") and not (
                case.signals and lines[0].startswith("nakpump: interrupted")):
            found.append("unprefixed")
    if len(stderr) > LONG:
        found.append("over-long")
    if status != 0 and r["appeared"]:
        found.append("file left")
    overwrite_ok = status == 0 and "--overwrite" in case.args
    outputs = {case.args[i + 1] for i, a in enumerate(case.args[:-1])
               if a in ("-o", "--output", "--csv")}
    if [n for n in r["changed"] if not (overwrite_ok and n in outputs)]:
        found.append("file changed")
    if status == 0 and case.expect == "refuse":
        found.append("silent accept")
    if status != 0 and case.expect == "accept":
        found.append("valid refused")
    return found


def traceback_where(text: str) -> str | None:
    """Where the exception of a traceback was raised: its innermost frame in nakpump's
    source, else its innermost frame."""
    frames = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("File \"")]
    ours = [f for f in frames if "/nakpump/" in f and "site-packages" not in f]
    return (ours or frames or [None])[-1]


def last_traceback_line(text: str) -> str | None:
    if "Traceback" not in text:
        return None
    lines = [ln for ln in text.splitlines()
             if ln.strip() and not ln.startswith(("nakpump: warning:", " "))]
    return lines[-1] if lines else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="Run the first N cases.")
    parser.add_argument("--only", default=None,
                        help="Run only cases whose name or arguments contain this text.")
    parser.add_argument("--report", default="/tmp/hostile.json",
                        help="JSON file for the failing cases (default /tmp/hostile.json).")
    parser.add_argument("--timeout", type=float, default=TIMEOUT,
                        help="Seconds before a case counts as a hang (default 60).")
    parser.add_argument("--verbose", action="store_true", help="One line per case.")
    opts = parser.parse_args()

    cases = all_cases()
    if opts.only:
        cases = [c for c in cases if opts.only in c.name or opts.only in " ".join(c.args)]
    if opts.limit is not None:
        cases = cases[:opts.limit]
    env = {**os.environ, "COLUMNS": "200", "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MPLBACKEND": "Agg", "PYTHONWARNINGS": ""}
    for name in ("NAKPUMP_FUZZ_EXAMPLES", "NAKPUMP_DEBUG"):
        env.pop(name, None)
    root = Path(tempfile.mkdtemp(prefix="nakpump-hostile-"))
    t0 = time.perf_counter()
    try:
        fixtures = root / "fixtures"
        fixtures.mkdir()
        if any(isinstance(v, Fixture) for c in cases for v in c.files.values()):
            build_fixtures(fixtures, env)
        results = []
        for i, case in enumerate(cases, 1):
            r = run_case(case, root, fixtures, env, opts.timeout)
            r["classes"] = classify(r, case)
            if "internal error" in r["classes"]:  # again, to see where it rose
                debug = run_case(case, root, fixtures, {**env, "NAKPUMP_DEBUG": "1"},
                                 opts.timeout)
                r["debug_stderr"] = debug["stderr"]
            results.append(r)
            if opts.verbose or r["classes"]:
                mark = ", ".join(r["classes"]) or "ok"
                print(f"[{i:3d}/{len(cases)}] {r['seconds']:5.1f}s {r['status']!s:>4} "
                      f"{case.name[:70]}: {mark}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print()
    report(results, opts.report, time.perf_counter() - t0)


def report(results: list[dict], path: str, wall: float) -> None:
    """Write the failing cases to `path` (JSON), then print the table."""
    counts = Counter(k for r in results for k in r["classes"])
    clean = sum(1 for r in results if not r["classes"])
    clean_errors = sum(1 for r in results if not r["classes"] and r["status"] != 0)
    info_form = [r for r in results if r["status"] == 2 and not r["classes"]
                 and " is not allowed: " not in r["stderr"]]
    debris = [r for r in results if r["debris"]]
    failing = [r for r in results if r["classes"]]
    doc = {"summary": {"cases": len(results), "met_contract": clean, "wall_s": round(wall),
                       **{k: counts.get(k, 0) for k in FAILURES}},
           "failing": [{"name": r["name"], "args": r["args"], "classes": r["classes"],
                        "status": r["status"], "files": r["files"], "symlinks": r["symlinks"],
                        "stderr_first_lines": r["stderr"].splitlines()[:3],
                        "traceback_last_line": last_traceback_line(
                            r.get("debug_stderr", r["stderr"] + r["stdout"])),
                        "traceback_where": traceback_where(
                            r.get("debug_stderr", r["stderr"] + r["stdout"])),
                        "stderr_chars": len(r["stderr"]),
                        "stdout_first_lines": r["stdout"].splitlines()[:2],
                        "changed": r["changed"], "appeared": r["appeared"],
                        "sigterm_ignored": r["sigterm_ignored"],
                        "debris": r["debris"], "seconds": r["seconds"]}
                       for r in failing],
           "info": {"error_not_field_form": [{"name": r["name"], "stderr": r["stderr"][:300]}
                                             for r in info_form],
                    "debris": [{"name": r["name"], "files": r["debris"]} for r in debris]}}
    Path(path).write_text(json.dumps(doc, indent=1, ensure_ascii=False))

    print(f"{len(results)} cases in {wall:.0f} s")
    print(f"  {'met the contract':<34} {clean:4d}  (clean errors {clean_errors}, "
          f"exit 0 {clean - clean_errors})")
    for name, label in (("traceback", "tracebacks"), ("internal error", "internal errors"),
                        ("bad status", "exit status not 0/2/3"),
                        ("multi-line", "multi-line errors"),
                        ("unprefixed", "error line not 'nakpump: error:'"),
                        ("over-long", f"stderr > {LONG} characters"),
                        ("file left", "files left at the output path"),
                        ("file changed", "existing files changed/lost"),
                        ("hang", "hangs"), ("silent accept", "silent acceptance"),
                        ("valid refused", "valid input refused")):
        print(f"  {label:<34} {counts.get(name, 0):4d}")
    print(f"  {'(info) error not X = V form':<34} {len(info_form):4d}")
    print(f"  {'(info) other files left in dir':<34} {len(debris):4d}")
    print(f"  {'failing cases':<34} {len(failing):4d}")
    accepted = [r for r in results if "silent accept" in r["classes"]]
    if accepted:
        print("\nsilent acceptance (exit 0 on an input that should be refused; judge):")
        for r in accepted:
            first = (r["stdout"].strip().splitlines() or [""])[0]
            print(f"  {r['name'][:60]}: {first[:90]}")
    for cls in ("hang", "traceback", "internal error"):
        hit = [r for r in results if cls in r["classes"]]
        if hit:
            print(f"\n{cls}s:")
            for r in hit:
                tail = last_traceback_line(r.get("debug_stderr", r["stderr"] + r["stdout"]))
                where = traceback_where(r.get("debug_stderr", r["stderr"] + r["stdout"]))
                tail = (tail or "") + (f"  [{where.split('/src/')[-1]}]" if where else "")
                if r["hung"]:
                    tail = ("SIGTERM ignored, killed" if r["sigterm_ignored"]
                            else f"stopped by SIGTERM (status {r['status']})")
                print(f"  {r['name'][:60]}: {tail[:100]}")
    print(f"\nfailing cases written to {path}")


if __name__ == "__main__":
    main()
