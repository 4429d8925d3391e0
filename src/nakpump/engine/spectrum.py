"""Eigenvalues of a small real matrix inside compiled kernels (no allocation, no LAPACK).

engine.switching asks of the Jacobian of a cell (≤ 15 × 15) two numbers every stiff
step: its spectral abscissa max Re λ, which bounds a stiff step across an instability,
and its spectral radius max |λ|, which says when the explicit method may take over.
numba's np.linalg.eigvals needs complex input and costs ~23 µs at 9 × 9; this is the
textbook algorithm (Golub & Van Loan, "Matrix Computations", 4th ed., §7.4–7.5):
Householder reduction to upper Hessenberg form, then QR steps with Wilkinson shifts in
complex arithmetic, each step a sweep of Givens rotations over the active window, which
shrinks as subdiagonal entries become negligible.
"""

from __future__ import annotations

import cmath
import math

from nakpump._jit import step_jit

EPS = 2.220446049250313e-16


@step_jit
def _hessenberg(a, m, h):
    """h (complex, m × m) = an upper Hessenberg matrix similar to a[:m, :m] (real)."""
    for k in range(m - 2):
        norm = 0.0
        for i in range(k + 1, m):
            norm += a[i, k] * a[i, k]
        norm = math.sqrt(norm)
        if norm == 0.0:
            continue
        alpha = -norm if a[k + 1, k] >= 0.0 else norm
        a[k + 1, k] -= alpha  # v = x − α·e₁ is stored in a[k+1:, k]
        vv = 0.0
        for i in range(k + 1, m):
            vv += a[i, k] * a[i, k]
        for j in range(k + 1, m):  # (I − 2vvᵀ/vᵀv)·a, columns k+1… (column k is set below)
            s = 0.0
            for i in range(k + 1, m):
                s += a[i, k] * a[i, j]
            s *= 2.0 / vv
            for i in range(k + 1, m):
                a[i, j] -= s * a[i, k]
        for i in range(m):  # a·(I − 2vvᵀ/vᵀv)
            s = 0.0
            for j in range(k + 1, m):
                s += a[i, j] * a[j, k]
            s *= 2.0 / vv
            for j in range(k + 1, m):
                a[i, j] -= s * a[j, k]
        a[k + 1, k] = alpha
        for i in range(k + 2, m):
            a[i, k] = 0.0
    for i in range(m):
        for j in range(m):
            h[i, j] = a[i, j] if j >= i - 1 else 0.0


@step_jit
def extremes(a, m, h, cs, sn):
    """(max Re λ, max |λ|, max |λ| over the λ with Re λ > 0) over the eigenvalues of
    a[:m, :m] (real; overwritten). h: complex (m, m) work; cs, sn: complex (m,) work.
    All three inf if QR does not converge."""
    _hessenberg(a, m, h)
    abscissa = -math.inf
    radius = 0.0
    growing = 0.0
    hi = m - 1
    its = 0
    while hi >= 0:
        lo = hi  # the active window [lo, hi]: subdiagonal entries above lo are negligible
        while lo > 0 and abs(h[lo, lo - 1]) > EPS * (abs(h[lo, lo]) + abs(h[lo - 1, lo - 1])):
            lo -= 1
        if lo == hi:  # one eigenvalue has split off
            lam = h[hi, hi]
            abscissa = max(abscissa, lam.real)
            radius = max(radius, abs(lam))
            if lam.real > 0.0:
                growing = max(growing, abs(lam))
            hi -= 1
            its = 0
            continue
        its += 1
        if its > 50 * m:
            return math.inf, math.inf, math.inf
        # Wilkinson shift: the eigenvalue of the trailing 2 × 2 nearer h[hi, hi]; now and
        # then an exceptional shift breaks a cycle
        p, q, r, s = h[hi - 1, hi - 1], h[hi - 1, hi], h[hi, hi - 1], h[hi, hi]
        half = 0.5 * (p + s)
        disc = cmath.sqrt(half * half - (p * s - q * r))
        mu = half + disc if abs(half + disc - s) < abs(half - disc - s) else half - disc
        if its % 11 == 0:
            mu = s + abs(r)
        for k in range(lo, hi + 1):
            h[k, k] -= mu
        for k in range(lo, hi):  # QR of the shifted window by Givens rotations …
            x, y = h[k, k], h[k + 1, k]
            norm = math.sqrt(abs(x) ** 2 + abs(y) ** 2)
            c, t = (1.0 + 0j, 0j) if norm == 0.0 else (x / norm, y / norm)
            cs[k], sn[k] = c, t
            for j in range(k, hi + 1):
                u, w = h[k, j], h[k + 1, j]
                h[k, j] = c.conjugate() * u + t.conjugate() * w
                h[k + 1, j] = -t * u + c * w
        for k in range(lo, hi):  # … then R·Q, which keeps the window Hessenberg
            c, t = cs[k], sn[k]
            for i in range(lo, min(k + 2, hi) + 1):
                u, w = h[i, k], h[i, k + 1]
                h[i, k] = u * c + w * t
                h[i, k + 1] = -u * t.conjugate() + w * c.conjugate()
        for k in range(lo, hi + 1):
            h[k, k] += mu
    return abscissa, radius, growing
