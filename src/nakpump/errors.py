"""Errors nakpump raises for bad input: each names the field, the value and what is allowed."""

from __future__ import annotations


class SpecError(ValueError):
    """A model, protocol or run specification that cannot be simulated."""

    def __init__(self, field: str, value: object, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field} = {value!r} is not allowed: {allowed}")


class IntegrationError(RuntimeError):
    """A run the integrator could not carry on: its step size collapsed at time t (ms)."""

    def __init__(self, t: float, state):
        self.t = float(t)
        self.state = state
        super().__init__(f"the integration failed at t = {self.t:.9g} ms: the step size "
                         "collapsed (a state left the model's range, or the tolerance is "
                         "below what double precision resolves)")
