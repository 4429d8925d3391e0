"""The resting state: pump–leak balance, its stability, and leak calibration.

At rest every ion's net membrane flux is zero: the pump's Na+ efflux (3 per
cycle) equals the passive Na+ influx, its K+ influx (2 per cycle) the passive
K+ efflux, and Cl− sits where its leak carries no net current. The state
sought is the one the cell can actually reach from its stored state: the
cell's net charge is conserved (C·A·ΔV = F·Vol·Σz·Δ[X]_i) and, with a closed
outside, so is each ion's total amount.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from nakpump.biophysics.pumps import pump_fluxes, pump_rate_from_current, pump_reversal
from nakpump.engine.cell import _ion_currents, rhs, steady_gates, sync_algebraic
from nakpump.engine.compile import cell_parameters, initial_state
from nakpump.engine.layout import (
    CL_I,
    CL_O,
    D_CL_BATH,
    D_K_BATH,
    D_NA_BATH,
    D_STIM_CL,
    D_STIM_K,
    D_STIM_NA,
    K_I,
    K_O,
    N_STATE,
    NA_I,
    NA_O,
    P_CH_KIND,
    P_G_M,
    P_H_FROM_N,
    H,
    M,
    N,
    P,
    V,
)
from nakpump.errors import SpecError
from nakpump.model.spec import TISSUE_PARTS, CellSpec
from nakpump.protocols import base_drive
from nakpump.units import (
    FARADAY,
    celsius_to_kelvin,
    charge_to_voltage,
    flux_factor,
    rt_over_f,
)


class SteadyStateError(RuntimeError):
    """No resting state could be found from the cell's stored state."""


@dataclass(frozen=True)
class RestingState:
    """A cell at rest. Voltages mV, concentrations mM, currents µA/cm² (outward +)."""

    v: float
    na_i: float
    k_i: float
    cl_i: float
    na_o: float
    k_o: float
    cl_o: float
    e_na: float
    e_k: float
    e_cl: float
    e_pump: float  # thermodynamic reversal of the pump cycle, 3E_Na − 2E_K + ΔG_ATP/F
    i_pump: float
    pump_rate: float  # cycles/s/µm²
    i_na_passive: float
    i_k_passive: float
    i_cl_passive: float
    pump_potential: float  # mV the pump's own current adds to V (negative: hyperpolarises)
    gates: tuple[float, float, float, float]  # m, h, n, p
    eigenvalues: np.ndarray  # 1/ms, of the reduced (conserved-quantity-free) system
    stable: bool
    stability_note: str

    @property
    def fluxes(self) -> dict[str, float]:
        """Pump Na+ efflux, K+ influx and ATP use in pmol/(s·cm²)."""
        return pump_fluxes(self.pump_rate)


class _Reducer:
    """Maps between the full state y and the independent unknowns of the rest problem.

    Unknowns: V, the dynamic gates, na_i and (if Cl− can move) cl_i. k_i follows
    from charge conservation, the outside from mass conservation (closed) or
    from the bath.
    """

    def __init__(self, cell: CellSpec, drive: np.ndarray):
        self.cell = cell
        self.p = cell_parameters(cell)
        self.d = drive
        self.y0 = initial_state(cell, self.p)
        self.kappa = charge_to_voltage(cell.area, cell.volume, cell.capacitance)
        self.ratio = 0.0 if cell.outside_volume is None else cell.volume / cell.outside_volume
        self.dynamic = cell.concentrations == "dynamic"
        self.cl_moves = cell.leak.g_cl > 0.0
        kind = int(self.p[P_CH_KIND])
        gates = []
        if kind not in (0, 3):
            gates.append(M)
        if kind != 0:
            if self.p[P_H_FROM_N] < 0.5:
                gates.append(H)
            gates.append(N)
        if self.p[P_G_M] > 0.0:
            gates.append(P)
        self.gates = gates
        if cell.outside_volume is None:
            self.y0[NA_O], self.y0[K_O], self.y0[CL_O] = (drive[D_NA_BATH], drive[D_K_BATH],
                                                          drive[D_CL_BATH])

    def conc_unknowns(self) -> list[int]:
        if not self.dynamic:
            return []
        return [NA_I, CL_I] if self.cl_moves else [NA_I]

    def fill(self, v: float, conc: dict[int, float], gates: dict[int, float] | None) -> np.ndarray:
        """Full state from V, the free concentrations and (optionally) explicit gates."""
        y = self.y0.copy()
        y[V] = v
        m, h, n, pm = steady_gates(self.p, v)
        y[M], y[H], y[N], y[P] = m, h, n, pm
        if gates:
            for j, value in gates.items():
                y[j] = value
            sync_algebraic(y, self.p)
        for j, value in conc.items():
            y[j] = value
        if self.dynamic:
            # Net charge conserved: Σz·Δc_i = ΔV/κ, solved for k_i.
            y[K_I] = (self.y0[K_I] + (v - self.y0[V]) / self.kappa
                      - (y[NA_I] - self.y0[NA_I]) + (y[CL_I] - self.y0[CL_I]))
            if self.ratio:
                for i_in, i_out in ((NA_I, NA_O), (K_I, K_O), (CL_I, CL_O)):
                    y[i_out] = self.y0[i_out] - (y[i_in] - self.y0[i_in]) * self.ratio
        return y

    def balance(self, x: np.ndarray) -> np.ndarray:
        """Net current of each mobile ion (µA/cm²) at rest with unknowns x = (V, conc...)."""
        idx = self.conc_unknowns()
        y = self.fill(x[0], dict(zip(idx, x[1:])), None)
        i_na, i_k, i_cl = _ion_currents(y, self.p, self.d, y[V])[:3]
        i_na -= self.d[D_STIM_NA]  # an injected current is part of the balance
        i_k -= self.d[D_STIM_K]
        i_cl -= self.d[D_STIM_CL]
        if not self.dynamic:
            return np.array([i_na + i_k + i_cl])
        res = [i_na, i_k]
        if self.cl_moves:
            res.append(i_cl)
        return np.array(res)

    def reduced_rhs(self, z: np.ndarray) -> np.ndarray:
        """Time derivative of the independent variables z = (V, gates, free concentrations)."""
        ng = len(self.gates)
        idx = self.conc_unknowns()
        y = self.fill(z[0], dict(zip(idx, z[1 + ng:])), dict(zip(self.gates, z[1:1 + ng])))
        out = np.empty(N_STATE)
        rhs(y, self.p, self.d, out)
        return np.array([out[V]] + [out[j] for j in self.gates] + [out[j] for j in idx])


def _jacobian(f, z: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of f at z, steps scaled to each variable."""
    n = z.size
    jac = np.empty((n, n))
    for k in range(n):
        h = 1e-6 * max(abs(z[k]), 1e-2)
        zp, zm = z.copy(), z.copy()
        zp[k] += h
        zm[k] -= h
        jac[:, k] = (f(zp) - f(zm)) / (2 * h)
    return jac


def atp_free_energy(cell: CellSpec) -> float:
    """ΔG_ATP (kJ/mol) of the cell: from its pump's own thermodynamics where the pump form
    has them (the reversible pump: K_eq, [ATP], [ADP], [Pi], pH), else cell.dg_atp."""
    pump = cell.pump
    if pump is None or pump.mechanism.free_energy is None:
        return cell.dg_atp
    values = {name: getattr(pump, name) for name in pump.mechanism.params}
    rt_f = rt_over_f(celsius_to_kelvin(cell.temp_c))
    dg_mv = pump.mechanism.free_energy(values, cell.atp, cell.adp, cell.pi, rt_f)
    return dg_mv * FARADAY / 1e6


def resting_state(cell: CellSpec, drive: np.ndarray | None = None) -> RestingState:
    """Solve for the resting state reachable from the cell's stored state.

    drive: a drive vector (engine.layout) held constant, by default the cell's
    base drive (no stimulus, no block, normal ATP, preset bath).
    Raises SteadyStateError if no balance is found.
    """
    unsupported = [name for name in TISSUE_PARTS if getattr(cell, name) is not None]
    unsupported += [name for name, used in (
        ("channels.g_ahp", cell.channels.g_ahp > 0), ("k_i_rule", cell.k_i_rule != "currents"),
        ("fixed_cl", cell.fixed_cl), ("pump_electrogenic", not cell.pump_electrogenic)) if used]
    if unsupported:
        # Their rest involves exchange with glia and bath, or breaks the invariants the
        # reduction below rests on: find it by running the cell (simulate) instead.
        raise SteadyStateError(f"no resting-state solver yet for '{cell.name}' with "
                               f"{', '.join(unsupported)}: simulate it to rest instead")
    d = base_drive(cell) if drive is None else drive
    red = _Reducer(cell, d)
    idx = red.conc_unknowns()
    x0 = np.array([red.y0[V]] + [red.y0[j] for j in idx])
    g_ref = max(cell.leak.total, 1e-3)
    sol = optimize.root(lambda x: red.balance(x) / g_ref, x0, method="hybr",
                        options={"xtol": 1e-14})
    residual = np.abs(red.balance(sol.x)).max() if sol.x.size else 0.0
    if not sol.success and residual > 1e-10:
        raise SteadyStateError(f"no resting state found for '{cell.name}': {sol.message} "
                               f"(largest net current {residual:.3g} µA/cm²)")
    v = float(sol.x[0])
    y = red.fill(v, dict(zip(idx, sol.x[1:])), None)
    _, _, _, g_na, g_k, g_cl, e_na, e_k, e_cl, i_pump = _ion_currents(y, red.p, d, v)

    z = np.array([v] + [y[j] for j in red.gates] + [y[j] for j in idx])
    eig = np.linalg.eigvals(_jacobian(red.reduced_rhs, z))
    eig = eig[np.argsort(-eig.real)]
    stable = bool(np.all(eig.real < 0))
    if stable:
        tau = 1.0 / -eig[0].real
        tau_text = f"{tau / 1000:.4g} s" if tau >= 1000 else f"{tau:.4g} ms"
        note = f"stable: slowest mode decays with τ = {tau_text}"
    else:
        kind = "oscillatory (Hopf-type)" if abs(eig[0].imag) > 0 else "a saddle"
        note = f"unstable, {kind}: eigenvalue {eig[0]:.4g} /ms has a positive real part"

    # What V would be with the same gradients but an electroneutral pump.
    def passive_total(vv: float) -> float:
        yy = y.copy()
        yy[V] = vv
        yy[M], yy[H], yy[N], yy[P] = steady_gates(red.p, vv)
        a, b, c, *_ , ip = _ion_currents(yy, red.p, d, vv)
        return a + b + c - ip

    v_passive = math.nan  # no root where a membrane can be: the pump's share is unknown
    for half_width in (60.0, 200.0, 600.0):
        lo, hi = v - half_width, v + half_width
        if passive_total(lo) * passive_total(hi) < 0.0:
            v_passive = optimize.brentq(passive_total, lo, hi, xtol=1e-12)
            break
    return RestingState(
        v=v, na_i=y[NA_I], k_i=y[K_I], cl_i=y[CL_I], na_o=y[NA_O], k_o=y[K_O], cl_o=y[CL_O],
        e_na=e_na, e_k=e_k, e_cl=e_cl, e_pump=pump_reversal(e_na, e_k, atp_free_energy(cell)),
        i_pump=i_pump, pump_rate=pump_rate_from_current(i_pump),
        i_na_passive=g_na * (v - e_na), i_k_passive=g_k * (v - e_k), i_cl_passive=g_cl * (v - e_cl),
        pump_potential=v - v_passive, gates=(y[M], y[H], y[N], y[P]),
        eigenvalues=eig, stable=stable, stability_note=note,
    )


def at_rest(cell: CellSpec, rest: RestingState | None = None) -> CellSpec:
    """The same cell with its stored state moved to its resting state."""
    rest = resting_state(cell) if rest is None else rest
    return cell.replace(v_init=rest.v, **{
        f"ions.{name}": getattr(rest, name)
        for name in ("na_i", "k_i", "cl_i", "na_o", "k_o", "cl_o")
    })


def balance_metabolism(cell: CellSpec, pump_share: float, glycolysis_share: float
                       ) -> CellSpec:
    """The cell's ATP production and basal use set so that its stored [ATP], [ADP] are a
    steady state at its resting state: the pump uses pump_share of all the ATP the cell
    uses at rest (the rest is the basal load), glycolysis makes glycolysis_share of it
    (the rest oxidative phosphorylation). Rates in mM/s of cell volume."""
    if cell.metabolism is None or cell.pump is None:
        raise SpecError("metabolism", cell.metabolism, "a metabolism and a pump to balance")
    rest = resting_state(cell)
    by_pump = 1000.0 * flux_factor(cell.area, cell.volume) * rest.i_pump  # mM/s
    total = by_pump / pump_share
    m = cell.metabolism
    from_adp = cell.adp / (cell.adp + m.km_adp)
    return cell.replace(**{
        "metabolism.basal_max": (total - by_pump) * (cell.atp + m.km_atp_basal) / cell.atp,
        "metabolism.glycolysis_max": glycolysis_share * total / from_adp,
        "metabolism.oxphos_max": (1.0 - glycolysis_share) * total / from_adp})


def calibrate_leaks(cell: CellSpec, v_rest: float, *, leak_total: float | None = None) -> CellSpec:
    """Ion-specific leaks (and pump scale) that make v_rest (mV) a resting state.

    Concentrations stay as stored, except that Cl− (if it has a leak) is put at
    equilibrium, E_Cl = v_rest, since nothing else moves it. With leak_total
    (mS/cm², Na+ plus K+ leak) given, the pump's rate_max is scaled too;
    otherwise the pump is kept and only g_Na,leak and g_K,leak are solved:
        g_Na,leak = −(I_Na,channels + 3·I_pump)/(V − E_Na)
        g_K,leak  = −(I_K,channels − 2·I_pump)/(V − E_K)
    Raises SpecError if that needs a negative conductance or pump.
    """
    rt_f = rt_over_f(celsius_to_kelvin(cell.temp_c))
    changes: dict[str, float] = {"v_init": v_rest}
    if cell.leak.g_cl > 0.0:
        changes["ions.cl_i"] = cell.ions.cl_o * np.exp(v_rest / rt_f)
    try:
        probe = cell.replace(**changes, **{"leak.g_na": 0.0, "leak.g_k": 0.0})
    except SpecError as exc:  # Cl− in equilibrium at v_rest is out of range: v_rest is to blame
        raise SpecError("v_rest", v_rest, f"a resting potential the cell can hold ({exc})") \
            from None
    p = cell_parameters(probe)
    y = initial_state(probe, p)
    i_na, i_k, _, _, _, _, e_na, e_k, _, i_pump = _ion_currents(y, p, base_drive(probe), v_rest)
    i_na_ch = i_na - 3.0 * i_pump  # channels alone (leaks are zero in the probe)
    i_k_ch = i_k + 2.0 * i_pump
    a_na, b_na = -i_na_ch / (v_rest - e_na), -3.0 * i_pump / (v_rest - e_na)
    a_k, b_k = -i_k_ch / (v_rest - e_k), 2.0 * i_pump / (v_rest - e_k)
    scale = 1.0
    if leak_total is not None:
        if cell.pump is None or b_na + b_k == 0.0:
            raise SpecError("leak_total", leak_total, "only for a cell with a working pump")
        scale = (leak_total - a_na - a_k) / (b_na + b_k)
        if scale <= 0.0:
            raise SpecError("leak_total", leak_total,
                            f"a total leak that needs a positive pump at {v_rest:g} mV "
                            f"(more than {a_na + a_k:.4g} mS/cm²)")
        changes["pump.rate_max"] = cell.pump.rate_max * scale
    g_na, g_k = a_na + b_na * scale, a_k + b_k * scale
    if g_na < 0.0 or g_k < 0.0:
        raise SpecError("v_rest", v_rest,
                        f"a potential this cell can rest at with non-negative leaks "
                        f"(would need g_Na,leak = {g_na:.4g}, g_K,leak = {g_k:.4g} mS/cm²)")
    changes["leak.g_na"] = g_na
    changes["leak.g_k"] = g_k
    return cell.replace(**changes)


def balance_impermeants(cell: CellSpec) -> CellSpec:
    """Impermeant solutes that make the stored state electroneutral and isosmotic.

    Inside: amount a_i and mean valence z_i with na+k+cl+a_i equal to the
    outside osmolarity and na+k−cl+z_i·a_i = V/κ (the membrane's own charge,
    κ = F·Vol/(C·A)); outside: monovalent impermeants (anions, or cations
    where the outside has a Cl− excess) that make it electroneutral. Kay (2017)
    Front Cell Dev Biol 5:41 (pump–leak with impermeant anions).
    """
    ions, v = cell.ions, cell.v_init
    kappa_i = charge_to_voltage(cell.area, cell.volume, cell.capacitance)
    outside_charge = 0.0
    if cell.outside_volume is not None:
        outside_charge = -v / charge_to_voltage(cell.area, cell.outside_volume, cell.capacitance)
    need_o = outside_charge - (ions.na_o + ions.k_o - ions.cl_o)  # charge the impermeants carry
    a_o, z_o = abs(need_o), (-1.0 if need_o < 0 else 1.0)
    osm_o = ions.na_o + ions.k_o + ions.cl_o + a_o
    a_i = osm_o - (ions.na_i + ions.k_i + ions.cl_i)
    need_i = v / kappa_i - (ions.na_i + ions.k_i - ions.cl_i)
    if a_i <= 0.0:  # inside already hyperosmotic: electroneutrality only, monovalent
        a_i = abs(need_i)
        z_i = -1.0 if need_i < 0 else 1.0
    else:
        z_i = need_i / a_i
    return cell.replace(impermeant_i=a_i, z_impermeant_i=z_i, impermeant_o=a_o, z_impermeant_o=z_o)


def charge_imbalance(cell: CellSpec) -> float:
    """Inside net charge concentration (mM) not accounted for by the membrane's charge.

    Σz·c_i (ions and impermeants) − V/κ: zero for an electroneutral stored state.
    """
    ions = cell.ions
    kappa = charge_to_voltage(cell.area, cell.volume, cell.capacitance)
    return (ions.na_i + ions.k_i - ions.cl_i + cell.z_impermeant_i * cell.impermeant_i
            - cell.v_init / kappa)


def osmotic_gradient(cell: CellSpec) -> float:
    """Inside minus outside osmolarity (mM) of the stored state."""
    ions = cell.ions
    inside = ions.na_i + ions.k_i + ions.cl_i + cell.impermeant_i
    outside = ions.na_o + ions.k_o + ions.cl_o + cell.impermeant_o
    return inside - outside


__all__ = ["RestingState", "SteadyStateError", "at_rest", "balance_impermeants",
           "calibrate_leaks", "charge_imbalance", "osmotic_gradient", "resting_state"]


RELAX_VARIABLES = ("v", "na_i", "k_i", "cl_i", "na_o", "k_o", "cl_o", "e_na", "e_k", "e_cl",
                   "i_na", "i_k", "i_cl", "i_pump", "pump_rate")


def relaxed_rest(cell: CellSpec, duration: float = 3_600_000.0) -> dict[str, float]:
    """The rest a cell settles into when left alone for `duration` ms (default an hour), by
    running it with the adaptive integrator: for cells whose rest involves exchange with
    glia, a bath, cotransporters, O2 or a changing volume (resting_state refuses those).

    Returns the final V (mV), concentrations (mM), reversal potentials (mV), passive and
    pump currents (µA/cm²), pump turnover (cycles/s/µm²), its Na+/K+/ATP fluxes (pmol/(s·cm²)), the
    relative volume and O2 (mg/L) where the cell has them, the spikes fired on the way,
    and how far V still moved over the last tenth of the run (`drift_mV`).
    """
    from nakpump.simulate import simulate  # simulate imports this module

    extra = tuple(name for name, part in (("vol_i", cell.volume_law), ("o2", cell.oxygen))
                  if part is not None)
    ds = simulate(cell, duration, method="adaptive", record=RELAX_VARIABLES + extra,
                  record_interval=duration / 10.0)
    end = ds.isel(time=-1)
    out = {name: float(end[name]) for name in RELAX_VARIABLES + extra}
    out.update(pump_fluxes(out["pump_rate"]))
    out["spikes"] = int(ds.spike_time.size)
    out["drift_mV"] = float(abs(ds.v[-1] - ds.v[-2]))
    out["relaxed_for_ms"] = float(duration)
    return out
