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


# --- Wei, Ullah & Schiff (2014) (references.md §3.1) ------------------------------------


@jit
def sigmoid_rise(x: float, half: float, slope: float) -> float:
    """1/(1 + e^((half − x)/slope)): 0 well below half, 1 well above (x, half, slope in one unit).

    Wei 2014 uses it for the pumps' O2 dependence (half 20, slope 3 mg/L) and for the
    failure of glia and diffusion in a hypoxic bath (half 2.5, slope 0.2 mg/L).
    """
    return 1.0 / (1.0 + math.exp((half - x) / slope))


@jit
def kcc2_flux(k_i: float, cl_i: float, k_o: float, cl_o: float, u: float) -> float:
    """K+–Cl− cotransport out of the cell (mM/ms of cell volume): u·ln([K]i[Cl]i/([K]o[Cl]o)).

    u in mM/ms (Wei 2014: 0.3 mM/s); concentrations in mM; one K+ and one Cl− per turn.
    """
    return u * math.log((k_i * cl_i) / (k_o * cl_o))


@jit
def nkcc1_flux(na_i: float, k_i: float, cl_i: float, na_o: float, k_o: float, cl_o: float,
               u: float, k_half: float) -> float:
    """Na+–K+–2Cl− cotransport out of the cell (mM/ms of cell volume; negative = inward).

    u/(1 + e^(k_half − [K]o))·[ln([K]i[Cl]i/([K]o[Cl]o)) + ln([Na]i[Cl]i/([Na]o[Cl]o))]
    (Wei 2014: u = 0.1 mM/s, k_half 16 mM); one Na+, one K+, two Cl− per turn.
    """
    drive = math.log((k_i * cl_i) / (k_o * cl_o)) + math.log((na_i * cl_i) / (na_o * cl_o))
    return u / (1.0 + math.exp(k_half - k_o)) * drive


@jit
def volume_target(pi_i: float, pi_o: float, swell_max: float, scale: float) -> float:
    """The volume (relative to the initial) the cell relaxes to at these osmolarities (mM):
    1 + swell_max·(1 − e^((π_o − π_i)/scale)) (Wei 2014: swell_max 0.1029, scale 20 mM)."""
    return 1.0 + swell_max * (1.0 - math.exp((pi_o - pi_i) / scale))
