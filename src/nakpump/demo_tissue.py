"""The tissue story: the pump with glia, a bath and a small extracellular space.

1. Normal bath: the Cressman et al. (2009) neuron rests, its extracellular K+
   held near 4 mM by pump, glia and diffusion to the bath.
2. Raised bath K+ (8 mM): periodic seizure-like bursting, with [K]o and
   [Na]i oscillating on a tens-of-seconds cycle (the published equations,
   reproduced; nakpump's conserving form is run beside them).
3. Pump interruption in the Hübel & Dahlem (2014) cell with its glial buffer:
   a short interruption is survived, a longer one triggers spreading
   depolarisation (SD); the threshold duration is found by bisection, and the
   cell recovers once the pump is back while the buffer holds the K+.
4. Hypoxia in the Wei et al. (2014) cell, whose pumps burn O2 and whose volume
   follows the osmotic gradient: without O2 the pumps fail, the cell
   depolarises into SD and swells.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xarray as xr

from nakpump.analysis.tissue import detect_bursts, detect_sd
from nakpump.model.presets import preset
from nakpump.protocols import BathChange, OxygenChange, PumpBlock
from nakpump.results import conservation
from nakpump.simulate import simulate

HIGH_K = 8.0  # mM, bath K+ for bursting (Cressman 2009)
BURST_RUN = 150_000.0  # ms
PUMP_OFF = 20_000.0  # ms, when the HD pump stops (the XPP file's protocol)
SD_RUN = 200_000.0  # ms
SHORT, LONG = 5.0, 9.5  # s of pump interruption (9.5 s is the XPP file's default)
SD_THRESHOLD, SD_MIN = -30.0, 5_000.0  # mV, ms: V above −30 mV for ≥ 5 s is an SD
HYPOXIA_START, HYPOXIA_RUN = 20_000.0, 150_000.0  # ms


@dataclass
class TissueDemoResult:
    numbers: dict[str, Any]
    bursting: xr.Dataset
    bursting_conserving: xr.Dataset
    short: xr.Dataset
    long: xr.Dataset
    hypoxia: xr.Dataset


def _interruption(cell, seconds: float, record=("v", "k_o", "na_i", "k_buffer")) -> xr.Dataset:
    return simulate(cell, SD_RUN, [PumpBlock(start=PUMP_OFF, stop=PUMP_OFF + seconds * 1000)],
                    method="adaptive", record=list(record), record_interval=10.0)


def _complete_bursts(ds: xr.Dataset, t_start: float, gap: float = 1000.0):
    """Bursts after t_start (ms), without one the end of the run may have cut short."""
    spikes = ds.spike_time.values
    bursts = detect_bursts(spikes, gap=gap, t_start=t_start)
    if bursts.count and float(ds.time[-1]) - bursts.end[-1] < gap:
        bursts = detect_bursts(spikes[spikes < bursts.start[-1]], gap=gap, t_start=t_start)
    return bursts


def _has_sd(ds: xr.Dataset) -> bool:
    return detect_sd(ds.time.values, ds.v.values, threshold=SD_THRESHOLD,
                     min_duration=SD_MIN).count > 0


def run_tissue_demo(say: Callable[[str], None] = print) -> TissueDemoResult:
    """Run the three experiments, narrate them through `say`, and return the numbers."""
    wall = _time.perf_counter()
    numbers: dict[str, Any] = {}

    # 1–2. Cressman 2009: rest in the normal bath, then raised bath K+.
    cressman = preset("cressman-2009", published=True)
    bursting = simulate(cressman, BURST_RUN, [BathChange(k_o=HIGH_K, start=10_000.0)],
                        method="adaptive", record=["v", "k_o", "na_i", "k_glia", "bath_k"],
                        record_interval=2.0)
    rest = bursting.sel(time=9_000.0)
    numbers["rest"] = {"preset": cressman.name, "v_mV": float(rest.v),
                       "k_o_mM": float(rest.k_o), "na_i_mM": float(rest.na_i)}
    say(f"1. Normal bath (4 mM K+): the Cressman et al. (2009) neuron rests at "
        f"{float(rest.v):.2f} mV with [K+]o {float(rest.k_o):.3f} mM and [Na+]i "
        f"{float(rest.na_i):.2f} mM: pump, glial uptake and diffusion to the bath balance "
        f"the leaks.")
    settled = 40_000.0  # ms: skip the first burst after the bath change
    bursts = _complete_bursts(bursting, settled)
    late = bursting.sel(time=slice(settled, None))
    numbers["bursting"] = {
        "bath_k_mM": HIGH_K, **{k: v for k, v in bursts.summary().items()
                                if k in ("count", "period_s", "duration_mean_s",
                                         "spikes_per_burst_mean")},
        "k_o_range_mM": [float(late.k_o.min()), float(late.k_o.max())],
        "na_i_range_mM": [float(late.na_i.min()), float(late.na_i.max())],
    }
    b = numbers["bursting"]
    say(f"2. Bath K+ raised to {HIGH_K:g} mM at 10 s: seizure-like bursts every "
        f"{b['period_s']:.2f} s, each {b['duration_mean_s']:.2f} s long with "
        f"{b['spikes_per_burst_mean']:.0f} spikes (published: 34.69 s, 6.51 s, 215).\n"
        f"   [K+]o swings {b['k_o_range_mM'][0]:.2f}–{b['k_o_range_mM'][1]:.2f} mM and [Na+]i "
        f"{b['na_i_range_mM'][0]:.2f}–{b['na_i_range_mM'][1]:.2f} mM: firing loads the cell "
        f"with Na+ until the pump wins and the burst ends.")
    conserving = simulate(preset("cressman-2009"), BURST_RUN,
                          [BathChange(k_o=HIGH_K, start=10_000.0)], method="adaptive",
                          record=["v", "k_o", "na_i"], record_interval=2.0)
    cb = _complete_bursts(conserving, settled).summary()
    cons = conservation(conserving)
    numbers["bursting_conserving"] = {
        "period_s": cb["period_s"], "duration_mean_s": cb["duration_mean_s"],
        "spikes_per_burst_mean": cb["spikes_per_burst_mean"],
        "conservation_max": max(cons["na"], cons["k"], cons["cl"])}
    say(f"   The published equations leave the pump current out of dV/dt, set [K+]i by "
        f"electroneutrality and hold Cl− fixed. nakpump's conserving form of the same cell\n"
        f"   (every ion and the charge kept, largest ion error "
        f"{numbers['bursting_conserving']['conservation_max']:.1e}) bursts too, but the "
        f"pump's own outward current ends each burst early: every "
        f"{cb['period_s']:.1f} s, {cb['spikes_per_burst_mean']:.0f} spikes.")

    # 3. Hübel & Dahlem 2014 with the glial buffer: pump interruption.
    hd = preset("huebel-dahlem-2014")
    short, long = _interruption(hd, SHORT), _interruption(hd, LONG)
    lo, hi = SHORT, LONG  # bisect the threshold duration to 0.05 s
    while hi - lo > 0.05:
        mid = 0.5 * (lo + hi)
        if _has_sd(_interruption(hd, mid, record=("v",))):
            hi = mid
        else:
            lo = mid
    sd = detect_sd(long.time.values, long.v.values, threshold=SD_THRESHOLD,
                   min_duration=SD_MIN, k_o=long.k_o.values)
    cons = conservation(long)
    numbers["sd"] = {
        "preset": hd.name, "short_s": SHORT, "long_s": LONG,
        "sd_after_short": _has_sd(short), "sd_after_long": sd.count > 0,
        "threshold_s": [lo, hi], "sd_onset_s": float(sd.onset[0]) / 1000,
        "sd_duration_s": float(sd.duration[0]) / 1000, "peak_k_o_mM": float(sd.peak_k_o[0]),
        "recovered": bool(sd.recovered), "v_end_mV": float(long.v[-1]),
        "k_buffer_end_mM": float(long.k_buffer[-1]),
        "conservation_max": max(cons["na"], cons["k"], cons["cl"]),
    }
    s = numbers["sd"]
    say(f"3. Pump interruption (Hübel & Dahlem 2014, glial buffer): stopping the pump for "
        f"{SHORT:g} s is survived; stopping it for {LONG:g} s is not.\n"
        f"   The threshold lies between {lo:.2f} and {hi:.2f} s. After {LONG:g} s the cell "
        f"enters spreading depolarisation at {s['sd_onset_s']:.1f} s ([K+]o peaks at "
        f"{s['peak_k_o_mM']:.0f} mM) and stays depolarised for {s['sd_duration_s']:.0f} s;\n"
        f"   with the pump back it {'recovers' if s['recovered'] else 'does not recover'} "
        f"(V {s['v_end_mV']:.1f} mV at {SD_RUN / 1000:.0f} s), the buffer holding "
        f"{s['k_buffer_end_mM']:.0f} mM of K+ per extracellular volume. Every ion is "
        f"accounted for to {s['conservation_max']:.0e}.")

    # 4. Wei 2014: O2 withdrawn from the bath.
    wei = preset("wei-2014")
    hypoxia = simulate(wei, HYPOXIA_RUN, [OxygenChange(o2=0.0, start=HYPOXIA_START)],
                       method="adaptive", record=["v", "k_o", "vol_i", "o2", "i_pump"],
                       record_interval=10.0)
    sd = detect_sd(hypoxia.time.values, hypoxia.v.values, threshold=SD_THRESHOLD,
                   min_duration=SD_MIN, k_o=hypoxia.k_o.values)
    cons = conservation(hypoxia)
    numbers["hypoxia"] = {
        "preset": wei.name, "v_rest_mV": float(hypoxia.v.sel(time=HYPOXIA_START)),
        "sd": sd.count > 0, "sd_onset_after_o2_off_s": (float(sd.onset[0]) - HYPOXIA_START)
        / 1000 if sd.count else None, "peak_k_o_mM": float(hypoxia.k_o.max()),
        "volume_max": float(hypoxia.vol_i.max()), "v_end_mV": float(hypoxia.v[-1]),
        "conservation_max": max(cons["na"], cons["k"], cons["cl"]),
        "charge_error_mV": cons["charge_mV"],
    }
    h = numbers["hypoxia"]
    say(f"4. Hypoxia (Wei et al. 2014: pumps that burn O2, a cell volume that follows "
        f"osmosis): from rest at {h['v_rest_mV']:.1f} mV, O2 is withdrawn from the bath at "
        f"{HYPOXIA_START / 1000:.0f} s.\n   The pumps run down with the O2; the cell "
        + (f"enters SD {h['sd_onset_after_o2_off_s']:.0f} s later " if h["sd"] else
           "depolarises ")
        + f"([K+]o up to {h['peak_k_o_mM']:.0f} mM) and swells by "
        f"{100 * (h['volume_max'] - 1):.1f} % as water follows the ions in; amounts kept to "
        f"{h['conservation_max']:.0e}, charge to {h['charge_error_mV']:.0e} mV.")
    numbers["wall_time_s"] = _time.perf_counter() - wall
    return TissueDemoResult(numbers=numbers, bursting=bursting,
                            bursting_conserving=conserving, short=short, long=long,
                            hypoxia=hypoxia)


def tissue_figure(result: TissueDemoResult, path: str | Path | None = None):
    """Four panels: bursting V, its [K]o and [Na]i, and SD after pump interruption."""
    from matplotlib.figure import Figure

    from nakpump.plotting import save_figure

    n = result.numbers
    fig = Figure(figsize=(12, 11), layout="constrained")
    axes = fig.subplots(3, 2)
    bu = result.bursting
    tb = bu.time / 1000.0

    ax = axes[0, 0]
    ax.plot(tb, bu.v, color="k", lw=0.3, label="published equations")
    cb = result.bursting_conserving
    ax.plot(cb.time / 1000.0, cb.v - 150.0, color="tab:gray", lw=0.3,
            label="nakpump's conserving form (−150 mV offset)")
    ax.axvline(10.0, color="tab:red", ls=":", label=f"bath K+ 4 → {HIGH_K:g} mM")
    ax.set(xlabel="time (s)", ylabel="membrane potential (mV)",
           title=f"1–2. rest, then seizure-like bursting every {n['bursting']['period_s']:.1f} s "
                 "(Cressman 2009)")
    ax.legend(loc="lower left", fontsize=8)

    ax = axes[0, 1]
    ax.plot(tb, bu.k_o, color="tab:blue", label="[K+]o")
    ax.set(xlabel="time (s)", ylabel="[K+]o (mM)", title="2. the ion concentrations oscillate")
    ax2 = ax.twinx()
    ax2.plot(tb, bu.na_i, color="tab:orange", label="[Na+]i")
    ax2.set_ylabel("[Na+]i (mM)", color="tab:orange")
    ax.legend(loc="upper left", fontsize=8)
    ax2.legend(loc="upper right", fontsize=8)

    s = n["sd"]
    for ax, name in zip(axes[1], ("v", "k_o")):
        for ds, seconds, color in ((result.short, s["short_s"], "tab:green"),
                                   (result.long, s["long_s"], "tab:red")):
            ax.plot(ds.time / 1000.0, ds[name], color=color, lw=0.6,
                    label=f"pump off {seconds:g} s")
        ax.axvspan(PUMP_OFF / 1000, PUMP_OFF / 1000 + s["long_s"], color="tab:red", alpha=0.1)
        ax.set_xlabel("time (s)")
        ax.legend(loc="upper right", fontsize=8)
    axes[1, 0].set(ylabel="membrane potential (mV)",
                   title=f"3. pump interruption: SD above {s['threshold_s'][1]:.2f} s "
                         "(Hübel & Dahlem 2014)")
    axes[1, 1].set(ylabel="[K+]o (mM)",
                   title=f"3. K+ floods the extracellular space (peak {s['peak_k_o_mM']:.0f} mM)")
    hy = result.hypoxia
    th = hy.time / 1000.0
    for ax in axes[2]:
        ax.axvspan(HYPOXIA_START / 1000, HYPOXIA_RUN / 1000, color="tab:purple", alpha=0.08,
                   label="no O2 in the bath")
    ax = axes[2, 0]
    ax.plot(th, hy.v, color="k", lw=0.5)
    ax.set(xlabel="time (s)", ylabel="membrane potential (mV)",
           title="4. hypoxia: the pumps fail, SD (Wei 2014)")
    ax.legend(loc="upper left", fontsize=8)
    ax = axes[2, 1]
    ax.plot(th, 100 * (hy.vol_i - 1.0), color="tab:purple", label="cell volume change")
    ax.set(xlabel="time (s)", ylabel="cell volume change (%)",
           title=f"4. the cell swells by {100 * (n['hypoxia']['volume_max'] - 1):.1f} %")
    ax2 = ax.twinx()
    ax2.plot(th, hy.o2, color="tab:cyan", ls="--", label="O2")
    ax2.set_ylabel("extracellular O2 (mg/L)", color="tab:cyan")
    ax.legend(loc="center right", fontsize=8)
    fig.suptitle("nakpump: ionic balance at tissue scale — glia, bath, bursting, SD, swelling",
                 fontsize=14)
    if path is not None:
        save_figure(fig, path)
    return fig
