"""Unit bridges against the derived numbers of references.md §0."""

import math

import pytest

from nakpump import units


def test_one_cycle_per_s_per_um2_is_one_charge_flux():
    # Exact: 1.602176634e-19 C/s over 1e-8 cm² = 1.602176634e-5 µA/cm²
    assert units.CYCLE_TO_UA_CM2 == pytest.approx(1.602176634e-5, rel=1e-12)


def test_thermal_voltage_matches_references_table():
    # references.md §0: RT/F = 24.0811, 25.1325, 26.6405, 26.7267 mV
    for temp_c, expected in ((6.3, 24.0811), (18.5, 25.1325), (36.0, 26.6405), (37.0, 26.7267)):
        assert units.rt_over_f(units.celsius_to_kelvin(temp_c)) == pytest.approx(expected, abs=1e-4)


def test_temperature_for_the_literal_26_64_mv():
    # references.md §0: 26.64 mV is RT/F at T = 309.14 K
    temp_c = units.temp_c_for_rt_over_f(26.64)
    assert units.celsius_to_kelvin(temp_c) == pytest.approx(309.14, abs=0.01)
    assert units.rt_over_f(units.celsius_to_kelvin(temp_c)) == pytest.approx(26.64, rel=1e-12)


def test_flux_factor_of_a_7_um_sphere_is_cressmans_gamma():
    # references.md §0: A/Vol = 3/r = 4286 /cm → γ = 0.04442 mM/s per µA/cm²
    area, volume = units.sphere(7.0)
    assert units.flux_factor(area, volume) * 1e3 == pytest.approx(0.04442, rel=1e-3)


def test_100_mv_of_a_7_um_sphere_needs_4_4_um_of_cations():
    # references.md §0: ΔV = 100 mV ↔ Δ[cation]_i = C·ΔV·(A/Vol)/F = 4.44 µM
    area, volume = units.sphere(7.0)
    assert 100.0 / units.charge_to_voltage(area, volume, 1.0) * 1e3 == pytest.approx(4.44, rel=2e-3)


def test_charge_to_pmol_conversion():
    # references.md §0: 1 µA/cm² × 1 ms = 1 nC/cm² = 1.0364e-2 pmol/cm²
    assert units.nc_cm2_to_pmol_cm2(1.0) == pytest.approx(1.0364e-2, rel=1e-4)


def test_cylinder_and_sphere_geometry():
    # Analytic: 2πrL, πr²L; 4πr², 4/3 πr³
    assert units.cylinder(2.0, 10.0) == pytest.approx((40 * math.pi, 40 * math.pi))
    assert units.sphere(3.0) == pytest.approx((36 * math.pi, 36 * math.pi))
