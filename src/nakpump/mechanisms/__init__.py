"""Mechanisms: a pump is one file (see mechanisms/pumps/ and README "Write your own pump").

A pump file declares its parameters (default, unit, range, meaning, source) and one pure
rate function with the `pump` decorator; `load_mechanisms(path)` brings a user's file in,
after which its pump works wherever a built-in does (CellSpec, presets' overrides,
single cells, populations, axons, the rest solver, the CLI and scenario files).
"""

from nakpump.mechanisms.base import CELL_VARIABLES, Param, PumpMechanism, State
from nakpump.mechanisms.registry import PUMPS, _load_builtins, load_mechanisms, pump, pump_code

_load_builtins()  # after `pump` exists: the built-in files use it

__all__ = ["CELL_VARIABLES", "PUMPS", "Param", "PumpMechanism", "State", "load_mechanisms",
           "pump", "pump_code"]
