"""The axon story: impulses travel, cost ATP, load thin axons with Na+, and stop when the
pump stops.

1. An impulse runs along the squid giant axon (Hodgkin & Huxley 1952) at ~18.7 m/s; the
   Na+ it lets in per cm² and the ATP the pump needs per µm.
2. A thin cortical axon with its soma: a 100 Hz train raises [Na+]i in the axon many times
   more than in the soma (surface-to-volume), and the pump clears it.
3. Pump block under 50 Hz firing: conduction fails; the pump back soon enough restores it.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from nakpump.axon import conduction, conduction_velocity, impulse_fluxes, simulate_axon
from nakpump.model.axon import axon_preset
from nakpump.protocols import PulseTrain, PumpBlock, Stimulus


@dataclass
class AxonDemoResult:
    numbers: dict[str, Any]
    squid: xr.Dataset
    train: xr.Dataset
    block: xr.Dataset


def _nA(axon, current_na: float, area_um2: float | None = None) -> float:
    """Stimulus density (µA/cm²) that puts current_na nA into the first compartment."""
    area = area_um2 if area_um2 is not None else np.pi * axon.diameter * axon.dx
    return current_na * 1e-3 / (area * 1e-8)


def run_axon_demo(say: Callable[[str], None] = print) -> AxonDemoResult:
    """Run the three experiments, narrate them through `say`, and return the numbers."""
    wall = _time.perf_counter()
    numbers: dict[str, Any] = {}

    squid = axon_preset("hh-axon", length=40_000.0)
    ds = simulate_axon(squid, 4.0, [Stimulus(amplitude=_nA(squid, 20_000.0), start=0.1, stop=0.2)],
                       record=["v", "q_na", "q_k"], record_interval=0.01)
    velocity = conduction_velocity(ds, 25_000.0, 30_000.0)
    fluxes = impulse_fluxes(ds, 20_000.0, 0.0, 4.0)
    numbers["squid"] = {"velocity_m_s": velocity, **{f"{k}": v for k, v in fluxes.items()}}
    say(f"1. An impulse runs along the squid giant axon (476 µm, 18.5 °C) at {velocity:.2f} m/s "
        f"(Hodgkin & Huxley computed 18.8). At each point it lets in {fluxes['na_entry']:.2f} "
        f"pmol/cm² of Na+ and lets out {fluxes['k_exit']:.2f} of K+;\n   the pump spends "
        f"{fluxes['atp_per_um']:.3g} ATP per µm of axon to put the Na+ back.")

    neuron = axon_preset("cortical-soma-axon", segment_length=20.0)
    train = simulate_axon(neuron, 20_000.0, [PulseTrain(
        amplitude=_nA(neuron, 0.3, neuron.soma.area), frequency=100.0, width=2.0, start=1.0,
        n_pulses=100)], dt=0.05, record=["v", "na_i", "i_pump"], record_interval=10.0)
    rise = (train.na_i.max("time") - train.na_i.isel(time=0)).values
    mid = train.x.values.size // 2
    started, arrived = conduction(train)
    numbers["train"] = {
        "impulses": int(started.size), "arrived": int(arrived.sum()),
        "velocity_m_s": conduction_velocity(train, 250.0, 750.0),
        "na_i_rise_soma_mM": float(rise[0]), "na_i_rise_axon_mM": float(rise[mid]),
        "na_i_axon_after_20_s_mM": float(train.na_i.isel(x=mid, time=-1)),
    }
    t = numbers["train"]
    say(f"2. A thin cortical axon (0.5 µm, 37 °C) with its soma: 100 impulses at 100 Hz travel "
        f"at {t['velocity_m_s']:.2f} m/s and all {t['arrived']} arrive.\n   [Na+]i rises by "
        f"{t['na_i_rise_axon_mM']:.1f} mM in the axon but {t['na_i_rise_soma_mM']:.2f} mM in "
        f"the soma (19× the membrane per volume); 19 s later the pump has it at "
        f"{t['na_i_axon_after_20_s_mM']:.1f} mM.")

    thin = axon_preset("cortical-axon", segment_length=20.0)
    drive = _nA(thin, 0.3)
    first = simulate_axon(thin, 16_000.0, [
        PulseTrain(amplitude=drive, frequency=50.0, width=1.0, start=1.0, stop=16_000.0),
        PumpBlock(start=1_000.0)], dt=0.05, record=["v"], record_interval=100.0)
    started, arrived = conduction(first)
    t_fail = float(started[np.argmin(arrived)])
    block = simulate_axon(thin, 30_500.0, [
        PulseTrain(amplitude=drive, frequency=50.0, width=1.0, start=1.0, stop=t_fail + 10.0),
        PumpBlock(start=1_000.0, stop=t_fail + 10.0),
        PulseTrain(amplitude=drive, frequency=50.0, width=1.0, start=30_000.0, n_pulses=20)],
        dt=0.05, record=["v", "na_i", "k_i"], record_interval=20.0)
    started, arrived = conduction(block)
    late = started >= 30_000.0
    at_fail = block.sel(time=t_fail, method="nearest").isel(x=thin.n_segments // 2)
    numbers["block"] = {
        "block_start_s": 1.0, "failure_s": t_fail / 1000,
        "na_i_at_failure_mM": float(at_fail.na_i), "k_i_at_failure_mM": float(at_fail.k_i),
        "restored_s": (t_fail + 10.0) / 1000, "arrived_after_restore": int(arrived[late].sum()),
        "sent_after_restore": int(late.sum()),
    }
    b = numbers["block"]
    say(f"3. Ouabain on the thin axon, firing at 50 Hz: the pumps stop at 1 s and conduction "
        f"fails at {b['failure_s']:.1f} s, with [Na+]i {b['na_i_at_failure_mM']:.0f} mM and "
        f"[K+]i {b['k_i_at_failure_mM']:.0f} mM mid-axon.\n   Pumps back at once (firing "
        f"paused): {b['arrived_after_restore']} of {b['sent_after_restore']} impulses get "
        f"through again at 30 s. (Wait a few tens of ms longer and the axon stays depolarised "
        f"for good: the pump cannot pull it back.)")
    numbers["wall_time_s"] = _time.perf_counter() - wall
    return AxonDemoResult(numbers=numbers, squid=ds, train=train, block=block)


def axon_figure(result: AxonDemoResult, path: str | Path | None = None):
    """Four panels: the travelling impulse, Na+ along the axon, failure and rescue."""
    from matplotlib.figure import Figure

    from nakpump.plotting import save_figure

    n = result.numbers
    fig = Figure(figsize=(12, 8), layout="constrained")
    axes = fig.subplots(2, 2)
    sq = result.squid
    ax = axes[0, 0]
    mesh = ax.pcolormesh(sq.time.values, sq.x.values / 10_000.0, sq.v.values, shading="auto",
                         cmap="magma", rasterized=True)
    fig.colorbar(mesh, ax=ax, label="V (mV)")
    ax.set(xlabel="time (ms)", ylabel="distance (cm)",
           title=f"1. an impulse travels at {n['squid']['velocity_m_s']:.2f} m/s (HH 1952)")
    tr = result.train
    ax = axes[0, 1]
    mid = tr.x.values.size // 2
    ax.plot(tr.time / 1000, tr.na_i.isel(x=mid), color="tab:orange", label="axon, middle")
    ax.plot(tr.time / 1000, tr.na_i.isel(x=0), color="tab:blue", label="soma")
    ax.set(xlabel="time (s)", ylabel="[Na+]i (mM)",
           title="2. 100 impulses at 100 Hz load the thin axon with Na+")
    ax.legend(fontsize=8)
    bl = result.block
    b = n["block"]
    for ax in axes[1]:
        ax.axvspan(1.0, b["restored_s"], color="tab:red", alpha=0.1, label="pumps blocked")
    ax = axes[1, 0]
    ax.plot(bl.time / 1000, bl.v.isel(x=-1), color="k", lw=0.4, label="V, far end (20 ms)")
    started, arrived = conduction(bl)
    top = float(bl.v.isel(x=-1).max()) + 5.0
    ax.vlines(started[arrived] / 1000, top, top + 4, color="tab:green", lw=0.3,
              label="impulse arrived")
    ax.vlines(started[~arrived] / 1000, top + 5, top + 9, color="tab:red", lw=0.3,
              label="impulse failed")
    ax.axvline(b["failure_s"], color="tab:red", ls=":", label="conduction fails")
    ax.set(xlabel="time (s)", ylabel="V at the far end (mV)",
           title="3. ouabain: conduction fails, the pump restores it")
    ax.legend(fontsize=8, loc="lower right")
    ax = axes[1, 1]
    ax.plot(bl.time / 1000, bl.na_i.isel(x=bl.x.values.size // 2), color="tab:orange",
            label="[Na+]i")
    ax.plot(bl.time / 1000, bl.k_i.isel(x=bl.x.values.size // 2), color="tab:blue",
            label="[K+]i")
    ax.set(xlabel="time (s)", ylabel="mid-axon concentration (mM)",
           title="3. the gradients run down and come back")
    ax.legend(fontsize=8)
    fig.suptitle("nakpump: the pump keeps axons conducting", fontsize=14)
    if path is not None:
        save_figure(fig, path)
    return fig
