"""Luo & Rudy (1994): the voltage-dependent cardiac I_NaK."""

import math

from nakpump.mechanisms import Param, pump


@pump(name="luo-rudy", source="Luo & Rudy (1994) Circ Res 74:1071",
      params={"km_na": Param(10.0, "mM", ">0", "half-saturation by internal Na+"),
              "km_k": Param(1.5, "mM", ">0", "half-saturation by external K+"),
              "hill_na": Param(1.5, "1", ">0", "Hill coefficient for internal Na+")})
def luo_rudy(rate_max, v, na_i, na_o, k_o, rt_f, km_na, km_k, hill_na):
    """rate_max·f_NaK(V)·[1 + (km_na/na_i)^hill_na]^−1·k_o/(k_o + km_k) (cycles/s/µm²), with
    f_NaK = 1/(1 + 0.1245·e^(−0.1·V/rt_f) + 0.0365·σ·e^(−V/rt_f)) and
    σ = (e^(na_o/67.3) − 1)/7 (na_o in mM, V and rt_f in mV)."""
    sigma = (math.exp(na_o / 67.3) - 1.0) / 7.0
    f_nak = 1.0 / (1.0 + 0.1245 * math.exp(-0.1 * v / rt_f)
                   + 0.0365 * sigma * math.exp(-v / rt_f))
    return rate_max * f_nak / (1.0 + (km_na / na_i) ** hill_na) * k_o / (k_o + km_k)
