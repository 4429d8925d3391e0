"""What happens when: protocol events on a time line (ms), compiled to piecewise-constant drives.

Events are frozen data; a protocol is a sequence of them. `compile_protocol`
turns a protocol into segment boundaries and one drive vector per segment
(layout in engine.layout), after checking every event against the run.

Composition rules: stimuli add (per carrier ion); pump blocks combine as
independent inhibitors (unblocked fraction = Π(1 − f)); ATP levels, bath
concentrations and voltage clamps set a value and must not overlap.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nakpump.engine.layout import (
    D_ATP,
    D_BLOCK,
    D_CL_BATH,
    D_CLAMP,
    D_K_BATH,
    D_K_PUFF,
    D_NA_BATH,
    D_O2_BATH,
    D_OUABAIN,
    D_OXPHOS_BLOCK,
    D_STIM_CL,
    D_STIM_K,
    D_STIM_NA,
    D_V_CLAMP,
    N_DRIVE,
)
from nakpump.errors import SpecError
from nakpump.model.spec import IONS, CellSpec, _check_number

_STIM_SLOT = {"na": D_STIM_NA, "k": D_STIM_K, "cl": D_STIM_CL}
_BATH_SLOT = {"na_o": D_NA_BATH, "k_o": D_K_BATH, "cl_o": D_CL_BATH}


MIN_TIME = 1e-6  # ms (1 ns): event times and windows shorter than this mean a unit slip


def _check_window(kind: str, start: float, stop: float | None) -> None:
    _check_number(f"{kind}.start", start, lower=0.0, strict=False, unit="ms")
    if 0.0 < start < MIN_TIME:
        raise SpecError(f"{kind}.start", start, f"0 or at least {MIN_TIME:g} ms (1 ns)")
    if stop is not None:
        _check_number(f"{kind}.stop", stop, lower=start, unit="ms, after start")
        if stop - start < MIN_TIME:
            raise SpecError(f"{kind}.stop", stop, f"at least {MIN_TIME:g} ms after start")


@dataclass(frozen=True, kw_only=True)
class Stimulus:
    """A constant injected current (µA/cm², depolarising positive) from start to stop (ms).

    The current is carried by `ion` (default: the cell's stim_ion, K+), so the
    charge it brings changes that ion's concentration.
    """

    amplitude: float  # µA/cm²
    start: float = 0.0  # ms
    stop: float | None = None  # ms; None = to the end of the run
    ion: str | None = None

    def __post_init__(self) -> None:
        _check_number("stimulus.amplitude", self.amplitude, unit="µA/cm²")
        _check_window("stimulus", self.start, self.stop)
        if self.ion is not None and self.ion not in IONS:
            raise SpecError("stimulus.ion", self.ion, f"one of {', '.join(IONS)}")


MAX_TRAIN_HZ = 5000.0  # Hz: a 0.2 ms period, faster than any neuron can follow
MAX_PULSES = 1_000_000  # pulses in one train: two protocol segments each


@dataclass(frozen=True, kw_only=True)
class PulseTrain:
    """Rectangular current pulses (µA/cm²) of `width` ms at `frequency` Hz from start (ms).

    Ends after n_pulses pulses or at stop (ms), whichever is given (one must be).
    """

    amplitude: float  # µA/cm²
    frequency: float  # Hz
    width: float  # ms
    start: float = 0.0  # ms
    n_pulses: int | None = None
    stop: float | None = None  # ms
    ion: str | None = None

    def __post_init__(self) -> None:
        _check_number("pulse_train.amplitude", self.amplitude, unit="µA/cm²")
        _check_number("pulse_train.frequency", self.frequency, lower=0.0, upper=MAX_TRAIN_HZ,
                      unit="Hz; no neuron follows a faster train")
        _check_number("pulse_train.width", self.width, lower=0.0, upper=1000.0 / self.frequency,
                      unit="ms, at most one period")
        _check_window("pulse_train", self.start, self.stop)
        if (self.n_pulses is None) == (self.stop is None):
            raise SpecError("pulse_train.n_pulses", self.n_pulses, "exactly one of n_pulses, stop")
        if self.n_pulses is not None and (isinstance(self.n_pulses, bool)
                                          or not isinstance(self.n_pulses, int)
                                          or self.n_pulses < 1):
            raise SpecError("pulse_train.n_pulses", self.n_pulses, "a whole number ≥ 1")
        if self.ion is not None and self.ion not in IONS:
            raise SpecError("pulse_train.ion", self.ion, f"one of {', '.join(IONS)}")
        if self.count() > MAX_PULSES:
            raise SpecError("pulse_train", f"{self.count()} pulses",
                            f"at most {MAX_PULSES} pulses in a train (each is a protocol "
                            f"segment); a constant Stimulus drives a cell as steadily")

    def count(self) -> int:
        """How many pulses the train has."""
        if self.n_pulses is not None:
            return self.n_pulses
        return max(0, math.ceil((self.stop - self.start) * self.frequency / 1000.0 - 1e-9))

    def pulses(self) -> list[Stimulus]:
        """The train as individual Stimulus events."""
        period = 1000.0 / self.frequency
        out = []
        for k in range(self.count()):
            t0 = self.start + k * period
            t1 = t0 + self.width
            if self.stop is not None:
                t1 = min(t1, self.stop)
            out.append(Stimulus(amplitude=self.amplitude, start=t0, stop=t1, ion=self.ion))
        return out


@dataclass(frozen=True, kw_only=True)
class PumpBlock:
    """Block a fraction (0–1) of the pumps, e.g. by ouabain, from start to stop (ms)."""

    fraction: float = 1.0
    start: float = 0.0  # ms
    stop: float | None = None  # ms

    def __post_init__(self) -> None:
        _check_number("pump_block.fraction", self.fraction, lower=0.0, upper=1.0, strict=False)
        _check_window("pump_block", self.start, self.stop)


@dataclass(frozen=True, kw_only=True)
class AtpChange:
    """Set cytosolic [ATP] (mM) from start to stop (ms); the pump follows its ATP dependence."""

    atp: float  # mM
    start: float = 0.0
    stop: float | None = None

    def __post_init__(self) -> None:
        _check_number("atp_change.atp", self.atp, lower=0.0, strict=False, unit="mM")
        _check_window("atp_change", self.start, self.stop)


@dataclass(frozen=True, kw_only=True)
class BathChange:
    """Set bath concentrations (mM) from start to stop (ms).

    For a cell in a bath they are its outside; for a closed outside coupled to a
    bath (CellSpec.bath) they are what the extracellular space exchanges with.
    """

    na_o: float | None = None
    k_o: float | None = None
    cl_o: float | None = None
    start: float = 0.0
    stop: float | None = None

    def __post_init__(self) -> None:
        given = {k: v for k, v in self.values().items()}
        if not given:
            raise SpecError("bath_change", self, "at least one of na_o, k_o, cl_o")
        for name, value in given.items():
            _check_number(f"bath_change.{name}", value, lower=0.0, unit="mM")
        _check_window("bath_change", self.start, self.stop)

    def values(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in _BATH_SLOT if getattr(self, k) is not None}


@dataclass(frozen=True, kw_only=True)
class VoltageClamp:
    """Clamp the membrane at v (mV) from start to stop (ms); the stim ion carries the current."""

    v: float  # mV
    start: float = 0.0
    stop: float | None = None

    def __post_init__(self) -> None:
        _check_number("voltage_clamp.v", self.v, lower=-200.0, upper=200.0, unit="mV")
        _check_window("voltage_clamp", self.start, self.stop)


@dataclass(frozen=True, kw_only=True)
class PotassiumPuff:
    """Deliver k_o mM of K+ (per extracellular volume) into a closed extracellular space,
    evenly from start to stop (ms), as a puff from a pipette would; puffs add.

    The K+ is counted as coming from the bath (the bath_k counter goes down by k_o).
    """

    k_o: float  # mM
    start: float = 0.0  # ms
    stop: float  # ms

    def __post_init__(self) -> None:
        _check_number("potassium_puff.k_o", self.k_o, lower=0.0, unit="mM")
        _check_window("potassium_puff", self.start, self.stop)


@dataclass(frozen=True, kw_only=True)
class OxygenChange:
    """Set the bath O2 (mg/L) from start to stop (ms): hypoxia, anoxia, reoxygenation.

    Only for a cell whose pumps depend on O2 (CellSpec.oxygen; Wei 2014: 32 mg/L normal).
    """

    o2: float  # mg/L
    start: float = 0.0  # ms
    stop: float | None = None  # ms

    def __post_init__(self) -> None:
        _check_number("oxygen_change.o2", self.o2, lower=0.0, strict=False, unit="mg/L")
        _check_window("oxygen_change", self.start, self.stop)


@dataclass(frozen=True, kw_only=True)
class MetabolicBlock:
    """Block a fraction (0–1) of oxidative phosphorylation from start to stop (ms): anoxia,
    cyanide or an uncoupler. Only for a cell that makes its own ATP (CellSpec.metabolism);
    glycolysis goes on, and the ATP falls to where it and the pump's slowing balance."""

    fraction: float = 1.0
    start: float = 0.0  # ms
    stop: float | None = None  # ms

    def __post_init__(self) -> None:
        _check_number("metabolic_block.fraction", self.fraction, lower=0.0, upper=1.0,
                      strict=False)
        _check_window("metabolic_block", self.start, self.stop)


@dataclass(frozen=True, kw_only=True)
class Ouabain:
    """Apply ouabain at `concentration` (µM) from start to stop (ms), then wash it out.

    Unlike PumpBlock (an instant switch), ouabain binds and unbinds with the pump's
    rates (pump.ouabain_k_on, ouabain_k_off): the block develops with time constant
    1/(k_on·c + k_off) towards k_on·c/(k_on·c + k_off) and washes out with 1/k_off.
    """

    concentration: float  # µM
    start: float = 0.0  # ms
    stop: float | None = None  # ms

    def __post_init__(self) -> None:
        # ≤ 100 mM: beyond ouabain's solubility in water (~20 mM), a unit mistake
        _check_number("ouabain.concentration", self.concentration, lower=0.0, upper=1e5,
                      unit="µM")
        _check_window("ouabain", self.start, self.stop)


Event = (Stimulus | PulseTrain | PumpBlock | AtpChange | BathChange | VoltageClamp
         | PotassiumPuff | OxygenChange | MetabolicBlock | Ouabain)
EVENT_TYPES = (Stimulus, PulseTrain, PumpBlock, AtpChange, BathChange, VoltageClamp,
               PotassiumPuff, OxygenChange, MetabolicBlock, Ouabain)


def base_drive(cell: CellSpec) -> np.ndarray:
    """The drive vector with nothing applied: no current, no block, normal ATP, preset bath."""
    d = np.zeros(N_DRIVE)
    d[D_ATP] = cell.atp
    bath = cell.bath or cell.ions  # a closed outside's bath, or the outside itself
    d[D_NA_BATH], d[D_K_BATH], d[D_CL_BATH] = ((bath.na, bath.k, bath.cl) if cell.bath
                                               else (bath.na_o, bath.k_o, bath.cl_o))
    if cell.oxygen is not None:
        d[D_O2_BATH] = cell.oxygen.bath
    return d


def expand(events: Sequence[Event]) -> list[Event]:
    """Pulse trains replaced by their pulses; everything else kept."""
    if isinstance(events, EVENT_TYPES) or not isinstance(events, (list, tuple)):
        raise SpecError("protocol", events, "a list of events, e.g. [Stimulus(amplitude=5.0)]")
    out: list[Event] = []
    for i, ev in enumerate(events):
        if not isinstance(ev, EVENT_TYPES):
            raise SpecError(f"protocol[{i}]", ev, "a Stimulus, PulseTrain, PumpBlock, AtpChange, "
                                                  "BathChange, VoltageClamp, PotassiumPuff, "
                                                  "OxygenChange, MetabolicBlock or Ouabain")
        out.extend(ev.pulses() if isinstance(ev, PulseTrain) else [ev])
    return out


def compile_protocol(events: Sequence[Event], cell: CellSpec,
                     duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Segment boundaries (ms, from 0 to duration) and the drive of each segment.

    Raises SpecError for an event that starts at or after the end of the run,
    ends after it, or sets a value that another event sets at the same time.
    """
    _check_number("duration", duration, lower=0.0, unit="ms")
    flat = expand(events)
    for ev in flat:
        name = type(ev).__name__
        if ev.start >= duration:
            raise SpecError(f"{name}.start", ev.start, f"< the run's duration, {duration:g} ms")
        if ev.stop is not None and ev.stop > duration * (1 + 1e-12):
            raise SpecError(f"{name}.stop", ev.stop, f"≤ the run's duration, {duration:g} ms")
        if isinstance(ev, BathChange) and cell.closed and cell.bath is None:
            raise SpecError("BathChange", ev, "only for a cell in a bath (outside_volume None) "
                                              "or with a closed outside coupled to one (bath)")
        if isinstance(ev, PotassiumPuff) and not (cell.closed
                                                  and cell.concentrations == "dynamic"):
            raise SpecError("PotassiumPuff", ev, "only for a closed extracellular space "
                                                 "(outside_volume set, dynamic concentrations)")
        if isinstance(ev, MetabolicBlock) and cell.metabolism is None:
            raise SpecError("MetabolicBlock", ev, "only for a cell that makes its own ATP "
                                                  "(metabolism set, e.g. cortical-metabolic)")
        if isinstance(ev, Ouabain) and cell.pump is None:
            raise SpecError("Ouabain", ev, "only for a cell with a pump")
        if isinstance(ev, AtpChange) and cell.metabolism is not None:
            raise SpecError("AtpChange", ev, "only for a cell without a metabolism (this "
                                             "cell makes its own ATP: use MetabolicBlock)")
        if isinstance(ev, OxygenChange) and cell.oxygen is None:
            raise SpecError("OxygenChange", ev, "only for a cell whose pumps depend on O2 "
                                                "(oxygen set, e.g. the wei-2014 preset)")
    cuts = {0.0, float(duration)}
    for ev in flat:
        cuts.add(float(ev.start))
        cuts.add(float(duration if ev.stop is None else min(ev.stop, duration)))
    seg_t = np.array(sorted(cuts))
    n_seg = seg_t.size - 1
    seg_d = np.tile(base_drive(cell), (n_seg, 1))
    unblocked = np.ones(n_seg)
    owner = np.full((n_seg, N_DRIVE), -1)  # which event set a "set" slot, to catch overlaps

    def span(ev: Event) -> slice:
        stop = duration if ev.stop is None else min(ev.stop, duration)
        return slice(int(np.searchsorted(seg_t, ev.start)), int(np.searchsorted(seg_t, stop)))

    def set_slot(i: int, ev: Event, slot: int, value: float, label: str) -> None:
        sl = span(ev)
        clash = owner[sl, slot]
        if np.any(clash >= 0):
            other = flat[int(clash[clash >= 0][0])]
            raise SpecError(f"{type(ev).__name__}.{label}", value,
                            f"no overlap in time with {type(other).__name__} "
                            f"({other.start:g}–{other.stop} ms) setting the same quantity")
        seg_d[sl, slot] = value
        owner[sl, slot] = i

    for i, ev in enumerate(flat):
        sl = span(ev)
        if isinstance(ev, Stimulus):
            seg_d[sl, _STIM_SLOT[ev.ion or cell.stim_ion]] += ev.amplitude
        elif isinstance(ev, OxygenChange):
            set_slot(i, ev, D_O2_BATH, ev.o2, "o2")
        elif isinstance(ev, PotassiumPuff):
            seg_d[sl, D_K_PUFF] += ev.k_o / (ev.stop - ev.start)
        elif isinstance(ev, PumpBlock):
            unblocked[sl] *= 1.0 - ev.fraction
        elif isinstance(ev, Ouabain):
            set_slot(i, ev, D_OUABAIN, ev.concentration, "concentration")
        elif isinstance(ev, MetabolicBlock):
            seg_d[sl, D_OXPHOS_BLOCK] = 1.0 - (1.0 - seg_d[sl, D_OXPHOS_BLOCK]) * (
                1.0 - ev.fraction)
        elif isinstance(ev, AtpChange):
            set_slot(i, ev, D_ATP, ev.atp, "atp")
        elif isinstance(ev, BathChange):
            for name, value in ev.values().items():
                set_slot(i, ev, _BATH_SLOT[name], value, name)
        elif isinstance(ev, VoltageClamp):
            set_slot(i, ev, D_CLAMP, 1.0, "v")
            seg_d[sl, D_V_CLAMP] = ev.v
    seg_d[:, D_BLOCK] = 1.0 - unblocked
    return seg_t, seg_d


def event_to_dict(ev: Event) -> dict:
    """An event as plain data: {"type": name, field: value, ...}."""
    return {"type": type(ev).__name__, **dataclasses.asdict(ev)}
