"""The pump story of a cortical neuron, told with numbers measured in one run.

1. At rest: the gradients, the pump's turnover, its 3:2 fluxes, ATP use, and
   the share of the resting potential its own current makes.
2. A train of action potentials: the Na+ and K+ each spike moves, its ATP cost,
   the Na+ load ratio, and how [Na]i and the pump current rise.
3. After the train: the pump clears the Na+ (time constant) and its extra
   current hyperpolarises the cell (the pump after-hyperpolarisation).
4. Ouabain: with the pump blocked the gradients run down, the cell depolarises
   and stops firing; with the pump back (and the drive paused while it
   rebuilds the gradients) it fires again.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from nakpump.analysis import firing_rate, pump_recovery, spike_cost
from nakpump.model.presets import preset
from nakpump.protocols import PulseTrain, PumpBlock, Stimulus
from nakpump.simulate import simulate
from nakpump.steady import resting_state
from nakpump.units import AVOGADRO

TRAIN = PulseTrain(amplitude=40.0, frequency=50.0, width=1.0, start=1_000.0, n_pulses=100)
TRAIN_END = 3_000.0  # ms, after the last pulse's spike
RECOVERY_RUN = 240_000.0  # ms
DRIVE = 3.0  # µA/cm², a constant drive just above rheobase
BLOCK_START, BLOCK_STOP, DRIVE_BACK, BLOCK_RUN = 10_000.0, 220_000.0, 600_000.0, 700_000.0


@dataclass
class DemoResult:
    numbers: dict[str, Any]
    train: xr.Dataset
    recovery: xr.Dataset
    block: xr.Dataset


def _per_cell(pmol_cm2: float, area_um2: float) -> float:
    """Molecules for the whole cell from an amount per membrane area (pmol/cm²)."""
    return pmol_cm2 * 1e-12 * AVOGADRO * area_um2 * 1e-8


def run_demo(say: Callable[[str], None] = print) -> DemoResult:
    """Run the three experiments, narrate them through `say`, and return the numbers."""
    wall = _time.perf_counter()
    cell = preset("cortical")
    rest = resting_state(cell)
    flux = rest.fluxes
    atp_cell = _per_cell(flux["atp_use"], cell.area)
    numbers: dict[str, Any] = {"preset": cell.name}
    numbers["rest"] = {
        "v_rest_mV": rest.v, "e_na_mV": rest.e_na, "e_k_mV": rest.e_k, "e_cl_mV": rest.e_cl,
        "na_i_mM": rest.na_i, "na_o_mM": rest.na_o, "k_i_mM": rest.k_i, "k_o_mM": rest.k_o,
        "cl_i_mM": rest.cl_i, "cl_o_mM": rest.cl_o,
        "pump_turnover_per_s_um2": rest.pump_rate, "pump_current_uA_cm2": rest.i_pump,
        "na_efflux_pmol_s_cm2": flux["na_efflux"], "k_influx_pmol_s_cm2": flux["k_influx"],
        "atp_pmol_s_cm2": flux["atp_use"], "atp_per_s_cell": atp_cell,
        "pump_share_of_v_rest_mV": rest.pump_potential, "e_pump_mV": rest.e_pump,
    }
    say(f"1. At rest the {cell.name} neuron sits at {rest.v:.1f} mV, between E_K = "
        f"{rest.e_k:.1f} mV and E_Na = {rest.e_na:+.1f} mV ([Na+] {rest.na_i:.0f} mM inside, "
        f"{rest.na_o:.0f} outside; [K+] {rest.k_i:.0f} inside, {rest.k_o:.0f} outside).\n"
        f"   Its pumps turn over {rest.pump_rate:,.0f} times per second per µm², a current of "
        f"{rest.i_pump:.2f} µA/cm²: {flux['na_efflux']:.1f} pmol Na+ out and "
        f"{flux['k_influx']:.1f} pmol K+ in per s per cm² (3 : 2),\n"
        f"   burning {flux['atp_use']:.1f} pmol ATP/(s·cm²) = {atp_cell:.3g} ATP per second for "
        f"this soma. The pump's own current makes {rest.pump_potential:+.1f} mV of the resting "
        f"potential.")

    # 2–3. A train, finely sampled for the spikes, then a long run for the recovery.
    train = simulate(cell, TRAIN_END + 200.0, [TRAIN], record_interval=0.025,
                     record=["v", "na_i", "k_i", "i_pump", "i_na", "i_k", "q_na", "q_k",
                             "e_na", "e_k"])
    cost = spike_cost(train, TRAIN.start - 50.0, TRAIN_END)
    recovery = simulate(cell, RECOVERY_RUN, [TRAIN], record_interval=10.0,
                        record=["v", "na_i", "k_i", "i_pump", "atp_used"])
    na_peak = float(recovery.na_i.max())
    i_pump_peak = float(recovery.i_pump.max())
    fit_na = pump_recovery(recovery, TRAIN_END + 2_000.0, "na_i")
    # The pump's AHP outlasts the spikes' own and the M-current's (τ ≤ 0.6 s): look 2 s on.
    after = recovery.sel(time=slice(TRAIN_END + 2_000.0, None))
    k_min = int(np.argmin(after.v.values))
    ahp = float(after.v[k_min]) - rest.v
    t_ahp = float(after.time[k_min])
    fit_v = pump_recovery(recovery, t_ahp, "v")
    numbers["train"] = {
        "n_spikes": cost.n_spikes, "frequency_Hz": TRAIN.frequency,
        "na_entry_per_spike_pmol_cm2": cost.na_entry_pmol,
        "k_exit_per_spike_pmol_cm2": cost.k_exit_pmol,
        "na_entry_per_spike_cell": _per_cell(cost.na_entry_pmol, cell.area),
        "atp_per_spike_cell": cost.atp_per_cell, "atp_per_spike_um2": cost.atp_per_um2,
        "na_load_ratio": cost.load_ratio, "ap_amplitude_mV": cost.amplitude,
        "na_i_rise_mM": na_peak - rest.na_i, "pump_current_rise_uA_cm2": i_pump_peak - rest.i_pump,
    }
    say(f"2. A train of {cost.n_spikes} action potentials at {TRAIN.frequency:.0f} Hz: each "
        f"spike lets in {cost.na_entry_pmol:.2f} pmol/cm² of Na+ "
        f"({numbers['train']['na_entry_per_spike_cell']:.3g} ions for this soma) and lets out "
        f"{numbers['train']['k_exit_per_spike_pmol_cm2']:.2f} pmol/cm² of K+.\n"
        f"   That is {cost.load_ratio:.2f}× the minimum charge for a {cost.amplitude:.0f} mV "
        f"spike (Na+ load ratio), and costs {cost.atp_per_cell:.3g} ATP to pump back "
        f"(one per 3 Na+).\n"
        f"   [Na+]i rises by {na_peak - rest.na_i:.2f} mM and the pump current by "
        f"{i_pump_peak - rest.i_pump:.3f} µA/cm² ({i_pump_peak / rest.i_pump - 1:+.0%}).")
    numbers["recovery"] = {
        "na_i_tau_s": fit_na.tau / 1000.0, "pump_ahp_mV": ahp,
        "pump_ahp_time_s": (t_ahp - TRAIN_END) / 1000.0, "pump_ahp_tau_s": fit_v.tau / 1000.0,
    }
    say(f"3. After the train the pump clears the extra Na+ with a time constant of "
        f"{fit_na.tau / 1000:.0f} s. Its extra outward current hyperpolarises the cell by "
        f"{-ahp:.2f} mV (the pump after-hyperpolarisation,\n   measured "
        f"{(t_ahp - TRAIN_END) / 1000:.0f} s after the train, once the spikes' own AHPs are "
        f"over), fading with τ = "
        f"{fit_v.tau / 1000:.0f} s.")

    # 4. Ouabain under a constant drive; pump back with the drive paused; drive back.
    proto = [Stimulus(amplitude=DRIVE, stop=BLOCK_STOP), PumpBlock(start=BLOCK_START,
                                                                   stop=BLOCK_STOP),
             Stimulus(amplitude=DRIVE, start=DRIVE_BACK)]
    block = simulate(cell, BLOCK_RUN, proto, record_interval=10.0,
                     record=["v", "na_i", "k_i", "e_na", "e_k", "i_pump", "i_inj"])
    spikes = block.spike_time.values
    rate_before = firing_rate(spikes, 0.0, BLOCK_START)
    during = spikes[(spikes >= BLOCK_START) & (spikes < BLOCK_STOP)]
    last = float(during[-1]) if during.size else BLOCK_START
    end = block.sel(time=BLOCK_STOP - 10.0)
    back = block.sel(time=slice(BLOCK_STOP, DRIVE_BACK))
    rate_after = firing_rate(spikes, DRIVE_BACK, BLOCK_RUN)
    peak_rate = max(firing_rate(spikes, t, t + 10_000.0)
                    for t in np.arange(BLOCK_START, last, 10_000.0)) if during.size else 0.0
    numbers["block"] = {
        "drive_uA_cm2": DRIVE, "rate_before_Hz": rate_before,
        "peak_rate_during_block_Hz": peak_rate,
        "block_start_s": BLOCK_START / 1000, "firing_stopped_s": last / 1000,
        "firing_stopped_after_block_s": (last - BLOCK_START) / 1000,
        "v_end_of_block_mV": float(end.v), "na_i_end_of_block_mM": float(end.na_i),
        "k_i_end_of_block_mM": float(end.k_i), "e_na_end_of_block_mV": float(end.e_na),
        "e_k_end_of_block_mV": float(end.e_k), "pump_restored_s": BLOCK_STOP / 1000,
        "v_min_after_restore_mV": float(back.v.min()),
        "na_i_when_drive_returns_mM": float(block.na_i.sel(time=DRIVE_BACK)),
        "rate_after_restore_Hz": rate_after,
    }
    say(f"4. Ouabain. Under a constant {DRIVE:g} µA/cm² drive the cell fires at "
        f"{rate_before:.1f} Hz. With every pump blocked from {BLOCK_START / 1000:.0f} s the "
        f"gradients run down and the cell depolarises;\n   it fires faster (up to "
        f"{peak_rate:.0f} Hz), then stops at {last / 1000:.0f} s, "
        f"{(last - BLOCK_START) / 1000:.0f} s into the block: by then [Na+]i = "
        f"{float(end.na_i):.0f} mM, [K+]i = {float(end.k_i):.0f} mM, E_Na = "
        f"{float(end.e_na):+.0f}, E_K = {float(end.e_k):.0f} mV and "
        f"V = {float(end.v):.0f} mV.\n   Washing the ouabain out at {BLOCK_STOP / 1000:.0f} s "
        f"(drive paused), the pump rebuilds the gradients, overshooting to "
        f"{float(back.v.min()):.0f} mV; [Na+]i is back to "
        f"{numbers['block']['na_i_when_drive_returns_mM']:.1f} mM by {DRIVE_BACK / 1000:.0f} s,\n"
        f"   and the same drive makes it fire again at {rate_after:.1f} Hz (slower than before: "
        f"its slowest gradients, K+ and Cl−, are still recovering).")
    numbers["wall_time_s"] = _time.perf_counter() - wall
    return DemoResult(numbers=numbers, train=train, recovery=recovery, block=block)


def demo_figure(result: DemoResult, path: str | Path | None = None):
    """Six panels of the story: spikes, [Na]i and pump current, pump AHP, ouabain run."""
    from matplotlib.figure import Figure

    from nakpump.plotting import save_figure

    n = result.numbers
    fig = Figure(figsize=(12, 10), layout="constrained")
    axes = fig.subplots(3, 2)
    tr, rc, bl = result.train, result.recovery, result.block

    ax = axes[0, 0]
    win = tr.sel(time=slice(TRAIN.start - 20.0, TRAIN.start + 200.0))
    ax.plot(win.time, win.v, color="k", lw=0.8, label="V")
    ax.plot(win.time, win.e_na, color="tab:red", ls="--", label="E_Na")
    ax.plot(win.time, win.e_k, color="tab:blue", ls="--", label="E_K")
    ax.set(xlabel="time (ms)", ylabel="membrane potential (mV)",
           title=f"2. spikes driven by the gradients ({TRAIN.frequency:.0f} Hz train)")
    ax.legend(loc="lower right", fontsize=8)

    ax = axes[0, 1]
    t = rc.time / 1000.0
    ax.plot(t, rc.na_i, color="tab:orange", lw=2.5, label="[Na+]i")
    ax.set(xlabel="time (s)", ylabel="[Na+]i (mM)",
           title=f"3. the pump clears the Na+ (τ = {n['recovery']['na_i_tau_s']:.0f} s)")
    ax2 = ax.twinx()
    ax2.plot(t, rc.i_pump, color="tab:green", lw=1.0, ls="--", label="pump current")
    ax2.set_ylabel("pump current (µA/cm²)", color="tab:green")
    fig.legend(*(a + b for a, b in zip(ax.get_legend_handles_labels(),
                                        ax2.get_legend_handles_labels())),
               loc="upper right", bbox_to_anchor=(0.93, 0.95), fontsize=8)

    ax = axes[1, 0]
    ax.plot(t, rc.v, color="k", lw=0.8)
    ax.axhline(n["rest"]["v_rest_mV"], color="0.5", ls=":", label="rest")
    ax.set(xlabel="time (s)", ylabel="membrane potential (mV)",
           ylim=(n["rest"]["v_rest_mV"] + 2.5 * n["recovery"]["pump_ahp_mV"] - 0.5,
                 n["rest"]["v_rest_mV"] - 1.5 * n["recovery"]["pump_ahp_mV"] + 0.5),
           title=f"3. pump after-hyperpolarisation ({n['recovery']['pump_ahp_mV']:.2f} mV)")
    ax.legend(fontsize=8)

    ax = axes[1, 1]
    resting_rate = n["rest"]["atp_pmol_s_cm2"] / 1000.0  # pmol/(cm²·ms)
    ax.plot(t, rc.atp_used - rc.atp_used[0] - resting_rate * rc.time, color="tab:purple",
            label="ATP above the resting use")
    ax.axhline(n["train"]["n_spikes"] * n["train"]["atp_per_spike_um2"] * 1e8 / AVOGADRO * 1e12,
               color="0.4", ls="--", label=f"{n['train']['n_spikes']} spikes × Na+ entry / 3")
    ax.set(xlabel="time (s)", ylabel="extra ATP used (pmol/cm²)",
           title=f"the train's bill: {n['train']['atp_per_spike_cell']:.3g} ATP per spike, "
                 "paid over minutes")
    ax.legend(loc="lower right", fontsize=8)

    tb = bl.time / 1000.0
    for ax in axes[2]:
        ax.axvspan(BLOCK_START / 1000, BLOCK_STOP / 1000, color="tab:red", alpha=0.1,
                   label="pump blocked")
    ax = axes[2, 0]
    ax.plot(tb, bl.v, color="k", lw=0.5)
    ax.plot(tb, bl.e_k, color="tab:blue", ls="--", label="E_K")
    ax.plot(tb, bl.e_na, color="tab:red", ls="--", label="E_Na")
    ax.set(xlabel="time (s)", ylabel="membrane potential (mV)",
           title="4. ouabain: depolarisation, silence, recovery")
    ax.legend(loc="upper right", fontsize=8)
    ax = axes[2, 1]
    ax.plot(tb, bl.na_i, color="tab:orange", label="[Na+]i")
    ax.plot(tb, bl.k_i, color="tab:blue", label="[K+]i")
    ax.set(xlabel="time (s)", ylabel="concentration (mM)", title="4. the gradients run down")
    ax.legend(loc="center right", fontsize=8)
    fig.suptitle("nakpump: the Na+/K+ pump in a cortical neuron", fontsize=14)
    if path is not None:
        save_figure(fig, path)
    return fig
