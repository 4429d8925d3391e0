"""The pump at work in simulations: 3:2:1 bookkeeping, recovery after a train, failure."""

import numpy as np
import pytest
from scipy.optimize import brentq

import nakpump as nk
from nakpump.analysis import pump_recovery, spike_cost
from nakpump.units import FARADAY, celsius_to_kelvin, rt_over_f


def test_pump_moves_three_na_out_and_two_k_in_per_cycle_in_a_run(cortical):
    # design.md: Na and K pump fluxes derive from one rate. Over a run with the pump alone
    # (channels, leaks and stimulus off) Δ[Na]i : Δ[K]i = −3 : +2 exactly, and the voltage
    # changes by the pump's net charge, one e per cycle (C·ΔV = −∫I_p dt)
    cell = cortical.replace(**{"leak.g_na": 0.0, "leak.g_k": 0.0, "leak.g_cl": 0.0,
                               "channels.kind": "none", "channels.g_na": 0.0,
                               "channels.g_k": 0.0, "channels.g_m": 0.0})
    ds = nk.simulate(cell, 100.0, record=["v", "na_i", "k_i", "q_pump"])
    d_na = float(ds.na_i[-1] - ds.na_i[0])
    d_k = float(ds.k_i[-1] - ds.k_i[0])
    assert d_na / d_k == pytest.approx(-1.5, rel=1e-9)
    assert float(ds.v[-1] - ds.v[0]) == pytest.approx(-float(ds.q_pump[-1]) / 1.0, rel=1e-9)


def test_atp_use_equals_pump_charge_over_faraday(cortical):
    # 1 ATP per cycle: ATP (pmol/cm²) = ∫I_p dt / F = q_pump·1e-9/F·1e12
    ds = nk.simulate(cortical, 1000.0, record=["q_pump", "atp_used", "i_pump"])
    assert float(ds.atp_used[-1]) == pytest.approx(float(ds.q_pump[-1]) * 1e3 / FARADAY,
                                                   rel=1e-12)
    # at rest the pump runs at its resting current: q_pump = I_p·t
    assert float(ds.q_pump[-1]) == pytest.approx(float(ds.i_pump[0]) * 1000.0, rel=1e-9)


def test_train_raises_na_and_the_pump_clears_it(cortical):
    # After a train, [Na]i relaxes back to rest. Two independent predictions of its time
    # constant: (i) the resting state's linearisation (steady.py eigenvalues; the Na+-clearance
    # mode is the second slowest) within 5 %; (ii) the one-variable estimate of references.md
    # §7, τ ≈ 1/(f·(3 ∂I_p/∂[Na]i + ∂I_NaL/∂[Na]i)), which ignores the coupling to V and K+,
    # within 30 %.
    train = [nk.PulseTrain(amplitude=40.0, frequency=50.0, width=1.0, start=100.0,
                           n_pulses=100)]
    ds = nk.simulate(cortical, 200_000.0, train, record_interval=1.0)
    assert ds.spike_time.size == 100
    peak_na = float(ds.na_i.sel(time=slice(2000.0, 2200.0)).max())
    assert peak_na > cortical.ions.na_i + 0.1
    fit = pump_recovery(ds, 5_000.0, "na_i")
    rest = nk.resting_state(cortical)
    taus = np.sort(-1.0 / rest.eigenvalues.real)[::-1]
    assert fit.tau == pytest.approx(taus[1], rel=0.05)
    f_i = 10.0 / FARADAY * cortical.area / cortical.volume  # mM/ms per µA/cm²
    km = cortical.pump.km_na
    dip_dna = rest.i_pump * 3.0 * km / (rest.na_i * (rest.na_i + km))
    rt_f = rt_over_f(celsius_to_kelvin(cortical.temp_c))
    g_na = -rest.i_na_passive / (rest.v - rest.e_na)
    tau_linear = 1.0 / (f_i * (3.0 * dip_dna + g_na * rt_f / rest.na_i))
    assert fit.tau == pytest.approx(tau_linear, rel=0.3)
    # Na+ load per spike, from a finely recorded copy of the train (peaks need the samples)
    fine = nk.simulate(cortical, 2_200.0, train, record_interval=0.025)
    cost = spike_cost(fine, 50.0, 2_200.0)
    assert 1.0 < cost.load_ratio < 3.0  # mammalian range 1.2–2 (Carter & Bean 2009 [abs])
    # the train's Na+ entry is what raised [Na]i: Δ[Na]i ≈ f·Q_Na·n − pump clearance (< 10 %)
    rise = peak_na - cortical.ions.na_i
    assert rise == pytest.approx(f_i * cost.na_entry * cost.n_spikes, rel=0.1)


def test_pump_block_depolarises_stops_firing_and_recovery_restores_it(cortical):
    # Issue 3: under a constant drive, blocking the pump runs the gradients down, the cell
    # depolarises and stops firing; restoring the pump brings firing back. The run-down
    # cell is bistable (its Na+ window current can out-pump a restored pump while driven,
    # cf. the "free-energy-starved" state of Hübel et al. 2014), so the drive pauses while
    # the restored pump rebuilds the gradients.
    drive = 3.0
    proto = [nk.Stimulus(amplitude=drive, stop=220_000.0),
             nk.PumpBlock(start=10_000.0, stop=220_000.0),
             nk.Stimulus(amplitude=drive, start=600_000.0)]
    ds = nk.simulate(cortical, 700_000.0, proto, record_interval=10.0)
    spikes = ds.spike_time.values
    before = np.count_nonzero(spikes < 10_000.0)
    assert before > 10  # fires under the drive with a working pump
    last = spikes[spikes < 220_000.0][-1]
    assert 100_000.0 < last < 215_000.0  # stopped firing during the block
    blocked = ds.sel(time=219_000.0)
    assert float(blocked.v) > -40.0  # depolarised
    assert float(blocked.na_i) > 80.0 and float(blocked.k_i) < 80.0  # gradients run down
    # pump back, drive off: the gradients recover and the cell hyperpolarises below rest
    assert float(ds.v.sel(time=slice(220_000.0, 600_000.0)).min()) < -75.0
    assert float(ds.na_i.sel(time=599_000.0)) < cortical.ions.na_i + 3.0  # from > 80 mM
    # drive back: it fires again
    assert np.count_nonzero(spikes > 600_000.0) > 10


def test_atp_depletion_acts_like_a_block(cortical):
    # atp_factor(0) = 0: with no ATP the pump stops exactly as under complete block
    a = nk.simulate(cortical, 20_000.0, [nk.AtpChange(atp=0.0, start=1_000.0)],
                    record_interval=100.0)
    b = nk.simulate(cortical, 20_000.0, [nk.PumpBlock(start=1_000.0)], record_interval=100.0)
    assert float(abs(a.na_i - b.na_i).max()) < 1e-12
    assert float(a.i_pump[-1]) == 0.0
    assert float(a.v[-1]) > float(a.v[0]) + 5.0  # losing the pump's current depolarises


def _gibbs_donnan(cell):
    """Donnan equilibrium of a closed cell from its conserved totals, computed here only.

    With every ion at equilibrium, Na_i/Na_o = K_i/K_o = Cl_o/Cl_i = r = e^{−V/(RT/F)};
    each ion's total fixes its split; the cell's net charge fixes V:
    V − V0 = F·(Vol/A)/C·Σz(c_i − c_i0).
    """
    rt_f = rt_over_f(celsius_to_kelvin(cell.temp_c))
    vi, vo, ions = cell.volume, cell.outside_volume, cell.ions
    tot = {x: getattr(ions, x + "_i") * vi + getattr(ions, x + "_o") * vo
           for x in ("na", "k", "cl")}
    kappa = FARADAY * (vi / cell.area) * 0.1 / cell.capacitance  # mV per mM
    q0 = ions.na_i + ions.k_i - ions.cl_i

    def inside(v):
        r = np.exp(-v / rt_f)
        return (r * tot["na"] / (r * vi + vo), r * tot["k"] / (r * vi + vo),
                tot["cl"] / (vi / r + vo) / r)

    v = brentq(lambda v: v - cell.v_init - kappa * (sum(inside(v)[:2]) - inside(v)[2] - q0),
               -150.0, 150.0, xtol=1e-13)
    return v, inside(v)


def test_closed_cell_with_blocked_pump_relaxes_to_gibbs_donnan(hd):
    # Issue 3 / references.md §4.2, §8: pump blocked in a closed cell → V = E_Na = E_K = E_Cl at
    # the state fixed by the conserved totals. 200× the membrane area per volume makes the
    # run-down take seconds instead of hours; the end state depends only on totals, volumes
    # and the charge relation, which the independent solution above uses.
    cell = hd.replace(area=hd.area * 200.0)
    v_gd, (na_i, k_i, cl_i) = _gibbs_donnan(cell)
    # fixed step: it relaxes to the exact fixed point of the discrete map; an adaptive
    # run stops refining once the concentrations are within its atol (1e-6 mM here)
    ds = nk.simulate(cell, 150_000.0, [nk.PumpBlock()], method="fixed", record_interval=100.0)
    end = ds.isel(time=-1)
    for e in ("e_na", "e_k", "e_cl"):
        assert float(end[e]) == pytest.approx(float(end.v), abs=1e-6)
    assert float(end.v) == pytest.approx(v_gd, abs=1e-6)
    assert float(end.na_i) == pytest.approx(na_i, rel=1e-8)
    assert float(end.k_i) == pytest.approx(k_i, rel=1e-8)
    assert float(end.cl_i) == pytest.approx(cl_i, rel=1e-8)
    assert v_gd == pytest.approx(-23.17, abs=0.05)  # what this cell's totals give
