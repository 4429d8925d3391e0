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
    """A run the integrator could not carry on: its step size collapsed at time t (ms) in
    cell `cell`; `culprits` says which state variables are to blame, and how."""

    def __init__(self, t: float, cell: str, culprits: list[str]):
        self.t = float(t)
        self.cell = cell
        self.culprits = culprits
        where = ", ".join(culprits) if culprits else "no culprit found"
        super().__init__(f"the integration of cell '{cell}' failed at t = {self.t:.9g} ms: "
                         f"the step size collapsed ({where})")
