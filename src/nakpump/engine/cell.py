"""One cell's biophysics on flat arrays: currents, the fixed step and the ODE right-hand side.

Written once as scalar numba functions over (y, p, d) laid out in
engine.layout, so that one cell, a population (prange over cells) and the
scipy reference integrator all run the same code. Nothing here validates or
allocates; specs are checked before they become arrays.

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

from nakpump._jit import jit
from nakpump.biophysics.channels import (
    cressman_rates,
    gate_step,
    h_from_n_huebel,
    hh_rates,
    m_current_gate,
    traub_rates,
)
from nakpump.biophysics.ions import nernst
from nakpump.biophysics.pumps import (
    atp_factor,
    pump_current,
    pump_rate_kager,
    pump_rate_luo_rudy,
    pump_rate_sigmoid,
)
from nakpump.engine.layout import (
    CL_I,
    CL_O,
    COMP_NA_I,
    D_ATP,
    D_BLOCK,
    D_CL_BATH,
    D_CLAMP,
    D_K_BATH,
    D_NA_BATH,
    D_STIM_CL,
    D_STIM_K,
    D_STIM_NA,
    D_V_CLAMP,
    K_I,
    K_O,
    NA_I,
    NA_O,
    OBS_E_CL,
    OBS_E_K,
    OBS_E_NA,
    OBS_I_CL,
    OBS_I_INJ,
    OBS_I_K,
    OBS_I_NA,
    OBS_I_PUMP,
    OBS_PUMP_RATE,
    P_ATP_NORMAL,
    P_CAP,
    P_CH_KIND,
    P_DYNAMIC,
    P_FLUX_I,
    P_FLUX_O,
    P_G_K,
    P_G_M,
    P_G_NA,
    P_GL_CL,
    P_GL_K,
    P_GL_NA,
    P_H_FROM_N,
    P_KM_ATP,
    P_PHI,
    P_PUMP_A,
    P_PUMP_B,
    P_PUMP_C,
    P_PUMP_D,
    P_PUMP_KIND,
    P_PUMP_MAX,
    P_RT_F,
    P_SCHEME,
    P_STIM_ION,
    P_TAU_M_MAX,
    P_VT,
    Q_CL,
    Q_INJ_NA,
    Q_K,
    Q_NA,
    Q_PUMP,
    H,
    M,
    N,
    P,
    V,
)

NA_PER_CYCLE = 3.0
K_PER_CYCLE = 2.0


@jit
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


@jit
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
        pm, _ = m_current_gate(v, p[P_TAU_M_MAX])
    return m, h, n, pm


@jit
def conductances(y, p, v):
    """Chord conductances (mS/cm²) of all Na+, K+ and Cl− pathways at v (mV)."""
    m = y[M]
    if int(p[P_CH_KIND]) == 3:  # instantaneous activation (Cressman 2009)
        am, bm, _, _, _, _ = cressman_rates(v)
        m = am / (am + bm)
    g_na = p[P_G_NA] * m * m * m * y[H] + p[P_GL_NA]
    n2 = y[N] * y[N]
    g_k = p[P_G_K] * n2 * n2 + p[P_G_M] * y[P] + p[P_GL_K]
    return g_na, g_k, p[P_GL_CL]


@jit
def pump_rate(y, p, d, v):
    """Pump turnover (cycles/s/µm²) at this state, with ATP and block applied."""
    kind = int(p[P_PUMP_KIND])
    if kind == 0:
        return 0.0
    if kind == 1:
        rate = pump_rate_kager(y[NA_I], y[K_O], p[P_PUMP_MAX], p[P_PUMP_A], p[P_PUMP_B])
    elif kind == 2:
        rate = pump_rate_luo_rudy(v, y[NA_I], y[NA_O], y[K_O], p[P_RT_F], p[P_PUMP_MAX],
                                  p[P_PUMP_A], p[P_PUMP_B], p[P_PUMP_C])
    else:
        rate = pump_rate_sigmoid(y[NA_I], y[K_O], p[P_PUMP_MAX], p[P_PUMP_A], p[P_PUMP_B],
                                 p[P_PUMP_C], p[P_PUMP_D])
    return rate * atp_factor(d[D_ATP], p[P_KM_ATP], p[P_ATP_NORMAL]) * (1.0 - d[D_BLOCK])


@jit
def reversals(y, p):
    """(E_Na, E_K, E_Cl) in mV."""
    rt_f = p[P_RT_F]
    return (nernst(rt_f, 1.0, y[NA_O], y[NA_I]), nernst(rt_f, 1.0, y[K_O], y[K_I]),
            nernst(rt_f, -1.0, y[CL_O], y[CL_I]))


@jit
def enter_segment(y, p, d):
    """Apply what a new protocol segment sets directly: the bath's concentrations."""
    if p[P_FLUX_O] == 0.0:
        y[NA_O] = d[D_NA_BATH]
        y[K_O] = d[D_K_BATH]
        y[CL_O] = d[D_CL_BATH]


@jit
def _ion_currents(y, p, d, v):
    """Per-ion outward membrane currents (µA/cm²) at v: channels, leaks and pump.

    Returns (i_na, i_k, i_cl, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump).
    """
    e_na, e_k, e_cl = reversals(y, p)
    g_na, g_k, g_cl = conductances(y, p, v)
    i_pump = pump_current(pump_rate(y, p, d, v))
    i_na = g_na * (v - e_na) + NA_PER_CYCLE * i_pump
    i_k = g_k * (v - e_k) - K_PER_CYCLE * i_pump
    i_cl = g_cl * (v - e_cl)
    return i_na, i_k, i_cl, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump


@jit
def _kahan_add(y, j, delta):
    """y[j] += delta with Kahan compensation kept in y[COMP_NA_I + j − NA_I]."""
    c = COMP_NA_I + j - NA_I
    corrected = delta - y[c]
    total = y[j] + corrected
    y[c] = (total - y[j]) - corrected
    y[j] = total


@jit
def _update_concentrations(y, p, i_na, i_k, i_cl, inj_na, inj_k, inj_cl, dt):
    """Move each ion over dt (ms): membrane currents i_X (outward) across the membrane,
    injected currents inj_X (inward, µA/cm²) into the cell only."""
    if p[P_DYNAMIC] == 0.0:
        return
    f_i = p[P_FLUX_I] * dt
    f_o = p[P_FLUX_O] * dt
    _kahan_add(y, NA_I, -f_i * (i_na - inj_na))
    _kahan_add(y, K_I, -f_i * (i_k - inj_k))
    _kahan_add(y, CL_I, f_i * (i_cl - inj_cl))  # z = −1
    if f_o != 0.0:
        _kahan_add(y, NA_O, f_o * i_na)
        _kahan_add(y, K_O, f_o * i_k)
        _kahan_add(y, CL_O, -f_o * i_cl)


@jit
def _add_to_carrier(p, i_clamp, inj_na, inj_k, inj_cl):
    """Injected currents per ion (µA/cm², inward +) with the clamp's added to its carrier."""
    carrier = int(p[P_STIM_ION])
    if carrier == 0:
        return inj_na + i_clamp, inj_k, inj_cl
    if carrier == 1:
        return inj_na, inj_k + i_clamp, inj_cl
    return inj_na, inj_k, inj_cl + i_clamp


@jit
def step(y, p, d, dt):
    """Advance one cell by dt (ms) in place (the scheme p[P_SCHEME] selects).

    0: linearly implicit (backward Euler) V and concentrations, then exponential-
    Euler gates at the new V: first order, L-stable (NEURON's default staggering).
    1: Strang splitting, gates for dt/2 at the old V, V and concentrations by the
    linearised trapezoidal rule, gates for dt/2 at the new V: second order.
    Both keep C·ΔV = Δt·(Σ injected − Σ membrane currents) exactly.
    """
    if p[P_SCHEME] == 0.0:
        _membrane_step(y, p, d, dt, 1.0)
        _step_gates(y, p, y[V], dt)
    else:
        _step_gates(y, p, y[V], 0.5 * dt)
        _membrane_step(y, p, d, dt, 0.5)
        _step_gates(y, p, y[V], 0.5 * dt)


@jit
def _membrane_step(y, p, d, dt, theta):
    """V and concentrations over dt with gates frozen; currents linearised, evaluated at
    V + theta·ΔV (theta 1: backward Euler, 1/2: trapezoidal)."""
    v = y[V]
    i_na, i_k, i_cl, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump = _ion_currents(y, p, d, v)
    inj_na, inj_k, inj_cl = d[D_STIM_NA], d[D_STIM_K], d[D_STIM_CL]
    cap = p[P_CAP]
    g_tot = g_na + g_k + g_cl
    net = i_na + i_k + i_cl - (inj_na + inj_k + inj_cl)
    i_clamp = 0.0
    if d[D_CLAMP] > 0.5:
        dv = d[D_V_CLAMP] - v
        i_clamp = cap * dv / dt + net + theta * g_tot * dv  # what the amplifier injects
    else:
        dv = -dt * net / (cap + theta * dt * g_tot)
    # Currents at V + theta·dv; C·dv = dt·(Σ injected − Σ membrane) holds exactly.
    i_na += theta * g_na * dv
    i_k += theta * g_k * dv
    i_cl += theta * g_cl * dv
    inj_na, inj_k, inj_cl = _add_to_carrier(p, i_clamp, inj_na, inj_k, inj_cl)
    _update_concentrations(y, p, i_na, i_k, i_cl, inj_na, inj_k, inj_cl, dt)

    v_mid = v + theta * dv
    y[Q_NA] += dt * g_na * (v_mid - e_na)
    y[Q_K] += dt * g_k * (v_mid - e_k)
    y[Q_CL] += dt * g_cl * (v_mid - e_cl)
    y[Q_PUMP] += dt * i_pump
    y[Q_INJ_NA] += dt * inj_na
    y[Q_INJ_NA + 1] += dt * inj_k
    y[Q_INJ_NA + 2] += dt * inj_cl
    y[V] = v + dv


@jit
def _step_gates(y, p, v, dt):
    """Exponential-Euler update of every gate at voltage v (mV) over dt (ms)."""
    kind = int(p[P_CH_KIND])
    if kind == 0:
        return
    phi = p[P_PHI]
    am, bm, ah, bh, an, bn = gate_rates(p, v)
    n = gate_step(y[N], an, bn, phi, dt)
    y[N] = n
    if kind == 3:
        y[M] = am / (am + bm)
    else:
        y[M] = gate_step(y[M], am, bm, phi, dt)
    if p[P_H_FROM_N] > 0.5:
        y[H] = h_from_n_huebel(n)
    else:
        y[H] = gate_step(y[H], ah, bh, phi, dt)
    if p[P_G_M] > 0.0:
        p_inf, tau_p = m_current_gate(v, p[P_TAU_M_MAX])
        y[P] = p_inf + (y[P] - p_inf) * math.exp(-phi * dt / tau_p)


@jit
def rhs(y, p, d, out):
    """Time derivatives dy/dt (per ms) of the continuous model, written into out.

    Used by the scipy reference integrator. Algebraic gates (instantaneous m,
    h(n)) get zero derivative and are evaluated where used.
    """
    v = y[V]
    i_na, i_k, i_cl, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump = _ion_currents(y, p, d, v)
    inj_na, inj_k, inj_cl = d[D_STIM_NA], d[D_STIM_K], d[D_STIM_CL]
    net = i_na + i_k + i_cl - (inj_na + inj_k + inj_cl)
    for j in range(out.shape[0]):
        out[j] = 0.0
    if d[D_CLAMP] > 0.5:  # the amplifier supplies the net current: dV/dt = 0
        inj_na, inj_k, inj_cl = _add_to_carrier(p, net, inj_na, inj_k, inj_cl)
    else:
        out[V] = -net / p[P_CAP]
    if p[P_DYNAMIC] != 0.0:
        f_i = p[P_FLUX_I]
        f_o = p[P_FLUX_O]
        out[NA_I] = -f_i * (i_na - inj_na)
        out[K_I] = -f_i * (i_k - inj_k)
        out[CL_I] = f_i * (i_cl - inj_cl)
        out[NA_O] = f_o * i_na
        out[K_O] = f_o * i_k
        out[CL_O] = -f_o * i_cl
    out[Q_NA] = g_na * (v - e_na)
    out[Q_K] = g_k * (v - e_k)
    out[Q_CL] = g_cl * (v - e_cl)
    out[Q_PUMP] = i_pump
    out[Q_INJ_NA] = inj_na
    out[Q_INJ_NA + 1] = inj_k
    out[Q_INJ_NA + 2] = inj_cl
    kind = int(p[P_CH_KIND])
    if kind == 0:
        return
    phi = p[P_PHI]
    am, bm, ah, bh, an, bn = gate_rates(p, v)
    out[N] = phi * (an * (1.0 - y[N]) - bn * y[N])
    if kind != 3:
        out[M] = phi * (am * (1.0 - y[M]) - bm * y[M])
    if p[P_H_FROM_N] < 0.5:
        out[H] = phi * (ah * (1.0 - y[H]) - bh * y[H])
    if p[P_G_M] > 0.0:
        p_inf, tau_p = m_current_gate(v, p[P_TAU_M_MAX])
        out[P] = phi * (p_inf - y[P]) / tau_p


@jit
def sync_algebraic(y, p):
    """Set gates that are functions of others (instantaneous m, h(n)) from the current state."""
    kind = int(p[P_CH_KIND])
    if kind == 3:
        am, bm, _, _, _, _ = cressman_rates(y[V])
        y[M] = am / (am + bm)
    if p[P_H_FROM_N] > 0.5:
        y[H] = h_from_n_huebel(y[N])


@jit
def observe(y, p, d, out):
    """Fill out[:N_OBS] with the state and the quantities derived from it."""
    for j in range(y.shape[0]):
        out[j] = y[j]
    v = y[V]
    i_na, i_k, i_cl, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump = _ion_currents(y, p, d, v)
    if int(p[P_CH_KIND]) == 3:
        am, bm, _, _, _, _ = cressman_rates(v)
        out[M] = am / (am + bm)
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
