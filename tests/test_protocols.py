"""Protocols: what a stimulus, clamp, block, ATP or bath change does, and bad input."""

import math

import numpy as np
import pytest

import nakpump as nk
from nakpump.engine.layout import D_BLOCK, D_STIM_K, D_STIM_NA
from nakpump.protocols import compile_protocol
from nakpump.units import flux_factor


@pytest.fixture(scope="module")
def capacitor(cortical):
    """The cortical soma with nothing in its membrane: a pure capacitor with ions inside."""
    return cortical.replace(**{"leak.g_na": 0.0, "leak.g_k": 0.0, "leak.g_cl": 0.0,
                               "channels.kind": "none", "channels.g_na": 0.0,
                               "channels.g_k": 0.0, "channels.g_m": 0.0}, pump=None)


@pytest.mark.parametrize("ion, column, sign", [("na", "na_i", 1.0), ("k", "k_i", 1.0),
                                               ("cl", "cl_i", -1.0)])
def test_injected_current_is_carried_by_its_ion(capacitor, ion, column, sign):
    # Analytic: 1 µA/cm² for 10 ms into a capacitor: ΔV = I·t/C = 10 mV; the carrier's
    # concentration changes by f·I·t/z (f = A·10/(F·Vol)), the others not at all
    ds = nk.simulate(capacitor, 20.0, [nk.Stimulus(amplitude=1.0, start=5.0, stop=15.0, ion=ion)],
                     record=["v", "na_i", "k_i", "cl_i"])
    assert float(ds.v[-1] - ds.v[0]) == pytest.approx(10.0, rel=1e-12)
    expected = sign * flux_factor(capacitor.area, capacitor.volume) * 10.0
    assert float(ds[column][-1] - ds[column][0]) == pytest.approx(expected, rel=1e-9)
    for other in {"na_i", "k_i", "cl_i"} - {column}:
        assert float(ds[other][-1] - ds[other][0]) == 0.0


def test_events_land_exactly_off_the_step_grid(capacitor):
    # A pulse from 1.01 to 1.52 ms with dt = 0.025 ms: the step is split at the edges, so the
    # charge delivered is exactly I·0.51 ms
    ds = nk.simulate(capacitor, 3.0, [nk.Stimulus(amplitude=2.0, start=1.01, stop=1.52)],
                     record=["v"])
    assert float(ds.v[-1] - ds.v[0]) == pytest.approx(2.0 * 0.51, rel=1e-12)


def test_voltage_clamp_measures_the_pump_current_voltage_relation(cortical):
    # A Luo–Rudy pump in a cell with no other pathway: the clamp's holding current equals the
    # pump current from the formula at each voltage (references.md §5.2 shape), and it rises
    # with V (f_NaK increases with depolarisation)
    cell = cortical.replace(**{"leak.g_na": 0.0, "leak.g_k": 0.0, "leak.g_cl": 0.0,
                               "channels.kind": "none", "channels.g_na": 0.0,
                               "channels.g_k": 0.0, "channels.g_m": 0.0},
                            pump=nk.LuoRudyPump(rate_max=1.5 / 1.602176634e-5, temp_ref_c=37.0))
    proto = [nk.VoltageClamp(v=v, start=10.0 * k, stop=10.0 * (k + 1))
             for k, v in enumerate((-90.0, -70.0, -50.0))]
    ds = nk.simulate(cell, 30.0, proto, record=["v", "i_inj", "i_pump"])
    held = [float(ds.i_inj.sel(time=10.0 * k + 9.0)) for k in range(3)]
    pumped = [float(ds.i_pump.sel(time=10.0 * k + 9.0)) for k in range(3)]
    assert held == pytest.approx(pumped, rel=1e-9)
    assert held[0] < held[1] < held[2]


def test_pulse_train_compiles_to_the_right_pulses(cortical):
    # 5 pulses at 100 Hz, 1 ms wide from 10 ms: on at 10, 20, ..., 50 ms
    seg_t, seg_d = compile_protocol(
        [nk.PulseTrain(amplitude=3.0, frequency=100.0, width=1.0, start=10.0, n_pulses=5)],
        cortical, 100.0)
    on = seg_t[:-1][seg_d[:, D_STIM_K] == 3.0]
    assert on == pytest.approx([10.0, 20.0, 30.0, 40.0, 50.0])


def test_overlapping_stimuli_add_and_blocks_combine(cortical):
    # Stimuli add per carrier; two 50 % blocks leave 25 % of the pumps working
    seg_t, seg_d = compile_protocol(
        [nk.Stimulus(amplitude=1.0, start=0.0, stop=10.0),
         nk.Stimulus(amplitude=2.0, start=5.0, stop=10.0, ion="na"),
         nk.Stimulus(amplitude=4.0, start=5.0, stop=10.0),
         nk.PumpBlock(fraction=0.5, start=0.0), nk.PumpBlock(fraction=0.5, start=5.0)],
        cortical, 20.0)
    k = int(np.searchsorted(seg_t, 5.0))
    assert seg_d[k, D_STIM_K] == 5.0 and seg_d[k, D_STIM_NA] == 2.0
    assert seg_d[k, D_BLOCK] == pytest.approx(0.75)
    assert seg_d[0, D_BLOCK] == pytest.approx(0.5)


@pytest.mark.parametrize("events, field", [
    ([nk.Stimulus(amplitude=1.0, start=200.0)], "Stimulus.start"),
    ([nk.Stimulus(amplitude=1.0, start=0.0, stop=150.0)], "Stimulus.stop"),
    ([nk.AtpChange(atp=1.0, start=0.0, stop=50.0), nk.AtpChange(atp=0.5, start=40.0)],
     "AtpChange.atp"),
    ([object()], "protocol[0]"),
])
def test_bad_protocols_name_the_field(cortical, events, field):
    # Issue 3: an event outside the run or a conflicting setting raises SpecError naming it
    with pytest.raises(nk.SpecError, match=field.replace("[", r"\[").replace("]", r"\]")):
        nk.simulate(cortical, 100.0, events)


def test_bath_change_needs_a_bath(hd):
    with pytest.raises(nk.SpecError, match="BathChange"):
        nk.simulate(hd, 100.0, [nk.BathChange(k_o=8.0)])


@pytest.mark.parametrize("make, field", [
    (lambda: nk.PumpBlock(fraction=1.5), "pump_block.fraction"),
    (lambda: nk.PumpBlock(fraction=-0.1), "pump_block.fraction"),
    (lambda: nk.Stimulus(amplitude=math.nan), "stimulus.amplitude"),
    (lambda: nk.Stimulus(amplitude=1.0, ion="ca"), "stimulus.ion"),
    (lambda: nk.Stimulus(amplitude=1.0, start=5.0, stop=2.0), "stimulus.stop"),
    (lambda: nk.AtpChange(atp=-1.0), "atp_change.atp"),
    (lambda: nk.BathChange(k_o=0.0), "bath_change.k_o"),
    (lambda: nk.BathChange(), "bath_change"),
    (lambda: nk.PulseTrain(amplitude=1.0, frequency=100.0, width=20.0, n_pulses=3),
     "pulse_train.width"),
])
def test_bad_events_are_refused_when_built(make, field):
    # Issue 3: values outside their range raise a SpecError naming field, value and range
    with pytest.raises(nk.SpecError, match=field) as err:
        make()
    assert "not allowed" in str(err.value)
