"""The thermodynamically reversible pump (mechanisms/pumps/reversible.py).

Every number here is analytic: detailed balance of a cyclic scheme makes the product of
its forward over its backward step rates e^((V − E_pump)/(RT/F)), with
E_pump = 3E_Na − 2E_K + ΔG_ATP/F (references.md §0 and §5.3 (i)); the cycle stops there.
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

import nakpump as nk
from nakpump.mechanisms import PUMPS
from nakpump.mechanisms.pumps import reversible as rev
from nakpump.units import celsius_to_kelvin, flux_factor, rt_over_f

MECH = PUMPS["reversible"]
DEFAULTS = {name: p.default for name, p in MECH.params.items()}
# (na_i, k_i, na_o, k_o, atp, adp, pi, °C): rest, loaded, run-down, hypoxic, squid-like
SETS = [(12.0, 140.0, 145.0, 4.0, 2.0, 0.03, 3.0, 37.0),
        (25.0, 130.0, 140.0, 8.0, 2.5, 0.05, 4.0, 37.0),
        (40.0, 100.0, 130.0, 20.0, 1.0, 0.2, 5.0, 30.0),
        (15.0, 135.0, 145.0, 4.0, 0.05, 1.0, 6.0, 37.0),
        (50.0, 400.0, 440.0, 20.0, 3.0, 0.01, 1.0, 6.3)]


def rate(v, na_i, k_i, na_o, k_o, atp, adp, pi, temp_c, params=DEFAULTS):
    """One pump's net turnover (cycles/s), compiled form."""
    rt_f = rt_over_f(celsius_to_kelvin(temp_c))
    return MECH.rate(v, na_i, k_i, na_o, k_o, rt_f, atp, adp, pi, *params.values())


@pytest.mark.parametrize("state", SETS)
def test_rate_is_zero_at_the_pump_reversal(state):
    *conc, temp_c = state
    rt_f = rt_over_f(celsius_to_kelvin(temp_c))
    e_pump = rev.reversal(DEFAULTS, *conc, rt_f)
    v0 = brentq(lambda v: rate(v, *state), e_pump - 200.0, e_pump + 200.0, xtol=1e-12,
                rtol=1e-15, maxiter=500)
    assert v0 == pytest.approx(e_pump, abs=1e-9)
    # forwards above E_pump, backwards below (the direction the free energy allows)
    assert rate(e_pump + 10.0, *state) > 0.0 > rate(e_pump - 10.0, *state)


@pytest.mark.parametrize("state", SETS)
@pytest.mark.parametrize("v", [-150.0, -70.0, 0.0, 40.0])
def test_detailed_balance_of_the_step_rates(state, v):
    *conc, temp_c = state
    rt_f = rt_over_f(celsius_to_kelvin(temp_c))
    f1, f2, f3, f4, b1, b2, b3, b4 = rev.step_rates(v, *conc[:4], rt_f, *conc[4:],
                                                    *DEFAULTS.values())
    ratio = (f1 * f2 * f3 * f4) / (b1 * b2 * b3 * b4)
    expected = math.exp((v - rev.reversal(DEFAULTS, *conc, rt_f)) / rt_f)
    assert ratio == pytest.approx(expected, rel=1e-12)


def test_atp_falling_slows_the_pump_and_reverses_it_where_the_formula_says():
    na_i, k_i, na_o, k_o, adp, pi, temp_c, v = 12.0, 140.0, 145.0, 4.0, 0.03, 3.0, 37.0, -70.0
    rt_f = rt_over_f(celsius_to_kelvin(temp_c))
    # E_pump(ATP*) = V: ATP* = [ADP][Pi][H+]/K_eq · e^((3E_Na − 2E_K − V)/(RT/F))
    e_na, e_k = rt_f * math.log(na_o / na_i), rt_f * math.log(k_o / k_i)
    h = 1000.0 * 10.0 ** -DEFAULTS["ph"]
    atp_star = adp * pi * h / rev.equilibrium_constant(DEFAULTS) * math.exp(
        (3.0 * e_na - 2.0 * e_k - v) / rt_f)
    assert 0.0 < atp_star < 0.1  # mM: far below the 2–3 mM of a living neuron
    atps = np.geomspace(5.0, atp_star / 100.0, 60)
    rates = np.array([rate(v, na_i, k_i, na_o, k_o, a, adp, pi, temp_c) for a in atps])
    assert np.all(np.diff(rates) < 0.0)  # slower at every step down in ATP
    assert rate(v, na_i, k_i, na_o, k_o, atp_star * (1 + 1e-6), adp, pi, temp_c) > 0.0
    assert rate(v, na_i, k_i, na_o, k_o, atp_star * (1 - 1e-6), adp, pi, temp_c) < 0.0
    assert rate(v, na_i, k_i, na_o, k_o, atp_star, adp, pi, temp_c) == pytest.approx(
        0.0, abs=1e-9 * rates[0])


def test_free_energy_of_atp_in_the_neuronal_range():
    # references.md §11 [R]: ΔG_ATP ≈ −55 to −60 kJ/mol in neurons; the parameter set's
    # K_eq at 2 mM ATP, 30 µM ADP, 3 mM Pi, pH 7, 37 °C
    dg = nk.steady.atp_free_energy(nk.preset("cortical-reversible"))
    assert -60.0 < dg < -50.0


def test_inconsistent_charge_fractions_are_refused():
    with pytest.raises(nk.SpecError, match="one charge through the field"):
        nk.ReversiblePump(rate_max=1000.0, temp_ref_c=37.0, delta_na_o=0.5)


def test_the_reversible_cell_rests_where_the_cortical_cell_does():
    # preset: pump density set so its current at the stored rest is the Kager pump's
    a, b = nk.resting_state(nk.preset("cortical")), nk.resting_state(
        nk.preset("cortical-reversible"))
    for name in ("v", "na_i", "k_i", "cl_i"):
        assert getattr(b, name) == pytest.approx(getattr(a, name), rel=1e-9, abs=1e-9)
    assert b.i_pump == pytest.approx(a.i_pump, rel=1e-9)
    assert b.stable


def test_reversible_cell_conserves_ions_and_moves_3_na_per_2_k():
    # Per cycle 3 Na+ out and 2 K+ in (design.md): Δ[Na]i = −f·(Q_Na + 3·Q_pump) and
    # Δ[K]i = −f·(Q_K − 2·Q_pump − Q_inj,K), f = (A/Vol)/F (units.flux_factor); the
    # amounts of each ion and the charge–voltage relation kept to round-off
    cell = nk.preset("cortical-reversible")
    ds = nk.simulate(cell, 1000.0, [nk.Stimulus(amplitude=8.0, start=50.0, stop=950.0)],
                     method="fixed", record=["v", "na_i", "k_i", "q_na", "q_k", "q_pump",
                                             "q_inj_k"])
    assert ds.spike_time.size > 10
    report = nk.conservation(ds)
    for ion in ("na", "k", "cl", "charge"):
        assert report[ion] < 1e-9, report
    f = flux_factor(cell.area, cell.volume)
    end = ds.isel(time=-1)
    d_na, d_k = float(end.na_i) - cell.ions.na_i, float(end.k_i) - cell.ions.k_i
    assert d_na == pytest.approx(-f * float(end.q_na + 3.0 * end.q_pump), rel=1e-9)
    assert d_k == pytest.approx(-f * float(end.q_k - 2.0 * end.q_pump - end.q_inj_k), rel=1e-9)
    assert float(end.q_pump) > 0.0
