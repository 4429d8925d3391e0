"""An unbranched cable: compartments that are single cells (engine.cell), coupled by axial
current solved implicitly in V (a tridiagonal system, as NEURON's Hines solver does for
an unbranched tree).

Each compartment is a lane of engine.cell's block step. The coupled membrane step is
the block step's own, with the voltage each compartment must reach handed to it as a
clamp target: the clamp machinery then supplies exactly the axial current that the
tridiagonal solution implies, carried into the compartment by its stim ion (K+ by
default, the main intracellular charge carrier) and booked in its injected-charge
integral. So every compartment keeps C·A·ΔV = F·Vol·Σz·Δc + injected charge, and
because the axial currents of neighbours cancel, the axon's total of each ion changes
only by membrane fluxes (sealed ends).

Units: areas µm², axial conductances µS, currents of a compartment nA (= µA/cm² × A ×
1e-5), capacitances nF, voltages mV, time ms (nF/ms = µS).
"""

from __future__ import annotations

import numpy as np

from nakpump._jit import step_jit
from nakpump.engine.cell import (
    _gates_block,
    _ion_currents,
    _membrane_block,
    derive_block,
    enter_segment_block,
)
from nakpump.engine.layout import (
    D_CLAMP,
    D_STIM_CL,
    D_STIM_K,
    D_STIM_NA,
    D_V_CLAMP,
    N_DRIVE,
    P_CAP,
    P_PUMP_V,
    P_SCHEME,
    V,
)

AREA_TO_NA = 1e-5  # µA/cm² × µm² → nA (and µF/cm² × µm² → nF, mS/cm² × µm² → µS)


@step_jit
def linearised_membrane(Yb, Pb, Db, net, g_tot):
    """Each lane's net outward membrane current minus injected current (µA/cm²) and the
    slope conductance of its ion currents (mS/cm²) at its present state, into net and
    g_tot: the linearisation engine.cell's membrane step uses, from the same functions."""
    for j in range(Yb.shape[1]):
        i_na, i_k, i_cl, g_na, g_k, g_cl, _, _, _, i_pump = _ion_currents(
            Yb[:, j], Pb[:, j], Db[:, j], Yb[V, j])
        net[j] = (i_na + i_k + i_cl - (1.0 - Pb[P_PUMP_V, j]) * i_pump
                  - (Db[D_STIM_NA, j] + Db[D_STIM_K, j] + Db[D_STIM_CL, j]))
        g_tot[j] = g_na + g_k + g_cl


@step_jit
def axial_targets(Yb, Pb, Db, area, g_axial, dt, theta, net, g_tot, lower, diag, upper,
                  rhs, target):
    """The voltage each compartment reaches over dt (ms), membranes linearised and the
    axial currents taken at V + theta·ΔV: solve the tridiagonal system for ΔV (Thomas
    algorithm) into target = V + ΔV. A compartment under voltage clamp keeps its clamp."""
    n = Yb.shape[1]
    linearised_membrane(Yb, Pb, Db, net, g_tot)
    for j in range(n):
        scale = area[j] * AREA_TO_NA
        lower[j] = 0.0
        upper[j] = 0.0
        diag[j] = (Pb[P_CAP, j] / dt + theta * g_tot[j]) * scale
        rhs[j] = -net[j] * scale
    for j in range(n - 1):  # axial coupling between j and j + 1
        g = g_axial[j]
        dv = Yb[V, j + 1] - Yb[V, j]
        diag[j] += theta * g
        diag[j + 1] += theta * g
        upper[j] = -theta * g
        lower[j + 1] = -theta * g
        rhs[j] += g * dv
        rhs[j + 1] -= g * dv
    for j in range(n):  # clamped compartments: ΔV is given
        if Db[D_CLAMP, j] > 0.5:
            lower[j] = 0.0
            upper[j] = 0.0
            diag[j] = 1.0
            rhs[j] = Db[D_V_CLAMP, j] - Yb[V, j]
    for j in range(1, n):  # forward elimination
        w = lower[j] / diag[j - 1]
        diag[j] -= w * upper[j - 1]
        rhs[j] -= w * rhs[j - 1]
    target[n - 1] = rhs[n - 1] / diag[n - 1]
    for j in range(n - 2, -1, -1):
        target[j] = (rhs[j] - upper[j] * target[j + 1]) / diag[j]
    for j in range(n):
        target[j] += Yb[V, j]


@step_jit
def enter_cable(Yb, Pb, Db, Dw):
    """Enter a protocol segment with drives Db (N_DRIVE, n): the bath's concentrations
    (engine.cell.enter_segment_block), and the working drives Dw (layout.N_DRIVE_WORK, n)
    that step_cable hands the membrane step: Db with every compartment clamped, and their
    derived drives."""
    enter_segment_block(Yb, Pb, Db)
    for j in range(Db.shape[1]):  # loops: these kernels run without numba's refcounting
        for i in range(N_DRIVE):
            Dw[i, j] = Db[i, j]
        Dw[D_CLAMP, j] = 1.0
    derive_block(Yb, Pb, Dw)


@step_jit
def step_cable(Yb, Pb, Db, Dw, area, g_axial, dt, work):
    """Advance every compartment of a cable by dt (ms) in place. Yb, Pb, Db: state,
    parameters and drives with one column per compartment (engine.layout); Dw: the
    working drives enter_cable made of Db; work: scratch (7, n). Scheme as
    engine.cell.step_tile (Pb[P_SCHEME]: 0 backward Euler, 1 Strang with the trapezoidal
    membrane step)."""
    theta = 1.0 if Pb[P_SCHEME, 0] == 0.0 else 0.5
    if theta == 0.5:
        _gates_block(Yb, Pb, 0.5 * dt)
    axial_targets(Yb, Pb, Db, area, g_axial, dt, theta, work[0], work[1], work[2], work[3],
                  work[4], work[5], work[6])
    for j in range(Dw.shape[1]):
        Dw[D_V_CLAMP, j] = work[6, j]
    _membrane_block(Yb, Pb, Dw, dt, theta)
    _gates_block(Yb, Pb, 0.5 * dt if theta == 0.5 else dt)


def cable_work(n: int) -> np.ndarray:
    """Scratch space step_cable needs for n compartments."""
    return np.empty((7, n))
