"""What an axon is: an unbranched cylinder of compartments that each are a cell.

An AxonSpec is data: a membrane (a CellSpec whose channels, leaks, pump, ions,
temperature and capacitance every compartment shares; its own area and volume are
not used), the cylinder's length and diameter (µm), the axoplasm's resistivity
(Ω·cm), the compartment length (µm) and optionally a soma (a CellSpec with its own
geometry) at the x = 0 end. Ends are sealed; the outside is the membrane's (a bath).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nakpump.errors import SpecError
from nakpump.model.presets import preset
from nakpump.model.spec import CellSpec, _check_number, _replace_paths
from nakpump.units import celsius_to_kelvin, cylinder, rt_over_f

OHM_CM_TO_US = 1e6  # 1/Ω → µS


MAX_COMPARTMENTS = 100_000  # an axon of 1 m in 10 µm compartments


@dataclass(frozen=True, kw_only=True)
class AxonSpec:
    """An unbranched axon with sealed ends, cut into compartments of segment_length µm."""

    name: str
    description: str = ""
    source: str = ""
    membrane: CellSpec
    length: float  # µm
    diameter: float  # µm
    axial_resistivity: float  # Ω·cm
    segment_length: float = 50.0  # µm (the last compartments are equal: length/n)
    soma: CellSpec | None = None  # at x = 0, its own area and volume; same membrane kinds

    def __post_init__(self) -> None:
        if not isinstance(self.membrane, CellSpec):
            raise SpecError("membrane", self.membrane, "a CellSpec")
        if self.membrane.closed:
            raise SpecError("membrane.outside_volume", self.membrane.outside_volume,
                            "None (an axon in a bath; a periaxonal space is not built yet)")
        for part in (self.membrane, self.soma):
            if part is not None and part.metabolism is not None:
                raise SpecError("membrane.metabolism", part.metabolism,
                                "None (the cable kernels do not step a cell's own ATP yet)")
        _check_number("length", self.length, lower=0.0, unit="µm")
        _check_number("diameter", self.diameter, lower=0.0, unit="µm")
        _check_number("axial_resistivity", self.axial_resistivity, lower=0.0, unit="Ω·cm")
        _check_number("segment_length", self.segment_length, lower=0.0, upper=self.length,
                      unit="µm, at most the length")
        if self.length / self.segment_length > MAX_COMPARTMENTS:
            raise SpecError("length", self.length, f"at most {MAX_COMPARTMENTS} compartments of "
                                                   f"segment_length = {self.segment_length:g} "
                                                   f"µm")
        if self.soma is not None:
            if not isinstance(self.soma, CellSpec) or self.soma.closed:
                raise SpecError("soma", self.soma, "None or a CellSpec in a bath")
            # one kernel steps soma and axon together: the model's kinds must agree
            for part, mine, theirs in (
                    ("channels.kind", self.soma.channels.kind, self.membrane.channels.kind),
                    ("pump", type(self.soma.pump).__name__, type(self.membrane.pump).__name__),
                    ("concentrations", self.soma.concentrations, self.membrane.concentrations)):
                if mine != theirs:
                    raise SpecError(f"soma.{part}", mine, f"the axon membrane's ({theirs})")

    @property
    def n_segments(self) -> int:
        """Number of compartments (the length over segment_length, rounded up)."""
        return max(1, math.ceil(self.length / self.segment_length - 1e-9))

    @property
    def dx(self) -> float:
        """Compartment length (µm)."""
        return self.length / self.n_segments

    def positions(self) -> list[float]:
        """Compartment centres (µm from the stimulated end; the soma, if any, at 0)."""
        axon = [(k + 0.5) * self.dx for k in range(self.n_segments)]
        return [0.0, *axon] if self.soma is not None else axon

    def compartment(self) -> CellSpec:
        """The membrane with one compartment's area and volume (a cylinder of length dx)."""
        area, volume = cylinder(0.5 * self.diameter, self.dx)
        return self.membrane.replace(area=area, volume=volume)

    def compartments(self) -> list[CellSpec]:
        """Every compartment's cell, from the x = 0 end (the soma first, if any)."""
        segment = self.compartment()
        return ([self.soma] if self.soma is not None else []) + [segment] * self.n_segments

    def axial_conductance(self) -> float:
        """Conductance (µS) between neighbouring compartment centres: πr²/(R_i·dx)."""
        radius_cm, dx_cm = 0.5 * self.diameter * 1e-4, self.dx * 1e-4
        return OHM_CM_TO_US * math.pi * radius_cm ** 2 / (self.axial_resistivity * dx_cm)

    def axial_conductances(self) -> list[float]:
        """Conductances (µS) between successive compartments; the soma (isopotential) joins
        the first segment's centre through half a segment."""
        g = self.axial_conductance()
        between = [g] * (self.n_segments - 1)
        return ([2.0 * g] if self.soma is not None else []) + between

    def with_d_lambda(self, d_lambda: float = 0.1, frequency: float = 100.0) -> AxonSpec:
        """The same axon cut by NEURON's d_lambda rule: compartments no longer than d_lambda
        times the AC length constant at `frequency` (Hz), λ_f = ½·√(d/(π·f·R_i·C_m)), in an
        odd number (Hines & Carnevale 2001)."""
        _check_number("d_lambda", d_lambda, lower=0.0)
        _check_number("frequency", frequency, lower=0.0, unit="Hz")
        d_cm = self.diameter * 1e-4
        cap = self.membrane.capacitance * 1e-6  # F/cm²
        lambda_um = 0.5 * math.sqrt(d_cm / (math.pi * frequency * self.axial_resistivity * cap)
                                    ) * 1e4
        n = int((self.length / (d_lambda * lambda_um) + 0.9) / 2) * 2 + 1
        return self.replace(segment_length=self.length / n)

    def replace(self, **changes) -> AxonSpec:
        """A copy with fields replaced; dotted names reach into the membrane."""
        return _replace_paths(self, changes)


# --- presets --------------------------------------------------------------------------------
_HH_AXON_TEMP = 18.5  # °C, HH 1952's propagated action potential


def _hh_membrane_at(temp_c: float, pumped: bool) -> CellSpec:
    """HH 1952's membrane at temp_c with E_Na +50 and E_K −77 mV held there (HH kept the
    reversal potentials fixed when they changed the temperature)."""
    base = preset("hh-squid" if pumped else "hh-1952")
    rt_f = rt_over_f(celsius_to_kelvin(temp_c))
    ions = base.ions
    cell = base.replace(temp_c=temp_c, **{
        "ions.na_o": ions.na_i * math.exp(50.0 / rt_f),
        "ions.k_o": ions.k_i * math.exp(-77.0 / rt_f)})
    if pumped:
        cell = cell.replace(**{"pump.temp_ref_c": temp_c})  # capacity as calibrated
    from nakpump.steady import at_rest  # steady imports the engine; presets load first

    return at_rest(cell)


def hh_axon(pumped: bool = False) -> AxonSpec:
    """HH 1952's squid giant axon: radius 238 µm, R_i 35.4 Ω·cm, 18.5 °C, 2 cm long."""
    name = "hh-axon-pump" if pumped else "hh-axon"
    what = ("with dynamic Na+ and K+ and a Kager pump (the hh-squid membrane)" if pumped else
            "with fixed concentrations, as published")
    return AxonSpec(
        name=name,
        description=f"The Hodgkin–Huxley (1952) squid giant axon at 18.5 °C {what}: radius "
                    "238 µm, axoplasm 35.4 Ω·cm, 2 cm long in 50 µm compartments, sealed "
                    "ends; E_Na +50 and E_K −77 mV at 18.5 °C. HH computed 18.8 m/s.",
        source="Hodgkin & Huxley (1952) J Physiol 117:500, Part III; references.md §1.3, §1.5",
        membrane=_hh_membrane_at(_HH_AXON_TEMP, pumped),
        length=20_000.0, diameter=476.0, axial_resistivity=35.4, segment_length=50.0)


def cortical_axon() -> AxonSpec:
    """A thin unmyelinated mammalian axon with the cortical membrane (channels, leaks, Kager
    pump, concentrations as the `cortical` preset), 0.5 µm across, 1 mm long, 37 °C."""
    return AxonSpec(
        name="cortical-axon",
        description="A thin unmyelinated mammalian axon at 37 °C: the `cortical` preset's "
                    "membrane (Pospischil RS channels, ion-specific leaks, Kager pump, rest "
                    "−70 mV) on a cylinder 0.5 µm across and 1 mm long in 10 µm compartments, "
                    "axoplasm 100 Ω·cm [R]. Its surface-to-volume ratio is 19× a 7 µm soma's, "
                    "so trains load it with Na+ fast and pump block stops conduction.",
        source="Membrane: the cortical preset (Pospischil et al. 2008; Kager et al. 2000). "
               "Diameter 0.2–1 µm for unmyelinated cortical axons and R_i 70–150 Ω·cm [R].",
        membrane=preset("cortical"), length=1000.0, diameter=0.5, axial_resistivity=100.0,
        segment_length=10.0)


def cortical_soma_axon() -> AxonSpec:
    """cortical-axon with the `cortical` soma (a 7 µm sphere) at its x = 0 end."""
    axon = cortical_axon()
    return axon.replace(
        name="cortical-soma-axon", soma=preset("cortical"),
        description=axon.description + " A cortical soma (r = 7 µm) sits at the x = 0 end; "
                                       "stimuli go into it.")


AXON_PRESETS = {"hh-axon": lambda: hh_axon(False), "hh-axon-pump": lambda: hh_axon(True),
                "cortical-axon": cortical_axon, "cortical-soma-axon": cortical_soma_axon}


def axon_preset(name: str, /, **overrides) -> AxonSpec:
    """The named axon, with dotted overrides ("length", "membrane.pump.rate_max")."""
    if name not in AXON_PRESETS:
        raise SpecError("preset", name, "one of " + ", ".join(AXON_PRESETS))
    axon = AXON_PRESETS[name]()
    return axon.replace(**overrides) if overrides else axon
