"""What the extracellular space exchanges besides the cell: glia and a bath.

Rates are of the extracellular concentration (mM/ms), positive when K+ (or
the ion) leaves the extracellular space. Sources: Cressman et al. (2009) for
the sigmoid glial uptake and the diffusion to a bath; Hübel & Dahlem (2014)
for the glial buffer (references.md §2.1, §4.1).
"""

from __future__ import annotations

import math

from nakpump._jit import jit


@jit
def glial_uptake(k_o: float, uptake_max: float, k_half: float, k_slope: float) -> float:
    """Glial K+ uptake (mM/ms): uptake_max/(1 + e^((k_half − [K]o)/k_slope)); concentrations in mM.

    Cressman et al. (2009): G_glia = 66 mM/s, k_half 18 mM, k_slope 2.5 mM.
    """
    return uptake_max / (1.0 + math.exp((k_half - k_o) / k_slope))


@jit
def buffer_binding(k_o: float, bound: float, total: float, k_off: float, k_half: float,
                   k_slope: float) -> float:
    """Net K+ binding to the glial buffer (mM/ms): k_on·[K]o·(total − bound) − k_off·bound.

    k_on = k_off/(1 + e^((k_half − [K]o)/k_slope)) per mM (Hübel & Dahlem 2014:
    k_off = k1 = 5e-8/ms, total B0 = 500 mM, k_half K_cr = 15 mM, k_slope 1.09 mM).
    bound and total in mM of extracellular volume.
    """
    k_on = k_off / (1.0 + math.exp((k_half - k_o) / k_slope))
    return k_on * k_o * (total - bound) - k_off * bound


@jit
def bath_exchange(c_o: float, c_bath: float, rate: float) -> float:
    """Diffusive loss to the bath (mM/ms): rate·([X]o − [X]bath); rate in 1/ms."""
    return rate * (c_o - c_bath)
