"""Resting states of the presets, the pump–leak balance, stability and leak calibration."""

import math

import pytest

import nakpump as nk
from nakpump.steady import charge_imbalance, osmotic_gradient


def test_hh_1952_rests_where_hodgkin_huxley_do(hh):
    # references.md §1.5 [sim]: V_rest = −64.9964 mV (E_L −54.387), m/h/n = 0.05296/0.59599/0.31773
    rest = nk.resting_state(hh)
    assert rest.v == pytest.approx(-64.9964, abs=1e-3)
    m, h, n, _ = rest.gates
    assert (m, h, n) == pytest.approx((0.0530, 0.5960, 0.3177), abs=5e-4)
    assert rest.stable


def test_hh_1952_reversal_potentials_are_hh_values(hh):
    # HH 1952: E_Na = +50, E_K = −77 mV; the preset's outside is chosen for that at 6.3 °C
    rest = nk.resting_state(hh)
    assert rest.e_na == pytest.approx(50.0, abs=1e-9)
    assert rest.e_k == pytest.approx(-77.0, abs=1e-9)
    # the Na/K leak split keeps HH's leak reversal −54.387 mV (g-weighted mean of E's)
    e_leak = (hh.leak.g_na * rest.e_na + hh.leak.g_k * rest.e_k) / (hh.leak.g_na + hh.leak.g_k)
    assert e_leak == pytest.approx(-54.387, abs=1e-9)


def test_hh_squid_is_calibrated_to_rest_at_minus_65(squid):
    # Issue 3: leaks calibrated so that rest is −65.0 mV and a steady state; HH total leak 0.3
    rest = nk.resting_state(squid)
    assert rest.v == pytest.approx(-65.0, abs=1e-6)
    assert squid.leak.g_na + squid.leak.g_k == pytest.approx(0.3, rel=1e-12)
    assert rest.e_na == pytest.approx(50.0, abs=1e-6)
    assert rest.e_k == pytest.approx(-77.0, abs=1e-6)
    assert rest.stable


def test_cortical_rests_at_minus_70(cortical):
    # Issue 3 / textbook [R]: a cortical neuron rests at −70 ± 0.5 mV
    rest = nk.resting_state(cortical)
    assert rest.v == pytest.approx(-70.0, abs=0.5)
    assert rest.stable
    # E_Cl = V at rest: nothing but the leak moves Cl− (calibration puts it there)
    assert rest.e_cl == pytest.approx(rest.v, abs=1e-6)
    # the pump never reverses at physiological V: E_pump ≪ V (references.md §0: −160…−240 mV)
    assert -260.0 < rest.e_pump < -150.0


def test_huebel_dahlem_rest_matches_the_published_model(hd):
    # references.md §4.2 [code+sim]: v = −67.193 mV, I_pump = 0.6442 µA/cm² (file init, which
    # is 0.59 mV/s from the fixed point); issue tolerances 0.05 mV and 0.005 µA/cm²
    rest = nk.resting_state(hd)
    assert rest.v == pytest.approx(-67.19, abs=0.05)
    assert rest.i_pump == pytest.approx(0.644, abs=0.005)
    assert rest.stable


@pytest.mark.parametrize("name", ["hh-squid", "cortical", "huebel-dahlem-2014-closed"])
def test_rest_is_pump_leak_balance(name):
    # design.md invariant: at rest, pump Na+ efflux = passive Na+ influx, K+ influx = K+ efflux,
    # i.e. I_Na,passive = −3 I_p, I_K,passive = +2 I_p, to < 1e-9 of the pump flux
    rest = nk.resting_state(nk.preset(name))
    assert abs(rest.i_na_passive + 3 * rest.i_pump) < 1e-9 * 3 * rest.i_pump
    assert abs(rest.i_k_passive - 2 * rest.i_pump) < 1e-9 * 2 * rest.i_pump
    assert abs(rest.i_cl_passive) < 1e-9 * rest.i_pump
    # hence the total membrane current is zero: I_Na + I_K + I_Cl + I_p = 0
    total = rest.i_na_passive + rest.i_k_passive + rest.i_cl_passive + rest.i_pump
    assert abs(total) < 1e-9 * rest.i_pump


def test_pump_current_hyperpolarises_the_resting_cell(cortical):
    # Physics: an outward pump current I_p through the resting conductance lowers V by
    # roughly I_p/g (chord estimate); the exact counterfactual must have that sign and size
    rest = nk.resting_state(cortical)
    assert rest.pump_potential < 0.0
    g = (cortical.leak.total + 6.0 * rest.gates[2] ** 4 + 0.075 * rest.gates[3]
         + 56.0 * rest.gates[0] ** 3 * rest.gates[1])
    assert rest.pump_potential == pytest.approx(-rest.i_pump / g, rel=0.25)


def test_stored_state_is_electroneutral_and_isosmotic(cortical, hd, squid):
    # design.md: impermeant anions make the stored state electroneutral (incl. the membrane's
    # own charge) and, here, isosmotic with the outside
    for cell in (cortical, hd, squid):
        assert abs(charge_imbalance(cell)) < 1e-9
        assert abs(osmotic_gradient(cell)) < 1e-9
    assert -1.2 < cortical.z_impermeant_i < -0.8


def test_calibration_to_another_resting_potential(cortical):
    # Issue 3: "this cell, resting at −72 mV" — the calibrated cell rests exactly there
    cell = nk.preset("cortical", v_rest=-72.0)
    rest = nk.resting_state(cell)
    assert rest.v == pytest.approx(-72.0, abs=1e-6)
    assert cell.pump.rate_max == cortical.pump.rate_max  # the preset keeps its pump
    assert rest.i_na_passive == pytest.approx(-3 * rest.i_pump, rel=1e-9)


def test_calibration_with_a_given_total_leak_scales_the_pump(cortical):
    # steady.calibrate_leaks: with g_NaL + g_KL fixed, the pump scale s solves a linear
    # balance; the result rests at the target with exactly that total leak
    cell = nk.calibrate_leaks(cortical, -68.0, leak_total=0.08)
    assert cell.leak.g_na + cell.leak.g_k == pytest.approx(0.08, rel=1e-12)
    assert cell.pump.rate_max != cortical.pump.rate_max
    rest = nk.resting_state(cell)
    assert rest.v == pytest.approx(-68.0, abs=1e-6)


def test_calibration_to_an_impossible_rest_is_refused(cortical):
    # At +80 mV (above E_Na) no non-negative Na+ leak can balance the pump
    with pytest.raises(nk.SpecError, match="v_rest"):
        nk.calibrate_leaks(cortical, 80.0)


def test_kernel_holds_the_solved_rest(cortical):
    # The steady-state solver and the time-stepping kernel share one RHS: 2 s at rest
    # must stay at rest to 1e-6 mV and 1e-9 mM
    ds = nk.simulate(cortical, 2000.0, record_interval=100.0)
    assert float(abs(ds.v - cortical.v_init).max()) < 1e-6
    assert float(abs(ds.na_i - cortical.ions.na_i).max()) < 1e-9


def test_fixed_mode_rest_of_hh_does_not_depend_on_volume(hh):
    # Fixed concentrations: geometry cannot matter to the rest
    other = hh.replace(volume=hh.volume * 10)
    assert nk.resting_state(other).v == pytest.approx(nk.resting_state(hh).v, abs=1e-12)
    assert math.isclose(nk.resting_state(other).i_pump, 0.0)
