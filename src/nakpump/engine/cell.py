"""A cell's biophysics on flat arrays: currents, the fixed step and the ODE right-hand side.

Written once as numba functions over (y, p, d) laid out in engine.layout.
The step works on a tile of up to layout.TILE cells (step_tile), so that one
cell (a tile with one lane), a population (tiles of cells in a prange) and the
adaptive integrator all take the same step; a cable's compartments take its
phases as one block of any width (engine.cable). The scipy reference integrator
uses rhs, built from the same scalar biophysics.
Nothing here validates or allocates; specs are checked before they become
arrays.

The fixed step keeps the invariants to round-off by construction: the
membrane equation is solved linearly implicitly, C·ΔV = −Δt·Σ_X I_X*, where
I_X* is each ion's current linearised at the new voltage, and each ion's
concentrations change by exactly −Δt·I_X*·(A/Vol)/(zF). Hence
C·A·ΔV = F·Vol_i·Σ z·Δ[X]_i and the amount of each ion (inside + outside +
injected) change only by rounding. Gates follow by exponential Euler at the
new voltage (the staggered scheme NEURON uses).
"""

from __future__ import annotations

import math

from nakpump._jit import jit_inline, step_jit
from nakpump.biophysics.channels import (
    ahp_calcium_source,
    cressman_rates,
    gate_step,
    h_from_n_huebel,
    hh_rates,
    m_current_gate,
    traub_rates,
)
from nakpump.biophysics.ions import nernst, nernst_from_log
from nakpump.biophysics.pumps import K_PER_CYCLE, NA_PER_CYCLE, pump_current
from nakpump.biophysics.tissue import (
    bath_exchange,
    buffer_binding,
    glial_uptake,
    kcc2_flux,
    nkcc1_flux,
    sigmoid_rise,
    volume_target,
)
from nakpump.engine import compose
from nakpump.engine.compose import pump_context, pump_rate_cell, pump_rate_of
from nakpump.engine.layout import (
    ADP_I,
    ATP_BASAL,
    ATP_I,
    ATP_MADE,
    ATP_PUMP,
    BATH_CL,
    BATH_K,
    BATH_NA,
    CA_I,
    CL_I,
    CL_O,
    COMP_NA_I,
    D_CL_BATH,
    D_CLAMP,
    D_I_PUMP,
    D_K_BATH,
    D_K_PUFF,
    D_LOG_CL_O,
    D_LOG_K_O,
    D_LOG_NA_O,
    D_MEMBRANE,
    D_NA_BATH,
    D_O2_BATH,
    D_OUABAIN,
    D_OUABAIN_ACTIVE,
    D_OXPHOS_BLOCK,
    D_STIM_CL,
    D_STIM_K,
    D_STIM_NA,
    D_V_CLAMP,
    K_BUFFER,
    K_GLIA,
    K_I,
    K_O,
    MEMBRANE_BATH,
    MEMBRANE_CLOSED,
    MEMBRANE_PLAIN,
    N_DRIVE,
    N_PARAM,
    N_STATE,
    NA_I,
    NA_O,
    O2,
    O2_PUMP,
    OBS_E_CL,
    OBS_E_K,
    OBS_E_NA,
    OBS_I_CL,
    OBS_I_INJ,
    OBS_I_K,
    OBS_I_NA,
    OBS_I_PUMP,
    OBS_PUMP_RATE,
    OUABAIN_BOUND,
    P_ATP_NORMAL,
    P_BASAL_MAX,
    P_BATH_COLLAPSE,
    P_BATH_COLLAPSE_SLOPE,
    P_BATH_RATE_CL,
    P_BATH_RATE_K,
    P_BATH_RATE_NA,
    P_BUF_HALF,
    P_BUF_OFF,
    P_BUF_SLOPE,
    P_BUF_TOTAL,
    P_CAP,
    P_CH_KIND,
    P_DYNAMIC,
    P_E_CA,
    P_FIX_CL,
    P_FLUX_I,
    P_FLUX_O,
    P_G_CA,
    P_G_K,
    P_G_M,
    P_G_NA,
    P_GL_CL,
    P_GL_K,
    P_GL_NA,
    P_GLIA_HALF,
    P_GLIA_MAX,
    P_GLIA_PUMP_HALF,
    P_GLIA_PUMP_MAX,
    P_GLIA_SLOPE,
    P_GLYCOLYSIS_MAX,
    P_H_FROM_N,
    P_IMP_I,
    P_IMP_O,
    P_K_NEUTRAL,
    P_KCC2,
    P_KM_ADP,
    P_KM_ATP,
    P_KM_ATP_BASAL,
    P_METABOLISM,
    P_NKCC1,
    P_NKCC1_K_HALF,
    P_O2_FAIL_HALF,
    P_O2_FAIL_SLOPE,
    P_O2_HALF,
    P_O2_RATE,
    P_O2_SLOPE,
    P_O2_USE,
    P_OUABAIN_OFF,
    P_OUABAIN_ON,
    P_OXPHOS_MAX,
    P_OXYGEN,
    P_PHI,
    P_PUMP_0,
    P_PUMP_KIND,
    P_PUMP_MAX,
    P_PUMP_N_STATES,
    P_PUMP_V,
    P_RT_F,
    P_SCHEME,
    P_STIM_ION,
    P_TAU_CA,
    P_TAU_M_MAX,
    P_VOL_RATIO,
    P_VOL_SCALE,
    P_VOL_SWELL,
    P_VOL_TAU,
    P_VOLUME,
    P_VT,
    PI_I,
    Q_CL,
    Q_INJ_CL,
    Q_INJ_K,
    Q_INJ_NA,
    Q_K,
    Q_NA,
    Q_PUMP,
    Q_PUMP_BOOKED,
    TILE,
    TILE_D,
    TILE_P,
    VOL_I,
    H,
    M,
    N,
    P,
    V,
)


@step_jit
def gate_rates(p, v):
    """(α_m, β_m, α_h, β_h, α_n, β_n) of the cell's channel family at v (mV), before φ."""
    kind = int(p[P_CH_KIND])
    if kind == 1:
        return hh_rates(v)
    if kind == 2:
        return traub_rates(v, p[P_VT])
    if kind == 3:
        return cressman_rates(v)
    return 0.0, 1.0, 0.0, 1.0, 0.0, 1.0


@step_jit
def steady_gates(p, v):
    """Gate values (m, h, n, p) at steady state at v (mV)."""
    am, bm, ah, bh, an, bn = gate_rates(p, v)
    m = am / (am + bm)
    n = an / (an + bn)
    if p[P_H_FROM_N] > 0.5:
        h = h_from_n_huebel(n)
    else:
        h = ah / (ah + bh)
    pm = 0.0
    if p[P_G_M] > 0.0:
        if int(p[P_CH_KIND]) == 3:
            ca = ahp_calcium_steady(p, v)
            pm = ca / (1.0 + ca)
        else:
            pm, _ = m_current_gate(v, p[P_TAU_M_MAX])
    return m, h, n, pm


@step_jit
def ahp_calcium_steady(p, v):
    """Cressman's AHP Ca2+ (mM) at steady state at v (mV): τ_Ca times its entry rate."""
    return p[P_TAU_CA] * ahp_calcium_source(v, p[P_G_CA], p[P_E_CA])


@step_jit
def channel_conductances(m, h, n, pm, g_na_bar, g_k_bar, g_m_bar, gl_na, gl_k):
    """(g_Na, g_K) in mS/cm²: m³h Na+ and n⁴ + M-type K+ channels plus the ion's leak."""
    n2 = n * n
    return g_na_bar * m * m * m * h + gl_na, g_k_bar * n2 * n2 + g_m_bar * pm + gl_k


@step_jit
def ion_currents(v, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump):
    """Outward currents (µA/cm²) of Na+, K+ and Cl− at v (mV): each ion's chord
    conductance (mS/cm²) times its driving force, plus its share of the pump current
    (3 Na+ out, 2 K+ in per net charge out)."""
    return (g_na * (v - e_na) + NA_PER_CYCLE * i_pump, g_k * (v - e_k) - K_PER_CYCLE * i_pump,
            g_cl * (v - e_cl))


@step_jit
def conductances(y, p, v):
    """Chord conductances (mS/cm²) of all Na+, K+ and Cl− pathways at v (mV)."""
    m, h, pm = y[M], y[H], y[P]
    if int(p[P_CH_KIND]) == 3:  # instantaneous activation, AHP set by Ca2+ (Cressman 2009)
        am, bm, _, _, _, _ = cressman_rates(v)
        m = am / (am + bm)
        if p[P_G_M] > 0.0:
            pm = y[CA_I] / (1.0 + y[CA_I])
    if p[P_H_FROM_N] > 0.5:  # h follows n (Hübel & Dahlem 2014): algebraic, not integrated
        h = h_from_n_huebel(y[N])
    g_na, g_k = channel_conductances(m, h, y[N], pm, p[P_G_NA], p[P_G_K], p[P_G_M],
                                     p[P_GL_NA], p[P_GL_K])
    return g_na, g_k, p[P_GL_CL]


@step_jit
def pump_rate(y, p, d, v):
    """Pump turnover (cycles/s/µm²) at this state, with ATP, O2 and block applied."""
    return pump_rate_cell(y, p, d, v) * o2_factor(y, p)


@step_jit
def o2_factor(y, p):
    """Fraction of pump capacity the extracellular O2 allows (1 without oxygen)."""
    if p[P_OXYGEN] == 0.0:
        return 1.0
    return sigmoid_rise(y[O2], p[P_O2_HALF], p[P_O2_SLOPE])


@step_jit
def has_tissue(flux_o, dynamic):
    """Whether an outside with flux factor flux_o (P_FLUX_O; 0 for a bath) whose
    concentrations move (P_DYNAMIC `dynamic`) is closed: then glia, a bath,
    cotransporters, O2, volume and K+ puffs act there (the tissue phase). It takes
    scalars: an array argument here makes numba reference-count arrays in the lane loops
    it is inlined beside (the membrane phase ran ~50 % slower)."""
    return flux_o != 0.0 and dynamic != 0.0


@step_jit
def outside_volume(vol_ratio, w):
    """Extracellular volume relative to its initial when the cell's is w (relative) and
    the initial Vol_i/Vol_o is vol_ratio: the extracellular space gives up what the cell
    gains."""
    return 1.0 + vol_ratio * (1.0 - w)


@step_jit
def reversals(y, p):
    """(E_Na, E_K, E_Cl) in mV."""
    rt_f = p[P_RT_F]
    return (nernst(rt_f, 1.0, y[NA_O], y[NA_I]), nernst(rt_f, 1.0, y[K_O], y[K_I]),
            nernst(rt_f, -1.0, y[CL_O], y[CL_I]))


@step_jit
def _ion_currents(y, p, d, v):
    """Per-ion outward membrane currents (µA/cm²) at v: channels, leaks and pump.

    Returns (i_na, i_k, i_cl, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump).
    """
    e_na, e_k, e_cl = reversals(y, p)
    g_na, g_k, g_cl = conductances(y, p, v)
    i_pump = pump_current(pump_rate(y, p, d, v))
    i_na, i_k, i_cl = ion_currents(v, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump)
    return i_na, i_k, i_cl, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump


@step_jit
def add_to_carrier(carrier, i_clamp, inj_na, inj_k, inj_cl):
    """Injected currents per ion (µA/cm², inward +) with the clamp's current i_clamp added to
    its carrier (P_STIM_ION's code: 0 Na+, 1 K+, 2 Cl−). Selects, not branches, so that a
    loop over cells stays vectorisable."""
    return (inj_na + (i_clamp if carrier == 0.0 else 0.0),
            inj_k + (i_clamp if carrier == 1.0 else 0.0),
            inj_cl + (i_clamp if carrier == 2.0 else 0.0))


# --- the step, lane by lane ---------------------------------------------------------------
# The lane functions read flat arrays: row i of lane j is Yb[i·s + j] (state),
# Pb[op + i·s + j] (parameters) and Db[od + i·s + j] (drives). A block of B cells,
# (rows, B) arrays raveled, has s = B and offsets 0. A tile (layout.TILE) keeps all three
# in one array with s = TILE: every row is then a constant distance from every other, so
# the compiler proves that no lane's stores reach another row's loads and vectorises the
# lane loops across cells, which it cannot do for blocks of any width.


@jit_inline
def _enter_segment_lanes(Yb, Pb, Db, op, od, s, lanes):
    for j in range(lanes):
        if Pb[op + P_FLUX_O * s + j] == 0.0:
            Yb[NA_O * s + j] = Db[od + D_NA_BATH * s + j]
            Yb[K_O * s + j] = Db[od + D_K_BATH * s + j]
            Yb[CL_O * s + j] = Db[od + D_CL_BATH * s + j]


@jit_inline
def _derive_lanes(Yb, Pb, Db, op, od, s, lanes):
    """The derived drives (layout.D_LOG_NA_O …) of every lane, from its state, parameters
    and drives: the logs of its outside concentrations, and in lane 0 the membrane step's
    variant, the most general any lane needs, and whether any lane's pumps bind ouabain
    in this segment (applied, or still bound from before: it never unbinds completely)."""
    variant = MEMBRANE_PLAIN
    ouabain = 0.0
    for j in range(lanes):
        if Db[od + D_OUABAIN * s + j] > 0.0 or Yb[OUABAIN_BOUND * s + j] > 0.0:
            ouabain = 1.0
        Db[od + D_LOG_NA_O * s + j] = math.log(Yb[NA_O * s + j])
        Db[od + D_LOG_K_O * s + j] = math.log(Yb[K_O * s + j])
        Db[od + D_LOG_CL_O * s + j] = math.log(Yb[CL_O * s + j])
        if has_tissue(Pb[op + P_FLUX_O * s + j], Pb[op + P_DYNAMIC * s + j]):
            variant = MEMBRANE_CLOSED
        elif Pb[op + P_GL_CL * s + j] != 0.0 or Db[od + D_CLAMP * s + j] > 0.5:
            variant = max(variant, MEMBRANE_BATH)
    Db[od + D_MEMBRANE * s] = variant
    Db[od + D_OUABAIN_ACTIVE * s] = ouabain


@step_jit
def enter_segment_block(Yb, Pb, Db):
    """Apply what a new protocol segment sets directly: the bath's concentrations. Yb, Pb,
    Db: (rows, B) blocks, one cell per column."""
    s = Yb.shape[1]
    _enter_segment_lanes(Yb.reshape(-1), Pb.reshape(-1), Db.reshape(-1), 0, 0, s, s)


@step_jit
def enter_segment(y, p, d):
    """enter_segment_block for one cell (1-d arrays)."""
    _enter_segment_lanes(y, p, d, 0, 0, 1, 1)


@step_jit
def enter_segment_tile(S, lanes):
    """enter_segment_block for the first `lanes` cells of the tile S, and their derived
    drives (derive_tile)."""
    _enter_segment_lanes(S, S, S, TILE_P, TILE_D, TILE, lanes)
    _derive_lanes(S, S, S, TILE_P, TILE_D, TILE, lanes)


@step_jit
def derive_tile(S, lanes):
    """Set the derived drives of the first `lanes` cells of the tile S from the state,
    parameters and drives it holds: after a segment is entered, before the first step."""
    _derive_lanes(S, S, S, TILE_P, TILE_D, TILE, lanes)


@step_jit
def derive_block(Yb, Pb, Dw):
    """derive_tile for a block of any width: (rows, B) arrays, Dw with layout.N_DRIVE_WORK
    rows (a cable's working drives)."""
    s = Yb.shape[1]
    _derive_lanes(Yb.reshape(-1), Pb.reshape(-1), Dw.reshape(-1), 0, 0, s, s)


@step_jit
def load_tile(S, Yb, Pb):
    """Copy a block's state and parameters (rows, B ≤ TILE) into the tile S."""
    for i in range(N_STATE):
        for j in range(Yb.shape[1]):
            S[i * TILE + j] = Yb[i, j]
    for i in range(N_PARAM):
        for j in range(Pb.shape[1]):
            S[TILE_P + i * TILE + j] = Pb[i, j]


@step_jit
def load_tile_drives(S, Db):
    """Copy a block's drives (N_DRIVE, B ≤ TILE) into the tile S."""
    for i in range(N_DRIVE):
        for j in range(Db.shape[1]):
            S[TILE_D + i * TILE + j] = Db[i, j]


@step_jit
def store_tile_state(S, Yb):
    """Copy the tile's state back into the block Yb (N_STATE, B)."""
    for i in range(N_STATE):
        for j in range(Yb.shape[1]):
            Yb[i, j] = S[i * TILE + j]


@step_jit
def step_tile(S, lanes, dt):
    """Advance the first `lanes` cells of the tile S (layout.TILE_SIZE: their state,
    parameter and drive rows, TILE lanes each) by dt (ms) in place. The cells share one
    model structure (the kinds in lane 0 hold for all). The scheme is P_SCHEME:

    0: linearly implicit (backward Euler) V and concentrations, then exponential-
    Euler gates at the new V: first order, L-stable (NEURON's default staggering).
    1: Strang splitting, gates for dt/2 at the old V, V and concentrations by the
    linearised trapezoidal rule, gates for dt/2 at the new V: second order.
    Both keep C·ΔV = Δt·(Σ injected − Σ membrane currents) exactly. Glia and
    bath exchange of a closed outside are one more split phase, after the membrane (0)
    or for dt/2 on either side of the rest (1).

    Each phase is one loop over lanes with no branch that differs between lanes (model
    kinds are dispatched outside the loops), vectorised across cells. The tile's derived
    drives must be set (enter_segment_tile, derive_tile) before the first step. A cell
    computes the same operations in the same order whichever lane it is in and however
    many lanes step with it, so one cell alone and in a population agree bit for bit.
    """
    op, od, s = TILE_P, TILE_D, TILE
    euler = S[op + P_SCHEME * s] == 0.0
    tissue = has_tissue(S[op + P_FLUX_O * s], S[op + P_DYNAMIC * s])
    h = dt if euler else 0.5 * dt
    if not euler:
        if tissue:
            _tissue_lanes(S, S, S, op, od, s, lanes, h)
        _gates_tile(S, lanes, h)
    _membrane_tile(S, lanes, dt, 1.0 if euler else 0.5)
    _gates_tile(S, lanes, h)
    if tissue:
        _tissue_lanes(S, S, S, op, od, s, lanes, h)
    if S[op + P_METABOLISM * s] != 0.0:
        _metabolism_lanes(S, S, S, op, od, s, lanes, dt)
    if S[od + D_OUABAIN_ACTIVE * s] != 0.0:
        _ouabain_lanes(S, S, S, op, od, s, lanes, dt)
    if S[op + P_PUMP_N_STATES * s] != 0.0:
        compose.pump_state_lanes(S, S, S, op, od, s, lanes, dt)


@step_jit
def _membrane_tile(S, lanes, dt, theta):
    _membrane_phase(S, S, S, TILE_P, TILE_D, TILE, lanes, dt, theta)


@step_jit
def _gates_tile(S, lanes, dt):
    _gates_phase(S, S, TILE_P, TILE, lanes, dt)


@step_jit
def _membrane_block(Yb, Pb, Db, dt, theta):
    """step_tile's membrane phase alone for a block of any width: (rows, B) arrays, one
    compartment per column (engine.cable interleaves its axial step)."""
    s = Yb.shape[1]
    _membrane_phase(Yb.reshape(-1), Pb.reshape(-1), Db.reshape(-1), 0, 0, s, s, dt, theta)


@step_jit
def _gates_block(Yb, Pb, dt):
    """step_tile's gates phase alone for a block of any width (engine.cable)."""
    s = Yb.shape[1]
    _gates_phase(Yb.reshape(-1), Pb.reshape(-1), 0, s, s, dt)


@jit_inline
def _membrane_phase(Yb, Pb, Db, op, od, s, lanes, dt, theta):
    """V and concentrations of every lane: the pump currents in a loop of the pump's form
    (engine.compose), then the rest in a loop of the variant the derived drives name
    (layout.MEMBRANE_*).
    Two loops, dispatched apart, so that compile time grows as forms + variants, not
    forms × variants."""
    compose.pump_lanes(Yb, Pb, Db, op, od, s, lanes)
    # A Cl− leak and a clamp share a variant, and a closed outside comes with Cl− in the
    # published models (Hübel & Dahlem, Cressman, Wei): three variants, not eight. Each
    # computes what the others do for the lanes it shares with them, in the same order,
    # so a cell's bits do not depend on its tile's variant.
    variant = Db[od + D_MEMBRANE * s]
    if variant == MEMBRANE_PLAIN:
        _membrane_lanes(Yb, Pb, Db, op, od, s, lanes, dt, theta, False, False)
    elif variant == MEMBRANE_BATH:
        _membrane_lanes(Yb, Pb, Db, op, od, s, lanes, dt, theta, True, False)
    else:
        _membrane_lanes(Yb, Pb, Db, op, od, s, lanes, dt, theta, True, True)


@jit_inline
def _kahan_add(Yb, s, i, j, delta):
    """Row i of lane j += delta, with Kahan compensation kept in row COMP_NA_I + i − NA_I."""
    c = (COMP_NA_I + i - NA_I) * s + j
    k = i * s + j
    corrected = delta - Yb[c]
    total = Yb[k] + corrected
    Yb[c] = (total - Yb[k]) - corrected
    Yb[k] = total


@jit_inline
def _membrane_lanes(Yb, Pb, Db, op, od, s, lanes, dt, theta, full, closed):
    """V and concentrations over dt with gates frozen, the pump currents given (D_I_PUMP);
    currents linearised, evaluated at V + theta·ΔV (theta 1: backward Euler, 1/2:
    trapezoidal). full (Cl− leaks and clamps: else neither is computed) and closed (a
    finite outside: else nothing changes there, and its logs are the derived drives') are
    constants at each call site, so their branches fold away."""
    inv_dt = 1.0 / dt
    for j in range(lanes):
        jp, jd = op + j, od + j
        v = Yb[V * s + j]
        na_i, k_i, cl_i = Yb[NA_I * s + j], Yb[K_I * s + j], Yb[CL_I * s + j]
        na_o, k_o, cl_o = Yb[NA_O * s + j], Yb[K_O * s + j], Yb[CL_O * s + j]
        rt_f = Pb[P_RT_F * s + jp]
        if closed:
            log_na_o, log_k_o, log_cl_o = math.log(na_o), math.log(k_o), math.log(cl_o)
        else:
            log_na_o, log_k_o, log_cl_o = (Db[D_LOG_NA_O * s + jd], Db[D_LOG_K_O * s + jd],
                                           Db[D_LOG_CL_O * s + jd])
        e_na = nernst_from_log(rt_f, 1.0, log_na_o, na_i)
        e_k = nernst_from_log(rt_f, 1.0, log_k_o, k_i)
        g_na, g_k = channel_conductances(
            Yb[M * s + j], Yb[H * s + j], Yb[N * s + j], Yb[P * s + j], Pb[P_G_NA * s + jp],
            Pb[P_G_K * s + jp], Pb[P_G_M * s + jp], Pb[P_GL_NA * s + jp], Pb[P_GL_K * s + jp])
        g_cl = Pb[P_GL_CL * s + jp] if full else 0.0
        # E_Cl only where there is a Cl− leak: a select, so a lane without Cl− gets 0 whatever
        # its (possibly zero) Cl− concentrations, as in the plain variant.
        e_cl = 0.0
        if full:
            e_cl_leak = nernst_from_log(rt_f, -1.0, log_cl_o, cl_i)
            e_cl = e_cl_leak if g_cl != 0.0 else 0.0
        i_pump = Db[D_I_PUMP * s + jd]
        if closed:
            i_pump *= Yb[O2_PUMP * s + j]  # 1 without oxygen
        i_na, i_k, i_cl = ion_currents(v, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump)
        inj_na, inj_k, inj_cl = (Db[D_STIM_NA * s + jd], Db[D_STIM_K * s + jd],
                                 Db[D_STIM_CL * s + jd])
        cap = Pb[P_CAP * s + jp]
        g_tot = g_na + g_k + g_cl
        # Without P_PUMP_V the pump moves ions but its current is left out of dV/dt.
        net = (i_na + i_k + i_cl - (1.0 - Pb[P_PUMP_V * s + jp]) * i_pump
               - (inj_na + inj_k + inj_cl))
        dv = -dt * net / (cap + theta * dt * g_tot)
        if full:
            # Both branches are computed and one is selected, so lanes never diverge.
            clamped = Db[D_CLAMP * s + jd] > 0.5
            dv_clamp = Db[D_V_CLAMP * s + jd] - v
            i_clamp = cap * dv_clamp * inv_dt + net + theta * g_tot * dv_clamp  # the amp's
            dv = dv_clamp if clamped else dv
            i_clamp = i_clamp if clamped else 0.0
            inj_na, inj_k, inj_cl = add_to_carrier(Pb[P_STIM_ION * s + jp], i_clamp, inj_na,
                                                   inj_k, inj_cl)
        # Currents at V + theta·dv; C·dv = dt·(Σ injected − Σ membrane) holds exactly.
        i_na += theta * g_na * dv
        i_k += theta * g_k * dv
        if full:
            i_cl += theta * g_cl * dv
        # Membrane currents move ions across the membrane, injected ones into the cell only
        # (fixed concentrations and a bath: factors 0).
        dynamic = Pb[P_DYNAMIC * s + jp] != 0.0
        f_i = Pb[P_FLUX_I * s + jp] * dt if dynamic else 0.0
        f_o = Pb[P_FLUX_O * s + jp] * dt if dynamic else 0.0
        if closed:  # the volumes as they are now (1 and 1 without a volume law)
            w = Yb[VOL_I * s + j]
            f_i /= w
            f_o /= outside_volume(Pb[P_VOL_RATIO * s + jp], w)
        _kahan_add(Yb, s, NA_I, j, -f_i * (i_na - inj_na))
        if closed:
            # The published models' shortcuts (0 or 1, exact multipliers): [K]i by
            # electroneutrality (Δ[K]i = −Δ[Na]i) and Cl− held (Cressman 2009).
            k_neutral = Pb[P_K_NEUTRAL * s + jp]
            f_cl = 1.0 - Pb[P_FIX_CL * s + jp]
            _kahan_add(Yb, s, K_I, j, -f_i * ((1.0 - k_neutral) * (i_k - inj_k)
                                              - k_neutral * (i_na - inj_na)))
            _kahan_add(Yb, s, CL_I, j, f_cl * f_i * (i_cl - inj_cl))  # z = −1
            _kahan_add(Yb, s, NA_O, j, f_o * i_na)
            _kahan_add(Yb, s, K_O, j, f_o * i_k)
            _kahan_add(Yb, s, CL_O, j, -f_cl * f_o * i_cl)
        else:
            _kahan_add(Yb, s, K_I, j, -f_i * (i_k - inj_k))
            _kahan_add(Yb, s, CL_I, j, f_i * (i_cl - inj_cl))  # z = −1
        v_mid = v + theta * dv
        Yb[Q_NA * s + j] += dt * g_na * (v_mid - e_na)
        Yb[Q_K * s + j] += dt * g_k * (v_mid - e_k)
        if full:
            Yb[Q_CL * s + j] += dt * g_cl * (v_mid - e_cl)
        Yb[Q_PUMP * s + j] += dt * i_pump
        Yb[Q_INJ_NA * s + j] += dt * inj_na
        Yb[Q_INJ_K * s + j] += dt * inj_k
        Yb[Q_INJ_CL * s + j] += dt * inj_cl
        Yb[V * s + j] = v + dv


@jit_inline
def _gates_phase(Yb, Pb, op, s, lanes, dt):
    """Exponential-Euler update of every gate of every lane at its voltage over dt (ms),
    dispatched on the channel family (one loop each). The M-current gate moves in every
    lane of a block where any lane has g_M > 0."""
    kind = int(Pb[op + P_CH_KIND * s])
    if kind == 1:
        _gate_lanes(Yb, Pb, op, s, lanes, dt, 1, False, False)
    elif kind == 2:
        has_m = False
        for j in range(lanes):
            has_m = has_m or Pb[op + P_G_M * s + j] > 0.0
        if has_m:
            _gate_lanes(Yb, Pb, op, s, lanes, dt, 2, True, False)
        else:
            _gate_lanes(Yb, Pb, op, s, lanes, dt, 2, False, False)
    elif kind == 3:
        if Pb[op + P_H_FROM_N * s] > 0.5:
            _gate_lanes(Yb, Pb, op, s, lanes, dt, 3, False, True)
        elif Pb[op + P_G_M * s] > 0.0:  # Cressman 2009's Ca2+-activated AHP
            _gate_lanes(Yb, Pb, op, s, lanes, dt, 3, True, False)
        else:
            _gate_lanes(Yb, Pb, op, s, lanes, dt, 3, False, False)


@jit_inline
def _gate_lanes(Yb, Pb, op, s, lanes, dt, kind, has_m, h_of_n):
    """The gates of every lane; kind, has_m and h_of_n are constants at each call site."""
    for j in range(lanes):
        jp = op + j
        v = Yb[V * s + j]
        phi = Pb[P_PHI * s + jp]
        if kind == 1:
            am, bm, ah, bh, an, bn = hh_rates(v)
        elif kind == 2:
            am, bm, ah, bh, an, bn = traub_rates(v, Pb[P_VT * s + jp])
        else:
            am, bm, ah, bh, an, bn = cressman_rates(v)
        n = gate_step(Yb[N * s + j], an, bn, phi, dt)
        Yb[N * s + j] = n
        if kind == 3:  # instantaneous activation (Cressman 2009)
            Yb[M * s + j] = am / (am + bm)
        else:
            Yb[M * s + j] = gate_step(Yb[M * s + j], am, bm, phi, dt)
        if h_of_n:
            Yb[H * s + j] = h_from_n_huebel(n)
        else:
            Yb[H * s + j] = gate_step(Yb[H * s + j], ah, bh, phi, dt)
        if has_m and kind == 3:  # AHP Ca2+ relaxes exactly at frozen V; P = Ca/(1 + Ca)
            tau = Pb[P_TAU_CA * s + jp]
            ca_inf = tau * ahp_calcium_source(v, Pb[P_G_CA * s + jp], Pb[P_E_CA * s + jp])
            ca = ca_inf + (Yb[CA_I * s + j] - ca_inf) * math.exp(-dt / tau)
            Yb[CA_I * s + j] = ca
            Yb[P * s + j] = ca / (1.0 + ca)
        elif has_m:
            p_inf, tau_p = m_current_gate(v, Pb[P_TAU_M_MAX * s + jp])
            Yb[P * s + j] = p_inf + (Yb[P * s + j] - p_inf) * math.exp(-phi * dt / tau_p)


@jit_inline
def _exchange_rates(Pb, Db, jp, jd, s, v, na_i, k_i, cl_i, na_o, k_o, cl_o, bound, o2, w,
                    ctx):
    """The slow exchanges of the lane whose parameters and drives sit at Pb[i·s + jp] and
    Db[i·s + jd], at these concentrations (mM), O2 (mg/L), relative cell volume w and
    pump context ctx = ([ATP], [ADP], [Pi] in mM, unblocked fraction; compose.pump_context).
    Returns (glial uptake, buffer binding, glial pump, Na+, K+ and Cl− to the bath:
    mM/ms of the current extracellular volume, out of it; KCC2, NKCC1: mM/ms of cell
    volume, out of the cell; d[O2]/dt in mg/L/ms). A K+ puff counts as K+ from the bath
    (negative loss)."""
    fail, o2f, collapse = 1.0, 1.0, 1.0
    oxygen = Pb[P_OXYGEN * s + jp] != 0.0
    if oxygen:  # hypoxic bath: glia and exchange fail (Wei 2014)
        fail = sigmoid_rise(Db[D_O2_BATH * s + jd], Pb[P_O2_FAIL_HALF * s + jp],
                            Pb[P_O2_FAIL_SLOPE * s + jp])
        o2f = sigmoid_rise(o2, Pb[P_O2_HALF * s + jp], Pb[P_O2_SLOPE * s + jp])
    if Pb[P_VOLUME * s + jp] != 0.0:  # a collapsing extracellular space stops exchanging
        ratio = Pb[P_VOL_RATIO * s + jp] * w / outside_volume(Pb[P_VOL_RATIO * s + jp], w)
        collapse = 1.0 / (1.0 + math.exp((ratio - Pb[P_BATH_COLLAPSE * s + jp])
                                         / Pb[P_BATH_COLLAPSE_SLOPE * s + jp]))
    up = fail * glial_uptake(k_o, Pb[P_GLIA_MAX * s + jp], Pb[P_GLIA_HALF * s + jp],
                             Pb[P_GLIA_SLOPE * s + jp])
    bind = buffer_binding(k_o, bound, Pb[P_BUF_TOTAL * s + jp], Pb[P_BUF_OFF * s + jp],
                          Pb[P_BUF_HALF * s + jp], Pb[P_BUF_SLOPE * s + jp])
    glial_pump = o2f * Pb[P_GLIA_PUMP_MAX * s + jp] / (
        1.0 + math.exp(Pb[P_GLIA_PUMP_HALF * s + jp] - k_o))
    open_ = fail * collapse
    to_na = open_ * bath_exchange(na_o, Db[D_NA_BATH * s + jd], Pb[P_BATH_RATE_NA * s + jp])
    to_k = (open_ * bath_exchange(k_o, Db[D_K_BATH * s + jd], Pb[P_BATH_RATE_K * s + jp])
            - Db[D_K_PUFF * s + jd])
    to_cl = open_ * bath_exchange(cl_o, Db[D_CL_BATH * s + jd], Pb[P_BATH_RATE_CL * s + jp])
    kcc = 0.0
    if Pb[P_KCC2 * s + jp] != 0.0:
        kcc = kcc2_flux(k_i, cl_i, k_o, cl_o, Pb[P_KCC2 * s + jp])
    nkcc = 0.0
    if Pb[P_NKCC1 * s + jp] != 0.0:
        nkcc = nkcc1_flux(na_i, k_i, cl_i, na_o, k_o, cl_o, Pb[P_NKCC1 * s + jp],
                          Pb[P_NKCC1_K_HALF * s + jp])
    d_o2 = 0.0
    if oxygen:  # O2 burnt by both pumps (mM of cycles × use), bath supply
        i_pump = o2f * pump_current(pump_rate_of(
            int(Pb[P_PUMP_KIND * s + jp]), v, na_i, k_i, na_o, k_o, Pb[P_RT_F * s + jp],
            Pb[P_PUMP_MAX * s + jp], ctx[0], ctx[1], ctx[2], Pb[P_KM_ATP * s + jp],
            Pb[P_ATP_NORMAL * s + jp], ctx[3], Pb, P_PUMP_0 * s + jp, s, ctx[4], ctx[5],
            ctx[6], ctx[7], ctx[8]))
        cycles = Pb[P_FLUX_I * s + jp] / w * i_pump + 0.5 * glial_pump  # 2 K+ per glial cycle
        d_o2 = (-Pb[P_O2_USE * s + jp] * cycles
                + Pb[P_O2_RATE * s + jp] * (Db[D_O2_BATH * s + jd] - o2))
    return up, bind, glial_pump, to_na, to_k, to_cl, kcc, nkcc, d_o2


@jit_inline
def _exchange_derivatives(Pb, Db, jp, jd, s, v, na_i, k_i, cl_i, na_o, k_o, cl_o, bound, o2,
                          w, ctx):
    """d/dt (mM/ms, mg/L/ms) of (na_i, k_i, cl_i, na_o, k_o, cl_o, bound, o2) from the slow
    exchanges alone, and the rates (glia, buffer, bath Na+, K+, Cl−) the counters book."""
    up, bind, glial_pump, to_na, to_k, to_cl, kcc, nkcc, d_o2 = _exchange_rates(
        Pb, Db, jp, jd, s, v, na_i, k_i, cl_i, na_o, k_o, cl_o, bound, o2, w, ctx)
    ratio = Pb[P_VOL_RATIO * s + jp]
    to_out = ratio * w / outside_volume(ratio, w)  # cell → outside conc.
    return (-nkcc, -(kcc + nkcc), -(kcc + 2.0 * nkcc),
            to_out * nkcc - to_na, to_out * (kcc + nkcc) - up - bind - glial_pump - to_k,
            to_out * (kcc + 2.0 * nkcc) - to_cl, bind, d_o2,
            up + glial_pump, to_na, to_k, to_cl)


@step_jit
def _tissue_lanes(Yb, Pb, Db, op, od, s, lanes, dt):
    """Glia, bath, cotransporters, O2 and cell volume of every lane over dt (ms) with the
    membrane frozen. Exchanges by the explicit midpoint rule (rates ≤ ~0.01/ms, far from
    its stability limit); what leaves the extracellular space is added to the glia,
    buffer and bath counters (per initial extracellular volume), so each ion's total
    stays exact to rounding. Then the volume by a linearly implicit trapezoidal step
    (osmotic relaxation is stiff, up to ~0.05/ms), amounts held as the volumes change."""
    for j in range(lanes):
        jp, jd = op + j, od + j
        x = (Yb[NA_I * s + j], Yb[K_I * s + j], Yb[CL_I * s + j], Yb[NA_O * s + j],
             Yb[K_O * s + j], Yb[CL_O * s + j], Yb[K_BUFFER * s + j], Yb[O2 * s + j])
        v, w = Yb[V * s + j], Yb[VOL_I * s + j]
        ctx = pump_context(Yb, Pb, Db, jp, jd, s, j)
        r1 = _exchange_derivatives(Pb, Db, jp, jd, s, v, x[0], x[1], x[2], x[3], x[4], x[5],
                                   x[6], x[7], w, ctx)
        h = 0.5 * dt
        r = _exchange_derivatives(Pb, Db, jp, jd, s, v, x[0] + h * r1[0], x[1] + h * r1[1],
                                  x[2] + h * r1[2], x[3] + h * r1[3], x[4] + h * r1[4],
                                  x[5] + h * r1[5], x[6] + h * r1[6], x[7] + h * r1[7], w,
                                  ctx)
        for k in range(6):
            if r[k] != 0.0:
                _kahan_add(Yb, s, NA_I + k, j, dt * r[k])
        Yb[K_BUFFER * s + j] += dt * r[6]
        Yb[O2 * s + j] += dt * r[7]
        vo = outside_volume(Pb[P_VOL_RATIO * s + jp], w)
        Yb[K_GLIA * s + j] += dt * r[8] * vo
        Yb[BATH_NA * s + j] += dt * r[9] * vo
        Yb[BATH_K * s + j] += dt * r[10] * vo
        Yb[BATH_CL * s + j] += dt * r[11] * vo
        if Pb[P_VOLUME * s + jp] != 0.0:
            _volume_step(Yb, Pb, jp, s, j, dt)
        if Pb[P_OXYGEN * s + jp] != 0.0:
            Yb[O2_PUMP * s + j] = sigmoid_rise(Yb[O2 * s + j], Pb[P_O2_HALF * s + jp],
                                               Pb[P_O2_SLOPE * s + jp])


@step_jit
def _ouabain_lanes(Yb, Pb, Db, op, od, s, lanes, dt):
    """Ouabain binding to every lane's pumps over dt (ms), exactly for the segment's
    constant concentration c: b → b∞ + (b − b∞)·e^(−dt/τ), b∞ = k_on·c/(k_on·c + k_off),
    1/τ = k_on·c + k_off."""
    for j in range(lanes):
        on = Pb[op + P_OUABAIN_ON * s + j] * Db[od + D_OUABAIN * s + j]
        rate = on + Pb[op + P_OUABAIN_OFF * s + j]
        if rate > 0.0:
            b_inf = on / rate
            b = Yb[OUABAIN_BOUND * s + j]
            Yb[OUABAIN_BOUND * s + j] = b_inf + (b - b_inf) * math.exp(-rate * dt)


@jit_inline
def atp_rates(Pb, Db, jp, jd, s, atp, adp, o2_factor):
    """(made, basal use) of ATP in mM/ms of cell volume at [ATP], [ADP] (mM) and the pumps'
    O2 factor (CellSpec.metabolism's forms)."""
    made = ((Pb[P_OXPHOS_MAX * s + jp] * o2_factor * (1.0 - Db[D_OXPHOS_BLOCK * s + jd])
             + Pb[P_GLYCOLYSIS_MAX * s + jp]) * adp / (adp + Pb[P_KM_ADP * s + jp]))
    basal = Pb[P_BASAL_MAX * s + jp] * atp / (atp + Pb[P_KM_ATP_BASAL * s + jp])
    return made, basal


@step_jit
def _metabolism_lanes(Yb, Pb, Db, op, od, s, lanes, dt):
    """ATP, ADP and Pi of every lane over dt (ms) after the membrane step: the pump's ATP
    is booked from the pump charge Q_PUMP that crossed since the last booking (one ATP per
    cycle, the same cycles that moved 3 Na+ and 2 K+), production and basal use by an
    explicit step at the present state (rates ≤ ~1e-3 mM/ms). The same amount leaves ATP
    and enters ADP and Pi, so ATP + ADP and ATP + Pi stay exact to rounding; the counters
    hold amounts per initial cell volume."""
    for j in range(lanes):
        jp, jd = op + j, od + j
        w = Yb[VOL_I * s + j]
        q = Yb[Q_PUMP * s + j]
        by_pump = Pb[P_FLUX_I * s + jp] * (q - Yb[Q_PUMP_BOOKED * s + j])  # mM·initial vol
        Yb[Q_PUMP_BOOKED * s + j] = q
        made, basal = atp_rates(Pb, Db, jp, jd, s, Yb[ATP_I * s + j], Yb[ADP_I * s + j],
                                Yb[O2_PUMP * s + j])
        made *= dt * w
        basal *= dt * w
        change = (made - basal - by_pump) / w  # mM of the present cell volume
        Yb[ATP_I * s + j] += change
        Yb[ADP_I * s + j] -= change
        Yb[PI_I * s + j] -= change
        Yb[ATP_MADE * s + j] += made
        Yb[ATP_PUMP * s + j] += by_pump
        Yb[ATP_BASAL * s + j] += basal


@jit_inline
def _volume_rate(Pb, jp, s, w, osm_i, osm_o):
    """dw/dt (1/ms) of the relative cell volume w and its derivative in w, for osm_i and
    osm_o osmoles (mM at the initial cell and extracellular volumes) that do not change."""
    ratio = Pb[P_VOL_RATIO * s + jp]
    vo = outside_volume(ratio, w)
    pi_i, pi_o = osm_i / w, osm_o / vo
    tau, swell = Pb[P_VOL_TAU * s + jp], Pb[P_VOL_SWELL * s + jp]
    scale = Pb[P_VOL_SCALE * s + jp]
    target = volume_target(pi_i, pi_o, swell, scale)
    d_target = -swell / scale * math.exp((pi_o - pi_i) / scale) * (
        osm_o * ratio / (vo * vo) + osm_i / (w * w))
    return (target - w) / tau, (d_target - 1.0) / tau


@jit_inline
def _volume_step(Yb, Pb, jp, s, j, dt):
    """Water follows the osmotic gradient: w by a linearly implicit trapezoidal step, then
    every concentration changed by what keeps its amount, added with Kahan compensation
    (the charge–voltage relation stays at round-off over millions of steps)."""
    w = Yb[VOL_I * s + j]
    ratio = Pb[P_VOL_RATIO * s + jp]
    vo = outside_volume(ratio, w)
    osm_i = (Yb[NA_I * s + j] + Yb[K_I * s + j] + Yb[CL_I * s + j]) * w + Pb[P_IMP_I * s + jp]
    osm_o = ((Yb[NA_O * s + j] + Yb[K_O * s + j] + Yb[CL_O * s + j]) * vo
             + Pb[P_IMP_O * s + jp])
    rate, slope = _volume_rate(Pb, jp, s, w, osm_i, osm_o)
    w_new = w + dt * rate / (1.0 - 0.5 * dt * slope)
    vo_new = outside_volume(ratio, w_new)
    inside, outside = (w - w_new) / w_new, (vo - vo_new) / vo_new  # relative changes
    for k in range(3):
        _kahan_add(Yb, s, NA_I + k, j, Yb[(NA_I + k) * s + j] * inside)
        _kahan_add(Yb, s, NA_O + k, j, Yb[(NA_O + k) * s + j] * outside)
    Yb[K_BUFFER * s + j] += Yb[K_BUFFER * s + j] * outside
    for k in range(3):  # ATP, ADP, Pi (0 without a metabolism)
        Yb[(ATP_I + k) * s + j] += Yb[(ATP_I + k) * s + j] * inside
    Yb[VOL_I * s + j] = w_new


@step_jit
def rhs(y, p, d, out):
    """Time derivatives dy/dt (per ms) of the continuous model, written into out.

    Used by the error-controlled integrators (engine.switching, engine.reference).
    Algebraic gates (instantaneous m, h(n), the AHP's activation) get zero derivative
    and are evaluated where used. Written for speed, as those integrators call it
    millions of times: each rate and reversal potential is computed once (one log per
    ion), which makes it ~2× faster than composing conductances and _ion_currents;
    it computes the same quantities, to rounding.
    """
    v = y[V]
    kind = int(p[P_CH_KIND])
    am, bm, ah, bh, an, bn = gate_rates(p, v)
    m, h, pm = y[M], y[H], y[P]
    if kind == 3:  # instantaneous activation, AHP set by Ca2+ (Cressman 2009)
        m = am / (am + bm)
        if p[P_G_M] > 0.0:
            pm = y[CA_I] / (1.0 + y[CA_I])
    if p[P_H_FROM_N] > 0.5:  # h follows n (Hübel & Dahlem 2014)
        h = h_from_n_huebel(y[N])
    g_na, g_k = channel_conductances(m, h, y[N], pm, p[P_G_NA], p[P_G_K], p[P_G_M],
                                     p[P_GL_NA], p[P_GL_K])
    g_cl = p[P_GL_CL]
    rt_f = p[P_RT_F]
    e_na = rt_f * math.log(y[NA_O] / y[NA_I])
    e_k = rt_f * math.log(y[K_O] / y[K_I])
    e_cl = -rt_f * math.log(y[CL_O] / y[CL_I]) if g_cl != 0.0 else 0.0
    i_pump = pump_current(pump_rate(y, p, d, v))
    i_na, i_k, i_cl = ion_currents(v, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump)
    inj_na, inj_k, inj_cl = d[D_STIM_NA], d[D_STIM_K], d[D_STIM_CL]
    net = (i_na + i_k + i_cl - (1.0 - p[P_PUMP_V]) * i_pump
           - (inj_na + inj_k + inj_cl))
    for j in range(out.shape[0]):
        out[j] = 0.0
    if d[D_CLAMP] > 0.5:  # the amplifier supplies the net current: dV/dt = 0
        inj_na, inj_k, inj_cl = add_to_carrier(p[P_STIM_ION], net, inj_na, inj_k, inj_cl)
    else:
        out[V] = -net / p[P_CAP]
    if p[P_DYNAMIC] != 0.0:
        w = y[VOL_I]
        vo = outside_volume(p[P_VOL_RATIO], w)
        f_i = p[P_FLUX_I]
        f_o = p[P_FLUX_O]
        tissue = has_tissue(p[P_FLUX_O], p[P_DYNAMIC])
        if tissue:  # per the volumes as they are now
            f_i /= w
            f_o /= vo
        k_neutral = p[P_K_NEUTRAL]
        f_cl = 1.0 - p[P_FIX_CL]
        out[NA_I] = -f_i * (i_na - inj_na)
        out[K_I] = -f_i * ((1.0 - k_neutral) * (i_k - inj_k) - k_neutral * (i_na - inj_na))
        out[CL_I] = f_cl * f_i * (i_cl - inj_cl)
        out[NA_O] = f_o * i_na
        out[K_O] = f_o * i_k
        out[CL_O] = -f_cl * f_o * i_cl
        if tissue:
            r = _exchange_derivatives(p, d, 0, 0, 1, v, y[NA_I], y[K_I], y[CL_I], y[NA_O],
                                      y[K_O], y[CL_O], y[K_BUFFER], y[O2], w,
                                      pump_context(y, p, d, 0, 0, 1, 0))
            for k in range(6):
                out[NA_I + k] += r[k]
            out[K_BUFFER] = r[6]
            out[O2] = r[7]
            out[K_GLIA] = r[8] * vo
            out[BATH_NA] = r[9] * vo
            out[BATH_K] = r[10] * vo
            out[BATH_CL] = r[11] * vo
            if p[P_VOLUME] != 0.0:  # water flow dilutes or concentrates, amounts held
                osm_i = (y[NA_I] + y[K_I] + y[CL_I]) * w + p[P_IMP_I]
                osm_o = (y[NA_O] + y[K_O] + y[CL_O]) * vo + p[P_IMP_O]
                dw, _ = _volume_rate(p, 0, 1, w, osm_i, osm_o)
                out[VOL_I] = dw
                d_vo = -p[P_VOL_RATIO] * dw
                for k in range(3):
                    out[NA_I + k] -= y[NA_I + k] * dw / w
                    out[NA_O + k] -= y[NA_O + k] * d_vo / vo
                out[K_BUFFER] -= y[K_BUFFER] * d_vo / vo
    out[OUABAIN_BOUND] = (p[P_OUABAIN_ON] * d[D_OUABAIN] * (1.0 - y[OUABAIN_BOUND])
                          - p[P_OUABAIN_OFF] * y[OUABAIN_BOUND])
    if p[P_PUMP_N_STATES] != 0.0:
        compose.pump_state_derivatives(y, p, d, out)
    if p[P_METABOLISM] != 0.0:  # the cell's own ATP (rates as in _metabolism_lanes)
        w = y[VOL_I]
        made, basal = atp_rates(p, d, 0, 0, 1, y[ATP_I], y[ADP_I], o2_factor(y, p))
        by_pump = p[P_FLUX_I] * i_pump  # mM/ms of the initial cell volume
        change = made - basal - by_pump / w
        out[ATP_I] = change
        out[ADP_I] = -change
        out[PI_I] = -change
        if p[P_VOLUME] != 0.0:  # diluted as the cell swells, amounts held
            for k in range(3):
                out[ATP_I + k] -= y[ATP_I + k] * out[VOL_I] / w
        out[ATP_MADE] = made * w
        out[ATP_PUMP] = by_pump
        out[ATP_BASAL] = basal * w
        out[Q_PUMP_BOOKED] = i_pump
    out[Q_NA] = g_na * (v - e_na)
    out[Q_K] = g_k * (v - e_k)
    out[Q_CL] = g_cl * (v - e_cl)
    out[Q_PUMP] = i_pump
    out[Q_INJ_NA] = inj_na
    out[Q_INJ_NA + 1] = inj_k
    out[Q_INJ_NA + 2] = inj_cl
    if kind == 0:
        return
    phi = p[P_PHI]
    out[N] = phi * (an * (1.0 - y[N]) - bn * y[N])
    if kind != 3:
        out[M] = phi * (am * (1.0 - y[M]) - bm * y[M])
    if p[P_H_FROM_N] < 0.5:
        out[H] = phi * (ah * (1.0 - y[H]) - bh * y[H])
    if p[P_G_M] > 0.0 and kind == 3:  # P = Ca/(1 + Ca) is algebraic
        out[CA_I] = ahp_calcium_source(v, p[P_G_CA], p[P_E_CA]) - y[CA_I] / p[P_TAU_CA]
    elif p[P_G_M] > 0.0:
        p_inf, tau_p = m_current_gate(v, p[P_TAU_M_MAX])
        out[P] = phi * (p_inf - y[P]) / tau_p


@step_jit
def clamp_jump(y, p, v_target):
    """Step V (mV) to v_target at a clamp's onset, its capacitive charge C·ΔV (nC/cm²)
    delivered by the electrode and carried by the stimulus ion (P_STIM_ION)."""
    carrier = int(p[P_STIM_ION])
    z = -1.0 if carrier == 2 else 1.0
    q = p[P_CAP] * (v_target - y[V])
    if p[P_DYNAMIC] != 0.0:  # Δc_i = f_i·C·ΔV/(z·w) (mM), w the cell's relative volume
        y[NA_I + carrier] += p[P_FLUX_I] * q / (z * y[VOL_I])
    y[Q_INJ_NA + carrier] += q
    y[V] = v_target


@step_jit
def sync_algebraic(y, p):
    """Set what is a function of other state (instantaneous m, h(n), the AHP's activation,
    the pumps' O2 factor) from the current state."""
    kind = int(p[P_CH_KIND])
    y[O2_PUMP] = o2_factor(y, p)
    if kind == 3:
        am, bm, _, _, _, _ = cressman_rates(y[V])
        y[M] = am / (am + bm)
        if p[P_G_M] > 0.0:
            y[P] = y[CA_I] / (1.0 + y[CA_I])
    if p[P_H_FROM_N] > 0.5:
        y[H] = h_from_n_huebel(y[N])


@step_jit
def observe(y, p, d, out):
    """Fill out[:N_OBS] with the state and the quantities derived from it."""
    for j in range(y.shape[0]):
        out[j] = y[j]
    v = y[V]
    i_na, i_k, i_cl, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump = _ion_currents(y, p, d, v)
    if int(p[P_CH_KIND]) == 3:
        am, bm, _, _, _, _ = cressman_rates(v)
        out[M] = am / (am + bm)
        if p[P_G_M] > 0.0:
            out[P] = y[CA_I] / (1.0 + y[CA_I])
    out[OBS_E_NA] = e_na
    out[OBS_E_K] = e_k
    out[OBS_E_CL] = e_cl
    out[OBS_I_NA] = g_na * (v - e_na)
    out[OBS_I_K] = g_k * (v - e_k)
    out[OBS_I_CL] = g_cl * (v - e_cl)
    out[OBS_I_PUMP] = i_pump
    out[OBS_PUMP_RATE] = pump_rate(y, p, d, v)
    i_inj = d[D_STIM_NA] + d[D_STIM_K] + d[D_STIM_CL]
    if d[D_CLAMP] > 0.5:
        i_inj = i_na + i_k + i_cl  # the holding current: all that crosses the membrane
    out[OBS_I_INJ] = i_inj
