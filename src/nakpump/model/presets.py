"""Named cells with their sources: data, plus the resting potential some are calibrated to.

Each preset is a CellSpec whose every number carries its source (see
../shared/references.md for the provenance marks [code]/[abs]/[sim]/[R]).
`preset(name)` builds the usable cell: it calibrates leaks where the preset
asks for a resting potential, balances impermeant anions (electroneutral,
isosmotic stored state), and moves the stored state to the resting state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nakpump.errors import SpecError
from nakpump.model.spec import CellSpec, Channels, Ions, KagerPump, Leak, SigmoidPump
from nakpump.units import (
    FARADAY,
    celsius_to_kelvin,
    cylinder,
    pump_rate_from_current_ua,
    rt_over_f,
    sphere,
    temp_c_for_rt_over_f,
)


@dataclass(frozen=True)
class Preset:
    """A named cell, and the rest it is calibrated to (None: taken as published)."""

    cell: CellSpec
    summary: str
    v_rest: float | None = None  # mV; calibrate leaks to rest here
    leak_total: float | None = None  # mS/cm² Na+ + K+ leak held while calibrating (pump scales)


# --- Hodgkin & Huxley (1952) squid giant axon -----------------------------------------
_HH_TEMP = 6.3  # °C, HH 1952's reference temperature
_HH_RT_F = rt_over_f(celsius_to_kelvin(_HH_TEMP))  # 24.0811 mV
_HH_NA_I, _HH_K_I = 50.0, 400.0  # mM, squid axoplasm (Hille-type values [R])
_HH_E_NA, _HH_E_K, _HH_E_L, _HH_G_L = 50.0, -77.0, -54.387, 0.3  # mV, mS/cm² (HH 1952)
# Outside chosen so that E_Na = +50 and E_K = −77 mV exactly at 6.3 °C (references §1.4).
_HH_IONS = Ions(na_i=_HH_NA_I, k_i=_HH_K_I, cl_i=40.0,
                na_o=_HH_NA_I * math.exp(_HH_E_NA / _HH_RT_F),  # 398.8 mM
                k_o=_HH_K_I * math.exp(_HH_E_K / _HH_RT_F),  # 16.35 mM
                cl_o=560.0)
# HH's one leak split by ion so that its reversal stays at E_L:
# g_NaL/g_L = (E_L − E_K)/(E_Na − E_K).
_HH_G_NA_LEAK = _HH_G_L * (_HH_E_L - _HH_E_K) / (_HH_E_NA - _HH_E_K)
_HH_CHANNELS = Channels(kind="hh", g_na=120.0, g_k=36.0, q10=3.0, temp_ref_c=_HH_TEMP)
_HH_AREA, _HH_VOLUME = cylinder(238.0, 1000.0)  # 1 mm of a 238 µm-radius axon (HH 1952)

HH_1952 = Preset(
    summary="Hodgkin–Huxley squid axon as published: fixed concentrations, no pump",
    cell=CellSpec(
        name="hh-1952",
        description="The Hodgkin–Huxley (1952) membrane: g_Na 120, g_K 36, g_L 0.3 mS/cm², "
                    "E_Na +50, E_K −77, E_L −54.387 mV, 6.3 °C; the leak is split into Na+ "
                    "and K+ parts with the same combined reversal; concentrations held fixed.",
        source="Hodgkin & Huxley (1952) J Physiol 117:500, eqs. 26 and Table 3; "
               "modern sign convention (references.md §1.1)",
        temp_c=_HH_TEMP, capacitance=1.0, area=_HH_AREA, volume=_HH_VOLUME,
        ions=_HH_IONS, v_init=-65.0, channels=_HH_CHANNELS,
        leak=Leak(g_na=_HH_G_NA_LEAK, g_k=_HH_G_L - _HH_G_NA_LEAK, g_cl=0.0),
        pump=None, concentrations="fixed",
    ),
)

HH_SQUID = Preset(
    summary="HH channels in a squid axon that counts its ions, with a Na+/K+ pump",
    v_rest=-65.0, leak_total=_HH_G_L,
    cell=CellSpec(
        name="hh-squid",
        description="HH 1952 channels in 1 mm of a 238 µm-radius squid axon with dynamic "
                    "concentrations and a Kager-type pump; Na+ and K+ leaks and pump "
                    "capacity calibrated so that rest is −65.0 mV with HH's total leak "
                    "conductance (0.3 mS/cm²).",
        source="Hodgkin & Huxley (1952); pump form Kager, Wadman & Somjen (2000) "
               "J Neurophysiol 84:495; squid concentrations Hille (2001) [R]",
        temp_c=_HH_TEMP, capacitance=1.0, area=_HH_AREA, volume=_HH_VOLUME,
        ions=_HH_IONS, v_init=-65.0, channels=_HH_CHANNELS,
        leak=Leak(g_na=_HH_G_NA_LEAK, g_k=_HH_G_L - _HH_G_NA_LEAK, g_cl=0.0),
        pump=KagerPump(rate_max=1e5, temp_ref_c=_HH_TEMP),  # scaled by calibration
    ),
)

# --- A mammalian cortical neuron ------------------------------------------------------
_CORTICAL_AREA, _CORTICAL_VOLUME = sphere(7.0)  # r = 7 µm soma (Cressman 2009, Wei 2014 [code])

CORTICAL = Preset(
    summary="Mammalian cortical pyramidal soma at 37 °C, Kager pump, rest −70 mV",
    v_rest=-70.0,
    cell=CellSpec(
        name="cortical",
        description=(
            "Regular-spiking cortical neuron soma (sphere, r = 7 µm) at 37 °C in a bath. "
            "Channels: Pospischil et al. (2008) RS cell (Traub–Miles Na+ and K+ with "
            "V_T = −56.2 mV, g_Na 56, g_Kd 6, M-current g_M 0.075 mS/cm², τ_max 608 ms; "
            "rates given at 36 °C, Q10 3). Concentrations: Na+ 12/145, K+ 140/4, "
            "Cl− at equilibrium/130 mM. Kager pump with I_max 13 µA/cm²; the Na+ and K+ "
            "leaks are solved so that the cell rests at −70 mV (pump–leak balance); "
            "Cl− leak 0.01 mS/cm²."
        ),
        source=(
            "Channels: Pospischil et al. (2008) Biol Cybern 99:427 (RS cell). Pump form: "
            "Kager, Wadman & Somjen (2000) J Neurophysiol 84:495 (K_mNa 7.7, K_mK 2 mM); "
            "I_max 0.013 mA/cm² as in ModelDB 222321 nakpump.mod [code]. Geometry and "
            "[Cl]o: Cressman et al. (2009); Wei et al. (2014) [code]. [K]o 4, [Na]o 145, "
            "[K]i 140, [Na]i 12 mM and V_rest −70 mV: textbook mammalian values [R]."
        ),
        temp_c=37.0, capacitance=1.0, area=_CORTICAL_AREA, volume=_CORTICAL_VOLUME,
        ions=Ions(na_i=12.0, k_i=140.0, cl_i=9.5, na_o=145.0, k_o=4.0, cl_o=130.0),
        v_init=-70.0,
        channels=Channels(kind="traub", g_na=56.0, g_k=6.0, g_m=0.075, tau_m_max=608.0,
                          vt=-56.2, q10=3.0, temp_ref_c=36.0),
        leak=Leak(g_na=0.03, g_k=0.1, g_cl=0.01),  # Na+, K+ replaced by calibration
        pump=KagerPump(rate_max=pump_rate_from_current_ua(13.0), km_na=7.7, km_k=2.0,
                       temp_ref_c=37.0),
    ),
)

# --- Hübel & Dahlem (2014), closed cell ---------------------------------------------------
_HD_CONV = 9.55589e-05  # (mM·vol)/(µA/cm²·ms) in the XPP file, vol in 1000 µm³
_HD_VOL_I, _HD_VOL_E = 2160.0, 720.0  # µm³ (vol_i 2.16, vol_e 0.72 in the file)

HUEBEL_DAHLEM_2014 = Preset(
    summary="Hübel & Dahlem (2014) closed single cell (fixed extracellular volume, ratio 3)",
    cell=CellSpec(
        name="huebel-dahlem-2014",
        description=(
            "The closed neuron of Hübel & Dahlem (2014): Cressman-type channels with "
            "instantaneous m and h = h(n), φ = 3; Na+, K+, Cl− leaks; sigmoid pump of "
            "6.8 µA/cm² maximum; extracellular volume a third of the cell's; RT/F = 26.64 mV. "
            "Glial buffer and bath coupling come with the tissue-scale model."
        ),
        source="Hübel & Dahlem (2014) PLoS Comput Biol 10:e1003941, ModelDB 167714 "
               "spreading-depression.ode [code] (references.md §4)",
        temp_c=temp_c_for_rt_over_f(26.64), capacitance=1.0,
        # The file's conversion factor CONV = A·10/F per 1000 µm³ fixes the area.
        area=_HD_CONV * FARADAY * 100.0, volume=_HD_VOL_I, outside_volume=_HD_VOL_E,
        ions=Ions(na_i=25.231485, k_i=129.25764, cl_i=9.900239,
                  na_o=125.30555, k_o=4.0, cl_o=123.2716),
        v_init=-67.193253,
        channels=Channels(kind="cressman", g_na=100.0, g_k=40.0, phi=3.0, h_from_n=True),
        leak=Leak(g_na=0.0175, g_k=0.05, g_cl=0.02),
        pump=SigmoidPump(rate_max=pump_rate_from_current_ua(6.8), na_half=25.0, na_slope=3.0,
                         k_half=5.5, k_slope=1.0, temp_ref_c=temp_c_for_rt_over_f(26.64)),
    ),
)

PRESETS: dict[str, Preset] = {
    p.cell.name: p for p in (HH_1952, HH_SQUID, CORTICAL, HUEBEL_DAHLEM_2014)
}


def preset(name: str, *, v_rest: float | None = None, **overrides: Any) -> CellSpec:
    """The named cell, calibrated and at rest.

    v_rest (mV) recalibrates the leaks (and pump scale) to rest there.
    overrides are dotted parameter names and values applied after calibration,
    e.g. preset("cortical", **{"pump.rate_max": 5e4}); the stored state is
    then moved to the new resting state where one exists.
    """
    from nakpump.steady import (
        SteadyStateError,
        at_rest,
        balance_impermeants,
        calibrate_leaks,
    )

    if name not in PRESETS:
        raise SpecError("preset", name, "one of " + ", ".join(PRESETS))
    entry = PRESETS[name]
    cell = entry.cell
    target = entry.v_rest if v_rest is None else v_rest
    if target is not None:
        cell = calibrate_leaks(cell, target, leak_total=entry.leak_total)
    if overrides:
        cell = cell.replace(**overrides)
    try:
        cell = at_rest(cell)
    except SteadyStateError:
        pass  # e.g. a blocked pump: the cell has no rest; keep the stored state
    return balance_impermeants(cell)
