"""Unit parsing at the input edge: every expected number follows from SI prefix definitions
(or another exact definition named beside it), not from running the code."""

import math
import re

import numpy as np
import pytest

from nakpump.errors import SpecError
from nakpump.quantities import (
    DIMENSION_EXAMPLES,
    parse_quantity,
    parse_span,
    parse_stimulus,
    registry,
)

REL = 1e-12

CONVERSIONS = [
    # time, ms
    ("2 s", "ms", 2000.0),  # 1 s = 1000 ms
    ("1.5ms", "ms", 1.5),  # no space needed
    ("250 us", "ms", 0.25),  # 1 us = 1e-3 ms
    ("1 min", "ms", 60_000.0),  # 1 min = 60 s = 60 000 ms
    # voltage, mV
    ("-70 mV", "mV", -70.0),
    ("-0.07 V", "mV", -70.0),  # 1 V = 1000 mV
    ("\u221270 mV", "mV", -70.0),  # typographic minus sign U+2212
    # concentration, mM (M is molar = mol/L, not mega)
    ("140 mM", "mM", 140.0),
    ("0.14 M", "mM", 140.0),  # 1 M = 1000 mM
    ("4000 uM", "mM", 4.0),  # 1 uM = 1e-3 mM
    ("4000 µM", "mM", 4.0),  # micro sign U+00B5
    ("4000 μM", "mM", 4.0),  # Greek mu U+03BC
    ("140 mmol/L", "mM", 140.0),  # mM is mmol/L
    # current density, uA/cm^2
    ("0.5 uA/cm^2", "uA/cm^2", 0.5),
    ("0.5 µA/cm²", "uA/cm^2", 0.5),  # unicode micro and superscript
    ("5 nA/mm^2", "uA/cm^2", 0.5),  # 5e-3 uA / 0.01 cm^2 (1 mm^2 = 0.01 cm^2)
    ("10 A/m^2", "uA/cm^2", 1000.0),  # 1e7 uA / 1e4 cm^2
    # conductance density, mS/cm^2
    ("36 mS/cm^2", "mS/cm^2", 36.0),
    ("360 S/m^2", "mS/cm^2", 36.0),  # 3.6e5 mS / 1e4 cm^2
    # capacitance density, uF/cm^2
    ("1 uF/cm^2", "uF/cm^2", 1.0),
    ("0.01 F/m^2", "uF/cm^2", 1.0),  # 1e4 uF / 1e4 cm^2
    # length um, area um^2, volume um^3
    ("0.01 mm", "um", 10.0),  # 1 mm = 1000 um
    ("1 cm", "um", 10_000.0),
    ("1e-6 cm^2", "um^2", 100.0),  # 1 cm^2 = (1e4 um)^2 = 1e8 um^2
    ("2 pL", "um^3", 2000.0),  # 1 L = 1e-3 m^3 = 1e15 um^3, so 1 pL = 1e3 um^3
    ("1 fL", "um^3", 1.0),
    # temperature, degC (offset unit)
    ("37 degC", "degC", 37.0),
    ("37 °C", "degC", 37.0),
    ("310.15 K", "degC", 37.0),  # 0 degC = 273.15 K exactly
    ("98.6 degF", "degC", 37.0),  # (98.6 - 32) * 5/9
    # frequency, Hz
    ("0.01 kHz", "Hz", 10.0),
    ("10 1/s", "Hz", 10.0),  # Hz = 1/s
    # pump turnover, 1/(s*um^2)
    ("100 1/(s*um^2)", "1/(s*um^2)", 100.0),
    ("1e10 1/(s*cm^2)", "1/(s*um^2)", 100.0),  # 1 cm^2 = 1e8 um^2
    ("6000 1/(min*um^2)", "1/(s*um^2)", 100.0),  # 1 min = 60 s
    ("100 cycles/(s*um^2)", "1/(s*um^2)", 100.0),  # a cycle is a count here, not 2 pi rad
    # molar free energy, kJ/mol
    ("-50000 J/mol", "kJ/mol", -50.0),  # 1 kJ = 1000 J
    ("-12 kcal/mol", "kJ/mol", -50.208),  # thermochemical cal = 4.184 J exactly
    # dimensionless
    ("50 %", "1", 0.5),
    ("0.5", "1", 0.5),
]


@pytest.mark.parametrize("text,unit,expected", CONVERSIONS)
def test_conversion(text, unit, expected):
    assert parse_quantity(text, unit, "f") == pytest.approx(expected, rel=REL, abs=1e-12)


def test_every_internal_unit_has_a_conversion_test():
    assert {unit for _, unit, _ in CONVERSIONS} == set(DIMENSION_EXAMPLES)


@pytest.mark.parametrize("unit", sorted(DIMENSION_EXAMPLES))
def test_examples_in_messages_parse_to_their_own_unit(unit):
    # Each description quotes examples; each must be accepted for that unit.
    for example in re.findall(r"'([^']*)'", DIMENSION_EXAMPLES[unit]):
        assert math.isfinite(parse_quantity(example, unit, "f"))


@pytest.mark.parametrize(
    "value,unit,expected",
    [
        (140, "mM", 140.0),  # numbers are already in the internal unit
        (1.5, "ms", 1.5),
        (np.float64(-70.0), "mV", -70.0),
        ("140", "mM", 140.0),  # bare numeric strings too
        (" -70 ", "mV", -70.0),
        ("1e3", "ms", 1000.0),
        (37, "degC", 37.0),
    ],
)
def test_bare_numbers_are_in_the_internal_unit(value, unit, expected):
    result = parse_quantity(value, unit, "f")
    assert type(result) is float
    assert result == pytest.approx(expected, rel=REL)


def test_registry_is_shared_and_m_is_molar():
    ureg = registry()
    assert registry() is ureg
    assert ureg.parse_units("M").dimensionality == ureg.parse_units("mol/L").dimensionality
    assert ureg.Quantity(1, "M").to("mol/L").magnitude == pytest.approx(1.0, rel=REL)


def test_wrong_dimension_message_is_exact():
    with pytest.raises(SpecError) as info:
        parse_quantity("140 mV", "mM", "ions.k_o")
    assert str(info.value) == (
        "ions.k_o = '140 mV' is not allowed: a concentration, e.g. '140 mM' "
        "(a number is taken in mM)"
    )
    assert info.value.field == "ions.k_o" and info.value.value == "140 mV"


@pytest.mark.parametrize(
    "value,unit",
    [
        ("140 mV", "mM"),  # wrong dimensionality
        ("2 mM", "ms"),
        ("37 mV", "degC"),
        ("10 uA", "uA/cm^2"),  # a current, not a current density
        (" 140 mV ", "mM"),  # original text kept, spaces included
        ("abc", "mM"),  # unparseable
        ("", "mM"),
        ("mM", "mM"),  # a unit without a number
        ("140 foo", "mM"),
        ("2 * 3 mM", "mM"),
        ("140 mM extra", "mM"),
        (float("nan"), "mM"),  # non-finite
        (float("inf"), "mM"),
        ("nan", "mM"),
        ("-inf", "mV"),
        ("1e400 mM", "mM"),  # overflows to inf
        (True, "1"),  # bools are not numbers here
        (False, "mM"),
        (None, "mM"),
        ([140], "mM"),
    ],
)
def test_bad_values_name_field_and_value(value, unit):
    with pytest.raises(SpecError, match=re.escape(f"ions.k_o = {value!r} is not allowed")) as info:
        parse_quantity(value, unit, "ions.k_o")
    assert info.value.value is value
    assert DIMENSION_EXAMPLES[unit] in info.value.allowed


@pytest.mark.parametrize(
    "text,expected",
    [
        ("10s", (10_000.0, None)),  # 1 s = 1000 ms
        ("10s:20s", (10_000.0, 20_000.0)),
        ("1ms:1.5ms", (1.0, 1.5)),
        ("5:7.5", (5.0, 7.5)),  # bare numbers are ms
        ("0:1 min", (0.0, 60_000.0)),  # 1 min = 60 000 ms
        (" 2 s : 3 s ", (2000.0, 3000.0)),
    ],
)
def test_parse_span(text, expected):
    start, end = parse_span(text, "--window")
    assert start == pytest.approx(expected[0], rel=REL)
    assert end is None if expected[1] is None else end == pytest.approx(expected[1], rel=REL)


@pytest.mark.parametrize(
    "text", ["", "abc", "10 mV", "2s:1s", "1:1", "-1 ms", "1:2:3", "1:", ":2", "1:nan", None]
)
def test_parse_span_errors_name_field_and_text(text):
    with pytest.raises(SpecError, match=re.escape(f"--window = {text!r} is not allowed")):
        parse_span(text, "--window")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("10 uA/cm^2", (10.0, 0.0, None)),
        ("20 uA/cm^2@1ms:1.5ms", (20.0, 1.0, 1.5)),
        ("20@1:2", (20.0, 1.0, 2.0)),  # bare numbers: uA/cm^2 and ms
        ("20@1", (20.0, 1.0, None)),
        ("-5 µA/cm²@2 s", (-5.0, 2000.0, None)),  # hyperpolarising; 1 s = 1000 ms
        ("5 nA/mm^2@1s:2s", (0.5, 1000.0, 2000.0)),  # 1 mm^2 = 0.01 cm^2
    ],
)
def test_parse_stimulus(text, expected):
    amp, start, end = parse_stimulus(text, "--stimulus")
    assert amp == pytest.approx(expected[0], rel=REL)
    assert start == pytest.approx(expected[1], rel=REL)
    assert end is None if expected[2] is None else end == pytest.approx(expected[2], rel=REL)


@pytest.mark.parametrize(
    "text",
    [
        "20 mV@1ms",  # amplitude not a current density
        "20@1ms:0.5ms",  # end before start
        "20@",
        "@1ms",
        "",
        "20@1@2",
        "20 uA/cm^2@1 mM",
        "20@-1",
        "inf@1",
        None,
    ],
)
def test_parse_stimulus_errors_name_field_and_text(text):
    with pytest.raises(SpecError, match=re.escape(f"--stimulus = {text!r} is not allowed")):
        parse_stimulus(text, "--stimulus")


def test_stimulus_error_says_which_part_is_wrong():
    with pytest.raises(SpecError, match=re.escape("'20 mV' must be a current density")):
        parse_stimulus("20 mV@1ms", "--stimulus")
