"""Reading results: spikes and AP shape (traces), Na+ load and ATP cost (energetics)."""

from nakpump.analysis.energetics import (
    SpikeCost,
    excess_charge,
    na_entry,
    pump_recovery,
    spike_cost,
)
from nakpump.analysis.traces import (
    APFeatures,
    RecoveryFit,
    ap_features,
    ap_features_all,
    firing_rate,
    fit_exponential_recovery,
    spike_times,
    steady_rate_from_isis,
)

__all__ = [
    "APFeatures",
    "RecoveryFit",
    "SpikeCost",
    "ap_features",
    "ap_features_all",
    "excess_charge",
    "firing_rate",
    "fit_exponential_recovery",
    "na_entry",
    "pump_recovery",
    "spike_cost",
    "spike_times",
    "steady_rate_from_isis",
]
