"""Tests of nakpump.plotting: time-axis choice, the standard figure's content, atomic saving."""

import json

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.figure import Figure

import nakpump as nk
from nakpump.plotting import plot_result, time_axis

E_NA_LABEL = "E$_{\\mathrm{Na}}$"  # the legend label plot_result gives the E_Na line


@pytest.fixture(scope="module")
def short_run(cortical):
    """200 ms of the cortical cell, 6 µA/cm² from 50 to 150 ms, pumps blocked from 120 ms."""
    return nk.simulate(cortical, 200.0, [nk.Stimulus(amplitude=6.0, start=50.0, stop=150.0),
                                          nk.PumpBlock(start=120.0)])


def _line(ax, label):
    (line,) = [ln for ln in ax.lines if ln.get_label() == label]
    return line


@pytest.mark.parametrize("duration, expected", [
    (200.0, (1.0, "ms")),
    (1_500.0, (1.0, "ms")),
    (2_000.0, (1.0, "ms")),        # the ≤ 2 s boundary is still ms
    (2_500.0, (1_000.0, "s")),
    (60_000.0, (1_000.0, "s")),
    (120_000.0, (1_000.0, "s")),   # the ≤ 2 min boundary is still s
    (600_000.0, (60_000.0, "min")),
])
def test_time_axis(duration, expected):
    # expected: the rule in the brief (≤ 2 s → ms, ≤ 2 min → s, else min);
    # 1 s = 1000 ms, 1 min = 60 000 ms
    div, unit = time_axis(duration)
    assert unit == expected[1]
    assert div == pytest.approx(expected[0], rel=1e-12)


def test_plot_result_content(short_run):
    ds = short_run
    fig = plot_result(ds)
    assert isinstance(fig, Figure)
    # 4 panels (V, Δconc, pump, stimulus, since i_inj is 6 µA/cm² for 100 ms) + the ATP twin axis
    assert len(fig.axes) == 5
    ax_v = fig.axes[0]
    v_line = ax_v.lines[0]
    # y-data: the Dataset's own v (mV); x-data: time (ms) / 1, since 200 ms ≤ 2 s is shown in ms
    assert np.allclose(v_line.get_ydata(), ds.v.values, rtol=0, atol=1e-12)
    assert np.allclose(v_line.get_xdata(), ds.time.values / 1.0, rtol=0, atol=1e-12)
    assert ax_v.get_ylabel().endswith("(mV)")
    assert fig.axes[3].get_xlabel() == "time (ms)"
    # the E_Na line is ds.e_na (mV): it starts at the Nernst potential for 145/12 mM at 37 °C,
    # 26.73 mV × ln(145/12) = 66.60 mV, and moves < 0.5 mV as 9 spikes add ~0.1 mM Na+ (+0.2 mV)
    e_na = _line(ax_v, E_NA_LABEL).get_ydata()
    assert np.allclose(e_na, ds.e_na.values, rtol=0, atol=1e-12)
    assert e_na[0] == pytest.approx(66.60, abs=0.05)
    assert np.ptp(e_na) < 0.5
    # the stimulus panel holds i_inj: 6 µA/cm² (from the protocol above) at its maximum
    assert np.max(fig.axes[3].lines[0].get_ydata()) == pytest.approx(6.0, abs=1e-9)


def test_pump_block_shading(short_run):
    # PumpBlock(start=120) with stop=None in the protocol → shaded from 120 ms to the end, 200 ms
    assert json.loads(short_run.attrs["protocol"])[1]["stop"] is None
    fig = plot_result(short_run)
    ax = fig.axes[0]
    (span,) = ax.patches
    xs = span.get_patch_transform().transform(span.get_path().vertices)[:, 0]
    assert xs.min() == pytest.approx(120.0, abs=1e-9)
    assert xs.max() == pytest.approx(200.0, abs=1e-9)


def test_seconds_axis_and_missing_variables(cortical):
    # 2.5 s > 2 s → seconds, divisor 1000; only v, na_i, k_i recorded → two panels, no twin axis
    ds = nk.simulate(cortical, 2_500.0, record=["v", "na_i", "k_i"], record_interval=1.0)
    fig = plot_result(ds, title="subset")
    assert len(fig.axes) == 2
    assert np.allclose(fig.axes[0].lines[0].get_xdata(), ds.time.values / 1000.0, atol=1e-12)
    assert fig.axes[-1].get_xlabel() == "time (s)"
    # the Δ panel plots changes from the initial value: its first point is 0 mM
    assert fig.axes[1].lines[0].get_ydata()[0] == pytest.approx(0.0, abs=1e-12)


def test_fixed_concentrations_drop_panels(hh):
    # hh-1952 has fixed concentrations and no pump (its spec): only the V panel remains
    fig = plot_result(nk.simulate(hh, 20.0))
    assert len(fig.axes) == 1


def test_save_png_size(short_run, tmp_path):
    path = tmp_path / "fig.png"
    fig = plot_result(short_run, path)
    # PNG signature from the PNG specification (ISO/IEC 15948, section 5.2)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width = mpimg.imread(path).shape[:2]
    w_in, h_in = fig.get_size_inches()
    # pixels = figsize (in) × 150 dpi, the default of plot_result; ±1 px for rounding
    assert width == pytest.approx(w_in * 150, abs=1)
    assert height == pytest.approx(h_in * 150, abs=1)
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]  # no temporary left behind


def test_save_failures_leave_no_file(short_run, tmp_path):
    missing = tmp_path / "no_such_dir" / "fig.png"
    with pytest.raises(nk.SpecError, match="does not exist"):  # one line naming the path
        plot_result(short_run, missing)
    assert not missing.exists()
    # an unknown format fails inside savefig, after the temporary file was made: it is removed
    with pytest.raises(ValueError):
        plot_result(short_run, tmp_path / "fig.notaformat")
    assert list(tmp_path.iterdir()) == []
