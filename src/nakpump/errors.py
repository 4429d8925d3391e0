"""Errors nakpump raises for bad input: each names the field, the value and what is allowed."""

from __future__ import annotations


class SpecError(ValueError):
    """A model, protocol or run specification that cannot be simulated."""

    def __init__(self, field: str, value: object, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field} = {value!r} is not allowed: {allowed}")
