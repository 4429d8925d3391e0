"""Independent peer implementations of two published tissue-scale ion models.

Plain numpy + scipy; nothing here imports nakpump, so these functions can be used
as an external cross-check of nakpump's presets. Equations and parameters follow
/work/shared/references.md §2.1 (Cressman et al. 2009 / erratum 2011 and
Barreto & Cressman 2011) and §4.1 (Hübel & Dahlem 2014, ModelDB 167714
`spreading-depression.ode`) as literally as possible.

Units everywhere: time in ms, voltage in mV, concentrations in mM, membrane
currents in µA/cm² (outward positive), conductances in mS/cm². RT/F is the
literal 26.64 mV used by both models (not 37 °C).

    res = cressman(k_bath=8.0, variant="2009", duration_ms=300e3)
    res.spikes                       # ms, upward crossings of −10 mV
    hd = huebel_dahlem("buffer", pump_off=(20e3, 29.5e3), duration_ms=250e3)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp

RT_F = 26.64  # mV; literal value hard-coded in both published models

SPIKE_THRESHOLD = -10.0  # mV; spikes = upward crossings (references.md §2.2)


def _xexp(a: float, x: float) -> float:
    """a·x / (1 − exp(−0.1·x)) written for the HH-type α_m/α_n rates.

    The rates α = a(V+c)/(1 − exp(−0.1(V+c))) have a removable singularity at
    V = −c (limit 10·a); guard it so an integrator step landing there is harmless.
    """
    if abs(x) < 1e-7:
        return a * (10.0 + 0.5 * x)  # first-order Taylor expansion of the limit
    return a * x / (1.0 - math.exp(-0.1 * x))


def _m_inf(v: float) -> float:
    """Instantaneous Na activation (identical in Cressman and Hübel–Dahlem)."""
    am = _xexp(0.1, v + 30.0)
    bm = 4.0 * math.exp(-(v + 55.0) / 18.0)
    return am / (am + bm)


def _alpha_n(v: float) -> float:
    return _xexp(0.01, v + 34.0)


def _beta_n(v: float) -> float:
    return 0.125 * math.exp(-(v + 44.0) / 80.0)


# ============================================================================
# Cressman et al. (2009) / Barreto & Cressman (2011)
# ============================================================================

CRESSMAN_2009 = dict(
    C=1.0,            # µF/cm²
    gNa=100.0, gNaL=0.0175, gK=40.0, gKL=0.05, gAHP=0.01, gClL=0.05, gCa=0.1,  # mS/cm²
    phi=3.0,          # gating temperature factor
    E_Ca=120.0,       # mV
    Cl_i=6.0, Cl_o=130.0,  # mM, fixed
    beta=7.0,         # Vol_i / Vol_o
    rho=1.25,         # mM/s, pump saturation
    G_glia=66.0,      # mM/s, glial uptake saturation
    eps=1.2,          # 1/s, diffusion to bath
    gamma=4.45e-2,    # mM/s per µA/cm² (A/Vol/F of a 7 µm sphere)
    tau=1000.0,       # ms/s: fluxes are given per second, time runs in ms
    k_bath=4.0,       # mM
    has_ca=True,
)

# Barreto & Cressman 2011: no Ca/AHP; G_glia and ε changed, everything else equal.
CRESSMAN_2011 = dict(CRESSMAN_2009, gAHP=0.0, gCa=0.0, G_glia=66.666, eps=1.333, has_ca=False)


def cressman_params(variant: str = "2009", k_bath: float = 4.0, **overrides) -> dict:
    """Parameter dict for variant "2009" (with Ca/AHP) or "2011" (without)."""
    if variant == "2009":
        p = dict(CRESSMAN_2009)
    elif variant == "2011":
        p = dict(CRESSMAN_2011)
    else:
        raise ValueError(f"unknown Cressman variant {variant!r}")
    p["k_bath"] = float(k_bath)
    p.update(overrides)
    return p


def cressman_state_names(params: dict) -> tuple[str, ...]:
    if params["has_ca"]:
        return ("V", "n", "h", "Ca", "K_o", "Na_i")
    return ("V", "n", "h", "K_o", "Na_i")


def cressman_aux(V, K_o, Na_i, params):
    """Derived quantities: K_i, Na_o (mM), E_Na, E_K, E_Cl (mV), pump, glia, diff (mM/s).

    Works elementwise on scalars or numpy arrays.
    """
    p = params
    K_i = 140.0 + (18.0 - Na_i)             # electroneutral Na/K exchange inside
    Na_o = 144.0 - p["beta"] * (Na_i - 18.0)  # Na conservation across the two volumes
    E_Na = RT_F * np.log(Na_o / Na_i)
    E_K = RT_F * np.log(K_o / K_i)
    E_Cl = RT_F * np.log(p["Cl_i"] / p["Cl_o"])  # z = −1: ln(in/out)
    pump = p["rho"] / (1.0 + np.exp((25.0 - Na_i) / 3.0)) / (1.0 + np.exp(5.5 - K_o))
    glia = p["G_glia"] / (1.0 + np.exp((18.0 - K_o) / 2.5))
    diff = p["eps"] * (K_o - p["k_bath"])
    return dict(K_i=K_i, Na_o=Na_o, E_Na=E_Na, E_K=E_K, E_Cl=E_Cl, pump=pump, glia=glia, diff=diff)


def cressman_rhs(t, y, params):
    """Right-hand side of the Cressman model (t in ms; derivatives per ms).

    y = (V, n, h, Ca, K_o, Na_i) for the 2009 set, (V, n, h, K_o, Na_i) for 2011.
    Currents are outward positive (the paper's are inward positive). The pump
    enters only the concentration equations, not dV/dt, as in the paper.
    """
    p = params
    if p["has_ca"]:
        V, n, h, Ca, K_o, Na_i = y
    else:
        V, n, h, K_o, Na_i = y
        Ca = 0.0

    # Scalar math (not numpy) on purpose: LSODA calls this ~10⁶ times per run.
    K_i = 140.0 + (18.0 - Na_i)
    Na_o = 144.0 - p["beta"] * (Na_i - 18.0)
    E_Na = RT_F * math.log(Na_o / Na_i)
    E_K = RT_F * math.log(K_o / K_i)
    E_Cl = RT_F * math.log(p["Cl_i"] / p["Cl_o"])

    m = _m_inf(V)
    I_Na = (p["gNa"] * m ** 3 * h + p["gNaL"]) * (V - E_Na)
    I_K = (p["gK"] * n ** 4 + p["gAHP"] * Ca / (1.0 + Ca) + p["gKL"]) * (V - E_K)
    I_Cl = p["gClL"] * (V - E_Cl)

    an, bn = _alpha_n(V), _beta_n(V)
    ah = 0.07 * math.exp(-(V + 44.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-0.1 * (V + 14.0)))

    pump = p["rho"] / (1.0 + math.exp((25.0 - Na_i) / 3.0)) / (1.0 + math.exp(5.5 - K_o))
    glia = p["G_glia"] / (1.0 + math.exp((18.0 - K_o) / 2.5))
    diff = p["eps"] * (K_o - p["k_bath"])

    dV = -(I_Na + I_K + I_Cl) / p["C"]
    dn = p["phi"] * (an * (1.0 - n) - bn * n)
    dh = p["phi"] * (ah * (1.0 - h) - bh * h)
    # γ·I converts µA/cm² to mM/s inside; ×β for the 7× smaller outside volume;
    # /τ converts the per-second fluxes to per-ms.
    dKo = (p["gamma"] * p["beta"] * I_K - 2.0 * p["beta"] * pump - glia - diff) / p["tau"]
    dNai = (-p["gamma"] * I_Na - 3.0 * pump) / p["tau"]
    if p["has_ca"]:
        dCa = (-0.002 * p["gCa"] * (V - p["E_Ca"]) / (1.0 + math.exp(-(V + 25.0) / 2.5))
               - Ca / 80.0)
        return [dV, dn, dh, dCa, dKo, dNai]
    return [dV, dn, dh, dKo, dNai]


def cressman_default_y0(params: dict, V: float = -68.0, K_o: float = 4.0, Na_i: float = 18.0):
    """Nominal start: gates at steady state for V, Ca = 0, K_o/Na_i at the nominal 4/18 mM."""
    an, bn = _alpha_n(V), _beta_n(V)
    ah = 0.07 * math.exp(-(V + 44.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-0.1 * (V + 14.0)))
    y = [V, an / (an + bn), ah / (ah + bh)]
    if params["has_ca"]:
        y.append(0.0)
    return np.array(y + [K_o, Na_i], dtype=float)


@dataclass
class CressmanResult:
    """Trajectory at the solver's own steps (ms, mV, mM); `spikes` in ms."""

    t: np.ndarray
    V: np.ndarray
    n: np.ndarray
    h: np.ndarray
    Ca: np.ndarray | None
    K_o: np.ndarray
    Na_i: np.ndarray
    K_i: np.ndarray
    Na_o: np.ndarray
    pump: np.ndarray      # mM/s
    glia: np.ndarray      # mM/s
    spikes: np.ndarray    # ms
    y_final: np.ndarray
    params: dict = field(repr=False)
    nfev: int = 0
    method: str = ""


def _spike_event(t, y, *args):
    return y[0] - SPIKE_THRESHOLD


_spike_event.direction = 1.0


def cressman(k_bath: float = 4.0, variant: str = "2009", duration_ms: float = 10e3,
             y0=None, rtol: float = 1e-8, atol: float = 1e-8, method: str = "LSODA",
             max_step: float = 50.0, t_eval=None, **param_overrides) -> CressmanResult:
    """Integrate the Cressman model from t = 0 to `duration_ms`.

    k_bath: bath K+ (mM). variant: "2009" (Ca/AHP, G_glia 66, ε 1.2) or "2011"
    (Barreto & Cressman: no Ca, G_glia 66.666, ε 1.333). y0 defaults to
    `cressman_default_y0`. max_step (ms) caps the step so that the −10 mV event
    search cannot straddle a whole spike during a long quiet step.
    """
    p = cressman_params(variant, k_bath, **param_overrides)
    y0 = cressman_default_y0(p) if y0 is None else np.asarray(y0, dtype=float)
    sol = solve_ivp(cressman_rhs, (0.0, float(duration_ms)), y0, method=method, args=(p,),
                    rtol=rtol, atol=atol, max_step=max_step, events=_spike_event,
                    t_eval=t_eval)
    if sol.status < 0:
        raise RuntimeError(f"Cressman integration failed: {sol.message}")
    Y = sol.y
    if p["has_ca"]:
        V, n, h, Ca, K_o, Na_i = Y
    else:
        (V, n, h, K_o, Na_i), Ca = Y, None
    aux = cressman_aux(V, K_o, Na_i, p)
    return CressmanResult(t=sol.t, V=V, n=n, h=h, Ca=Ca, K_o=K_o, Na_i=Na_i, K_i=aux["K_i"],
                          Na_o=aux["Na_o"], pump=aux["pump"], glia=aux["glia"],
                          spikes=sol.t_events[0], y_final=Y[:, -1].copy(), params=p,
                          nfev=sol.nfev, method=method)


# ============================================================================
# Hübel & Dahlem (2014), ModelDB 167714 spreading-depression.ode
# ============================================================================
#
# Time units. The XPP file integrates in SECONDS and writes every equation as
# x' = 1000 * x_DOT, where x_DOT is the biophysical rate per MILLISECOND
# (dv_DOT in mV/ms from µA/cm² and µF/cm², CONV·I in mM/ms, the gating rates
# in 1/ms). The buffer/bath equation dk' = 1000 * dk_DOT gets the same factor,
# so lambda = 3e-5 and k1 = 5e-8 are per ms (= 0.03 /s and 5e-5 /s), exactly
# as references.md §4.1 states. Integrating in ms we therefore use every _DOT
# expression unchanged, with no extra factor anywhere; protocol times (pump off
# at 20 s for delta s, stim at 20 s for 0.5 s) are the file's seconds × 1000.
#
# Buffer. dk is the K+ (mM of extracellular volume) added to the extracellular
# space by the regulation scheme; ke = ke(conservation) + dk. For s = 0 (glia)
# the file's dk_DOT_0 = −k1·dk − k2·ke·(B0 + dk) is a first-order buffer with
# free buffer B = B0 + dk and bound K+ = −dk: binding k2·ke·B, unbinding
# k1·(bound) = −k1·dk, where k2 = k1/(1 + exp((K_cr − ke)/1.09)) makes uptake
# switch on above ~15 mM. For s = 1 dk relaxes ke towards k_bath at rate λ.
# These are transcribed literally (including the k2 sigmoid's 1.09 mM).

HD_2014 = dict(
    vol_i=2.16, vol_e=0.72,
    ki0=129.25764, nai0=25.231485, cli0=9.900239,
    ke0=4.0, nae0=125.30555, cle0=123.2716,          # mM
    G_NA_L=0.0175, G_NA_G=100.0, G_K_L=0.05, G_K_G=40.0, G_CL_L=0.02,  # mS/cm²
    NA_PUMP=25.0, K_PUMP=5.5, MAX_PUMP=6.8,          # mM, mM, µA/cm²
    lam=3.0e-5,       # 1/ms, diffusive bath coupling (s = 1)
    B0=500.0,         # mM, total glial buffer
    K_cr=15.0,        # mM, buffer uptake threshold
    k1=5.0e-8,        # 1/ms, buffer unbinding rate
    PHI=3.0, C=1.0,
    CONV=9.55589e-05,  # mM·vol per (µA/cm² · ms)
    k_bath=4.0, s=0.0,
    z=1.0,            # pump on/off factor (the file's z)
    stim=0.0,         # µA/cm², injected depolarising current
)

HD_Y0 = np.array([-67.193253, 0.069410823, 129.25764, 9.900239, 0.0])  # v, n, ki, cli, dk
HD_STATE_NAMES = ("v", "n", "ki", "cli", "dk")


def huebel_dahlem_params(scheme: str = "buffer", k_bath: float = 4.0, **overrides) -> dict:
    """Parameters of §4.1; scheme "buffer" → s = 0 (glia), "bath" → s = 1 (diffusion)."""
    if scheme not in ("buffer", "bath"):
        raise ValueError(f"scheme must be 'buffer' or 'bath', not {scheme!r}")
    p = dict(HD_2014, s=0.0 if scheme == "buffer" else 1.0, k_bath=float(k_bath))
    p.update(overrides)
    return p


def huebel_dahlem_aux(v, ki, cli, dk, params):
    """Concentrations (mM), Nernst potentials (mV) and the pump current (µA/cm²).

    Elementwise on scalars or arrays; the pump includes the on/off factor z.
    """
    p = params
    vi, ve = p["vol_i"], p["vol_e"]
    nai = p["nai0"] + p["ki0"] - ki - p["cli0"] + cli          # electroneutral inside
    nae = (p["nai0"] * vi + p["nae0"] * ve - nai * vi) / ve    # Na conservation
    cle = (p["cli0"] * vi + p["cle0"] * ve - cli * vi) / ve    # Cl conservation
    ke = (p["ki0"] * vi + p["ke0"] * ve - ki * vi) / ve + dk   # K conservation + regulation
    EK = RT_F * np.log(ke / ki)
    ENA = RT_F * np.log(nae / nai)
    ECL = -RT_F * np.log(cle / cli)
    ipump = p["MAX_PUMP"] / (1.0 + np.exp((p["NA_PUMP"] - nai) / 3.0)) \
        / (1.0 + np.exp(p["K_PUMP"] - ke)) * p["z"]
    return dict(nai=nai, nae=nae, cle=cle, ke=ke, EK=EK, ENA=ENA, ECL=ECL, ipump=ipump)


def huebel_dahlem_rhs(t, y, params):
    """Right-hand side of the 5-D Hübel–Dahlem model; t in ms, derivatives per ms.

    y = (v, n, ki, cli, dk). This is the XPP file's *_DOT expressions without
    the file's ×1000 (which only converts them to its seconds time axis).
    The pump is electrogenic here: +3 I_p in I_Na, −2 I_p in I_K.
    """
    p = params
    v, n, ki, cli, dk = y
    vi, ve = p["vol_i"], p["vol_e"]
    nai = p["nai0"] + p["ki0"] - ki - p["cli0"] + cli
    nae = (p["nai0"] * vi + p["nae0"] * ve - nai * vi) / ve
    cle = (p["cli0"] * vi + p["cle0"] * ve - cli * vi) / ve
    ke = (p["ki0"] * vi + p["ke0"] * ve - ki * vi) / ve + dk
    EK = RT_F * math.log(ke / ki)
    ENA = RT_F * math.log(nae / nai)
    ECL = -RT_F * math.log(cle / cli)

    m = _m_inf(v)
    h = 1.0 - 1.0 / (1.0 + math.exp(-6.5 * (n - 0.35)))  # h slaved to n (Rinzel reduction)
    ipump = p["MAX_PUMP"] / (1.0 + math.exp((p["NA_PUMP"] - nai) / 3.0)) \
        / (1.0 + math.exp(p["K_PUMP"] - ke)) * p["z"]
    I_NA = (p["G_NA_L"] + p["G_NA_G"] * m ** 3 * h) * (v - ENA) + 3.0 * ipump
    I_K = (p["G_K_L"] + p["G_K_G"] * n ** 4) * (v - EK) - 2.0 * ipump
    I_CL = p["G_CL_L"] * (v - ECL)

    dv = -(I_CL + I_NA + I_K - p["stim"]) / p["C"]
    dn = p["PHI"] * (_alpha_n(v) * (1.0 - n) - _beta_n(v) * n)
    dki = -p["CONV"] / vi * I_K
    dcli = p["CONV"] / vi * I_CL
    k2 = p["k1"] / (1.0 + math.exp((p["K_cr"] - ke) / 1.09))
    ddk_glia = -p["k1"] * dk - k2 * ke * (p["B0"] + dk)
    ddk_bath = p["lam"] * (p["k_bath"] - ke)
    ddk = (1.0 - p["s"]) * ddk_glia + p["s"] * ddk_bath
    return [dv, dn, dki, dcli, ddk]


@dataclass
class HDResult:
    """Trajectory at solver steps. t in ms; v mV; concentrations mM; ipump µA/cm²."""

    t: np.ndarray
    v: np.ndarray
    n: np.ndarray
    ke: np.ndarray
    ki: np.ndarray
    nai: np.ndarray
    nae: np.ndarray
    cli: np.ndarray
    cle: np.ndarray
    dk: np.ndarray
    ipump: np.ndarray
    spikes: np.ndarray     # ms, upward crossings of −10 mV
    up: np.ndarray         # ms, upward crossings of `v_level`
    down: np.ndarray       # ms, downward crossings of `v_level`
    v_level: float
    y_final: np.ndarray
    params: dict = field(repr=False)
    nfev: int = 0
    method: str = ""


def _level_event(level):
    def ev(t, y, *args):
        return y[0] - level
    return ev


def huebel_dahlem(scheme: str = "buffer", k_bath: float = 4.0, pump_off=None, stim=None,
                  duration_ms: float = 100e3, y0=None, rtol: float = 1e-8, atol: float = 1e-8,
                  method: str = "LSODA", max_step: float = 100.0, v_level: float = -30.0,
                  **param_overrides) -> HDResult:
    """Integrate the Hübel–Dahlem model in ms.

    scheme: "buffer" (s = 0, glial buffer) or "bath" (s = 1, diffusive coupling).
    pump_off: (start_ms, stop_ms) during which z = 0 (file default: (20e3, 29.5e3)).
    stim: (amp µA/cm², start_ms, stop_ms) depolarising current (file: (Amp, 20e3, 20.5e3)).
    The run is split at every switching time so the integrator never steps across a
    discontinuity. Crossings of `v_level` (default −30 mV) in both directions are
    located by events for SD detection.
    """
    p = huebel_dahlem_params(scheme, k_bath, **param_overrides)
    y = HD_Y0.copy() if y0 is None else np.asarray(y0, dtype=float)
    T = float(duration_ms)
    cuts = {0.0, T}
    if pump_off is not None:
        cuts |= {min(max(float(x), 0.0), T) for x in pump_off}
    if stim is not None:
        cuts |= {min(max(float(x), 0.0), T) for x in stim[1:]}
    cuts = sorted(cuts)

    spike_ev = _level_event(SPIKE_THRESHOLD)
    spike_ev.direction = 1.0
    up_ev = _level_event(v_level)
    up_ev.direction = 1.0
    down_ev = _level_event(v_level)
    down_ev.direction = -1.0

    ts, ys, zs = [], [], []
    spikes, ups, downs = [], [], []
    nfev = 0
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b <= a:
            continue
        mid = 0.5 * (a + b)
        q = dict(p)
        if pump_off is not None and pump_off[0] <= mid < pump_off[1]:
            q["z"] = 0.0
        if stim is not None and stim[1] <= mid < stim[2]:
            q["stim"] = float(stim[0])
        sol = solve_ivp(huebel_dahlem_rhs, (a, b), y, method=method, args=(q,), rtol=rtol,
                        atol=atol, max_step=max_step, events=(spike_ev, up_ev, down_ev))
        if sol.status < 0:
            raise RuntimeError(f"Hübel–Dahlem integration failed at t={a} ms: {sol.message}")
        keep = slice(None) if not ts else slice(1, None)  # drop duplicated segment start
        ts.append(sol.t[keep])
        ys.append(sol.y[:, keep])
        zs.append(np.full(sol.t[keep].shape, q["z"]))
        spikes.append(sol.t_events[0])
        ups.append(sol.t_events[1])
        downs.append(sol.t_events[2])
        nfev += sol.nfev
        y = sol.y[:, -1]

    t = np.concatenate(ts)
    Y = np.concatenate(ys, axis=1)
    z = np.concatenate(zs)
    v, n, ki, cli, dk = Y
    aux = huebel_dahlem_aux(v, ki, cli, dk, dict(p, z=1.0))
    return HDResult(t=t, v=v, n=n, ke=aux["ke"], ki=ki, nai=aux["nai"], nae=aux["nae"], cli=cli,
                    cle=aux["cle"], dk=dk, ipump=aux["ipump"] * z,
                    spikes=np.concatenate(spikes), up=np.concatenate(ups),
                    down=np.concatenate(downs), v_level=v_level, y_final=Y[:, -1].copy(),
                    params=p, nfev=nfev, method=method)
