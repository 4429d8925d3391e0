"""A pump of my own: Michaelis–Menten in [Na+]i (3 sites) and [K+]o (2 sites),
inhibited by external Na+ competing at the K+ sites."""

from nakpump.mechanisms import Param, pump


@pump(name="my-pump", source="Our lab (2026): fitted to SBFI [Na+]i recordings",
      params={"km_na": Param(10.0, "mM", ">0", "half-activation by internal Na+"),
              "km_k": Param(1.5, "mM", ">0", "half-activation by external K+"),
              "ki_na_o": Param(200.0, "mM", ">0", "external Na+ competing with K+")})
def my_pump(na_i, k_o, na_o, km_na, km_k, ki_na_o):
    """Turnover per unit rate_max (dimensionless): the engine multiplies by rate_max,
    the ATP factor and the unblocked fraction, and moves 3 Na+ out, 2 K+ in per cycle."""
    k_site = k_o / (k_o + km_k * (1.0 + na_o / ki_na_o))
    return (na_i / (na_i + km_na)) ** 3 * k_site ** 2
