"""The Na+/K+-ATPase: what one turnover implies (the forms are in mechanisms/pumps/).

Every pump form returns one number, the turnover `pump_rate` in cycles per
second per µm² of membrane. One cycle moves 3 Na+ out and 2 K+ in and
hydrolyses 1 ATP (net +1 e outward), so the pump's current, its Na+ and K+
fluxes and its ATP use are all derived from that rate and never set apart.
Concentrations in mM, voltages in mV, rt_f = RT/F in mV.
"""

from __future__ import annotations

from nakpump._jit import jit
from nakpump.units import AVOGADRO, CYCLE_TO_UA_CM2, FARADAY

NA_PER_CYCLE = 3.0  # Na+ moved out per cycle
K_PER_CYCLE = 2.0  # K+ moved in per cycle
ATP_PER_CYCLE = 1.0  # ATP hydrolysed per cycle


@jit
def atp_factor(atp: float, km_atp: float, atp_normal: float) -> float:
    """Pump activity relative to the normal ATP level (dimensionless).

    Michaelis–Menten in [ATP] (mM), normalised so that it is 1 at atp_normal:
    [ATP]/([ATP] + K_m) · (atp_normal + K_m)/atp_normal. 0 without ATP.
    """
    return atp * (atp_normal + km_atp) / ((atp + km_atp) * atp_normal)


@jit
def pump_current(pump_rate: float) -> float:
    """Outward pump current density (µA/cm²): +1 e per cycle, 1.602e-5 µA/cm² per cycle/s/µm²."""
    return pump_rate * CYCLE_TO_UA_CM2


@jit
def pump_rate_from_current(i_pump: float) -> float:
    """Turnover (cycles/s/µm²) that carries the given pump current (µA/cm²)."""
    return i_pump / CYCLE_TO_UA_CM2


def pump_fluxes(pump_rate: float) -> dict[str, float]:
    """Na+ efflux, K+ influx and ATP use (pmol/(s·cm²)) of a turnover in cycles/s/µm².

    1 cycle/s/µm² = 1e8 cycles/s/cm² = 1e8/N_A mol/s/cm² = 1.6605e-4 pmol/(s·cm²).
    """
    per_cycle = 1e8 / AVOGADRO * 1e12
    return {
        "na_efflux": NA_PER_CYCLE * pump_rate * per_cycle,
        "k_influx": K_PER_CYCLE * pump_rate * per_cycle,
        "atp_use": ATP_PER_CYCLE * pump_rate * per_cycle,
    }


@jit
def pump_reversal(e_na: float, e_k: float, dg_atp: float) -> float:
    """Thermodynamic reversal potential of the pump (mV): 3E_Na − 2E_K + ΔG_ATP/F.

    dg_atp is the free energy of ATP hydrolysis in kJ/mol (negative, about −50
    to −60); ΔG/F in mV is dg_atp·1e3 J/mol / F · 1e3. Above this voltage the
    cycle runs forward (derived from the cycle's free-energy balance).
    """
    return NA_PER_CYCLE * e_na - K_PER_CYCLE * e_k + dg_atp * 1e6 / FARADAY
