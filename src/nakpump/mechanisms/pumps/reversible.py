"""A thermodynamically reversible Na+/K+-ATPase: the four-state Post–Albers cycle.

Smith & Crampin (2004) reduced the Post–Albers scheme to four lumped states, with Na+
and K+ binding in rapid equilibrium on either side (Prog Biophys Mol Biol 85:387);
Terkildsen, Crampin & Smith (2007) put the voltage dependence into the binding
constants, K_X = K0_X·e^(δ_X·V/(RT/F)) (Am J Physiol Heart 293:H3036). The cycle's
steady-state turnover by the King–Altman method (references.md §5.3):

    rate = (α1⁺α2⁺α3⁺α4⁺ − α1⁻α2⁻α3⁻α4⁻) / Σ (16 triple products)
    α1⁺ = k1_fwd·Ñai³/D_i     α1⁻ = k1_back·[ADP]
    α2⁺ = k2_fwd              α2⁻ = k2_back·Ñao³/D_o
    α3⁺ = k3_fwd·K̃o²/D_o      α3⁻ = k3_back·[Pi][H⁺]/(1 + Ã)
    α4⁺ = k4_fwd·Ã/(1 + Ã)    α4⁻ = k4_back·K̃i²/D_i
    D_i = (1 + Ñai)³ + (1 + K̃i)² − 1,  D_o = (1 + Ñao)³ + (1 + K̃o)² − 1,  X̃ = [X]/K_X

The product of the forward over the backward rates is e^((V − E_pump)/(RT/F)) with
E_pump = 3E_Na − 2E_K + ΔG_ATP/F (detailed balance): the pump stops exactly at E_pump
and runs backwards beyond it, as a real ATPase does when ATP falls far enough. This
needs one charge through the field per cycle, 3δ_Nao + 2δ_Ki − 3δ_Nai − 2δ_Ko = 1,
checked when a cell is built.

Parameter values: the Terkildsen-type set as given in the code of several islet
β-cell models ([code]; references.md §5.3 marks the attribution to Terkildsen 2007
unverified), rate constants converted from 1/ms to 1/s. Its equilibrium constant
(equilibrium_constant) is 9.6e3 mM², so ΔG_ATP is −55 kJ/mol at 2 mM ATP, 30 µM ADP,
3 mM Pi, pH 7, 37 °C: within the −55…−60 kJ/mol reported for neurons. The form
returns one pump's turnover in cycles/s, so `rate_max` is the pump density (per µm²).
"""

import math

from nakpump._jit import jit
from nakpump.mechanisms import Param, pump

_K = "1/s"


def _charge_moved(p: dict) -> str | None:
    z = (3.0 * p["delta_na_o"] + 2.0 * p["delta_k_i"] - 3.0 * p["delta_na_i"]
         - 2.0 * p["delta_k_o"])
    if abs(z - 1.0) > 1e-9:
        return (f"3·delta_na_o + 2·delta_k_i − 3·delta_na_i − 2·delta_k_o = 1 (one charge "
                f"through the field per cycle); these give {z:.6g}")
    return None


def equilibrium_constant(p: dict) -> float:
    """K_eq (mM²) of ATP → ADP + Pi + H+ that the parameters p (by name) imply."""
    rates = (p["k1_fwd"] * p["k2_fwd"] * p["k3_fwd"] * p["k4_fwd"]
             / (p["k1_back"] * p["k2_back"] * p["k3_back"] * p["k4_back"]))
    return rates * p["kd_na_o"] ** 3 * p["kd_k_i"] ** 2 / (
        p["kd_na_i"] ** 3 * p["kd_k_o"] ** 2 * p["kd_atp"])


def atp_free_energy(p: dict, atp: float, adp: float, pi: float, rt_f: float) -> float:
    """ΔG_ATP/F (mV) of ATP hydrolysis at these concentrations (mM) and pH p["ph"]:
    −(RT/F)·ln(K_eq·[ATP]/([ADP][Pi][H+]))."""
    h = 1000.0 * 10.0 ** -p["ph"]
    return -rt_f * math.log(equilibrium_constant(p) * atp / (adp * pi * h))


@jit
def step_rates(v, na_i, k_i, na_o, k_o, rt_f, atp, adp, pi, k1_fwd, k1_back, k2_fwd,
               k2_back, k3_fwd, k3_back, k4_fwd, k4_back, kd_na_i, kd_na_o, kd_k_i, kd_k_o,
               kd_atp, delta_na_i, delta_na_o, delta_k_i, delta_k_o, ph):
    """The cycle's forward and backward step rates (α1⁺…α4⁺, α1⁻…α4⁻; 1/s) at V (mV),
    concentrations (mM) and pH, binding in rapid equilibrium."""
    nai = na_i / (kd_na_i * math.exp(delta_na_i * v / rt_f))
    nao = na_o / (kd_na_o * math.exp(delta_na_o * v / rt_f))
    ki = k_i / (kd_k_i * math.exp(delta_k_i * v / rt_f))
    ko = k_o / (kd_k_o * math.exp(delta_k_o * v / rt_f))
    a = atp / kd_atp
    d_i = (1.0 + nai) ** 3 + (1.0 + ki) ** 2 - 1.0
    d_o = (1.0 + nao) ** 3 + (1.0 + ko) ** 2 - 1.0
    h = 1000.0 * 10.0 ** -ph  # mM
    f1, b1 = k1_fwd * nai * nai * nai / d_i, k1_back * adp
    f2, b2 = k2_fwd, k2_back * nao * nao * nao / d_o
    f3, b3 = k3_fwd * ko * ko / d_o, k3_back * pi * h / (1.0 + a)
    f4, b4 = k4_fwd * a / (1.0 + a), k4_back * ki * ki / d_i
    return f1, f2, f3, f4, b1, b2, b3, b4


@pump(name="reversible", check=_charge_moved, free_energy=atp_free_energy,
      source="Smith & Crampin (2004) Prog Biophys Mol Biol 85:387 (scheme); Terkildsen, "
             "Crampin & Smith (2007) Am J Physiol Heart 293:H3036 (voltage dependence)",
      params={
          "k1_fwd": Param(1253.0, _K, ">=0", "Na+ occlusion, forward"),
          "k1_back": Param(139.0, "1/(mM*s)", ">=0", "its reverse, per [ADP]"),
          "k2_fwd": Param(139.0, _K, ">=0", "Na+ release outside, forward"),
          "k2_back": Param(13.9, _K, ">=0", "its reverse"),
          "k3_fwd": Param(6960.0, _K, ">=0", "K+ occlusion, forward"),
          "k3_back": Param(1.39e7, "1/(mM^2*s)", ">=0", "its reverse, per [Pi][H+]"),
          "k4_fwd": Param(520.0, _K, ">=0", "K+ release inside with ATP bound, forward"),
          "k4_back": Param(348.0, _K, ">=0", "its reverse"),
          "kd_na_i": Param(5.0, "mM", ">0", "internal Na+ dissociation constant at 0 mV"),
          "kd_na_o": Param(26.8, "mM", ">0", "external Na+ dissociation constant at 0 mV"),
          "kd_k_i": Param(18.8, "mM", ">0", "internal K+ dissociation constant at 0 mV"),
          "kd_k_o": Param(0.8, "mM", ">0", "external K+ dissociation constant at 0 mV"),
          "kd_atp": Param(0.6, "mM", ">0", "ATP dissociation constant"),
          "delta_na_i": Param(-0.14, "1", "-1..1", "field fraction felt by internal Na+"),
          "delta_na_o": Param(0.44, "1", "-1..1", "… by external Na+"),
          "delta_k_i": Param(-0.14, "1", "-1..1", "… by internal K+"),
          "delta_k_o": Param(0.23, "1", "-1..1", "… by external K+"),
          "ph": Param(7.0, "1", "0..14", "cytosolic pH ([H+] in the phosphate release)"),
      })
def reversible(v, na_i, k_i, na_o, k_o, rt_f, atp, adp, pi, k1_fwd, k1_back, k2_fwd,
               k2_back, k3_fwd, k3_back, k4_fwd, k4_back, kd_na_i, kd_na_o, kd_k_i, kd_k_o,
               kd_atp, delta_na_i, delta_na_o, delta_k_i, delta_k_o, ph):
    """Net turnover of one pump (cycles/s; negative when it runs backwards)."""
    f1, f2, f3, f4, b1, b2, b3, b4 = step_rates(
        v, na_i, k_i, na_o, k_o, rt_f, atp, adp, pi, k1_fwd, k1_back, k2_fwd, k2_back,
        k3_fwd, k3_back, k4_fwd, k4_back, kd_na_i, kd_na_o, kd_k_i, kd_k_o, kd_atp,
        delta_na_i, delta_na_o, delta_k_i, delta_k_o, ph)
    # King–Altman: Σ_i b_i b_i+1 b_i+2 + f_i b_i+1 b_i+2 + f_i f_i+1 b_i+2 + f_i f_i+1 f_i+2
    total = (b1 * b2 * b3 + f1 * b2 * b3 + f1 * f2 * b3 + f1 * f2 * f3
             + b2 * b3 * b4 + f2 * b3 * b4 + f2 * f3 * b4 + f2 * f3 * f4
             + b3 * b4 * b1 + f3 * b4 * b1 + f3 * f4 * b1 + f3 * f4 * f1
             + b4 * b1 * b2 + f4 * b1 * b2 + f4 * f1 * b2 + f4 * f1 * f2)
    return (f1 * f2 * f3 * f4 - b1 * b2 * b3 * b4) / total


def reversal(p: dict, na_i, k_i, na_o, k_o, atp, adp, pi, rt_f) -> float:
    """E_pump = 3E_Na − 2E_K + ΔG_ATP/F (mV): where the cycle stops."""
    return (3.0 * rt_f * math.log(na_o / na_i) - 2.0 * rt_f * math.log(k_o / k_i)
            + atp_free_energy(p, atp, adp, pi, rt_f))
