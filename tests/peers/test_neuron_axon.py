"""nakpump's `hh-axon` against NEURON's own HH cable (issue 8).

The peer (neuron_axon.py) builds the same 4 cm squid axon in NEURON (built-in `hh`,
el_hh −54.387 mV, 18.5 °C, R_i 35.4 Ω·cm, 476 µm, sealed ends) and integrates it with
Crank–Nicolson at the same dx and dt. Issue 8's agreement bar: velocity within 1 %,
arrival times within 0.1 ms. Both are second order, so they agree far better; what
remains is where the stimulus enters (NEURON's 0-end node; nakpump's first compartment).
"""

import numpy as np
import pytest

import nakpump as nk
from nakpump.axon import arrival_times, conduction_velocity, simulate_axon
from nakpump.model.axon import axon_preset

pytest.importorskip("neuron", reason="NEURON is not installed (pip install neuron)")

import neuron_axon as peer  # noqa: E402  (tests/peers is on sys.path under pytest)

LENGTH, DX, DT = 40_000.0, 50.0, 0.002  # µm, µm, ms
SITES = (0.25, 0.5, 0.625, 0.75)  # fractions of the length


def test_conduction_matches_neuron():
    ref = peer.run_axon(length_um=LENGTH, dx_um=DX, dt_ms=DT, method="cn", record_at=SITES,
                        velocity_sites=(0.625, 0.75), tstop_ms=2.6)
    axon = axon_preset("hh-axon", length=LENGTH, segment_length=DX)
    area_cm2 = np.pi * axon.diameter * DX * 1e-8
    stim = nk.Stimulus(amplitude=20.0 / area_cm2, start=0.1, stop=0.2)  # the peer's 20 µA
    ds = simulate_axon(axon, 2.6, [stim], dt=DT)
    ours = conduction_velocity(ds, ref.velocity_x_um[0], ref.velocity_x_um[1])
    assert ours == pytest.approx(ref.velocity_m_s, rel=1e-3)  # issue: 1 %
    arrival = arrival_times(ds)
    for x, t_ref in zip(ref.site_x_um, ref.arrival_ms):
        t = arrival[int(np.argmin(np.abs(ds.x.values - x)))]
        assert t == pytest.approx(t_ref, abs=0.01)  # ms; issue: 0.1 ms
