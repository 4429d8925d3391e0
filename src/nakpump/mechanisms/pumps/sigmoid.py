"""The phenomenological sigmoid pump of Cressman et al. (2009) and its descendants."""

import math

from nakpump.mechanisms import Param, pump


@pump(name="sigmoid",
      source="Cressman et al. (2009) J Comput Neurosci 26:159; Hübel & Dahlem (2014); "
             "Wei et al. (2014) (k_half 3.5 mM)",
      params={"na_half": Param(25.0, "mM", doc="[Na]i at half activation"),
              "na_slope": Param(3.0, "mM", ">0", "its slope"),
              "k_half": Param(5.5, "mM", doc="[K]o at half activation"),
              "k_slope": Param(1.0, "mM", ">0", "its slope")})
def sigmoid(rate_max, na_i, k_o, na_half, na_slope, k_half, k_slope):
    """rate_max/(1 + e^((na_half − na_i)/na_slope))/(1 + e^((k_half − k_o)/k_slope))
    (cycles/s/µm²)."""
    return rate_max / ((1.0 + math.exp((na_half - na_i) / na_slope))
                  * (1.0 + math.exp((k_half - k_o) / k_slope)))
