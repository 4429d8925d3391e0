"""The error-controlled method (method="adaptive", engine.switching): its tableaus, its
accuracy against tight references, exact discontinuities, conservation over long tissue
runs, and runs split into calls that equal runs in one piece (issue 17)."""

import json
import math

import numpy as np
import pytest

import nakpump as nk
from nakpump.engine import switching as sw
from nakpump.engine.compile import cell_parameters, initial_state
from nakpump.engine.layout import ATOL_SCALE, N_STATE, Q_INJ_K, V
from nakpump.engine.tableaus import (
    DOP_A,
    DOP_C,
    DOP_E3,
    DOP_E5,
    DOP_STAGES,
    RODAS_A,
    RODAS_C,
    RODAS_GAMMA,
    RODAS_M,
)
from nakpump.errors import IntegrationError
from nakpump.protocols import compile_protocol

HH_DRIVE = [nk.Stimulus(amplitude=10.0)]  # µA/cm², 1 s of firing at 68 Hz (6.3 °C)


def _spikes(ds):
    return ds.spike_time.values


def _max_error(spikes, ref):
    assert spikes.size == ref.size
    return float(np.abs(spikes - ref).max())


# --- tableaus: order conditions (analytic) ---------------------------------------------

def test_dop853_weights_meet_the_quadrature_conditions_of_order_8():
    # Σ b_i c_i^k = 1/(k + 1) for k ≤ 7 (Hairer, Nørsett & Wanner I, §II.2), row sums of A = c
    b, c = DOP_A[DOP_STAGES, :DOP_STAGES], DOP_C[:DOP_STAGES]
    for k in range(8):
        assert np.sum(b * c**k) == pytest.approx(1.0 / (k + 1), abs=1e-14)
    assert DOP_A.sum(axis=1) == pytest.approx(DOP_C, abs=1e-13)
    # the error estimators vanish on a constant derivative (they estimate differences)
    assert DOP_E5.sum() == pytest.approx(0.0, abs=1e-14)
    assert DOP_E3.sum() == pytest.approx(0.0, abs=1e-14)


def test_rodas4_has_order_4_on_a_nonlinear_problem():
    # The RODAS4 numbers as transcribed: the global error of a fixed-step solution of the
    # van der Pol oscillator (μ = 0.3, exact Jacobian) falls 2⁴ = 16× per halving of h
    def f(y):
        return np.array([y[1], -y[0] + 0.3 * (1.0 - y[0] ** 2) * y[1]])

    def jac(y):
        return np.array([[0.0, 1.0], [-1.0 - 0.6 * y[0] * y[1], 0.3 * (1.0 - y[0] ** 2)]])

    def solve(n):
        y, h = np.array([2.0, 0.0]), 1.0 / n
        for _ in range(n):
            w = np.eye(2) / (h * RODAS_GAMMA) - jac(y)
            k = []
            for s in range(6):
                ys = y + sum(RODAS_A[s, q] * k[q] for q in range(s))
                k.append(np.linalg.solve(w, f(ys) + sum(RODAS_C[s, q] * k[q]
                                                         for q in range(s)) / h))
            y = y + sum(RODAS_M[q] * k[q] for q in range(6))
        return y

    exact = solve(2560)  # its own error is ~1e-15, below what the ratios need
    errors = [np.abs(solve(n) - exact).max() for n in (20, 40, 80)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert orders == pytest.approx([4.0, 4.0], abs=0.35)  # measured 3.45, 3.76 → 3.9


# --- accuracy against tight references --------------------------------------------------

@pytest.fixture(scope="module")
def hh_reference(hh):
    """1 s of HH firing at 10 µA/cm² (scipy LSODA rtol = atol = 1e-12; it agrees with Radau
    at 1e-11 to 6e-8 ms)."""
    return _spikes(nk.simulate(hh, 1000.0, HH_DRIVE, method="reference", rtol=1e-12,
                               atol=1e-12, record_interval=10.0))


@pytest.mark.parametrize("rtol, bound", [(1e-4, 0.02), (1e-6, 1e-3), (1e-8, 1e-4)])
def test_hh_spike_times_within_the_documented_error(hh, hh_reference, rtol, bound):
    # docs/integrators.md, table "rtol → spike-time error": on 1 s of HH firing (69 spikes)
    # the largest spike-time error stays within the bound promised for each rtol (ms;
    # measured 0.003–0.005, 3e-5, 9e-7)
    ds = nk.simulate(hh, 1000.0, HH_DRIVE, method="adaptive", rtol=rtol, atol=rtol,
                     record_interval=10.0)
    assert _max_error(_spikes(ds), hh_reference) < bound


@pytest.fixture(scope="module")
def bursting():
    """Cressman et al. (2009), published equations, bath K+ 9 mM from t = 0: 60 s of
    bursting, and its spike times by scipy LSODA at rtol = atol = 1e-11 (838 spikes; Radau
    at 1e-11 agrees to 4e-5 ms)."""
    cell = nk.preset("cressman-2009", published=True)
    protocol = [nk.BathChange(k_o=9.0, start=0.0)]
    ref = nk.simulate(cell, 60_000.0, protocol, method="reference", rtol=1e-11, atol=1e-11,
                      record=["v"], record_interval=100.0)
    return cell, protocol, _spikes(ref)


@pytest.mark.parametrize("rtol, bound", [(None, 0.05), (1e-8, 2e-3)])
def test_cressman_bursting_spike_times_within_the_documented_error(bursting, rtol, bound):
    # Issue 17: the default tolerance (rtol = atol = 1e-6) keeps every spike time of 60 s of
    # bursting (~840 spikes) within 1 ms of a tight reference; docs/integrators.md promises
    # 0.05 ms (measured 0.02 ms) and 2 µs at 1e-8 (measured 0.14 µs)
    cell, protocol, ref = bursting
    kw = {} if rtol is None else {"rtol": rtol, "atol": rtol}
    ds = nk.simulate(cell, 60_000.0, protocol, method="adaptive", record=["v"],
                     record_interval=100.0, **kw)
    assert ds.spike_time.size == ref.size == 838
    assert _max_error(_spikes(ds), ref) < bound


# --- discontinuities and runs in pieces -------------------------------------------------

def test_a_brief_pulse_in_a_long_quiet_stretch_is_delivered_exactly(cortical):
    # The integrator never steps over a protocol change, however long its steps: a 0.1 ms
    # pulse 500 ms into a resting run with steps allowed up to 10 s injects exactly
    # amplitude × duration of charge (nC/cm², analytic), to rounding
    pulse = nk.Stimulus(amplitude=0.5, start=500.05, stop=500.15)
    ds = nk.simulate(cortical, 2000.0, [pulse], method="adaptive", h_max=10_000.0,
                     record=["v"], record_interval=1000.0)
    y = _final_state(cortical, 2000.0, [pulse], h_max=10_000.0)
    assert y[Q_INJ_K] == pytest.approx(0.5 * 0.1, rel=1e-12)
    assert json.loads(ds.attrs["integrator"])["stiff_steps"] > 0


def _final_state(cell, duration, protocol, y0=None, rtol=1e-10, h_max=50.0):
    """Run engine.switching over the whole protocol in one call; the final state."""
    p = cell_parameters(cell)
    y = initial_state(cell, p) if y0 is None else y0.copy()
    seg_t, seg_d = compile_protocol(protocol, cell, duration)
    clock = np.zeros(sw.N_CLOCK)
    clock[sw.C_H] = 0.025
    clock[sw.C_ARMED] = 1.0
    none = np.empty(0)
    sw.integrate_switching(y, p, seg_t, seg_d, rtol, rtol * np.array(ATOL_SCALE),
                           sw.moving_variables(p), h_max, clock, math.inf, none,
                           np.empty(0, dtype=np.int64), np.empty((0, 0)), none,
                           np.empty((0, N_STATE)), 0.0, np.empty(100))
    return y


@pytest.mark.parametrize("event", [
    nk.Stimulus(amplitude=4.0, start=300.0),  # a drive switched on
    nk.PumpBlock(fraction=1.0, start=300.0),  # ouabain
    nk.BathChange(k_o=8.0, start=300.0),  # a bath change
], ids=["stimulus", "pump block", "bath change"])
def test_a_change_at_t0_equals_two_runs_joined_at_t0(cortical, event):
    # A protocol change at t0 = 300 ms is met exactly: one run through it ends where a run
    # to t0, continued from its final state under the new drive, ends (1 s in all, both at
    # rtol 1e-10: V within 1e-6 mV, [Na]i within 1e-9 relative)
    whole = _final_state(cortical, 1000.0, [event])
    first = _final_state(cortical, 300.0, [])
    after = {nk.Stimulus: nk.Stimulus(amplitude=4.0), nk.PumpBlock: nk.PumpBlock(fraction=1.0),
             nk.BathChange: nk.BathChange(k_o=8.0, start=0.0)}[type(event)]
    joined = _final_state(cortical, 700.0, [after], y0=first)
    assert whole[V] == pytest.approx(joined[V], abs=1e-6)
    assert whole[5] == pytest.approx(joined[5], rel=1e-9)  # na_i


@pytest.mark.parametrize("cell_name, protocol", [
    ("cortical", [nk.Stimulus(amplitude=3.3), nk.PumpBlock(fraction=1.0, start=5_000.0)]),
    ("wei-2014", [nk.OxygenChange(o2=0.0, start=2_000.0)]),  # a volume law: amounts
], ids=["cortical", "wei-2014"])
def test_a_run_in_chunks_takes_exactly_the_steps_of_one_run(cell_name, protocol, tmp_path):
    # The method's hidden state (step, method, switch counters, RODAS4's predictor) lives in
    # the clock: 50 chunks (a progress callback), or a run streamed to disk, give the same
    # bits as one call
    cell = nk.preset(cell_name)
    kw = dict(method="adaptive", record=["v", "na_i", "k_o"], record_interval=5.0)
    one = nk.simulate(cell, 10_000.0, protocol, **kw)
    chunked = nk.simulate(cell, 10_000.0, protocol, progress=lambda done, total: None, **kw)
    streamed = nk.simulate(cell, 10_000.0, protocol, output=tmp_path / "run.nc", **kw)
    for other in (chunked, streamed):
        np.testing.assert_array_equal(other.spike_time.values, one.spike_time.values)
        np.testing.assert_array_equal(other.v.values, one.v.values)
        np.testing.assert_array_equal(other.na_i.values, one.na_i.values)
        steps = [{k: v for k, v in json.loads(ds.attrs["integrator"]).items()
                  if k != "rhs_evaluations"} for ds in (other, one)]  # a chunk's start
        assert steps[0] == steps[1]  # re-evaluates f(y): the work counter may grow, no more


# --- conservation and stiffness -----------------------------------------------------------

def test_every_ion_is_conserved_over_30_minutes_of_tissue_bursting():
    # Issue 17: over a 30-minute tissue run (Cressman 2009 in nakpump's conserving form,
    # bath K+ raised to 8 mM: bursting, glia and bath exchange) each ion's amount (inside +
    # outside + glia + bath) stays within 1e-12 of its start (measured ≤ 5e-14), and
    # C·A·ΔV = F·Vol·Σz·Δc (design.md) within 1e-10 of |V| (measured 2.4e-11, 1.9e-9 mV):
    # the stored concentrations alone are uncertain by an ulp, κ·ulp(140 mM) = 6.4e-10 mV
    # for this cell (κ = F·Vol/(C·A) = 22 472 mV/mM)
    cell = nk.preset("cressman-2009")
    ds = nk.simulate(cell, 1_800_000.0, [nk.BathChange(k_o=8.0, start=0.0)], method="adaptive",
                     record=["v", "k_o"], record_interval=1000.0)
    assert ds.spike_time.size > 1000  # it bursts throughout
    cons = nk.conservation(ds)
    assert max(cons["na"], cons["k"], cons["cl"]) < 1e-12
    assert cons["charge"] < 1e-10


def test_a_resting_cell_is_crossed_by_the_stiff_method(cortical):
    # At rest the cortical cell is stiff (τ_m ≈ 0.06 ms at 37 °C against drifts of
    # seconds): the switch hands it to RODAS4, whose steps reach h_max (50 ms), so 60 s
    # take ~1 200 steps, nearly all stiff (DOP853 would need ≥ 60 000/0.37 = 160 000)
    ds = nk.simulate(cortical, 60_000.0, [], method="adaptive", record=["v"],
                     record_interval=1000.0)
    info = json.loads(ds.attrs["integrator"])
    assert info["stiff_steps"] > 0.95 * info["steps"]
    assert info["steps"] < 2_000
    # and it stays at the rest it was calibrated to (−70 mV, presets.py) within 1e-6 mV
    assert float(np.abs(ds.v.values + 70.0).max()) < 1e-6


def test_a_collapsing_step_is_reported_with_its_time():
    # A run driven out of any physical state (10^6 µA/cm²: V past ±1000 mV within a step)
    # is stopped with the time of the failure rather than hanging or returning NaN
    cell = nk.preset("hh-squid")
    with pytest.raises(IntegrationError, match=r"cell 'hh-squid' failed at t = 0\.\d+ ms"):
        nk.simulate(cell, 10.0, [nk.Stimulus(amplitude=1e6)], method="adaptive", record=["v"])


def test_observables_hold_the_algebraic_gates(hd):
    # Hübel & Dahlem's h = h(n) and Cressman's instantaneous m are not integrated: what is
    # recorded must be their values at the recorded state (channels.h_from_n_huebel)
    from nakpump.biophysics.channels import h_from_n_huebel
    ds = nk.simulate(hd, 2000.0, [nk.Stimulus(amplitude=20.0, start=10.0, stop=15.0)],
                     method="adaptive", record=["v", "h", "n"], record_interval=0.5)
    expected = np.array([h_from_n_huebel(n) for n in ds.n.values])
    np.testing.assert_allclose(ds.h.values, expected, rtol=1e-12)


def test_a_clamp_onset_in_a_swelling_cell_keeps_the_charge_relation():
    # The charge a clamp's onset delivers (C·ΔV) enters the cell's current volume, not its
    # initial one: wei-2014 (volume law) clamped from −72 to −20 mV for 0.5 s keeps
    # C·A·ΔV = F·Vol·Σz·Δc (design.md) to ~1e-8 mV (measured 6e-9; it was 0.022 mV when the
    # jump divided by the initial volume) and each ion to round-off
    cell = nk.preset("wei-2014")
    ds = nk.simulate(cell, 3000.0, [nk.VoltageClamp(v=-20.0, start=1000.0, stop=1500.0)],
                     method="adaptive", record=["v", "vol_i"], record_interval=250.0)
    assert float(ds.vol_i.sel(time=1000.0)) != 1.0  # the cell has changed volume by then
    cons = nk.conservation(ds)
    assert cons["charge_mV"] < 1e-7
    assert max(cons["na"], cons["k"], cons["cl"]) < 1e-12
