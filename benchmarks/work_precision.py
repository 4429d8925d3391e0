"""Work–precision on nakpump's own models: nakpump's integrators against peer ODE solvers.

    python benchmarks/work_precision.py [--models a,b,c,d] [--quick] [--fresh] [--repeat K]
                                        [--nakpump JSON ...] [--figure PATH]

Models (nakpump presets; every tool starts from the same state under the same protocol):
(a) cressman-2009 as published (published=True), bath K+ 9 mM from t = 0 (a BathChange):
    60 s of bursting, 838 spikes (--quick: 20 s);
(b) cortical, 3.3 µA/cm² (K+) from 0, all pumps blocked from 60 s, 30 min (--quick: 4 min;
    benchmarks/long_run.py's scenario): ~16 000 spikes, then silence;
(c) hh-1952, 10 µA/cm², 1 s: 69 spikes;
(d) huebel-dahlem-2014, pumps blocked 20–29.5 s (demo_tissue's interruption), 150 s: 491
    spikes, spreading depolarisation and recovery; besides the spikes, the times [K]o
    crosses 15 mM upward (SD onset) and downward (recovery): the "events".

Each tool runs each model at rtol = atol over RTOLS, the absolute tolerance scaled per
variable by nakpump.engine.layout.ATOL_SCALE for every tool:
- nakpump: method="adaptive" (whatever nk.simulate's "adaptive" is) and method="fixed",
  scheme="strang", dt = 0.01 ms; more with --nakpump '{"method": …, …}' (nk.simulate
  keywords); spike times as nk.simulate reports them;
- numbalsoda LSODA (compiled) and scikit-sundae CVODE BDF and Adams (a Python callback), all
  on nakpump's numba right-hand side engine.cell.rhs (benchmarks/peers: its moving
  variables, protocol segment by segment). CVODE finds spikes by its root finding.
  numbalsoda has none: it samples every SAMPLE ms and integrates each interval with a
  crossing again, 32× more finely sampled, for a cubic Hermite crossing (dV/dt from rhs);
  all of it in its wall time (the printed check: how far halving SAMPLE moves its
  crossings). For (a) also numbalsoda on a minimal numba port of the published Cressman
  equations (tests/peers/published_tissue.py), timed if it agrees with nakpump's rhs;
- scipy LSODA through nk.simulate(method="reference", solver="LSODA") (Python rhs calls);
- NEURON CVODE for (b) (tests/peers/neuron_cortical.py, the gates' tolerances scaled as
  ATOL_SCALE does) and (c) (NEURON's own `hh` mechanism, benchmarks/peers/neuron_hh.py).
Spikes are upward crossings of 0 mV. (d)'s events are located the same way for every
tool: on [K]o sampled every EVENT_SAMPLE ms (nakpump: recorded; peers: their output), by
the cubic through the four samples around the crossing; [K]o jumps with each spike at SD
onset, so this event time is a property of the sampled solution, not the exact crossing.
Errors are taken against a reference crossing by crossing over those both runs have: "max"
over all, the last spike's ("last"), and the count difference ("Δn"; events "Δev"); where
the reference still fires at the end of the run, spikes up to halfway between its last
two (a spike at the very end, in one run and not the other, is not a missing one). The
reference is nk.simulate(method="reference"): scipy Radau at rtol = atol = 1e-11 with
steps ≤ 1 ms, checked by scipy LSODA at 1e-12; their differences are printed as the floor
below which errors mean nothing. References are cached in benchmarks/.cache/, keyed by
model, duration, nakpump version, a hash of the source the reference runs on and one of
the cell, protocol and reference settings (--fresh recomputes). Wall times:
time.perf_counter, after a short warm-up run of every setting (numba compilation,
nrnivmodl); each row's fastest of up to --repeat K runs (default 3; no further run once a
row has taken REPEAT_BUDGET = 10 s).

Summary: per model, each tool's wall time at max errors of 10 … 0.001 ms, interpolated
log–log along its own curve (its points with the reference's counts; nan outside the
curve), and the fastest peer's wall time over nakpump adaptive's; for (d) once over all
crossings and once without the recovery's [K]o event, whose timing the two references do
not agree on (it is ill-conditioned). The figure, wall time against max error with one
line per tool and a panel per summary, goes to docs/work_precision.png.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import nakpump as nk
from nakpump.engine.layout import ATOL_SCALE, K_O, M, V
from nakpump.model.spec import spec_to_dict
from nakpump.protocols import event_to_dict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "peers"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from peers import flat  # noqa: E402

RTOLS = tuple(10.0 ** -k for k in range(2, 11))  # 1e-2 … 1e-10: rtol = atol, nakpump and peers
NAKPUMP_SETTINGS = ([dict(method="adaptive", rtol=r, atol=r) for r in RTOLS]
                    + [dict(method="fixed", scheme="strang", dt=0.01)])
SCIPY_RTOLS = (1e-4, 1e-6, 1e-8)  # scipy LSODA (a Python call per rhs): fewer, it is slow
REFERENCE = dict(method="reference", solver="Radau", rtol=1e-11, atol=1e-11, h_max=1.0)
CHECK = dict(REFERENCE, solver="LSODA", rtol=1e-12, atol=1e-12)  # confirms the reference
THRESHOLD = 0.0  # mV, spikes: upward crossings
K_LEVEL = 15.0  # mM, (d)'s events: [K]o crossing it up and down
EVENT_SAMPLE = 1.0  # ms, (d): every tool's [K]o samples, on which its events are located
SAMPLE = 0.025  # ms, numbalsoda's sampling interval
PIECE = 1000.0  # ms, numbalsoda's longest call and CVODE's output interval
CVODE_MAX_STEP = 50.0  # ms, nk.simulate's default h_max
WARM_UP = 200.0  # ms
REPEAT_BUDGET = 10.0  # s: a row is not run again once its runs have taken this long
TARGETS = (10.0, 1.0, 0.1, 0.01, 0.001)  # ms, max errors the summary reads the curves at
PORT_AGREEMENT = 1e-3  # ms: the Cressman port must match nakpump's rhs this well to be timed
NEURON_AGREEMENT = 0.05  # ms: NEURON's hh must match hh-1952's reference this well (tightest)
CACHE = ROOT / "benchmarks" / ".cache"
BLOCK_AT = 60_000.0  # ms, (b)'s pump block


@dataclass(frozen=True)
class Model:
    key: str
    title: str
    cell: Callable[[], nk.CellSpec]
    protocol: Callable[[float], list]  # duration (ms) → events
    duration: float  # ms
    quick: float  # ms, with --quick
    events: bool = False  # (d): [K]o crossings of K_LEVEL besides the spikes


MODELS = {m.key: m for m in (
    Model("a", "cressman-2009 (published), bath K+ 9 mM", lambda: nk.preset(
        "cressman-2009", published=True), lambda T: [nk.BathChange(k_o=9.0, start=0.0)],
        60_000.0, 20_000.0),
    Model("b", "cortical, 3.3 µA/cm², pumps blocked from 60 s", lambda: nk.preset("cortical"),
          lambda T: [nk.Stimulus(amplitude=3.3)] + (
              [nk.PumpBlock(fraction=1.0, start=BLOCK_AT)] if T > BLOCK_AT else []),
          1_800_000.0, 240_000.0),
    Model("c", "hh-1952, 10 µA/cm²", lambda: nk.preset("hh-1952"),
          lambda T: [nk.Stimulus(amplitude=10.0)], 1000.0, 1000.0),
    Model("d", "huebel-dahlem-2014, pumps blocked 20–29.5 s", lambda: nk.preset(
        "huebel-dahlem-2014"), lambda T: [nk.PumpBlock(start=20e3, stop=29.5e3)]
        if T > 29.5e3 else [], 150_000.0, 150_000.0, events=True),
)}


@dataclass(frozen=True)
class Case:
    """A model run for a duration: its cell and protocol built once."""

    model: Model
    duration: float  # ms
    cell: nk.CellSpec
    protocol: list

    @classmethod
    def of(cls, model: Model, duration: float) -> Case:
        return cls(model, duration, model.cell(), model.protocol(duration))

    def shortened(self, duration: float) -> Case:
        return Case.of(self.model, min(duration, self.duration))


@dataclass
class Row:
    tool: str  # one curve of the figure and summary
    setting: str
    wall: float  # s
    times: list  # crossing times (ms): spikes, then (d) [K]o up, [K]o down
    err: Errors | None = None  # against the reference


SPIKES = [(V, THRESHOLD, True)]  # what the peers watch: (state index, level, upward)


def kinds(model: Model) -> int:
    """How many kinds of crossing are compared: spikes; (d) [K]o up and [K]o down."""
    return 3 if model.events else 1


def events(t: np.ndarray, k_o: np.ndarray) -> list[np.ndarray]:
    """(d)'s event times (ms): [K]o sampled at times t crossing K_LEVEL up, and down."""
    return [sampled_crossings(t, k_o, K_LEVEL, True), sampled_crossings(t, k_o, K_LEVEL, False)]


def sampled_crossings(t: np.ndarray, x: np.ndarray, level: float, up: bool) -> np.ndarray:
    """Crossing times (ms) of level by samples x(t), on the cubic through the four samples
    around each (bisection)."""
    i = np.flatnonzero((x[:-1] < level) & (x[1:] >= level) if up
                       else (x[:-1] > level) & (x[1:] <= level))
    out = []
    for k in i:
        j = np.clip(np.arange(k - 1, k + 3), 0, t.size - 1)
        j = np.unique(j)
        coef = np.polyfit(t[j] - t[k], x[j], j.size - 1)
        lo, hi = 0.0, t[k + 1] - t[k]
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if (np.polyval(coef, mid) < level) == up:
                lo = mid
            else:
                hi = mid
        out.append(t[k] + 0.5 * (lo + hi))
    return np.array(out)


def run_nakpump(case: Case, kw: dict) -> tuple[float, list]:
    """(wall s, crossing times) of nk.simulate with settings kw."""
    record = dict(record=["k_o"], record_interval=EVENT_SAMPLE) if case.model.events else {
        "record": []}
    t0 = time.perf_counter()
    ds = nk.simulate(case.cell, case.duration, case.protocol, **record, **kw)
    wall = time.perf_counter() - t0
    times = [ds.spike_time.values]
    if case.model.events:
        times += events(ds.time.values, ds.k_o.values)
    return wall, times


def _label(kw: dict) -> tuple[str, str]:
    """(tool, setting) of a set of nk.simulate keywords."""
    rest = {k: v for k, v in kw.items() if k != "method"}
    tool = f"nakpump {kw.get('method', 'auto')}"
    if kw.get("method") == "fixed":
        tool += f" {rest.pop('scheme', 'strang')}"
    if rest.get("rtol") == rest.get("atol") and "rtol" in rest:
        rest["rtol=atol"] = rest.pop("rtol")
        rest.pop("atol")
    return tool, " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in rest.items())


def _revision() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _reference_code() -> str:
    """A hash of the source a reference run depends on (the model, its arrays, rhs and the
    scipy driver): commits elsewhere (another integrator, the CLI) keep the cache."""
    pkg = Path(nk.__file__).parent
    files = sorted([*pkg.glob("biophysics/*.py"), *pkg.glob("model/*.py"),
                    *pkg.glob("mechanisms/**/*.py"),
                    *(pkg / name for name in ("engine/cell.py", "engine/compile.py",
                                              "engine/compose.py",
                                              "engine/layout.py", "engine/reference.py",
                                              "protocols.py", "steady.py", "units.py",
                                              "_jit.py"))])
    digest = hashlib.sha1()
    for f in files:
        digest.update(f.read_bytes())
    return digest.hexdigest()[:10]


def _src_edited() -> bool:
    try:
        return bool(subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT,
                                   capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return False


@dataclass(frozen=True)
class Errors:
    """Crossing times against the reference's, per kind (spikes; (d): [K]o up, [K]o down)."""

    dn: tuple[int, ...]  # differences in count
    err: tuple[float, ...]  # ms, max |Δt| over the crossings both have (nan: none)
    last: float  # ms, |Δt| of the last spike both have

    def max(self, kinds) -> float:
        """Max error (ms) over the crossing kinds `kinds` (nan if none compared)."""
        known = [self.err[k] for k in kinds if np.isfinite(self.err[k])]
        return max(known) if known else math.nan

    def ok(self, kinds) -> bool:
        """Whether the counts of the kinds `kinds` are the reference's."""
        return all(self.dn[k] == 0 for k in kinds)


def compare(times: list, ref: list, end: float) -> Errors:
    """Errors of crossing times `times` against `ref` (lists of arrays, ms) of a run that
    ends at `end` (ms), crossing by crossing over those both have. When the reference still
    fires at the end (its last spike less than two intervals before it), spikes count up to
    halfway between its last two: a spike near the end (model (a)'s reference has one 0.1 ms
    after it) is in one run and not the other for an error smaller than its distance to it."""
    dn, err, last = [], [], math.nan
    for k, (a, b) in enumerate(zip(times, ref)):
        if k == 0 and b.size >= 2 and end - b[-1] < 2.0 * (b[-1] - b[-2]):
            cut = 0.5 * (b[-2] + b[-1])
            a, b = a[a < cut], b[b < cut]
        n = min(a.size, b.size)
        diff = np.abs(a[:n] - b[:n])
        dn.append(a.size - b.size)
        err.append(float(diff.max()) if n else math.nan)
        if k == 0 and n:
            last = float(diff[-1])
    return Errors(tuple(dn), tuple(err), last)


@dataclass
class Reference:
    times: list  # as Row.times
    wall: float  # s
    check: list  # the LSODA check's crossing times
    check_wall: float  # s
    cached: bool
    end: float  # ms, the run's duration

    @property
    def floor(self) -> Errors:
        """How far the LSODA check is from the Radau reference."""
        return compare(self.check, self.times, self.end)


def reference(case: Case, fresh: bool) -> Reference:
    """The Radau reference and its LSODA check, from the cache unless fresh."""
    model, duration = case.model, case.duration
    what = json.dumps([spec_to_dict(case.cell), [event_to_dict(e) for e in case.protocol],
                       duration, REFERENCE, CHECK, THRESHOLD, K_LEVEL, EVENT_SAMPLE],
                      sort_keys=True, default=str)
    digest = hashlib.sha1(what.encode()).hexdigest()[:12]
    path = CACHE / f"{model.key}-{duration:.0f}ms-{nk.__version__}-{_reference_code()}-{digest}.npz"
    n = kinds(model)
    if path.exists() and not fresh:
        z = np.load(path)
        return Reference([z[f"ref{i}"] for i in range(n)], float(z["wall"]),
                         [z[f"check{i}"] for i in range(n)], float(z["check_wall"]), True,
                         duration)
    wall, times = run_nakpump(case, REFERENCE)
    check_wall, check = run_nakpump(case, CHECK)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, wall=wall, check_wall=check_wall,
             **{f"ref{i}": t for i, t in enumerate(times)},
             **{f"check{i}": t for i, t in enumerate(check)})
    return Reference(times, wall, check, check_wall, False, duration)


def timed(repeat: int, fn, *args, **kwargs) -> tuple[float, list]:
    """(fastest wall s, the result) of up to `repeat` calls fn(*args, **kwargs) → crossing
    times (or → (wall s, crossing times) when fn times itself); no more calls once they
    have taken REPEAT_BUDGET s."""
    best, out, spent = math.inf, None, 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        wall = time.perf_counter() - t0
        spent += wall
        if isinstance(out, tuple):
            wall, out = out
        best = min(best, wall)
        if spent > REPEAT_BUDGET:
            break
    return best, out


def run_peer(model: Model, fn, prob: flat.Problem, rtol: float, **kw) -> list:
    """Crossing times of a peer run at rtol = atol: its spikes, (d) the [K]o events on its
    samples every EVENT_SAMPLE ms."""
    record = (K_O,) if model.events else ()
    spikes, kept = fn(prob, SPIKES, rtol, rtol, record=record, every=EVENT_SAMPLE, **kw)
    return spikes + (events(kept[:, 0], kept[:, 1]) if model.events else [])


def peer_rows(case: Case, repeat: int) -> list[Row]:
    """Warm up and time every peer setting that is installed; say why a peer is missing."""
    rows = []
    model = case.model
    warm = case.shortened(WARM_UP)
    prob = flat.problem(case.cell, case.duration, case.protocol)
    prob_warm = flat.problem(warm.cell, warm.duration, warm.protocol)

    if importlib.util.find_spec("numbalsoda") is None:
        print("  numbalsoda rows left out: not installed (apt-get install gfortran; "
              "pip install numbalsoda)")
    else:
        from peers import lsoda

        run_peer(model, lsoda.run, prob_warm, 1e-6, sample=SAMPLE)
        moved = []  # how far halving the sampling interval moves the crossings, per rtol
        for r in RTOLS:
            wall, times = timed(repeat, run_peer, model, lsoda.run, prob, r, sample=SAMPLE,
                                piece=PIECE)
            rows.append(Row("numbalsoda LSODA", f"rtol=atol={r:.0e}", wall, times))
            shift = compare(run_peer(model, lsoda.run, prob, r, sample=SAMPLE / 2,
                                     piece=PIECE), times, case.duration)
            moved.append(f"{r:.0e}: " + (f"{shift.max(views(model)[-1][1]):.1e}"
                                         if not any(shift.dn) else f"Δn {shift.dn}"))
        print(f"  numbalsoda samples every {SAMPLE:g} ms; halving that moves its crossings"
              f"{' (spikes, [K]o up)' if model.events else ''} by (rtol: ms) "
              f"{', '.join(moved)}")
        if model.key == "a":
            rows += port_rows(prob, prob_warm, repeat)

    if importlib.util.find_spec("sksundae") is None:
        print("  CVODE rows left out: scikit-sundae is not installed (pip install "
              "scikit-sundae)")
    else:
        from peers import cvode

        for method in ("BDF", "Adams"):
            run_peer(model, cvode.run, prob_warm, 1e-6, method=method)
            for r in RTOLS:
                wall, times = timed(repeat, run_peer, model, cvode.run, prob, r, method=method,
                                    max_step=CVODE_MAX_STEP, piece=PIECE)
                rows.append(Row(f"CVODE {method}", f"rtol=atol={r:.0e}", wall, times))

    for r in SCIPY_RTOLS:
        kw = dict(method="reference", solver="LSODA", rtol=r, atol=r)
        run_nakpump(warm, kw)
        wall, times = timed(repeat, run_nakpump, case, kw)
        rows.append(Row("scipy LSODA", f"rtol=atol={r:.0e}", wall, times))

    return rows + neuron_rows(case, repeat)


def port_rows(prob, prob_warm, repeat: int) -> list[Row]:
    """numbalsoda on the Cressman port, if it agrees with numbalsoda on nakpump's rhs."""
    from peers import lsoda

    lsoda.run_port(prob_warm, SPIKES, 1e-6, 1e-6, sample=SAMPLE)
    tight = 1e-12
    agree = compare(lsoda.run_port(prob, SPIKES, tight, tight, sample=SAMPLE),
                    lsoda.run(prob, SPIKES, tight, tight, sample=SAMPLE)[0], prob.seg_t[-1])
    print(f"  Cressman port vs nakpump's rhs (numbalsoda, rtol=atol={tight:g}): Δn "
          f"{agree.dn[0]}, max spike-time difference {agree.err[0]:.2e} ms")
    if agree.dn[0] != 0 or not agree.err[0] <= PORT_AGREEMENT:
        print(f"  Cressman port rows left out: it does not agree to {PORT_AGREEMENT:g} ms")
        return []
    rows = []
    for r in RTOLS:
        wall, times = timed(repeat, lsoda.run_port, prob, SPIKES, r, r, sample=SAMPLE,
                            piece=PIECE)
        rows.append(Row("numbalsoda LSODA, Cressman port", f"rtol=atol={r:.0e}", wall, times))
    return rows


def neuron_rows(case: Case, repeat: int) -> list[Row]:
    """NEURON CVODE: (b) the NMODL peer of tests/peers, (c) NEURON's own hh."""
    if case.model.key not in ("b", "c"):
        return []
    if importlib.util.find_spec("neuron") is None:
        print("  NEURON rows left out: NEURON is not installed (pip install neuron)")
        return []
    amp = case.protocol[0].amplitude  # µA/cm²
    if case.model.key == "c":
        from peers import neuron_hh

        def run(r, duration=case.duration):
            return [neuron_hh.run(case.cell, duration, amp, r, r, threshold=THRESHOLD)]
    else:
        import neuron_cortical as peer

        h = peer.load_mechanisms()
        for gate in "mhnp":  # the gates' tolerances as ATOL_SCALE has them
            h.CVode().atolscale(f"{gate}_nkp_traub", ATOL_SCALE[M])

        def run(r, duration=case.duration):
            block = BLOCK_AT if duration > BLOCK_AT else None
            return [peer.run_neuron(case.cell, duration, amp, 0.0, block_start=block,
                                    method="cvode", rtol=r, atol=r, record_interval=PIECE,
                                    threshold=THRESHOLD)["spikes"]]
    run(1e-6, min(WARM_UP, case.duration))
    rows = []
    for r in RTOLS:
        wall, times = timed(repeat, run, r)
        rows.append(Row("NEURON CVODE", f"rtol=atol={r:.0e}", wall, times))
    return rows


def check_neuron(model: Model, rows: list[Row]) -> list[Row]:
    """Say how well NEURON agrees at its tightest tolerance; leave its (c) rows out (NEURON's
    own hh, not nakpump's equations) unless it agrees to NEURON_AGREEMENT."""
    ours = [r for r in rows if r.tool == "NEURON CVODE"]
    if not ours:
        return rows
    tight = ours[-1].err
    agrees = tight.ok((0,)) and tight.err[0] <= NEURON_AGREEMENT
    print(f"  NEURON at rtol=atol={RTOLS[-1]:.0e}: Δn {tight.dn[0]}, max spike-time error "
          f"{tight.err[0]:.2e} ms")
    if model.key == "c" and not agrees:
        print(f"  NEURON rows left out: its hh does not agree with hh-1952 to "
              f"{NEURON_AGREEMENT:g} ms with the same spike count")
        return [r for r in rows if r.tool != "NEURON CVODE"]
    return rows


def views(model: Model) -> list[tuple[str, tuple[int, ...]]]:
    """(label, crossing kinds) of the errors the summary and figure show."""
    if not model.events:
        return [("spikes", (0,))]
    return [("spikes and [K]o events", (0, 1, 2)), ("spikes and [K]o up (SD onset)", (0, 1))]


def print_table(model: Model, rows: list[Row]) -> None:
    ev = model.events
    print(f"{'tool':<33}{'setting':<22}{'wall (s)':>9}{'spikes':>8}{'Δn':>5}"
          + (f"{'events':>7}{'Δev':>5}" if ev else "") + f"{'max err (ms)':>14}"
          f"{'last err (ms)':>15}" + (f"{'spike err':>11}{'[K]o↑ err':>11}{'[K]o↓ err':>11}"
                                      if ev else ""))
    for r in rows:
        e = r.err
        line = f"{r.tool:<33}{r.setting:<22}{r.wall:>9.3f}{r.times[0].size:>8}{e.dn[0]:>5}"
        if ev:
            line += f"{r.times[1].size + r.times[2].size:>7}{e.dn[1] + e.dn[2]:>5}"
        line += f"{e.max(range(len(e.err))):>14.3g}{e.last:>15.3g}"
        if ev:
            line += "".join(f"{x:>11.3g}" for x in e.err)
        print(line)


def curve(rows: list[Row], kinds) -> list[tuple[float, float]]:
    """(max error ms, wall s) of the rows whose counts of `kinds` are the reference's."""
    return sorted((r.err.max(kinds), r.wall) for r in rows
                  if r.err.ok(kinds) and np.isfinite(r.err.max(kinds)) and r.err.max(kinds) > 0)


def curve_wall(points: list[tuple[float, float]], target: float) -> float:
    """Wall time (s) at max error `target` (ms) along a curve, log–log, or nan outside it."""
    if len(points) < 2 or not points[0][0] <= target <= points[-1][0]:
        return math.nan
    err, wall = np.log(np.array(points)).T
    return float(np.exp(np.interp(math.log(target), err, wall)))


def summary(model: Model, rows: list[Row], label: str, kinds) -> None:
    tools = list(dict.fromkeys(r.tool for r in rows))
    print(f"\n({model.key}) wall time (s) at a max error ({label}) of … (log–log along each "
          f"tool's own curve: its points with the reference's counts; nan outside it)")
    print(f"{'tool':<33}" + "".join(f"{f'{t:g} ms':>11}" for t in TARGETS))
    walls = {}
    for tool in tools:
        points = curve([r for r in rows if r.tool == tool], kinds)
        walls[tool] = [curve_wall(points, t) for t in TARGETS]
        print(f"{tool:<33}" + "".join(f"{w:>11.3g}" for w in walls[tool]))
    ours = walls.get("nakpump adaptive", [math.nan] * len(TARGETS))
    peers = [t for t in tools if not t.startswith("nakpump")]
    ratio, fastest = [], []
    for i in range(len(TARGETS)):
        best = min(((walls[t][i], t) for t in peers if np.isfinite(walls[t][i])),
                   default=(math.nan, "—"))
        ratio.append(best[0] / ours[i])
        fastest.append(best[1])
    print(f"{'fastest peer / nakpump adaptive':<33}" + "".join(f"{q:>11.3g}" for q in ratio))
    print("  fastest peer: " + "; ".join(f"{t:g} ms {p}" for t, p in zip(TARGETS, fastest)))


def figure(results: list, path: Path) -> None:
    """Wall time against max error, one panel per model and view, one line per tool."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(model, duration, rows, ref, label, kinds)
              for model, duration, rows, ref in results for label, kinds in views(model)]
    cols = min(2, len(panels))
    n_rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(n_rows, cols, figsize=(6.4 * cols, 4.8 * n_rows), squeeze=False)
    for ax, (model, duration, rows, ref, label, kinds) in zip(axes.flat, panels):
        for tool in dict.fromkeys(r.tool for r in rows):
            points = curve([r for r in rows if r.tool == tool], kinds)
            if points:
                ax.plot(*zip(*points), "o-", ms=4, label=tool)
        floor = ref.floor.max(kinds)
        if floor > 0:
            ax.axvline(floor, color="grey", ls=":", label="reference floor")
        ax.set(xscale="log", yscale="log", xlabel=f"max error, {label} (ms)",
               ylabel="wall time (s)", title=f"({model.key}) {model.title}, "
                                             f"{duration / 1000:g} s")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"\nfigure: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="a,b,c,d", help="comma-separated, of a,b,c,d")
    parser.add_argument("--quick", action="store_true", help="(a) 20 s, (b) 4 min")
    parser.add_argument("--fresh", action="store_true", help="recompute the references")
    parser.add_argument("--repeat", type=int, default=3,
                        help=f"keep each row's fastest of up to K runs (3; none started after "
                             f"{REPEAT_BUDGET:g} s on the row)")
    parser.add_argument("--nakpump", action="append", default=[], metavar="JSON",
                        help="extra nk.simulate settings, e.g. '{\"method\": \"adaptive\", "
                             "\"rtol\": 1e-6}' (or a JSON list of them); repeatable")
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "work_precision.png")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    keys = [k.strip() for k in args.models.split(",") if k.strip()]
    unknown = [k for k in keys if k not in MODELS]
    if unknown:
        parser.error(f"--models: unknown {', '.join(unknown)} (choose from a, b, c, d)")
    extra = []
    for text in args.nakpump:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            parser.error(f"--nakpump {text!r}: not JSON ({err})")
        extra += value if isinstance(value, list) else [value]
    settings = NAKPUMP_SETTINGS + extra

    edited = " (src/ has uncommitted edits)" if _src_edited() else ""
    print(f"nakpump {nk.__version__} at {_revision()}{edited} (reference code "
          f"{_reference_code()}); tolerances rtol = atol "
          f"{', '.join(f'{r:g}' for r in RTOLS)}, atol scaled by ATOL_SCALE")
    results = []
    t_start = time.perf_counter()
    for key in keys:
        model = MODELS[key]
        case = Case.of(model, model.quick if args.quick else model.duration)
        print(f"\n({key}) {model.title}, {case.duration / 1000:g} s")
        ref = reference(case, args.fresh)
        floor = ref.floor
        counts = f"{ref.times[0].size} spikes" + (
            f", [K]o up at {np.round(ref.times[1] / 1000, 3)} s, down at "
            f"{np.round(ref.times[2] / 1000, 3)} s" if model.events else "")
        print(f"  reference: Radau rtol=atol={REFERENCE['rtol']:g} (h_max "
              f"{REFERENCE['h_max']:g} ms), {counts}, {ref.wall:.1f} s wall"
              f"{' (cached)' if ref.cached else ''}; LSODA rtol=atol={CHECK['rtol']:g} "
              f"({ref.check_wall:.1f} s): Δn {list(floor.dn)}, differences (floor) "
              + ", ".join(f"{e:.1e}" for e in floor.err) + " ms")
        warm = case.shortened(WARM_UP)
        rows = []
        for kw in settings:
            try:
                run_nakpump(warm, kw)
            except (nk.SpecError, TypeError) as err:
                parser.error(f"nakpump setting {json.dumps(kw)}: {err}")
            wall, times = timed(args.repeat, run_nakpump, case, kw)
            rows.append(Row(*_label(kw), wall, times))
        rows += peer_rows(case, args.repeat)
        for r in rows:
            r.err = compare(r.times, ref.times, case.duration)
        rows = check_neuron(model, rows)
        print_table(model, rows)
        for label, kinds in views(model):
            summary(model, rows, label, kinds)
        results.append((model, case.duration, rows, ref))
    figure(results, args.figure)
    print(f"total wall time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
