"""What a cell is: frozen, validated specifications, in the units of design.md.

A specification is data. It is validated once, when it is built, so that
nothing downstream (the compiled kernels in particular) checks anything.
Every field carries its unit in a trailing comment; parameters are addressed
by dotted names ("pump.rate_max", "leak.g_na", "ions.k_o") for overrides.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from numbers import Real
from typing import Any, Literal

from nakpump.errors import SpecError

CHANNEL_KINDS = ("hh", "traub", "cressman", "none")
CONCENTRATION_MODES = ("dynamic", "fixed")
IONS = ("na", "k", "cl")
VALENCE = {"na": 1.0, "k": 1.0, "cl": -1.0}


def _check_number(name: str, value: Any, *, lower: float | None = None,
                  strict: bool = True, upper: float | None = None, unit: str = "") -> None:
    """Raise SpecError unless value is a finite real number inside the stated bounds."""
    allowed = "a finite number"
    if lower is not None:
        allowed += f" {'>' if strict else '≥'} {lower:g}"
    if upper is not None:
        allowed += f" and ≤ {upper:g}"
    if unit:
        allowed += f" ({unit})"
    if isinstance(value, bool) or not isinstance(value, Real):  # numpy scalars too
        raise SpecError(name, value, allowed)
    if not math.isfinite(value):
        raise SpecError(name, value, allowed)
    if lower is not None and (value <= lower if strict else value < lower):
        raise SpecError(name, value, allowed)
    if upper is not None and value > upper:
        raise SpecError(name, value, allowed)


MIN_CONCENTRATION = 1e-6  # mM (1 nM): below it a reversal potential passes ±500 mV
MAX_CONCENTRATION = 2000.0  # mM (2 M): more than any cell or bath holds


@dataclass(frozen=True, kw_only=True)
class Ions:
    """Ion concentrations (mM) inside (_i) and outside (_o) the cell."""

    na_i: float  # mM
    k_i: float  # mM
    cl_i: float  # mM
    na_o: float  # mM
    k_o: float  # mM
    cl_o: float  # mM

    def __post_init__(self) -> None:
        for f in fields(self):
            _check_number(f"ions.{f.name}", getattr(self, f.name), lower=MIN_CONCENTRATION,
                          strict=False, upper=MAX_CONCENTRATION, unit="mM: 1 nM to 2 M")


@dataclass(frozen=True, kw_only=True)
class Channels:
    """Voltage-gated Na+ and K+ channels of one kinetic family (biophysics.channels)."""

    kind: Literal["hh", "traub", "cressman", "none"]
    g_na: float  # mS/cm², transient Na+ (m³h)
    g_k: float  # mS/cm², delayed-rectifier K+ (n⁴)
    g_m: float = 0.0  # mS/cm², slow M-type K+ (traub family only)
    tau_m_max: float = 608.0  # ms, M-current τ_max (Pospischil 2008)
    vt: float = -56.2  # mV, threshold shift of the traub family
    q10: float = 3.0  # rate Q10 (HH 1952 convention: rates only)
    temp_ref_c: float = 6.3  # °C at which the rates are as published
    phi: float | None = None  # fixed rate factor (overrides the Q10 rule), e.g. 3 in Cressman 2009
    h_from_n: bool = False  # cressman family: h = h(n) (Hübel & Dahlem 2014 reduction)
    # Cressman 2009's Ca2+-activated AHP, g_AHP·[Ca]/(1 + [Ca])·(V − E_K) (cressman family):
    g_ahp: float = 0.0  # mS/cm²
    g_ca: float = 0.1  # mS/cm², sets the Ca2+ entry that activates it (no Ca2+ current)
    e_ca: float = 120.0  # mV
    tau_ca: float = 80.0  # ms, Ca2+ removal

    def __post_init__(self) -> None:
        if self.kind not in CHANNEL_KINDS:
            raise SpecError("channels.kind", self.kind, f"one of {', '.join(CHANNEL_KINDS)}")
        for name in ("g_na", "g_k", "g_m"):
            _check_number(f"channels.{name}", getattr(self, name), lower=0.0, strict=False,
                          unit="mS/cm²")
        _check_number("channels.tau_m_max", self.tau_m_max, lower=0.0, unit="ms")
        _check_number("channels.vt", self.vt, unit="mV")
        _check_number("channels.q10", self.q10, lower=0.0)
        _check_number("channels.temp_ref_c", self.temp_ref_c, lower=-273.15, unit="°C")
        if self.phi is not None:
            _check_number("channels.phi", self.phi, lower=0.0)
        if self.g_m > 0 and self.kind != "traub":
            raise SpecError("channels.g_m", self.g_m, "0 unless channels.kind is 'traub'")
        if self.h_from_n and self.kind != "cressman":
            raise SpecError("channels.h_from_n", self.h_from_n,
                            "False unless channels.kind is 'cressman'")
        _check_number("channels.g_ahp", self.g_ahp, lower=0.0, strict=False, unit="mS/cm²")
        _check_number("channels.g_ca", self.g_ca, lower=0.0, strict=False, unit="mS/cm²")
        _check_number("channels.e_ca", self.e_ca, unit="mV")
        _check_number("channels.tau_ca", self.tau_ca, lower=0.0, unit="ms")
        if self.g_ahp > 0 and (self.kind != "cressman" or self.h_from_n):
            raise SpecError("channels.g_ahp", self.g_ahp,
                            "0 unless channels.kind is 'cressman' with h_from_n False")

    def rate_factor(self, temp_c: float) -> float:
        """φ multiplying every gating rate at temp_c (°C)."""
        if self.phi is not None:
            return self.phi
        return self.q10 ** ((temp_c - self.temp_ref_c) / 10.0)


@dataclass(frozen=True, kw_only=True)
class Leak:
    """Ion-specific leak conductances (mS/cm²): every leak current is carried by its ion."""

    g_na: float  # mS/cm²
    g_k: float  # mS/cm²
    g_cl: float  # mS/cm²

    def __post_init__(self) -> None:
        for f in fields(self):
            _check_number(f"leak.{f.name}", getattr(self, f.name), lower=0.0, strict=False,
                          unit="mS/cm²")

    @property
    def total(self) -> float:
        """Total leak conductance (mS/cm²)."""
        return self.g_na + self.g_k + self.g_cl


@dataclass(frozen=True, kw_only=True)
class _Pump:
    """Fields every pump form shares: its capacity and how it scales with temperature and ATP."""

    rate_max: float  # cycles/s/µm² at temp_ref_c and normal ATP
    temp_ref_c: float  # °C at which rate_max holds
    q10: float = 2.0  # turnover Q10 (2–3 reported [R]; references.md §8)
    km_atp: float = 0.5  # mM, Michaelis constant for ATP ([R], ~0.1–0.5 mM)
    # Ouabain binding (protocols.Ouabain): d(bound)/dt = k_on·[ouabain]·(1 − bound)
    # − k_off·bound. Defaults: the rodent α3 isoform's K_d of 1.6 nM (O'Brien et al. 1994
    # Arch Biochem Biophys 310:32 [abs]) with k_on 0.1 per µM per s, an association
    # rate of the order reported for cardiac glycosides [R]: τ_off = 1/k_off ≈ 104 min.
    ouabain_k_on: float = 0.1  # 1/(µM·s)
    ouabain_k_off: float = 1.6e-4  # 1/s

    def _check_common(self) -> None:
        _check_number("pump.rate_max", self.rate_max, lower=0.0, strict=False,
                      unit="cycles/s/µm²")
        _check_number("pump.temp_ref_c", self.temp_ref_c, lower=-273.15, unit="°C")
        _check_number("pump.q10", self.q10, lower=0.0)
        _check_number("pump.km_atp", self.km_atp, lower=0.0, unit="mM")
        _check_number("pump.ouabain_k_on", self.ouabain_k_on, lower=0.0, strict=False,
                      unit="1/(µM·s)")
        _check_number("pump.ouabain_k_off", self.ouabain_k_off, lower=0.0, strict=False,
                      unit="1/s")


_PUMP_CLASSES: dict[str, type] = {}


def pump_class(kind: str) -> type:
    """The specification class of a registered pump form (mechanisms.PUMPS), made from its
    declaration: the shared fields of _Pump, then the form's parameters with their
    defaults, each validated against its declared range. "kager" → KagerPump."""
    from nakpump.mechanisms import PUMPS

    if kind not in PUMPS:
        raise SpecError("pump.kind", kind, "one of " + ", ".join(PUMPS))
    mech = PUMPS[kind]
    cls = _PUMP_CLASSES.get(kind)
    if cls is not None and cls.mechanism is mech:
        return cls

    def __post_init__(self) -> None:
        self._check_common()
        mech.validate({name: getattr(self, name) for name in mech.params})

    title = "".join(part.capitalize() for part in kind.replace("_", "-").split("-")) + "Pump"
    cls = dataclasses.make_dataclass(
        title,
        [(name, float, field(default=p.default)) for name, p in mech.params.items()]
        + [("kind", str, field(default=kind, init=False))],
        bases=(_Pump,), frozen=True, kw_only=True,
        namespace={"__post_init__": __post_init__, "mechanism": mech,
                   "__doc__": f"{mech.doc.splitlines()[0] if mech.doc else kind} "
                              f"({mech.source or mech.origin}). Parameters: "
                              + ", ".join(f"{n} ({p.unit})" for n, p in mech.params.items())})
    cls.__module__ = __name__
    _PUMP_CLASSES[kind] = cls
    return cls


def pump_kinds() -> list[str]:
    """Names of the pump forms a cell may use now (built-in and loaded)."""
    from nakpump.mechanisms import PUMPS

    return list(PUMPS)


KagerPump = pump_class("kager")
LuoRudyPump = pump_class("luo-rudy")
SigmoidPump = pump_class("sigmoid")
ReversiblePump = pump_class("reversible")
Alpha1Alpha3Pump = pump_class("alpha1-alpha3")


@dataclass(frozen=True, kw_only=True)
class Glia:
    """Glial K+ clearance from a closed extracellular space (rates per extracellular volume).

    Sigmoid uptake (Cressman et al. 2009): uptake_max/(1 + e^((k_half − [K]o)/k_slope)).
    Buffer (Hübel & Dahlem 2014): d[bound]/dt = k_on·[K]o·(buffer_total − bound)
    − buffer_k_off·bound, k_on = buffer_k_off/(1 + e^((buffer_k_half − [K]o)/buffer_k_slope))
    per mM. Either part is off at 0.
    """

    uptake_max: float = 0.0  # mM/s
    k_half: float = 18.0  # mM
    k_slope: float = 2.5  # mM
    buffer_total: float = 0.0  # mM of extracellular volume
    buffer_k_off: float = 5e-5  # 1/s
    buffer_k_half: float = 15.0  # mM
    buffer_k_slope: float = 1.09  # mM
    # Glial Na+/K+ pump (Wei 2014): pump_max/(1 + e^(pump_k_half − [K]o)) of extracellular
    # K+, limited by O2 like the neuron's pump where the cell has `oxygen`.
    pump_max: float = 0.0  # mM/s
    pump_k_half: float = 3.5  # mM

    def __post_init__(self) -> None:
        for name, unit in (("uptake_max", "mM/s"), ("buffer_total", "mM"),
                           ("pump_max", "mM/s")):
            _check_number(f"glia.{name}", getattr(self, name), lower=0.0, strict=False,
                          unit=unit)
        _check_number("glia.pump_k_half", self.pump_k_half, unit="mM")
        _check_number("glia.buffer_k_off", self.buffer_k_off, lower=0.0, unit="1/s")
        for name in ("k_half", "buffer_k_half"):
            _check_number(f"glia.{name}", getattr(self, name), unit="mM")
        for name in ("k_slope", "buffer_k_slope"):
            _check_number(f"glia.{name}", getattr(self, name), lower=0.0, unit="mM")


@dataclass(frozen=True, kw_only=True)
class Bath:
    """A bath (perfusate, blood) that a closed extracellular space exchanges ions with.

    Loss from the extracellular space: rate_X·([X]o − X), per ion (Cressman 2009's
    diffusion ε; Hübel & Dahlem 2014's λ). Protocols can change the bath
    concentrations (BathChange).
    """

    na: float  # mM
    k: float  # mM
    cl: float  # mM
    rate_na: float = 0.0  # 1/s
    rate_k: float = 0.0  # 1/s
    rate_cl: float = 0.0  # 1/s
    # With a volume law: exchange fails as the extracellular space collapses,
    # × 1/(1 + e^((Vol_i/Vol_o − collapse_ratio)/collapse_slope)) (Wei 2014: 20, 2).
    collapse_ratio: float = 20.0
    collapse_slope: float = 2.0

    def __post_init__(self) -> None:
        for name in ("na", "k", "cl"):
            _check_number(f"bath.{name}", getattr(self, name), lower=0.0, unit="mM")
        for name in ("rate_na", "rate_k", "rate_cl"):
            _check_number(f"bath.{name}", getattr(self, name), lower=0.0, strict=False,
                          unit="1/s")
        _check_number("bath.collapse_ratio", self.collapse_ratio, lower=0.0)
        _check_number("bath.collapse_slope", self.collapse_slope, lower=0.0)


@dataclass(frozen=True, kw_only=True)
class Cotransport:
    """Electroneutral Cl− cotransporters (Wei et al. 2014 forms), rates per cell volume.

    KCC2: kcc2·ln([K]i[Cl]i/([K]o[Cl]o)) out; NKCC1: nkcc1/(1 + e^(nkcc1_k_half − [K]o))
    ·[ln([K]i[Cl]i/([K]o[Cl]o)) + ln([Na]i[Cl]i/([Na]o[Cl]o))] out (1 Na+, 1 K+, 2 Cl−).
    """

    kcc2: float = 0.0  # mM/s
    nkcc1: float = 0.0  # mM/s
    nkcc1_k_half: float = 16.0  # mM

    def __post_init__(self) -> None:
        for name in ("kcc2", "nkcc1"):
            _check_number(f"cotransport.{name}", getattr(self, name), lower=0.0, strict=False,
                          unit="mM/s")
        _check_number("cotransport.nkcc1_k_half", self.nkcc1_k_half, unit="mM")


@dataclass(frozen=True, kw_only=True)
class VolumeLaw:
    """Osmotic water flow (Wei et al. 2014): the cell volume relaxes with time constant tau
    to Vol0·(1 + swell_max·(1 − e^((π_o − π_i)/osmotic_scale))), π counting the ions and
    the impermeant solutes (CellSpec.impermeant_i/_o, diluted as the volumes change).
    The extracellular space gives up what the cell gains; the membrane area is held
    (membrane folds, not stretch: Wei 2014 scales it as a sphere's)."""

    tau: float = 250.0  # ms
    swell_max: float = 0.1029  # relative volume
    osmotic_scale: float = 20.0  # mM

    def __post_init__(self) -> None:
        _check_number("volume_law.tau", self.tau, lower=0.0, unit="ms")
        _check_number("volume_law.swell_max", self.swell_max, lower=0.0)
        _check_number("volume_law.osmotic_scale", self.osmotic_scale, lower=0.0, unit="mM")


@dataclass(frozen=True, kw_only=True)
class Oxygen:
    """Extracellular O2 that the pumps burn and the bath supplies (Wei et al. 2014).

    Pump capacity × 1/(1 + e^((half − [O2])/slope)); O2 use per pump cycle
    `use_per_cycle` (mg/L per mM of cycles per cell volume); supply rate·([O2]bath − [O2]);
    glial uptake and bath exchange fail below a bath O2 of failure_half.
    """

    bath: float = 32.0  # mg/L
    initial: float = 29.3  # mg/L
    half: float = 20.0  # mg/L
    slope: float = 3.0  # mg/L
    use_per_cycle: float = 5.3  # mg/L per mM
    rate: float = 0.17  # 1/s
    failure_half: float = 2.5  # mg/L
    failure_slope: float = 0.2  # mg/L

    def __post_init__(self) -> None:
        for name in ("bath", "initial"):
            _check_number(f"oxygen.{name}", getattr(self, name), lower=0.0, strict=False,
                          unit="mg/L")
        for name in ("slope", "failure_slope"):
            _check_number(f"oxygen.{name}", getattr(self, name), lower=0.0, unit="mg/L")
        for name in ("half", "failure_half"):
            _check_number(f"oxygen.{name}", getattr(self, name), unit="mg/L")
        _check_number("oxygen.use_per_cycle", self.use_per_cycle, lower=0.0, strict=False,
                      unit="mg/L per mM")
        _check_number("oxygen.rate", self.rate, lower=0.0, strict=False, unit="1/s")

@dataclass(frozen=True, kw_only=True)
class Metabolism:
    """The cell's own ATP: [ATP]i, [ADP]i and [Pi]i become states (CellSpec.atp, adp, pi
    their initial values), made and used at rates per cell volume:

    made = (oxphos_max·f_O2·(1 − block) + glycolysis_max)·[ADP]/([ADP] + km_adp)
    used = pump cycles (one ATP each) + basal_max·[ATP]/([ATP] + km_atp_basal)

    f_O2 is the pumps' O2 factor where the cell has `oxygen` (Wei et al. 2014), else 1;
    block is a MetabolicBlock's fraction. ATP + ADP and ATP + Pi are conserved. Michaelis–
    Menten forms after the minimal neuron energy models (Aubert & Costalat 2005 J Cereb
    Blood Flow Metab 25:1476; Jolivet et al. 2015 PLoS Comput Biol 11:e1004036) [R: forms
    and ranges recalled, references.md §11]. Presets balance oxphos_max at rest.
    """

    oxphos_max: float  # mM/s
    glycolysis_max: float = 0.0  # mM/s
    km_adp: float = 0.02  # mM (tens of µM for mitochondria [R])
    basal_max: float = 0.0  # mM/s
    km_atp_basal: float = 0.5  # mM

    def __post_init__(self) -> None:
        for name in ("oxphos_max", "glycolysis_max", "basal_max"):
            _check_number(f"metabolism.{name}", getattr(self, name), lower=0.0, strict=False,
                          unit="mM/s")
        for name in ("km_adp", "km_atp_basal"):
            _check_number(f"metabolism.{name}", getattr(self, name), lower=0.0, unit="mM")


K_I_RULES = ("currents", "electroneutral")
# The optional parts of a cell's outside, by CellSpec field (all need a closed outside).
TISSUE_PARTS = {"glia": Glia, "bath": Bath, "cotransport": Cotransport,
                "volume_law": VolumeLaw, "oxygen": Oxygen}


@dataclass(frozen=True, kw_only=True)
class CellSpec:
    """A single-compartment neuron and its outside, in nakpump's units.

    The stored voltage and concentrations are the initial state (for a preset:
    its resting state). The outside is an infinite bath (outside_volume None:
    fixed concentrations, whatever crosses the membrane is counted as
    exchanged with the bath) or a closed extracellular volume.
    """

    name: str
    description: str = ""
    source: str = ""
    temp_c: float  # °C
    capacitance: float = 1.0  # µF/cm²
    area: float  # µm² of membrane
    volume: float  # µm³ of cytosol
    outside_volume: float | None = None  # µm³; None = infinite bath
    ions: Ions  # mM, initial
    v_init: float  # mV, initial membrane potential
    impermeant_i: float = 0.0  # mM, impermeant solute inside
    z_impermeant_i: float = -1.0  # its mean valence
    impermeant_o: float = 0.0  # mM, impermeant solute outside
    z_impermeant_o: float = -1.0  # its mean valence
    channels: Channels
    leak: Leak
    pump: _Pump | None = None  # a pump_class(kind) instance
    atp: float = 2.0  # mM, normal cytosolic [ATP] (pump at rate_max·f(T))
    # Free cytosolic ADP and phosphate (mM; tens of µM and 1–5 mM in neurons [R],
    # references.md §11): read by pumps that own their ATP dependence (the reversible one).
    adp: float = 0.03
    pi: float = 3.0
    dg_atp: float = -55.0  # kJ/mol, free energy of ATP hydrolysis (references.md §0)
    concentrations: Literal["dynamic", "fixed"] = "dynamic"
    stim_ion: Literal["na", "k", "cl"] = "k"  # ion carrying injected current
    glia: Glia | None = None  # glial K+ clearance (closed outside only)
    bath: Bath | None = None  # bath the closed outside exchanges with
    cotransport: Cotransport | None = None  # KCC2, NKCC1
    volume_law: VolumeLaw | None = None  # osmotic swelling and shrinking
    oxygen: Oxygen | None = None  # O2-limited pumps
    metabolism: Metabolism | None = None  # the cell's own ATP (else [ATP] set by protocol)
    # Shortcuts some published models take, for faithful reproduction. They give up
    # invariants, and the conservation report says so (NaN for what does not hold):
    pump_electrogenic: bool = True  # False: pump current left out of dV/dt (Cressman 2009)
    k_i_rule: Literal["currents", "electroneutral"] = "currents"  # Cressman's Δ[K]i = −Δ[Na]i
    fixed_cl: bool = False  # Cl− concentrations held (Cressman 2009)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SpecError("name", self.name, "a non-empty string")
        _check_number("temp_c", self.temp_c, lower=-5.0, upper=50.0, strict=False, unit="°C")
        _check_number("capacitance", self.capacitance, lower=0.0, unit="µF/cm²")
        _check_number("area", self.area, lower=0.0, unit="µm²")
        _check_number("volume", self.volume, lower=0.0, unit="µm³")
        if self.outside_volume is not None:
            _check_number("outside_volume", self.outside_volume, lower=0.0,
                          unit="µm³, or None for an infinite bath")
        _check_number("v_init", self.v_init, lower=-200.0, upper=200.0, unit="mV")
        _check_number("impermeant_i", self.impermeant_i, lower=0.0, strict=False, unit="mM")
        _check_number("impermeant_o", self.impermeant_o, lower=0.0, strict=False, unit="mM")
        _check_number("z_impermeant_i", self.z_impermeant_i)
        _check_number("z_impermeant_o", self.z_impermeant_o)
        _check_number("atp", self.atp, lower=0.0, unit="mM")
        _check_number("adp", self.adp, lower=0.0, unit="mM")
        _check_number("pi", self.pi, lower=0.0, unit="mM")
        _check_number("dg_atp", self.dg_atp, upper=0.0, unit="kJ/mol")
        if self.concentrations not in CONCENTRATION_MODES:
            raise SpecError("concentrations", self.concentrations,
                            f"one of {', '.join(CONCENTRATION_MODES)}")
        if self.stim_ion not in IONS:
            raise SpecError("stim_ion", self.stim_ion, f"one of {', '.join(IONS)}")
        for name, cls in (("ions", Ions), ("channels", Channels), ("leak", Leak)):
            if not isinstance(getattr(self, name), cls):
                raise SpecError(name, getattr(self, name), f"a {cls.__name__}")
        if self.pump is not None and not isinstance(self.pump, _Pump):
            raise SpecError("pump", self.pump, "None or a pump of one of the kinds "
                            + ", ".join(pump_kinds()))
        for name, cls in {**TISSUE_PARTS, "metabolism": Metabolism}.items():
            value = getattr(self, name)
            if value is not None and not isinstance(value, cls):
                raise SpecError(name, value, f"None or a {cls.__name__}")
        if self.metabolism is not None and self.concentrations != "dynamic":
            raise SpecError("metabolism", self.metabolism, "only with dynamic concentrations")
        for name in ("pump_electrogenic", "fixed_cl"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(name, getattr(self, name), "true or false")
        if self.k_i_rule not in K_I_RULES:
            raise SpecError("k_i_rule", self.k_i_rule, f"one of {', '.join(K_I_RULES)}")
        tissue = {**{name: getattr(self, name) is not None for name in TISSUE_PARTS},
                  "k_i_rule": self.k_i_rule != "currents", "fixed_cl": self.fixed_cl}
        for name, used in tissue.items():
            if used and not (self.closed and self.concentrations == "dynamic"):
                raise SpecError(name, getattr(self, name),
                                "only with a closed outside (outside_volume set) and "
                                "dynamic concentrations")

    @property
    def closed(self) -> bool:
        """True when the outside is a finite, closed volume rather than a bath."""
        return self.outside_volume is not None

    def replace(self, **changes: Any) -> CellSpec:
        """A copy with fields replaced; dotted names reach into groups ("pump.rate_max").

        Unknown names raise SpecError listing the names that exist. Every
        replaced group is validated again. "pump.kind" swaps the pump form: the new
        one keeps rate_max, temp_ref_c, q10 and km_atp, takes its own parameters' defaults,
        and then any other "pump.…" changes given with it.
        """
        if "pump.kind" in changes:
            changes = dict(changes)
            kind = changes.pop("pump.kind")
            shared = {} if self.pump is None else {
                name: getattr(self.pump, name) for name in PUMP_UNITS}
            if "rate_max" not in shared and "pump.rate_max" not in changes:
                raise SpecError("pump.kind", kind, "together with pump.rate_max and "
                                "pump.temp_ref_c for a cell without a pump")
            own = {k[5:]: changes.pop(k) for k in list(changes) if k.startswith("pump.")}
            try:
                pump = pump_class(kind)(**{**shared, **own})
            except TypeError as exc:  # a parameter this form does not have
                raise SpecError("pump", own, f"parameters of the {kind} pump "
                                f"({', '.join(pump_class(kind).mechanism.params)}): {exc}") \
                    from None
            return _replace_paths(dataclasses.replace(self, pump=pump), changes)
        return _replace_paths(self, changes)


def _replace_paths(obj: Any, changes: dict[str, Any], prefix: str = "") -> Any:
    direct: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    init_names = [f.name for f in fields(obj) if f.init]
    for path, value in changes.items():
        head, _, rest = path.partition(".")
        if head not in init_names:
            raise SpecError(prefix + path, value,
                            "a parameter name; known here: " + ", ".join(init_names))
        if rest:
            sub = getattr(obj, head)
            if sub is None or not dataclasses.is_dataclass(sub):
                raise SpecError(prefix + path, value, f"'{prefix + head}' has no sub-parameters")
            nested.setdefault(head, {})[rest] = value
        else:
            direct[head] = value
    for head, sub_changes in nested.items():
        direct[head] = _replace_paths(getattr(obj, head), sub_changes, prefix + head + ".")
    try:
        return dataclasses.replace(obj, **direct)
    except TypeError as exc:  # e.g. a string where a number belongs, caught before validation
        raise SpecError(prefix.rstrip(".") or "spec", changes, str(exc)) from None


def parameter_names(spec: CellSpec) -> list[str]:
    """Every settable dotted parameter name of a specification."""
    names: list[str] = []

    def walk(obj: Any, prefix: str) -> None:
        for f in fields(obj):
            if not f.init:
                continue
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                walk(value, prefix + f.name + ".")
            else:
                names.append(prefix + f.name)

    walk(spec, "")
    return names


def spec_to_dict(spec: CellSpec) -> dict[str, Any]:
    """A plain nested dict of the specification (with each pump's kind), for storage."""
    return dataclasses.asdict(spec)


def spec_from_dict(data: dict[str, Any]) -> CellSpec:
    """Rebuild a CellSpec from spec_to_dict's output (e.g. a saved result's attrs)."""
    try:
        fields_ = dict(data)
        fields_["ions"] = Ions(**fields_["ions"])
        fields_["channels"] = Channels(**fields_["channels"])
        fields_["leak"] = Leak(**fields_["leak"])
        for name, cls in {**TISSUE_PARTS, "metabolism": Metabolism}.items():
            if fields_.get(name) is not None:
                fields_[name] = cls(**fields_[name])
        pump = fields_.get("pump")
        if pump is not None:
            pump = dict(pump)
            kind = pump.pop("kind")
            fields_["pump"] = pump_class(kind)(**pump)
        return CellSpec(**fields_)
    except SpecError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SpecError("spec", type(exc).__name__ + ": " + str(exc),
                        "a complete cell specification as written by nakpump") from None


# Internal unit of every numeric leaf parameter (for parsing "140 mM" at the edges).
PARAMETER_UNITS: dict[str, str] = {
    **{name: "mM" for name in ("na_i", "k_i", "cl_i", "na_o", "k_o", "cl_o", "impermeant_i",
                               "impermeant_o", "atp", "adp", "pi", "k_half", "k_slope")},
    **{name: "mS/cm^2" for name in ("g_na", "g_k", "g_m", "g_cl", "g_ahp", "g_ca")},
    **{name: "1/s" for name in ("buffer_k_off", "rate_na", "rate_k", "rate_cl", "rate")},
    **{name: "mM/s" for name in ("kcc2", "nkcc1", "pump_max")},
    **{name: "mg/L" for name in ("bath", "initial", "half", "slope", "failure_half",
                                 "failure_slope")},
    "length": "um", "diameter": "um", "segment_length": "um", "axial_resistivity": "ohm*cm",
    "pump_k_half": "mM", "nkcc1_k_half": "mM", "osmotic_scale": "mM", "tau": "ms",
    "swell_max": "1", "collapse_ratio": "1", "collapse_slope": "1", "use_per_cycle": "1",
    "uptake_max": "mM/s", "oxphos_max": "mM/s", "glycolysis_max": "mM/s",
    "basal_max": "mM/s", "km_adp": "mM", "km_atp_basal": "mM", "buffer_total": "mM",
    "buffer_k_half": "mM", "buffer_k_slope": "mM",
    "na": "mM", "k": "mM", "cl": "mM", "e_ca": "mV", "tau_ca": "ms",
    **{name: "degC" for name in ("temp_c", "temp_ref_c")},
    **{name: "1" for name in ("q10", "phi", "z_impermeant_i", "z_impermeant_o")},
    "capacitance": "uF/cm^2", "area": "um^2", "volume": "um^3", "outside_volume": "um^3",
    "v_init": "mV", "vt": "mV", "tau_m_max": "ms",
    "dg_atp": "kJ/mol",
}


# Units of the fields every pump shares (_Pump); a form's own come from its declaration.
PUMP_UNITS = {"rate_max": "1/(s*um^2)", "temp_ref_c": "degC", "q10": "1", "km_atp": "mM",
              "ouabain_k_on": "1/(uM*s)", "ouabain_k_off": "1/s"}


def parameter_unit(path: str, cell: CellSpec | None = None) -> str | None:
    """Internal unit of a dotted parameter name ("pump.rate_max" → "1/(s*um^2)"); None for
    text. A pump form's parameter ("pump.km_na") has the unit its mechanism declares: the
    cell's pump form's when `cell` is given, else the one every form with that parameter
    declares (None where they differ)."""
    from nakpump.mechanisms import PUMPS

    head, _, last = path.rpartition(".")
    if head == "pump":
        if last in PUMP_UNITS:
            return PUMP_UNITS[last]
        if cell is not None and cell.pump is not None:
            declared = cell.pump.mechanism.params.get(last)
            return None if declared is None else declared.unit
        units = {m.params[last].unit for m in PUMPS.values() if last in m.params}
        return units.pop() if len(units) == 1 else None
    return PARAMETER_UNITS.get(last)
