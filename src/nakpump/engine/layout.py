"""Index layout of the flat float64 arrays the kernels read and write.

State `y` (one cell), parameters `p` (one cell, constant in a run) and drives
`d` (piecewise constant in time: what a protocol changes). Defined once here
and imported by every kernel, so the layout cannot drift between them.
"""

from __future__ import annotations

# --- state y ---------------------------------------------------------------------
V = 0  # mV
M = 1  # Na+ activation
H = 2  # Na+ inactivation
N = 3  # K+ activation
P = 4  # M-current activation
NA_I = 5  # mM
K_I = 6
CL_I = 7
NA_O = 8  # mM (the bath's value when the outside is a bath)
K_O = 9
CL_O = 10
# Accumulated charge densities (nC/cm² = µA/cm²·ms), outward positive:
Q_NA = 11  # passive Na+ (channels + leak)
Q_K = 12  # passive K+
Q_CL = 13  # passive Cl−
Q_PUMP = 14  # pump (net +1 e per cycle)
Q_INJ_NA = 15  # injected into the cell (inward positive) by stimulus or clamp, per carrier ion
Q_INJ_K = 16
Q_INJ_CL = 17
# Kahan compensation terms of the six concentrations (NA_I..CL_O, same order): the
# low-order bits each update loses, so that rounding does not accumulate over
# millions of steps (keeps C·A·ΔV = F·Vol·Σz·Δc to ~1e-9 mV, not ~1e-6).
COMP_NA_I = 18
# Tissue (engine.cell._tissue_lanes; all 0 in a cell without glia or bath):
CA_I = 24  # mM, Cressman's intracellular Ca2+, which only gates the AHP (not in charge balance)
K_BUFFER = 25  # K+ bound to the glial buffer, mM of extracellular volume (Hübel & Dahlem)
K_GLIA = 26  # K+ taken up by glia, mM of extracellular volume (cumulative; Cressman 2009)
BATH_NA = 27  # Na+ that left the extracellular space for the bath, mM of its volume (cumulative)
BATH_K = 28
BATH_CL = 29
VOL_I = 30  # cell volume relative to its initial volume (1 unless CellSpec.volume_law)
O2 = 31  # mg/L, extracellular O2 (CellSpec.oxygen; 0 without)
O2_PUMP = 32  # fraction of pump capacity the O2 allows (algebraic in O2; 1 without oxygen)
# Rows that most cells leave at their start values come last, least used last, so that the
# error-controlled integrators can work on the leading rows alone (P_N_LIVE).
OUABAIN_BOUND = 33  # fraction of the pumps with ouabain bound (protocols.Ouabain)
# The pump form's own states (mechanisms.State: bound fractions, conformations), in its
# declared order; 0 where it has fewer.
PUMP_S0 = 34
N_PUMP_STATES = 4
# The cell's own ATP (CellSpec.metabolism; all 0 without): adenine nucleotides and phosphate
# (mM of cell volume), and what made and used ATP (mM of the initial cell volume, cumulative).
ATP_I = PUMP_S0 + N_PUMP_STATES  # 38
ADP_I = ATP_I + 1
PI_I = ATP_I + 2
ATP_MADE = ATP_I + 3  # by oxidative phosphorylation and glycolysis
ATP_PUMP = ATP_I + 4  # by the Na+/K+ pump, one per cycle
ATP_BASAL = ATP_I + 5  # by everything else
Q_PUMP_BOOKED = ATP_I + 6  # Q_PUMP (nC/cm²) whose ATP is booked (engine.cell._metabolism_lanes)
N_STATE = ATP_I + 7

STATE_NAMES = (("v", "m", "h", "n", "p", "na_i", "k_i", "cl_i", "na_o", "k_o", "cl_o",
               "q_na", "q_k", "q_cl", "q_pump", "q_inj_na", "q_inj_k", "q_inj_cl",
               "_comp_na_i", "_comp_k_i", "_comp_cl_i", "_comp_na_o", "_comp_k_o", "_comp_cl_o",
               "ca_i", "k_buffer", "k_glia", "bath_na", "bath_k", "bath_cl", "vol_i", "o2",
               "o2_pump", "ouabain_bound")
               + tuple(f"pump_state_{k}" for k in range(N_PUMP_STATES))
               + ("atp_i", "adp_i", "pi_i", "atp_made", "atp_pump", "atp_basal",
                  "_q_pump_booked"))

# Absolute-tolerance scale per state variable for the error-controlled integrators
# (multiplied by atol): voltage ~100 mV, gates ~1, concentrations ~100 mM, charge
# integrals ~1e3 nC/cm², Kahan terms (fixed step only) ~0.
ATOL_SCALE = ((1.0,) + (1e-2,) * 4 + (1.0,) * 6 + (10.0,) * 7 + (1.0,) * 6
              + (1e-2,) + (1.0,) * 5 + (1e-2, 1.0, 1e-2) + (1e-2,) + (1e-2,) * N_PUMP_STATES
              + (1e-2, 1e-3, 1e-2) + (1.0,) * 3 + (10.0,))
ERROR_CONTROLLED = (V, M, H, N, P, NA_I, K_I, CL_I, NA_O, K_O, CL_O,
                    CA_I, K_BUFFER, VOL_I, O2, OUABAIN_BOUND,
                    *range(PUMP_S0, PUMP_S0 + N_PUMP_STATES), ATP_I, ADP_I, PI_I)

# --- parameters p ----------------------------------------------------------------
P_CAP = 0  # µF/cm²
P_RT_F = 1  # mV
P_FLUX_I = 2  # mM/ms per µA/cm², inside
P_FLUX_O = 3  # mM/ms per µA/cm², outside (0 for a bath)
P_DYNAMIC = 4  # 1 = concentrations follow currents, 0 = fixed
P_CH_KIND = 5  # 0 none, 1 hh, 2 traub, 3 cressman
P_G_NA = 6  # mS/cm²
P_G_K = 7
P_G_M = 8
P_TAU_M_MAX = 9  # ms
P_VT = 10  # mV
P_PHI = 11  # gating rate factor
P_H_FROM_N = 12  # 1 = h is a function of n
P_GL_NA = 13  # mS/cm²
P_GL_K = 14
P_GL_CL = 15
P_PUMP_KIND = 16  # 0 none, else mechanisms.pump_code(kind): 1 + place in the registry
P_PUMP_MAX = 17  # cycles/s/µm² (per unit of the form's turnover), temperature factor included
P_ADP = 18  # mM, cytosolic ADP (read by pumps that own their ATP dependence)
P_PI = 19  # mM, cytosolic phosphate
P_KM_ATP = 20  # mM
P_ATP_NORMAL = 21  # mM
P_STIM_ION = 22  # 0 na, 1 k, 2 cl: carrier of the clamp current
P_SCHEME = 23  # 0 backward-Euler staggered step, 1 Strang/trapezoidal (engine.cell.step_tile)
# Published-model shortcuts (CellSpec.pump_electrogenic, k_i_rule, fixed_cl):
P_PUMP_V = 24  # 1 = the pump current is in dV/dt, 0 = fluxes only (Cressman 2009)
P_K_NEUTRAL = 25  # 1 = [K]i changes by −Δ[Na]i (Cressman 2009), 0 = by its currents
P_FIX_CL = 26  # 1 = Cl− concentrations held
# Cressman's AHP (channels.g_ahp, in P_G_M; its activation ca/(1 + ca) in state P):
P_G_CA = 27  # mS/cm², drives Ca2+ entry into CA_I
P_E_CA = 28  # mV
P_TAU_CA = 29  # ms
# Tissue (CellSpec.glia, CellSpec.bath; engine.cell's tissue phase runs for every closed,
# dynamic outside):
P_GLIA_MAX = 30  # mM/ms, sigmoid K+ uptake by glia
P_GLIA_HALF = 31  # mM
P_GLIA_SLOPE = 32  # mM
P_BUF_TOTAL = 33  # mM of extracellular volume
P_BUF_OFF = 34  # 1/ms, unbinding; binding k_on = P_BUF_OFF/(1 + exp((half − k_o)/slope)) per mM
P_BUF_HALF = 35  # mM
P_BUF_SLOPE = 36  # mM
P_BATH_RATE_NA = 37  # 1/ms, diffusive exchange of the extracellular space with the bath
P_BATH_RATE_K = 38
P_BATH_RATE_CL = 39
# Wei, Ullah & Schiff (2014): cotransporters, cell volume and O2 (CellSpec.cotransport,
# volume_law, oxygen); rates per ms of the inside concentration for transporters.
P_KCC2 = 40  # mM/ms
P_NKCC1 = 41  # mM/ms
P_NKCC1_K_HALF = 42  # mM
P_VOLUME = 43  # 1 = the cell volume follows osmosis
P_VOL_RATIO = 44  # initial Vol_i/Vol_o
P_VOL_TAU = 45  # ms
P_VOL_SWELL = 46  # largest relative swelling
P_VOL_SCALE = 47  # mM of osmotic gradient
P_IMP_I = 48  # mM of impermeant solute inside at the initial volume
P_IMP_O = 49  # mM of impermeant solute outside at its initial volume
P_BATH_COLLAPSE = 50  # Vol_i/Vol_o at which bath exchange fails (with a volume law)
P_BATH_COLLAPSE_SLOPE = 51
P_OXYGEN = 52  # 1 = O2 limits the pumps
P_O2_HALF = 53  # mg/L, pump at half capacity
P_O2_SLOPE = 54  # mg/L
P_O2_USE = 55  # mg/L of O2 per mM (of cell volume) of pump cycles (Wei's α)
P_O2_RATE = 56  # 1/ms, O2 supply from the bath
P_O2_FAIL_HALF = 57  # mg/L of bath O2 below which glia and bath exchange fail
P_O2_FAIL_SLOPE = 58  # mg/L
P_GLIA_PUMP_MAX = 59  # mM/ms of extracellular K+, glial Na+/K+ pump (O2-limited)
P_GLIA_PUMP_HALF = 60  # mM of [K]o
# The cell's own ATP (CellSpec.metabolism): production from ADP, basal use (per ms)
P_METABOLISM = 61  # 1 = ATP, ADP and Pi are states (else the drive D_ATP and P_ADP, P_PI)
P_OXPHOS_MAX = 62  # mM/ms, oxidative phosphorylation (× the O2 factor where there is O2)
P_GLYCOLYSIS_MAX = 63  # mM/ms
P_KM_ADP = 64  # mM
P_BASAL_MAX = 65  # mM/ms
P_KM_ATP_BASAL = 66  # mM
# Ouabain binding to the cell's pumps (pump.ouabain_k_on, ouabain_k_off)
P_OUABAIN_ON = 67  # 1/(µM·ms)
P_OUABAIN_OFF = 68  # 1/ms
P_PUMP_N_STATES = 69  # how many of PUMP_S0 … the pump form uses
P_N_LIVE = 70  # the leading state rows that can change in this run (engine.switching)
# The pump form's own parameters, in its declared order (mechanisms.base.MAX_PARAMS).
P_PUMP_0 = 71
N_PUMP_PARAMS = 24
N_PARAM = P_PUMP_0 + N_PUMP_PARAMS

CHANNEL_KIND_CODE = {"none": 0, "hh": 1, "traub": 2, "cressman": 3}
ION_CODE = {"na": 0, "k": 1, "cl": 2}

# --- drives d (piecewise constant; set by the protocol) -------------------------------
D_STIM_NA = 0  # µA/cm² injected (inward positive) carried by Na+
D_STIM_K = 1
D_STIM_CL = 2  # carried by Cl− (positive = depolarising, i.e. Cl− leaving the cell)
D_BLOCK = 3  # pump block fraction 0..1
D_ATP = 4  # mM
D_NA_BATH = 5  # mM, the bath (the outside itself, or what a closed outside exchanges with)
D_K_BATH = 6
D_CL_BATH = 7
D_CLAMP = 8  # 1 = voltage clamp on
D_V_CLAMP = 9  # mV
D_K_PUFF = 10  # mM/ms of K+ delivered into a closed extracellular space (a puff from a pipette)
D_O2_BATH = 11  # mg/L, bath O2 (with CellSpec.oxygen)
D_OXPHOS_BLOCK = 12  # fraction of oxidative phosphorylation blocked (with CellSpec.metabolism)
D_OUABAIN = 13  # µM of ouabain at the pumps
N_DRIVE = 14
# Derived drives: what the step needs that stays constant over a protocol segment, set
# when one is entered (engine.cell.enter_segment_tile) rather than every step. They follow
# the drives in a tile and in a cable's working drives; protocol tables do not hold them.
D_LOG_NA_O = N_DRIVE  # ln of the outside concentration (mM) at entry: constant in a segment
D_LOG_K_O = N_DRIVE + 1  # unless the outside is closed, when the step takes it afresh
D_LOG_CL_O = N_DRIVE + 2
D_MEMBRANE = N_DRIVE + 3  # lane 0: the membrane step's variant for all lanes (MEMBRANE_*)
D_I_PUMP = N_DRIVE + 4  # µA/cm², working space: the pump current within a step
D_OUABAIN_ACTIVE = N_DRIVE + 5  # lane 0: 1 if some lane has ouabain applied or bound
N_DRIVE_WORK = N_DRIVE + 6
MEMBRANE_PLAIN = 0.0  # no Cl− leak, no clamp, a bath outside: the common case, fastest
MEMBRANE_BATH = 1.0  # some lane has a Cl− leak or is clamped; a bath outside
MEMBRANE_CLOSED = 2.0  # some lane's outside is closed: its concentrations move every step

# --- tiles -----------------------------------------------------------------------------
# A tile holds up to TILE cells' state, parameter and drive rows (derived ones included)
# in one flat array, each row TILE long (engine.cell.step_tile). Its rows are a constant
# distance apart, so the compiler can vectorise the lane loops across cells.
TILE = 16
TILE_P = N_STATE * TILE  # where the parameter rows start
TILE_D = (N_STATE + N_PARAM) * TILE  # where the drive rows start
TILE_SIZE = (N_STATE + N_PARAM + N_DRIVE_WORK) * TILE

# --- observables: the state followed by quantities derived from it ----------------------
OBS_E_NA = N_STATE
OBS_E_K = N_STATE + 1
OBS_E_CL = N_STATE + 2
OBS_I_NA = N_STATE + 3  # passive Na+ current, µA/cm²
OBS_I_K = N_STATE + 4
OBS_I_CL = N_STATE + 5
OBS_I_PUMP = N_STATE + 6  # µA/cm²
OBS_PUMP_RATE = N_STATE + 7  # cycles/s/µm²
OBS_I_INJ = N_STATE + 8  # injected current (stimulus or clamp), µA/cm², inward positive
N_OBS = N_STATE + 9

OBS_NAMES = STATE_NAMES + ("e_na", "e_k", "e_cl", "i_na", "i_k", "i_cl", "i_pump",
                           "pump_rate", "i_inj")
