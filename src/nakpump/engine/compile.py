"""Specification → flat arrays: the one place a CellSpec becomes numbers for the kernels."""

from __future__ import annotations

import numpy as np

from nakpump.biophysics.tissue import sigmoid_rise
from nakpump.engine import layout as L
from nakpump.engine.cell import ahp_calcium_steady, steady_gates
from nakpump.engine.layout import (
    CA_I,
    CHANNEL_KIND_CODE,
    CL_I,
    CL_O,
    ION_CODE,
    K_I,
    K_O,
    N_PARAM,
    N_STATE,
    NA_I,
    NA_O,
    P_ATP_NORMAL,
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
    P_GLIA_SLOPE,
    P_H_FROM_N,
    P_K_NEUTRAL,
    P_KM_ATP,
    P_PHI,
    P_PUMP_KIND,
    P_PUMP_MAX,
    P_PUMP_V,
    P_RT_F,
    P_STIM_ION,
    P_TAU_CA,
    P_TAU_M_MAX,
    P_VT,
    H,
    M,
    N,
    P,
    V,
)
from nakpump.mechanisms import pump_code
from nakpump.model.spec import CellSpec, Glia
from nakpump.units import celsius_to_kelvin, flux_factor, rt_over_f


def cell_parameters(cell: CellSpec) -> np.ndarray:
    """The parameter vector p of a cell (layout in engine.layout)."""
    p = np.zeros(N_PARAM)
    p[P_CAP] = cell.capacitance
    p[P_RT_F] = rt_over_f(celsius_to_kelvin(cell.temp_c))
    p[P_FLUX_I] = flux_factor(cell.area, cell.volume)
    p[P_FLUX_O] = 0.0 if cell.outside_volume is None else flux_factor(cell.area,
                                                                       cell.outside_volume)
    p[P_DYNAMIC] = 1.0 if cell.concentrations == "dynamic" else 0.0
    ch = cell.channels
    p[P_CH_KIND] = CHANNEL_KIND_CODE[ch.kind]
    # P_G_M is the slow K+ conductance gated by state P: the M-current (traub) or
    # Cressman's Ca2+-activated AHP (cressman); a cell has at most one of them.
    p[P_G_NA], p[P_G_K], p[P_G_M] = ch.g_na, ch.g_k, ch.g_m + ch.g_ahp
    p[P_G_CA], p[P_E_CA], p[P_TAU_CA] = ch.g_ca, ch.e_ca, ch.tau_ca
    p[P_TAU_M_MAX], p[P_VT] = ch.tau_m_max, ch.vt
    p[P_PHI] = ch.rate_factor(cell.temp_c)
    p[P_H_FROM_N] = 1.0 if ch.h_from_n else 0.0
    p[P_GL_NA], p[P_GL_K], p[P_GL_CL] = cell.leak.g_na, cell.leak.g_k, cell.leak.g_cl
    pump = cell.pump
    p[P_PUMP_KIND] = pump_code(None if pump is None else pump.kind)
    if pump is not None:
        p[P_PUMP_MAX] = pump.rate_max * pump.q10 ** ((cell.temp_c - pump.temp_ref_c) / 10.0)
        p[P_KM_ATP] = pump.km_atp
        if not pump.mechanism.handles_ouabain:  # else the form's own states bind it
            p[L.P_OUABAIN_ON] = pump.ouabain_k_on / 1000.0  # per µM per ms
            p[L.P_OUABAIN_OFF] = pump.ouabain_k_off / 1000.0
        p[L.P_PUMP_N_STATES] = len(pump.mechanism.states)
        for i, name in enumerate(pump.mechanism.params):  # the form's slots, declared order
            p[L.P_PUMP_0 + i] = getattr(pump, name)
    p[L.P_ADP], p[L.P_PI] = cell.adp, cell.pi
    p[L.P_N_LIVE] = L.N_STATE  # engine.switching.live_rows narrows it for a run
    met = cell.metabolism
    if met is not None:
        p[L.P_METABOLISM] = 1.0
        p[L.P_OXPHOS_MAX], p[L.P_GLYCOLYSIS_MAX] = met.oxphos_max / 1000.0, (
            met.glycolysis_max / 1000.0)
        p[L.P_BASAL_MAX] = met.basal_max / 1000.0
    p[L.P_KM_ADP] = met.km_adp if met else 1.0  # finite shapes without a metabolism
    p[L.P_KM_ATP_BASAL] = met.km_atp_basal if met else 1.0
    p[P_ATP_NORMAL] = cell.atp
    p[P_STIM_ION] = ION_CODE[cell.stim_ion]
    p[P_PUMP_V] = 1.0 if cell.pump_electrogenic else 0.0
    p[P_K_NEUTRAL] = 1.0 if cell.k_i_rule == "electroneutral" else 0.0
    p[P_FIX_CL] = 1.0 if cell.fixed_cl else 0.0
    _tissue_parameters(cell, p)
    return p


def _tissue_parameters(cell: CellSpec, p: np.ndarray) -> None:
    """Glia and bath into p (rates per ms). Absent parts keep rate 0 and finite shapes."""
    glia = cell.glia or Glia()
    p[P_GLIA_MAX] = glia.uptake_max / 1000.0 if cell.glia else 0.0
    p[P_GLIA_HALF], p[P_GLIA_SLOPE] = glia.k_half, glia.k_slope
    p[P_BUF_TOTAL] = glia.buffer_total if cell.glia else 0.0
    p[P_BUF_OFF] = glia.buffer_k_off / 1000.0
    p[P_BUF_HALF], p[P_BUF_SLOPE] = glia.buffer_k_half, glia.buffer_k_slope
    if cell.bath is not None:
        b = cell.bath
        p[P_BATH_RATE_NA], p[P_BATH_RATE_K], p[P_BATH_RATE_CL] = (
            b.rate_na / 1000.0, b.rate_k / 1000.0, b.rate_cl / 1000.0)
    if cell.closed:
        p[L.P_VOL_RATIO] = cell.volume / cell.outside_volume
    if cell.glia is not None:
        p[L.P_GLIA_PUMP_MAX] = cell.glia.pump_max / 1000.0
        p[L.P_GLIA_PUMP_HALF] = cell.glia.pump_k_half
    bath = cell.bath
    p[L.P_BATH_COLLAPSE], p[L.P_BATH_COLLAPSE_SLOPE] = ((bath.collapse_ratio, bath.collapse_slope)
                                                        if bath else (20.0, 2.0))
    co = cell.cotransport
    p[L.P_KCC2], p[L.P_NKCC1] = (co.kcc2 / 1000.0, co.nkcc1 / 1000.0) if co else (0.0, 0.0)
    p[L.P_NKCC1_K_HALF] = co.nkcc1_k_half if co else 16.0
    law = cell.volume_law
    p[L.P_VOLUME] = 1.0 if law else 0.0
    p[L.P_VOL_TAU], p[L.P_VOL_SWELL], p[L.P_VOL_SCALE] = ((law.tau, law.swell_max,
                                                           law.osmotic_scale)
                                                          if law else (1.0, 0.0, 1.0))
    p[L.P_IMP_I], p[L.P_IMP_O] = cell.impermeant_i, cell.impermeant_o
    ox = cell.oxygen
    p[L.P_OXYGEN] = 1.0 if ox else 0.0
    if ox is not None:
        p[L.P_O2_HALF], p[L.P_O2_SLOPE] = ox.half, ox.slope
        p[L.P_O2_USE], p[L.P_O2_RATE] = ox.use_per_cycle, ox.rate / 1000.0
        p[L.P_O2_FAIL_HALF], p[L.P_O2_FAIL_SLOPE] = ox.failure_half, ox.failure_slope
    else:  # finite shapes, never used
        p[L.P_O2_SLOPE] = p[L.P_O2_FAIL_SLOPE] = 1.0


def initial_state(cell: CellSpec, p: np.ndarray | None = None) -> np.ndarray:
    """The state vector y at the cell's stored voltage and concentrations, gates at steady state."""
    if p is None:
        p = cell_parameters(cell)
    y = np.zeros(N_STATE)
    y[V] = cell.v_init
    y[M], y[H], y[N], y[P] = steady_gates(p, cell.v_init)
    if cell.channels.g_ahp > 0.0:
        y[CA_I] = ahp_calcium_steady(p, cell.v_init)
    y[L.VOL_I] = 1.0
    y[L.O2_PUMP] = 1.0
    if cell.oxygen is not None:
        y[L.O2] = cell.oxygen.initial
        y[L.O2_PUMP] = sigmoid_rise(y[L.O2], cell.oxygen.half, cell.oxygen.slope)
    if cell.metabolism is not None:
        y[L.ATP_I], y[L.ADP_I], y[L.PI_I] = cell.atp, cell.adp, cell.pi
    if cell.pump is not None:
        for k, state in enumerate(cell.pump.mechanism.states.values()):
            y[L.PUMP_S0 + k] = state.initial
    ions = cell.ions
    y[NA_I], y[K_I], y[CL_I] = ions.na_i, ions.k_i, ions.cl_i
    y[NA_O], y[K_O], y[CL_O] = ions.na_o, ions.k_o, ions.cl_o
    return y
