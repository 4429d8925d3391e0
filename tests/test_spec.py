"""Bad specifications are refused where they are built, naming the field, value and range."""

import math

import pytest

import nakpump as nk


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(nk.SpecError, match="preset = 'squid'.*hh-1952, hh-squid, cortical"):
        nk.preset("squid")


@pytest.mark.parametrize("path, value, field", [
    ("ions.na_i", -5.0, "ions.na_i"),
    ("ions.k_o", 0.0, "ions.k_o"),
    ("ions.cl_o", math.nan, "ions.cl_o"),
    ("volume", 0.0, "volume"),
    ("area", -1.0, "area"),
    ("leak.g_na", -0.1, "leak.g_na"),
    ("pump.rate_max", math.inf, "pump.rate_max"),
    ("temp_c", 400.0, "temp_c"),
    ("channels.kind", "hh2", "channels.kind"),
    ("concentrations", "frozen", "concentrations"),
    ("ions.na_i", "140 mM", "ions.na_i"),
])
def test_bad_values_name_field_value_and_range(cortical, path, value, field):
    with pytest.raises(nk.SpecError) as err:
        cortical.replace(**{path: value})
    assert err.value.field == field
    assert "allowed" in str(err.value)


def test_unknown_parameter_lists_the_known_names(cortical):
    with pytest.raises(nk.SpecError, match="leak.g_ca.*g_na, g_k, g_cl"):
        cortical.replace(**{"leak.g_ca": 0.1})
    with pytest.raises(nk.SpecError, match="known here"):
        nk.preset("cortical", **{"pumps.rate_max": 1.0})


def test_simulation_arguments_are_checked(cortical):
    with pytest.raises(nk.SpecError, match="duration"):
        nk.simulate(cortical, -1.0)
    with pytest.raises(nk.SpecError, match="method"):
        nk.simulate(cortical, 10.0, method="rk4")
    with pytest.raises(nk.SpecError, match="record"):
        nk.simulate(cortical, 10.0, record=["voltage"])
    with pytest.raises(nk.SpecError, match="record_interval"):
        nk.simulate(cortical, 10.0, record_interval=0.03)


def test_overrides_recompute_the_rest(cortical):
    # Halving the pump capacity moves the rest: the override is applied after calibration
    # and the stored state moves to the new rest, where [Na]i has risen until the weaker
    # pump again matches the Na+ leak (Kager pump ∝ (1 + K_m/[Na]i)^−3)
    weaker = nk.preset("cortical", **{"pump.rate_max": cortical.pump.rate_max / 2})
    assert weaker.ions.na_i > cortical.ions.na_i + 2.0
    assert weaker.ions.k_i < cortical.ions.k_i - 2.0
    rest = nk.resting_state(weaker)
    assert rest.v == pytest.approx(weaker.v_init, abs=1e-9)
