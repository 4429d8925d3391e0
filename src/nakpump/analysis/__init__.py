"""Reading results: spikes and AP shape (traces), Na+ load and ATP cost (energetics),
seizure-like bursts and spreading depolarisation (tissue)."""

from nakpump.analysis.energetics import (
    AtpBudget,
    SpikeCost,
    atp_budget,
    excess_charge,
    na_entry,
    pump_recovery,
    spike_cost,
)
from nakpump.analysis.tissue import (
    Bursts,
    SpreadingDepolarisations,
    bursts_of,
    detect_bursts,
    detect_sd,
    sd_of,
    volume_change,
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
    "AtpBudget",
    "atp_budget",
    "Bursts",
    "SpreadingDepolarisations",
    "bursts_of",
    "detect_bursts",
    "detect_sd",
    "sd_of",
    "volume_change",
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
