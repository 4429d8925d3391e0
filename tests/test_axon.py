"""The axon: HH 1952's propagated impulse (velocity, ions per impulse), conservation along
the cable, numbers from ../shared/references.md §1.3/§1.5 and the NEURON peer's runs
(tests/peers/measure_axon.py)."""

import json

import numpy as np
import pytest

import nakpump as nk
from nakpump.axon import conduction, conduction_velocity, impulse_fluxes, simulate_axon
from nakpump.model.axon import axon_preset

# 20 µA for 0.1 ms into the first 50 µm compartment (π·476·50 µm²): about 3× threshold
STIM_AREA_CM2 = np.pi * 476.0 * 50.0 * 1e-8
STIMULUS = nk.Stimulus(amplitude=20.0 / STIM_AREA_CM2, start=0.1, stop=0.2)  # µA/cm²


@pytest.fixture(scope="module")
def hh_axon():
    # 4 cm: the impulse settles to its travelling speed within ~2.5 cm of the stimulated
    # end and speeds up within ~1 cm of the sealed far end (NEURON peer, measure_axon.py)
    return axon_preset("hh-axon", length=40_000.0)


def test_hh_axon_velocity_converges_to_the_published_value(hh_axon):
    # references.md §1.5 [sim]: 18.73 m/s converged (HH computed 18.8); issue: 18.7 ± 0.3 and
    # converging as segments and dt shrink. NEURON's converged value (CN and CVODE agree):
    # 18.7346 m/s. Velocity between 2.5 and 3 cm.
    table = []
    for dx, dt in ((100.0, 0.004), (50.0, 0.002), (25.0, 0.001)):
        axon = hh_axon.replace(segment_length=dx)
        stim = nk.Stimulus(amplitude=20.0 / (np.pi * 476.0 * dx * 1e-8), start=0.1, stop=0.2)
        ds = simulate_axon(axon, 2.6, [stim], dt=dt)
        table.append(conduction_velocity(ds, 25_000.0, 30_000.0))
    assert all(abs(v - 18.7) < 0.3 for v in table)
    errors = [abs(v - 18.7346) for v in table]
    assert errors[2] < errors[0]  # converging
    assert errors[2] < 0.01  # second-order (Strang) step at dx 25 µm, dt 1 µs


def test_ions_per_propagated_impulse_match_hodgkin_huxley(hh_axon):
    # issue: Na+ entry and K+ exit per impulse at 18.5 °C within 5 % of HH 1952's 4.33 and
    # 4.26 pmol/cm²; mid-axon (2 cm), counted over 4 ms in excess of the resting flux (the
    # impulse passes at ~1.1 ms; nakpump's counts include the Na+ and K+ parts of HH's leak)
    ds = simulate_axon(hh_axon, 4.0, [STIMULUS], record=["v", "q_na", "q_k"],
                       record_interval=0.01)
    fluxes = impulse_fluxes(ds, 20_000.0, 0.0, 4.0)
    assert fluxes["na_entry"] == pytest.approx(4.33, rel=0.05)
    assert fluxes["k_exit"] == pytest.approx(4.26, rel=0.05)


def test_a_train_on_the_pumped_axon_conserves_every_ion_and_charge():
    # design.md invariants on the whole cable: each compartment carries the axial current
    # as injected K+; across the axon the axial currents cancel, so each ion's total changes
    # only by what crosses the membrane and what the stimulus brings
    axon = axon_preset("hh-axon-pump", length=10_000.0, segment_length=100.0)
    area = np.pi * 476.0 * 100.0 * 1e-8
    train = nk.PulseTrain(amplitude=20.0 / area, frequency=100.0, width=0.1, start=0.1,
                          n_pulses=5)
    ds = simulate_axon(axon, 60.0, [train], record=["v", "na_i"], record_interval=0.1)
    # every impulse travels to the far end (beyond the first mm: near the stimulated end the
    # passive response to the pulse crosses 0 mV once more just before the impulse does)
    far = ds.spike_x.values > 1000.0
    assert far.sum() == 5 * int((ds.x.values > 1000.0).sum())
    cons = json.loads(ds.attrs["conservation"])
    for key in ("na", "k", "na_compartment", "k_compartment"):
        assert cons[key] < 1e-12
    assert cons["charge_mV"] < 1e-6
    # the impulses leave Na+ behind everywhere along the axon
    assert float((ds.na_i.isel(time=-1) - ds.na_i.isel(time=0)).min()) > 0.0


def test_axon_spec_errors_name_the_field():
    with pytest.raises(nk.SpecError, match="diameter"):
        axon_preset("hh-axon", diameter=-1.0)
    with pytest.raises(nk.SpecError, match="segment_length"):
        axon_preset("hh-axon", segment_length=1e9)
    with pytest.raises(nk.SpecError, match="preset"):
        axon_preset("frog-axon")


# --- a thin mammalian axon ----------------------------------------------------------------

@pytest.fixture(scope="module")
def thin():
    return axon_preset("cortical-axon", segment_length=20.0)


def _pulse(axon, current_na=0.3):
    """Stimulus amplitude (µA/cm²) putting current_na nA into the first compartment."""
    return current_na * 1e-3 / (np.pi * axon.diameter * axon.dx * 1e-8)


def test_a_train_loads_a_thin_axon_with_far_more_na_than_a_soma(thin):
    # surface/volume: 4/d = 8/µm for the 0.5 µm axon vs 3/r = 0.43/µm for the 7 µm soma
    # (19×); 100 spikes at 100 Hz
    ds = simulate_axon(thin, 1200.0, [nk.PulseTrain(amplitude=_pulse(thin), frequency=100.0,
                                                    width=1.0, start=1.0, n_pulses=100)],
                       dt=0.05, record=["na_i"], record_interval=10.0)
    far = ds.spike_x.values > thin.length - thin.dx
    assert far.sum() == 100  # every impulse conducted
    rise_axon = float(ds.na_i.sel(x=510.0).max() - ds.na_i.sel(x=510.0).isel(time=0))
    soma = nk.preset("cortical")
    one = nk.simulate(soma, 1200.0, [nk.PulseTrain(amplitude=40.0, frequency=100.0, width=1.0,
                                                   start=1.0, n_pulses=100)],
                      record=["na_i"], record_interval=10.0)
    assert one.spike_time.size == 100
    rise_soma = float(one.na_i.max() - one.na_i[0])
    # Na+ entry per area per spike is similar, so the rise scales with surface/volume
    assert rise_axon > 10.0 * rise_soma
    assert 0.5 < rise_soma < 3.0  # mM (demo: +0.94 mM after 100 spikes at 50 Hz)


def test_pump_block_stops_conduction_and_a_prompt_restore_brings_it_back(thin):
    # 50 Hz from the stimulated end, every pump blocked from 1 s: the gradients run down
    # until an impulse fails to reach the far end
    pulse = _pulse(thin)
    block = simulate_axon(thin, 20_000.0, [
        nk.PulseTrain(amplitude=pulse, frequency=50.0, width=1.0, start=1.0, stop=20_000.0),
        nk.PumpBlock(start=1_000.0)], dt=0.05, record=["v"], record_interval=100.0)
    started, arrived = conduction(block)
    t_fail = started[np.argmin(arrived)]
    assert arrived[:50].all() and not arrived[-50:].any()
    assert 5_000.0 < t_fail < 19_000.0  # measured: 14.1 s, i.e. 13.1 s into the block
    # pump back 10 ms after the first failure, drive paused: the axon recovers and conducts
    # every impulse of a new train 15 s later (a few tens of ms later and it would have
    # fallen into the depolarised, free-energy-starved state for good)
    restored = simulate_axon(thin, 30_500.0, [
        nk.PulseTrain(amplitude=pulse, frequency=50.0, width=1.0, start=1.0, stop=t_fail + 10.0),
        nk.PumpBlock(start=1_000.0, stop=t_fail + 10.0),
        nk.PulseTrain(amplitude=pulse, frequency=50.0, width=1.0, start=30_000.0,
                      n_pulses=20)], dt=0.05, record=["v", "na_i"], record_interval=100.0)
    far = restored.spike_time.values[restored.spike_x.values > thin.length - thin.dx]
    assert (far > 30_000.0).sum() == 20
    # [Na]i was ~125 mM mid-axon at the failure; 15 s later it is back below 20 mM
    assert float(restored.na_i.sel(time=29_900.0, method="nearest").max()) < 20.0
    cons = json.loads(restored.attrs["conservation"])
    assert max(cons["na"], cons["k"], cons["na_compartment"], cons["k_compartment"]) < 1e-9


def test_a_soma_and_its_axon_load_na_differently_in_one_run():
    # the same membrane and the same impulses: 100 at 100 Hz started in the soma reach the
    # far end; the axon's [Na]i rises ~18× more than the soma's (surface/volume 8/µm vs
    # 0.43/µm, measured: +16.1 vs +0.90 mM), and the whole neuron conserves
    neuron = axon_preset("cortical-soma-axon", segment_length=20.0)
    pulse = 0.3e-3 / (neuron.soma.area * 1e-8)  # 0.3 nA into the soma, µA/cm²
    ds = simulate_axon(neuron, 1100.0, [nk.PulseTrain(amplitude=pulse, frequency=100.0,
                                                      width=2.0, start=1.0, n_pulses=100)],
                       dt=0.05, record=["na_i"], record_interval=10.0)
    assert (ds.spike_x.values == 0.0).sum() == 100  # the soma fires every pulse
    assert (ds.spike_x.values == ds.x.values[-1]).sum() == 100  # and every impulse arrives
    rise = (ds.na_i.max("time") - ds.na_i.isel(time=0)).values
    assert 0.5 < rise[0] < 2.0  # soma, mM
    assert rise[ds.x.values.size // 2] > 10.0 * rise[0]  # mid-axon
    cons = json.loads(ds.attrs["conservation"])
    assert max(cons["na"], cons["k"], cons["na_compartment"], cons["k_compartment"]) < 1e-9
    assert cons["charge_mV"] < 1e-6


def test_d_lambda_rule_matches_neurons_formula():
    # NEURON (Hines & Carnevale 2001): λ_f = 1e5·√(d/(4π·f·R_a·c_m)) µm; nseg =
    # int((L/(d_lambda·λ_f) + 0.9)/2)·2 + 1. For the HH axon at 100 Hz: λ = 10 344 µm, so a
    # 2 cm axon gets 21 compartments with d_lambda 0.1 and 195 with 0.01
    axon = axon_preset("hh-axon")
    lam = 1e5 * np.sqrt(476.0 / (4 * np.pi * 100.0 * 35.4 * 1.0))
    for d_lambda in (0.1, 0.01):
        expected = int((20_000.0 / (d_lambda * lam) + 0.9) / 2) * 2 + 1
        assert axon.with_d_lambda(d_lambda).n_segments == expected
    assert axon.with_d_lambda(0.1).n_segments == 21
