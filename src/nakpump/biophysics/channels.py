"""Hodgkin–Huxley-type gating kinetics: opening (α) and closing (β) rates in 1/ms, V in mV.

Three families, each a published rate set at its reference temperature; the
temperature factor φ (Q10 rule) multiplies the rates, never the conductances
(the HH convention).

- HH 1952 squid axon, modern sign convention (rest ≈ −65 mV), 6.3 °C.
  Hodgkin & Huxley (1952) J Physiol 117:500, eqs. 12, 13, 20, 21, 23, 24.
- Traub–Miles cortical kinetics shifted by a threshold parameter vt, as used
  by Pospischil et al. (2008) Biol Cybern 99:427 (vt = −56.2 mV for regular
  spiking cells) and Wei, Ullah & Schiff (2014) (vt = −67 mV), plus the slow
  non-inactivating K+ (M) current of Pospischil et al. (2008) eq. 7–8.
- Cressman et al. (2009) J Comput Neurosci 26:159 (also Hübel & Dahlem 2014):
  HH rates shifted by +10 to +25 mV; m is instantaneous.
"""

from __future__ import annotations

import math

from nakpump._jit import jit


@jit
def exprel_rate(x: float, s: float) -> float:
    """x / (1 − exp(−x/s)), the HH rate shape, continuous at x = 0 (limit s)."""
    u = x / s
    if abs(u) < 1e-7:
        return s * (1.0 + 0.5 * u)
    return x / (1.0 - math.exp(-u))


@jit
def q10_factor(q10: float, temp_c: float, temp_ref_c: float) -> float:
    """Rate multiplier φ = q10^((T − T_ref)/10); φ(18.5 °C) = 3.8202 for HH (q10 3, 6.3 °C)."""
    return q10 ** ((temp_c - temp_ref_c) / 10.0)


# --- Hodgkin & Huxley (1952), modern convention ------------------------------------


@jit
def hh_rates(v: float) -> tuple[float, float, float, float, float, float]:
    """(α_m, β_m, α_h, β_h, α_n, β_n) in 1/ms at 6.3 °C; v in mV.

    α_m = 0.1(v + 40)/(1 − e^(−(v+40)/10)), β_m = 4e^(−(v+65)/18), α_h = 0.07e^(−(v+65)/20),
    β_h = 1/(1 + e^(−(v+35)/10)), α_n = 0.01(v + 55)/(1 − e^(−(v+55)/10)),
    β_n = 0.125e^(−(v+65)/80). Five of the six exponentials are powers of
    e^(−(v+65)/80) times constants (exact identities; ~1e-15 relative rounding), so two
    exp() calls do the work of six.
    """
    e80 = math.exp(-(v + 65.0) / 80.0)
    e20 = e80 * e80
    e20 *= e20
    e10 = e20 * e20
    x = v + 40.0  # α_m's removable singularity at x = 0: limit 1 + x/20
    alpha_m = 0.1 * x / (1.0 - e10 * 12.182493960703473)  # e^2.5
    if abs(x) < 1e-6:
        alpha_m = 0.1 * (10.0 + 0.5 * x)
    beta_m = 4.0 * math.exp(-(v + 65.0) / 18.0)
    alpha_h = 0.07 * e20
    beta_h = 1.0 / (1.0 + e10 * 20.085536923187668)  # e^3
    y = v + 55.0  # α_n's at y = 0: limit 0.1 + y/200
    alpha_n = 0.01 * y / (1.0 - e10 * 2.718281828459045)  # e^1
    if abs(y) < 1e-6:
        alpha_n = 0.01 * (10.0 + 0.5 * y)
    beta_n = 0.125 * e80
    return alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n


# --- Traub–Miles kinetics (Pospischil et al. 2008, eqs. 3–6) -----------------------


@jit
def traub_rates(v: float, vt: float) -> tuple[float, float, float, float, float, float]:
    """(α_m, β_m, α_h, β_h, α_n, β_n) in 1/ms at the model's 36 °C; v, vt in mV."""
    u = v - vt
    alpha_m = 0.32 * exprel_rate(u - 13.0, 4.0)
    beta_m = 0.28 * exprel_rate(-(u - 40.0), 5.0)
    alpha_h = 0.128 * math.exp(-(u - 17.0) / 18.0)
    beta_h = 4.0 / (1.0 + math.exp(-(u - 40.0) / 5.0))
    alpha_n = 0.032 * exprel_rate(u - 15.0, 5.0)
    beta_n = 0.5 * math.exp(-(u - 10.0) / 40.0)
    return alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n


@jit
def m_current_gate(v: float, tau_max: float) -> tuple[float, float]:
    """(p_∞, τ_p in ms) of the slow M-type K+ current (Pospischil et al. 2008, eq. 8).

    tau_max in ms (608 ms for regular-spiking cells).
    """
    p_inf = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
    tau_p = tau_max / (3.3 * math.exp((v + 35.0) / 20.0) + math.exp(-(v + 35.0) / 20.0))
    return p_inf, tau_p


# --- Cressman et al. (2009) / Hübel & Dahlem (2014) --------------------------------


@jit
def cressman_rates(v: float) -> tuple[float, float, float, float, float, float]:
    """(α_m, β_m, α_h, β_h, α_n, β_n) in 1/ms before the factor φ; v in mV."""
    alpha_m = 0.1 * exprel_rate(v + 30.0, 10.0)
    beta_m = 4.0 * math.exp(-(v + 55.0) / 18.0)
    alpha_h = 0.07 * math.exp(-(v + 44.0) / 20.0)
    beta_h = 1.0 / (1.0 + math.exp(-0.1 * (v + 14.0)))
    alpha_n = 0.01 * exprel_rate(v + 34.0, 10.0)
    beta_n = 0.125 * math.exp(-(v + 44.0) / 80.0)
    return alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n


@jit
def h_from_n_huebel(n: float) -> float:
    """Inactivation as a function of n (Hübel & Dahlem 2014): h = 1 − 1/(1 + e^(−6.5(n − 0.35)))."""
    return 1.0 - 1.0 / (1.0 + math.exp(-6.5 * (n - 0.35)))


@jit
def gate_step(x: float, alpha: float, beta: float, phi: float, dt: float) -> float:
    """Exponential-Euler (Rush–Larsen) update of a gate over dt (ms), exact for frozen V."""
    rate = phi * (alpha + beta)
    x_inf = alpha / (alpha + beta)
    return x_inf + (x - x_inf) * math.exp(-rate * dt)


@jit
def ahp_calcium_source(v: float, g_ca: float, e_ca: float) -> float:
    """Ca2+ entry (mM/ms) that drives Cressman's AHP: −0.002·g_Ca·(V − E_Ca)/(1 + e^(−(V+25)/2.5)).

    g_ca in mS/cm², v and e_ca in mV (Cressman et al. 2009, references.md §2.1). The
    Ca2+ is a marker that activates g_AHP·[Ca]/(1 + [Ca]); it carries no charge in the model.
    """
    return -0.002 * g_ca * (v - e_ca) / (1.0 + math.exp(-(v + 25.0) / 2.5))
