"""Ouabain as a drug: block that develops and washes out with the binding rates.

Analytic (single binding site, constant concentration c from t0 to t1): bound fraction
b(t) = b∞·(1 − e^(−(t − t0)/τ_on)), b∞ = k_on·c/(k_on·c + k_off), 1/τ_on = k_on·c + k_off;
after washout b(t) = b(t1)·e^(−k_off·(t − t1)).
"""

import math

import numpy as np
import pytest

import nakpump as nk

K_ON, K_OFF, C = 0.1, 0.01, 0.2  # 1/(µM·s), 1/s, µM: τ_on 33 s, τ_off 100 s
T0, T1, END = 10_000.0, 130_000.0, 400_000.0  # ms


def analytic(t):
    rate = K_ON * C + K_OFF  # 1/s
    b_inf = K_ON * C / rate
    on = b_inf * (1.0 - np.exp(-rate * (np.clip(t, T0, T1) - T0) / 1000.0))
    return np.where(t <= T1, on, on * np.exp(-K_OFF * np.maximum(t - T1, 0.0) / 1000.0))


@pytest.mark.parametrize("method", ["fixed", "adaptive"])
def test_onset_and_washout_follow_the_binding_time_constants(method):
    cell = nk.preset("cortical", **{"pump.ouabain_k_on": K_ON, "pump.ouabain_k_off": K_OFF})
    duration = END if method == "adaptive" else 160_000.0
    ds = nk.simulate(cell, duration, [nk.Ouabain(concentration=C, start=T0, stop=T1)],
                     method=method, record=["ouabain_bound", "na_i", "i_pump"],
                     record_interval=1_000.0)
    t = ds.time.values
    b = ds.ouabain_bound.values
    want = analytic(t)
    big = want > 0.02  # relative comparison where the block is not vanishingly small
    assert np.max(np.abs(b[big] / want[big] - 1.0)) < 0.01
    assert b[t < T0].max() == 0.0
    # the block does what a block does: less pump, more Na+ inside, then recovery
    assert float(ds.na_i.sel(time=T1)) > cell.ions.na_i + 0.5
    # conservation is untouched by the drug
    for ion in ("na", "k", "cl"):
        assert nk.conservation(ds)[ion] < 1e-9


def test_ouabain_needs_a_pump_and_a_concentration():
    for bad in (-1.0, 1e308, float("nan"), "1 uM"):  # the API takes numbers in µM
        with pytest.raises(nk.SpecError, match="ouabain.concentration"):
            nk.Ouabain(concentration=bad)
    with pytest.raises(nk.SpecError, match="only for a cell with a pump"):
        nk.simulate(nk.preset("hh-1952"), 10.0, [nk.Ouabain(concentration=1.0)])


def test_the_default_rates_give_the_alpha3_dissociation_constant():
    # O'Brien et al. (1994) [abs]: K_d of rodent α3 for ouabain 1.6 nM = k_off/k_on
    pump = nk.preset("cortical").pump
    kd_um = pump.ouabain_k_off / pump.ouabain_k_on
    assert kd_um * 1000.0 == pytest.approx(1.6, rel=1e-9)
    assert math.isfinite(kd_um)


def test_isoforms_bind_ouabain_each_at_its_own_rates():
    # cortical-isoforms (mechanisms/pumps/isoforms.py): the pump form's own states, each
    # the single-site solution above with its own k_on, k_off; 0.1 µM for 200 s blocks
    # almost all α3 (K_d 1.6 nM) and almost no α1 (K_d 48 µM; O'Brien et al. 1994)
    cell = nk.preset("cortical-isoforms")
    pump = cell.pump
    t0, t1, c = 10_000.0, 210_000.0, 0.1
    ds = nk.simulate(cell, 400_000.0, [nk.Ouabain(concentration=c, start=t0, stop=t1)],
                     method="adaptive", record=["pump.bound_a1", "pump.bound_a3", "na_i"],
                     record_interval=1_000.0)
    t = ds.time.values
    for iso in ("a1", "a3"):
        kon, koff = getattr(pump, f"kon_{iso}"), getattr(pump, f"koff_{iso}")
        rate = kon * c + koff
        on = kon * c / rate * (1.0 - np.exp(-rate * (np.clip(t, t0, t1) - t0) / 1000.0))
        want = np.where(t <= t1, on, on * np.exp(-koff * np.maximum(t - t1, 0.0) / 1000.0))
        got = ds[f"pump.bound_{iso}"].values
        big = want > 1e-4
        assert np.max(np.abs(got[big] / want[big] - 1.0)) < 0.01, iso
    during = ds.sel(time=t1)
    assert float(during["pump.bound_a3"]) > 0.85 > 0.01 > float(during["pump.bound_a1"])
    assert ds["pump.bound_a3"].attrs["units"] == "1"


def test_isoform_cell_rests_where_the_cortical_cell_does():
    a, b = nk.resting_state(nk.preset("cortical")), nk.resting_state(
        nk.preset("cortical-isoforms"))
    assert b.v == pytest.approx(a.v, abs=1e-9)
    assert b.i_pump == pytest.approx(a.i_pump, rel=1e-9)


def test_axons_refuse_ouabain_they_cannot_bind():
    from nakpump.axon import simulate_axon
    from nakpump.model.axon import axon_preset

    with pytest.raises(nk.SpecError, match="do not bind ouabain yet"):
        simulate_axon(axon_preset("hh-axon-pump", length=1_000.0), 1.0,
                      [nk.Ouabain(concentration=1.0)])
