TITLE Na+/K+-ATPase of Kager, Wadman & Somjen (2000): 3 Na+ out, 2 K+ in per cycle

COMMENT
nakpump's KagerPump: the net outward pump current
    ip = imax * (1 - block) / ((1 + kmk/ko)^2 * (1 + kmna/nai)^3)
carried as ina = 3 ip and ik = -2 ip. imax (mA/cm2) already holds the
temperature (Q10) and ATP factors; the caller computes it from the CellSpec.
block (0..1) is the blocked fraction (ouabain), switched from Python at an
event time so that CVODE is re-initialised at the discontinuity.
ENDCOMMENT

NEURON {
    SUFFIX nkp_pump
    USEION na READ nai WRITE ina
    USEION k READ ko WRITE ik
    RANGE imax, kmna, kmk, block, ip
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (mM) = (milli/liter)
}

PARAMETER {
    imax = 0 (mA/cm2)
    kmna = 1 (mM)
    kmk = 1 (mM)
    block = 0
}

ASSIGNED {
    nai (mM)
    ko (mM)
    ina (mA/cm2)
    ik (mA/cm2)
    ip (mA/cm2)
}

BREAKPOINT {
    ip = imax * (1 - block) / ((1 + kmk / ko)^2 * (1 + kmna / nai)^3)
    ina = 3 * ip
    ik = -2 * ip
}
