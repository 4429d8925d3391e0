"""Electrodiffusion: Nernst potentials and the Goldman–Hodgkin–Katz equations.

Units: voltage mV, concentration mM, rt_f = RT/F in mV, permeability cm/s,
current density µA/cm² (outward positive), flux pmol/(s·cm²) (outward positive).
"""

from __future__ import annotations

import math

from nakpump._jit import jit
from nakpump.units import FARADAY


@jit
def nernst(rt_f: float, z: float, c_out: float, c_in: float) -> float:
    """Reversal potential (mV) of an ion of valence z: (RT/zF)·ln(c_out/c_in)."""
    return nernst_from_log(rt_f, z, math.log(c_out), c_in)


@jit
def nernst_from_log(rt_f: float, z: float, log_out: float, c_in: float) -> float:
    """nernst with ln(c_out) given (c_out in mM): (RT/zF)·(ln c_out − ln c_in), mV.

    A bath's ln(c_out) is taken once per protocol segment, so a step needs one log and no
    division per ion; nernst computes the same expression, so both give the same bits.
    """
    return rt_f / z * (log_out - math.log(c_in))


@jit
def _ghk_factor(u: float, c_in: float, c_out: float) -> float:
    """u·(c_in − c_out·e^−u)/(1 − e^−u) (mM), continuous through u = 0."""
    if abs(u) < 1e-9:
        # Limit u → 0: (c_in − c_out) + u·(c_in + c_out)/2.
        return c_in - c_out + 0.5 * u * (c_in + c_out)
    e = math.exp(-u)
    return u * (c_in - c_out * e) / (1.0 - e)


@jit
def ghk_flux(v: float, rt_f: float, z: float, perm: float, c_in: float, c_out: float) -> float:
    """Outward GHK flux density (pmol/(s·cm²)) of one ion species.

    J = P·u·(c_in − c_out·e^−u)/(1 − e^−u), u = zV/(RT/F). With P in cm/s and c
    in mM (1e-6 mol/cm³), P·c is 1e-6 mol/(s·cm²) = 1e6 pmol/(s·cm²).
    Goldman (1943); Hodgkin & Katz (1949).
    """
    return perm * _ghk_factor(z * v / rt_f, c_in, c_out) * 1e6


@jit
def ghk_current(v: float, rt_f: float, z: float, perm: float, c_in: float, c_out: float) -> float:
    """Outward GHK current density (µA/cm²): z·F·J.

    With J in mol/(s·cm²): z·F·P·c·1e-6 A/cm² = z·F·P·c µA/cm² (P cm/s, c mM).
    """
    return z * FARADAY * perm * _ghk_factor(z * v / rt_f, c_in, c_out)


@jit
def ghk_voltage(rt_f: float, p_k: float, p_na: float, p_cl: float,
                k_i: float, k_o: float, na_i: float, na_o: float,
                cl_i: float, cl_o: float) -> float:
    """GHK zero-current potential (mV) for K+, Na+ and Cl− (relative permeabilities)."""
    num = p_k * k_o + p_na * na_o + p_cl * cl_i
    den = p_k * k_i + p_na * na_i + p_cl * cl_o
    return rt_f * math.log(num / den)
