TITLE Ion-specific leaks (Na+, K+, Cl-), each current carried by its own ion

COMMENT
nakpump's Leak (g_na, g_k, g_cl): chord conductances against the Nernst
potential of each ion, which NEURON computes from the concentrations.
Conductances are set from the CellSpec by tests/peers/neuron_cortical.py.
ENDCOMMENT

NEURON {
    SUFFIX nkp_leak
    USEION na READ ena WRITE ina
    USEION k READ ek WRITE ik
    USEION cl READ ecl WRITE icl VALENCE -1
    RANGE gna, gk, gcl
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gna = 0 (S/cm2)
    gk = 0 (S/cm2)
    gcl = 0 (S/cm2)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ek (mV)
    ecl (mV)
    ina (mA/cm2)
    ik (mA/cm2)
    icl (mA/cm2)
}

BREAKPOINT {
    ina = gna * (v - ena)
    ik = gk * (v - ek)
    icl = gcl * (v - ecl)
}
