"""Errors nakpump raises for bad input: each names the field, the value and what is allowed."""

from __future__ import annotations


class SpecError(ValueError):
    """A model, protocol or run specification that cannot be simulated."""

    def __init__(self, field: str, value: object, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{_clip(str(field), 60)} = {_clip(_show(value), 100)} is not "
                         f"allowed: {_clip(allowed, 320)}")


def _show(value: object) -> str:
    """repr of a value, numpy scalars as the plain numbers they hold."""
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()
    return repr(value)


def _clip(text: str, limit: int) -> str:
    """Text cut to `limit` characters, saying how long it was: one error, one short line."""
    text = text.replace("\n", " ")
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


class IntegrationError(RuntimeError):
    """A run that could not carry on, or went out of the physical range, at time t (ms) in
    cell `cell`: `what` happened, `culprits` says which state variables are to blame and
    how; `saved` is the file the run up to its last good chunk was set aside in."""

    def __init__(self, t: float, cell: str, culprits: list[str], *,
                 what: str = "the step size collapsed", saved=None):
        self.t = float(t)
        self.cell = cell
        self.culprits = culprits
        self.what = what
        self.saved = saved
        super().__init__(t, cell, culprits)

    def __str__(self) -> str:
        where = ", ".join(self.culprits) if self.culprits else "no culprit found"
        kept = f"; the run up to then is in {self.saved}" if self.saved is not None else ""
        return (f"the integration of cell '{self.cell}' failed at t = {self.t:.9g} ms: "
                f"{self.what} ({where}){kept}")


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by a signal (SIGINT, SIGTERM) at time t (ms) of duration; `saved`:
    the file holding the run up to then (None when nothing was being written)."""

    def __init__(self, t: float, duration: float, signum: int, saved=None):
        self.t, self.duration, self.signum, self.saved = float(t), float(duration), signum, saved
        super().__init__(t, duration, signum)

    def __str__(self) -> str:
        import signal

        kept = f"; the run up to then is in {self.saved}" if self.saved is not None else ""
        return (f"interrupted by {signal.Signals(self.signum).name} at t = {self.t:.9g} ms "
                f"of {self.duration:.9g} ms{kept}")
