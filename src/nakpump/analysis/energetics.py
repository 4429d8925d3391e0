"""What activity costs: Na+ entry per spike, the Na+ load ratio, ATP per spike, pump recovery.

Reads the cumulative charge integrals every run records (q_na, outward
positive, nC/cm²), so the answers do not depend on the recording interval.
Definitions follow references.md §6: Q_Na is the passive Na+ entry in excess
of the resting influx; the load ratio is Q_Na/(C·ΔV), ΔV the AP amplitude
above the resting potential (Sengupta et al. 2010's capacitive minimum);
ATP per spike = Q_Na/(3F) (one ATP per 3 Na+ pumped back out).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from nakpump.analysis.traces import RecoveryFit, ap_features, fit_exponential_recovery
from nakpump.units import AVOGADRO, nc_cm2_to_pmol_cm2


def _at(ds: xr.Dataset, name: str, t: float) -> float:
    """Value of a recorded variable at time t (ms), linearly interpolated."""
    return float(np.interp(t, ds["time"].values, ds[name].values))


def excess_charge(ds: xr.Dataset, ion: str, t_start: float, t_stop: float) -> float:
    """Passive outward charge of one ion (nC/cm²) in [t_start, t_stop] ms above its rate at t_start.

    ion is "na", "k" or "cl"; needs q_<ion> and i_<ion> recorded. The current at
    t_start (µA/cm² = nC/cm²/ms), taken as the resting rate, times the window
    is subtracted.
    """
    moved = _at(ds, f"q_{ion}", t_stop) - _at(ds, f"q_{ion}", t_start)
    return moved - _at(ds, f"i_{ion}", t_start) * (t_stop - t_start)


def na_entry(ds: xr.Dataset, t_start: float, t_stop: float) -> float:
    """Passive Na+ entry (nC/cm²) in [t_start, t_stop] ms above the influx at t_start."""
    return -excess_charge(ds, "na", t_start, t_stop)


@dataclass(frozen=True)
class SpikeCost:
    """Per-spike Na+ load and ATP cost of the spikes in a window."""

    n_spikes: int
    na_entry: float  # nC/cm² per spike, above resting influx
    na_entry_pmol: float  # pmol/cm² per spike
    k_exit_pmol: float  # pmol/cm² per spike (NaN unless q_k and i_k were recorded)
    amplitude: float  # mV, mean AP peak above the potential at the window's start
    load_ratio: float  # Q_Na / (C·ΔV), 1 = capacitive minimum
    atp_pmol: float  # pmol/cm² per spike
    atp_per_um2: float  # ATP molecules per µm² of membrane per spike
    atp_per_cell: float  # ATP molecules per spike for the whole cell membrane


def spike_cost(ds: xr.Dataset, t_start: float, t_stop: float) -> SpikeCost:
    """Na+ load and ATP cost per spike of the spikes in [t_start, t_stop] (ms).

    t_start should be at rest before the first spike, t_stop late enough for the
    last spike's Na+ current to be over. Raises ValueError without spikes.
    """
    spikes = ds["spike_time"].values
    inside = spikes[(spikes >= t_start) & (spikes <= t_stop)]
    if inside.size == 0:
        raise ValueError(f"no spikes in the window [{t_start}, {t_stop}] ms")
    spec = json.loads(ds.attrs["spec"])
    v_rest = _at(ds, "v", t_start)
    t, v = ds["time"].values, ds["v"].values
    peaks = [ap_features(t, v, float(ts), baseline=v_rest, ahp_window=min(5.0, t_stop - ts)).peak
             for ts in inside]
    amplitude = float(np.mean(peaks)) - v_rest
    q = na_entry(ds, t_start, t_stop) / inside.size
    pmol = nc_cm2_to_pmol_cm2(q)
    k_exit = math.nan
    if "q_k" in ds and "i_k" in ds:
        k_exit = nc_cm2_to_pmol_cm2(excess_charge(ds, "k", t_start, t_stop) / inside.size)
    atp = pmol / 3.0
    per_um2 = atp * 1e-12 * AVOGADRO * 1e-8
    return SpikeCost(n_spikes=int(inside.size), na_entry=q, na_entry_pmol=pmol,
                     k_exit_pmol=k_exit,
                     amplitude=amplitude, load_ratio=q / (spec["capacitance"] * amplitude),
                     atp_pmol=atp, atp_per_um2=per_um2, atp_per_cell=per_um2 * spec["area"])


def pump_recovery(ds: xr.Dataset, t_start: float, variable: str = "na_i",
                  t_stop: float | None = None) -> RecoveryFit:
    """Single-exponential fit of a variable's return to rest after t_start (ms).

    For na_i the time constant is how fast the pump clears a Na+ load; for v,
    the decay of the pump's after-hyperpolarisation.
    """
    return fit_exponential_recovery(ds["time"].values, ds[variable].values, t_start, t_stop)


@dataclass(frozen=True)
class AtpBudget:
    """A run's ATP account for a cell that makes its own (CellSpec.metabolism), amounts in
    mM of the initial cell volume: made − by_pump − basal = change, to rounding."""

    made: float  # by oxidative phosphorylation and glycolysis
    by_pump: float  # one per pump cycle
    basal: float  # by the rest of the cell
    change: float  # Δ([ATP]i × relative volume)
    atp_start: float  # mM
    atp_end: float  # mM

    @property
    def imbalance(self) -> float:
        """made − used − change (mM): rounding only."""
        return self.made - self.by_pump - self.basal - self.change


def atp_budget(ds: xr.Dataset) -> AtpBudget:
    """The ATP made, used by the pump and used otherwise over a run (needs atp_i,
    atp_made, atp_pump, atp_basal recorded: a cell with a metabolism records them)."""
    need = {"atp_i", "atp_made", "atp_pump", "atp_basal"}
    if not need <= set(ds.data_vars):
        raise ValueError("atp_budget needs " + ", ".join(sorted(need)) + " recorded (a cell "
                         "with a metabolism records them by default)")
    first, last = ds.isel(time=0), ds.isel(time=-1)
    w0 = float(first.vol_i) if "vol_i" in ds else 1.0
    w1 = float(last.vol_i) if "vol_i" in ds else 1.0
    return AtpBudget(
        made=float(last.atp_made - first.atp_made),
        by_pump=float(last.atp_pump - first.atp_pump),
        basal=float(last.atp_basal - first.atp_basal),
        change=float(last.atp_i) * w1 - float(first.atp_i) * w0,
        atp_start=float(first.atp_i), atp_end=float(last.atp_i))
