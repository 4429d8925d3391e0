"""Pure, scalar biophysics: reversal potentials, gating kinetics, pump cycle rates."""
