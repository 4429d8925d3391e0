"""Nothing lost, nothing silent (issue 19): outputs checked before a run, written atomically,
never replaced by a failed or interrupted run; faults and signals stop a run cleanly.

The facts asserted are the storage contract of nakpump.storage (a file at the requested
path holds the old bytes or a whole new result), the exit statuses the README documents
(2 bad input, 3 a failed run, 128 + signal) and, for faults, the physics bound a state
must keep (concentrations and volume > 0, finite values, |V| ≤ 1000 mV).
"""

import json
import os
import random
import signal
import stat
import subprocess
import time

import numpy as np
import pytest
import xarray as xr

import nakpump as nk
from nakpump import interrupt
from nakpump.errors import IntegrationError, RunInterrupted, SpecError
from nakpump.protocols import Stimulus
from nakpump.storage import Claim, check_output_path, load_netcdf, part_path, save_netcdf
from tests.clitools import assert_clean_error, command, nakpump

RUN = ("run", "--preset", "hh-1952", "--duration", "5ms")


def test_an_existing_file_is_kept_unless_overwrite(tmp_path):
    out = tmp_path / "a.nc"
    out.write_bytes(b"precious")
    assert_clean_error(nakpump(*RUN, "-o", str(out)), "--output", "--overwrite")
    assert out.read_bytes() == b"precious"
    proc = nakpump(*RUN, "-o", str(out), "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert load_netcdf(out).attrs["preset"] == "hh-1952"
    # the API refuses the same way
    with pytest.raises(SpecError, match="overwrite"):
        nk.simulate(nk.preset("hh-1952"), 1.0, output=out)


def test_a_read_only_file_is_never_replaced(tmp_path):
    out = tmp_path / "ro.nc"
    out.write_bytes(b"keep me")
    out.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    assert_clean_error(nakpump(*RUN, "-o", str(out), "--overwrite"), "--output", "read-only")
    assert out.read_bytes() == b"keep me"


@pytest.mark.parametrize("target, fragment", [
    ("dir", "not a directory"), ("/dev/null", "not a character device"),
    ("fifo", "not a FIFO"), ("missing/x.nc", "does not exist"), ("x.csv", "ending in .nc"),
])
def test_unusable_output_paths_are_refused_before_the_run(tmp_path, target, fragment):
    path = tmp_path / target if not target.startswith("/") else target
    if target == "dir":
        path.mkdir()
    elif target == "fifo":
        os.mkfifo(path)
    t0 = time.perf_counter()
    assert_clean_error(nakpump("run", "--preset", "cortical", "--duration", "1h", "-o",
                               str(path)), "--output", fragment)
    assert time.perf_counter() - t0 < 60  # refused first: an hour of cortical takes longer


def test_the_runs_own_input_and_a_path_given_twice_are_refused(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text('preset = "hh-1952"\nduration = "5 ms"\n')
    before = scenario.read_bytes()
    assert_clean_error(nakpump("run", str(scenario), "-o", str(scenario), "--overwrite"),
                       "the run's own input")
    assert scenario.read_bytes() == before
    out = tmp_path / "a.nc"
    assert_clean_error(nakpump(*RUN, "-o", str(out), "--csv", str(out)), "--csv",
                       "other than --output")
    assert not out.exists()


def test_a_second_writer_is_refused_while_the_first_holds_the_path(tmp_path):
    # flock is per open file description: a second claim in this process meets the
    # first's lock as another process would
    out = tmp_path / "shared.nc"
    with Claim(out) as first:
        first.part.write_text("first")
        with pytest.raises(SpecError, match=rf"pid {os.getpid()}"):
            Claim(out).__enter__()
        assert_clean_error(nakpump(*RUN, "-o", str(out)), "no other run is writing")
        first.publish()
    assert out.read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.nc"]  # lock and part gone


def test_a_stale_part_file_is_reported_and_removed(tmp_path):
    out = tmp_path / "r.nc"
    part_path(out).write_bytes(b"\x89HDF half a file")
    with pytest.warns(UserWarning, match="was killed, removed"):
        save_netcdf(xr.Dataset({"x": ("t", np.arange(3.0))}, attrs={"spec": "{}"}), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.nc"]


def test_a_numerical_fault_exits_3_names_variable_and_time_and_keeps_the_old_file(tmp_path):
    # −1000 µA/cm² carried by K+ drives V past any membrane's bound within a millisecond
    out = tmp_path / "f.nc"
    out.write_bytes(b"old result")
    proc = nakpump("run", "--preset", "cortical", "--duration", "200ms", "--stimulus",
                   "-1000 uA/cm^2@10ms", "-o", str(out), "--overwrite")
    assert_clean_error(proc, "cell 'cortical'", "physical range", "beyond ±1000 mV",
                       "-1000 µA/cm² carried by K+", status=3)
    t_fail = float(proc.stderr.split("t = ")[1].split(" ms")[0])
    assert 10.0 <= t_fail <= 14.0  # the stimulus starts at 10 ms
    assert out.read_bytes() == b"old result"
    failed = xr.open_dataset(tmp_path / "f.failed.nc", engine="h5netcdf")
    assert failed.attrs["status"] == "failed" and float(failed.time[-1]) < t_fail
    assert np.isfinite(failed.v.values).all()  # only the good chunks were kept


def test_a_population_fault_names_the_cell(squid):
    amps = np.array([0.0, 0.0, -5000.0, 0.0])
    with pytest.raises(IntegrationError, match=r"'hh-squid #2'.*physical range"):
        nk.simulate_population(squid, 50.0, [Stimulus(amplitude=0.0, start=1.0)],
                               parameters={"protocol[0].amplitude": amps})


def test_an_interrupted_api_run_sets_aside_what_it_streamed(tmp_path, cortical):
    # a signal's request (interrupt.graceful_signals) is honoured after the chunk it lands in
    out = tmp_path / "i.nc"

    def press_ctrl_c(t, _total):
        if t > 300.0:
            interrupt._requested.append(signal.SIGTERM)

    with interrupt.graceful_signals(), pytest.raises(RunInterrupted) as caught:
        nk.simulate(cortical, 1000.0, [Stimulus(amplitude=3.0)], output=out,
                    progress=press_ctrl_c)
    err = caught.value
    assert err.signum == signal.SIGTERM and 300.0 < err.t < 1000.0
    assert not out.exists() and err.saved == tmp_path / "i.interrupted.nc"
    kept = load_netcdf(err.saved)
    assert kept.attrs["status"] == "interrupted" and kept.attrs["completed_ms"] == err.t
    # what it holds is the run so far, sample for sample the uninterrupted run's
    whole = nk.simulate(cortical, 1000.0, [Stimulus(amplitude=3.0)])
    n = kept.sizes["time"]
    np.testing.assert_array_equal(kept.v.values, whole.v.values[:n])
    state = json.loads(kept.attrs["final_state"])
    assert set(state) >= {"v", "na_i", "k_i"} and np.isfinite(list(state.values())).all()


LONG = ("run", "--preset", "cortical", "--duration", "600s", "--method", "fixed", "--dt",
        "0.01ms", "--stimulus", "3 uA/cm^2")  # ~5 s of computing, spiking throughout


def _start_long_run(path):
    """A 10-minute cortical run streaming to path, once it has begun to write."""
    proc = subprocess.Popen(command(*LONG, "-o", str(path), "--overwrite"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not part_path(path).exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(random.uniform(0.2, 1.5))
    return proc


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The long run, never interrupted: what a resumed run must equal."""
    out = tmp_path_factory.mktemp("whole") / "whole.nc"
    assert nakpump(*LONG, "-o", str(out)).returncode == 0
    return load_netcdf(out)


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signalled_run_stops_keeps_a_readable_file_and_resumes(tmp_path, uninterrupted,
                                                                   sig, status):
    out = tmp_path / "long.nc"
    out.write_bytes(b"yesterday's result")
    proc = _start_long_run(out)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == status, stderr
    assert f"interrupted by {signal.Signals(sig).name}" in stderr and "Traceback" not in stderr
    assert out.read_bytes() == b"yesterday's result"
    kept = load_netcdf(tmp_path / "long.interrupted.nc")
    assert kept.attrs["status"] == "interrupted"
    assert 0.0 < kept.attrs["completed_ms"] < 6e5
    assert kept.sizes["time"] > 0 and float(kept.time[-1]) < kept.attrs["completed_ms"]
    assert not part_path(out).exists()
    # --resume finishes it: the whole run, bit for bit (the fixed step, same steps)
    proc = nakpump(*LONG, "-o", str(out), "--overwrite", "--resume")
    assert proc.returncode == 0, proc.stderr
    resumed = load_netcdf(out)
    for name in uninterrupted.data_vars:
        np.testing.assert_array_equal(resumed[name].values, uninterrupted[name].values)
    np.testing.assert_array_equal(resumed.time.values, uninterrupted.time.values)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.nc"]


def _killed_run(out):
    """A long run to out, killed with SIGKILL once it has streamed two chunks."""
    out.write_bytes(b"yesterday's result")
    proc = subprocess.Popen(command(*LONG, "-o", str(out), "--overwrite"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while True:  # the part file is closed between chunks: readable then
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        try:
            with xr.open_dataset(part_path(out), engine="h5netcdf") as ds:
                if ds.attrs.get("completed_ms", 0.0) >= 24_000.0:
                    break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    time.sleep(random.uniform(0.0, 0.3))
    proc.kill()
    proc.communicate(timeout=60)
    assert out.read_bytes() == b"yesterday's result"
    assert part_path(out).exists()  # what SIGKILL leaves


def test_after_sigkill_the_old_file_is_intact_and_resume_finishes_the_run(tmp_path,
                                                                           uninterrupted):
    out = tmp_path / "k.nc"
    _killed_run(out)
    proc = nakpump(*LONG, "-o", str(out), "--overwrite", "--resume")
    assert proc.returncode == 0, proc.stderr
    resumed = load_netcdf(out)
    for name in uninterrupted.data_vars:
        np.testing.assert_array_equal(resumed[name].values, uninterrupted[name].values)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.nc"]


def test_after_sigkill_the_next_run_reports_and_removes_the_part(tmp_path):
    out = tmp_path / "k.nc"
    _killed_run(out)
    proc = nakpump(*RUN, "-o", str(out), "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert "was killed, removed" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.nc"]


def test_files_get_the_umask_mode_and_the_umask_is_untouched(tmp_path):
    old = os.umask(0o027)
    try:
        out = save_netcdf(xr.Dataset(attrs={"spec": "{}"}), tmp_path / "m.nc")
        assert stat.S_IMODE(out.stat().st_mode) == 0o640
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(old)


def test_check_output_path_refuses_what_is_not_a_path():
    for bad in (None, 3, "", "  "):
        with pytest.raises(SpecError, match="a file path"):
            check_output_path(bad)


def test_run_summaries_say_what_is_conserved():
    proc = nakpump(*RUN)
    assert "conservation: no ions tracked (fixed concentrations)" in proc.stdout
    proc = nakpump("run", "--preset", "cortical", "--duration", "5ms")
    assert "conservation (max relative error): na" in proc.stdout


def test_a_run_split_in_two_equals_the_run_in_one_piece(cortical):
    # the fixed step: bit for bit; the adaptive method (a fresh step at the split): spike
    # times within a tolerance-sized error (docs/integrators.md: ~1e-6 ms at rtol 1e-8)
    proto = [Stimulus(amplitude=3.0, start=100.0, stop=900.0),
             nk.PumpBlock(start=400.0, stop=700.0)]  # both span the split at 500 ms
    whole = nk.simulate(cortical, 1000.0, proto, method="fixed")
    first = nk.simulate(cortical, 1000.0, proto, method="fixed", until=500.0)
    second = nk.simulate(cortical, 1000.0, proto, method="fixed", initial=first)
    assert second.time.values[0] == 500.0 and second.time.values[-1] == 1000.0
    n = first.sizes["time"]
    np.testing.assert_array_equal(second.v.values, whole.v.values[n - 1:])
    np.testing.assert_array_equal(second.na_i.values, whole.na_i.values[n - 1:])
    spikes = np.concatenate((first.spike_time.values, second.spike_time.values))
    np.testing.assert_array_equal(spikes, whole.spike_time.values)
    joined = nk.simulate(cortical, 1000.0, proto, method="fixed", initial=first, join=True)
    for name in whole.data_vars:
        np.testing.assert_array_equal(joined[name].values, whole[name].values)
    tol = {"method": "adaptive", "rtol": 1e-8, "atol": 1e-8}
    whole = nk.simulate(cortical, 1000.0, proto, **tol)
    first = nk.simulate(cortical, 1000.0, proto, until=500.0, **tol)
    second = nk.simulate(cortical, 1000.0, proto, initial=first, **tol)
    spikes = np.concatenate((first.spike_time.values, second.spike_time.values))
    assert spikes.size == whole.spike_time.size >= 10
    assert np.max(np.abs(spikes - whole.spike_time.values)) < 1e-4
    assert abs(float(second.na_i[-1] - whole.na_i[-1])) < 1e-8


def test_from_continues_a_saved_result_on_the_command_line(tmp_path, hh):
    first, second = tmp_path / "a.nc", tmp_path / "b.nc"
    args = ("run", "--preset", "hh-1952", "--duration", "40ms", "--stimulus",
            "10 uA/cm^2@5ms:35ms", "--method", "fixed")
    assert nakpump("run", "--preset", "hh-1952", "--duration", "20ms", "--stimulus",
                   "10 uA/cm^2@5ms:20ms", "--method", "fixed", "-o", str(first)).returncode == 0
    proc = nakpump(*args, "--from", str(first), "-o", str(second))
    assert proc.returncode == 0, proc.stderr
    b = load_netcdf(second)
    whole = nk.simulate(hh, 40.0, [Stimulus(amplitude=10.0, start=5.0, stop=35.0)],
                        method="fixed")
    assert float(b.time[0]) == 20.0 and b.attrs["start_ms"] == 20.0
    np.testing.assert_array_equal(b.spike_time.values,
                                  whole.spike_time.values[whole.spike_time.values > 20.0])
    assert_clean_error(nakpump(*args, "--resume"), "--resume", "--output")
