"""Kager, Wadman & Somjen (2000): three internal Na+ and two external K+ binding sites."""

from nakpump.mechanisms import Param, pump


@pump(name="kager", source="Kager, Wadman & Somjen (2000) J Neurophysiol 84:495",
      params={"km_na": Param(7.7, "mM", ">0", "half-saturation by internal Na+",
                             "Kager 2000 [R]; 10 mM in ModelDB 267499/222321"),
              "km_k": Param(2.0, "mM", ">0", "half-saturation by external K+",
                            "Kager 2000")})
def kager(rate_max, na_i, k_o, km_na, km_k):
    """rate_max·(k_o/(k_o + km_k))²·(na_i/(na_i + km_na))³ (cycles/s/µm²)."""
    na3 = na_i * na_i * na_i
    na_km = na_i + km_na
    k_km = k_o + km_k
    return rate_max * (na3 * k_o * k_o) / (na_km * na_km * na_km * (k_km * k_km))
