"""Results as labelled xarray Datasets, and the conservation report every run carries.

Dims: `time` (ms) for recorded variables, `spike` for spike times. Every
variable has `units` and `long_name`; run metadata (preset, full
specification, protocol, integrator, version, conservation errors) are attrs.
"""

from __future__ import annotations

import json
import math

import numpy as np
import xarray as xr

from nakpump.engine.layout import (
    BATH_CL,
    BATH_K,
    BATH_NA,
    CL_I,
    CL_O,
    K_BUFFER,
    K_GLIA,
    K_I,
    K_O,
    NA_I,
    NA_O,
    OBS_NAMES,
    Q_CL,
    Q_INJ_NA,
    Q_K,
    Q_NA,
    Q_PUMP,
    VOL_I,
    V,
)
from nakpump.model.spec import CellSpec
from nakpump.units import AMOL_PER_UA_CM2_MS_UM2, FARADAY, charge_to_voltage

VARIABLES: dict[str, tuple[str, str]] = {
    "v": ("mV", "membrane potential"),
    "m": ("1", "Na+ channel activation gate"),
    "h": ("1", "Na+ channel inactivation gate"),
    "n": ("1", "K+ channel activation gate"),
    "p": ("1", "slow K+ conductance activation (M-type gate, or Cressman's AHP Ca/(1+Ca))"),
    "na_i": ("mM", "intracellular Na+ concentration"),
    "k_i": ("mM", "intracellular K+ concentration"),
    "cl_i": ("mM", "intracellular Cl- concentration"),
    "na_o": ("mM", "extracellular Na+ concentration"),
    "k_o": ("mM", "extracellular K+ concentration"),
    "cl_o": ("mM", "extracellular Cl- concentration"),
    "q_na": ("nC/cm^2", "cumulative passive Na+ charge, outward positive"),
    "q_k": ("nC/cm^2", "cumulative passive K+ charge, outward positive"),
    "q_cl": ("nC/cm^2", "cumulative passive Cl- current integral, outward positive"),
    "q_pump": ("nC/cm^2", "cumulative pump charge (1 e per cycle), outward"),
    "q_inj_na": ("nC/cm^2", "cumulative injected charge carried by Na+, inward positive"),
    "q_inj_k": ("nC/cm^2", "cumulative injected charge carried by K+, inward positive"),
    "q_inj_cl": ("nC/cm^2", "cumulative injected charge carried by Cl-, inward positive"),
    "ca_i": ("mM", "intracellular Ca2+ that activates the AHP (Cressman 2009; no charge)"),
    "k_buffer": ("mM", "K+ bound to the glial buffer, per extracellular volume"),
    "k_glia": ("mM", "cumulative K+ taken up by glia, per initial extracellular volume"),
    "bath_na": ("mM", "cumulative Na+ lost to the bath, per initial extracellular volume"),
    "bath_k": ("mM", "cumulative K+ lost to the bath, per initial extracellular volume"),
    "bath_cl": ("mM", "cumulative Cl- lost to the bath, per initial extracellular volume"),
    "vol_i": ("1", "cell volume relative to the initial volume"),
    "o2": ("mg/L", "extracellular O2 concentration"),
    "o2_pump": ("1", "fraction of the pumps' capacity the O2 allows"),
    "atp_i": ("mM", "cytosolic ATP (the cell's own, with a metabolism)"),
    "adp_i": ("mM", "cytosolic free ADP"),
    "pi_i": ("mM", "cytosolic inorganic phosphate"),
    "atp_made": ("mM", "ATP made since the start (per initial cell volume)"),
    "atp_pump": ("mM", "ATP the Na+/K+ pump used since the start (one per cycle)"),
    "atp_basal": ("mM", "ATP used otherwise since the start (basal load)"),
    "ouabain_bound": ("1", "fraction of the pumps with ouabain bound"),
    **{f"pump_state_{k}": ("1", f"the pump form's state {k} (its mechanism names it)")
       for k in range(4)},
    "e_na": ("mV", "Na+ reversal potential"),
    "e_k": ("mV", "K+ reversal potential"),
    "e_cl": ("mV", "Cl- reversal potential"),
    "i_na": ("uA/cm^2", "passive Na+ current (channels + leak), outward positive"),
    "i_k": ("uA/cm^2", "passive K+ current (channels + leak), outward positive"),
    "i_cl": ("uA/cm^2", "Cl- leak current, outward positive"),
    "i_pump": ("uA/cm^2", "Na+/K+ pump current, outward positive"),
    "pump_rate": ("1/(s um^2)", "pump turnover, cycles per second per square micrometre"),
    "i_inj": ("uA/cm^2", "injected current (stimulus or clamp), inward positive"),
    "atp_used": ("pmol/cm^2", "cumulative ATP hydrolysed by the pump"),
    "time": ("ms", "time"),
    "spike_time": ("ms", "spike times (upward threshold crossings)"),
    "spike_cell": ("1", "index of the spiking cell"),
}
assert {n for n in OBS_NAMES if not n.startswith("_")} <= set(VARIABLES)


def conservation_report(cell: CellSpec, states: np.ndarray) -> dict[str, float]:
    """Largest errors over a run in each ion's amount and in the charge–voltage relation.

    states: (samples, N_STATE) recorded full states. For each ion, the amount
    inside (+ outside when closed, with what glia, their buffer and a coupled bath
    took; + exported to the bath the cell sits in; − injected) must stay at its
    initial value; reported relative to the initial amount in the cell (+ outside).
    The membrane charge C·A·(V − V0) must equal F·Vol·Σz·Δ[X]_i; reported in mV
    (charge_mV) and relative to the largest |V| (charge).
    What a model gives up by assumption is NaN: everything with fixed
    concentrations; K+ and charge with the electroneutral [K]i rule; Cl− and
    charge with fixed Cl−; charge with a non-electrogenic pump.
    """
    if cell.concentrations == "fixed":
        return {"na": math.nan, "k": math.nan, "cl": math.nan, "charge": math.nan,
                "charge_mV": math.nan}
    outside = math.nan if cell.outside_volume is None else cell.outside_volume
    errors = conservation_errors(states, cell.area, cell.volume, outside, cell.capacitance)
    given_up = set()
    if cell.k_i_rule != "currents":
        given_up |= {"k", "charge", "charge_mV"}
    if cell.fixed_cl:
        given_up |= {"cl", "charge", "charge_mV"}
    if not cell.pump_electrogenic:
        given_up |= {"charge", "charge_mV"}
    return {name: (math.nan if name in given_up else float(err))
            for name, err in errors.items()}


def conservation_errors(states: np.ndarray, area, volume, outside_volume,
                        capacitance) -> dict[str, np.ndarray]:
    """conservation_report's errors for states (samples, [cells,] N_STATE), vectorised.

    area (µm²), volume and outside_volume (µm³; NaN for a bath) and capacitance
    (µF/cm²) are scalars or arrays over cells; the errors are maxima over samples.
    """
    per_charge = AMOL_PER_UA_CM2_MS_UM2 * np.asarray(area)  # amol per nC/cm²
    closed = np.isfinite(outside_volume)
    report = {}
    # Volumes relative to the initial ones (a volume law moves water between the two).
    w = states[..., VOL_I]
    ratio = np.where(closed, np.asarray(volume) / np.where(closed, outside_volume, 1.0), 0.0)
    w_out = 1.0 + ratio * (1.0 - w)
    for ion, i_in, i_out, q_pass, pump_n, z, bound, elsewhere in (
            ("na", NA_I, NA_O, Q_NA, 3.0, 1.0, 0.0, states[..., BATH_NA]),
            ("k", K_I, K_O, Q_K, -2.0, 1.0, states[..., K_BUFFER],
             states[..., BATH_K] + states[..., K_GLIA]),
            ("cl", CL_I, CL_O, Q_CL, 0.0, -1.0, 0.0, states[..., BATH_CL])):
        # Outside: what a closed space holds (+ what it passed on to glia and bath), or
        # what left for the bath the cell sits in (from the integrated membrane current).
        outside = np.where(closed, ((states[..., i_out] + bound) * w_out + elsewhere)
                           * np.where(closed, outside_volume, 0.0),
                           per_charge * (states[..., q_pass] + pump_n * states[..., Q_PUMP]) / z)
        injected = per_charge * states[..., Q_INJ_NA + ("na", "k", "cl").index(ion)] / z
        balance = states[..., i_in] * w * volume + outside - injected
        report[ion] = np.max(np.abs(balance - balance[0]), axis=0) / np.abs(balance[0])
    kappa = charge_to_voltage(area, volume, capacitance)
    sum_z = (states[..., NA_I] + states[..., K_I] - states[..., CL_I]) * w  # amounts
    err = np.abs((states[..., V] - states[0, ..., V]) - kappa * (sum_z - sum_z[0]))
    report["charge_mV"] = err.max(axis=0)
    report["charge"] = report["charge_mV"] / np.maximum(np.abs(states[..., V]).max(axis=0), 1.0)
    return report


def variable_attrs(name: str) -> dict[str, str]:
    """The `units` and `long_name` attributes of a result variable ("pump.<state>": a
    state of the cell's pump form, a fraction)."""
    if name.startswith("pump.") and name not in VARIABLES:
        return {"units": "1", "long_name": f"the pump form's state {name[5:]}"}
    units, long_name = VARIABLES[name]
    return {"units": units, "long_name": long_name}


def build_dataset(*, time: np.ndarray, columns: dict[str, np.ndarray], spikes: np.ndarray,
                  attrs: dict) -> xr.Dataset:
    """Assemble the labelled result of a run."""
    data_vars = {name: xr.Variable("time", values, variable_attrs(name))
                 for name, values in columns.items()}
    data_vars["spike_time"] = xr.Variable("spike", spikes, variable_attrs("spike_time"))
    coords = {"time": xr.Variable("time", time, variable_attrs("time"))}
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def atp_from_pump_charge(q_pump: np.ndarray) -> np.ndarray:
    """ATP hydrolysed (pmol/cm²) from the pump's cumulative charge (nC/cm²): 1 ATP per e."""
    return q_pump * 1e-9 / FARADAY * 1e12


def conservation(ds: xr.Dataset) -> dict[str, float]:
    """The conservation report stored with a result."""
    return json.loads(ds.attrs["conservation"])
