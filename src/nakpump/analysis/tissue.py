"""Tissue-scale events: seizure-like bursts of spikes and spreading depolarisation (SD).

Pure numpy functions on spike times and sampled traces, plus two thin wrappers
that read a result Dataset of :func:`nakpump.simulate` (or one cell of a
population). Bad input raises :class:`~nakpump.errors.SpecError` naming the
argument, its value and what is allowed.

Units: time in ms, voltage in mV, concentrations in mM; summaries in s, Hz, mV, mM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nakpump.errors import SpecError
from nakpump.model.spec import _check_number

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "Bursts",
    "SpreadingDepolarisations",
    "bursts_of",
    "detect_bursts",
    "detect_sd",
    "sd_of",
    "volume_change",
]

MS_PER_S = 1000.0


# ------------------------------------------------------------------ validation


def _samples(name: str, values: ArrayLike, unit: str) -> NDArray[np.float64]:
    """Return values as a finite 1-D float array; SpecError naming the first bad sample."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpecError(name, type(values).__name__, f"a 1-D array of numbers ({unit})") from None
    if arr.ndim != 1:
        raise SpecError(f"{name}.shape", arr.shape, f"1-D, one value per sample ({unit})")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argmax(bad))
        raise SpecError(f"{name}[{i}]", float(arr[i]), f"a finite number ({unit})")
    return arr


def _increasing(name: str, t: NDArray[np.float64], *, strict: bool) -> None:
    """SpecError at the first sample of t (ms) that goes back in time (or repeats, if strict)."""
    dt = np.diff(t)
    bad = dt <= 0 if strict else dt < 0
    if bad.any():
        i = int(np.argmax(bad)) + 1
        order = ">" if strict else "≥"
        raise SpecError(f"{name}[{i}]", float(t[i]),
                        f"{order} {name}[{i - 1}] = {float(t[i - 1])!r} ms ({name} must be "
                        f"{'strictly increasing' if strict else 'sorted in time'})")


def _same_length(name: str, values: NDArray[np.float64], time: NDArray[np.float64]) -> None:
    if values.size != time.size:
        raise SpecError(f"len({name})", values.size,
                        f"equal to len(time) = {time.size} (one value per time sample)")


def _mean(x: NDArray[np.float64]) -> float:
    """Mean, NaN (without a warning) for no values."""
    return float(np.mean(x)) if x.size else math.nan


def _max(x: NDArray[np.float64]) -> float:
    return float(np.max(x)) if x.size else math.nan


def _frozen(values: ArrayLike, dtype: type) -> NDArray[Any]:
    arr = np.array(values, dtype=dtype, ndmin=1)  # a copy: the result owns its data
    arr.flags.writeable = False
    return arr


# ---------------------------------------------------------------------- bursts


@dataclass(frozen=True, eq=False)
class Bursts:
    """Bursts of spikes (seizure-like events) found by :func:`detect_bursts`.

    One entry per burst, in order of time. Arrays are read-only.
    """

    start: NDArray[np.float64]  # ms, first spike of each burst
    end: NDArray[np.float64]  # ms, last spike of each burst
    n_spikes: NDArray[np.int64]  # spikes in each burst

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _frozen(self.start, np.float64))
        object.__setattr__(self, "end", _frozen(self.end, np.float64))
        object.__setattr__(self, "n_spikes", _frozen(self.n_spikes, np.int64))

    @property
    def count(self) -> int:
        """Number of bursts."""
        return int(self.start.size)

    @property
    def duration(self) -> NDArray[np.float64]:
        """Duration of each burst (ms): last spike minus first spike."""
        return self.end - self.start

    @property
    def period(self) -> float:
        """Mean interval between successive burst starts (ms); NaN with fewer than 2 bursts."""
        if self.count < 2:
            return math.nan
        return float((self.start[-1] - self.start[0]) / (self.count - 1))  # telescoped mean

    def summary(self) -> dict[str, float]:
        """Plain numbers for printing or JSON (NaN where undefined).

        count; period_s (mean start-to-start interval, s), period_cv (its
        coefficient of variation), frequency_hz (1/period); duration_mean_s,
        duration_max_s; interburst_mean_s (last spike of one burst to the first
        of the next, s); spikes_per_burst_mean; rate_in_burst_hz (mean over
        bursts of (spikes − 1)/duration, Hz; bursts of one spike left out).
        """
        intervals = np.diff(self.start)
        period = self.period
        has_width = self.duration > 0
        rate_in = (self.n_spikes[has_width] - 1) / self.duration[has_width] * MS_PER_S
        return {
            "count": self.count,
            "period_s": period / MS_PER_S,
            "period_cv": float(np.std(intervals) / np.mean(intervals)) if intervals.size
            else math.nan,
            "frequency_hz": MS_PER_S / period,
            "duration_mean_s": _mean(self.duration) / MS_PER_S,
            "duration_max_s": _max(self.duration) / MS_PER_S,
            "interburst_mean_s": _mean(self.start[1:] - self.end[:-1]) / MS_PER_S,
            "spikes_per_burst_mean": _mean(self.n_spikes.astype(np.float64)),
            "rate_in_burst_hz": _mean(rate_in),
        }


def detect_bursts(spike_times: ArrayLike, *, gap: float = 1000.0, min_spikes: int = 2,
                  t_start: float = 0.0) -> Bursts:
    """Group spikes into bursts: maximal runs whose successive intervals are ≤ ``gap``.

    Parameters
    ----------
    spike_times : array_like
        Spike times (ms), 1-D, finite, sorted (ties allowed, e.g. pooled cells).
    gap : float
        Largest interval (ms, > 0) between successive spikes of one burst; a
        longer silence ends the burst.
    min_spikes : int
        Bursts with fewer spikes (≥ 1) are dropped; 1 keeps isolated spikes.
    t_start : float
        Spikes before this time (ms) are ignored, e.g. to skip an initial
        transient. A burst running across t_start keeps only its later spikes.

    Returns
    -------
    Bursts
        ``start``/``end`` (ms, first and last spike) and ``n_spikes`` per burst.
        A burst still running when the spikes end is counted as it stands.
    """
    s = _samples("spike_times", spike_times, "ms")
    _increasing("spike_times", s, strict=False)
    _check_number("gap", gap, lower=0.0, unit="ms")
    gap = float(gap)
    if isinstance(min_spikes, bool) or not isinstance(min_spikes, Integral) or min_spikes < 1:
        raise SpecError("min_spikes", min_spikes, "an integer ≥ 1")
    _check_number("t_start", t_start, unit="ms")
    t_start = float(t_start)

    s = s[s >= t_start]
    if s.size == 0:
        return Bursts(start=[], end=[], n_spikes=[])
    breaks = np.flatnonzero(np.diff(s) > gap)  # a burst ends at spike i when s[i+1] - s[i] > gap
    first = np.concatenate(([0], breaks + 1))
    last = np.concatenate((breaks, [s.size - 1]))
    n = last - first + 1
    keep = n >= min_spikes
    return Bursts(start=s[first[keep]], end=s[last[keep]], n_spikes=n[keep])


# ------------------------------------------------------ spreading depolarisation


@dataclass(frozen=True, eq=False)
class SpreadingDepolarisations:
    """Spreading depolarisations found by :func:`detect_sd`, one entry per event.

    ``onset`` is NaN for an event already under way at the first sample and
    ``end`` is NaN for one still under way at the last (the run ended
    depolarised). Arrays are read-only.
    """

    onset: NDArray[np.float64]  # ms, upward threshold crossing (interpolated)
    end: NDArray[np.float64]  # ms, downward crossing (interpolated); NaN if not recovered
    peak_k_o: NDArray[np.float64] | None = None  # mM, largest sampled k_o during each event

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", _frozen(self.onset, np.float64))
        object.__setattr__(self, "end", _frozen(self.end, np.float64))
        if self.peak_k_o is not None:
            object.__setattr__(self, "peak_k_o", _frozen(self.peak_k_o, np.float64))

    @property
    def count(self) -> int:
        """Number of events."""
        return int(self.onset.size)

    @property
    def duration(self) -> NDArray[np.float64]:
        """Time above threshold of each event (ms), end − onset; NaN where either is unknown."""
        return self.end - self.onset

    @property
    def recovered(self) -> bool:
        """True if every event repolarised before the run ended (also with no events)."""
        return bool(np.all(np.isfinite(self.end)))

    def summary(self) -> dict[str, float]:
        """Plain numbers for printing or JSON (NaN where undefined).

        count; recovered (bool); onset_first_s (first observed onset, s);
        duration_mean_s and duration_max_s over events with a known duration
        (s); peak_k_o_max_mM (largest k_o of any event, mM; NaN without k_o).
        """
        duration = self.duration[np.isfinite(self.duration)]
        onset = self.onset[np.isfinite(self.onset)]
        return {
            "count": self.count,
            "recovered": self.recovered,
            "onset_first_s": (float(onset[0]) if onset.size else math.nan) / MS_PER_S,
            "duration_mean_s": _mean(duration) / MS_PER_S,
            "duration_max_s": _max(duration) / MS_PER_S,
            "peak_k_o_max_mM": math.nan if self.peak_k_o is None else _max(self.peak_k_o),
        }


def detect_sd(time: ArrayLike, v: ArrayLike, *, threshold: float = -30.0,
              min_duration: float = 5000.0, k_o: ArrayLike | None = None
              ) -> SpreadingDepolarisations:
    """Find spreading depolarisations: V at or above ``threshold`` for at least ``min_duration``.

    Parameters
    ----------
    time : array_like
        Sample times (ms), strictly increasing, at least 2 samples.
    v : array_like
        Membrane potential (mV), one value per sample.
    threshold : float
        Depolarisation level (mV). An event starts where the chord between two
        samples rises to it (``v[i] < threshold <= v[i+1]``) and ends where a
        chord falls below it; both times are linearly interpolated.
    min_duration : float
        Shortest time (ms, ≥ 0) continuously at or above threshold that counts;
        the default 5 s drops action potentials and brief plateaus. An event cut
        by the start or end of the run counts if its observed part is this long.
    k_o : array_like, optional
        Extracellular K+ (mM), one value per sample; gives ``peak_k_o``, the
        largest sampled value while V is above threshold.

    Returns
    -------
    SpreadingDepolarisations
        ``onset`` and ``end`` (ms, NaN where the run starts or ends depolarised)
        and, with ``k_o``, ``peak_k_o`` (mM) per event.
    """
    t = _samples("time", time, "ms")
    if t.size < 2:
        raise SpecError("len(time)", t.size, "at least 2 samples")
    _increasing("time", t, strict=True)
    v_arr = _samples("v", v, "mV")
    _same_length("v", v_arr, t)
    k_arr = None
    if k_o is not None:
        k_arr = _samples("k_o", k_o, "mM")
        _same_length("k_o", k_arr, t)
    _check_number("threshold", threshold, unit="mV")
    _check_number("min_duration", min_duration, lower=0.0, strict=False, unit="ms")
    threshold, min_duration = float(threshold), float(min_duration)

    above = v_arr >= threshold
    step = np.diff(above.astype(np.int8))
    up = np.flatnonzero(step == 1)  # chord i -> i+1 rises through threshold
    down = np.flatnonzero(step == -1)  # chord j -> j+1 falls below it
    first = up + 1  # first sample of each run above threshold
    last = down  # last sample of each run
    dt, dv = np.diff(t), np.diff(v_arr)
    onset = t[up] + (threshold - v_arr[up]) / dv[up] * dt[up]
    end = t[down] + (threshold - v_arr[down]) / dv[down] * dt[down]
    if above[0]:  # already depolarised at the first sample: onset not observed
        first, onset = np.concatenate(([0], first)), np.concatenate(([np.nan], onset))
    if above[-1]:  # still depolarised at the last sample: not recovered
        last, end = np.concatenate((last, [t.size - 1])), np.concatenate((end, [np.nan]))

    observed = np.where(np.isfinite(end), end, t[-1]) - np.where(np.isfinite(onset), onset, t[0])
    keep = observed >= min_duration
    peak = None
    if k_arr is not None:
        runs = zip(first[keep], last[keep], strict=True)
        peak = [float(np.max(k_arr[i : j + 1])) for i, j in runs]
    return SpreadingDepolarisations(onset=onset[keep], end=end[keep], peak_k_o=peak)


# ----------------------------------------------------------------------- volume


def volume_change(volume: ArrayLike) -> dict[str, float]:
    """Relative change of a volume trace against its first sample (0.1 = 10 % swelling).

    ``volume`` is in any unit (e.g. µm³), positive, at least one sample.
    Returns ``max``, ``min`` and ``final`` of volume / volume[0] − 1.
    """
    vol = _samples("volume", volume, "a volume, e.g. µm³")
    if vol.size == 0:
        raise SpecError("len(volume)", 0, "at least 1 sample")
    bad = vol <= 0
    if bad.any():
        i = int(np.argmax(bad))
        raise SpecError(f"volume[{i}]", float(vol[i]), "a volume > 0")
    rel = vol / vol[0] - 1.0
    return {"max": float(rel.max()), "min": float(rel.min()), "final": float(rel[-1])}


# ------------------------------------------------------------- Dataset wrappers


def _one_cell(ds: xr.Dataset, cell: int | None) -> xr.Dataset:
    """The single-cell view of a result: ds itself, or cell ``cell`` of a population."""
    if "cell" not in ds.dims:
        if cell is not None:
            raise SpecError("cell", cell, "None for a single-cell result")
        return ds
    n = int(ds.sizes["cell"])
    if isinstance(cell, bool) or not isinstance(cell, Integral) or not 0 <= cell < n:
        raise SpecError("cell", cell, f"a cell index 0..{n - 1} of this population result")
    return ds.isel(cell=int(cell))


def _variable(ds: xr.Dataset, name: str) -> NDArray[np.float64]:
    if name not in ds.variables:
        raise SpecError("ds", f"no variable {name!r}",
                        f"a result that recorded {name!r} (simulate(..., record=[..., {name!r}]))")
    return np.asarray(ds[name].values)


def bursts_of(ds: xr.Dataset, *, cell: int | None = None, **kw: Any) -> Bursts:
    """:func:`detect_bursts` on the ``spike_time`` (ms) of a simulate result.

    For a population result, ``cell`` picks the cell (its ``spike_cell`` spikes).
    ``kw`` (``gap``, ``min_spikes``, ``t_start``) is passed on.
    """
    _one_cell(ds, cell)  # checks cell against the kind of result
    spikes = _variable(ds, "spike_time")
    if "cell" in ds.dims:
        spikes = spikes[_variable(ds, "spike_cell") == cell]
    return detect_bursts(spikes, **kw)


def sd_of(ds: xr.Dataset, *, cell: int | None = None, **kw: Any) -> SpreadingDepolarisations:
    """:func:`detect_sd` on ``time`` (ms), ``v`` (mV) and, if recorded, ``k_o`` (mM) of a result.

    For a population result, ``cell`` picks the cell. ``kw`` (``threshold``,
    ``min_duration``, ``k_o``) is passed on; ``k_o=None`` given explicitly
    skips the K+ peak.
    """
    one = _one_cell(ds, cell)
    if "k_o" not in kw and "k_o" in one.variables:
        kw["k_o"] = _variable(one, "k_o")
    return detect_sd(_variable(one, "time"), _variable(one, "v"), **kw)
