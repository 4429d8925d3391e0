"""Physical constants and the unit bridges nakpump uses, defined once.

Internal units (see design.md): time ms, voltage mV, concentration mM,
current density µA/cm² (outward positive), conductance mS/cm², capacitance
µF/cm², length µm, area µm², volume µm³, pump turnover cycles/s/µm².
Every conversion between them lives here, with its derivation.
"""

from __future__ import annotations

import math

# 2019 SI exact values / CODATA 2018.
FARADAY = 96485.33212  # C/mol
GAS_CONSTANT = 8.314462618  # J/(mol·K)
ELEMENTARY_CHARGE = 1.602176634e-19  # C
AVOGADRO = 6.02214076e23  # 1/mol
ZERO_CELSIUS = 273.15  # K

# One pump cycle per second per µm² moves +1 e outward:
# 1.602176634e-19 C/s / 1e-8 cm² = 1.602176634e-11 A/cm² = 1.602176634e-5 µA/cm².
CYCLE_TO_UA_CM2 = ELEMENTARY_CHARGE / 1e-8 * 1e6  # (µA/cm²) per (cycle/s/µm²)

# A membrane current density I (µA/cm²) flowing through area A (µm²) for 1 ms
# carries I·A·1e-6 A·1e-8 cm²/µm²·1e-3 s = I·A·1e-17 C = I·A·1e-17/F mol
# = I·A·10/F amol; 1 amol in 1 µm³ is 1 mM (1e-18 mol / 1e-15 L).
AMOL_PER_UA_CM2_MS_UM2 = 10.0 / FARADAY  # amol per (µA/cm² · ms · µm²)


def celsius_to_kelvin(temp_c: float) -> float:
    """Temperature in K from °C."""
    return temp_c + ZERO_CELSIUS


def rt_over_f(temp_k: float) -> float:
    """Thermal voltage RT/F (mV) at temp_k (K); 26.7267 mV at 310.15 K."""
    return GAS_CONSTANT * temp_k / FARADAY * 1e3


def temp_c_for_rt_over_f(rt_f: float) -> float:
    """Temperature (°C) at which RT/F equals rt_f (mV).

    Models that hard-code RT/F = 26.64 mV (Cressman 2009, Hübel & Dahlem 2014)
    are reproduced at temp_c_for_rt_over_f(26.64) ≈ 35.99 °C.
    """
    return rt_f * 1e-3 * FARADAY / GAS_CONSTANT - ZERO_CELSIUS


def flux_factor(area_um2: float, volume_um3: float) -> float:
    """Concentration rate per unit outward current (mM/ms per µA/cm²).

    d[X]/dt = −flux_factor · I_X / z for a compartment of the given membrane
    area (µm²) and volume (µm³). For a 7 µm sphere: 4.442e-5 mM/ms
    (= 0.04442 mM/s, the γ of Cressman 2009).
    """
    return AMOL_PER_UA_CM2_MS_UM2 * area_um2 / volume_um3


def charge_to_voltage(area_um2: float, volume_um3: float, capacitance: float) -> float:
    """Membrane voltage per mM of net internal charge (mV/mM).

    ΔV = F·Vol·Σz·Δc / (C·A): with Vol/A in µm, c in mM (1e-6 mol/cm³) and
    C in µF/cm², ΔV[mV] = F·(Vol/A)·0.1/C·Σz·Δc. For a 7 µm sphere with
    C = 1 µF/cm² this is 22 513 mV/mM (4.4 µM per 100 mV).
    """
    return FARADAY * (volume_um3 / area_um2) * 0.1 / capacitance


def sphere(radius_um: float) -> tuple[float, float]:
    """(area µm², volume µm³) of a sphere of the given radius (µm)."""
    return 4.0 * math.pi * radius_um**2, 4.0 / 3.0 * math.pi * radius_um**3


def cylinder(radius_um: float, length_um: float) -> tuple[float, float]:
    """(side area µm², volume µm³) of a cylinder; ends are not membrane."""
    return 2.0 * math.pi * radius_um * length_um, math.pi * radius_um**2 * length_um


def nc_cm2_to_pmol_cm2(charge_nc_cm2: float) -> float:
    """Monovalent ion amount (pmol/cm²) carrying the given charge (nC/cm²)."""
    return charge_nc_cm2 * 1e-9 / FARADAY * 1e12


def pump_rate_from_current_ua(i_pump: float) -> float:
    """Pump turnover (cycles/s/µm²) equivalent to a pump current (µA/cm²)."""
    return i_pump / CYCLE_TO_UA_CM2
