"""The cell's own ATP (CellSpec.metabolism; preset cortical-metabolic).

Invariants, all exact by construction (design.md): the same amount leaves ATP that enters
ADP and Pi, so ATP + ADP and ATP + Pi are conserved; ATP made − ATP used = Δ([ATP]·volume);
the pump uses one ATP per cycle, i.e. per elementary charge of its current. The initial
rate of ATP loss under a full block of oxidative phosphorylation is analytic.
"""

import pytest

import nakpump as nk
from nakpump.analysis import atp_budget
from nakpump.units import flux_factor

RECORD = ["v", "na_i", "atp_i", "adp_i", "pi_i", "atp_made", "atp_pump", "atp_basal",
          "q_pump"]


@pytest.fixture(scope="module")
def cell():
    return nk.preset("cortical-metabolic")


@pytest.fixture(scope="module")
def ten_minutes(cell):
    """10 min: firing, then 3 min without oxidative phosphorylation, then recovery."""
    proto = [nk.Stimulus(amplitude=6.0, start=30_000.0, stop=90_000.0),
             nk.MetabolicBlock(start=120_000.0, stop=300_000.0)]
    return nk.simulate(cell, 600_000.0, proto, method="adaptive", record=RECORD,
                       record_interval=100.0)


def test_nucleotides_and_phosphate_are_conserved_over_10_minutes(cell, ten_minutes):
    ds = ten_minutes
    adenine = ds.atp_i + ds.adp_i
    phosphate = ds.atp_i + ds.pi_i
    assert float(abs(adenine / (cell.atp + cell.adp) - 1).max()) < 1e-12
    assert float(abs(phosphate / (cell.atp + cell.pi) - 1).max()) < 1e-12
    assert float(ds.atp_i.min()) < 0.8 * cell.atp  # the block really drained ATP


def test_atp_made_minus_used_is_the_change_in_atp(ten_minutes):
    b = atp_budget(ten_minutes)
    assert b.made > 10.0 * abs(b.change)  # a budget with traffic in it
    assert abs(b.imbalance) < 1e-12 * b.made


def test_the_pump_uses_one_atp_per_cycle(cell, ten_minutes):
    # ATP booked to the pump (mM of cell volume) = its charge Q_pump (nC/cm²) × A/(F·Vol)
    end = ten_minutes.isel(time=-1)
    cycles = float(end.q_pump) * flux_factor(cell.area, cell.volume)
    assert float(end.atp_pump) == pytest.approx(cycles, rel=1e-12)


def test_every_ion_is_conserved_while_atp_runs_down(ten_minutes):
    report = nk.conservation(ten_minutes)
    for key in ("na", "k", "cl", "charge"):
        assert report[key] < 1e-9, report


def test_the_metabolic_cell_rests_where_the_cortical_cell_does_with_atp_steady(cell):
    a = nk.resting_state(nk.preset("cortical"))
    b = nk.resting_state(cell)
    assert b.v == pytest.approx(a.v, abs=1e-9)
    assert b.na_i == pytest.approx(a.na_i, rel=1e-9)
    ds = nk.simulate(cell, 20_000.0, method="adaptive", record=["v", "atp_i"])
    assert float(abs(ds.atp_i - cell.atp).max()) < 1e-6 * cell.atp
    assert float(abs(ds.v - a.v).max()) < 1e-4


def test_atp_falls_at_the_analytic_rate_when_oxidative_phosphorylation_stops(cell):
    # At the block's onset only glycolysis still makes ATP: d[ATP]/dt = made_glycolysis −
    # (pump + basal use) = (0.1 − 1) × the resting use, which is 2 × the pump's
    # (preset shares: the pump uses half, glycolysis makes a tenth), pump use = f·I_pump.
    rest = nk.resting_state(cell)
    use = 2.0 * flux_factor(cell.area, cell.volume) * rest.i_pump  # mM/ms
    ds = nk.simulate(cell, 1_050.0, [nk.MetabolicBlock(start=1_000.0)], method="adaptive",
                     rtol=1e-9, record=["atp_i"], record_interval=1.0)
    slope = float(ds.atp_i.sel(time=1_010.0) - ds.atp_i.sel(time=1_000.0)) / 10.0
    assert slope == pytest.approx(-0.9 * use, rel=1e-2)


def test_without_oxidative_phosphorylation_the_cell_depolarises_and_recovers(cell,
                                                                             ten_minutes):
    ds = ten_minutes
    before = ds.sel(time=119_000.0, method="nearest")
    blocked = ds.sel(time=299_000.0, method="nearest")
    after = ds.isel(time=-1)
    assert float(blocked.atp_i) < 0.6 * float(before.atp_i)
    assert float(blocked.v) > float(before.v) + 5.0  # mV
    assert float(blocked.na_i) > float(before.na_i) + 1.0  # mM
    assert float(after.atp_i) == pytest.approx(cell.atp, rel=0.02)


def test_protocols_fit_the_cell(cell):
    with pytest.raises(nk.SpecError, match="use MetabolicBlock"):
        nk.simulate(cell, 10.0, [nk.AtpChange(atp=1.0)])
    with pytest.raises(nk.SpecError, match="makes its own ATP"):
        nk.simulate(nk.preset("cortical"), 10.0, [nk.MetabolicBlock()])


def test_fixed_step_keeps_the_same_invariants(cell):
    ds = nk.simulate(cell, 5_000.0, [nk.Stimulus(amplitude=6.0, start=500.0, stop=2_000.0),
                                     nk.MetabolicBlock(start=1_000.0)],
                     method="fixed", record=RECORD, record_interval=10.0)
    end = ds.isel(time=-1)
    assert abs(float(end.atp_i + end.adp_i) / (cell.atp + cell.adp) - 1) < 1e-12
    b = atp_budget(ds)
    assert abs(b.imbalance) < 1e-12 * b.made
    cycles = float(end.q_pump) * flux_factor(cell.area, cell.volume)
    assert float(end.atp_pump) == pytest.approx(cycles, rel=1e-12)
