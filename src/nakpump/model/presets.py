"""Named cells with their sources: data, plus the resting potential some are calibrated to.

Each preset is a CellSpec whose every number carries its source (see
../shared/references.md for the provenance marks [code]/[abs]/[sim]/[R]).
`preset(name)` builds the usable cell: it calibrates leaks where the preset
asks for a resting potential, balances impermeant anions (electroneutral,
isosmotic stored state), and moves the stored state to the resting state.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

from nakpump.errors import SpecError
from nakpump.model.spec import (
    Alpha1Alpha3Pump,
    Bath,
    CellSpec,
    Channels,
    Cotransport,
    Glia,
    Ions,
    KagerPump,
    Leak,
    Metabolism,
    Oxygen,
    ReversiblePump,
    SigmoidPump,
    VolumeLaw,
)
from nakpump.units import (
    AMOL_PER_UA_CM2_MS_UM2,
    FARADAY,
    celsius_to_kelvin,
    cylinder,
    flux_factor,
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
    published: dict[str, Any] | None = None  # overrides that give the paper's own equations
    # (pump's share, glycolysis's share) of the ATP used and made at rest: the metabolism's
    # rates are balanced to them (steady.balance_metabolism)
    atp_shares: tuple[float, float] | None = None


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

def _same_current(cell: CellSpec, pump_cls: type) -> Any:
    """A pump of class pump_cls (at the cell's temperature) whose rate_max makes it carry,
    at the cell's stored state, the current the cell's own pump does: the same pump–leak
    balance, so the same rest (for the reversible pump rate_max is pumps per µm²)."""

    ions, rt_f = cell.ions, rt_over_f(celsius_to_kelvin(cell.temp_c))
    values = {"rate_max": cell.pump.rate_max, "v": cell.v_init, "na_i": ions.na_i,
              "k_i": ions.k_i, "na_o": ions.na_o, "k_o": ions.k_o, "rt_f": rt_f,
              "atp": cell.atp, "adp": cell.adp, "pi": cell.pi}

    def rate(pump: Any) -> float:  # cycles/s/µm² (per pump for the reversible form)
        own = {n: getattr(pump, n) for n in pump.mechanism.params}
        own.update({n: st.initial for n, st in pump.mechanism.states.items()})
        func = pump.mechanism.rate.py_func
        return func(*[{**values, **own}[a] for a in inspect.signature(func).parameters])

    unit = pump_cls(rate_max=1.0, temp_ref_c=cell.temp_c)
    return pump_cls(rate_max=rate(cell.pump) / rate(unit), temp_ref_c=cell.temp_c)


CORTICAL_REVERSIBLE = Preset(
    summary="The cortical cell with a thermodynamically reversible pump (same rest)",
    v_rest=CORTICAL.v_rest,
    cell=CORTICAL.cell.replace(
        name="cortical-reversible",
        description=(
            "The cortical cell with its Kager pump replaced by the reversible four-state "
            "Post–Albers pump (mechanisms/pumps/reversible.py): rate set by V, Na+ and K+ "
            "on both sides, ATP, ADP and Pi; it stops at E_pump = 3E_Na − 2E_K + ΔG_ATP/F "
            "and runs backwards beyond it. Pump density set so that it carries the Kager "
            "pump's current at the stored rest: same leaks, same resting state."
        ),
        source=CORTICAL.cell.source + " Pump: Smith & Crampin (2004) Prog Biophys Mol "
               "Biol 85:387; Terkildsen, Crampin & Smith (2007) Am J Physiol Heart "
               "293:H3036 (references.md §5.3).",
        pump=_same_current(CORTICAL.cell, ReversiblePump),
    ),
)


CORTICAL_ISOFORMS = Preset(
    summary="The cortical cell with α1 and α3 pumps that bind ouabain at their own rates",
    v_rest=CORTICAL.v_rest,
    cell=CORTICAL.cell.replace(
        name="cortical-isoforms",
        description=(
            "The cortical cell with its pump split into α1 (ouabain-resistant, K_d 48 µM) "
            "and α3 (K_d 1.6 nM, lower Na+ affinity), half the capacity each "
            "(mechanisms/pumps/isoforms.py). 10 nM ouabain blocks most α3 and almost no "
            "α1. Capacity set so that the pump carries the Kager pump's current at rest."
        ),
        source=CORTICAL.cell.source + " Isoforms: O'Brien et al. (1994) Arch Biochem "
               "Biophys 310:32; Azarias et al. (2013) J Biol Chem 288:2734.",
        pump=_same_current(CORTICAL.cell, Alpha1Alpha3Pump),
    ),
)

CORTICAL_METABOLIC = Preset(
    summary="The cortical-reversible cell making its own ATP (oxidative phosphorylation, "
            "glycolysis, basal load)",
    v_rest=CORTICAL.v_rest,
    atp_shares=(0.5, 0.1),
    cell=CORTICAL_REVERSIBLE.cell.replace(
        name="cortical-metabolic",
        description=(
            "cortical-reversible with its own ATP: [ATP]i, [ADP]i and [Pi]i are states, used "
            "one per pump cycle and by a basal load, made by oxidative phosphorylation and "
            "glycolysis from ADP. At rest the pump uses half of the ATP and glycolysis makes "
            "a tenth of it [R: textbook shares]; the rates are balanced there. Block "
            "oxidative phosphorylation (MetabolicBlock) and ATP falls, the pump slows and "
            "reverses where ΔG_ATP says, and the cell depolarises."
        ),
        metabolism=Metabolism(oxphos_max=0.0),  # rates set by the ATP shares at rest
    ),
)

# --- Hübel & Dahlem (2014) -------------------------------------------------------------------
_HD_CONV = 9.55589e-05  # (mM·vol)/(µA/cm²·ms) in the XPP file, vol in 1000 µm³
_HD_VOL_I, _HD_VOL_E = 2160.0, 720.0  # µm³ (vol_i 2.16, vol_e 0.72 in the file)
_HD_K_BATH = 4.0  # mM

HUEBEL_DAHLEM_2014_CLOSED = Preset(
    summary="Hübel & Dahlem (2014) closed single cell (fixed extracellular volume, ratio 3)",
    cell=CellSpec(
        name="huebel-dahlem-2014-closed",
        description=(
            "The closed neuron of Hübel & Dahlem (2014): Cressman-type channels with "
            "instantaneous m and h = h(n), φ = 3; Na+, K+, Cl− leaks; sigmoid pump of "
            "6.8 µA/cm² maximum; extracellular volume a third of the cell's; RT/F = 26.64 mV. "
            "No glia, no bath: with the pump blocked it runs down to a Gibbs–Donnan state "
            "(Hübel, Schöll & Dahlem 2014)."
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

HUEBEL_DAHLEM_2014 = Preset(
    summary="Hübel & Dahlem (2014) cell with a glial K+ buffer in its extracellular space",
    cell=HUEBEL_DAHLEM_2014_CLOSED.cell.replace(
        name="huebel-dahlem-2014",
        description=(
            "Hübel & Dahlem (2014)'s neuron (see huebel-dahlem-2014-closed) with the glial "
            "buffer of its coupling scheme s = 0: 500 mM of sites per extracellular volume, "
            "unbinding 5e-8/ms, binding switched on by [K]o above ~15 mM. Pump interruption "
            "or a strong stimulus triggers spreading depolarisation; the buffer takes up the "
            "released K+ and the cell recovers."),
        glia=Glia(buffer_total=500.0, buffer_k_off=5e-5, buffer_k_half=15.0,
                  buffer_k_slope=1.09),
    ),
    published={},  # the paper's equations are nakpump's (electrogenic pump, conserving)
)

HUEBEL_DAHLEM_2014_BATH = Preset(
    summary="Hübel & Dahlem (2014) cell whose extracellular K+ diffuses to a bath",
    cell=HUEBEL_DAHLEM_2014_CLOSED.cell.replace(
        name="huebel-dahlem-2014-bath",
        description=(
            "Hübel & Dahlem (2014)'s neuron (see huebel-dahlem-2014-closed) with the "
            "diffusive coupling of its scheme s = 1: extracellular K+ relaxes to a bath of "
            "4 mM at λ = 3e-5/ms. Raising the bath K+ gives periodic SD-like events."),
        bath=Bath(na=125.30555, k=_HD_K_BATH, cl=123.2716, rate_k=0.03),
    ),
    published={},
)

# --- Cressman et al. (2009) and Barreto & Cressman (2011) ----------------------------------
_CR_GAMMA = 4.45e-5  # mM/ms per µA/cm² (γ = 4.45e-2 mM/s; a 7 µm sphere gives 4.442e-2)
_CR_VOLUME = sphere(7.0)[1]  # µm³
_CR_AREA = _CR_GAMMA * _CR_VOLUME / AMOL_PER_UA_CM2_MS_UM2  # so that the cell's γ is the paper's
_CR_RT_F_TEMP = temp_c_for_rt_over_f(26.64)  # °C (RT/F hard-coded 26.64 mV)
# The shortcuts Cressman 2009's equations take, and their rest at k_bath 4 mM.
_CR_SHORTCUTS = {"pump_electrogenic": False, "k_i_rule": "electroneutral", "fixed_cl": True}


def _published_rest(v: float, na_i: float, k_o: float) -> dict:
    """The published form's start: V (mV), [Na]i and [K]o (mM) given; [K]i = 158 − [Na]i
    and [Na]o = 144 − 7([Na]i − 18) by the model's own relations, Cl− at its fixed 6/130.
    The gates (n, h; m instantaneous) and the AHP's Ca2+ are set at their steady state at V
    by engine.compile.initial_state, which at a rest is their rest; the glia and bath
    counters start at 0."""
    return {**_CR_SHORTCUTS, "v_init": v, "ions.na_i": na_i, "ions.k_i": 158.0 - na_i,
            "ions.na_o": 144.0 - 7.0 * (na_i - 18.0), "ions.k_o": k_o,
            "ions.cl_i": 6.0, "ions.cl_o": 130.0}


CRESSMAN_2009 = Preset(
    summary="Cressman et al. (2009) neuron in a small extracellular space with glia and a bath",
    cell=CellSpec(
        name="cressman-2009",
        description=(
            "Cressman, Ullah, Ziburkus, Schiff & Barreto (2009) (erratum form): a cortical "
            "neuron (r = 7 µm) with instantaneous m, Ca2+-activated AHP, φ = 3, sigmoid pump "
            "(ρ = 1.25 mM/s), an extracellular space 1/7 of the cell's volume, sigmoid glial "
            "uptake (66 mM/s) and K+ diffusion to a bath (ε = 1.2/s, 4 mM); RT/F = 26.64 mV. "
            "Raising the bath K+ to 8 mM gives periodic seizure-like bursting. nakpump's form "
            "(default) conserves every ion and the charge: the pump current is in dV/dt, "
            "[K]i and Cl− follow their currents. The published equations omit the pump "
            "current from dV/dt, take [K]i = 158 − [Na]i and hold Cl− fixed: "
            "preset('cressman-2009', published=True) (CLI: --published) gives exactly those."),
        source=("Cressman et al. (2009) J Comput Neurosci 26:159 and erratum (2011) 30:781; "
                "equations and Table 1 as in references.md §2.1 [code: three independent "
                "third-party codes]"),
        temp_c=_CR_RT_F_TEMP, capacitance=1.0, area=_CR_AREA, volume=_CR_VOLUME,
        outside_volume=_CR_VOLUME / 7.0,
        # Rest of nakpump's form at k_bath 4 mM: the published rest run for 4000 s
        # (adaptive, rtol 1e-9; last 100 s drift < 1e-9 mV). Cl− has moved in to E_Cl = V.
        ions=Ions(na_i=19.992121, k_i=140.54526, cl_i=8.5374020, na_o=130.05515,
                  k_o=3.8119961, cl_o=112.23819),
        v_init=-68.629076,
        channels=Channels(kind="cressman", g_na=100.0, g_k=40.0, phi=3.0, g_ahp=0.01,
                          g_ca=0.1, e_ca=120.0, tau_ca=80.0),
        leak=Leak(g_na=0.0175, g_k=0.05, g_cl=0.05),
        pump=SigmoidPump(rate_max=pump_rate_from_current_ua(1.25e-3 / _CR_GAMMA),
                         na_half=25.0, na_slope=3.0, k_half=5.5, k_slope=1.0,
                         temp_ref_c=_CR_RT_F_TEMP),
        glia=Glia(uptake_max=66.0, k_half=18.0, k_slope=2.5),
        bath=Bath(na=144.0, k=4.0, cl=130.0, rate_k=1.2),
    ),
    # Rest of the published equations at k_bath 4 mM (references.md §2.2 [sim] gives it to
    # 5 digits), to 14 significant digits: the root of nakpump's engine.cell.rhs for this
    # form in (V, n, h, Ca, [Na]i, [K]o) with [K]i, [Na]o by the relations above
    # (scipy.optimize.root, hybr, then Newton; residuals ≤ 3e-16 mV/ms). The same root of the
    # peer tests/peers/published_tissue.py cressman_rhs agrees to 4e-16 (relative), and of
    # the peer's equations in 40-digit arithmetic (mpmath.findroot) to 3e-15. Rest gates and
    # Ca2+: n 0.064153032290076, h 0.98148949486666, Ca 9.5323904434526e-8 mM. At the
    # stored digits dV/dt = −4.5e-14 mV/ms (tests/test_published_rest.py).
    published=_published_rest(-68.170416648962, 19.979491728611, 3.8131021545509),
)

BARRETO_CRESSMAN_2011 = Preset(
    summary="Barreto & Cressman (2011): Cressman 2009 without the AHP",
    cell=CRESSMAN_2009.cell.replace(
        name="barreto-cressman-2011",
        description=(
            "Barreto & Cressman (2011): the Cressman 2009 cell without Ca2+ and AHP, glial "
            "uptake 66.666 mM/s, K+ diffusion ε = 1.333/s. nakpump's conserving form by "
            "default; published=True gives the paper's equations (see cressman-2009)."),
        source="Barreto & Cressman (2011) J Biol Phys 37:361 (arXiv 1012.3124); "
               "references.md §2.1 [code: hydranerv BarretoNeuron]",
        ions=Ions(na_i=19.945772, k_i=140.61254, cl_i=8.5583295, na_o=130.37960,
                  k_o=3.8279553, cl_o=112.09169),  # as for cressman-2009
        v_init=-68.529061,
        channels=Channels(kind="cressman", g_na=100.0, g_k=40.0, phi=3.0),
        glia=Glia(uptake_max=66.666, k_half=18.0, k_slope=2.5),
        bath=Bath(na=144.0, k=4.0, cl=130.0, rate_k=1.333),
    ),
    # Rest of the published equations at k_bath 4 mM, obtained as for cressman-2009 in
    # (V, n, h, [Na]i, [K]o) (nakpump's rhs, the peer's and the 40-digit root agree to
    # ≤ 1e-16 relative). Rest gates: n 0.064462810070900, h 0.98132729721205.
    published=_published_rest(-68.110977171075, 19.935923544566, 3.8284064197392),
)

# --- Wei, Ullah & Schiff (2014) ------------------------------------------------------------
_WEI_AREA, _WEI_VOLUME = sphere(7.0)  # Vol0 = 1.4368e-15 m³ (r = 7 µm) [code]
_WEI_RHO = 0.8  # mM/s, ρ_max of the neuron's pump (per cell volume)

WEI_2014 = Preset(
    summary="Wei, Ullah & Schiff (2014): cotransporters, cell volume and O2-limited pumps",
    cell=CellSpec(
        name="wei-2014",
        description=(
            "Wei, Ullah & Schiff (2014): a neuron (r = 7 µm) with Traub-type Na+ and K+ "
            "channels, Na+, K+, Cl− leaks, a sigmoid pump (ρ_max 0.8 mM/s, K+ half 3.5 mM) "
            "limited by extracellular O2, KCC2 and NKCC1, an extracellular space 1/7 of the "
            "cell, glial uptake, a glial pump and K+ diffusion to a bath (both failing in a "
            "hypoxic bath or a collapsed extracellular space), O2 supplied from the bath, "
            "and a cell volume that follows the osmotic gradient (impermeants 132 mM in, "
            "18 mM out). RT/F = 26.64 mV. Hypoxia (OxygenChange) or pump block make the "
            "cell depolarise and swell. Differences from the paper: the membrane area is "
            "held as the cell swells (the paper scales it as a sphere's), so the pump "
            "capacity per area is fixed."),
        source=("Wei, Ullah & Schiff (2014) J Neurosci 34:11733; equations and parameters as "
                "in references.md §3.1 [code: Ullah-lab model_int_cotrans.m, xalbrain Wei]"),
        temp_c=temp_c_for_rt_over_f(26.64), capacitance=1.0, area=_WEI_AREA,
        volume=_WEI_VOLUME, outside_volume=_WEI_VOLUME / 7.0,
        ions=Ions(na_i=18.0, k_i=140.0, cl_i=6.0, na_o=144.0, k_o=4.0, cl_o=130.0),
        v_init=-74.30,
        channels=Channels(kind="traub", g_na=30.0, g_k=25.0, vt=-67.0, phi=1.0),
        leak=Leak(g_na=0.0247, g_k=0.05, g_cl=0.1),
        pump=SigmoidPump(rate_max=pump_rate_from_current_ua(
            _WEI_RHO * 1e-3 / flux_factor(_WEI_AREA, _WEI_VOLUME)),
            na_half=25.0, na_slope=3.0, k_half=3.5, k_slope=1.0,
            temp_ref_c=temp_c_for_rt_over_f(26.64)),
        glia=Glia(uptake_max=5.0, k_half=18.0, k_slope=2.5,
                  # 2 K+ per glial pump cycle at ρ(O2)/3 with [Na]glia fixed at 18 mM
                  pump_max=2.0 * _WEI_RHO / 3.0 / (1.0 + math.exp((25.0 - 18.0) / 3.0)),
                  pump_k_half=3.5),
        bath=Bath(na=144.0, k=4.0, cl=130.0, rate_k=0.25),
        cotransport=Cotransport(kcc2=0.3, nkcc1=0.1, nkcc1_k_half=16.0),
        volume_law=VolumeLaw(tau=250.0, swell_max=0.1029, osmotic_scale=20.0),
        oxygen=Oxygen(bath=32.0, initial=29.3, half=20.0, slope=3.0, use_per_cycle=5.3,
                      rate=0.17, failure_half=2.5, failure_slope=0.2),
    ),
    published={},
)

PRESETS: dict[str, Preset] = {
    p.cell.name: p for p in (HH_1952, HH_SQUID, CORTICAL, CORTICAL_REVERSIBLE,
                             CORTICAL_ISOFORMS, CORTICAL_METABOLIC, HUEBEL_DAHLEM_2014,
                             HUEBEL_DAHLEM_2014_BATH, HUEBEL_DAHLEM_2014_CLOSED,
                             CRESSMAN_2009, BARRETO_CRESSMAN_2011, WEI_2014)
}


V_REST_RANGE = (-120.0, 0.0)  # mV: a resting potential the leaks can be calibrated to


def preset(name: str, /, *, v_rest: float | str | None = None, published: bool = False,
           **overrides: Any) -> CellSpec:
    """The named cell, calibrated and at rest.

    v_rest (mV, or a quantity such as "-60 mV") recalibrates the leaks (and pump
    scale) to rest there, between V_REST_RANGE (mV).
    published=True gives a published model's own equations where they take
    shortcuts that nakpump's default form does not (Cressman 2009: pump current
    out of dV/dt, [K]i by electroneutrality, Cl− fixed), for faithful reproduction.
    overrides are dotted parameter names and values applied after calibration,
    e.g. preset("cortical", **{"pump.rate_max": 5e4}); the stored state is
    then moved to the new resting state where one exists (cells with glia, a
    bath, an AHP or the published shortcuts keep their stored state).
    """
    from nakpump.steady import (
        SteadyStateError,
        at_rest,
        balance_impermeants,
        balance_metabolism,
        calibrate_leaks,
    )

    if not isinstance(name, str) or name not in PRESETS:
        raise SpecError("preset", name, "one of " + ", ".join(PRESETS))
    if not isinstance(published, bool):
        raise SpecError("published", published, "True or False")
    if v_rest is not None:
        from nakpump.quantities import parse_quantity

        v_rest = parse_quantity(v_rest, "mV", "v_rest")
        lo, hi = V_REST_RANGE
        if not lo <= v_rest <= hi:
            raise SpecError("v_rest", v_rest, f"a resting potential from {lo:g} to {hi:g} mV")
    entry = PRESETS[name]
    cell = entry.cell
    target = entry.v_rest if v_rest is None else v_rest
    if target is not None:
        cell = calibrate_leaks(cell, target, leak_total=entry.leak_total)
    if published:
        if entry.published is None:
            with_form = [n for n, p in PRESETS.items() if p.published is not None]
            raise SpecError("published", published,
                            "False for this preset; True only for " + ", ".join(with_form))
        cell = cell.replace(**entry.published)
    if overrides:
        cell = cell.replace(**overrides)
    try:
        cell = at_rest(cell)
    except SteadyStateError:
        pass  # e.g. a blocked pump: the cell has no rest; keep the stored state
    if entry.atp_shares is not None:  # then the user's own metabolism values, if any
        cell = balance_metabolism(cell, *entry.atp_shares)
        cell = cell.replace(**{k: v for k, v in overrides.items()
                               if k.startswith("metabolism.")})
    return balance_impermeants(cell)
