"""NEURON's built-in `hh` mechanism as a peer of nakpump's `hh-1952` under a constant current.

One single-segment section of 100 µm² (the model does not depend on geometry): hh's
g_Na, g_K and its one leak g_L = g_Na,leak + g_K,leak from the CellSpec, E_Na and E_K
from the fixed concentrations (Nernst at the cell's temperature, nakpump's constants) and
E_L the leaks' combined reversal, so that nothing is retyped; rate tables off
(usetable_hh = 0: hh.mod otherwise interpolates its rates on a 1 mV table); celsius the
cell's (6.3 °C: hh's q10 factor 1). An IClamp of amplitude·area (from t = 0) gives the
current density. Global CVODE at rtol and atol with hh's gates' tolerances scaled by
their ATOL_SCALE (1e-2), as for every peer; spikes from a NetCon at the threshold with
condition_order(2) (crossing interpolated within the step).
"""

from __future__ import annotations

import math
import os

import numpy as np

from nakpump.engine.layout import ATOL_SCALE, M
from nakpump.model.spec import CellSpec
from nakpump.units import celsius_to_kelvin, rt_over_f

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

AREA = 100.0  # µm²
UA_TO_MA = 1e-3  # µA/cm² → mA/cm², mS/cm² → S/cm²


def reversals(cell: CellSpec) -> tuple[float, float, float]:
    """(E_Na, E_K, E_L) in mV of a cell with fixed concentrations and an Na+/K+ leak."""
    rt_f = rt_over_f(celsius_to_kelvin(cell.temp_c))
    ions, leak = cell.ions, cell.leak
    e_na = rt_f * math.log(ions.na_o / ions.na_i)
    e_k = rt_f * math.log(ions.k_o / ions.k_i)
    e_l = (leak.g_na * e_na + leak.g_k * e_k) / (leak.g_na + leak.g_k)
    return e_na, e_k, e_l


def run(cell: CellSpec, duration: float, amplitude: float, rtol: float, atol: float, *,
        threshold: float = 0.0) -> np.ndarray:
    """Spike times (ms) of `cell` (hh channels, fixed concentrations, no Cl− leak or pump)
    under amplitude µA/cm² from t = 0 for duration ms."""
    ch, leak = cell.channels, cell.leak
    if (ch.kind != "hh" or cell.concentrations != "fixed" or cell.pump is not None
            or leak.g_cl != 0.0 or ch.g_m != 0.0):
        raise ValueError("only an HH membrane with fixed concentrations is built here")
    from neuron import h

    h.load_file("stdrun.hoc")
    sec = h.Section(name="hh_peer")
    sec.nseg = 1
    sec.L = sec.diam = math.sqrt(AREA / math.pi)  # side area π·d·L
    sec.cm = cell.capacitance
    sec.insert("hh")
    seg = sec(0.5)
    e_na, e_k, e_l = reversals(cell)
    seg.hh.gnabar = ch.g_na * UA_TO_MA
    seg.hh.gkbar = ch.g_k * UA_TO_MA
    seg.hh.gl = (leak.g_na + leak.g_k) * UA_TO_MA
    seg.hh.el = e_l
    seg.ena, seg.ek = e_na, e_k
    h.usetable_hh = 0
    h.celsius = cell.temp_c
    clamp = h.IClamp(seg)
    clamp.delay, clamp.dur = 0.0, 1e9
    clamp.amp = amplitude * AREA * 1e-5  # nA: µA/cm² · µm² · 1e-8 cm²/µm² · 1e3 nA/µA
    cvode = h.CVode()
    cvode.active(1)
    cvode.rtol(rtol)
    cvode.atol(atol)
    for gate in ("m_hh", "h_hh", "n_hh"):
        cvode.atolscale(gate, ATOL_SCALE[M])
    cvode.condition_order(2)
    spikes = h.Vector()
    detector = h.NetCon(seg._ref_v, None, sec=sec)
    detector.threshold = threshold
    detector.record(spikes)
    h.finitialize(cell.v_init)
    cvode.solve(duration)
    out = np.array(spikes)
    del detector, clamp
    h.delete_section(sec=sec)
    return out
