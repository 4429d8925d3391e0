"""Invariants every run must keep: each ion's amount and the charge–voltage relation.

design.md: amount of each ion (inside + outside + bath exchange − injected) is
conserved; C·A·(V − V0) = F·Vol_i·Σz·Δ[X]_i. The fixed-step kernel keeps both by
construction, so they are asserted at round-off level.
"""

import json

import numpy as np
import pytest

import nakpump as nk
from nakpump.engine.layout import N_STATE, NA_I
from nakpump.results import conservation_report

FIRING = [nk.Stimulus(amplitude=6.0)]


def _assert_round_off(ds, ion_tol=1e-9, charge_mv=1e-6):
    report = nk.conservation(ds)
    for ion in ("na", "k", "cl"):
        assert report[ion] < ion_tol, (ion, report)
    assert report["charge_mV"] < charge_mv, report
    assert report["charge"] < ion_tol, report


def test_cortical_conserves_over_10_s_of_firing(cortical):
    # Issue 3: ≤ 1e-9 relative over 10 s of firing
    ds = nk.simulate(cortical, 10_000.0, FIRING)
    assert ds.spike_time.size > 100
    _assert_round_off(ds)


def test_cortical_conserves_over_60_s_of_pump_block(cortical):
    # Issue 3: ≤ 1e-9 relative over 60 s of pump block (while firing: the hardest case)
    ds = nk.simulate(cortical, 60_000.0, FIRING + [nk.PumpBlock()])
    assert float(ds.na_i[-1]) > cortical.ions.na_i + 5.0  # gradients really ran down
    _assert_round_off(ds)


def test_closed_cell_conserves_with_stimulus_carried_by_na(hd):
    # Closed outside: inside + outside amounts constant; the injected Na+ counted
    cell = hd.replace(stim_ion="na")
    ds = nk.simulate(cell, 2_000.0, [nk.Stimulus(amplitude=5.0, start=100.0, stop=1_100.0)],
                     record=["v", "na_i", "na_o", "q_inj_na", "q_inj_k"])
    _assert_round_off(ds)
    # the injected charge went into Na+ (5 µA/cm² × 1000 ms = 5000 nC/cm²), none into K+
    assert float(ds.q_inj_na[-1]) == pytest.approx(5000.0, rel=1e-12)
    assert float(ds.q_inj_k[-1]) == 0.0


def test_voltage_clamp_and_bath_change_conserve(cortical):
    # The clamp current is carried by K+ (stim_ion); a bath K+ step changes what the bath
    # holds but not the bookkeeping of what crossed the membrane
    proto = [nk.VoltageClamp(v=-40.0, start=100.0, stop=600.0),
             nk.BathChange(k_o=10.0, start=700.0, stop=1500.0)]
    ds = nk.simulate(cortical, 2_000.0, proto, record=["v", "i_inj", "k_o", "q_inj_k"])
    _assert_round_off(ds)
    during = ds.sel(time=slice(150.0, 550.0))
    assert float(abs(during.v + 40.0).max()) < 1e-9
    assert float(ds.k_o.sel(time=1000.0)) == 10.0


@pytest.mark.parametrize("method, scheme", [("doubling", "euler"), ("doubling", "strang"),
                                            ("adaptive", "strang")])
def test_error_controlled_methods_conserve_to_round_off(cortical, method, scheme):
    # Issues 5, 17: the error-controlled methods' accepted states are linear combinations of
    # states (doubling) or of right-hand sides (adaptive: DOP853, RODAS4) that each keep the
    # invariants, so they conserve to round-off too (firing, then pump block)
    ds = nk.simulate(cortical, 20_000.0, [*FIRING, nk.PumpBlock(start=5_000.0)],
                     method=method, scheme=scheme, record_interval=1.0)
    assert float(ds.na_i[-1]) > cortical.ions.na_i + 2.0
    _assert_round_off(ds)


def test_adaptive_method_strides_through_quiet_minutes(cortical):
    # A resting cell under ouabain changes on the scale of seconds: the adaptive method
    # takes ≥ 100× fewer steps than the 0.025 ms grid and agrees with it (0.01 mV, 1e-5 rel.)
    proto = [nk.PumpBlock(start=30_000.0)]
    fast = nk.simulate(cortical, 300_000.0, proto, method="adaptive", record_interval=100.0)
    grid = nk.simulate(cortical, 300_000.0, proto, record_interval=100.0)
    steps = json.loads(fast.attrs["integrator"])["steps"]
    assert steps < 300_000.0 / 0.025 / 100.0
    assert float(abs(fast.v - grid.v).max()) < 0.01
    assert float(abs(fast.na_i / grid.na_i - 1.0).max()) < 1e-5
    _assert_round_off(fast)


def test_reference_integrator_conserves_to_its_tolerance(cortical):
    # The scipy reference integrates concentrations and charge integrals as separate states:
    # conservation holds to the solver tolerance, not to round-off
    ds = nk.simulate(cortical, 500.0, FIRING, method="reference", rtol=1e-10, atol=1e-10,
                     record_interval=1.0)
    report = nk.conservation(ds)
    assert max(report["na"], report["k"], report["cl"]) < 1e-9
    assert report["charge_mV"] < 1e-3


def test_conservation_check_detects_a_leak(cortical):
    # The report is not vacuous: remove 1 µM of Na+ from a recorded state and it is seen
    ds = nk.simulate(cortical, 100.0, record=["v"])
    from nakpump.engine.compile import initial_state
    states = np.tile(initial_state(cortical), (3, 1))
    assert states.shape[1] == N_STATE
    states[2, NA_I] -= 1e-3
    report = conservation_report(cortical, states)
    assert report["na"] == pytest.approx(1e-3 / cortical.ions.na_i, rel=1e-6)
    assert report["charge_mV"] > 10.0  # 1 µM of charge in a 7 µm soma ≈ 22.5 mV
    assert nk.conservation(ds)["na"] < 1e-12


def test_fixed_concentration_mode_reports_not_applicable(hh):
    # With concentrations held fixed the invariants do not hold by assumption: NaN, not 0
    ds = nk.simulate(hh, 50.0, [nk.Stimulus(amplitude=10.0)])
    assert all(np.isnan(v) for v in nk.conservation(ds).values())


@pytest.mark.parametrize("method", ["fixed", "adaptive"])
def test_streamed_and_chunked_runs_equal_the_whole_run(cortical, tmp_path, method):
    # Issue 5: long runs stream to disk in chunks; a run in chunks (streamed, or with a
    # progress callback) takes exactly the steps of the whole run: identical numbers
    proto = [nk.Stimulus(amplitude=3.0), nk.PumpBlock(start=20_000.0)]
    kw = dict(method=method, record=["v", "na_i"], record_interval=1.0)
    whole = nk.simulate(cortical, 40_000.0, proto, **kw)
    calls = []
    chunked = nk.simulate(cortical, 40_000.0, proto, progress=lambda t, total: calls.append(t),
                          **kw)
    path = tmp_path / "run.nc"
    streamed = nk.simulate(cortical, 40_000.0, proto, output=path, **kw)
    assert len(calls) >= 10 and calls[-1] == 40_000.0
    for other in (chunked, streamed):
        assert np.array_equal(other.v.values, whole.v.values)
        assert np.array_equal(other.spike_time.values, whole.spike_time.values)
        assert other.attrs["conservation"] == whole.attrs["conservation"]
    assert streamed.v.attrs["units"] == "mV"
    assert [p.name for p in tmp_path.iterdir()] == ["run.nc"]  # no temporary left behind
