"""Populations (issue 6): per-cell parameters and protocols, one kernel, one Dataset.

The reference for every cell is the single-cell API run with that cell's
parameters: the population runs the same step (engine.fixed) per cell, so the
two must agree bit for bit. Conservation per cell is design.md's invariant.
"""

import json

import numpy as np
import pytest

import nakpump as nk
from nakpump import population as pop
from nakpump.engine.compile import cell_parameters
from nakpump.engine.layout import P_FLUX_I
from nakpump.errors import SpecError
from nakpump.results import conservation
from nakpump.sampling import population_parameters
from nakpump.scenario import scenario_from_dict
from nakpump.steady import resting_state

RECORD = ["v", "na_i", "k_i", "i_pump", "atp_used"]

# Six cortical cells that differ in pump density, Na+ leak, bath K+, temperature and drive.
PARAMS = {
    "pump.rate_max": np.array([8.1e4, 5e4, 1.2e5, 8.1e4, 6e4, 1e5]),
    "leak.g_na": np.array([0.0287, 0.02, 0.035, 0.0287, 0.03, 0.025]),
    "ions.k_o": np.array([4.0, 4.0, 6.0, 8.0, 4.0, 3.0]),
    "temp_c": np.array([37.0, 35.0, 37.0, 37.0, 32.0, 37.0]),
    "protocol[0].amplitude": np.array([0.0, 2.0, 3.0, 4.0, 6.0, 8.0]),
}
PROTOCOL = [nk.Stimulus(amplitude=3.0, start=20.0, stop=380.0),
            nk.PumpBlock(fraction=0.8, start=200.0)]


def one_cell(cell, i, protocol=PROTOCOL, params=PARAMS):
    """Cell i of the population, built and run through the single-cell API."""
    overrides = {k: float(v[i]) for k, v in params.items() if not k.startswith("protocol")}
    events = list(protocol)
    for k, v in params.items():
        if k.startswith("protocol["):
            j, field = int(k[9:k.index("]")]), k.split(".")[1]
            events[j] = type(events[j])(**{**events[j].__dict__, field: float(v[i])})
    return cell.replace(**overrides), events


@pytest.fixture(scope="module")
def population(cortical):
    return nk.simulate_population(cortical, 400.0, PROTOCOL, parameters=PARAMS, record=RECORD,
                                  record_interval=0.5)


@pytest.mark.parametrize("i", range(6))
def test_each_cell_is_the_single_cell_run_bit_for_bit(cortical, population, i):
    # Same step function, same step sequence → identical floating-point results.
    cell_i, events = one_cell(cortical, i)
    alone = nk.simulate(cell_i, 400.0, events, method="fixed", record=RECORD,
                        record_interval=0.5)
    assert np.array_equal(alone.time.values, population.time.values)
    for name in RECORD:
        np.testing.assert_array_equal(population[name].values[i], alone[name].values)
    spikes = population.spike_time.values[population.spike_cell.values == i]
    np.testing.assert_array_equal(spikes, alone.spike_time.values)
    assert population.spike_count.values[i] == alone.spike_time.size
    assert population.na_i_end.values[i] == alone.na_i.values[-1]
    # ATP over the run is the pump charge: 1 ATP per elementary charge (F per mol).
    assert population.atp_used_total.values[i] == pytest.approx(
        alone.atp_used.values[-1] - alone.atp_used.values[0], rel=1e-12)


def test_the_population_is_heterogeneous_and_conserves_per_cell(population):
    counts = population.spike_count.values
    assert counts[0] == 0 and counts[-1] > counts[1]  # no drive: silent; more drive: more
    report = conservation(population)
    # design.md: each ion's amount and C·ΔV = F·Vol·Σz·Δc to ≤ 1e-9 relative, per cell.
    for ion in ("na", "k", "cl", "charge"):
        assert report[ion] < 1e-10  # measured: ions ~1e-16, charge ~1e-11
        assert population[f"conservation_{ion}"].values.max() == report[ion]
    np.testing.assert_array_equal(population["pump.rate_max"].values, PARAMS["pump.rate_max"])


def test_per_cell_protocol_lists(cortical):
    protocols = [[nk.Stimulus(amplitude=4.0, start=10.0)],
                 [nk.PulseTrain(amplitude=40.0, frequency=50.0, width=1.0, n_pulses=5)],
                 [nk.Stimulus(amplitude=4.0, start=10.0)],
                 [nk.PumpBlock(start=0.0), nk.Stimulus(amplitude=2.0)]]
    ds = nk.simulate_population(cortical, 150.0, protocols, record=["v", "k_i"])
    for i, events in enumerate(protocols):
        alone = nk.simulate(cortical, 150.0, events, method="fixed", record=["v", "k_i"],
                            record_interval=float(ds.attrs["record_interval_ms"]))
        np.testing.assert_array_equal(ds.v.values[i], alone.v.values)
        np.testing.assert_array_equal(ds.k_i.values[i], alone.k_i.values)
    assert len(json.loads(ds.attrs["protocol"])) == 3  # cells 0 and 2 share one


def test_a_cells_bits_do_not_depend_on_its_tiles_membrane_variant(squid):
    # Alone, cells 0 and 3 (no Cl− leak, no clamp) take the plain membrane step; in a
    # tile with a clamped cell (1) and one with a Cl− leak (2), all four take the step
    # with Cl− and clamp terms (engine.cell._membrane_phase). It must compute the same
    # bits for them, or a cell's numbers would depend on its neighbours.
    protocols = [[nk.Stimulus(amplitude=15.0, start=5.0, stop=60.0)],
                 [nk.VoltageClamp(v=-20.0, start=5.0, stop=60.0)],
                 [nk.Stimulus(amplitude=15.0, start=5.0, stop=60.0)],
                 [nk.Stimulus(amplitude=8.0, start=5.0, stop=60.0)]]
    g_cl = np.array([0.0, 0.0, 0.05, 0.0])
    record = ["v", "na_i", "k_i", "cl_i", "q_cl", "i_inj"]
    ds = nk.simulate_population(squid, 100.0, protocols, parameters={"leak.g_cl": g_cl},
                                record=record, record_interval=0.5)
    for i, events in enumerate(protocols):
        alone = nk.simulate(squid.replace(**{"leak.g_cl": g_cl[i]}), 100.0, events,
                            method="fixed", record=record, record_interval=0.5)
        for name in record:
            np.testing.assert_array_equal(ds[name].values[i], alone[name].values)
    # The tile's variants are really exercised: the plain cells fire (5 and 4 spikes
    # measured), and only cell 2's Cl− moves, by its Cl− charge over F·Vol (design.md's
    # charge–concentration relation; measured 2.18e-5 mM, agreeing to 1e-10).
    assert ds.spike_count.values[[0, 3]].min() > 0
    cl_change = ds.cl_i.values[:, -1] - ds.cl_i.values[:, 0]
    flux_i = cell_parameters(squid.replace(**{"leak.g_cl": 0.05}))[P_FLUX_I]  # mM per nC/cm²
    q_cl = ds.q_cl.values[2, -1] - ds.q_cl.values[2, 0]
    assert cl_change[2] == pytest.approx(flux_i * q_cl, rel=1e-8)
    assert cl_change[2] > 1e-6 and np.all(cl_change[[0, 1, 3]] == 0.0)


def test_chunked_streamed_and_overflowing_runs_agree(cortical, tmp_path, monkeypatch):
    params = {"protocol[0].amplitude": np.linspace(2.0, 12.0, 5)}
    args = (cortical, 300.0, [nk.Stimulus(amplitude=3.0)])
    whole = nk.simulate_population(*args, parameters=params, record=["v"])
    # 50 chunks (a progress callback), streamed to a file.
    seen = []
    streamed = nk.simulate_population(*args, parameters=params, record=["v"],
                                      output=tmp_path / "pop.nc",
                                      progress=lambda t, total: seen.append(t))
    assert len(seen) == 50 and seen[-1] == 300.0
    # A one-spike buffer: cells that fire more are run through the chunk again, alone.
    monkeypatch.setattr(pop, "SPIKE_RATE_GUESS", 0.0)
    monkeypatch.setattr(pop, "SPIKE_BUFFER_MIN", 1)
    reruns = []
    kernel = pop.integrate_population

    def counting(y, p, cells, *rest):
        reruns.append(cells.size < y.shape[0])
        return kernel(y, p, cells, *rest)

    monkeypatch.setattr(pop, "integrate_population", counting)
    overflowed = nk.simulate_population(*args, parameters=params, record=["v"])
    assert any(reruns)
    for ds in (streamed, overflowed):
        np.testing.assert_array_equal(ds.v.values, whole.v.values)
        np.testing.assert_array_equal(ds.time.values, whole.time.values)
        np.testing.assert_array_equal(ds.spike_time.values, whole.spike_time.values)
        np.testing.assert_array_equal(ds.spike_cell.values, whole.spike_cell.values)
        np.testing.assert_array_equal(ds.spike_count.values, whole.spike_count.values)


def test_start_at_rest_puts_each_cell_at_its_own_rest(cortical):
    k_o = np.array([3.0, 4.0, 6.0])
    ds = nk.simulate_population(cortical, 200.0, parameters={"ions.k_o": k_o}, start="rest",
                                record=["v"])
    for i, k in enumerate(k_o):
        rest = resting_state(cortical.replace(**{"ions.k_o": float(k)}))
        assert ds.v.values[i, 0] == pytest.approx(rest.v, abs=1e-9)
        # At rest nothing moves: 200 ms later V is where it started (integration error only).
        assert ds.v.values[i, -1] == pytest.approx(rest.v, abs=1e-6)
    # Higher [K]o depolarises: the rest solver puts 3 mM at −76.3 and 6 mM at −61.4 mV.
    assert ds.v.values[2, 0] - ds.v.values[0, 0] == pytest.approx(14.91, abs=0.01)


def test_spikes_only_by_default_for_large_populations(squid):
    n = pop.SPIKES_ONLY_ABOVE + 1
    ds = nk.simulate_population(squid, 20.0, [nk.Stimulus(amplitude=10.0)], n=n,
                                scheme="euler")
    assert ds.sizes["time"] == 0 and ds.sizes["cell"] == n
    # Identical cells fire exactly as one cell does alone (two APs in 20 ms here).
    alone = nk.simulate(squid, 20.0, [nk.Stimulus(amplitude=10.0)], method="fixed",
                        scheme="euler", record=[])
    assert set(ds.spike_count.values) == {alone.spike_time.size}
    np.testing.assert_array_equal(ds.spike_time.values,
                                  np.repeat(alone.spike_time.values, n))  # by time, then cell


def test_threads_do_not_change_the_answer(squid):
    params = {"protocol[0].amplitude": np.linspace(5.0, 20.0, 8)}
    one = nk.simulate_population(squid, 50.0, [nk.Stimulus(amplitude=1.0)], parameters=params,
                                 threads=1, record=["v"])
    many = nk.simulate_population(squid, 50.0, [nk.Stimulus(amplitude=1.0)], parameters=params,
                                  record=["v"])
    np.testing.assert_array_equal(one.v.values, many.v.values)


@pytest.mark.parametrize("parameters, fragments", [
    ({"pump.rate_max": np.ones(3)}, ["pump.rate_max", "length 4"]),
    ({"leak.g_na": [0.03, np.nan, 0.03, 0.03]}, ["leak.g_na (cell 1)", "finite"]),
    ({"leak.g_na": [0.03, 0.03, 0.03, -0.01]}, ["leak.g_na (cell 3)", "≥ 0"]),
    ({"protocol[0].start": [0.0, 10.0, 500.0, 0.0]}, ["(cell 2)", "duration"]),
    ({"pump.speed": np.ones(4)}, ["pump.speed", "parameter name"]),
    ({"protocol[3].amplitude": np.ones(4)}, ["protocol[3].amplitude", "event index"]),
    ({"volume": [1.0, 0.0, 1.0, 1.0]}, ["volume (cell 1)", "> 0"]),
])
def test_bad_per_cell_arrays_name_the_parameter_and_the_cell(cortical, parameters, fragments):
    with pytest.raises(SpecError) as err:
        nk.simulate_population(cortical, 100.0, [nk.Stimulus(amplitude=1.0)], n=4,
                               parameters=parameters)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_bad_settings(cortical):
    with pytest.raises(SpecError, match="threads"):
        nk.simulate_population(cortical, 10.0, n=2, threads=99)
    with pytest.raises(SpecError, match="number of cells"):
        nk.simulate_population(cortical, 10.0)
    with pytest.raises(SpecError, match="one list of events per cell"):
        nk.simulate_population(cortical, 10.0, [[nk.Stimulus(amplitude=1.0)]], n=3)
    with pytest.raises(SpecError, match="record_interval"):
        nk.simulate_population(cortical, 10.0, n=2, record_interval=0.03)


def test_seeded_distributions_reproduce_and_have_the_asked_moments():
    dists = {"pump.rate_max": {"dist": "lognormal", "mean": 8e4, "sd": 2e4},
             "leak.g_na": {"dist": "uniform", "low": 0.02, "high": 0.04},
             "temp_c": {"dist": "normal", "mean": 35.0, "sd": 1.0}}
    n, a = population_parameters(40_000, dists, {}, seed=3)
    _, b = population_parameters(40_000, dists, {}, seed=3)
    _, c = population_parameters(40_000, dists, {}, seed=4)
    for name in dists:
        np.testing.assert_array_equal(a[name], b[name])
        assert not np.array_equal(a[name], c[name])
    # Sample moments within 5 standard errors of the asked ones (σ/√n for the mean).
    se = 1 / np.sqrt(n)
    assert a["pump.rate_max"].mean() == pytest.approx(8e4, abs=5 * 2e4 * se)
    # Standard error of a sample sd: σ·√((κ − 1)/4n), κ the kurtosis (4.06 for this
    # lognormal, CV 0.25; 3 for a normal): 0.44 % and 0.35 % here, so ≥ 8.5 SE of room.
    assert a["pump.rate_max"].std() == pytest.approx(2e4, rel=0.05)
    assert a["pump.rate_max"].min() > 0
    assert a["leak.g_na"].mean() == pytest.approx(0.03, abs=5 * 0.02 / np.sqrt(12) * se)
    assert 0.02 <= a["leak.g_na"].min() and a["leak.g_na"].max() <= 0.04
    assert a["temp_c"].std() == pytest.approx(1.0, rel=0.03)


def test_a_sweep_grid_lays_cells_out_in_order():
    n, values = population_parameters(12, {}, {"ions.k_o": [4.0, 8.0],
                                               "pump.rate_max": {"start": 1.0, "stop": 3.0,
                                                                 "num": 3}}, seed=None)
    assert n == 12  # 2 × 3 points, each repeated twice
    np.testing.assert_array_equal(values["ions.k_o"], [4.0] * 6 + [8.0] * 6)
    np.testing.assert_array_equal(values["pump.rate_max"][:6], [1, 1, 2, 2, 3, 3])
    with pytest.raises(SpecError, match="multiple of the sweep's 6 points"):
        population_parameters(7, {}, {"ions.k_o": [4.0, 8.0], "temp_c": [30.0, 33.0, 36.0]},
                              seed=None)


def test_scenario_population_runs_reproducibly_with_units(cortical):
    data = {"preset": "cortical", "duration": "100 ms",
            "events": [{"type": "stimulus", "amplitude": "3 uA/cm^2"}],
            "population": {"cells": 6, "seed": 11, "parameters": {
                "pump.rate_max": {"dist": "normal", "mean": "8e4 1/(s*um^2)",
                                  "sd": "1e4 1/(s*um^2)"},
                "protocol[0].amplitude": {"dist": "uniform", "low": "2 uA/cm^2",
                                          "high": "0.006 mA/cm^2"}}}}
    first = scenario_from_dict(data).run()
    again = scenario_from_dict(json.loads(first.attrs["scenario"])).run()
    np.testing.assert_array_equal(first.v.values, again.v.values)
    amps = first["protocol[0].amplitude"].values
    assert amps.min() >= 2.0 and amps.max() <= 6.0  # 0.006 mA/cm² = 6 µA/cm²
    with pytest.raises(SpecError, match="population.parameters"):
        scenario_from_dict({**data, "population": {"cells": 6, "parameters": {
            "temp_c": {"dist": "gamma", "mean": 1}}}})
