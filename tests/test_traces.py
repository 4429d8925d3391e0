"""Tests for nakpump.analysis.traces against analytic traces (ms, mV, mM, Hz)."""

import math

import numpy as np
import pytest

from nakpump.analysis import traces as at
from nakpump.analysis.traces import (
    ap_features,
    ap_features_all,
    firing_rate,
    fit_exponential_recovery,
    spike_times,
    steady_rate_from_isis,
)

BASE, AMP, SIGMA = -65.0, 100.0, 0.3  # mV, mV, ms of the synthetic Gaussian AP


def gaussian(t, t0, sigma):
    return np.exp(-((t - t0) ** 2) / (2.0 * sigma**2))


def fine_time(t_end=40.0, dt=1e-3):
    # Integer multiples of dt so that t0 = 10, 14, ... ms fall on samples.
    return np.arange(round(t_end / dt) + 1) * dt


# ---------------------------------------------------------------- spike_times


def test_sine_spikes_at_k_over_f():
    f = 0.0437  # 1/ms; zero crossings of 50 sin(2 pi f t) upward at t = k / f
    t = np.arange(10_001) * 0.01
    v = 50.0 * np.sin(2.0 * np.pi * f * t)
    s = spike_times(t, v, threshold=0.0)
    expected = np.arange(1, 5) / f  # k = 1..4 inside 0..100 ms; t = 0 is not a crossing
    assert s.shape == expected.shape
    np.testing.assert_allclose(s, expected, rtol=0, atol=1e-6)


def test_linear_interpolation_exact_on_piecewise_linear_trace():
    t = np.array([0.0, 0.7, 1.9, 2.0, 3.5])
    v = np.array([-10.0, -3.0, 9.0, 5.0, -1.0])
    # Chord from (0.7, -3) to (1.9, 9) hits 0 at 0.7 + 3/12 * 1.2 = 1.0 ms.
    np.testing.assert_allclose(spike_times(t, v, threshold=0.0), [1.0], atol=1e-12)
    # Chord from (0, -10) to (0.7, -3) hits -5 at 5/7 * 0.7 = 0.5 ms.
    np.testing.assert_allclose(spike_times(t, v, threshold=-5.0), [0.5], atol=1e-12)


def test_jitter_around_threshold_not_double_counted():
    t = np.arange(10) * 0.1
    v = np.array([-1.0, 0.5, -0.2, 0.3, -0.1, 5.0, 10.0, 5.0, -5.0, -5.0])
    # First chord (0, -1) -> (0.1, 0.5) hits 0 at 0.1 * 1/1.5 ms.
    np.testing.assert_allclose(spike_times(t, v), [0.1 / 1.5], atol=1e-12)
    # Without an effective refractory every jitter crossing counts: 3 chords go up through 0.
    assert spike_times(t, v, refractory=1e-3).size == 3


def test_refractory_suppresses_close_crossing():
    dt = 0.1
    t = np.arange(41) * dt
    v = -np.ones_like(t)
    v[[10, 18, 30]] = 1.0  # each -1 -> +1 chord crosses 0 half a step before the sample
    crossings = np.array([0.95, 1.75, 2.95])
    # 1.75 is 0.8 ms after 0.95 (< 1 ms) and is dropped; 2.95 is 2.0 ms after 0.95.
    np.testing.assert_allclose(spike_times(t, v, refractory=1.0), crossings[[0, 2]], atol=1e-12)
    np.testing.assert_allclose(spike_times(t, v, refractory=0.5), crossings, atol=1e-12)


# ---------------------------------------------------------------- ap_features


def test_gaussian_ap_features():
    t = fine_time()
    v = BASE + AMP * gaussian(t, 10.0, SIGMA)
    (ts,) = spike_times(t, v, threshold=0.0)
    # Analytic threshold crossing: BASE + AMP exp(-x^2 / 2 sigma^2) = 0.
    assert ts == pytest.approx(10.0 - SIGMA * math.sqrt(2 * math.log(AMP / -BASE)), abs=1e-5)
    feat = ap_features(t, v, ts, pre=5.0)
    # 5 ms before the crossing the Gaussian is < 1e-60 of AMP, so baseline = BASE.
    assert feat.baseline == pytest.approx(BASE, abs=1e-9)
    assert feat.peak == pytest.approx(BASE + AMP, abs=1e-6)
    assert feat.t_peak == pytest.approx(10.0, abs=1e-9)
    assert feat.amplitude == pytest.approx(AMP, abs=1e-6)
    # Full width at half maximum of a Gaussian: 2 sigma sqrt(2 ln 2).
    assert feat.half_width == pytest.approx(2 * SIGMA * math.sqrt(2 * math.log(2)), abs=1e-3)
    assert feat.t_spike == ts


def test_given_baseline_overrides_pre():
    t = fine_time()
    v = BASE + AMP * gaussian(t, 10.0, SIGMA)
    feat = ap_features(t, v, 9.8, baseline=-15.0)
    # Half level -15 + 50/2 = 10 mV is where exp(-x^2/2s^2) = 0.75: width 2 s sqrt(2 ln(4/3)).
    assert feat.amplitude == pytest.approx(50.0, abs=1e-6)
    assert feat.half_width == pytest.approx(2 * SIGMA * math.sqrt(2 * math.log(4 / 3)), abs=1e-3)


def test_ahp_minimum_of_negative_dip():
    t = fine_time()
    dip = 10.0  # mV depth of the AHP Gaussian centred at 14 ms, sigma 1.5 ms
    v = BASE + AMP * gaussian(t, 10.0, SIGMA) - dip * gaussian(t, 14.0, 1.5)
    (ts,) = spike_times(t, v)
    feat = ap_features(t, v, ts)
    # AP tail at 14 ms is exp(-(4/0.3)^2/2) ~ 1e-39 of AMP, so the minimum is BASE - dip at 14 ms.
    assert feat.ahp_min == pytest.approx(BASE - dip, abs=1e-6)
    assert feat.t_ahp == pytest.approx(14.0, abs=1e-3)
    # V falls monotonically from 10 to 14 ms, so a 2 ms window ends at its minimum, t = 12 ms.
    short = ap_features(t, v, ts, ahp_window=2.0)
    v12 = BASE + AMP * math.exp(-((2 / SIGMA) ** 2) / 2) - dip * math.exp(-((2 / 1.5) ** 2) / 2)
    assert short.t_ahp == pytest.approx(12.0, abs=1e-3)
    assert short.ahp_min == pytest.approx(v12, abs=1e-2)


def test_ap_features_all_bounds_each_ahp_by_next_spike():
    t = fine_time()
    v = (
        BASE
        + AMP * (gaussian(t, 10.0, SIGMA) + gaussian(t, 20.0, SIGMA))
        - 10.0 * gaussian(t, 14.0, 1.0)
        - 5.0 * gaussian(t, 24.0, 1.0)
    )
    spikes = spike_times(t, v)
    feats = ap_features_all(t, v, spikes, pre=2.0)
    assert len(feats) == 2
    # Each dip is > 4 sigma from the other AP, so the minima are BASE - 10 and BASE - 5 mV.
    assert [f.ahp_min for f in feats] == pytest.approx([BASE - 10.0, BASE - 5.0], abs=1e-3)
    assert [f.t_ahp for f in feats] == pytest.approx([14.0, 24.0], abs=1e-3)


# ---------------------------------------------------------------- recovery fit


@pytest.mark.parametrize(
    ("tau", "amp", "y_inf", "t_stop"),
    [(800.0, -3.0, 10.0, None), (800.0, -3.0, 10.0, 3000.0), (5.0, 20.0, -70.0, None)],
)
def test_exponential_fit_recovers_parameters(tau, amp, y_inf, t_stop):
    t_start = 10.0 * tau / 8.0
    t = np.linspace(0.0, t_start + 6.0 * tau, 3001)
    rng = np.random.default_rng(1234)
    noise = 1e-3 * abs(amp)  # tiny, seeded
    y = y_inf + amp * np.exp(-np.clip(t - t_start, 0.0, None) / tau) + rng.normal(0, noise, t.size)
    fit = fit_exponential_recovery(t, y, t_start, t_stop)
    # Parameters used to build y above; tolerance 1 %.
    assert fit.tau == pytest.approx(tau, rel=1e-2)
    assert fit.amplitude == pytest.approx(amp, rel=1e-2)
    assert fit.y_inf == pytest.approx(y_inf, rel=1e-2)
    # Residuals are the added noise, whose standard deviation is `noise`.
    assert fit.rmse == pytest.approx(noise, rel=0.2)


def test_exponential_fit_rejects_growth():
    t = np.linspace(0.0, 20.0, 50)
    with pytest.raises(ValueError, match="did not converge"):
        fit_exponential_recovery(t, np.exp(t / 5.0), 0.0)


def test_exponential_fit_nonconvergence_is_value_error(monkeypatch):
    def failing_fit(*args, **kwargs):
        raise RuntimeError("Optimal parameters not found")

    monkeypatch.setattr(at, "curve_fit", failing_fit)
    t = np.linspace(0.0, 20.0, 50)
    with pytest.raises(ValueError, match="did not converge"):
        fit_exponential_recovery(t, np.exp(-t / 5.0), 0.0)


# ---------------------------------------------------------------- rates


def test_regular_train_rates():
    spikes = 5.0 + 25.0 * np.arange(40)  # period 25 ms -> 1000 / 25 = 40 Hz
    assert firing_rate(spikes, 0.0, 1000.0) == pytest.approx(40.0, abs=1e-12)
    assert steady_rate_from_isis(spikes, 0.0, 1000.0) == pytest.approx(40.0, abs=1e-9)
    # Half window: spikes 5..480 ms are 20 in 500 ms -> 40 Hz.
    assert firing_rate(spikes, 0.0, 500.0) == pytest.approx(40.0, abs=1e-12)


def test_steady_rate_mean_isi_and_nan():
    # ISIs 10 and 20 ms -> mean 15 ms -> 1000 / 15 Hz; spike at 100 ms is outside the window.
    assert steady_rate_from_isis([0.0, 10.0, 30.0, 100.0], 0.0, 50.0) == pytest.approx(
        1000.0 / 15.0, rel=1e-12
    )
    assert math.isnan(steady_rate_from_isis([5.0], 0.0, 50.0))


# ---------------------------------------------------------------- bad arguments


def test_value_errors_name_the_argument():
    t = np.arange(10) * 0.1
    v = np.zeros(10)
    with pytest.raises(ValueError, match="v must have the same shape"):
        spike_times(t, v[:-1])
    with pytest.raises(ValueError, match="t must be strictly increasing"):
        spike_times([0.0, 2.0, 1.0], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="t must be 1-D with at least 2 samples"):
        spike_times([0.0], [0.0])
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="refractory must be"):
            spike_times(t, v, refractory=bad)
    with pytest.raises(ValueError, match="t_spike must lie in"):
        ap_features(t, v, 5.0)
    with pytest.raises(ValueError, match=r"pre=1\.0 ms puts the baseline"):
        ap_features(t, v, 0.5)
    with pytest.raises(ValueError, match="ahp_window must be"):
        ap_features(t, v, 0.5, pre=0.1, ahp_window=0.0)
    with pytest.raises(ValueError, match="next_spike must be > t_spike"):
        ap_features(t, v, 0.5, pre=0.1, next_spike=0.4)
    with pytest.raises(ValueError, match="holds 3 samples; need >= 5"):
        fit_exponential_recovery(t, v, 0.0, 0.25)
    with pytest.raises(ValueError, match="t_stop must be"):
        fit_exponential_recovery(t, v, 0.5, 0.2)
    with pytest.raises(ValueError, match="t_stop must be"):
        firing_rate([1.0], 10.0, 10.0)
    with pytest.raises(ValueError, match="spikes must be"):
        steady_rate_from_isis([3.0, 1.0], 0.0, 10.0)
