"""Reproducible runs: a scenario (TOML file or dict) → validated Scenario → Dataset.

Quantities may carry units ("140 mM", "2 s", "0.5 uA/cm^2"); bare numbers are
in nakpump's units. They are converted here, once. A Scenario written back by
`to_dict` holds the full cell specification and protocol in internal units, so
that a saved result (attrs["scenario"]) can be run again and reproduces itself.

    mechanisms = ["my_pump.py"]    # optional: user mechanism files (relative to this file)
    preset = "cortical"            # or [cell] = a full specification
    v_rest = "-72 mV"              # optional: recalibrate the preset's leaks
    duration = "2 s"
    method = "auto"                # auto | fixed | adaptive | reference
    scheme = "strang"              # strang (2nd order) | euler (1st, as NEURON)
    dt = "0.025 ms"                # fixed step; rtol, atol, h_max for adaptive
    [parameters]                   # dotted parameter overrides
    "ions.k_o" = "8 mM"
    "pump.kind" = "my-pump"        # a pump form by name (built-in or from `mechanisms`)
    [record]
    variables = ["v", "na_i"]
    interval = "1 ms"
    [[events]]
    type = "stimulus"              # stimulus, pulse_train, pump_block, atp_change,
    amplitude = "6 uA/cm^2"        #   bath_change, voltage_clamp
    start = "1 s"
    [population]                   # optional: many cells (population.py, sampling.py)
    cells = 10000
    seed = 1
    [population.parameters]        # per-cell distributions: normal, lognormal, uniform, values
    "pump.rate_max" = {dist = "normal", mean = "8e4 1/(s*um^2)", sd = "1e4 1/(s*um^2)"}
    "protocol[0].amplitude" = {dist = "uniform", low = "2 uA/cm^2", high = "6 uA/cm^2"}
    [population.sweep]             # a grid: lists or {start, stop, num}
    "ions.k_o" = ["4 mM", "8 mM"]
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import xarray as xr

from nakpump.errors import SpecError
from nakpump.mechanisms import load_mechanisms
from nakpump.model.presets import preset
from nakpump.model.spec import CellSpec, parameter_unit, spec_from_dict, spec_to_dict
from nakpump.population import simulate_population
from nakpump.protocols import (
    AtpChange,
    BathChange,
    Event,
    MetabolicBlock,
    Ouabain,
    OxygenChange,
    PotassiumPuff,
    PulseTrain,
    PumpBlock,
    Stimulus,
    VoltageClamp,
)
from nakpump.quantities import parse_quantity
from nakpump.sampling import population_parameters
from nakpump.simulate import simulate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EVENT_TYPES: dict[str, type] = {
    "stimulus": Stimulus, "pulse_train": PulseTrain, "pump_block": PumpBlock,
    "atp_change": AtpChange, "bath_change": BathChange, "voltage_clamp": VoltageClamp,
    "potassium_puff": PotassiumPuff, "oxygen_change": OxygenChange,
    "metabolic_block": MetabolicBlock, "ouabain": Ouabain,
}
EVENT_NAMES = {cls: name for name, cls in EVENT_TYPES.items()}
EVENT_UNITS = {"amplitude": "uA/cm^2", "start": "ms", "stop": "ms", "width": "ms",
               "frequency": "Hz", "fraction": "1", "atp": "mM", "na_o": "mM", "k_o": "mM",
               "cl_o": "mM", "v": "mV", "o2": "mg/L", "concentration": "uM"}
TOP_KEYS = ("mechanisms", "preset", "published", "cell", "v_rest", "parameters", "duration",
            "method", "scheme", "dt", "solver", "rtol", "atol", "h_max", "threshold", "record",
            "events", "population")
POPULATION_KEYS = ("cells", "seed", "start", "threads", "parameters", "sweep")


@dataclass(frozen=True)
class PopulationSpec:
    """How many cells, and how their parameters vary (sampling.py), in internal units."""

    cells: int | None = None  # None: the sweep grid's size
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)  # name → distribution
    sweep: dict[str, Any] = dataclasses.field(default_factory=dict)  # name → grid axis
    seed: int | None = None
    start: str = "stored"  # or "rest": each cell from its own resting state
    threads: int | None = None

    def draw(self) -> tuple[int, dict[str, Any]]:
        """(n, per-cell values), reproducibly from the seed."""
        return population_parameters(self.cells, self.parameters, self.sweep, self.seed)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Scenario:
    """A cell, how long to run it, what happens when, and how to integrate and record."""

    cell: CellSpec
    duration: float  # ms
    protocol: tuple[Event, ...] = ()
    method: str = "auto"
    scheme: str = "strang"
    dt: float = 0.025  # ms
    solver: str = "LSODA"
    rtol: float | None = None  # None: the method's default
    atol: float | None = None
    h_max: float = 50.0  # ms, adaptive method
    threshold: float = 0.0  # mV
    record: tuple[str, ...] | None = None
    record_interval: float | None = None  # ms
    population: PopulationSpec | None = None  # many cells (population.py)

    def run(self, progress: Callable[[float, float], None] | None = None,
            output: str | os.PathLike | None = None, overwrite: bool = False,
            initial: xr.Dataset | None = None, join: bool = False) -> xr.Dataset:
        """Simulate; the result carries this scenario in attrs["scenario"].

        progress(t_done, duration) (ms) is called between chunks; with output (a
        NetCDF path) the recording streams to disk and the result is read from it
        (an existing file is replaced only with overwrite, and only by a finished run).
        initial, join: continue a result (simulate's initial and join).
        """
        if self.population is not None and initial is not None:
            raise SpecError("initial", "a population", "a single-cell run (populations do "
                                                       "not continue from a result yet)")
        if self.population is not None:
            n, values = self.population.draw()
            return simulate_population(
                self.cell, self.duration, self.protocol, n=n, parameters=values,
                start=self.population.start, dt=self.dt, scheme=self.scheme, record=self.record,
                record_interval=self.record_interval, threshold=self.threshold,
                threads=self.population.threads, output=output, overwrite=overwrite,
                progress=progress,
                scenario=json.dumps(self.to_dict()))
        ds = simulate(self.cell, self.duration, self.protocol, method=self.method, dt=self.dt,
                      record=self.record, record_interval=self.record_interval,
                      threshold=self.threshold, solver=self.solver, rtol=self.rtol,
                      atol=self.atol, scheme=self.scheme, h_max=self.h_max, progress=progress,
                      scenario=json.dumps(self.to_dict()), output=output, overwrite=overwrite,
                      initial=initial, join=join)
        return ds

    def to_dict(self) -> dict[str, Any]:
        """Plain data in internal units; scenario_from_dict(to_dict()) rebuilds it."""
        events = []
        for ev in self.protocol:
            fields = {k: v for k, v in dataclasses.asdict(ev).items() if v is not None}
            events.append({"type": EVENT_NAMES[type(ev)], **fields})
        out: dict[str, Any] = {
            **_mechanism_files(self.cell),
            "cell": spec_to_dict(self.cell), "duration": self.duration, "method": self.method,
            "scheme": self.scheme, "dt": self.dt, "solver": self.solver, "h_max": self.h_max,
            "threshold": self.threshold, "events": events,
        }
        for key in ("rtol", "atol"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        record = {}
        if self.record is not None:
            record["variables"] = list(self.record)
        if self.record_interval is not None:
            record["interval"] = self.record_interval
        if record:
            out["record"] = record
        if self.population is not None:
            out["population"] = self.population.to_dict()
        return out


def _event(i: int, data: Any) -> Event:
    where = f"events[{i}]"
    if not isinstance(data, dict):
        raise SpecError(where, data, "a table with a 'type' and the event's fields")
    data = dict(data)
    kind = data.pop("type", None)
    if kind not in EVENT_TYPES:
        raise SpecError(f"{where}.type", kind, "one of " + ", ".join(EVENT_TYPES))
    cls = EVENT_TYPES[kind]
    allowed = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in allowed:
            raise SpecError(f"{where}.{key}", value, f"a field of {kind}: " + ", ".join(allowed))
        if key in EVENT_UNITS:
            value = parse_quantity(value, EVENT_UNITS[key], f"{where}.{key}")
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise SpecError(where, data, f"the fields {kind} needs ({exc})") from None


def _value_unit(name: str) -> str | None:
    """Unit of a population parameter: a cell parameter's or a protocol field's."""
    head, _, field = name.rpartition(".")
    if head.startswith("protocol["):
        return EVENT_UNITS.get(field)
    return parameter_unit(name)


def _population(data: Any) -> PopulationSpec:
    """The [population] table, its quantities converted to internal units."""
    if not isinstance(data, dict):
        raise SpecError("population", data, "a table: cells, seed, start, threads, "
                                            "[population.parameters], [population.sweep]")
    for key, value in data.items():
        if key not in POPULATION_KEYS:
            raise SpecError(f"population.{key}", value, "one of " + ", ".join(POPULATION_KEYS))
    tables = {}
    for part, numeric in (("parameters", ("mean", "sd", "low", "high")),
                          ("sweep", ("start", "stop"))):
        table = data.get(part, {})
        if not isinstance(table, dict):
            raise SpecError(f"population.{part}", table, "a table of parameter names")
        out = {}
        for name, spec in table.items():
            unit = _value_unit(name) or "1"
            field = f"population.{part}['{name}']"
            if isinstance(spec, dict):
                # a spread is a difference: "1 K" of sd is 1 degC, not -272.15
                spread = "delta_degC" if unit == "degC" else unit
                spec = {k: (parse_quantity(v, spread if k == "sd" else unit, f"{field}.{k}")
                            if k in numeric else v) for k, v in spec.items()}
                if isinstance(spec.get("values"), list):
                    spec["values"] = [parse_quantity(v, unit, f"{field}.values[{i}]")
                                      for i, v in enumerate(spec["values"])]
            elif isinstance(spec, list):
                spec = [parse_quantity(v, unit, f"{field}[{i}]") for i, v in enumerate(spec)]
            out[name] = spec
        tables[part] = out
    pop = PopulationSpec(cells=data.get("cells"), parameters=tables["parameters"],
                         sweep=tables["sweep"], seed=data.get("seed"),
                         start=data.get("start", "stored"), threads=data.get("threads"))
    if pop.seed is not None and (isinstance(pop.seed, bool) or not isinstance(pop.seed, int)
                                 or pop.seed < 0):
        raise SpecError("population.seed", pop.seed, "a whole number ≥ 0")
    pop.draw()  # check the distributions now, where the file's keys are known
    return pop


@dataclass(frozen=True)
class AxonScenario:
    """An axon preset, how long to run it, what happens where and when (Along for a
    stretch: an event's `along = [start, stop]` in a file), the fixed step and recording."""

    axon: Any  # model.axon.AxonSpec
    duration: float  # ms
    protocol: tuple = ()
    dt: float = 0.002  # ms
    scheme: str = "strang"
    threshold: float = 0.0  # mV
    record: tuple[str, ...] | None = None
    record_interval: float | None = None  # ms
    source: dict[str, Any] = dataclasses.field(default_factory=dict)  # the plain data
    method: str = "fixed"

    def run(self, progress: Callable[[float, float], None] | None = None,
            output: str | os.PathLike | None = None, overwrite: bool = False,
            initial: xr.Dataset | None = None, join: bool = False) -> xr.Dataset:
        """Simulate (progress is not reported: axon runs are short); with output, also
        write the result to that NetCDF file (checked before the run)."""
        if initial is not None:
            raise SpecError("initial", "an axon", "a single-cell run (axons do not continue "
                                                  "from a result yet)")
        from nakpump.axon import simulate_axon
        from nakpump.storage import NETCDF_SUFFIXES, check_output_path, save_netcdf

        if output is not None:
            check_output_path(output, overwrite=overwrite, suffixes=NETCDF_SUFFIXES)
        ds = simulate_axon(self.axon, self.duration, self.protocol, dt=self.dt,
                           scheme=self.scheme, record=self.record,
                           record_interval=self.record_interval, threshold=self.threshold,
                           scenario=json.dumps(self.to_dict()))
        if output is not None:
            save_netcdf(ds, output, overwrite=overwrite)
        return ds

    def to_dict(self) -> dict[str, Any]:
        """The plain data it was read from; scenario_from_dict(to_dict()) rebuilds it."""
        return self.source


AXON_KEYS = ("preset", "parameters", "duration", "dt", "scheme", "threshold", "record",
             "events")


def _axon_scenario(data: dict[str, Any]) -> AxonScenario:
    """A scenario whose preset is an axon (model.axon.AXON_PRESETS)."""
    from nakpump.axon import Along
    from nakpump.model.axon import axon_preset

    for key, value in data.items():
        if key not in AXON_KEYS:
            raise SpecError(key, value, "a key of an axon scenario: " + ", ".join(AXON_KEYS))
    protocol = []
    for i, ev in enumerate(_event_tables(data)):
        if not (isinstance(ev, dict) and "along" in ev):
            protocol.append(_event(i, ev))
            continue
        along = ev["along"]
        if not isinstance(along, list) or len(along) != 2:
            raise SpecError(f"events[{i}].along", along, "[start, stop], e.g. ['1 mm', '2 mm']")
        x0, x1 = (parse_quantity(a, "um", f"events[{i}].along") for a in along)
        protocol.append(Along(_event(i, {k: v for k, v in ev.items() if k != "along"}), x0, x1))
    variables, interval = _record_table(data)
    return AxonScenario(
        axon=axon_preset(data["preset"], **_parameter_overrides(data)),
        duration=_duration(data), protocol=tuple(protocol),
        dt=parse_quantity(data.get("dt", 0.002), "ms", "dt"),
        scheme=data.get("scheme", "strang"),
        threshold=parse_quantity(data.get("threshold", 0.0), "mV", "threshold"),
        record=variables, record_interval=interval, source=data)


def _parameter_overrides(data: dict[str, Any]) -> dict[str, Any]:
    """The [parameters] table: dotted names → values in internal units."""
    params = data.get("parameters", {})
    if not isinstance(params, dict):
        raise SpecError("parameters", params, "a table of dotted parameter names and values")
    for name in ("v_rest", "published"):
        if name in params:
            raise SpecError(f"parameters.{name}", params[name], f"a top-level key ({name} = "
                                                                f"…), not a parameter")
    return {name: value if parameter_unit(name) is None
            else parse_quantity(value, parameter_unit(name), f"parameters.{name}")
            for name, value in params.items()}


def _record_table(data: dict[str, Any]) -> tuple[tuple[str, ...] | None, float | None]:
    """The [record] table: (variable names or None, interval in ms or None)."""
    record = data.get("record", {})
    if not isinstance(record, dict) or set(record) - {"variables", "interval"}:
        raise SpecError("record", record, "a table with 'variables' and/or 'interval'")
    variables = record.get("variables")
    if variables is not None and (not isinstance(variables, list)
                                  or not all(isinstance(v, str) for v in variables)):
        raise SpecError("record.variables", variables, "a list of variable names")
    interval = record.get("interval")
    return (None if variables is None else tuple(variables),
            None if interval is None else parse_quantity(interval, "ms", "record.interval"))


def _event_tables(data: dict[str, Any]) -> list:
    events = data.get("events", [])
    if not isinstance(events, list):
        raise SpecError("events", events, "a list of event tables ([[events]] in TOML)")
    return events


def _duration(data: dict[str, Any]) -> float:
    if "duration" not in data:
        raise SpecError("duration", None, "a run length, e.g. '2 s'")
    return parse_quantity(data["duration"], "ms", "duration")


def _mechanism_files(cell: CellSpec) -> dict[str, list[str]]:
    """{"mechanisms": [file]} for a cell whose pump a user's file declares, else {}."""
    if cell.pump is None or cell.pump.mechanism.origin == "built-in":
        return {}
    return {"mechanisms": [os.path.abspath(cell.pump.mechanism.origin)]}


def _load_mechanism_files(data: dict[str, Any], base: str | os.PathLike | None) -> None:
    files = data.get("mechanisms", [])
    if isinstance(files, str) or not isinstance(files, list):
        raise SpecError("mechanisms", files, "a list of Python files, e.g. ['my_pump.py']")
    for i, name in enumerate(files):
        if not isinstance(name, str):
            raise SpecError(f"mechanisms[{i}]", name, "a path to a Python file")
        path = name if base is None else os.path.join(base, os.path.expanduser(name))
        load_mechanisms(path)


def scenario_from_dict(data: dict[str, Any], base: str | os.PathLike | None = None
                       ) -> Scenario | AxonScenario:
    """Validate plain data (from TOML or a saved result) into a Scenario. Relative paths
    of `mechanisms` files are taken from the directory `base` (the scenario file's)."""
    if not isinstance(data, dict):
        raise SpecError("scenario", data, "a table of settings")
    _load_mechanism_files(data, base)
    from nakpump.model.axon import AXON_PRESETS

    if "preset" in data and not isinstance(data["preset"], str):
        raise SpecError("preset", data["preset"], "a preset's name (text), e.g. \"cortical\"")
    if data.get("preset") in AXON_PRESETS:
        return _axon_scenario(data)
    for key, value in data.items():
        if key not in TOP_KEYS:
            raise SpecError(key, value, "a scenario key: " + ", ".join(TOP_KEYS))
    if ("preset" in data) == ("cell" in data):
        raise SpecError("preset", data.get("preset"), "exactly one of 'preset' or 'cell'")
    overrides = _parameter_overrides(data)
    if "preset" in data:
        v_rest = data.get("v_rest")
        if v_rest is not None:
            v_rest = parse_quantity(v_rest, "mV", "v_rest")
        published = data.get("published", False)
        if not isinstance(published, bool):
            raise SpecError("published", published, "true or false")
        cell = preset(data["preset"], v_rest=v_rest, published=published, **overrides)
    else:
        if "published" in data:
            raise SpecError("published", data["published"], "only together with 'preset'")
        cell = spec_from_dict(data["cell"])
        if overrides:
            cell = cell.replace(**overrides)
    duration = _duration(data)
    variables, interval = _record_table(data)
    events = _event_tables(data)
    population = None if data.get("population") is None else _population(data["population"])
    if population is not None and data.get("method", "auto") not in ("auto", "fixed"):
        raise SpecError("method", data["method"], "'fixed' (or 'auto') for a population")
    return Scenario(
        cell=cell,
        duration=duration,
        protocol=tuple(_event(i, ev) for i, ev in enumerate(events)),
        method=data.get("method", "auto"),
        scheme=data.get("scheme", "strang"),
        dt=parse_quantity(data.get("dt", 0.025), "ms", "dt"),
        solver=data.get("solver", "LSODA"),
        rtol=None if data.get("rtol") is None else parse_quantity(data["rtol"], "1", "rtol"),
        atol=None if data.get("atol") is None else parse_quantity(data["atol"], "1", "atol"),
        h_max=parse_quantity(data.get("h_max", 50.0), "ms", "h_max"),
        threshold=parse_quantity(data.get("threshold", 0.0), "mV", "threshold"),
        record=variables,
        record_interval=interval,
        population=population,
    )


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read a TOML scenario file; errors name the file and the offending key."""
    if os.path.exists(path) and not os.path.isfile(path):  # a FIFO or device never ends
        raise SpecError("scenario", str(path), "a TOML file (a regular file, not a directory "
                                               "or device)")
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SpecError("scenario", str(path), "an existing TOML file") from None
    except UnicodeDecodeError:
        raise SpecError("scenario", str(path), "a TOML text file in UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError("scenario", str(path), f"valid TOML ({exc})") from None
    except RecursionError:
        raise SpecError("scenario", str(path), "TOML nested to a sane depth") from None
    return scenario_from_dict(data, base=os.path.dirname(os.path.abspath(path)))


def scenario_of_result(ds: xr.Dataset) -> Scenario:
    """The scenario a saved result was made from."""
    if "scenario" not in ds.attrs:
        raise SpecError("result", ds.attrs.get("title"), "a result written by 'nakpump run'")
    try:
        data = json.loads(ds.attrs["scenario"])
    except (TypeError, ValueError, RecursionError):
        raise SpecError("result's scenario attribute", ds.attrs["scenario"],
                        "the JSON scenario 'nakpump run' wrote") from None
    return scenario_from_dict(data)
