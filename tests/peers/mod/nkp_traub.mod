TITLE Traub-Miles Na+ (m3h) and K+ (n4) with the slow M-type K+ current, for nakpump's peer check

COMMENT
The channels of nakpump's "traub" family (biophysics/channels.py: traub_rates,
m_current_gate) in NMODL. Every rate, the M-current's 1/tau included, is
multiplied by phi, which the caller computes from the CellSpec
(cell.channels.rate_factor(cell.temp_c)); the conductances and vt also come
from the CellSpec (tests/peers/neuron_cortical.py sets every RANGE below).
The zero defaults make a mechanism that was never set up carry no current.
Rates in 1/ms, v and vt in mV; currents outward positive.
ENDCOMMENT

NEURON {
    SUFFIX nkp_traub
    USEION na READ ena WRITE ina
    USEION k READ ek WRITE ik
    RANGE gnabar, gkbar, gmbar, vt, tau_max, phi
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gnabar = 0 (S/cm2)
    gkbar = 0 (S/cm2)
    gmbar = 0 (S/cm2)
    vt = 0 (mV)
    tau_max = 1 (ms)
    phi = 1
}

ASSIGNED {
    v (mV)
    ena (mV)
    ek (mV)
    ina (mA/cm2)
    ik (mA/cm2)
    am (/ms) bm (/ms) ah (/ms) bh (/ms) an (/ms) bn (/ms)
    pinf
    taup (ms)
}

STATE { m h n p }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gnabar * m * m * m * h * (v - ena)
    ik = (gkbar * n * n * n * n + gmbar * p) * (v - ek)
}

INITIAL {
    rates(v)
    m = am / (am + bm)
    h = ah / (ah + bh)
    n = an / (an + bn)
    p = pinf
}

DERIVATIVE states {
    rates(v)
    m' = phi * (am * (1 - m) - bm * m)
    h' = phi * (ah * (1 - h) - bh * h)
    n' = phi * (an * (1 - n) - bn * n)
    p' = phi * (pinf - p) / taup
}

UNITSOFF
PROCEDURE rates(v (mV)) {
    LOCAL u
    u = v - vt
    am = 0.32 * hhrate(u - 13, 4)
    bm = 0.28 * hhrate(40 - u, 5)
    ah = 0.128 * exp(-(u - 17) / 18)
    bh = 4 / (1 + exp(-(u - 40) / 5))
    an = 0.032 * hhrate(u - 15, 5)
    bn = 0.5 * exp(-(u - 10) / 40)
    pinf = 1 / (1 + exp(-(v + 35) / 10))
    taup = tau_max / (3.3 * exp((v + 35) / 20) + exp(-(v + 35) / 20))
}

FUNCTION hhrate(x, s) {
    : x / (1 - exp(-x/s)), continuous at x = 0 where it tends to s
    LOCAL r
    r = x / s
    if (fabs(r) < 1e-7) {
        hhrate = s * (1 + 0.5 * r)
    } else {
        hhrate = x / (1 - exp(-r))
    }
}
UNITSON
