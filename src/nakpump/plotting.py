"""Standard figures for nakpump results (matplotlib, object-oriented API only).

Units: time in ms in the Dataset (shown in ms, s or min, see `time_axis`), potentials mV,
concentrations mM, currents µA/cm² (pump current outward positive, stimulus depolarising
positive), ATP pmol/cm².

>>> from nakpump.plotting import plot_result
>>> fig = plot_result(ds, "run.png")                       # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import matplotlib
import numpy as np

if not os.environ.get("MPLBACKEND") and "matplotlib.pyplot" not in sys.modules:
    matplotlib.use("Agg")  # headless default; never overrides a backend the user chose

from matplotlib.figure import Figure

from nakpump.storage import atomic_write

__all__ = ["plot_population", "plot_result", "save_figure", "time_axis"]

_ION = {"na": "Na$^+$", "k": "K$^+$", "cl": "Cl$^-$"}
_COLOUR = {"na": "tab:red", "k": "tab:blue", "cl": "tab:green"}


def time_axis(duration_ms: float) -> tuple[float, str]:
    """Divisor and unit label for a run of `duration_ms` (ms): time_ms / divisor is in that unit.

    ≤ 2 s → (1, "ms"); ≤ 2 min → (1000, "s"); longer → (60000, "min").
    """
    if duration_ms <= 2_000.0:
        return 1.0, "ms"
    if duration_ms <= 120_000.0:
        return 1_000.0, "s"
    return 60_000.0, "min"


def _events(ds, kind: str) -> list[dict]:
    """Protocol events of type `kind` from ds.attrs["protocol"] (a JSON list); [] if absent."""
    try:
        events = json.loads(ds.attrs.get("protocol") or "[]")
    except (TypeError, ValueError):
        return []
    return [e for e in events if isinstance(e, dict) and e.get("type") == kind]


def _spec(ds) -> dict:
    """The cell's spec from ds.attrs["spec"] (a JSON object); {} if absent."""
    try:
        spec = json.loads(ds.attrs.get("spec") or "{}")
    except (TypeError, ValueError):
        return {}
    return spec if isinstance(spec, dict) else {}


def _has(ds, name: str, varies: bool = False) -> bool:
    """Whether `name` is a recorded time series (and, if `varies`, not constant)."""
    ok = name in ds.data_vars and ds[name].dims == ("time",)
    return ok and (not varies or bool(np.ptp(ds[name].values) > 0))


def plot_result(ds, path: str | os.PathLike | None = None, *, title: str | None = None,
                spikes: bool = True, figsize: tuple[float, float] = (9.0, 9.0),
                dpi: float = 150.0) -> Figure:
    """The standard figure of a `nakpump.simulate` result, top to bottom on a shared time axis:

    (a) V (mV) with E_Na, E_K and E_Cl (mV) as dashed lines, spike ticks on top (`spikes`);
    (b) changes from the initial value Δ[Na+]i, Δ[K+]i, Δ[Cl−]i (mM; the initial values are in
        the legend), plus Δ[K+]o and Δ[Na+]o when they vary;
    (c) pump current (µA/cm², outward) and, on a twin axis, cumulative ATP used (pmol/cm²);
    (d) cell volume change (%) and extracellular O2 (mg/L) when they vary (tissue cells);
    (e) a thin panel of the injected current (µA/cm², depolarising positive) if it is non-zero.
    Pump blocks from ds.attrs["protocol"] are shaded grey on every panel. Panels whose variables
    were not recorded, or that the cell's spec (attrs["spec"]) rules out (concentrations
    "fixed"; pump None), are left out. If `path` is given the figure is saved there (format
    from the suffix, PNG if none; `dpi` dots per inch) atomically: written to a temporary file
    in the same directory, then renamed, so a failed save leaves no partial file.
    """
    div, unit = time_axis(float(ds.attrs.get("duration_ms", ds.time[-1])))
    t = ds.time.values / div
    panels = [p for p, ok in (
        ("v", _has(ds, "v")),
        ("conc", any(_has(ds, f"{i}_i") for i in _ION)
         and _spec(ds).get("concentrations") != "fixed"),
        ("pump", (_has(ds, "i_pump") or _has(ds, "atp_used"))
         and _spec(ds).get("pump", {}) is not None),
        ("tissue", _has(ds, "vol_i", varies=True) or _has(ds, "o2", varies=True)),
        ("stim", _has(ds, "i_inj") and bool(np.any(ds.i_inj.values != 0))),
    ) if ok]
    if not panels:
        raise ValueError("nothing to plot: none of v, na_i/k_i/cl_i, i_pump, atp_used, i_inj")
    ratios = {"v": 3.0, "conc": 2.0, "pump": 2.0, "tissue": 1.5, "stim": 0.7}
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    axs = fig.subplots(len(panels), 1, sharex=True, squeeze=False,
                       gridspec_kw={"height_ratios": [ratios[p] for p in panels]})[:, 0]
    ax_of = dict(zip(panels, axs))
    legend = {"fontsize": "small", "loc": "upper left", "bbox_to_anchor": (1.01, 1.0),
              "borderaxespad": 0.0, "frameon": False}

    if "v" in ax_of:
        ax = ax_of["v"]
        ax.plot(t, ds.v.values, color="black", lw=0.8, label="V")
        for ion, style in (("na", "--"), ("k", "--"), ("cl", ":")):
            if _has(ds, f"e_{ion}"):
                ax.plot(t, ds[f"e_{ion}"].values, style, color=_COLOUR[ion], lw=1.2,
                        label=f"E$_{{\\mathrm{{{ion.capitalize()}}}}}$")
        if spikes and "spike_time" in ds and ds.spike_time.size:
            lo, hi = ax.get_ylim()  # raise the top so the raster sits above every trace
            ax.set_ylim(lo, hi + 0.12 * (hi - lo))
            ax.vlines(ds.spike_time.values / div, 0.93, 0.99, transform=ax.get_xaxis_transform(),
                      color="black", lw=0.5, label=f"spikes (n = {ds.spike_time.size})")
        ax.set_ylabel("membrane potential (mV)")
        ax.legend(**legend)

    if "conc" in ax_of:
        ax = ax_of["conc"]
        for name, style in (("na_i", "-"), ("k_i", "-"), ("cl_i", "-"), ("k_o", ":"),
                            ("na_o", ":")):
            if not _has(ds, name, varies=name.endswith("_o")):  # skip a fixed bath
                continue
            x = ds[name].values
            ion, side = name.split("_")
            ax.plot(t, x - x[0], style, color=_COLOUR[ion], lw=1.2,
                    label=f"[{_ION[ion]}]$_\\mathrm{{{side}}}$ (from {x[0]:.3g} mM)")
        ax.axhline(0.0, color="grey", lw=0.5)
        ax.set_ylabel("Δ concentration (mM)")
        ax.legend(**legend)

    if "pump" in ax_of:
        ax = ax_of["pump"]
        if _has(ds, "i_pump"):
            ax.plot(t, ds.i_pump.values, color="tab:purple", lw=1.0)
            ax.set_ylabel("pump current\n(µA/cm², outward)", color="tab:purple")
            ax.tick_params(axis="y", colors="tab:purple")
        if _has(ds, "atp_used"):
            ax2 = ax.twinx() if _has(ds, "i_pump") else ax
            ax2.plot(t, ds.atp_used.values, color="tab:orange", lw=1.5)
            ax2.set_ylabel("ATP used,\ncumulative (pmol/cm²)", color="tab:orange")
            ax2.tick_params(axis="y", colors="tab:orange")

    if "tissue" in ax_of:
        ax = ax_of["tissue"]
        if _has(ds, "vol_i", varies=True):
            ax.plot(t, 100.0 * (ds.vol_i.values - 1.0), color="tab:brown", lw=1.2)
            ax.set_ylabel("cell volume\nchange (%)", color="tab:brown")
            ax.tick_params(axis="y", colors="tab:brown")
        if _has(ds, "o2", varies=True):
            ax2 = ax.twinx() if _has(ds, "vol_i", varies=True) else ax
            ax2.plot(t, ds.o2.values, color="tab:cyan", lw=1.2, ls="--")
            ax2.set_ylabel("O$_2$ (mg/L)", color="tab:cyan")
            ax2.tick_params(axis="y", colors="tab:cyan")

    if "stim" in ax_of:
        ax = ax_of["stim"]
        ax.plot(t, ds.i_inj.values, color="tab:gray", lw=1.0, drawstyle="steps-post")
        ax.set_ylabel("I$_{\\mathrm{inj}}$\n(µA/cm²)")

    t_end = t[-1]
    for ev in _events(ds, "PumpBlock"):
        start = float(ev.get("start") or 0.0) / div
        stop = t_end if ev.get("stop") is None else float(ev["stop"]) / div
        frac = ev.get("fraction", 1.0)
        for ax in axs:
            ax.axvspan(start, stop, color="0.9", zorder=0, lw=0)
        axs[0].text((start + stop) / 2, 1.01, f"pump block {100 * frac:.0f}%",
                    transform=axs[0].get_xaxis_transform(), ha="center", va="bottom",
                    fontsize="small", color="0.35")
    axs[-1].set_xlabel(f"time ({unit})")
    axs[-1].set_xlim(t[0], t_end)
    for ax in axs:
        ax.grid(True, lw=0.3, alpha=0.5)
    default = ds.attrs.get("preset") or ds.attrs.get("title") or "nakpump"
    fig.suptitle(title if title is not None else f"{default}", fontsize="medium")

    if path is not None:
        save_figure(fig, path, dpi)
    return fig


def plot_population(ds, path: str | os.PathLike | None = None, *, title: str | None = None,
                    max_raster: int = 200, figsize: tuple[float, float] = (9.0, 8.0),
                    dpi: float = 150.0) -> Figure:
    """The standard figure of a `nakpump.simulate_population` result:

    (a) spike raster of up to max_raster cells (evenly chosen), time in ms/s/min;
    (b) firing rate (Hz) and (c) final [Na+]i (mM) of every cell against the most finely
        varied per-cell parameter (or the cell index), coloured by a swept one (≤ 8 values).
    """
    n = ds.sizes["cell"]
    duration = float(ds.attrs.get("duration_ms", 1.0))
    div, unit = time_axis(duration)
    varied = json.loads(ds.attrs.get("per_cell_parameters") or "[]")
    distinct = {name: np.unique(ds[name].values).size for name in varied}
    groups = None  # a parameter with few values (a sweep) colours the points
    if varied:
        name = max(varied, key=distinct.get)  # the most finely varied one is the x axis
        x, xlabel = ds[name].values, name
        units = ds[name].attrs.get("units", "")
        xlabel += f" ({units})" if units and units != "1" else ""
        few = [k for k in varied if k != name and distinct[k] <= 8]
        if few:
            groups = few[0]
    else:
        x, xlabel = np.arange(n), "cell"

    def scatter(ax, values, **kw):
        if groups is None:
            ax.plot(x, values, ".", ms=3, **kw)
            return
        for g in np.unique(ds[groups].values):
            sel = ds[groups].values == g
            ax.plot(x[sel], values[sel], ".", ms=3, label=f"{groups} = {g:g}")
        ax.legend(fontsize="small", markerscale=3)

    fig = Figure(figsize=figsize, layout="constrained")
    axs = fig.subplots(3, 1, gridspec_kw={"height_ratios": [2.0, 1.0, 1.0]})
    shown = np.unique(np.linspace(0, n - 1, min(n, max_raster)).round().astype(int))
    row = np.full(n, -1)
    row[shown] = np.arange(shown.size)
    cells = ds.spike_cell.values
    keep = row[cells] >= 0
    axs[0].scatter(ds.spike_time.values[keep] / div, row[cells[keep]], s=2, c="k", lw=0)
    axs[0].set_xlim(0, duration / div)
    axs[0].set_xlabel(f"time ({unit})")
    axs[0].set_ylabel(f"cell ({shown.size} of {n})")
    scatter(axs[1], ds.firing_rate.values)
    axs[1].set_ylabel("firing rate (Hz)")
    scatter(axs[2], ds.na_i_end.values)
    axs[2].set_ylabel(f"final [{_ION['na']}]$_i$ (mM)")
    for ax in axs[1:]:
        ax.set_xlabel(xlabel)
    for ax in axs:
        ax.grid(True, lw=0.3, alpha=0.5)
    default = ds.attrs.get("title") or "nakpump population"
    fig.suptitle(title if title is not None else default, fontsize="medium")
    if path is not None:
        save_figure(fig, path, dpi)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike, dpi: float = 150.0, *,
                overwrite: bool = True) -> Path:
    """Save a figure atomically (an existing file is replaced unless overwrite is off);
    the format follows the suffix (PNG if none)."""
    out = Path(path)
    fmt = out.suffix.lstrip(".").lower() or "png"
    return atomic_write(out, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi),
                        overwrite=overwrite)


def plot_axon(ds, path: str | os.PathLike | None = None, *, title: str | None = None,
              figsize: tuple[float, float] = (9.0, 7.0), dpi: float = 150.0) -> Figure:
    """The figure of an axon result (`nakpump.axon.simulate_axon`): V along the axon against
    time (space–time plot, colour = mV), V at the two ends and the middle over time, and
    each compartment's spike times (impulses as lines whose slope is the velocity)."""
    div, unit = time_axis(float(ds.attrs.get("duration_ms", ds.time[-1])))
    t = ds.time.values / div
    x_mm = ds.x.values / 1000.0
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    mesh = top.pcolormesh(t, x_mm, ds.v.values, shading="auto", cmap="magma",
                          rasterized=True)
    fig.colorbar(mesh, ax=top, label="membrane potential (mV)")
    if ds.spike_time.size:
        top.plot(ds.spike_time.values / div, ds.spike_x.values / 1000.0, ".", ms=1.0,
                 color="cyan", label="threshold crossings")
        top.legend(loc="lower right", fontsize="small")
    top.set(ylabel="distance from the stimulated end (mm)")
    for k, colour in ((0, "tab:blue"), (x_mm.size // 2, "tab:green"), (-1, "tab:red")):
        bottom.plot(t, ds.v.values[k], color=colour, lw=0.8,
                    label=f"x = {x_mm[k]:.3g} mm")
    bottom.set(xlabel=f"time ({unit})", ylabel="membrane potential (mV)")
    bottom.legend(loc="upper right", fontsize="small")
    fig.suptitle(title if title is not None else ds.attrs.get("preset", "axon"),
                 fontsize="medium")
    if path is not None:
        save_figure(fig, path, dpi)
    return fig
