"""nakpump against an independent Brian2 build of its population model (`hh-squid`).

The peer (brian2_population.py) writes the squid-axon population again as Brian2
equations from the CellSpec's numbers and integrates it with Brian2's own
exponential Euler; here 7 cells, silent to tonically firing, with pump capacities
spread ±50 %, run 200 ms at dt 0.025 ms in Brian2's numpy runtime (no compiler
needed; ~5 s) and are compared cell by cell with nakpump's population of the
same cells (`simulate_population(..., scheme="euler")`, cell by cell the
single-cell fixed step) at the same step. Both schemes are first order and
differ in their own ways (see the peer's docstring), so the tolerances below are
measured scheme differences, each with some margin.
Skipped where Brian2 is not installed (`pip install brian2`).
"""

import numpy as np
import pytest
import xarray as xr

import nakpump as nk

try:
    pytest.importorskip("brian2", reason="Brian2 is not installed (pip install brian2)")
except AttributeError as exc:  # Brian2 < 2.10 under numpy ≥ 2.4 (ndarray.ptp is gone)
    pytest.skip(f"Brian2 does not import with this numpy: {exc}", allow_module_level=True)

import brian2_population as peer  # noqa: E402  (tests/peers is on sys.path under pytest)

DURATION = 200.0  # ms
DT = 0.025  # ms
AMPLITUDE = np.array([0.0, 3.0, 6.0, 8.0, 10.0, 15.0, 20.0])  # µA/cm², silent → 17 spikes
PUMP_SCALE = np.array([1.0, 0.5, 1.5, 0.75, 1.25, 0.6, 1.4])  # × the preset's pump.rate_max


@pytest.fixture(scope="module")
def pair(squid):
    """Brian2's population and nakpump's, cell by cell (nakpump's as per-cell Datasets)."""
    rate_max = squid.pump.rate_max * PUMP_SCALE
    b2 = peer.run_brian2(squid, AMPLITUDE, rate_max, DURATION, dt=DT, device="runtime",
                         target="numpy")
    pop = nk.simulate_population(squid, DURATION, [nk.Stimulus(amplitude=1.0)],
                                 parameters={"pump.rate_max": rate_max,
                                             "protocol[0].amplitude": AMPLITUDE},
                                 dt=DT, scheme="euler", record=["v", "na_i"])
    runs = []
    for j in range(AMPLITUDE.size):
        spikes = pop.spike_time.values[pop.spike_cell.values == j]
        runs.append(xr.Dataset({"v": pop.v[j], "na_i": pop.na_i[j],
                                "spike_time": ("spike", spikes)}))
    return b2, runs


def _brian2_spikes(b2, j):
    return np.sort(b2["spike_time"][b2["spike_cell"] == j])


def test_spike_counts_agree(pair):
    b2, runs = pair
    counts = np.array([ds.spike_time.size for ds in runs])
    assert (b2["spike_count"] == [_brian2_spikes(b2, j).size for j in range(len(runs))]).all()
    # The set spans the behaviours: a silent cell, single onset spikes, tonic firing.
    assert counts[0] == 0 and counts.max() >= 15
    # Brief's target: identical counts or within 1 (a spike can straddle the end of the run,
    # since Brian2's spikes lag by up to 1.7 ms after 17 spikes; see below). Measured on
    # these cells: identical; on 100 random cells (0–20 µA/cm², pump ±50 %): 89 identical,
    # 11 one fewer in Brian2.
    assert np.abs(b2["spike_count"] - counts).max() <= 1, (b2["spike_count"], counts)


def test_spike_times_agree(pair):
    b2, runs = pair
    for j, ds in enumerate(runs):
        t_nk, t_b2 = ds.spike_time.values, _brian2_spikes(b2, j)
        n = min(t_nk.size, t_b2.size)
        k = np.arange(1, n + 1)
        lag = t_b2[:n] - t_nk[:n]
        # Both first-order schemes drift from the exact solution spike by spike: against a
        # Radau reference (rtol 1e-10) nakpump's euler step leads by ≤ 0.06 ms per spike and
        # Brian2's exponential Euler lags by ≤ 0.16 ms per spike, so the k-th spike of the
        # two differs by ~0.1·k ms. Measured here: 0.035–0.08 ms at k = 1, ≤ 0.117 ms·k;
        # tonic firing in 100 random cells ≤ 0.12 ms·k (0.2 only just above the firing
        # threshold, where interspike intervals are most sensitive). Hence 0.15 ms·k.
        assert (np.abs(lag) <= 0.15 * k).all(), f"cell {j}: lags {np.round(lag, 3)} ms"


def test_sodium_agrees(pair, squid):
    b2, runs = pair
    na0 = squid.ions.na_i
    na_nk = np.array([float(ds.na_i[-1]) for ds in runs])
    # Brief's target: mean final [Na]i within 0.5 %. Weak in this large axon: 17 spikes add
    # only ~16 µM to its 50 mM (0.03 %); measured 3e-6 relative.
    assert abs(b2["na_i"].mean() / na_nk.mean() - 1.0) < 5e-3
    rise_nk, rise_b2 = (na_nk - na0) * 1e3, (b2["na_i"] - na0) * 1e3  # µM
    spikes = np.array([ds.spike_time.size for ds in runs])
    # The rise itself (spike influx against the pump): each spike brings ~1.1 µM of Na+ in,
    # and the schemes' spikes differ in that by 0.3–0.7 % (measured: 0.0074 µM for a single
    # spike, 0.04–0.10 µM over 13–17 spikes; silent cells agree to 1e-4 µM). Hence 1 % of
    # a spike's Na+ per spike, 0.01 µM·max(1, spikes). A pump 10 % off would move the
    # 200 ms rise by ~0.2 µM.
    tol = 0.01 * np.maximum(1, spikes)
    assert (np.abs(rise_b2 - rise_nk) <= tol).all(), (rise_nk, rise_b2)
    assert rise_nk[1] > 1.0 and rise_nk[-1] > 10.0  # the rises compared are not ~0


def test_settled_cells_end_at_the_same_voltage(pair):
    b2, runs = pair
    # Cells that fire at most once settle to a pump-leak quasi-steady state within the
    # 200 ms; there V depends on the equations and the concentrations, not on the scheme.
    # Measured: ≤ 1e-6 mV apart (the 0.0075 µM [Na]i difference moves E_Na by ~4e-6 mV).
    for j, ds in enumerate(runs):
        if ds.spike_time.size <= 1:
            v_nk = float(ds.v[-1])
            assert abs(b2["v"][j] - v_nk) < 1e-4, f"cell {j}: {b2['v'][j]} vs {v_nk} mV"
