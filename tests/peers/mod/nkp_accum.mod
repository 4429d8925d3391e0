TITLE Ion accumulation inside one well-mixed compartment, outside a fixed bath

COMMENT
d[X]i/dt = -(A/Vol) * I_X / (z F) for Na+, K+ (z = +1) and Cl- (z = -1), with
I_X the total membrane current of the ion (all mechanisms, injected current
included). a_over_v (1/um) is the compartment's membrane area over its volume,
given explicitly (set from the CellSpec) so that NEURON's own section volume
plays no part. Unit bridge: mA/cm2 * (1/um) / (C/mol) -> mM/ms is a factor 1e4.
The outside concentrations are never written: they stay at nao0_na_ion etc.
Within this block the currents are constants (other mechanisms compute them), so
the equations are linear and cnexp integrates them exactly over a step; it is
what CVODE sees too, and a Newton solve (derivimplicit) gives the same numbers
at 2.6x the cost of NEURON's fixed step (measured for benchmarks/population.py).
ENDCOMMENT

NEURON {
    SUFFIX nkp_accum
    USEION na READ ina WRITE nai
    USEION k READ ik WRITE ki
    USEION cl READ icl WRITE cli VALENCE -1
    RANGE a_over_v
}

UNITS {
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    a_over_v = 0 (/um)
}

ASSIGNED {
    ina (mA/cm2)
    ik (mA/cm2)
    icl (mA/cm2)
}

STATE {
    nai (mM)
    ki (mM)
    cli (mM)
}

BREAKPOINT {
    SOLVE conc METHOD cnexp
}

DERIVATIVE conc {
    nai' = -(1e4) * a_over_v * ina / FARADAY
    ki' = -(1e4) * a_over_v * ik / FARADAY
    cli' = (1e4) * a_over_v * icl / FARADAY
}
