"""Peer ODE solvers on nakpump's own models, for benchmarks/work_precision.py.

flat: a model as the flat arrays (state, parameters, protocol segments) the peers integrate,
and crossing times located on sampled solutions; lsoda: numbalsoda's compiled LSODA (and a
numba port of the published Cressman 2009 equations); cvode: SUNDIALS CVODE through
scikit-sundae; neuron_hh: NEURON's built-in `hh` mechanism as a peer of `hh-1952`.
"""
