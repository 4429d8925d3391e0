"""Per-cell parameter values for a population: seeded distributions and sweep grids.

A distribution is a table {dist = "normal" | "lognormal" | "uniform", …} of
numbers already in nakpump's units (scenario.py converts units first):

    normal     mean, sd            (values may come out negative: such a cell is
                                    refused by name and index when it is built)
    lognormal  mean, sd            (of the values themselves; always positive)
    uniform    low, high
    values     a list of n numbers, taken as given

A sweep is a grid: each name → a list of values, or {start, stop, num}
(evenly spaced, both ends included). Cells are laid out over the grid's
points in order (the last name varying fastest), each point repeated
n / points times. Everything is drawn from one numpy Generator seeded with
`seed`, names in sorted order, so a scenario reproduces its cells.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from nakpump.errors import SpecError

DISTRIBUTIONS = {"normal": ("mean", "sd"), "lognormal": ("mean", "sd"),
                 "uniform": ("low", "high"), "values": ("values",)}


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SpecError(field, value, "a finite number")
    return float(value)


def draw(name: str, spec: Mapping[str, Any], n: int, rng: np.random.Generator) -> np.ndarray:
    """n values of parameter `name` from the distribution table spec."""
    field = f"population.parameters['{name}']"
    if not isinstance(spec, Mapping) or spec.get("dist") not in DISTRIBUTIONS:
        raise SpecError(f"{field}.dist", spec.get("dist") if isinstance(spec, Mapping) else spec,
                        "one of " + ", ".join(DISTRIBUTIONS))
    kind = spec["dist"]
    keys = DISTRIBUTIONS[kind]
    extra = set(spec) - {"dist", *keys}
    if extra or any(k not in spec for k in keys):
        raise SpecError(field, dict(spec), f"a '{kind}' distribution needs exactly "
                                           + ", ".join(keys))
    if kind == "values":
        values = spec["values"]
        if not isinstance(values, (list, tuple, np.ndarray)) or len(values) != n:
            raise SpecError(f"{field}.values", values, f"a list of {n} numbers (one per cell)")
        return np.array([_number(f"{field}.values[{i}]", v) for i, v in enumerate(values)])
    a, b = (_number(f"{field}.{k}", spec[k]) for k in keys)
    if kind == "normal":
        if b < 0:
            raise SpecError(f"{field}.sd", b, "≥ 0")
        return rng.normal(a, b, n)
    if kind == "lognormal":
        if a <= 0 or b < 0:
            raise SpecError(field, dict(spec), "mean > 0 and sd ≥ 0 (of the values)")
        sigma2 = math.log1p((b / a) ** 2)  # moments of the values → those of their log
        return rng.lognormal(math.log(a) - 0.5 * sigma2, math.sqrt(sigma2), n)
    if b < a:
        raise SpecError(f"{field}.high", b, f"≥ low ({a:g})")
    return rng.uniform(a, b, n)


def grid_axis(name: str, spec: Any) -> np.ndarray:
    """The values of one sweep axis: a list, or {start, stop, num}."""
    field = f"population.sweep['{name}']"
    if isinstance(spec, Mapping):
        if set(spec) != {"start", "stop", "num"}:
            raise SpecError(field, dict(spec), "a list of values or {start, stop, num}")
        num = spec["num"]
        if isinstance(num, bool) or not isinstance(num, int) or not 1 <= num <= MAX_CELLS:
            raise SpecError(f"{field}.num", num, f"a whole number from 1 to {MAX_CELLS:.0e}")
        return np.linspace(_number(f"{field}.start", spec["start"]),
                           _number(f"{field}.stop", spec["stop"]), num)
    if not isinstance(spec, (list, tuple)) or not spec:
        raise SpecError(field, spec, "a non-empty list of values or {start, stop, num}")
    return np.array([_number(f"{field}[{i}]", v) for i, v in enumerate(spec)])


MAX_CELLS = 10**9  # a population's state alone is then ~1 TB


def population_parameters(n: int | None, distributions: Mapping[str, Any],
                          sweep: Mapping[str, Any], seed: int | None
                          ) -> tuple[int, dict[str, np.ndarray]]:
    """(n, per-cell values) from distributions and a sweep grid; n defaults to the grid."""
    axes = {name: grid_axis(name, spec) for name, spec in sweep.items()}
    points = math.prod(a.size for a in axes.values()) if axes else 1
    if points > MAX_CELLS:
        raise SpecError("population.sweep", f"{points} points", f"a grid of at most "
                                                               f"{MAX_CELLS:.0e} points")
    if n is None:
        if not axes:
            raise SpecError("population.cells", n, "a number of cells ≥ 1 (or a sweep)")
        n = points
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SpecError("population.cells", n, "a whole number of cells ≥ 1")
    if n % points:
        raise SpecError("population.cells", n, f"a multiple of the sweep's {points} points")
    both = set(axes) & set(distributions)
    if both:
        raise SpecError("population.sweep", sorted(both), "names not also given a distribution")
    out: dict[str, np.ndarray] = {}
    if axes:
        grid = np.array(list(itertools.product(*axes.values())))  # last name fastest
        for j, name in enumerate(axes):
            out[name] = np.repeat(grid[:, j], n // points)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise SpecError("population.seed", seed, "a whole number ≥ 0 (or none)")
    if n > MAX_CELLS:
        raise SpecError("population.cells", n, f"at most {MAX_CELLS:.0e} cells in one run")
    rng = np.random.default_rng(seed)
    for name in sorted(distributions):
        out[name] = draw(name, distributions[name], n, rng)
    return n, out
