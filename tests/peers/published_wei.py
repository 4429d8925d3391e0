"""Independent peer implementation of Wei, Ullah & Schiff (2014).

Plain numpy + scipy; nothing here imports nakpump, so it can serve as an external
cross-check. Equations, parameters and the initial state follow
/work/shared/references.md §3 ("Wei, Ullah & Schiff (2014) J Neurosci
34(35):11733") as literally as possible: time in ms, amounts N in mol,
concentrations in mM (= mol/m³), membrane currents in µA/cm² (outward
positive), conductances in mS/cm², O2 in mg/L. The transporter, glia, bath and
volume rates are written per second, as in the paper, and turned into per-ms
rates by τ = 1e-3 s/ms. RT/F is the literal 26.64 mV of the model.

    res = wei(120e3, events=[(20e3, {"o2_bath": 0.0})])   # anoxia from 20 s
    res.spikes                                              # ms, upward −10 mV crossings
    conservation(res)                                       # relative drift of Na, K, Cl

Reading choices where references.md is not explicit (each conserves particles):

* γ = A/(F·Vol_i)·1e-2 uses the *current* Vol_i and the surface A = 4π(3Vol_i/4π)^(2/3)
  of a sphere of that volume (as written in §3.1). β = Vol_i/Vol_o also uses the
  current volumes. With these, τ·Vol_o·β·(…) = τ·Vol_i·(…), so every transmembrane
  flux leaves one compartment exactly as it enters the other. (Using β0 or Vol0
  instead anywhere in the flux terms would create or destroy ions.)
* F defaults to the CODATA 96485.33212 C/mol (references.md §0, "use everywhere");
  the public MATLAB/xalbrain code uses F = 6.02e23·1.6e-19 = 96320 C/mol (γ 0.17 %
  larger). Pass F=96320.0 to get that.
* E_Cl = 26.64·ln([Cl]i/[Cl]o) (z = −1), so I_Cl = gClL(V − E_Cl) > 0 is Cl⁻ *entering*
  the cell, hence dN_Cli/dt = +τ·Vol_i·γ·I_Cl.
* The pump-block factor ("pump", default 1) multiplies ρ(O2), so it scales both the
  neuronal pump and the glial pump term (ρ/3 …), as the MATLAB `pump` argument does.
* The K⁺ that leaves the extracellular space through −I_diff goes to three sinks:
  diffusion to the bath ε_K f_O f_v([K]o − K_bath), glial uptake I_glia and the glial
  pump 2γ·I_gliapump (all mM/s of extracellular concentration, × τ·Vol_o → mol/ms).
  Three accumulator states (K_bath_out, K_glia, K_gliapump; mol, positive = out of the
  ECS) integrate them, so K in cell + ECS + sinks is conserved. In this core model Na
  and Cl have no bath/glia terms: cell + ECS is closed for both. (The glial pump moves
  2 K into glia but no Na out of them: only its K side is modelled.)
* O2 is not clipped at 0 (references.md gives no clip; the MATLAB code clips O2 ≤ 0 to 0
  inside the rates). Under anoxia O2 settles at about −0.03 mg/L; `clip_o2=True`
  reproduces the code's clip.
* dV/dt = −ΣI/C with a *constant* C per unit area while ions cross at A(t)·ΣI/F: so
  exactly F·ΣzΔN_i = C·∫A dV (checked by `charge_check` to ~1e-8 at rest), and the
  fixed-area invariant C·A0·ΔV = F·ΣzΔN_i of design.md is off by C·∫(A − A0)dV
  whenever the cell swells (the model has no V·dA/dt term).
* Consequence of the closed Na/Cl ECS (Vol_o = Vol0/7): when glia and bath keep
  clearing K⁺ while the pump is blocked or O2-starved, the cell's Na⁺ gain comes
  entirely from the small ECS, and [Na]o falls to a few mM (pump block: 1.8 mM after
  300 s). The MATLAB file's extended version adds Na/Cl bath terms; §3.1 does not.
* The volume equation uses the fixed impermeant amounts 132 mM·Vol0 (inside) and
  18 mM·Vol0/β0 (outside) of §3.1, not the MATLAB file's K/Na/Cl_bath-dependent A_i.

Solver: `wei` defaults to method="hybrid" (LSODA below −60 mV, DOP853 above), not plain
LSODA: on depolarised plateaus the fast (V, m, h, n) subsystem can be an unstable focus
(Re λ up to ≈ 0.8/ms), which LSODA's BDF and Radau damp with long steps. Measured: after
anoxia 20–60 s, LSODA holds V ≈ −44 mV for > 200 s where DOP853 and the hybrid repolarise
at ≈ 78 s; at K_bath 20 mM LSODA gives 374 spikes in 120 s, DOP853 and the hybrid 1013.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp

RT_F = 26.64  # mV; literal value of the model (RT/F at ≈ 36 °C)
F_CODATA = 96485.33212  # C/mol
SPIKE_THRESHOLD = -10.0  # mV; spikes = upward crossings
SD_LEVEL = -30.0  # mV; up/down crossings are located for SD detection

VOL0 = 1.4368e-15  # m³; sphere of r = 7 µm ("when r = 7 µm, v = 1.4368e-15 m³")

WEI_2014 = dict(
    C=1.0,                                     # µF/cm²
    gNa=30.0, gNaL=0.0247, gK=25.0, gKL=0.05, gClL=0.1,  # mS/cm²
    beta0=7.0,        # Vol_i/Vol_o at rest
    Vol0=VOL0,        # m³
    rho_max=0.8,      # mM/s, pump strength
    G_glia=5.0,       # mM/s, glial K uptake strength
    eps_K=0.25,       # 1/s, K diffusion to bath
    U_kcc2=0.3,       # mM/s
    U_nkcc1=0.1,      # mM/s
    alpha=5.3,        # mg/L of O2 per mM of γ·(I_pump + I_gliapump) (§3.1; unit not stated)
    eps_O=0.17,       # 1/s, O2 diffusion from bath
    tau=1e-3,         # s/ms: the per-second rates above → per ms
    tau_vol=0.25,     # s, volume relaxation time
    A_i=132.0,        # mM (of Vol0), impermeant solute inside
    A_o=18.0,         # mM (of Vol0/β0), impermeant solute outside
    F=F_CODATA,       # C/mol (MATLAB code: 96320)
    k_bath=4.0,       # mM
    o2_bath=32.0,     # mg/L (normoxia)
    pump=1.0,         # pump-block factor multiplying ρ (1 = intact, 0 = full block)
    clip_o2=False,    # MATLAB clips O2 ≤ 0 to 0 inside the rates; references.md does not
)

STATE_NAMES = ("V", "m", "h", "n", "N_Ko", "N_Ki", "N_Nao", "N_Nai", "N_Clo", "N_Cli",
               "Vol_i", "O2", "K_bath_out", "K_glia", "K_gliapump")
(IV, IM, IH, IN, IKO, IKI, INAO, INAI, ICLO, ICLI, IVOL, IO2,
 IKBATH, IKGLIA, IKGP) = range(15)

# Events may change only these (piecewise constant in time).
SWITCHABLE = ("k_bath", "o2_bath", "pump")


def wei_params(k_bath: float = 4.0, o2_bath: float = 32.0, **overrides) -> dict:
    """Parameter dict of §3.1 with the bath K⁺ (mM) and bath O2 (mg/L) set."""
    p = dict(WEI_2014, k_bath=float(k_bath), o2_bath=float(o2_bath))
    unknown = set(overrides) - set(p)
    if unknown:
        raise ValueError(f"unknown Wei parameter(s) {sorted(unknown)}; known: {sorted(p)}")
    p.update(overrides)
    return p


def wei_y0(params: dict | None = None) -> np.ndarray:
    """Initial state of §3.1 (xalbrain): 15 entries, accumulators at 0.

    V −74.30 mV, m 0.0031, h 0.9994, n 0.0107; [K]o 4, [K]i 140, [Na]o 144, [Na]i 18,
    [Cl]o 130, [Cl]i 6 mM; Vol_i = Vol0 (so Vol_o = Vol0/β0); O2 29.3 mg/L.
    (The xalbrain file starts N_Ki at 130·Vol0; references.md says 140, which also
    makes π_i = π_o = 296 mM so that Vol̂ = Vol0 at t = 0.)
    """
    p = WEI_2014 if params is None else params
    vol = p["Vol0"]
    volo = vol / p["beta0"]
    return np.array([-74.30, 0.0031, 0.9994, 0.0107,
                     4.0 * volo, 140.0 * vol, 144.0 * volo, 18.0 * vol, 130.0 * volo, 6.0 * vol,
                     vol, 29.3, 0.0, 0.0, 0.0])


def _xexp(a: float, x: float, k: float) -> float:
    """a·x / (1 − exp(−x/k)), with the removable singularity at x = 0 (limit a·k)."""
    if abs(x) < 1e-7:
        return a * (k + 0.5 * x)  # first-order Taylor expansion
    return a * x / (1.0 - math.exp(-x / k))


def gate_rates(V: float):
    """Traub-like rates (1/ms) of §3.1: (α_m, β_m, α_h, β_h, α_n, β_n)."""
    am = _xexp(0.32, V + 54.0, 4.0)
    bm = _xexp(0.28, -(V + 27.0), 5.0)  # = 0.28(V+27)/(exp((V+27)/5) − 1)
    ah = 0.128 * math.exp(-(V + 50.0) / 18.0)
    bh = 4.0 / (1.0 + math.exp(-(V + 27.0) / 5.0))
    an = _xexp(0.032, V + 52.0, 5.0)
    bn = 0.5 * math.exp(-(V + 57.0) / 40.0)
    return am, bm, ah, bh, an, bn


def gamma_of(vol_i, F=F_CODATA):
    """γ = A/(F·Vol_i)·1e-2: µA/cm² → mM/s for a sphere of volume vol_i (m³).

    A (m²) / (F (C/mol) · Vol (m³)) · I (µA/cm² = 1e-2 A/m²) = mol/(m³·s) = mM/s.
    """
    area = 4.0 * np.pi * (3.0 * vol_i / (4.0 * np.pi)) ** (2.0 / 3.0)
    return area / (F * vol_i) * 1e-2


def wei_rhs(t, y, params):
    """Right-hand side of the Wei 2014 model; t in ms, derivatives per ms.

    y = (V, m, h, n, N_Ko, N_Ki, N_Nao, N_Nai, N_Clo, N_Cli, Vol_i, O2 [, K_bath_out,
    K_glia, K_gliapump]); amounts and Vol_i in SI (mol, m³). A 12-entry y gives the
    12 model derivatives; a 15-entry y also the three K⁺-sink accumulators (mol/ms).

    Outside the model's domain (a concentration ≤ 0, an overflowing exponential) it
    returns NaNs instead of raising: an explicit Runge–Kutta stage of a step that is
    too long can land there (seen with DOP853 restarting at −60 mV), and a NaN error
    estimate makes solve_ivp reject and shorten that step.
    """
    try:
        return _wei_rhs(y, params)
    except (ValueError, OverflowError, ZeroDivisionError):
        return [math.nan] * len(y)


def _wei_rhs(y, params):
    p = params
    V, m, h, n, NKo, NKi, NNao, NNai, NClo, NCli, voli, O2 = y[:12]
    tau = p["tau"]
    vol0, beta0 = p["Vol0"], p["beta0"]
    volo = (1.0 + 1.0 / beta0) * vol0 - voli
    beta = voli / volo
    Ko, Ki = NKo / volo, NKi / voli
    Nao, Nai = NNao / volo, NNai / voli
    Clo, Cli = NClo / volo, NCli / voli
    o2 = max(O2, 0.0) if p["clip_o2"] else O2

    # Scalar math (not numpy) on purpose: LSODA calls this ~10⁵–10⁶ times per run.
    area = 4.0 * math.pi * (3.0 * voli / (4.0 * math.pi)) ** (2.0 / 3.0)
    gamma = area / (p["F"] * voli) * 1e-2  # mM/s per µA/cm², current volume

    E_Na = RT_F * math.log(Nao / Nai)
    E_K = RT_F * math.log(Ko / Ki)
    E_Cl = RT_F * math.log(Cli / Clo)  # z = −1

    I_Na = (p["gNa"] * m ** 3 * h + p["gNaL"]) * (V - E_Na)
    I_K = (p["gK"] * n ** 4 + p["gKL"]) * (V - E_K)
    I_Cl = p["gClL"] * (V - E_Cl)

    # pump and glia: ρ in µA/cm² (ρ_max in mM/s divided by γ)
    rho = p["pump"] * p["rho_max"] / (1.0 + math.exp((20.0 - o2) / 3.0)) / gamma
    k_sat = 1.0 / (1.0 + math.exp(3.5 - Ko))
    I_pump = rho / (1.0 + math.exp((25.0 - Nai) / 3.0)) * k_sat
    I_gp = rho / 3.0 / (1.0 + math.exp((25.0 - 18.0) / 3.0)) * k_sat
    f_O = 1.0 / (1.0 + math.exp((2.5 - p["o2_bath"]) / 0.2))
    f_v = 1.0 / (1.0 + math.exp((beta - 20.0) / 2.0))
    J_bath = p["eps_K"] * f_O * f_v * (Ko - p["k_bath"])   # mM/s of [K]o
    J_glia = p["G_glia"] * f_O / (1.0 + math.exp((18.0 - Ko) / 2.5))
    J_gp = 2.0 * gamma * I_gp
    I_diff = J_bath + J_glia + J_gp

    # cotransporters (mM/s of intracellular concentration, positive = out of the cell)
    ln_kcl = math.log((Ki * Cli) / (Ko * Clo))
    KCC2 = p["U_kcc2"] * ln_kcl
    NKCC1 = p["U_nkcc1"] / (1.0 + math.exp(16.0 - Ko)) * (ln_kcl + math.log((Nai * Cli)
                                                                           / (Nao * Clo)))

    am, bm, ah, bh, an, bn = gate_rates(V)
    dV = -(I_Na + I_K + I_Cl + I_pump) / p["C"]
    dm = am * (1.0 - m) - bm * m
    dh = ah * (1.0 - h) - bh * h
    dn = an * (1.0 - n) - bn * n

    # Transmembrane fluxes out of the cell (mol/ms). §3.1 writes the extracellular side
    # as τ·Vol_o·β·(…); Vol_o·β = Vol_i, so the same number is used on both sides.
    out_K = tau * voli * (gamma * (I_K - 2.0 * I_pump) + KCC2 + NKCC1)
    out_Na = tau * voli * (gamma * (I_Na + 3.0 * I_pump) + NKCC1)
    in_Cl = tau * voli * (gamma * I_Cl - KCC2 - 2.0 * NKCC1)
    sink = tau * volo  # mM/s of [K]o → mol/ms
    dNKi = -out_K
    dNKo = out_K - sink * I_diff
    dNNai = -out_Na
    dNNao = out_Na
    dNCli = in_Cl
    dNClo = -in_Cl

    pi_i = Nai + Ki + Cli + p["A_i"] * vol0 / voli
    pi_o = Nao + Ko + Clo + p["A_o"] * (vol0 / beta0) / volo
    vol_hat = vol0 * (1.1029 - 0.1029 * math.exp((pi_o - pi_i) / 20.0))
    dvol = -tau * (voli - vol_hat) / p["tau_vol"]

    dO2 = tau * (-p["alpha"] * gamma * (I_pump + I_gp) + p["eps_O"] * (p["o2_bath"] - O2))

    d = [dV, dm, dh, dn, dNKo, dNKi, dNNao, dNNai, dNClo, dNCli, dvol, dO2]
    if len(y) > 12:
        d += [sink * J_bath, sink * J_glia, sink * J_gp]
    return d


def wei_aux(Y, params, pump=None, k_bath=None, o2_bath=None) -> dict:
    """Derived quantities along a trajectory (elementwise on arrays, shape (≥12, n)).

    pump / k_bath / o2_bath: per-sample arrays (or scalars) overriding `params`.
    Returns concentrations (mM), Vol_o, β, γ, Nernst potentials (mV), currents
    (µA/cm²), the K sinks (mM/s of [K]o) and the cotransporter rates (mM/s).
    """
    p = params
    pump = p["pump"] if pump is None else pump
    k_bath = p["k_bath"] if k_bath is None else k_bath
    o2_bath = p["o2_bath"] if o2_bath is None else o2_bath
    V, m, h, n, NKo, NKi, NNao, NNai, NClo, NCli, voli, O2 = np.asarray(Y, float)[:12]
    o2 = np.maximum(O2, 0.0) if p["clip_o2"] else O2
    volo = (1.0 + 1.0 / p["beta0"]) * p["Vol0"] - voli
    beta = voli / volo
    Ko, Ki, Nao, Nai = NKo / volo, NKi / voli, NNao / volo, NNai / voli
    Clo, Cli = NClo / volo, NCli / voli
    gamma = gamma_of(voli, p["F"])
    E_Na = RT_F * np.log(Nao / Nai)
    E_K = RT_F * np.log(Ko / Ki)
    E_Cl = RT_F * np.log(Cli / Clo)
    I_Na = (p["gNa"] * m ** 3 * h + p["gNaL"]) * (V - E_Na)
    I_K = (p["gK"] * n ** 4 + p["gKL"]) * (V - E_K)
    I_Cl = p["gClL"] * (V - E_Cl)
    rho = pump * p["rho_max"] / (1.0 + np.exp((20.0 - o2) / 3.0)) / gamma
    k_sat = 1.0 / (1.0 + np.exp(3.5 - Ko))
    I_pump = rho / (1.0 + np.exp((25.0 - Nai) / 3.0)) * k_sat
    I_gp = rho / 3.0 / (1.0 + np.exp(7.0 / 3.0)) * k_sat
    f_O = 1.0 / (1.0 + np.exp((2.5 - o2_bath) / 0.2))
    f_v = 1.0 / (1.0 + np.exp((beta - 20.0) / 2.0))
    ln_kcl = np.log((Ki * Cli) / (Ko * Clo))
    return dict(
        K_o=Ko, K_i=Ki, Na_o=Nao, Na_i=Nai, Cl_o=Clo, Cl_i=Cli, vol_o=volo, beta=beta,
        gamma=gamma, E_Na=E_Na, E_K=E_K, E_Cl=E_Cl, I_Na=I_Na, I_K=I_K, I_Cl=I_Cl,
        I_pump=I_pump, I_gliapump=I_gp,
        J_bath=p["eps_K"] * f_O * f_v * (Ko - k_bath),
        J_glia=p["G_glia"] * f_O / (1.0 + np.exp((18.0 - Ko) / 2.5)),
        J_gliapump=2.0 * gamma * I_gp,
        KCC2=p["U_kcc2"] * ln_kcl,
        NKCC1=p["U_nkcc1"] / (1.0 + np.exp(16.0 - Ko))
        * (ln_kcl + np.log((Nai * Cli) / (Nao * Clo))),
    )


@dataclass
class WeiResult:
    """Trajectory at the solver's own steps. t ms; V mV; concentrations mM; O2 mg/L;
    currents µA/cm²; amounts (N_*) and K sinks in mol; spikes/up/down in ms."""

    t: np.ndarray
    V: np.ndarray
    m: np.ndarray
    h: np.ndarray
    n: np.ndarray
    K_o: np.ndarray
    K_i: np.ndarray
    Na_o: np.ndarray
    Na_i: np.ndarray
    Cl_o: np.ndarray
    Cl_i: np.ndarray
    vol_ratio: np.ndarray   # Vol_i / Vol0
    O2: np.ndarray
    I_pump: np.ndarray      # µA/cm², neuronal pump (includes the block factor)
    I_gliapump: np.ndarray  # µA/cm² (the glial pump term of §3.1)
    N: dict                 # amounts (mol): N_Ko, N_Ki, N_Nao, N_Nai, N_Clo, N_Cli
    K_bath_out: np.ndarray  # mol of K⁺ moved ECS → bath (cumulative; negative = bath → ECS)
    K_glia: np.ndarray      # mol of K⁺ taken up by glia through I_glia (cumulative)
    K_gliapump: np.ndarray  # mol of K⁺ taken up by the glial pump term (cumulative)
    k_bath: np.ndarray      # per-sample bath K⁺ (mM), pump factor and bath O2 (mg/L)
    pump: np.ndarray
    o2_bath: np.ndarray
    spikes: np.ndarray      # upward crossings of −10 mV
    up: np.ndarray          # upward crossings of SD_LEVEL (−30 mV)
    down: np.ndarray        # downward crossings of SD_LEVEL
    y_final: np.ndarray
    Y: np.ndarray = field(repr=False)   # full state, shape (15, len(t))
    params: dict = field(repr=False, default_factory=dict)
    nfev: int = 0
    n_pieces: int = 0       # solve_ivp calls (segments × hybrid switches)
    method: str = ""


def _level_event(level, direction):
    def ev(t, y, *args):
        return y[0] - level
    ev.direction = direction
    return ev


def _default_atol(atol: float, vol0: float) -> np.ndarray:
    """Per-component atol: `atol` in natural units (mV, 1, mM, Vol0, mg/L).

    Amounts are ~1e-16 mol and Vol_i ~1e-15 m³, so a scalar atol would leave them
    uncontrolled; an amount gets atol·Vol0 (= atol mM of the cell volume).
    """
    a = np.full(15, float(atol))
    a[IKO:IVOL + 1] *= vol0
    a[IKBATH:] *= vol0
    return a


HYBRID_V = (-60.0, -65.0)  # mV; hybrid: DOP853 from an upward −60 crossing until V < −65


def _solve_piece(a, b, y, q, method, rtol, atol_v, max_step, events):
    """One solve_ivp call; raises on failure."""
    sol = solve_ivp(wei_rhs, (a, b), y, method=method, args=(q,), rtol=rtol, atol=atol_v,
                    max_step=max_step, events=events)
    if sol.status < 0:
        raise RuntimeError(f"Wei integration ({method}) failed at t = {a} ms: {sol.message}")
    return sol


def _solve_segment(a, b, y, q, method, rtol, atol_v, max_step, level_events):
    """Integrate one constant-parameter segment; returns a list of solve_ivp results.

    method "hybrid": LSODA while V < −60 mV, DOP853 from an upward crossing of −60 mV
    until V falls below −65 mV (terminal events, then restart). Reason: on a depolarised
    plateau the fast (V, m, h, n) subsystem can sit at an *unstable* focus (growth
    rates up to ~1/ms after a Hopf bifurcation); LSODA's BDF (and Radau) with large steps
    is stable for such modes and holds the plateau for minutes that the true solution
    leaves in milliseconds. The explicit DOP853 does not have that property. Below
    −60 mV the fast subsystem is a stable node and LSODA's large steps are safe.
    """
    if method != "hybrid":
        return [_solve_piece(a, b, y, q, method, rtol, atol_v, max_step, level_events)]
    up_sw = _level_event(HYBRID_V[0], 1.0)
    up_sw.terminal = True
    down_sw = _level_event(HYBRID_V[1], -1.0)
    down_sw.terminal = True
    sols, t = [], a
    stiff = y[IV] < HYBRID_V[0]
    while t < b:
        if stiff:
            sol = _solve_piece(t, b, y, q, "LSODA", rtol, atol_v, max_step,
                               (*level_events, up_sw))
        else:
            sol = _solve_piece(t, b, y, q, "DOP853", rtol, atol_v, max_step,
                               (*level_events, down_sw))
        sols.append(sol)
        t, y = sol.t[-1], sol.y[:, -1].copy()
        if sol.status == 0:
            break
        # Switch on the terminal event itself, not on y[IV]: the dense output at the
        # located root may sit a hair on the wrong side of the level.
        stiff = not stiff
    return sols


def wei(duration_ms: float, k_bath: float = 4.0, o2_bath: float = 32.0, events=None,
        y0=None, method: str = "hybrid", rtol: float = 1e-8, atol: float = 1e-8,
        max_step: float = 50.0, params: dict | None = None, **param_overrides) -> WeiResult:
    """Integrate the Wei 2014 model from t = 0 to `duration_ms` (ms).

    events: iterable of (t_ms, {name: value}) with name in ("k_bath", "o2_bath",
    "pump"); from t_ms on, the value replaces the current one (pump = factor on ρ,
    0 = full block). The integration is split at every switch time, so no step
    straddles a discontinuity. y0: 12- or 15-entry state (default `wei_y0`); a
    12-entry y0 gets zero accumulators. method: any solve_ivp method, or "hybrid"
    (default; LSODA below −60 mV, DOP853 above, see `_solve_segment`). Plain LSODA
    or Radau can be badly wrong on depolarised plateaus. atol is in natural units
    (see `_default_atol`), or pass an array of 15. max_step (ms) caps the step so
    that the −10 mV event search cannot straddle a whole spike during a quiet stretch.
    """
    p = wei_params(k_bath, o2_bath, **param_overrides) if params is None else dict(params)
    y = wei_y0(p) if y0 is None else np.asarray(y0, dtype=float).copy()
    if y.size == 12:
        y = np.r_[y, 0.0, 0.0, 0.0]
    if y.size != 15:
        raise ValueError(f"y0 must have 12 or 15 entries, not {y.size}")
    atol_v = _default_atol(atol, p["Vol0"]) if np.ndim(atol) == 0 else np.asarray(atol, float)

    T = float(duration_ms)
    evs = sorted(((float(te), dict(ch)) for te, ch in (events or [])), key=lambda e: e[0])
    for _, ch in evs:
        bad = set(ch) - set(SWITCHABLE)
        if bad:
            raise ValueError(f"events may switch only {SWITCHABLE}, not {sorted(bad)}")
    cuts = sorted({0.0, T} | {min(max(te, 0.0), T) for te, _ in evs})

    level_events = (_level_event(SPIKE_THRESHOLD, 1.0), _level_event(SD_LEVEL, 1.0),
                    _level_event(SD_LEVEL, -1.0))

    ts, ys, sw = [], [], []
    spikes, ups, downs = [], [], []
    nfev = n_pieces = 0
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b <= a:
            continue
        q = dict(p)
        for te, ch in evs:
            if te <= a:
                q.update(ch)
        for sol in _solve_segment(a, b, y, q, method, rtol, atol_v, max_step, level_events):
            keep = slice(None) if not ts else slice(1, None)  # drop duplicated piece start
            ts.append(sol.t[keep])
            ys.append(sol.y[:, keep])
            nk = sol.t[keep].size
            sw.append([np.full(nk, q[k]) for k in SWITCHABLE])
            spikes.append(sol.t_events[0])
            ups.append(sol.t_events[1])
            downs.append(sol.t_events[2])
            nfev += sol.nfev
            n_pieces += 1
            y = sol.y[:, -1].copy()

    t = np.concatenate(ts)
    Y = np.concatenate(ys, axis=1)
    kb, ob, pf = (np.concatenate([s[i] for s in sw]) for i in range(len(SWITCHABLE)))
    aux = wei_aux(Y, p, pump=pf, k_bath=kb, o2_bath=ob)
    N = {name: Y[i] for i, name in zip(range(IKO, ICLI + 1), STATE_NAMES[IKO:ICLI + 1])}
    return WeiResult(
        t=t, V=Y[IV], m=Y[IM], h=Y[IH], n=Y[IN], K_o=aux["K_o"], K_i=aux["K_i"],
        Na_o=aux["Na_o"], Na_i=aux["Na_i"], Cl_o=aux["Cl_o"], Cl_i=aux["Cl_i"],
        vol_ratio=Y[IVOL] / p["Vol0"], O2=Y[IO2], I_pump=aux["I_pump"],
        I_gliapump=aux["I_gliapump"], N=N, K_bath_out=Y[IKBATH], K_glia=Y[IKGLIA],
        K_gliapump=Y[IKGP], k_bath=kb, pump=pf, o2_bath=ob,
        spikes=np.concatenate(spikes), up=np.concatenate(ups), down=np.concatenate(downs),
        y_final=Y[:, -1].copy(), Y=Y, params=p, nfev=nfev, n_pieces=n_pieces,
        method=method)


# ---------------------------------------------------------------------------- bookkeeping
def ion_totals(res: WeiResult) -> dict:
    """Na, K, Cl in cell + extracellular space (mol), along the trajectory."""
    N = res.N
    return dict(Na=N["N_Nai"] + N["N_Nao"], K=N["N_Ki"] + N["N_Ko"], Cl=N["N_Cli"] + N["N_Clo"])


def k_exchanged(res: WeiResult) -> dict:
    """K⁺ that left the extracellular space (mol, cumulative; negative = came in).

    bath: diffusion ε_K f_O f_v([K]o − K_bath); glia: I_glia; gliapump: 2γ·I_gliapump.
    Na and Cl exchange nothing with bath or glia in this model (closed cell + ECS).
    """
    total = res.K_bath_out + res.K_glia + res.K_gliapump
    return dict(bath=res.K_bath_out, glia=res.K_glia, gliapump=res.K_gliapump, total=total)


def conservation(res: WeiResult) -> dict:
    """Max relative drift of each ion's total over the run.

    Na and Cl: cell + ECS. K: cell + ECS + everything the bath and glia took.
    """
    tot = ion_totals(res)
    tot["K"] = tot["K"] + k_exchanged(res)["total"]
    return {ion: float(np.max(np.abs(x - x[0])) / abs(x[0])) for ion, x in tot.items()}


def charge_check(res: WeiResult, i: int = -1) -> dict:
    """Membrane charge vs ion charge moved into the cell, between t[0] and t[i] (C).

    Q_ions = F·Σ z·ΔN_cell. The model moves ions at A(t)·ΣI/F while C·dV/dt = −ΣI, so
    exactly Q_ions = C·∫A dV: `Q_V_integral` is that integral (trapezoid over the stored
    samples, so only as good as their spacing). `Q_V_fixed_area` = C·A0·ΔV is the
    design.md invariant for a fixed area; it misses the swelling (dV/dt has no V·dA/dt
    term). C in µF/cm² = 1e-2 F/m², V in mV = 1e-3 V, A in m².
    """
    p = res.params
    j = i % res.t.size
    vol = res.Y[IVOL, :j + 1]
    area = 4.0 * np.pi * (3.0 * vol / (4.0 * np.pi)) ** (2.0 / 3.0)
    c = p["C"] * 1e-2  # F/m²
    dN = {k: res.N[k][j] - res.N[k][0] for k in ("N_Nai", "N_Ki", "N_Cli")}
    q_ions = p["F"] * (dN["N_Nai"] + dN["N_Ki"] - dN["N_Cli"])
    v = res.V[:j + 1]
    q_int = c * 1e-3 * float(np.sum(0.5 * (area[1:] + area[:-1]) * np.diff(v)))
    q_fixed = c * area[0] * (v[-1] - v[0]) * 1e-3
    return dict(Q_V_integral=q_int, Q_V_fixed_area=q_fixed, Q_ions=q_ions)
