"""Pure biophysics functions against hand-computed values and published checkable numbers."""

import math

import numpy as np
import pytest

from nakpump.biophysics import channels, ions, pumps
from nakpump.mechanisms import PUMPS
from nakpump.units import CYCLE_TO_UA_CM2, FARADAY, celsius_to_kelvin, rt_over_f

RT_F_37 = rt_over_f(celsius_to_kelvin(37.0))


def test_e_k_at_37_c_matches_nernst_formula():
    # Analytic: (RT/F)·ln(4/140), CODATA R and F, T = 310.15 K
    assert ions.nernst(RT_F_37, 1.0, 4.0, 140.0) == pytest.approx(-95.0226, abs=1e-4)


def test_e_cl_sign_for_an_anion():
    # Analytic: E_Cl = −(RT/F)·ln([Cl]o/[Cl]i) = −26.7267·ln(130/6) = −82.19 mV
    assert ions.nernst(RT_F_37, -1.0, 130.0, 6.0) == pytest.approx(-26.7267 * math.log(130 / 6),
                                                                   abs=1e-3)


def test_ghk_current_vanishes_at_the_nernst_potential():
    # Analytic: a single-ion GHK current is zero at its reversal potential
    e_k = ions.nernst(RT_F_37, 1.0, 4.0, 140.0)
    assert abs(ions.ghk_current(e_k, RT_F_37, 1.0, 1e-6, 140.0, 4.0)) < 1e-12


def test_ghk_current_hand_computed_at_minus_70_mv():
    # Hand-computed: I = P z² F² V/RT · (ci − co e^{−zFV/RT})/(1 − e^{−zFV/RT}),
    # P = 1e-6 cm/s, K+ 140/4 mM, V = −70 mV, 37 °C; mM = 1e-6 mol/cm³; A/cm² → µA/cm² ×1e6
    u = -70.0 / RT_F_37
    expected = 1e-6 * FARADAY * u * (140.0 - 4.0 * math.exp(-u)) / (1 - math.exp(-u)) * 1e-6 * 1e6
    assert ions.ghk_current(-70.0, RT_F_37, 1.0, 1e-6, 140.0, 4.0) == pytest.approx(expected,
                                                                                      rel=1e-12)
    # By hand: u = −2.6191, e^−u = 13.724, u·(140 − 54.90)/(1 − 13.724) = 17.517 mM,
    # × P·F = 0.096485 → 1.690 µA/cm² outward
    assert expected == pytest.approx(1.690, abs=1e-3)


def test_ghk_is_continuous_through_zero_volts():
    # Analytic limit V → 0: I = P z F (ci − co)
    at_zero = ions.ghk_current(0.0, RT_F_37, 1.0, 1e-6, 140.0, 4.0)
    assert at_zero == pytest.approx(1e-6 * FARADAY * 136.0, rel=1e-12)
    near = ions.ghk_current(1e-6, RT_F_37, 1.0, 1e-6, 140.0, 4.0)
    assert near == pytest.approx(at_zero, rel=1e-6)


def test_ghk_voltage_reduces_to_nernst_for_one_ion():
    # Analytic: with only K+ permeable, the GHK voltage is E_K
    v = ions.ghk_voltage(RT_F_37, 1.0, 0.0, 0.0, 140.0, 4.0, 12.0, 145.0, 6.0, 130.0)
    assert v == pytest.approx(ions.nernst(RT_F_37, 1.0, 4.0, 140.0), abs=1e-12)


def test_hh_rate_singularities_are_removable():
    # HH 1952: α_m(−40 mV) → 0.1·10 = 1 /ms, α_n(−55 mV) → 0.01·10 = 0.1 /ms
    assert channels.hh_rates(-40.0)[0] == pytest.approx(1.0, rel=1e-12)
    assert channels.hh_rates(-55.0)[4] == pytest.approx(0.1, rel=1e-12)
    assert channels.hh_rates(-40.0 + 1e-6)[0] == pytest.approx(1.0, rel=1e-6)


def test_hh_q10_factor_at_18_5_c():
    # references.md §1.1: φ(18.5 °C) = 3^(12.2/10) = 3.8202
    assert channels.q10_factor(3.0, 18.5, 6.3) == pytest.approx(3.8202, abs=1e-4)


def test_hh_gates_at_rest_match_reference():
    # references.md §1.5 [sim]: at V = −64.9964 mV, m = 0.05296, h = 0.59599, n = 0.31773
    am, bm, ah, bh, an, bn = channels.hh_rates(-64.9964)
    assert am / (am + bm) == pytest.approx(0.05296, abs=1e-5)
    assert ah / (ah + bh) == pytest.approx(0.59599, abs=1e-5)
    assert an / (an + bn) == pytest.approx(0.31773, abs=1e-5)


def test_traub_rates_reproduce_wei_2014_offsets():
    # references.md §3.1: with V_T = −67 mV, α_m = 0.32(V+54)/(1−e^{−(V+54)/4}) etc.
    v = -60.0
    am, bm, ah, bh, an, bn = channels.traub_rates(v, -67.0)
    assert am == pytest.approx(0.32 * (v + 54) / (1 - math.exp(-(v + 54) / 4)), rel=1e-12)
    assert bm == pytest.approx(0.28 * (v + 27) / (math.exp((v + 27) / 5) - 1), rel=1e-12)
    assert ah == pytest.approx(0.128 * math.exp(-(v + 50) / 18), rel=1e-12)
    assert bh == pytest.approx(4 / (1 + math.exp(-(v + 27) / 5)), rel=1e-12)
    assert an == pytest.approx(0.032 * (v + 52) / (1 - math.exp(-(v + 52) / 5)), rel=1e-12)
    assert bn == pytest.approx(0.5 * math.exp(-(v + 57) / 40), rel=1e-12)


def test_exponential_euler_gate_is_exact_for_frozen_voltage():
    # Analytic: x(t) = x∞ + (x0 − x∞) e^{−(α+β)φt}
    x = channels.gate_step(0.2, 0.3, 0.7, 2.0, 0.5)
    assert x == pytest.approx(0.3 + (0.2 - 0.3) * math.exp(-1.0), rel=1e-14)


def test_pump_stoichiometry_three_to_two_to_one():
    # design.md: 1 cycle = 3 Na+ out, 2 K+ in, 1 ATP; 1 cycle/s/µm² = 1e8/N_A mol/(s·cm²)
    flux = pumps.pump_fluxes(1000.0)
    per_cycle = 1e8 / 6.02214076e23 * 1e12 * 1000.0  # pmol/(s·cm²)
    assert flux["na_efflux"] == pytest.approx(3 * per_cycle, rel=1e-14)
    assert flux["k_influx"] == pytest.approx(2 * per_cycle, rel=1e-14)
    assert flux["atp_use"] == pytest.approx(per_cycle, rel=1e-14)
    # current = F × cycle flux (net +1 e per cycle): 1000 cycles/s/µm² → 1.602e-2 µA/cm²
    assert pumps.pump_current(1000.0) == pytest.approx(
        FARADAY * flux["atp_use"] * 1e-12 * 1e6, rel=1e-9)
    assert pumps.pump_rate_from_current(pumps.pump_current(1234.5)) == pytest.approx(1234.5)


def test_kager_fraction_matches_reference():
    # references.md §5.1 [sim]: I/I_max at [Na]i 10, [K]o 3.5 = 0.0730 (K_mNa 7.7), 0.0506 (10)
    assert PUMPS['kager'].rate(1.0, 10.0, 3.5, 7.7, 2.0) == pytest.approx(0.0730, abs=5e-5)
    assert PUMPS['kager'].rate(1.0, 10.0, 3.5, 10.0, 2.0) == pytest.approx(0.0506, abs=5e-5)


@pytest.mark.parametrize("v, expected", [(-90.0, 0.2625), (-70.0, 0.3528), (-50.0, 0.4230)])
def test_luo_rudy_current_matches_reference(v, expected):
    # references.md §5.2 [sim]: Ībar 1.5 µA/µF, [Na]i 10, [Na]o 140, [K]o 5.4 mM, 310 K
    rt_f = rt_over_f(310.0)
    rate = PUMPS["luo-rudy"].rate(1.5 / CYCLE_TO_UA_CM2, v, 10.0, 140.0, 5.4, rt_f, 10.0,
                                  1.5, 1.5)
    assert pumps.pump_current(rate) == pytest.approx(expected, abs=5e-4)


def test_sigmoid_pump_matches_cressman_values():
    # references.md §5.4 [code]: ρ = 1.25 mM/s gives 0.02016 mM/s at Na_i 18, K_o 4,
    # and 0.25 ρ at Na_i 25, K_o 5.5 (both sigmoids at their midpoints)
    assert 1.25 * PUMPS['sigmoid'].rate(1.0, 18.0, 4.0, 25.0, 3.0, 5.5, 1.0) == pytest.approx(
        0.02016, abs=1e-5)
    assert PUMPS['sigmoid'].rate(1.0, 25.0, 5.5, 25.0, 3.0, 5.5, 1.0) == pytest.approx(0.25,
                                                                                          rel=1e-14)


def test_atp_factor_is_one_at_normal_atp_and_zero_without():
    # Definition: normalised Michaelis–Menten; half of the 2 mM value's MM term at [ATP] = K_m
    assert pumps.atp_factor(2.0, 0.5, 2.0) == pytest.approx(1.0, rel=1e-15)
    assert pumps.atp_factor(0.0, 0.5, 2.0) == 0.0
    assert pumps.atp_factor(0.5, 0.5, 2.0) == pytest.approx(0.5 / 0.8, rel=1e-14)


def test_pump_reversal_formula():
    # references.md §0: E_rev = 3E_Na − 2E_K + ΔG_ATP/F; −55 kJ/mol / F = −570.03 mV
    e = pumps.pump_reversal(60.0, -95.0, -55.0)
    assert e == pytest.approx(180.0 + 190.0 - 55e6 / FARADAY, abs=1e-9)
    assert e == pytest.approx(-200.03, abs=0.01)
    assert np.isfinite(e)
