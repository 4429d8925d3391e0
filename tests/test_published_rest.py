"""The published forms of Cressman 2009 and Barreto & Cressman 2011 start exactly at rest.

preset(name, published=True) stores the rest of the published equations at bath K+ 4 mM
to 14 significant digits (src/nakpump/model/presets.py says how it was solved). Here the
stored start is checked against the equations themselves: nakpump's right-hand side and
the independent scipy peer's (tests/peers/published_tissue.py cressman_rhs), which must
both be zero there to within what 14 digits allow, and a short tight run must not move.

Tolerances, from the digits stored: rounding V, [Na]i and [K]o to 14 significant digits
moves them by at most δV = 5e-13 mV, δ[Na]i = 5e-13 mM, δ[K]o = 5e-14 mM; times the
Jacobian of the published equations, gates following V (∂(dV/dt)/∂V ≈ −0.12/ms,
∂(dV/dt)/∂[Na]i ≈ −0.039 and ∂(dV/dt)/∂[K]o ≈ +0.35 mV/ms per mM; the concentration
rows ≤ 2e-3/ms; central differences) that is ≤ 1.0e-13 mV/ms for dV/dt and ≤ 2e-16
mM/ms for [Na]i and [K]o. Gates and Ca2+ are set from the stored V by their
steady-state formulas, so their derivatives are zero but for float rounding of
φ(α(1 − x) − βx) (~1e-17/ms). Hence the bounds below: 3e-13 mV/ms, 1e-15 mM/ms and 1e-15
per ms. The rounded start this replaced (V −68.170, [Na]i 19.980, [K]o 3.8131 mM) had
dV/dt = −7.0e-5 mV/ms and drifted 6.8e-4 mV in 2 s (2011: −2.5e-6 mV/ms, 2.1e-5 mV).
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import nakpump as nk
from nakpump.engine import layout as L
from nakpump.engine.cell import rhs
from nakpump.engine.compile import cell_parameters, initial_state
from nakpump.protocols import base_drive

_spec = importlib.util.spec_from_file_location(
    "published_tissue_peer", Path(__file__).parent / "peers" / "published_tissue.py")
peer = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = peer  # its dataclasses look their module up there
_spec.loader.exec_module(peer)

DV_TOL = 3e-13  # mV/ms
CONC_TOL = 1e-15  # mM/ms
GATE_TOL = 1e-15  # 1/ms (n, h); mM/ms for the AHP's Ca2+
DRIFT_TOL = 1e-6  # mV over the 2 s run (the brief; measured drift ~1e-11 mV)

CASES = [("cressman-2009", "2009"), ("barreto-cressman-2011", "2011")]


def _start(name):
    cell = nk.preset(name, published=True)
    p = cell_parameters(cell)
    return cell, p, initial_state(cell, p)


@pytest.mark.parametrize("name, variant", CASES)
def test_stored_start_obeys_the_published_relations(name, variant):
    cell, p, y = _start(name)
    ions = cell.ions
    # [K]i = 158 − [Na]i, [Na]o = 144 − 7([Na]i − 18), Cl− 6/130 (references.md §2.1)
    assert ions.k_i == pytest.approx(158.0 - ions.na_i, abs=1e-12)
    assert ions.na_o == pytest.approx(144.0 - 7.0 * (ions.na_i - 18.0), abs=1e-12)
    assert (ions.cl_i, ions.cl_o) == (6.0, 130.0)
    # the published shortcuts are on, and the counters of glia and bath start at zero
    assert not cell.pump_electrogenic and cell.fixed_cl
    assert cell.k_i_rule == "electroneutral"
    for i in (L.K_GLIA, L.K_BUFFER, L.BATH_NA, L.BATH_K, L.BATH_CL):
        assert y[i] == 0.0
    # the gates (and the AHP's Ca2+) at their rest: the values of the 14-digit solve
    # (presets.py comment) to its 14 digits
    n, h = {"2009": (0.064153032290076, 0.98148949486666),
            "2011": (0.064462810070900, 0.98132729721205)}[variant]
    assert y[L.N] == pytest.approx(n, abs=1e-14)
    assert y[L.H] == pytest.approx(h, abs=1e-14)
    if variant == "2009":
        # Ca∞ ∝ 1/(1 + e^(−(V+25)/2.5)) near rest: δV = 5e-13 mV moves it by 2e-13 relative
        assert y[L.CA_I] == pytest.approx(9.5323904434526e-8, rel=5e-13)
        assert y[L.P] == pytest.approx(y[L.CA_I] / (1.0 + y[L.CA_I]), rel=1e-15)
    else:
        assert y[L.CA_I] == 0.0 and cell.channels.g_ahp == 0.0


@pytest.mark.parametrize("name, variant", CASES)
def test_every_derivative_of_nakpumps_published_form_vanishes_at_the_stored_start(name,
                                                                                   variant):
    cell, p, y = _start(name)
    out = np.empty(L.N_STATE)
    rhs(y, p, base_drive(cell), out)
    assert abs(out[L.V]) <= DV_TOL
    for i in (L.N, L.H, L.CA_I):
        assert abs(out[i]) <= GATE_TOL
    for i in (L.NA_I, L.K_I, L.CL_I, L.NA_O, L.K_O, L.CL_O):
        assert abs(out[i]) <= CONC_TOL
    # not checked: the cumulative counters K_GLIA and BATH_K, which grow at rest (glial
    # uptake ~0.23 mM/s balanced by K+ from the bath), and the charge integrals Q_*


@pytest.mark.parametrize("name, variant", CASES)
def test_the_peers_published_equations_are_at_rest_at_the_stored_start(name, variant):
    cell, p, y = _start(name)
    params = peer.cressman_params(variant, k_bath=4.0)
    state = [cell.v_init, y[L.N], y[L.H]]
    state += [y[L.CA_I]] if variant == "2009" else []
    state += [cell.ions.k_o, cell.ions.na_i]
    dv, dn, dh, *rest = peer.cressman_rhs(0.0, state, params)
    d_ko, d_nai = rest[-2:]
    assert abs(dv) <= DV_TOL
    assert max(abs(dn), abs(dh)) <= GATE_TOL
    if variant == "2009":
        assert abs(rest[0]) <= GATE_TOL  # d[Ca]i/dt
    assert max(abs(d_ko), abs(d_nai)) <= CONC_TOL


@pytest.mark.parametrize("name, variant", CASES)
def test_a_tight_reference_run_does_not_leave_the_stored_start(name, variant):
    cell = nk.preset(name, published=True)
    ds = nk.simulate(cell, 2000.0, method="reference", solver="Radau", rtol=1e-10,
                     atol=1e-10, record=["v", "n", "h", "na_i", "k_o"], record_interval=10.0)
    assert float(np.abs(ds.v - cell.v_init).max()) <= DRIFT_TOL
    # concentrations to what the same drift allows (≤ 1e-9 mM; measured ≤ 4e-14)
    assert float(np.abs(ds.na_i - cell.ions.na_i).max()) <= 1e-9
    assert float(np.abs(ds.k_o - cell.ions.k_o).max()) <= 1e-9
    assert ds.spike_time.size == 0
