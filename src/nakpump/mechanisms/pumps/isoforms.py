"""A neuron's two pump isoforms: α1 and α3, each binding ouabain at its own rates.

Neurons co-express α1 and α3 (Azarias et al. 2013 J Biol Chem 288:2734 [abs]); a low
ouabain concentration blocks α3 selectively. Rodent α1 is ouabain-resistant: IC50
4.8·10⁻⁵ M, against a K_d of 1.6 nM for α3 (O'Brien et al. 1994 Arch Biochem Biophys
310:32 [abs]). Each isoform is a Kager-type pump (three internal Na+, two external K+
sites); α3's apparent Na+ affinity is lower than α1's (Crambert et al. 2000 J Biol Chem
275:1976 [R: the factor 3 here is recalled, not read from their table]), so α3 takes
over as [Na+]i rises after firing. Ouabain binds each with k_on·[ouabain]·(1 − b) − k_off·b;
k_on 0.1 per µM per s for both [R: the order reported for cardiac glycosides], k_off set
by the K_d above.
"""

from nakpump.mechanisms import Param, State, pump


def _alpha1_binding(ouabain, kon_a1, koff_a1):
    """(binding, unbinding) rates of ouabain at α1 (1/s)."""
    return kon_a1 * ouabain, koff_a1


def _alpha3_binding(ouabain, kon_a3, koff_a3):
    """(binding, unbinding) rates of ouabain at α3 (1/s)."""
    return kon_a3 * ouabain, koff_a3


_K_ON = "1/(uM*s)"


@pump(name="alpha1-alpha3",
      source="O'Brien et al. (1994); Azarias et al. (2013); Kager et al. (2000) (form)",
      states={"bound_a1": State(_alpha1_binding, 0.0, "α1 pumps with ouabain bound"),
              "bound_a3": State(_alpha3_binding, 0.0, "α3 pumps with ouabain bound")},
      params={
          "share_a1": Param(0.5, "1", "0..1", "α1's share of the pump capacity [R]"),
          "km_na_a1": Param(7.7, "mM", ">0", "α1's half-saturation by internal Na+"),
          "km_na_a3": Param(23.1, "mM", ">0", "α3's (a third of α1's affinity [R])"),
          "km_k": Param(2.0, "mM", ">0", "half-saturation by external K+ (both)"),
          "kon_a1": Param(0.1, _K_ON, ">=0", "ouabain binding to α1"),
          "koff_a1": Param(4.8, "1/s", ">=0", "ouabain unbinding from α1 (K_d 48 µM)"),
          "kon_a3": Param(0.1, _K_ON, ">=0", "ouabain binding to α3"),
          "koff_a3": Param(1.6e-4, "1/s", ">=0", "ouabain unbinding from α3 (K_d 1.6 nM)"),
      })
def alpha1_alpha3(na_i, k_o, bound_a1, bound_a3, share_a1, km_na_a1, km_na_a3, km_k):
    """Turnover per unit rate_max: each isoform's Kager form times its share and its
    unbound fraction (dimensionless)."""
    k_site = k_o / (k_o + km_k)
    a1 = na_i / (na_i + km_na_a1)
    a3 = na_i / (na_i + km_na_a3)
    return k_site * k_site * (share_a1 * (1.0 - bound_a1) * a1 * a1 * a1
                              + (1.0 - share_a1) * (1.0 - bound_a3) * a3 * a3 * a3)
