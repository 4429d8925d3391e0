"""`python -m nakpump [PRESET]`: the resting state of a preset (default: cortical), in words."""

from __future__ import annotations

import sys

import nakpump as nk
from nakpump.errors import SpecError
from nakpump.steady import atp_free_energy


def main(argv: list[str]) -> int:
    name = argv[0] if argv else "cortical"
    try:
        cell = nk.preset(name)
    except SpecError as exc:
        print(f"nakpump: {exc}", file=sys.stderr)
        return 2
    rest = nk.resting_state(cell)
    flux = rest.fluxes
    print(f"{cell.name}: {cell.description}\n")
    print(f"resting potential    {rest.v:8.2f} mV   ({rest.stability_note})")
    print(f"E_Na / E_K / E_Cl    {rest.e_na:8.2f} / {rest.e_k:.2f} / {rest.e_cl:.2f} mV")
    print(f"[Na+] in / out       {rest.na_i:8.2f} / {rest.na_o:.2f} mM")
    print(f"[K+]  in / out       {rest.k_i:8.2f} / {rest.k_o:.2f} mM")
    print(f"[Cl-] in / out       {rest.cl_i:8.2f} / {rest.cl_o:.2f} mM")
    print(f"pump turnover        {rest.pump_rate:8.4g} cycles/s/µm²  →  {rest.i_pump:.4f} µA/cm²")
    print(f"pump fluxes          Na+ out {flux['na_efflux']:.4g}, K+ in {flux['k_influx']:.4g}, "
          f"ATP {flux['atp_use']:.4g} pmol/(s·cm²)  (3 : 2 : 1)")
    print(f"pump's own share     {rest.pump_potential:8.2f} mV of the resting potential")
    side = "forwards" if rest.v > rest.e_pump else "BACKWARDS"
    print(f"pump reversal        {rest.e_pump:8.1f} mV (ΔG_ATP {atp_free_energy(cell):.4g} "
          f"kJ/mol): at {rest.v:.1f} mV it runs {side}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
