"""Error-controlled integration at high order: explicit where the cell fires, Rosenbrock
where it is stiff (nakpump's method="adaptive").

Cell and tissue models switch between two regimes. While the cell fires, accuracy sets
the step (microseconds in a spike) and an explicit method of high order is cheapest:
DOP853 (order 8, 12 right-hand sides a step). While it rests, is depolarised or recovers,
the fast gates (τ_m ≈ 0.06 ms at 37 °C) make the equations stiff: an explicit method is
held to steps of a fraction of a millisecond by stability alone, while the state drifts
over seconds. There RODAS4 (Rosenbrock, order 4, L-stable) with a finite-difference
Jacobian takes steps as long as accuracy allows. The integrator switches as LSODA does
between Adams and BDF: to RODAS4 when DOP853's steps are held at its stability bound
(h·ρ > 6.1, ρ estimated from its last stages, Hairer's test, for 5 steps), back to
DOP853 when RODAS4's steps fall below 4/ρ(J) for 5 steps, ρ(J) the spectral radius of J
(engine.spectrum). RODAS4 may not step across a growing mode (Re λ > 0) farther than
|λ|·h = 1/2: being L-stable, it would damp it, and both its embedded solutions with it.

Conservation. Both methods form every new state as the old one plus combinations of
right-hand-side values (RODAS4: solved through I/(hγ) − J, whose transpose keeps every
left null vector of J), so each linear invariant of the model, each ion's amount and
C·A·ΔV = F·Vol·Σz·Δc, is kept to round-off. The concentrations are advanced with Kahan
compensation (layout.COMP_NA_I). With a volume law the amounts are integrated (c·Vol),
not the concentrations, so that they stay linear invariants.

Discontinuities: protocol segments are integrated apart (no step straddles a change
of drive). Spike times are found by root finding on the dense output (order 7 for
DOP853, cubic Hermite for RODAS4), samples interpolated on it.

Everything a run carries from one call to the next (time, step, method, the switch's
counters, RODAS4's step predictor, the integration variables) is in the clock, so a run
split into calls takes exactly the steps of one call. docs/integrators.md says more.
"""

from __future__ import annotations

import math

import numpy as np

from nakpump._jit import jit_alloc, jit_inline, step_jit
from nakpump.engine.adaptive import record_until
from nakpump.engine.cell import (
    clamp_jump,
    enter_segment,
    observe,
    outside_volume,
    rhs,
    sync_algebraic,
)
from nakpump.engine.layout import (
    ADP_I,
    ATP_I,
    CA_I,
    CL_I,
    CL_O,
    COMP_NA_I,
    D_CLAMP,
    D_V_CLAMP,
    ERROR_CONTROLLED,
    K_BUFFER,
    K_I,
    K_O,
    N_OBS,
    N_PUMP_STATES,
    N_STATE,
    NA_I,
    NA_O,
    O2,
    OUABAIN_BOUND,
    P_BUF_TOTAL,
    P_CH_KIND,
    P_DYNAMIC,
    P_FLUX_O,
    P_G_M,
    P_H_FROM_N,
    P_METABOLISM,
    P_N_LIVE,
    P_OXYGEN,
    P_PUMP_N_STATES,
    P_VOL_RATIO,
    P_VOLUME,
    PI_I,
    PUMP_S0,
    VOL_I,
    H,
    M,
    N,
    P,
    V,
)
from nakpump.engine.spectrum import extremes
from nakpump.engine.tableaus import (
    DOP_A,
    DOP_D,
    DOP_E3,
    DOP_E5,
    DOP_STAGES,
    DOP_STAGES_DENSE,
    RODAS_A,
    RODAS_C,
    RODAS_GAMMA,
    RODAS_M,
    RODAS_STAGES,
)

# clock: the integrator's position, carried from one call to the next. The first seven
# entries mean what they mean for engine.adaptive; then the method (0 DOP853, 1 RODAS4),
# the switch's two counters, whether the integration variables below are set, whether
# the step size collapsed (the time is then C_T), RODAS4's last accepted step and error
# (its step-size predictor; 0 when there is none), and the integration variables.
C_T, C_SEG, C_H, C_ARMED, C_ENTERED, C_REC, C_AUDIT = range(7)
C_STIFF, C_TO_STIFF, C_TO_EXPLICIT, C_STARTED, C_FAILED, C_H_ACC, C_ERR_ACC = range(7, 14)
C_Z = 14
N_CLOCK = C_Z + N_STATE

TO_STIFF_STEPS = 5  # DOP853 steps at its stability bound before RODAS4 takes over
TO_EXPLICIT_STEPS = 5  # RODAS4 steps in a row that DOP853 could take as stably
DOP_STABLE = 6.1  # h·ρ above which DOP853 is held by stability (Hairer's test)
EXPLICIT_MARGIN = 4.0  # h·ρ(J) below which DOP853 takes RODAS4's step with a margin
UNSTABLE_GROWTH = 0.5  # largest h·|λ| RODAS4 may take over a growing mode (Re λ > 0)
MAX_GROWTH = 6.0  # largest factor by which one step may exceed the last
PEAK_SAMPLES = 16  # where V peaks inside a step, the dense output is searched at h/16


def live_rows(p: np.ndarray, ouabain: bool = False) -> int:
    """How many leading state rows can change in a cell of parameters p (layout orders
    them so; ouabain: the protocol applies some, or some is bound): P_N_LIVE."""
    if p[P_METABOLISM] != 0.0:
        return N_STATE
    if p[P_PUMP_N_STATES] != 0.0:
        return PUMP_S0 + int(p[P_PUMP_N_STATES])
    return OUABAIN_BOUND + 1 if ouabain else OUABAIN_BOUND


def moving_variables(p: np.ndarray, ouabain: bool = False) -> np.ndarray:
    """Indices of the state variables that dz/dt depends on and that can change in a cell
    of parameters p (layout.ERROR_CONTROLLED less what this cell holds fixed or computes
    from other state): the steps are sized by them and the Jacobian has their columns.
    ouabain: the protocol applies ouabain (or some is bound)."""
    kind = int(p[P_CH_KIND])
    dynamic = p[P_DYNAMIC] != 0.0
    closed = dynamic and p[P_FLUX_O] != 0.0
    ahp = p[P_G_M] > 0.0
    keep = {
        V: True, M: kind not in (0, 3), H: kind != 0 and p[P_H_FROM_N] < 0.5, N: kind != 0,
        P: ahp and kind != 3, CA_I: ahp and kind == 3,
        NA_I: dynamic, K_I: dynamic, CL_I: dynamic, NA_O: closed, K_O: closed, CL_O: closed,
        K_BUFFER: closed and p[P_BUF_TOTAL] > 0.0, VOL_I: p[P_VOLUME] != 0.0,
        O2: p[P_OXYGEN] != 0.0,
        **dict.fromkeys((ATP_I, ADP_I, PI_I), p[P_METABOLISM] != 0.0),
        OUABAIN_BOUND: ouabain,
        **{PUMP_S0 + k: k < p[P_PUMP_N_STATES] for k in range(N_PUMP_STATES)},
    }
    return np.array([j for j in ERROR_CONTROLLED if keep[j]], dtype=np.int64)


# --- integration variables: concentrations, or amounts under a volume law ---------------

@step_jit
def to_amounts(y, p, z):
    """z = the integration variables of state y: y itself, except that with a volume law
    the concentrations (the glial buffer, the nucleotides) become amounts per initial
    volume (mM)."""
    for j in range(N_STATE):
        z[j] = y[j]
    if p[P_VOLUME] == 0.0:
        return
    w = y[VOL_I]
    vo = outside_volume(p[P_VOL_RATIO], w)
    for k in range(6):
        z[NA_I + k] = (y[NA_I + k] - y[COMP_NA_I + k]) * (w if k < 3 else vo)
        z[COMP_NA_I + k] = 0.0
    z[K_BUFFER] = y[K_BUFFER] * vo
    for k in range(3):  # ATP, ADP, Pi
        z[ATP_I + k] = y[ATP_I + k] * w


@step_jit
def from_amounts(z, p, y):
    """The state y of integration variables z (inverse of to_amounts)."""
    for j in range(N_STATE):
        y[j] = z[j]
    if p[P_VOLUME] == 0.0:
        return
    w = z[VOL_I]
    vo = outside_volume(p[P_VOL_RATIO], w)
    for k in range(6):
        y[NA_I + k] = (z[NA_I + k] - z[COMP_NA_I + k]) / (w if k < 3 else vo)
        y[COMP_NA_I + k] = 0.0
    y[K_BUFFER] = z[K_BUFFER] / vo
    for k in range(3):
        y[ATP_I + k] = z[ATP_I + k] / w


@jit_inline  # a call that passes arrays costs reference counting: ~2× the rhs itself
def derivative(z, p, d, out, y_work):
    """dz/dt of the integration variables (per ms) into out; y_work: scratch (N_STATE)."""
    if p[P_VOLUME] == 0.0:
        rhs(z, p, d, out)
    else:
        _amount_derivative(z, p, d, out, y_work)


@step_jit
def _amount_derivative(z, p, d, out, y_work):
    """derivative under a volume law (kept out of line: the common path stays lean)."""
    from_amounts(z, p, y_work)
    rhs(y_work, p, d, out)
    w = y_work[VOL_I]
    vo = outside_volume(p[P_VOL_RATIO], w)
    dw = out[VOL_I]
    dvo = -p[P_VOL_RATIO] * dw
    for k in range(3):  # d(c·w)/dt = w·dc/dt + c·dw/dt
        out[NA_I + k] = out[NA_I + k] * w + y_work[NA_I + k] * dw
        out[NA_I + 3 + k] = out[NA_I + 3 + k] * vo + y_work[NA_I + 3 + k] * dvo
    out[K_BUFFER] = out[K_BUFFER] * vo + y_work[K_BUFFER] * dvo
    for k in range(3):
        out[ATP_I + k] = out[ATP_I + k] * w + y_work[ATP_I + k] * dw


@step_jit
def _advance(z, dz, z_new, n):
    """z_new = z + dz over the first n rows (P_N_LIVE; the others never change), the six
    concentrations with Kahan compensation (their COMP terms)."""
    for j in range(n):
        if COMP_NA_I <= j < COMP_NA_I + 6:
            continue
        if NA_I <= j < NA_I + 6:
            c = COMP_NA_I + j - NA_I
            corrected = dz[j] - z[c]
            total = z[j] + corrected
            z_new[c] = (total - z[j]) - corrected
            z_new[j] = total
        else:
            z_new[j] = z[j] + dz[j]


@step_jit
def _scale(z, z_new, j, rtol, atol_vec):
    return atol_vec[j] + rtol * max(abs(z[j]), abs(z_new[j]))


# --- DOP853 --------------------------------------------------------------------------

@step_jit
def _combine(K, stages, w, h, out, n):
    """out = h·Σ_q w[q]·K[q] over the first `stages` stages, in the first n rows."""
    for j in range(n):
        out[j] = 0.0
    for q in range(stages):  # stage by stage: each an axpy the compiler vectorises (a
        c = w[q]  # test for zero weights would cost more than it saves)
        for j in range(n):
            out[j] += c * K[q, j]
    for j in range(n):
        out[j] *= h


@step_jit
def _stage_point(z, K, row, a, h, out, n):
    """out = z + h·Σ_q a[row, q]·K[q] over the stages before `row`, in the first n rows
    (the rest of out must hold z's, which never change)."""
    _combine(K, row, a[row], h, out, n)
    for j in range(n):
        out[j] += z[j]


@step_jit
def dop853_step(z, h, p, d, K, z_stage, dz, z_new, y_work, rtol, atol_vec, err_idx):
    """One DOP853 step of h (ms) from z, whose derivative is in K[0]; the new state into
    z_new and its derivative into K[12]. Returns (error norm, h·ρ estimate)."""
    n = int(p[P_N_LIVE])
    for s in range(1, DOP_STAGES):
        _stage_point(z, K, s, DOP_A, h, z_stage, n)
        derivative(z_stage, p, d, K[s], y_work)
    _combine(K, DOP_STAGES, DOP_A[DOP_STAGES], h, dz, n)  # row 12 of DOP_A: the weights b
    _advance(z, dz, z_new, n)
    derivative(z_new, p, d, K[DOP_STAGES], y_work)
    err5 = 0.0
    err3 = 0.0
    for j in err_idx:
        e5 = 0.0
        e3 = 0.0
        for q in range(DOP_STAGES + 1):
            e5 += DOP_E5[q] * K[q, j]
            e3 += DOP_E3[q] * K[q, j]
        sc = _scale(z, z_new, j, rtol, atol_vec)
        err5 += (e5 / sc) ** 2
        err3 += (e3 / sc) ** 2
    err = 0.0  # NaN, from a stage that left the model's range, stays NaN: a rejection
    if not (err5 == 0.0 and err3 == 0.0):
        err = abs(h) * err5 / math.sqrt((err5 + 0.01 * err3) * err_idx.shape[0])
    # Stiffness: ‖f(z_new) − f(z₁₂)‖/‖z_new − z₁₂‖ estimates the dominant |λ| (z₁₂, the
    # last stage point, is an approximation of z_new at the same time).
    num = 0.0
    den = 0.0
    for j in err_idx:
        num += (K[DOP_STAGES, j] - K[DOP_STAGES - 1, j]) ** 2
        den += (z_new[j] - z_stage[j]) ** 2
    h_rho = h * math.sqrt(num / den) if den > 0.0 else 0.0
    return err, h_rho


@step_jit
def dop853_dense(z, z_new, h, p, d, K, F, z_stage, y_work):
    """The order-7 dense output of an accepted DOP853 step into F (7, N_STATE); takes the
    three extra stages into K[13:16]."""
    for s in range(DOP_STAGES + 1, DOP_STAGES_DENSE):
        _stage_point(z, K, s, DOP_A, h, z_stage, int(p[P_N_LIVE]))
        derivative(z_stage, p, d, K[s], y_work)
    for j in range(N_STATE):
        delta = z_new[j] - z[j]
        F[0, j] = delta
        F[1, j] = h * K[0, j] - delta
        F[2, j] = 2.0 * delta - h * (K[DOP_STAGES, j] + K[0, j])
        for i in range(4):
            acc = 0.0
            for q in range(DOP_STAGES_DENSE):
                acc += DOP_D[i, q] * K[q, j]
            F[3 + i, j] = h * acc


@step_jit
def dop853_at(z, F, x, j):
    """Component j of the dense output at x = (t − t_step)/h in [0, 1]."""
    y = 0.0
    for i in range(7):
        y += F[6 - i, j]
        y *= x if i % 2 == 0 else 1.0 - x
    return z[j] + y


# --- RODAS4 --------------------------------------------------------------------------

@step_jit
def jacobian(z, f0, p, d, cols, J, z_work, f_work, y_work):
    """Forward differences of dz/dt against the variables it depends on (cols): J[:, k]
    = ∂f/∂z[cols[k]]. The other variables (charge integrals, what glia and bath took,
    Kahan terms) feed nothing back, so their columns are zero and not formed.

    The increment is 1e-6 relative, not the √ε ≈ 1.5e-8 that minimises J's own error:
    RODAS4 keeps a linear invariant c only as far as cᵀJ = 0, and cᵀJ, exactly 0 for
    the true Jacobian, is the rounding of cᵀf divided by the increment. J's truncation
    error (~1e-6 relative) costs RODAS4 nothing measurable; the invariants gain 70×."""
    for j in range(N_STATE):
        z_work[j] = z[j]
    for k in range(cols.shape[0]):
        j = cols[k]
        delta = 1e-6 * max(abs(z[j]), 1.0)
        z_work[j] = z[j] + delta
        derivative(z_work, p, d, f_work, y_work)
        for i in range(N_STATE):
            J[i, k] = (f_work[i] - f0[i]) / delta
        z_work[j] = z[j]


@step_jit
def _lu(W, piv):
    """LU factorisation of the square W in place with partial pivoting (piv: row swaps)."""
    m = W.shape[0]
    for k in range(m):
        r = k
        big = abs(W[k, k])
        for i in range(k + 1, m):
            if abs(W[i, k]) > big:
                big = abs(W[i, k])
                r = i
        piv[k] = r
        if r != k:
            for c in range(m):
                W[k, c], W[r, c] = W[r, c], W[k, c]
        if W[k, k] == 0.0:
            continue
        inv = 1.0 / W[k, k]
        for i in range(k + 1, m):
            W[i, k] *= inv
            f = W[i, k]
            if f != 0.0:
                for c in range(k + 1, m):
                    W[i, c] -= f * W[k, c]


@step_jit
def _lu_solve(W, piv, x):
    """Solve W·x = b in place (x holds b), W and piv from _lu."""
    m = W.shape[0]
    for k in range(m):
        r = piv[k]
        if r != k:
            x[k], x[r] = x[r], x[k]
    for i in range(m):
        for c in range(i):
            x[i] -= W[i, c] * x[c]
    for i in range(m - 1, -1, -1):
        for c in range(i + 1, m):
            x[i] -= W[i, c] * x[c]
        x[i] /= W[i, i]


@step_jit
def _rodas_solve(b, J, W, piv, cols, col_of, hg, x, out):
    """out = (I/(hγ) − J)⁻¹·b: the dependent variables through the LU of W, the others
    (rows with no column) from them: out_r = hγ·(b_r + Σ_k J[r, k]·out_cols[k])."""
    m = cols.shape[0]
    for k in range(m):
        x[k] = b[cols[k]]
    _lu_solve(W, piv, x)
    for r in range(N_STATE):
        k = col_of[r]
        if k >= 0:
            out[r] = x[k]
        else:
            acc = b[r]
            for c in range(m):
                acc += J[r, c] * x[c]
            out[r] = hg * acc


@step_jit
def rodas_step(z, f0, h, p, d, J, W, piv, cols, col_of, K, z_stage, b, x, dz, z_new,
               y_work, rtol, atol_vec, err_idx):
    """One RODAS4 step of h (ms) from z (derivative f0, Jacobian J); the new state into
    z_new. Returns the error norm (RMS of K_6 over err_idx, scaled)."""
    m = cols.shape[0]
    n = int(p[P_N_LIVE])
    hg = h * RODAS_GAMMA
    for r in range(m):
        for c in range(m):
            W[r, c] = -J[cols[r], c]
        W[r, r] += 1.0 / hg
    _lu(W, piv)
    for s in range(RODAS_STAGES):
        if s == 0:
            for j in range(N_STATE):
                b[j] = f0[j]
        else:
            _stage_point(z, K, s, RODAS_A, 1.0, z_stage, n)
            derivative(z_stage, p, d, b, y_work)
        _combine(K, s, RODAS_C[s], 1.0 / h, dz, n)
        for j in range(N_STATE):
            b[j] += dz[j]
        _rodas_solve(b, J, W, piv, cols, col_of, hg, x, K[s])
    _combine(K, RODAS_STAGES, RODAS_M, 1.0, dz, n)
    _advance(z, dz, z_new, n)
    err = 0.0
    for j in err_idx:
        err += (K[RODAS_STAGES - 1, j] / _scale(z, z_new, j, rtol, atol_vec)) ** 2
    return math.sqrt(err / err_idx.shape[0])


@step_jit
def hermite_at(z, z_new, f0, f1, h, x, j):
    """Component j at x = (t − t_step)/h of the cubic Hermite interpolant through the two
    ends of a step and their derivatives (RODAS4's dense output)."""
    x2 = x * x
    x3 = x2 * x
    return ((2.0 * x3 - 3.0 * x2 + 1.0) * z[j] + (x3 - 2.0 * x2 + x) * h * f0[j]
            + (-2.0 * x3 + 3.0 * x2) * z_new[j] + (x3 - x2) * h * f1[j])


@step_jit
def _dense_at(stiff, z, z_new, f0, f1, F, h, x, j):
    if stiff:
        return hermite_at(z, z_new, f0, f1, h, x, j)
    return dop853_at(z, F, x, j)


@step_jit
def _dense_state(stiff, z, z_new, f0, f1, F, h, x, p, z_out, y_out):
    """The state y_out at x within the step (algebraic variables in step)."""
    for j in range(N_STATE):
        z_out[j] = _dense_at(stiff, z, z_new, f0, f1, F, h, x, j)
    for k in range(6):  # Kahan terms are not interpolated: the nearer end's
        z_out[COMP_NA_I + k] = z[COMP_NA_I + k] if x < 0.5 else z_new[COMP_NA_I + k]
    from_amounts(z_out, p, y_out)
    sync_algebraic(y_out, p)


@step_jit
def _crossing(stiff, z, z_new, f0, f1, F, h, level, a, b):
    """x in (a, b] where V passes `level` upward within the step, V(a) < level ≤ V(b) on
    the dense output (Illinois method)."""
    ga = _dense_at(stiff, z, z_new, f0, f1, F, h, a, V) - level
    gb = _dense_at(stiff, z, z_new, f0, f1, F, h, b, V) - level
    side = 0
    x = 1.0
    for _ in range(60):
        x = (a * gb - b * ga) / (gb - ga)
        g = _dense_at(stiff, z, z_new, f0, f1, F, h, x, V) - level
        if g == 0.0 or (b - a) < 1e-15:
            break
        if (g > 0.0) == (gb > 0.0):
            b, gb = x, g
            if side == -1:
                ga *= 0.5
            side = -1
        else:
            a, ga = x, g
            if side == 1:
                gb *= 0.5
            side = 1
        if abs(b - a) < 1e-14:
            break
    return x


# --- the integrator ------------------------------------------------------------------

@jit_alloc
def integrate_switching(y, p, seg_t, seg_d, rtol, atol_vec, err_idx, h_max, clock, t_soft,
                        rec_times, rec_idx, rec_out, audit_times, audit_out, threshold,
                        spikes):
    """Integrate y in place with local error ≤ rtol·|y| + atol (RMS over err_idx) from the
    clock's position until the first accepted step that reaches t_soft (ms), or the end of
    the segments; the arguments as for engine.adaptive.integrate_adaptive.

    Returns (spikes, accepted steps, rejected steps, accepted stiff steps, right-hand
    sides evaluated).
    """
    n = N_STATE
    cols = err_idx  # what dz/dt depends on is what steps are sized by
    m = cols.shape[0]
    col_of = np.full(n, -1, dtype=np.int64)
    for k in range(m):
        col_of[cols[k]] = k
    K = np.zeros((DOP_STAGES_DENSE, n))
    F = np.zeros((7, n))
    J = np.zeros((n, m))
    W = np.zeros((m, m))
    piv = np.zeros(m, dtype=np.int64)
    xm = np.zeros(m)
    A = np.zeros((m, m))  # the dependent block of J, for its spectrum
    Hc = np.zeros((m, m), dtype=np.complex128)
    cs = np.zeros(m, dtype=np.complex128)
    sn = np.zeros(m, dtype=np.complex128)
    growing = 0.0
    radius = 0.0
    z = np.empty(n)
    z_new = np.empty(n)
    z_stage = np.empty(n)
    z_work = np.empty(n)
    dz = np.empty(n)
    b = np.empty(n)
    f0 = np.empty(n)
    f1 = np.empty(n)
    y_work = np.empty(n)
    y_rec = np.empty(n)
    obs = np.empty(N_OBS)

    t = clock[C_T]
    s = int(clock[C_SEG])
    h = clock[C_H]
    armed = clock[C_ARMED] > 0.5
    entered = clock[C_ENTERED] > 0.5
    k_rec = int(clock[C_REC])
    k_audit = int(clock[C_AUDIT])
    stiff = int(clock[C_STIFF])
    to_stiff = int(clock[C_TO_STIFF])
    to_explicit = int(clock[C_TO_EXPLICIT])
    h_acc = clock[C_H_ACC]
    err_acc = clock[C_ERR_ACC]
    if clock[C_STARTED] > 0.5:
        for j in range(n):
            z[j] = clock[C_Z + j]
    else:
        to_amounts(y, p, z)
    for j in range(n):  # rows past P_N_LIVE are only ever read: they keep z's values
        z_new[j] = z[j]
        z_stage[j] = z[j]
        dz[j] = 0.0
    rec0 = k_rec
    audit0 = k_audit
    n_spk = 0
    n_acc = 0
    n_rej = 0
    n_stiff = 0
    n_fev = 0
    n_seg = seg_t.shape[0] - 1
    stop = False
    while s < n_seg and not stop:
        d = seg_d[s]
        if not entered:
            t = seg_t[s]
            from_amounts(z, p, y)
            enter_segment(y, p, d)
            if d[D_CLAMP] > 0.5 and y[V] != d[D_V_CLAMP]:
                clamp_jump(y, p, d[D_V_CLAMP])
            to_amounts(y, p, z)
            entered = True
            # samples at the very start of a segment see its drive
            sync_algebraic(y, p)
            k_rec, k_audit = record_until(t, y, p, d, obs, rec_times, rec_idx, rec_out, k_rec,
                                          rec0, audit_times, audit_out, k_audit, audit0)
        derivative(z, p, d, f0, y_work)
        n_fev += 1
        fresh_jacobian = False
        rejected = False
        t_end = seg_t[s + 1]
        while t < t_end:
            if t >= t_soft:
                stop = True
                break
            h = min(h, h_max)
            if h < 1e-12 * max(1.0, abs(t)):  # the step collapsed: give up, say where
                clock[C_FAILED] = 1.0
                stop = True
                break
            h_free = h  # the step before it is shortened to meet the segment's end
            last = t + h >= t_end - 1e-12 * max(1.0, abs(t_end))
            if last:
                h = t_end - t
            if stiff:
                if not fresh_jacobian:  # J depends on the state only: kept on rejection
                    jacobian(z, f0, p, d, cols, J, z_work, f1, y_work)
                    n_fev += m
                    fresh_jacobian = True
                    for r in range(m):
                        for c in range(m):
                            A[r, c] = J[cols[r], c]
                    _, radius, growing = extremes(A, m, Hc, cs, sn)
                # An L-stable method damps what it cannot resolve, growth too: across an
                # instability (a spike's onset, the end of a spreading depolarisation) a
                # long step returns a damped state on which both embedded solutions agree.
                # A step is refused as too long where a growing mode (Re λ > 0, with its
                # rotation) moves more than |λ|·h = 1/2 in it.
                if growing * h > UNSTABLE_GROWTH:
                    n_rej += 1
                    h = UNSTABLE_GROWTH / growing
                    rejected = True
                    continue
                err = rodas_step(z, f0, h, p, d, J, W, piv, cols, col_of, K, z_stage, b, xm,
                                 dz, z_new, y_work, rtol, atol_vec, err_idx)
                n_fev += RODAS_STAGES - 1
                expo = 0.25  # the estimate is of order 3: error ∝ h⁴
                h_rho = 0.0
            else:
                for j in range(n):
                    K[0, j] = f0[j]
                err, h_rho = dop853_step(z, h, p, d, K, z_stage, dz, z_new, y_work, rtol,
                                         atol_vec, err_idx)
                n_fev += DOP_STAGES
                expo = 0.125  # an order-8 error estimate
            if not (err <= 1.0):  # also when err is NaN: a step into nonsense
                n_rej += 1
                rejected = True
                h *= max(0.2, 0.9 * err**-expo) if np.isfinite(err) else 0.2
                continue
            t_new = t_end if last else t + h
            if stiff:
                derivative(z_new, p, d, f1, y_work)
                n_fev += 1
            else:
                for j in range(n):
                    f1[j] = K[DOP_STAGES, j]
            # dense output, if a sample or a spike falls in the step
            v_new = z_new[V]
            crossing = armed and v_new >= threshold
            # a spike whose peak lies inside the step (V rising at its start, falling at
            # its end) is looked for on the dense output
            peak = armed and not crossing and f0[V] > 0.0 and f1[V] < 0.0
            need = crossing or peak or (
                k_rec - rec0 < rec_times.shape[0] and rec_times[k_rec - rec0] <= t_new) or (
                k_audit - audit0 < audit_times.shape[0]
                and audit_times[k_audit - audit0] <= t_new)
            if need and not stiff:
                dop853_dense(z, z_new, h, p, d, K, F, z_stage, y_work)
                n_fev += DOP_STAGES_DENSE - DOP_STAGES - 1
            x_hi = 1.0
            if peak:
                for k in range(1, PEAK_SAMPLES):
                    x = k / PEAK_SAMPLES
                    if _dense_at(stiff, z, z_new, f0, f1, F, h, x, V) >= threshold:
                        crossing = True
                        x_hi = x
                        break
            if crossing:
                x = _crossing(stiff, z, z_new, f0, f1, F, h, threshold, 0.0, x_hi)
                if n_spk < spikes.shape[0]:
                    spikes[n_spk] = t + x * (t_new - t)
                n_spk += 1
                armed = False
            if v_new < threshold:
                armed = True
            while k_rec - rec0 < rec_times.shape[0] and rec_times[k_rec - rec0] <= t_new:
                x = (rec_times[k_rec - rec0] - t) / (t_new - t)
                _dense_state(stiff, z, z_new, f0, f1, F, h, x, p, z_work, y_rec)
                observe(y_rec, p, d, obs)
                for j in range(rec_idx.shape[0]):
                    rec_out[k_rec - rec0, j] = obs[rec_idx[j]]
                k_rec += 1
            while (k_audit - audit0 < audit_times.shape[0]
                   and audit_times[k_audit - audit0] <= t_new):
                x = (audit_times[k_audit - audit0] - t) / (t_new - t)
                _dense_state(stiff, z, z_new, f0, f1, F, h, x, p, z_work, y_rec)
                audit_out[k_audit - audit0, :] = y_rec
                k_audit += 1
            for j in range(n):
                z[j] = z_new[j]
                f0[j] = f1[j]
            t = t_new
            n_acc += 1
            fresh_jacobian = False
            # growth bounded to [1/3, 6] as in DOP853 and RODAS, safety factor 0.9 (a PI
            # controller rejected fewer steps but took more right-hand sides on HH firing)
            growth = MAX_GROWTH if err == 0.0 else 0.9 * err**-expo
            if stiff and h_acc > 0.0:  # Gustafsson's predictor, as in RODAS: the error's
                # trend over the last two steps, taken where it is the more cautious
                trend = 0.9 * (h / h_acc) * (err_acc / max(err, 1e-10) ** 2) ** expo
                growth = min(growth, trend)
            h_next = h * min(1.0 if rejected else MAX_GROWTH, max(growth, 1.0 / 3.0))
            rejected = False  # no growth straight after a rejection (as DOP853 does)
            if stiff:
                h_acc = h
                err_acc = max(err, 1e-2)
            if last:  # a step shortened to meet the segment's end says little
                h_next = max(h_next, h_free)
            # the switch
            if stiff:
                n_stiff += 1
                if h_next * radius < EXPLICIT_MARGIN:
                    to_explicit += 1
                    if to_explicit >= TO_EXPLICIT_STEPS:
                        stiff = 0
                        h_acc = 0.0
                        to_explicit = 0
                        to_stiff = 0
                else:
                    to_explicit = 0
            else:
                if h_rho > DOP_STABLE:
                    to_stiff += 1
                    if to_stiff >= TO_STIFF_STEPS:
                        stiff = 1
                        to_stiff = 0
                        to_explicit = 0
                elif to_stiff > 0:
                    to_stiff -= 1
            h = h_next
        if not stop:
            s += 1
            entered = False
    from_amounts(z, p, y)
    sync_algebraic(y, p)
    clock[C_T] = t
    clock[C_SEG] = s
    clock[C_H] = h
    clock[C_ARMED] = 1.0 if armed else 0.0
    clock[C_ENTERED] = 1.0 if entered else 0.0
    clock[C_REC] = k_rec
    clock[C_AUDIT] = k_audit
    clock[C_STIFF] = stiff
    clock[C_TO_STIFF] = to_stiff
    clock[C_TO_EXPLICIT] = to_explicit
    clock[C_H_ACC] = h_acc
    clock[C_ERR_ACC] = err_acc
    clock[C_STARTED] = 1.0
    for j in range(n):
        clock[C_Z + j] = z[j]
    return n_spk, n_acc, n_rej, n_stiff, n_fev
