"""Tests for nakpump.analysis.tissue on synthetic spike trains and traces with known answers.

Units: ms, mV, mM in; s, Hz, mM in summaries. Every expected number is worked
out by hand from how the synthetic input is built (stated beside each assert).
"""

import json
import math

import numpy as np
import pytest
import xarray as xr

from nakpump.analysis.tissue import (
    Bursts,
    SpreadingDepolarisations,
    bursts_of,
    detect_bursts,
    detect_sd,
    sd_of,
    volume_change,
)
from nakpump.errors import SpecError
from nakpump.results import build_dataset


def burst_train(n_bursts=5, per_burst=20, rate_hz=100.0, every=30_000.0, first=0.0):
    """n_bursts bursts of per_burst spikes at rate_hz, one burst every `every` ms."""
    isi = 1000.0 / rate_hz  # ms
    one = np.arange(per_burst) * isi
    return np.concatenate([first + k * every + one for k in range(n_bursts)])


def trapezoid(t, corners):
    """Piecewise-linear trace through (time ms, value) corners, sampled at t."""
    tc, yc = zip(*corners, strict=True)
    return np.interp(t, tc, yc)


# ---------------------------------------------------------------- detect_bursts


def test_five_bursts_of_twenty_spikes_at_100_hz_every_30_s():
    # Built: starts at k·30 000 ms, 20 spikes 10 ms apart, so each burst lasts
    # 19 · 10 = 190 ms and the starts are exactly 30 000 ms apart.
    b = detect_bursts(burst_train())
    assert b.count == 5
    np.testing.assert_allclose(b.start, np.arange(5) * 30_000.0, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.end, np.arange(5) * 30_000.0 + 190.0, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(b.n_spikes, [20] * 5)
    np.testing.assert_allclose(b.duration, 190.0, rtol=0, atol=1e-9)
    assert b.period == pytest.approx(30_000.0, abs=1e-9)


def test_burst_summary_numbers_and_json():
    # Same train: period 30 s, frequency 1/30 Hz, CV 0 (equal intervals),
    # duration 0.19 s, silence 30 000 − 190 = 29 810 ms, 20 spikes, 19 ISIs in
    # 0.19 s = 100 Hz inside a burst.
    s = detect_bursts(burst_train()).summary()
    assert s["count"] == 5
    assert s["period_s"] == pytest.approx(30.0, abs=1e-12)
    assert s["frequency_hz"] == pytest.approx(1.0 / 30.0, rel=1e-12)
    assert s["period_cv"] == pytest.approx(0.0, abs=1e-12)
    assert s["duration_mean_s"] == pytest.approx(0.19, abs=1e-12)
    assert s["duration_max_s"] == pytest.approx(0.19, abs=1e-12)
    assert s["interburst_mean_s"] == pytest.approx(29.81, abs=1e-12)
    assert s["spikes_per_burst_mean"] == pytest.approx(20.0, abs=0)
    assert s["rate_in_burst_hz"] == pytest.approx(100.0, rel=1e-9)
    assert all(type(x) in (int, float) for x in s.values())  # plain Python numbers
    assert json.loads(json.dumps(s)) == s


def test_irregular_starts_give_telescoped_mean_period_and_cv():
    # Starts at 0, 10 000, 30 000 ms: intervals 10 000 and 20 000, mean 15 000 ms;
    # population std 5 000 ms, CV 5 000 / 15 000 = 1/3.
    spikes = np.concatenate([s0 + np.array([0.0, 5.0, 10.0]) for s0 in (0.0, 10_000.0, 30_000.0)])
    b = detect_bursts(spikes)
    assert b.period == pytest.approx(15_000.0, abs=1e-9)
    assert b.summary()["period_cv"] == pytest.approx(1.0 / 3.0, rel=1e-12)


def test_interval_equal_to_gap_joins_and_longer_one_splits():
    # Intervals 10, 10, 11 ms with gap 10: the rule is interval ≤ gap, so the
    # first three spikes form one burst and 31 ms stands alone.
    spikes = [0.0, 10.0, 20.0, 31.0]
    b = detect_bursts(spikes, gap=10.0)
    assert b.count == 1
    assert (b.start[0], b.end[0], b.n_spikes[0]) == (0.0, 20.0, 3)
    b1 = detect_bursts(spikes, gap=10.0, min_spikes=1)  # the lone spike is a burst of one
    np.testing.assert_array_equal(b1.start, [0.0, 31.0])
    np.testing.assert_array_equal(b1.n_spikes, [3, 1])
    assert b1.duration[1] == 0.0
    # A zero-width burst has no within-burst rate: only the first burst's 2 ISIs in 20 ms.
    assert b1.summary()["rate_in_burst_hz"] == pytest.approx(100.0, rel=1e-12)


def test_min_spikes_drops_small_groups():
    # Groups of 2, 3 and 5 spikes (2 ms apart) 10 s apart; min_spikes = 3 keeps two.
    spikes = np.concatenate([10_000.0 * k + 2.0 * np.arange(n) for k, n in enumerate((2, 3, 5))])
    b = detect_bursts(spikes, min_spikes=3)
    np.testing.assert_array_equal(b.n_spikes, [3, 5])
    np.testing.assert_allclose(b.start, [10_000.0, 20_000.0], atol=0)
    np.testing.assert_allclose(b.duration, [4.0, 8.0], atol=1e-12)  # (n − 1) · 2 ms
    assert detect_bursts(spikes, min_spikes=2).count == 3


def test_t_start_skips_the_initial_transient():
    # A transient: tonic 10 Hz firing from 0 to 3 s (100 ms ISIs < gap: one long
    # burst of 31 spikes), then the 5 bursts of the first test starting at 10 s.
    transient = np.arange(31) * 100.0
    spikes = np.concatenate([transient, burst_train(first=10_000.0)])
    with_transient = detect_bursts(spikes)
    assert with_transient.count == 6
    assert with_transient.n_spikes[0] == 31
    assert with_transient.duration[0] == pytest.approx(3000.0, abs=1e-9)
    b = detect_bursts(spikes, t_start=5_000.0)
    assert b.count == 5
    assert b.period == pytest.approx(30_000.0, abs=1e-9)
    assert b.start[0] == pytest.approx(10_000.0, abs=1e-9)


def test_t_start_inside_a_burst_keeps_its_later_spikes():
    # t_start = 55 ms falls inside the first burst (spikes every 10 ms): its
    # remaining spikes are 60 … 190 ms, 14 of them.
    b = detect_bursts(burst_train(), t_start=55.0)
    assert b.start[0] == pytest.approx(60.0, abs=1e-12)
    assert b.n_spikes[0] == 14
    assert b.count == 5


def test_no_bursts_and_one_burst_give_nan_period():
    empty = detect_bursts([])
    assert empty.count == 0 and empty.start.shape == (0,)
    assert math.isnan(empty.period)
    s = empty.summary()
    assert s["count"] == 0
    assert all(math.isnan(v) for k, v in s.items() if k != "count")
    one = detect_bursts(burst_train(n_bursts=1))
    assert one.count == 1 and math.isnan(one.period)
    assert one.summary()["duration_mean_s"] == pytest.approx(0.19, abs=1e-12)


def test_pooled_spikes_with_ties_are_accepted():
    # Two cells firing together: equal times are sorted, one burst of 4 spikes, 0..5 ms.
    b = detect_bursts([0.0, 0.0, 5.0, 5.0])
    assert b.count == 1 and b.n_spikes[0] == 4 and b.duration[0] == 5.0


def test_burst_result_is_read_only():
    b = detect_bursts(burst_train())
    assert isinstance(b, Bursts)
    with pytest.raises(ValueError):
        b.start[0] = 1.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"gap": 0.0}, "gap"),
        ({"gap": -5.0}, "gap"),
        ({"gap": float("nan")}, "gap"),
        ({"gap": "1 s"}, "gap"),
        ({"min_spikes": 0}, "min_spikes"),
        ({"min_spikes": 2.5}, "min_spikes"),
        ({"min_spikes": True}, "min_spikes"),
        ({"t_start": float("inf")}, "t_start"),
    ],
)
def test_bad_burst_parameters_raise_spec_error_naming_them(kwargs, field):
    with pytest.raises(SpecError, match=rf"^{field} = ") as err:
        detect_bursts([0.0, 1.0], **kwargs)
    assert err.value.field == field
    assert "allowed" in str(err.value)


def test_unsorted_or_bad_spike_times_raise_spec_error():
    with pytest.raises(SpecError, match=r"spike_times\[2\] = 5\.0 .*≥ spike_times\[1\] = 10\.0"):
        detect_bursts([0.0, 10.0, 5.0])
    with pytest.raises(SpecError, match=r"spike_times\[1\] = nan"):
        detect_bursts([0.0, float("nan")])
    with pytest.raises(SpecError, match=r"spike_times\.shape"):
        detect_bursts([[0.0, 1.0], [2.0, 3.0]])


# -------------------------------------------------------------------- detect_sd

# Trapezoid: rest −70 mV to 10 s, linear rise to 0 mV at 11 s, plateau to 40 s,
# linear fall to −70 mV at 42 s. Crossings of −30 mV (on the ramps, so a chord
# between any two samples there is the ramp itself and interpolation is exact):
# up at 10 000 + 40/70 · 1 000 = 10 571.428… ms, down at 40 000 + 30/70 · 2 000
# = 40 857.142… ms. Samples every 3 ms, so neither crossing falls on a sample.
SD_CORNERS = [(0.0, -70.0), (10_000.0, -70.0), (11_000.0, 0.0), (40_000.0, 0.0),
              (42_000.0, -70.0), (60_000.0, -70.0)]
SD_ONSET = 10_000.0 + 40.0 / 70.0 * 1_000.0
SD_END = 40_000.0 + 30.0 / 70.0 * 2_000.0


def sd_time():
    return np.arange(0.0, 60_000.0, 3.0)


def test_trapezoid_onset_end_and_duration_by_interpolation():
    t = sd_time()
    sd = detect_sd(t, trapezoid(t, SD_CORNERS))
    assert sd.count == 1
    assert sd.onset[0] == pytest.approx(SD_ONSET, abs=1e-8)
    assert sd.end[0] == pytest.approx(SD_END, abs=1e-8)
    assert sd.duration[0] == pytest.approx(SD_END - SD_ONSET, abs=1e-8)  # 30 285.714… ms
    assert sd.recovered
    assert sd.peak_k_o is None


def test_interpolation_on_coarse_irregular_samples():
    # Chord (1 000, −50) → (3 000, −10) reaches −30 halfway: 2 000 ms; chord
    # (9 000, −10) → (12 000, −70) reaches −30 a third of the way: 10 000 ms.
    t = [0.0, 1_000.0, 3_000.0, 9_000.0, 12_000.0]
    v = [-70.0, -50.0, -10.0, -10.0, -70.0]
    sd = detect_sd(t, v)
    np.testing.assert_allclose(sd.onset, [2_000.0], atol=1e-9)
    np.testing.assert_allclose(sd.end, [10_000.0], atol=1e-9)
    np.testing.assert_allclose(sd.duration, [8_000.0], atol=1e-9)


def test_peak_k_o_is_taken_only_while_depolarised():
    # k_o: 3 mM, a triangle to 45 mM with its apex on a sample (24 999 = 3 · 8 333
    # ms) inside the event, and a later 60 mM bump at 54 999 ms when V is back at
    # rest: the event's peak is 45 mM, not 60.
    t = sd_time()
    k_o = trapezoid(t, [(0.0, 3.0), (10_000.0, 3.0), (24_999.0, 45.0), (42_000.0, 3.0),
                        (54_000.0, 3.0), (54_999.0, 60.0), (56_000.0, 3.0), (60_000.0, 3.0)])
    sd = detect_sd(t, trapezoid(t, SD_CORNERS), k_o=k_o)
    np.testing.assert_allclose(sd.peak_k_o, [45.0], atol=1e-12)
    assert sd.summary()["peak_k_o_max_mM"] == pytest.approx(45.0, abs=1e-12)


def test_run_ending_depolarised_has_nan_end_and_is_not_recovered():
    # The same rise at 10.571… s, then no repolarisation before 60 s.
    t = sd_time()
    v = trapezoid(t, SD_CORNERS[:4] + [(60_000.0, 0.0)])
    sd = detect_sd(t, v)
    assert sd.count == 1
    assert sd.onset[0] == pytest.approx(SD_ONSET, abs=1e-8)
    assert math.isnan(sd.end[0]) and math.isnan(sd.duration[0])
    assert not sd.recovered
    s = sd.summary()
    assert s["recovered"] is False
    assert s["onset_first_s"] == pytest.approx(SD_ONSET / 1000.0, abs=1e-11)
    assert math.isnan(s["duration_mean_s"])


def test_recovered_event_then_terminal_one():
    # The trapezoid (30 285.7 ms), then a second rise at 50 s: +70 mV over 1 s,
    # crossing −30 at 50 000 + 40/70 · 1 000 ms, still up at 70 s (20 s observed).
    t = np.arange(0.0, 70_000.0, 3.0)
    v = trapezoid(t, SD_CORNERS[:5] + [(50_000.0, -70.0), (51_000.0, 0.0), (70_000.0, 0.0)])
    sd = detect_sd(t, v)
    assert sd.count == 2
    assert sd.onset[1] == pytest.approx(50_000.0 + 40.0 / 70.0 * 1_000.0, abs=1e-8)
    assert np.isfinite(sd.end[0]) and math.isnan(sd.end[1])
    assert not sd.recovered
    s = sd.summary()
    # Means and maxima over events with a known duration: only the first.
    assert s["duration_mean_s"] == pytest.approx((SD_END - SD_ONSET) / 1000.0, abs=1e-11)
    assert s["duration_max_s"] == pytest.approx((SD_END - SD_ONSET) / 1000.0, abs=1e-11)
    assert s["count"] == 2


def test_run_starting_depolarised_has_nan_onset():
    # Depolarised (0 mV) from t = 0, falling to −70 mV from 20 s to 22 s:
    # down-crossing at 20 000 + 30/70 · 2 000 ms; 20.857 s observed ≥ 5 s.
    t = sd_time()
    v = trapezoid(t, [(0.0, 0.0), (20_000.0, 0.0), (22_000.0, -70.0), (60_000.0, -70.0)])
    sd = detect_sd(t, v)
    assert sd.count == 1 and math.isnan(sd.onset[0])
    assert sd.end[0] == pytest.approx(20_000.0 + 30.0 / 70.0 * 2_000.0, abs=1e-8)
    assert sd.recovered  # it repolarised
    assert math.isnan(sd.summary()["onset_first_s"])


def test_action_potentials_above_threshold_are_not_sds():
    # 2 ms square spikes to +30 mV every 50 ms over the first 9 s (180 spikes,
    # each far shorter than 5 s), then the trapezoid SD: exactly one event.
    t = np.arange(0.0, 60_000.0, 0.5)
    v = trapezoid(t, SD_CORNERS)
    v[(t < 9_000.0) & (np.mod(t, 50.0) < 2.0)] = 30.0
    sd = detect_sd(t, v)
    assert sd.count == 1
    assert sd.onset[0] == pytest.approx(SD_ONSET, abs=1e-8)
    # With min_duration 0 every excursion counts: 180 spikes + the SD.
    assert detect_sd(t, v, min_duration=0.0).count == 181


def test_min_duration_is_inclusive():
    # Crossings at exactly 2 000 ms (halfway along (1 000, −50)→(3 000, −10)) and
    # 7 000 ms (halfway along (6 000, −10)→(8 000, −50)): 5 000 ms above −30 mV.
    t = [0.0, 1_000.0, 3_000.0, 6_000.0, 8_000.0, 10_000.0]
    v = [-70.0, -50.0, -10.0, -10.0, -50.0, -70.0]
    assert detect_sd(t, v, min_duration=5_000.0).count == 1
    assert detect_sd(t, v, min_duration=5_000.001).count == 0


def test_threshold_moves_the_crossings():
    # A plateau at −40 mV (ramps −70 → −40 over 1 s at 10 s and 40 s): below the
    # default −30 mV, an SD for threshold −55 mV, crossed halfway up each ramp.
    t = sd_time()
    v = trapezoid(t, [(0.0, -70.0), (10_000.0, -70.0), (11_000.0, -40.0), (40_000.0, -40.0),
                      (41_000.0, -70.0), (60_000.0, -70.0)])
    assert detect_sd(t, v).count == 0
    sd = detect_sd(t, v, threshold=-55.0)
    np.testing.assert_allclose(sd.onset, [10_500.0], atol=1e-8)
    np.testing.assert_allclose(sd.end, [40_500.0], atol=1e-8)


def test_no_sd_summary_is_recovered_with_nans():
    t = sd_time()
    sd = detect_sd(t, np.full(t.size, -70.0))
    assert isinstance(sd, SpreadingDepolarisations)
    assert sd.count == 0 and sd.recovered  # no event left unrecovered
    s = sd.summary()
    assert s["count"] == 0 and s["recovered"] is True
    assert all(math.isnan(s[k]) for k in ("onset_first_s", "duration_mean_s", "peak_k_o_max_mM"))


def test_non_monotonic_time_raises_spec_error_naming_the_sample():
    with pytest.raises(SpecError, match=r"time\[2\] = 1\.0 .*> time\[1\] = 2\.0") as err:
        detect_sd([0.0, 2.0, 1.0, 3.0], [-70.0] * 4)
    assert err.value.field == "time[2]" and err.value.value == 1.0
    with pytest.raises(SpecError, match=r"time\[1\] = 0\.0 .*strictly increasing"):
        detect_sd([0.0, 0.0, 1.0], [-70.0] * 3)  # a repeated sample


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"v": [-70.0] * 3}, "len(v)", 3),
        ({"k_o": [3.0] * 5}, "len(k_o)", 5),
        ({"min_duration": -1.0}, "min_duration", -1.0),
        ({"threshold": float("nan")}, "threshold", None),
        ({"v": [-70.0, float("inf"), -70.0, -70.0]}, "v[1]", math.inf),
        ({"time": [0.0]}, "len(time)", 1),
    ],
)
def test_bad_sd_inputs_raise_spec_error_naming_the_argument(kwargs, field, value):
    args = {"time": [0.0, 1.0, 2.0, 3.0], "v": [-70.0] * 4}
    args.update(kwargs)
    time, v = args.pop("time"), args.pop("v")
    if field == "len(time)":
        v = [-70.0]
    with pytest.raises(SpecError) as err:
        detect_sd(time, v, **args)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field} = ")
    if value is not None:
        assert err.value.value == value


def test_min_duration_zero_is_allowed():
    # ≥ 0 is allowed: one sample at −20 mV between −70 mV samples is an event of
    # 2·(10/50) ms: the chords cross −30 at 0.8 ms and 1.2 ms.
    sd = detect_sd([0.0, 1.0, 2.0], [-70.0, -20.0, -70.0], min_duration=0.0)
    np.testing.assert_allclose(sd.onset, [0.8], atol=1e-12)
    np.testing.assert_allclose(sd.end, [1.2], atol=1e-12)


# ---------------------------------------------------------------- volume_change


def test_volume_change_relative_to_first_sample():
    # 100 → 110 (+10 %), 95 (−5 %), 105 (+5 %).
    c = volume_change([100.0, 110.0, 95.0, 105.0])
    assert c == pytest.approx({"max": 0.10, "min": -0.05, "final": 0.05}, abs=1e-12)
    assert all(type(x) is float for x in c.values())
    # Constant volume: no change; a single sample compares with itself.
    assert volume_change([2160.0]) == {"max": 0.0, "min": 0.0, "final": 0.0}


@pytest.mark.parametrize(("volume", "field"),
                         [([100.0, 0.0], "volume[1]"), ([-1.0, 2.0], "volume[0]"),
                          ([], "len(volume)"), ([1.0, float("nan")], "volume[1]")])
def test_bad_volume_raises_spec_error(volume, field):
    with pytest.raises(SpecError) as err:
        volume_change(volume)
    assert err.value.field == field


# ------------------------------------------------------------- Dataset wrappers


def sd_dataset(spikes):
    """A single-cell result laid out as simulate's (results.build_dataset)."""
    t = sd_time()
    k_o = trapezoid(t, [(0.0, 3.0), (10_000.0, 3.0), (24_999.0, 45.0), (42_000.0, 3.0),
                        (60_000.0, 3.0)])
    return build_dataset(time=t, columns={"v": trapezoid(t, SD_CORNERS), "k_o": k_o},
                         spikes=np.asarray(spikes, dtype=np.float64), attrs={})


def test_wrappers_read_a_single_cell_result():
    ds = sd_dataset(burst_train())
    b = bursts_of(ds)
    assert b.count == 5 and b.period == pytest.approx(30_000.0, abs=1e-9)  # as built
    assert bursts_of(ds, t_start=1_000.0).count == 4  # the burst at 0–190 ms skipped
    sd = sd_of(ds)
    assert sd.onset[0] == pytest.approx(SD_ONSET, abs=1e-8)
    np.testing.assert_allclose(sd.peak_k_o, [45.0], atol=1e-12)  # k_o read from ds
    assert sd_of(ds, k_o=None).peak_k_o is None
    assert sd_of(ds, threshold=5.0).count == 0  # the plateau is at 0 mV


def test_wrappers_pick_one_cell_of_a_population():
    # Two cells: cell 0 has the SD, cell 1 stays at rest; spikes of cell 1 are
    # the 5-burst train, cell 0 fires one burst of 3 spikes (1 ms apart).
    t = sd_time()
    v = np.stack([trapezoid(t, SD_CORNERS), np.full(t.size, -70.0)])
    spikes = np.concatenate([[100.0, 101.0, 102.0], burst_train()])
    cells = np.concatenate([[0, 0, 0], np.ones(100, dtype=int)])
    order = np.argsort(spikes, kind="stable")
    ds = xr.Dataset({"v": (("cell", "time"), v), "spike_time": ("spike", spikes[order]),
                     "spike_cell": ("spike", cells[order])},
                    coords={"time": t, "cell": np.arange(2)})
    assert sd_of(ds, cell=0).count == 1
    assert sd_of(ds, cell=1).count == 0
    assert bursts_of(ds, cell=1).count == 5
    b0 = bursts_of(ds, cell=0)
    assert b0.count == 1 and b0.n_spikes[0] == 3 and b0.duration[0] == pytest.approx(2.0)
    with pytest.raises(SpecError, match=r"^cell = None .*0\.\.1"):
        sd_of(ds)
    with pytest.raises(SpecError, match=r"^cell = 2 "):
        bursts_of(ds, cell=2)


def test_wrappers_name_a_missing_variable():
    ds = sd_dataset([]).drop_vars("v")
    with pytest.raises(SpecError, match=r"^ds = \"no variable 'v'\".*record"):
        sd_of(ds)
    with pytest.raises(SpecError, match=r"^cell = 0 .*single-cell"):
        sd_of(sd_dataset([]), cell=0)
