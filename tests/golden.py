"""Golden runs: every preset under one fixed protocol, by the fixed and adaptive methods.

The mechanisms redesign (issue 18) must not change what any preset computes. These runs
were recorded with the engine before it (commit 3ee81c2; `python tests/golden.py` rewrites
tests/data/golden.json: do that only for a change of physics that is meant, and say so in
the commit). test_golden.py compares every run with the recording.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

import nakpump as nk

PATH = pathlib.Path(__file__).parent / "data" / "golden.json"
DURATION = 300.0  # ms
METHODS = {"fixed": {"method": "fixed", "dt": 0.025},
           "adaptive": {"method": "adaptive", "rtol": 1e-10}}


def protocol(cell) -> list:
    """A spike train, a partial pump block, an ATP fall and a K+ rise outside (a bath
    change, or a puff into a closed outside without a bath), overlapping."""
    events = [nk.Stimulus(amplitude=12.0, start=20.0, stop=70.0),
              nk.PumpBlock(fraction=0.6, start=90.0, stop=180.0),
              nk.AtpChange(atp=1.0, start=150.0, stop=250.0)]
    if cell.closed and cell.bath is None:
        return events + [nk.PotassiumPuff(k_o=4.0, start=200.0, stop=220.0)]
    return events + [nk.BathChange(k_o=8.0, start=200.0)]


def state_names(ds) -> list[str]:
    return [n for n in ds.data_vars if ds[n].dims == ("time",)]


def run(name: str, method: str) -> dict:
    """Final state (by name) and spike times (ms) of a preset's golden run."""
    from nakpump.engine.layout import STATE_NAMES

    record = [n for n in STATE_NAMES if not n.startswith("_")]
    cell = nk.preset(name)
    ds = nk.simulate(cell, DURATION, protocol(cell), record=record,
                     record_interval=DURATION, **METHODS[method])
    return {"final": {n: float(ds[n].values[-1]) for n in record},
            "spikes": [float(t) for t in np.asarray(ds["spike_time"].values)]}


def record_all() -> dict:
    return {name: {method: run(name, method) for method in METHODS} for name in nk.PRESETS}


if __name__ == "__main__":
    PATH.write_text(json.dumps(record_all(), indent=1) + "\n")
    print("wrote", PATH)
