"""Flat arrays, compiled per-cell step, and the integrators that drive it."""
