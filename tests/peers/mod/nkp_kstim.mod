TITLE Injected current carried by K+ (a density, depolarising positive)

COMMENT
nakpump's Stimulus with the cell's stim_ion K+: the injected current adds K+
inside, so it is written as an inward K+ current, ik = -amp, and the
accumulation mechanism counts it. amp (mA/cm2) is switched from Python at
event times (start, stop) with CVODE re-initialised there.
ENDCOMMENT

NEURON {
    SUFFIX nkp_kstim
    USEION k WRITE ik
    RANGE amp
}

UNITS {
    (mA) = (milliamp)
}

PARAMETER {
    amp = 0 (mA/cm2)
}

ASSIGNED {
    ik (mA/cm2)
}

BREAKPOINT {
    ik = -amp
}
