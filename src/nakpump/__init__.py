"""nakpump: neuronal ion homeostasis and excitability with the Na+/K+-ATPase at its heart.

Units throughout: ms, mV, mM, µA/cm² (outward positive), mS/cm², µF/cm², µm.

>>> import nakpump as nk
>>> cell = nk.preset("cortical")
>>> rest = nk.resting_state(cell)                       # pump–leak balance
>>> ds = nk.simulate(cell, 1000.0, [nk.Stimulus(amplitude=3.0, start=100.0, stop=900.0)])
"""

__version__ = "0.1.0"

from nakpump.errors import SpecError
from nakpump.mechanisms import Param, load_mechanisms, pump
from nakpump.model.presets import PRESETS, preset
from nakpump.model.spec import (
    Bath,
    CellSpec,
    Channels,
    Cotransport,
    Glia,
    Ions,
    KagerPump,
    Leak,
    LuoRudyPump,
    Metabolism,
    Oxygen,
    ReversiblePump,
    SigmoidPump,
    VolumeLaw,
    pump_class,
)
from nakpump.population import simulate_population
from nakpump.protocols import (
    AtpChange,
    BathChange,
    MetabolicBlock,
    Ouabain,
    OxygenChange,
    PotassiumPuff,
    PulseTrain,
    PumpBlock,
    Stimulus,
    VoltageClamp,
)
from nakpump.results import conservation
from nakpump.simulate import simulate
from nakpump.steady import (
    RestingState,
    SteadyStateError,
    balance_impermeants,
    calibrate_leaks,
    resting_state,
)

__all__ = [
    "PRESETS",
    "AtpChange",
    "Bath",
    "BathChange",
    "CellSpec",
    "Channels",
    "Cotransport",
    "Glia",
    "Ions",
    "KagerPump",
    "Leak",
    "LuoRudyPump",
    "MetabolicBlock",
    "Ouabain",
    "Metabolism",
    "Oxygen",
    "OxygenChange",
    "Param",
    "PotassiumPuff",
    "PulseTrain",
    "PumpBlock",
    "ReversiblePump",
    "RestingState",
    "SigmoidPump",
    "SpecError",
    "SteadyStateError",
    "Stimulus",
    "VoltageClamp",
    "VolumeLaw",
    "__version__",
    "balance_impermeants",
    "calibrate_leaks",
    "conservation",
    "load_mechanisms",
    "preset",
    "pump",
    "pump_class",
    "resting_state",
    "simulate",
    "simulate_population",
]
