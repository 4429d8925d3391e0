"""The Hodgkin–Huxley (1952) squid giant axon in NEURON: an independent cable peer.

One unbranched section with NEURON's built-in `hh` mechanism (no NMODL of
ours), in the modern convention (V = Vin − Vout, outward currents positive):

    (a / 2Ri) ∂²V/∂x² = C ∂V/∂t + gNa m³h (V − ENa) + gK n⁴ (V − EK) + gL (V − EL)

gNa 0.12, gK 0.036, gL 0.0003 S/cm²; ENa +50, EK −77, EL −54.387 mV (HH's leak
reversal, rest −64.9964 mV; NEURON's default el_hh is −54.3 and is overridden
here); C 1 µF/cm²; diameter 476 µm (a = 238 µm), Ri 35.4 Ω·cm; sealed ends
(NEURON's default: no axial current through either end). NEURON scales the
hh rates (not the conductances) by q10 = 3^((celsius − 6.3)/10), 3.8202 at
18.5 °C. References: /work/shared/references.md §1 (velocity 18.73 m/s
converged; Na⁺ entry / K⁺ exit 4.38 / 4.36 pmol/cm² per propagated impulse).

Rest is found with NEURON's own hh: brentq on the total hh current
(ina + ik + il, mA/cm²) of the mid-axon segment after finitialize(v), which
puts every gate at its steady state at v. The run starts from finitialize at
that v; the residual current and the drift of V before the stimulus are
returned so that "it is rest" is checked, not assumed.

Stimulus: an IClamp at the 0 end (the section's x = 0 node), a square pulse
starting at stim_start_ms. Integrators: NEURON's fixed-step implicit
(backward) Euler (secondorder 0, the default), Crank–Nicolson (secondorder 2),
or CVODE (global variable step, rtol/atol). With the fixed step the hh gates
are advanced by NEURON's cnexp (exponential Euler at the half step).

    res = run_axon()                              # defaults: 6 cm, dx 50 µm, dt 2 µs
    res.velocity_m_s, res.na_entry_pmol_cm2, res.k_exit_pmol_cm2

Units: µm for lengths and positions, ms, mV, nA (stimulus), Ω·cm, °C; NEURON's
mA/cm² for membrane currents; pmol/cm² of membrane for the ion counts.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")  # no "no DISPLAY" banner

# Hodgkin & Huxley (1952), modern convention (references.md §1.1)
GNABAR = 0.12     # S/cm²
GKBAR = 0.036     # S/cm²
GL = 0.0003       # S/cm²
ENA = 50.0        # mV
EK = -77.0        # mV
EL = -54.387      # mV
CM = 1.0          # µF/cm²
THRESHOLD = 0.0   # mV; arrival = first upward crossing, interpolated within the step
METHODS = ("euler", "cn", "cvode")


def _h():
    from neuron import h

    h.load_file("stdrun.hoc")
    return h


def q10_factor(celsius: float) -> float:
    """NEURON's hh rate factor 3^((celsius − 6.3)/10) (dimensionless)."""
    return 3.0 ** ((celsius - 6.3) / 10.0)


def crossings(t: np.ndarray, v: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """Upward threshold crossings of a sampled trace, linearly interpolated (ms)."""
    k = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    return t[k] + (threshold - v[k]) * (t[k + 1] - t[k]) / (v[k + 1] - v[k])


def node_fraction(f: float, nseg: int) -> float:
    """Centre (fraction of the length) of the segment containing f (on a boundary: the upper).

    That is the node NEURON maps sec(f) to, but sec(f).x echoes f back, so the
    node is worked out here and addressed by its exact centre.
    """
    i = min(max(int(np.floor(f * nseg)), 0), nseg - 1)  # centres are (i + ½)/nseg
    return (i + 0.5) / nseg


def excess_charge(t: np.ndarray, i: np.ndarray, i_rest: float, t0: float,
                  t1: float) -> float:
    """∫_{t0}^{t1} (i − i_rest) dt by the trapezoid rule on the samples in [t0, t1] (µC/cm²).

    i in mA/cm², t in ms. Equivalently ∫ i dt − i_rest·(t1 − t0) over the window
    covered by the samples.
    """
    sel = (t >= t0 - 1e-12) & (t <= t1 + 1e-12)
    return float(np.trapezoid(i[sel] - i_rest, t[sel]))


@dataclass
class AxonResult:
    """One run of run_axon. Positions in µm from the 0 (stimulated) end, times in ms."""

    # set-up
    length_um: float
    diam_um: float
    ra: float                     # Ω·cm
    celsius: float
    q10: float                    # hh rate factor at celsius
    nseg: int
    dx_um: float                  # length / nseg (the node spacing)
    dt_ms: float                  # fixed step (unused by CVODE)
    method: str                   # "euler" (secondorder 0), "cn" (secondorder 2), "cvode"
    rtol: float | None
    atol: float | None
    stim_amp_nA: float
    stim_start_ms: float
    stim_dur_ms: float
    # rest
    v_rest: float                 # mV, root of the total hh current (NEURON's own hh)
    rest_current: float           # mA/cm², total hh current of the mid segment after finitialize
    rest_drift_mV: float          # max |V − v_rest| at the recording sites for t < stim_start
    ena: float                    # mV, NEURON's ena/ek after finitialize (should be 50 / −77)
    ek: float
    # recordings
    t: np.ndarray                 # ms, every step (CVODE: every cvode_record_dt_ms), 0 to tstop
    sites: tuple[float, ...]      # fractions asked for
    site_x_um: np.ndarray         # node (segment centre) actually recorded for each site
    v: np.ndarray                 # mV, shape (len(sites), len(t))
    arrival_ms: np.ndarray        # first upward crossing of THRESHOLD at each site (nan: none)
    n_crossings: np.ndarray       # number of upward crossings at each site (one impulse: 1)
    # velocity
    velocity_m_s: float           # Δx/Δt between the two velocity sites
    velocity_x_um: tuple[float, float]
    # ion counts at the mid-axon segment
    mid_x_um: float
    ina_mid: np.ndarray           # mA/cm², ina of the mid segment at every recorded t
    ik_mid: np.ndarray            # mA/cm²
    ina_rest: float               # mA/cm², ina of the mid segment at t = 0 (rest)
    ik_rest: float                # mA/cm²
    flux_window_ms: tuple[float, float]
    na_entry_pmol_cm2: float      # −∫(ina − ina_rest) dt / F over the window
    k_exit_pmol_cm2: float        # +∫(ik − ik_rest) dt / F over the window
    faraday: float                # C/mol (NEURON's FARADAY)
    # cost
    wall_s: float                 # wall time of the integration (finitialize to tstop)
    steps: int                    # integrator steps taken
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def compartment_steps(self) -> int:
        return self.nseg * self.steps

    @property
    def us_per_compartment_step(self) -> float:
        return 1e6 * self.wall_s / max(self.compartment_steps, 1)

    def arrival_at(self, fraction: float) -> float:
        return float(self.arrival_ms[self.sites.index(fraction)])

    def velocity_between(self, f1: float, f2: float) -> float:
        """Conduction velocity (m/s) between two recorded sites (fractions)."""
        i, j = self.sites.index(f1), self.sites.index(f2)
        dx = self.site_x_um[j] - self.site_x_um[i]
        return float(1e-3 * dx / (self.arrival_ms[j] - self.arrival_ms[i]))  # µm/ms → m/s

    def ion_counts(self, t0: float, t1: float) -> tuple[float, float]:
        """Na⁺ entry and K⁺ exit (pmol/cm²) at mid-axon with the window [t0, t1] (ms)."""
        scale = 1e6 / self.faraday  # µC/cm² → pmol/cm²
        na = -excess_charge(self.t, self.ina_mid, self.ina_rest, t0, t1) * scale
        k = excess_charge(self.t, self.ik_mid, self.ik_rest, t0, t1) * scale
        return na, k


def resting_potential(h, seg, lo: float = -70.0, hi: float = -60.0) -> float:
    """Root (mV) of the total steady-state hh current of seg, with NEURON's own hh."""

    def total(v: float) -> float:
        h.finitialize(v)
        return float(seg.ina + seg.ik + seg.hh.il)

    return float(brentq(total, lo, hi, xtol=1e-12, rtol=1e-14))


def run_axon(length_um: float = 60000.0, diam_um: float = 476.0, ra: float = 35.4,
             celsius: float = 18.5, dx_um: float = 50.0, dt_ms: float = 0.002, *,
             method: str = "euler", cvode: bool = False, rtol: float = 1e-6,
             atol: float = 1e-4, stim_amp_nA: float = 20000.0, stim_dur_ms: float = 0.1,
             stim_start_ms: float = 0.1, record_at: tuple[float, ...] = (0.25, 0.5, 0.75),
             velocity_sites: tuple[float, float] = (0.5, 0.75), tstop_ms: float = 18.0,
             flux_window_ms: tuple[float, float] | None = None,
             cvode_record_dt_ms: float = 0.001) -> AxonResult:
    """Simulate one impulse started at the 0 end of an HH axon; see the module docstring.

    length_um, diam_um (µm), ra (Ω·cm), celsius (°C). nseg = round(length/dx_um).
    method: "euler" (fixed-step backward Euler, secondorder 0), "cn" (fixed-step
    Crank–Nicolson, secondorder 2) or "cvode" (also selected by cvode=True; rtol,
    atol in NEURON's units: mV for V, 1 for the gates). dt_ms: the fixed step
    (V, ina, ik are then recorded at every step). With CVODE they are recorded
    every cvode_record_dt_ms (ms) from CVODE's own interpolant, which does not
    add steps; its steps are counted separately (`steps`), and wall_s then
    includes the interpolation (most of it for this cheap, smooth problem).
    Stimulus: IClamp at x = 0, stim_amp_nA (nA, depolarising) for stim_dur_ms from
    stim_start_ms (ms). record_at: fractions of the length where V is recorded at
    every step (the velocity sites and 0.5 are added if missing); each is the
    node (segment centre) of the segment containing that fraction (site_x_um).
    velocity_sites: the two fractions whose arrival times (first upward 0-mV
    crossings, linearly interpolated within the step) give the velocity.

    Defaults and why: 6 cm, velocity from 3.0 to 4.5 cm. The wave started by the
    pulse (20 µA for 0.1 ms at x = 0, about 3× threshold) settles to its
    travelling speed over the first ≈ 2.5 cm (local speed within 0.002 m/s of
    the asymptote beyond that; the approach is from below or above depending on
    the pulse), and the sealed far end speeds it up over the last ≈ 1 cm
    (+0.007 m/s at 0.8–1 cm from it, +0.001 at 1–1.25 cm). measure_axon.py
    prints the local speeds along the axon.

    Ion counts at the mid-axon segment (the segment containing x = 0.5): ina and ik
    (mA/cm²) are recorded at every step and integrated by the trapezoid rule over
    flux_window_ms (default (0, tstop_ms)); from each integral the resting flux
    is subtracted, i.e. i_rest × (t1 − t0) with i_rest the segment's ina (or ik)
    at t = 0 after finitialize at rest (constant in time at rest). Then
    Na⁺ entry = −∫(ina − ina_rest) dt / F, K⁺ exit = +∫(ik − ik_rest) dt / F,
    converted µC/cm² → pmol/cm² with NEURON's FARADAY. The window must contain
    the whole impulse at mid-axon and its return to rest (ion_counts() on the
    result recomputes them for another window).
    """
    if cvode:
        method = "cvode"
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    h = _h()
    others = [s.name() for s in h.allsec()]
    if others:
        raise RuntimeError(f"other sections exist ({others}); they would be simulated too")

    nseg = max(1, int(round(length_um / dx_um)))
    sec = h.Section(name="axon")
    sec.L = length_um
    sec.diam = diam_um
    sec.nseg = nseg
    sec.Ra = ra
    sec.cm = CM
    sec.insert("hh")
    for seg in sec:
        seg.hh.gnabar = GNABAR
        seg.hh.gkbar = GKBAR
        seg.hh.gl = GL
        seg.hh.el = EL
        seg.ena = ENA
        seg.ek = EK
    h.celsius = celsius

    sites = tuple(record_at)
    for f in (*velocity_sites, 0.5):
        if f not in sites:
            sites += (f,)
    seg_of = {f: sec(node_fraction(f, nseg)) for f in sites}
    site_x = np.array([node_fraction(f, nseg) * length_um for f in sites])
    mid = seg_of[0.5]
    mid_x = node_fraction(0.5, nseg) * length_um

    stim = h.IClamp(sec(0.0))
    stim.delay = stim_start_ms
    stim.dur = stim_dur_ms
    stim.amp = stim_amp_nA

    cv = h.CVode()
    h.secondorder = 2 if method == "cn" else 0
    cv.active(1 if method == "cvode" else 0)
    if method == "cvode":
        cv.rtol(rtol)
        cv.atol(atol)
    h.dt = dt_ms
    h.steps_per_ms = 1.0 / dt_ms  # so that stdrun does not round dt

    try:
        v_rest = resting_potential(h, mid)
        t_vec = h.Vector().record(h._ref_t)  # every step taken
        if method == "cvode":  # sample CVODE's interpolant on a uniform grid
            grid = h.Vector(np.arange(0.0, tstop_ms + 0.5 * cvode_record_dt_ms,
                                      cvode_record_dt_ms))
            args: tuple = (grid,)
        else:
            grid, args = t_vec, ()
        v_vecs = [h.Vector().record(seg_of[f]._ref_v, *args) for f in sites]
        ina_vec = h.Vector().record(mid._ref_ina, *args)
        ik_vec = h.Vector().record(mid._ref_ik, *args)

        t_wall = time.perf_counter()
        h.finitialize(v_rest)
        rest_current = float(mid.ina + mid.ik + mid.hh.il)
        ena, ek = float(mid.ena), float(mid.ek)
        h.tstop = tstop_ms
        h.continuerun(tstop_ms)
        wall = time.perf_counter() - t_wall

        steps = int(t_vec.size()) - 1
        v = np.array([np.array(vec) for vec in v_vecs])
        t = np.array(grid)[: v.shape[1]]
        ina = np.array(ina_vec)
        ik = np.array(ik_vec)
        faraday = float(h.FARADAY)
    finally:
        h.secondorder = 0
        cv.active(0)
        del stim
        h.delete_section(sec=sec)

    pre = t < stim_start_ms
    drift = float(np.max(np.abs(v[:, pre] - v_rest))) if pre.any() else float("nan")
    arrivals, counts = [], []
    for row in v:
        c = crossings(t, row)
        counts.append(c.size)
        arrivals.append(c[0] if c.size else np.nan)
    arrival = np.array(arrivals)
    i1, i2 = sites.index(velocity_sites[0]), sites.index(velocity_sites[1])
    velocity = 1e-3 * (site_x[i2] - site_x[i1]) / (arrival[i2] - arrival[i1])

    window = flux_window_ms if flux_window_ms is not None else (0.0, float(t[-1]))
    res = AxonResult(
        length_um=length_um, diam_um=diam_um, ra=ra, celsius=celsius,
        q10=q10_factor(celsius), nseg=nseg, dx_um=length_um / nseg, dt_ms=dt_ms,
        method=method, rtol=rtol if method == "cvode" else None,
        atol=atol if method == "cvode" else None, stim_amp_nA=stim_amp_nA,
        stim_start_ms=stim_start_ms, stim_dur_ms=stim_dur_ms,
        v_rest=v_rest, rest_current=rest_current, rest_drift_mV=drift, ena=ena, ek=ek,
        t=t, sites=sites, site_x_um=site_x, v=v, arrival_ms=arrival,
        n_crossings=np.array(counts), velocity_m_s=float(velocity),
        velocity_x_um=(float(site_x[i1]), float(site_x[i2])),
        mid_x_um=mid_x, ina_mid=ina, ik_mid=ik,
        ina_rest=float(ina[0]), ik_rest=float(ik[0]), flux_window_ms=window,
        na_entry_pmol_cm2=float("nan"), k_exit_pmol_cm2=float("nan"), faraday=faraday,
        wall_s=wall, steps=steps,
    )
    res.na_entry_pmol_cm2, res.k_exit_pmol_cm2 = res.ion_counts(*window)
    return res
