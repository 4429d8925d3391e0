"""User-facing quantities (TOML values, CLI options) converted to nakpump's internal units.

Strings such as "140 mM", "0.14 M", "1.5ms", "-70 mV", "5 nA/mm^2", "37 degC" or
"310.15 K" are parsed with pint once, at the input edge; bare numbers (and bare
numeric strings such as "140") are taken as already in the internal unit.
Everything past the edge works with plain floats in the internal units below.
"""

from __future__ import annotations

import math
import numbers
import re

from nakpump.errors import SpecError

# Internal unit -> how errors describe what is allowed.
DIMENSION_EXAMPLES: dict[str, str] = {
    "ms": "a time, e.g. '2 s' or '1.5 ms'",
    "mV": "a voltage, e.g. '-70 mV'",
    "mM": "a concentration, e.g. '140 mM'",
    "uA/cm^2": "a current density, e.g. '10 uA/cm^2'",
    "mS/cm^2": "a conductance density, e.g. '36 mS/cm^2'",
    "uF/cm^2": "a capacitance density, e.g. '1 uF/cm^2'",
    "um": "a length, e.g. '10 um'",
    "um^2": "an area, e.g. '500 um^2'",
    "um^3": "a volume, e.g. '2000 um^3' or '2 pL'",
    "degC": "a temperature, e.g. '37 degC' or '310.15 K'",
    "Hz": "a frequency, e.g. '10 Hz'",
    "1/(s*um^2)": "a pump turnover per area, e.g. '100 cycles/(s*um^2)'",
    "kJ/mol": "a molar free energy, e.g. '-50 kJ/mol'",
    "1": "a dimensionless number, e.g. '0.5' or '50 %'",
}

_NUMBER_THEN_UNIT = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*")
_SPAN_FORMAT = "'START[:END]' with 0 <= START < END, e.g. '10s' or '1ms:1.5ms' (bare numbers: ms)"
_STIMULUS_FORMAT = (
    "'AMP[@START[:END]]' with 0 <= START < END, e.g. '10 uA/cm^2' or "
    "'20 uA/cm^2@1ms:1.5ms' (bare numbers: uA/cm^2 and ms)"
)
_UREG = None


def registry():
    """The module's pint UnitRegistry, built on first use.

    pint's defaults already give: "M" = molar = mol/L (so "mM" is millimolar), the
    micro prefix as "u", "µ" (U+00B5) or "μ" (U+03BC), "cm²" and "cm^2", and °C/degC
    as an offset unit. One change: pint's "cycle" is a full turn (2π rad), which would
    make "100 cycles/s/um^2" 628 per s per µm²; here a cycle is a plain count.
    """
    global _UREG
    if _UREG is None:
        import pint

        ureg = pint.UnitRegistry(on_redefinition="ignore")
        ureg.define("cycle = 1 = cyc")
        _UREG = ureg
    return _UREG


def _allowed(unit: str) -> str:
    what = DIMENSION_EXAMPLES.get(unit, f"a quantity convertible to {unit}")
    return f"{what} (a number is taken in {unit})"


def parse_quantity(value: object, unit: str, field: str) -> float:
    """``value`` converted to ``unit`` as a finite float; numbers are taken in ``unit``.

    Raises SpecError(field, value, ...) for bools, None, non-finite values, text that
    does not parse, and quantities of the wrong dimensionality.
    """
    if isinstance(value, bool) or value is None:
        raise SpecError(field, value, _allowed(unit))
    if isinstance(value, numbers.Real):
        result = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("\u2212", "-")  # accept a typographic minus sign
        try:
            result = float(text)  # a bare number: already in `unit`
        except ValueError:
            match = _NUMBER_THEN_UNIT.fullmatch(text)
            if match is None or not match.group(2):
                raise SpecError(field, value, _allowed(unit)) from None
            ureg = registry()
            try:
                given = ureg.Quantity(float(match.group(1)), ureg.parse_units(match.group(2)))
                result = float(given.to(ureg.parse_units(unit)).magnitude)
            # pint's parser raises AssertionError, TokenError, TypeError, ValueError, ...
            except Exception:
                raise SpecError(field, value, _allowed(unit)) from None
    else:
        raise SpecError(field, value, _allowed(unit))
    if not math.isfinite(result):
        raise SpecError(field, value, f"a finite value: {_allowed(unit)}")
    return result


def _part(part: str, unit: str, field: str, text: str, fmt: str) -> float:
    """One piece of a compound option, with errors reporting the whole option text."""
    if not part.strip():
        raise SpecError(field, text, f"{fmt}; a part is empty")
    try:
        return parse_quantity(part, unit, field)
    except SpecError as err:
        raise SpecError(field, text, f"{fmt}; {part.strip()!r} must be {err.allowed}") from None


def _span(body: str, field: str, text: str, fmt: str) -> tuple[float, float | None]:
    pieces = body.split(":")
    if len(pieces) > 2:
        raise SpecError(field, text, f"{fmt}; at most one ':'")
    start = _part(pieces[0], "ms", field, text, fmt)
    end = _part(pieces[1], "ms", field, text, fmt) if len(pieces) == 2 else None
    if start < 0 or (end is not None and end <= start):
        raise SpecError(field, text, fmt)
    return start, end


def parse_span(text: str, field: str) -> tuple[float, float | None]:
    """A time window "START[:END]" in ms: "10s" -> (10000.0, None), "1ms:1.5ms" -> (1.0, 1.5)."""
    if not isinstance(text, str):
        raise SpecError(field, text, _SPAN_FORMAT)
    return _span(text, field, text, _SPAN_FORMAT)


def parse_stimulus(text: str, field: str) -> tuple[float, float, float | None]:
    """A current step "AMP[@START[:END]]" as (uA/cm^2, ms, ms or None).

    "10 uA/cm^2" -> (10.0, 0.0, None); "20 uA/cm^2@1ms:1.5ms" -> (20.0, 1.0, 1.5);
    "20@1:2" -> (20.0, 1.0, 2.0). The amplitude may be negative (hyperpolarising).
    """
    if not isinstance(text, str):
        raise SpecError(field, text, _STIMULUS_FORMAT)
    amp_text, at, when = text.partition("@")
    if "@" in when:
        raise SpecError(field, text, f"{_STIMULUS_FORMAT}; at most one '@'")
    amplitude = _part(amp_text, "uA/cm^2", field, text, _STIMULUS_FORMAT)
    if not at:
        return amplitude, 0.0, None
    start, end = _span(when, field, text, _STIMULUS_FORMAT)
    return amplitude, start, end
