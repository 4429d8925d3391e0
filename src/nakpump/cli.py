"""The command line: `nakpump demo | rest | run | plot | presets`.

Every command is a thin layer over the Python API. Bad input (SpecError,
SteadyStateError) prints one line naming the field, the value and what is
allowed, and exits with status 2: no traceback, no partial output file. A run that
fails numerically (IntegrationError) prints its cell, time and culprits and exits 3.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from nakpump import __version__
from nakpump.errors import IntegrationError, SpecError


class _OneLineErrors(TyperGroup):
    """The command group, its usage errors (an unknown option, a missing value, a number
    that does not parse) in the one-line form of every other error, exit status 2."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            status = super().main(*args, standalone_mode=False, **kwargs)
        except Exception as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `nakpump` alone: the help
                typer.echo(exc.format_message())
                sys.exit(0)
            if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # click's
                ctx = getattr(exc, "ctx", None)
                where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
                typer.echo(f"nakpump: error: {exc.format_message()}{where}", err=True)
                sys.exit(exc.exit_code)
            if type(exc).__name__ == "Abort":
                typer.echo("nakpump: interrupted", err=True)
                sys.exit(130)
            raise
        sys.exit(status if isinstance(status, int) else 0)


app = typer.Typer(cls=_OneLineErrors, add_completion=False, no_args_is_help=True,
                  rich_markup_mode=None, pretty_exceptions_enable=False,
                  help="nakpump: the sodium–potassium pump at the heart of a neuron.")
presets_app = typer.Typer(invoke_without_command=True, no_args_is_help=False,
                          help="List the presets, or show one: nakpump presets show cortical")
app.add_typer(presets_app, name="presets")


FIGURE_SUFFIXES = (".png", ".pdf", ".svg")


def _fail(message: str) -> None:
    typer.echo(f"nakpump: error: {message}", err=True)
    raise typer.Exit(2)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    typer.echo(f"nakpump: warning: {message}", err=True)


def _guard(fn):
    """Run a command: bad input (SpecError, SteadyStateError, an unusable file) prints one
    line and exits 2, a run that fails numerically (IntegrationError) 3, one stopped by a
    signal 128 + its number (130 SIGINT, 143 SIGTERM), a bug in nakpump 1 (one line; the
    traceback with NAKPUMP_DEBUG=1); warnings are one line each."""
    import functools
    import warnings

    from nakpump.errors import RunInterrupted
    from nakpump.interrupt import graceful_signals
    from nakpump.steady import SteadyStateError

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        shown = warnings.showwarning
        warnings.showwarning = _show_warning
        try:
            with graceful_signals():
                return fn(*args, **kwargs)
        except (SpecError, SteadyStateError) as exc:
            _fail(str(exc))
        except OSError as exc:  # a file the system would not let us read or write
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"{where}{exc.strerror or exc}")
        except IntegrationError as exc:  # a run that fails numerically: status 3
            typer.echo(f"nakpump: error: {exc}", err=True)
            raise typer.Exit(3) from None
        except RunInterrupted as exc:
            typer.echo(f"nakpump: {exc}", err=True)
            raise typer.Exit(128 + exc.signum) from None
        except KeyboardInterrupt:
            typer.echo("nakpump: interrupted", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:  # a bug in nakpump: still one line, and how to see more
            if os.environ.get("NAKPUMP_DEBUG"):
                raise
            text = " ".join(str(exc).split())[:300]
            typer.echo(f"nakpump: internal error, please report it (NAKPUMP_DEBUG=1 shows "
                       f"where): {type(exc).__name__}: {text}", err=True)
            raise typer.Exit(1) from None
        finally:
            warnings.showwarning = shown
    return wrapper


def _clean(obj: Any) -> Any:
    """JSON-ready: numpy scalars to floats, NaN to null."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item"):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _print_json(obj: Any) -> None:
    typer.echo(json.dumps(_clean(obj), indent=2))


def _overrides(items: list[str]) -> dict[str, Any]:
    """--set NAME=VALUE pairs, values parsed with the parameter's unit."""
    from nakpump.model.spec import parameter_unit
    from nakpump.quantities import parse_quantity

    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise SpecError("--set", item, "NAME=VALUE, e.g. --set 'ions.k_o=8 mM'")
        if name == "published":
            raise SpecError("--set published", value, "the --published option")
        unit = "mV" if name == "v_rest" else parameter_unit(name)
        if unit is not None:
            out[name] = parse_quantity(value, unit, name)
        elif value.lower() in ("true", "false"):  # the switches (pump_electrogenic, …)
            out[name] = value.lower() == "true"
        else:
            out[name] = value
    return out



# --mechanism on every command that builds a cell
MECHANISM_OPTION = typer.Option([], "--mechanism", help="A Python file of mechanisms "
                                "(pumps) to load first; repeatable.")


def _load_mechanisms(paths: list[Path]) -> None:
    from nakpump.mechanisms import load_mechanisms

    for path in paths:
        load_mechanisms(path)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nakpump {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit.")) -> None:
    """nakpump simulates neuronal ion homeostasis with the Na+/K+-ATPase at its heart."""


@app.command()
@_guard
def demo(out: Path = typer.Option(Path("nakpump-demo"), "--out", help="Output directory."),
         story: str = typer.Option("pump", "--story",
                                   help="pump (a cortical neuron: rest, spikes, recovery, "
                                        "ouabain), tissue (glia, bath, bursting, SD) or "
                                        "axon (conduction, Na+ loading, failure)."),
         as_json: bool = typer.Option(False, "--json", help="Print the numbers as JSON.")
         ) -> None:
    """The pump story of a cortical neuron (or, --story tissue, of a neuron in tissue; --story
    axon, of impulses along axons), with a figure and the data.

    Example: nakpump demo --out my-demo
             nakpump demo --story tissue
    """
    from nakpump.storage import save_netcdf

    stories = ("pump", "tissue", "axon")
    if story not in stories:
        raise SpecError("--story", story, "one of " + ", ".join(stories))
    if out.exists() and not out.is_dir():
        raise SpecError("--out", str(out), "a directory (it exists as a file)")
    if not out.parent.is_dir():
        raise SpecError("--out", str(out), f"a directory in an existing folder "
                                           f"('{out.parent}' does not exist)")
    say = (lambda _text: None) if as_json else typer.echo
    if story == "pump":
        from nakpump.demo import demo_figure, run_demo

        result = run_demo(say=say)
        figure, draw = out / "nakpump-demo.png", demo_figure
        data = (("train", result.train), ("recovery", result.recovery),
                ("block", result.block))
    elif story == "axon":
        from nakpump.demo_axon import axon_figure, run_axon_demo

        result = run_axon_demo(say=say)
        figure, draw = out / "nakpump-axon.png", axon_figure
        data = (("squid", result.squid), ("train", result.train), ("block", result.block))
    else:
        from nakpump.demo_tissue import run_tissue_demo, tissue_figure

        result = run_tissue_demo(say=say)
        figure, draw = out / "nakpump-tissue.png", tissue_figure
        data = (("bursting", result.bursting), ("bursting-conserving",
                                                 result.bursting_conserving),
                ("pump-off-short", result.short), ("pump-off-long", result.long),
                ("hypoxia", result.hypoxia))
    out.mkdir(exist_ok=True)
    draw(result, figure)
    # the demo's directory is its own: a second demo replaces its files
    files = {name: str(save_netcdf(ds, out / f"{story}-{name}.nc", overwrite=True))
             for name, ds in data}
    numbers = {**result.numbers, "figure": str(figure), "data": files}
    if as_json:
        _print_json(numbers)
    else:
        typer.echo(f"\nFigure: {figure}\nData:   {', '.join(files.values())}")


def rest_summary(cell) -> dict[str, Any]:
    """The `rest` command's JSON object for a cell."""
    from nakpump.steady import resting_state

    rest = resting_state(cell)
    flux = rest.fluxes
    return {
        "preset": cell.name, "v_rest_mV": rest.v, "e_na_mV": rest.e_na, "e_k_mV": rest.e_k,
        "e_cl_mV": rest.e_cl, "na_i_mM": rest.na_i, "k_i_mM": rest.k_i, "cl_i_mM": rest.cl_i,
        "na_o_mM": rest.na_o, "k_o_mM": rest.k_o, "cl_o_mM": rest.cl_o,
        "pump_current_uA_cm2": rest.i_pump, "pump_turnover_per_s_um2": rest.pump_rate,
        "na_efflux_pmol_s_cm2": flux["na_efflux"], "k_influx_pmol_s_cm2": flux["k_influx"],
        "atp_per_s_cm2": flux["atp_use"], "e_pump_mV": rest.e_pump,
        "pump_share_of_v_rest_mV": rest.pump_potential, "stable": rest.stable,
        "stability": rest.stability_note,
    }


@app.command()
@_guard
def rest(preset_name: str = typer.Option("cortical", "--preset", help="Preset name."),
         set_: list[str] = typer.Option([], "--set", help="PARAM=VALUE override, repeatable."),
         mechanism: list[Path] = MECHANISM_OPTION,
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The resting state: pump–leak balance, gradients, pump fluxes, stability.

    Example: nakpump rest --preset cortical --set "ions.k_o=8 mM" --json
             nakpump rest --mechanism my_pump.py --set pump.kind=my-pump
    """
    from nakpump.model.presets import preset
    from nakpump.steady import SteadyStateError, relaxed_rest

    _load_mechanisms(mechanism)
    cell = preset(preset_name, **_overrides(set_))
    try:
        summary = rest_summary(cell)
    except SteadyStateError:  # glia, bath, cotransport, volume, O2: run it to rest instead
        summary = {"preset": cell.name, "method": "relaxed: one hour of simulated time",
                   **relaxed_rest(cell)}
    if as_json:
        _print_json(summary)
        return
    width = max(map(len, summary))
    for key, value in summary.items():
        text = f"{value:.6g}" if isinstance(value, float) else str(value)
        typer.echo(f"{key:<{width}}  {text}")


def population_summary(ds, output: str | None) -> dict[str, Any]:
    """The `run` command's JSON summary of a population result."""
    from nakpump.results import conservation

    def stats(name: str) -> dict[str, float]:
        values = ds[name].values
        return {"mean": float(values.mean()), "sd": float(values.std()),
                "min": float(values.min()), "max": float(values.max())}

    return {
        "preset": ds.attrs["preset"], "duration_ms": ds.attrs["duration_ms"],
        "cells": int(ds.sizes["cell"]), "n_spikes": int(ds.spike_count.values.sum()),
        "firing_rate_Hz": stats("firing_rate"), "na_i_end_mM": stats("na_i_end"),
        "k_i_end_mM": stats("k_i_end"), "v_end_mV": stats("v_end"),
        "atp_used_pmol_cm2": stats("atp_used_total"),
        "per_cell_parameters": json.loads(ds.attrs["per_cell_parameters"]),
        "conservation": conservation(ds), "output": output,
    }


def run_summary(ds, output: str | None) -> dict[str, Any]:
    """The `run` command's JSON summary of a result."""
    from nakpump.analysis import spike_cost
    from nakpump.results import conservation

    if "cell" in ds.dims:
        return population_summary(ds, output)
    if "x" in ds.dims:
        from nakpump.axon import axon_summary

        return {**axon_summary(ds), "output": output}

    last = ds.isel(time=-1)
    final = {"v_mV": float(last.v) if "v" in ds else None}
    for name in ("e_na", "e_k", "e_cl"):
        final[f"{name}_mV"] = float(last[name]) if name in ds else None
    for name in ("na_i", "k_i", "cl_i", "na_o", "k_o", "cl_o"):
        final[f"{name}_mM"] = float(last[name]) if name in ds else None
    if "vol_i" in ds:
        final["volume_relative"] = float(last.vol_i)
    if "o2" in ds:
        final["o2_mg_L"] = float(last.o2)
    atp = None
    spikes = ds.spike_time.values
    if spikes.size and {"q_na", "i_na", "v"} <= set(ds.data_vars):
        try:
            atp = spike_cost(ds, 0.0, float(ds.time[-1])).atp_per_cell
        except ValueError:
            atp = None
    summary = {
        "preset": ds.attrs["preset"], "duration_ms": ds.attrs["duration_ms"],
        "n_spikes": int(spikes.size), "spike_times_ms": spikes.tolist(), "final": final,
        "atp_per_spike": atp, "conservation": conservation(ds), "output": output,
    }
    if {"atp_made", "atp_pump", "atp_basal", "atp_i"} <= set(ds.data_vars):
        from nakpump.analysis import atp_budget

        b = atp_budget(ds)
        summary["atp_budget_mM"] = {"made": b.made, "used_by_pump": b.by_pump,
                                    "used_otherwise": b.basal, "change": b.change,
                                    "atp_end": b.atp_end}
    if json.loads(ds.attrs["spec"]).get("outside_volume") is not None and "v" in ds:
        # a cell in tissue: its bursts (gaps > 1 s) and spreading depolarisations
        from nakpump.analysis.tissue import bursts_of, sd_of

        summary["tissue"] = {"bursts": bursts_of(ds).summary(), "sd": sd_of(ds).summary()}
    return summary


def _cli_events(stimulus: list[str], pump_block: list[str]) -> list:
    """The --stimulus and --pump-block options as protocol events."""
    from nakpump.protocols import PumpBlock, Stimulus
    from nakpump.quantities import parse_span, parse_stimulus

    events = [Stimulus(amplitude=amp, start=start, stop=stop)
              for amp, start, stop in (parse_stimulus(t, "--stimulus") for t in stimulus)]
    return events + [PumpBlock(start=start, stop=stop)
                     for start, stop in (parse_span(t, "--pump-block") for t in pump_block)]


def _cli_duration(duration: str | None) -> float:
    from nakpump.quantities import parse_quantity

    if duration is None:
        raise SpecError("--duration", None, "a run length with --preset, e.g. --duration 1s")
    return parse_quantity(duration, "ms", "--duration")


def _parse_cli_scenario(preset_name, duration, stimulus, pump_block, set_, method, dt,
                        published=False):
    from nakpump.model.presets import preset
    from nakpump.quantities import parse_quantity
    from nakpump.scenario import Scenario

    return Scenario(cell=preset(preset_name, published=published, **_overrides(set_)),
                    duration=_cli_duration(duration),
                    protocol=tuple(_cli_events(stimulus, pump_block)), method=method,
                    dt=parse_quantity(dt or "0.025 ms", "ms", "--dt"))


@app.command()
@_guard
def run(scenario: Path | None = typer.Argument(None, help="TOML scenario, or a saved .nc "
                                                              "result to run again."),
        output: Path | None = typer.Option(None, "-o", "--output", help="NetCDF to write."),
        csv: Path | None = typer.Option(None, "--csv", help="Also write the time series as "
                                                               "CSV."),
        preset_name: str | None = typer.Option(None, "--preset", help="Preset (instead of a "
                                                                         "scenario file)."),
        duration: str | None = typer.Option(None, "--duration", help="e.g. 1s, 500ms."),
        stimulus: list[str] = typer.Option([], "--stimulus",
                                           help="AMP[@START[:END]], e.g. '10 uA/cm^2@1s:2s'."),
        pump_block: list[str] = typer.Option([], "--pump-block", help="START[:END], e.g. 10s."),
        set_: list[str] = typer.Option([], "--set", help="PARAM=VALUE override."),
        mechanism: list[Path] = MECHANISM_OPTION,
        published: bool = typer.Option(False, "--published",
                                       help="The paper's own equations where nakpump's "
                                            "conserving form differs (cressman-2009)."),
        method: str | None = typer.Option(None, "--method",
                                          help="auto (the default: fixed ≤ 10 s < adaptive), "
                                               "fixed, adaptive or reference."),
        scheme: str | None = typer.Option(None, "--scheme",
                                          help="strang (2nd order, the default) or euler."),
        dt: str | None = typer.Option(None, "--dt", help="Fixed step (default 0.025 ms; "
                                                         "0.002 ms for an axon)."),
        rtol: float | None = typer.Option(None, "--rtol", help="adaptive/reference rtol."),
        atol: float | None = typer.Option(None, "--atol", help="adaptive/reference atol."),
        overwrite: bool = typer.Option(False, "--overwrite",
                                       help="Replace existing output files (only once the "
                                            "run has finished)."),
        from_: Path | None = typer.Option(None, "--from", help="Continue from the end of this "
                                                               "result (its final state and "
                                                               "time)."),
        resume: bool = typer.Option(False, "--resume",
                                    help="Finish the run interrupted on its way to --output "
                                         "(from STEM.interrupted.nc beside it)."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON.")
        ) -> None:
    """Run a scenario file, a saved result's scenario, or a preset with options.

    Examples: nakpump run examples/ouabain.toml -o ouabain.nc
              nakpump run --preset hh-1952 --duration 50ms --stimulus "20 uA/cm^2@1ms:1.5ms"
              nakpump run examples/ouabain.toml -o ouabain.nc --resume   (after Ctrl-C)

    Exit status: 0 done, 2 bad input, 3 the run failed numerically (what it made is in
    STEM.failed.nc), 130/143 stopped by SIGINT/SIGTERM (STEM.interrupted.nc; --resume).
    """
    from nakpump.scenario import load_scenario, scenario_of_result
    from nakpump.storage import (
        NETCDF_SUFFIXES,
        check_outputs,
        load_netcdf,
        save_csv,
    )

    if (scenario is None) == (preset_name is None):
        raise SpecError("scenario", None if scenario is None else str(scenario),
                        "either a scenario file or --preset (not both)")
    # Every output is checked before anything runs (storage.check_output_path).
    check_outputs({"--output": (output, NETCDF_SUFFIXES), "--csv": (csv, (".csv",))},
                  overwrite=overwrite, inputs=[scenario, from_, *mechanism])
    initial = _continued(from_, resume, output)
    _load_mechanisms(mechanism)
    from nakpump.model.axon import AXON_PRESETS

    if preset_name in AXON_PRESETS:
        _refuse({"--csv": csv is not None, "--method": method is not None,
                 "--rtol": rtol is not None, "--atol": atol is not None,
                 "--published": published, "--mechanism": bool(mechanism),
                 "--from/--resume": initial is not None},
                "options an axon run uses (axon presets run the fixed step; it would be "
                "ignored)")
        _run_axon(preset_name, duration, stimulus, pump_block, set_, dt,
                  "strang" if scheme is None else scheme, output, overwrite, as_json)
        return
    if scenario is not None:
        if scenario.suffix == ".nc":
            spec = scenario_of_result(load_netcdf(scenario))
        else:
            spec = load_scenario(scenario)
        _refuse({"--stimulus": bool(stimulus), "--pump-block": bool(pump_block),
                 "--set": bool(set_), "--published": published,
                 **{option: value is not None for option, value in (
                     ("--duration", duration), ("--method", method), ("--scheme", scheme),
                     ("--dt", dt), ("--rtol", rtol), ("--atol", atol))}},
                "only with --preset: a scenario file says it (put it in the file)")
    else:
        spec = _parse_cli_scenario(preset_name, duration, stimulus, pump_block, set_,
                                   "auto" if method is None else method, dt, published)
        spec = dataclasses.replace(spec, scheme="strang" if scheme is None else scheme,
                                   rtol=rtol, atol=atol)
    if resume and initial.attrs.get("scenario") != json.dumps(spec.to_dict()):
        raise SpecError("--resume", _interrupted(output).name, "the interrupted run of this "
                                                               "same scenario (it was of "
                                                               "another)")
    ds = _run_with_progress(spec, quiet=as_json, output=output, overwrite=overwrite,
                            initial=initial, join=resume)
    if resume:  # its data are now in the output
        _interrupted(output).unlink()
    if csv is not None:
        save_csv(ds, csv, overwrite=overwrite)
    summary = run_summary(ds, None if output is None else str(output))
    if as_json:
        _print_json(summary)
    else:
        c = summary["conservation"]
        if "compartments" in summary:
            _echo_axon(summary)
        elif "cells" in summary:
            rate, na = summary["firing_rate_Hz"], summary["na_i_end_mM"]
            typer.echo(f"{summary['preset']}: {summary['cells']} cells, "
                       f"{summary['duration_ms']:g} ms, {summary['n_spikes']} spikes; "
                       f"rate {rate['mean']:.2f} ± {rate['sd']:.2f} Hz, final [Na+]i "
                       f"{na['mean']:.3f} ± {na['sd']:.3f} mM")
        else:
            f = summary["final"]
            typer.echo(f"{summary['preset']}: {summary['duration_ms']:g} ms, "
                       f"{summary['n_spikes']} spikes; final V {_num(f['v_mV'], 2)} mV, "
                       f"[Na+]i {_num(f['na_i_mM'], 3)} mM, [K+]i {_num(f['k_i_mM'], 3)} mM")
            if "volume_relative" in f:
                typer.echo(f"cell volume {100 * (f['volume_relative'] - 1):+.2f} % of the "
                           f"initial")
            if "tissue" in summary:
                b, sd = summary["tissue"]["bursts"], summary["tissue"]["sd"]
                typer.echo(f"bursts: {b['count']} (period {b['period_s']:.3g} s, "
                           f"{b['spikes_per_burst_mean']:.3g} spikes each); spreading "
                           f"depolarisations: {sd['count']}"
                           + (f" (first at {sd['onset_first_s']:.3g} s, "
                              f"{'recovered' if sd['recovered'] else 'not recovered'})"
                              if sd['count'] else ""))
        typer.echo(_conservation_line(c))
        if output is not None:
            typer.echo(f"written: {output}")


def _num(value: float | None, digits: int) -> str:
    """A number for the summary line; "not recorded" for None."""
    return "(not recorded)" if value is None else f"{value:.{digits}f}"


def _conservation_line(c: dict[str, Any]) -> str:
    """What the run conserved, in one line that is true also when nothing is tracked."""
    ions = ", ".join(f"{k} {v:.1e}" for k, v in c.items()
                     if k not in ("charge", "charge_mV") and v is not None and math.isfinite(v))
    charge = c.get("charge_mV")
    if not ions and (charge is None or not math.isfinite(charge)):
        return "conservation: no ions tracked (fixed concentrations)"
    text = f"conservation (max relative error): {ions or 'no ion amounts tracked'}"
    if charge is not None and math.isfinite(charge):
        text += f"; charge {charge:.1e} mV"
    return text


def _run_axon(name, duration, stimulus, pump_block, set_, dt, scheme, output, overwrite,
              as_json):
    """`nakpump run --preset <axon>`: stimuli at the x = 0 end, pump blocks everywhere."""
    from nakpump.axon import axon_summary, simulate_axon
    from nakpump.model.axon import axon_preset
    from nakpump.model.spec import _check_number
    from nakpump.quantities import parse_quantity
    from nakpump.storage import save_netcdf

    axon = axon_preset(name, **_overrides(set_))
    step = parse_quantity(dt or "0.002 ms", "ms", "--dt")  # impulse fronts are steep
    _check_number("--dt", step, lower=0.0, upper=1.0, unit="ms")
    ds = simulate_axon(axon, _cli_duration(duration), _cli_events(stimulus, pump_block),
                       dt=step, scheme=scheme, record_interval=step * max(1, round(0.01 / step)))
    if output is not None:
        save_netcdf(ds, output, overwrite=overwrite)
    summary = {**axon_summary(ds), "output": None if output is None else str(output)}
    if as_json:
        _print_json(summary)
        return
    _echo_axon(summary)
    if output is not None:
        typer.echo(f"written: {output}")


def _echo_axon(summary: dict[str, Any]) -> None:
    v = summary["velocity_m_s"]
    typer.echo(f"{summary['preset']}: {summary['length_um'] / 1000:g} mm in "
               f"{summary['compartments']} compartments, {summary['duration_ms']:g} ms; "
               f"{summary['impulses_started']} impulses started, "
               f"{summary['impulses_arrived']} arrived at the far end"
               + (f"; velocity {v:.3f} m/s" if v is not None else ""))


def _refuse(given: dict[str, bool], allowed: str) -> None:
    """SpecError naming the first option given (True) that this run would not use."""
    for option, is_given in given.items():
        if is_given:
            raise SpecError(option, "given", allowed)


def _interrupted(output: Path) -> Path:
    """Where an interrupted run to output keeps what it made (storage.Claim.set_aside)."""
    return output.with_name(f"{output.stem}.interrupted{output.suffix}")


def _continued(from_: Path | None, resume: bool, output: Path | None):
    """The result a run continues (--from, or --resume's STEM.interrupted.nc), or None."""
    from nakpump.storage import load_netcdf, locked, part_path

    if from_ is not None and resume:
        raise SpecError("--from", str(from_), "not together with --resume")
    if not resume:
        return None if from_ is None else load_netcdf(from_)
    if output is None:
        raise SpecError("--resume", True, "with --output: the run to finish is the one that "
                                          "was writing there")
    kept, killed = _interrupted(output), part_path(output)
    source = kept if kept.is_file() else killed  # a run killed outright: its part file
    if not source.is_file():
        raise SpecError("--resume", str(output), f"an output with an interrupted run beside "
                                                 f"it ({kept.name} does not exist)")
    with locked(output, "--resume"):  # never the part file of a run still writing
        try:
            initial = load_netcdf(source)
        except SpecError:
            raise SpecError("--resume", str(output), f"a run that can be resumed ({source.name}"
                                                     f" is not readable: killed while "
                                                     f"writing)") from None
        if source == killed:  # kept where an interrupted run keeps what it made
            os.replace(killed, kept)
    return initial


def _run_with_progress(spec, quiet: bool, output, overwrite: bool, initial=None,
                       join: bool = False):
    """Run a scenario (streaming to output, if given) with a progress bar on a terminal."""
    long_run = spec.duration > 60_000.0  # ≳ 1–2 s of wall time
    if quiet or not sys.stderr.isatty() or spec.method == "reference" or not long_run:
        return spec.run(output=output, overwrite=overwrite, initial=initial, join=join)
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("simulating"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task("run", total=spec.duration)
        return spec.run(progress=lambda t, _total: bar.update(task, completed=t),
                        output=output, overwrite=overwrite, initial=initial, join=join)


@app.command()
@_guard
def nmodl(preset_name: str = typer.Option("cortical", "--preset", help="Preset name."),
          set_: list[str] = typer.Option([], "--set", help="PARAM=VALUE override."),
          mechanism: list[Path] = MECHANISM_OPTION,
          output: Path | None = typer.Option(None, "-o", "--output",
                                             help="The .mod file to write (default: print)."),
          overwrite: bool = typer.Option(False, "--overwrite",
                                         help="Replace an existing output file.")
          ) -> None:
    """The cell's pump as an NMODL mechanism for NEURON (compile with nrnivmodl).

    Example: nakpump nmodl --preset cortical-reversible -o reversible_pump.mod
    """
    from nakpump.model.presets import preset
    from nakpump.nmodl import pump_mod
    from nakpump.storage import atomic_write, check_output_path

    if output is not None:
        check_output_path(output, "--output", overwrite=overwrite, inputs=mechanism,
                          suffixes=(".mod",))
    _load_mechanisms(mechanism)
    text = pump_mod(preset(preset_name, **_overrides(set_)))
    if output is None:
        typer.echo(text, nl=False)
        return
    atomic_write(output, lambda tmp: Path(tmp).write_text(text), field="--output",
                 overwrite=overwrite)
    typer.echo(f"written: {output}")


@app.command()
@_guard
def plot(result: Path = typer.Argument(..., help="A NetCDF result."),
         output: Path | None = typer.Option(None, "-o", "--output", help="PNG to write "
                                                                            "(default: beside "
                                                                            "the result)."),
         overwrite: bool = typer.Option(False, "--overwrite",
                                        help="Replace an existing figure file.")
         ) -> None:
    """The standard figure of a result: V with E_Na and E_K, concentrations, pump, ATP
    (for a population: spike raster, rate and final [Na+]i per cell).

    Example: nakpump plot ouabain.nc -o ouabain.png
    """
    from nakpump.plotting import plot_axon, plot_population, plot_result, save_figure
    from nakpump.storage import check_output_path, load_netcdf

    out = output if output is not None else result.with_suffix(".png")
    check_output_path(out, "--output", overwrite=overwrite, inputs=[result],
                      suffixes=FIGURE_SUFFIXES)
    ds = load_netcdf(result)
    draw = plot_population if "cell" in ds.dims else plot_axon if "x" in ds.dims else plot_result
    save_figure(draw(ds), out, overwrite=overwrite)
    typer.echo(f"written: {out}")


@presets_app.callback()
@_guard
def presets(ctx: typer.Context,
            as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Each preset with a one-line description and its sources."""
    if ctx.invoked_subcommand is not None:
        return
    from nakpump.model.axon import AXON_PRESETS
    from nakpump.model.presets import PRESETS

    rows = [{"name": name, "kind": "cell", "summary": p.summary, "source": p.cell.source}
            for name, p in PRESETS.items()]
    for name, make in AXON_PRESETS.items():
        axon = make()
        rows.append({"name": name, "kind": "axon",
                     "summary": (axon.description or axon.name).split(". ")[0],
                     "source": axon.source})
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['name']:<20} {row['summary']}\n{'':<20} source: {row['source']}\n")


@presets_app.command("show")
@_guard
def presets_show(name: str = typer.Argument(..., help="Preset name."),
                 as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every parameter of a preset (calibrated, at rest) with its unit.

    Example: nakpump presets show cortical
    """
    from nakpump.model.axon import AXON_PRESETS
    from nakpump.model.presets import preset
    from nakpump.model.spec import parameter_names, parameter_unit

    if name in AXON_PRESETS:
        raise SpecError("presets show", name, "a cell preset (an axon's membrane is its "
                                              "'membrane': see nakpump presets show cortical)")
    cell = preset(name)
    params = {}
    for pname in parameter_names(cell):
        obj = cell
        for part in pname.split("."):
            obj = getattr(obj, part)
        params[pname] = {"value": obj, "unit": parameter_unit(pname)}
    if as_json:
        _print_json(params)
        return
    typer.echo(f"{cell.name}: {cell.description}\nsource: {cell.source}\n")
    for pname, entry in params.items():
        if pname in ("name", "description", "source"):
            continue
        value = entry["value"]
        text = f"{value:.6g}" if isinstance(value, float) else str(value)
        unit = "" if entry["unit"] in (None, "1") else entry["unit"]
        typer.echo(f"  {pname:<26} {text} {unit}")


def entry() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    entry()
