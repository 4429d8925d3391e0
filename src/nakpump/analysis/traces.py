"""Analysis of simulated voltage and concentration traces.

Small pure functions that work on numpy arrays: spike detection, action-potential
shape features, exponential-recovery fits and firing rates.

Units: time in ms, voltage in mV, concentrations in mM, rates in Hz.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import OptimizeWarning, curve_fit

__all__ = [
    "APFeatures",
    "RecoveryFit",
    "ap_features",
    "ap_features_all",
    "firing_rate",
    "fit_exponential_recovery",
    "spike_times",
    "steady_rate_from_isis",
]


def _trace(t: ArrayLike, y: ArrayLike, y_name: str) -> tuple[NDArray[np.float64], ...]:
    """Validate a sampled trace and return ``(t, y)`` as 1-D float arrays."""
    t_arr = np.asarray(t, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    if t_arr.ndim != 1 or t_arr.size < 2:
        raise ValueError(f"t must be 1-D with at least 2 samples, got shape {t_arr.shape}")
    if y_arr.shape != t_arr.shape:
        raise ValueError(f"{y_name} must have the same shape as t {t_arr.shape}, got {y_arr.shape}")
    if not (np.all(np.isfinite(t_arr)) and np.all(np.isfinite(y_arr))):
        raise ValueError(f"t and {y_name} must be finite (no NaN or inf)")
    dt = np.diff(t_arr)
    if np.any(dt <= 0):
        i = int(np.argmax(dt <= 0))
        raise ValueError(
            f"t must be strictly increasing, got t[{i + 1}]={t_arr[i + 1]!r} <= t[{i}]={t_arr[i]!r}"
        )
    return t_arr, y_arr


def _spike_array(spikes: ArrayLike) -> NDArray[np.float64]:
    """Validate spike times (ms): 1-D, finite, strictly increasing."""
    s = np.asarray(spikes, dtype=np.float64).ravel()
    if not np.all(np.isfinite(s)) or np.any(np.diff(s) <= 0):
        raise ValueError("spikes must be finite and strictly increasing (ms)")
    return s


def _window(t_start: float, t_stop: float) -> float:
    """Return the window length (ms) after checking that it is positive."""
    if not (np.isfinite(t_start) and np.isfinite(t_stop)) or t_stop <= t_start:
        raise ValueError(
            f"t_stop must be finite and > t_start, got t_start={t_start!r}, t_stop={t_stop!r}"
        )
    return float(t_stop - t_start)


def _crossing_time(t: NDArray[np.float64], y: NDArray[np.float64], i: int, level: float) -> float:
    """Time (ms) at which the chord between samples i and i+1 reaches ``level``."""
    frac = (level - y[i]) / (y[i + 1] - y[i])
    return float(t[i] + frac * (t[i + 1] - t[i]))


def spike_times(
    t: ArrayLike, v: ArrayLike, threshold: float = 0.0, refractory: float = 1.0
) -> NDArray[np.float64]:
    """Times of upward threshold crossings.

    Parameters
    ----------
    t : array_like
        Sample times (ms), strictly increasing, at least 2 samples.
    v : array_like
        Membrane potential (mV), same shape as ``t``.
    threshold : float
        Detection level (mV). A crossing is ``v[i] < threshold <= v[i+1]``.
    refractory : float
        Minimum interval (ms, > 0) between counted spikes.

    Returns
    -------
    ndarray
        Spike times (ms), linearly interpolated between the bracketing samples.
    """
    t_arr, v_arr = _trace(t, v, "v")
    if not np.isfinite(refractory) or refractory <= 0:
        raise ValueError(f"refractory must be a finite number > 0 ms, got {refractory!r}")
    below = v_arr < threshold
    # An upward crossing starts below threshold, so "went back below since the
    # previous spike" holds by construction; jitter is handled by the refractory.
    idx = np.flatnonzero(below[:-1] & ~below[1:])
    frac = (threshold - v_arr[idx]) / (v_arr[idx + 1] - v_arr[idx])
    cand = t_arr[idx] + frac * (t_arr[idx + 1] - t_arr[idx])
    keep = np.zeros(cand.size, dtype=bool)
    last = -np.inf
    for k, tc in enumerate(cand):  # greedy over candidates only, not samples
        if tc - last >= refractory:
            keep[k] = True
            last = tc
    return cand[keep]


@dataclass(frozen=True)
class APFeatures:
    """Shape features of one action potential (times in ms, voltages in mV)."""

    t_spike: float  # threshold crossing (ms)
    t_peak: float  # time of the sampled maximum (ms)
    peak: float  # maximum voltage (mV)
    baseline: float  # voltage at t_spike - pre, or the given onset value (mV)
    amplitude: float  # peak - baseline (mV)
    half_width: float  # width at baseline + amplitude / 2 (ms); NaN if not closed
    ahp_min: float  # minimum voltage after the peak (mV)
    t_ahp: float  # time of ahp_min (ms)


def ap_features(
    t: ArrayLike,
    v: ArrayLike,
    t_spike: float,
    *,
    pre: float = 1.0,
    ahp_window: float = 20.0,
    next_spike: float | None = None,
    baseline: float | None = None,
) -> APFeatures:
    """Measure the shape of the action potential that crosses threshold at ``t_spike``.

    Parameters
    ----------
    t : array_like
        Sample times (ms), strictly increasing.
    v : array_like
        Membrane potential (mV), same shape as ``t``.
    t_spike : float
        Threshold-crossing time of the spike (ms), inside ``[t[0], t[-1]]``.
    pre : float
        Baseline is read at ``t_spike - pre`` (ms, >= 0); must lie inside the data.
    ahp_window : float
        Length (ms, > 0) of the peak search after ``t_spike`` and of the AHP search
        after the peak, used when ``next_spike`` is None. Clipped at the end of data.
    next_spike : float, optional
        Threshold-crossing time of the following spike (ms, > ``t_spike``); bounds
        the peak and AHP searches instead of ``ahp_window``.
    baseline : float, optional
        Onset voltage (mV) to use instead of reading ``v`` at ``t_spike - pre``.

    Returns
    -------
    APFeatures
        Features in ms and mV. Peak and AHP are sampled extrema (resolution dt).
    """
    t_arr, v_arr = _trace(t, v, "v")
    if not t_arr[0] <= t_spike <= t_arr[-1]:
        raise ValueError(f"t_spike must lie in [{t_arr[0]}, {t_arr[-1]}] ms, got {t_spike!r}")
    if not (np.isfinite(pre) and pre >= 0):
        raise ValueError(f"pre must be a finite number >= 0 ms, got {pre!r}")
    if not (np.isfinite(ahp_window) and ahp_window > 0):
        raise ValueError(f"ahp_window must be a finite number > 0 ms, got {ahp_window!r}")
    if next_spike is not None and not next_spike > t_spike:
        raise ValueError(f"next_spike must be > t_spike={t_spike!r} ms, got {next_spike!r}")
    if baseline is None:
        if t_spike - pre < t_arr[0]:
            raise ValueError(
                f"pre={pre!r} ms puts the baseline at {t_spike - pre!r} ms, "
                f"before t[0]={t_arr[0]!r} ms"
            )
        baseline = float(np.interp(t_spike - pre, t_arr, v_arr))

    # Samples at/after next_spike belong to the next AP, so stop strictly before it.
    def stop_index(t_end: float) -> int:
        if next_spike is not None:
            return int(np.searchsorted(t_arr, next_spike, side="left"))
        return int(np.searchsorted(t_arr, t_end, side="right"))

    i0 = int(np.searchsorted(t_arr, t_spike, side="left"))
    i1 = max(stop_index(t_spike + ahp_window), i0 + 1)
    ipk = i0 + int(np.argmax(v_arr[i0:i1]))
    peak = float(v_arr[ipk])
    amplitude = peak - baseline

    half_width = float("nan")
    half = baseline + 0.5 * amplitude
    rise = np.flatnonzero(v_arr[:ipk] < half)
    fall = np.flatnonzero(v_arr[ipk : stop_index(np.inf)] < half)  # not past the next AP
    if amplitude > 0 and rise.size and fall.size:
        j = ipk + int(fall[0])
        t_up = _crossing_time(t_arr, v_arr, int(rise[-1]), half)
        t_down = _crossing_time(t_arr, v_arr, j - 1, half)
        half_width = t_down - t_up

    j1 = max(stop_index(t_arr[ipk] + ahp_window), ipk + 1)
    iahp = ipk + int(np.argmin(v_arr[ipk:j1]))
    return APFeatures(
        t_spike=float(t_spike),
        t_peak=float(t_arr[ipk]),
        peak=peak,
        baseline=float(baseline),
        amplitude=float(amplitude),
        half_width=half_width,
        ahp_min=float(v_arr[iahp]),
        t_ahp=float(t_arr[iahp]),
    )


def ap_features_all(
    t: ArrayLike, v: ArrayLike, spikes: ArrayLike, **kw: float | None
) -> list[APFeatures]:
    """Apply :func:`ap_features` to every spike in ``spikes`` (ms).

    Each spike's searches are bounded by the following spike; ``kw`` (``pre``,
    ``ahp_window``, ``baseline``) is passed on unchanged. Returns one
    :class:`APFeatures` per spike (ms, mV).
    """
    if "next_spike" in kw:
        raise ValueError("next_spike is set from spikes and must not be passed to ap_features_all")
    s = _spike_array(spikes)
    nxt: list[float | None] = [*map(float, s[1:]), None]
    return [ap_features(t, v, float(ts), next_spike=n, **kw) for ts, n in zip(s, nxt, strict=True)]


@dataclass(frozen=True)
class RecoveryFit:
    """Result of ``y = y_inf + amplitude * exp(-(t - t_start) / tau)``.

    ``tau`` is in the time unit of ``t`` (ms); ``amplitude``, ``y_inf`` and
    ``rmse`` are in the unit of ``y`` (e.g. mM or mV).
    """

    tau: float
    amplitude: float
    y_inf: float
    rmse: float


def _exp_model(x: NDArray[np.float64], y_inf: float, a: float, tau: float) -> NDArray[np.float64]:
    return y_inf + a * np.exp(-x / tau)


def fit_exponential_recovery(
    t: ArrayLike, y: ArrayLike, t_start: float, t_stop: float | None = None
) -> RecoveryFit:
    """Least-squares fit of a single exponential relaxation.

    Parameters
    ----------
    t : array_like
        Sample times (ms), strictly increasing.
    y : array_like
        Recovering quantity (any unit, e.g. mM or mV), same shape as ``t``.
    t_start : float
        Start of the fit window (ms); also the time origin of the exponential.
    t_stop : float, optional
        End of the fit window (ms, > t_start); defaults to ``t[-1]``.

    Returns
    -------
    RecoveryFit
        ``tau`` (ms), ``amplitude`` and ``y_inf`` (unit of y), ``rmse`` (unit of y).
    """
    t_arr, y_arr = _trace(t, y, "y")
    t_stop = float(t_arr[-1]) if t_stop is None else t_stop
    _window(t_start, t_stop)
    sel = (t_arr >= t_start) & (t_arr <= t_stop)
    n = int(sel.sum())
    if n < 5:
        raise ValueError(
            f"window [t_start={t_start!r}, t_stop={t_stop!r}] ms holds {n} samples; need >= 5"
        )
    x = t_arr[sel] - t_start
    ys = y_arr[sel]

    # Initial guess: plateau from the last tenth, tau from the 1/e point of the deviation.
    y_inf0 = float(np.mean(ys[-max(1, n // 10) :]))
    a0 = float(ys[0] - y_inf0)
    dev = np.abs(ys - y_inf0)
    hit = np.flatnonzero(dev <= abs(a0) / np.e)
    tau0 = float(x[hit[0]]) if hit.size and x[hit[0]] > 0 else float(x[-1]) / 3.0

    try:
        with warnings.catch_warnings():
            # A singular covariance is handled below as an undetermined tau.
            warnings.simplefilter("ignore", OptimizeWarning)
            popt, pcov = curve_fit(_exp_model, x, ys, p0=(y_inf0, a0, tau0), maxfev=10_000)
    except RuntimeError as exc:
        raise ValueError(
            f"exponential fit did not converge on [{t_start}, {t_stop}] ms: {exc}"
        ) from exc
    y_inf, a, tau = (float(p) for p in popt)
    tau_se = float(np.sqrt(pcov[2, 2]))
    # A drift to tau >> window (a straight line) or tau <= 0 (growth) is no recovery:
    # require a positive tau known to better than 100 %.
    if not (np.all(np.isfinite(popt)) and tau > 0 and tau_se <= tau):
        raise ValueError(
            f"exponential fit did not converge to a decay: tau={tau!r} ms, std error={tau_se!r} ms"
        )
    rmse = float(np.sqrt(np.mean((_exp_model(x, y_inf, a, tau) - ys) ** 2)))
    return RecoveryFit(tau=tau, amplitude=a, y_inf=y_inf, rmse=rmse)


def firing_rate(spikes: ArrayLike, t_start: float, t_stop: float) -> float:
    """Mean firing rate (Hz) = spikes in ``[t_start, t_stop)`` per second.

    ``spikes``, ``t_start`` and ``t_stop`` are in ms (``t_stop > t_start``).
    """
    s = _spike_array(spikes)
    duration = _window(t_start, t_stop)
    count = np.count_nonzero((s >= t_start) & (s < t_stop))
    return 1000.0 * count / duration  # 1000 converts per-ms to per-s


def steady_rate_from_isis(spikes: ArrayLike, t_start: float, t_stop: float) -> float:
    """Rate (Hz) = 1000 / mean inter-spike interval (ms) of spikes in ``[t_start, t_stop]``.

    Insensitive to where the window edges fall relative to the spikes, unlike a
    count. Returns NaN if fewer than 2 spikes lie in the window.
    """
    s = _spike_array(spikes)
    _window(t_start, t_stop)
    inside = s[(s >= t_start) & (s <= t_stop)]
    if inside.size < 2:
        return float("nan")
    mean_isi = (inside[-1] - inside[0]) / (inside.size - 1)  # telescoped mean of diffs
    return float(1000.0 / mean_isi)
