"""Every preset computes what it computed before the mechanisms redesign (issue 18).

The numbers are the recording in tests/data/golden.json, made by tests/golden.py with the
engine as it was before the redesign (commit 3ee81c2): final state and spike times of each
preset under a spike train, a pump block, an ATP fall and a K+ rise, by the fixed (dt
0.025 ms) and the adaptive (rtol 1e-10) methods. On the machine that recorded them the
redesigned engine reproduces every number bit for bit. Elsewhere a compiler may round a
vectorised sum differently: the fixed step then moves by ≤ 1e-15 (measured: one ulp in the
start voltage moves its final state by ≤ 9e-16), so its bar is 1e-12 relative (plus 1e-12
absolute for quantities that start at 0); the adaptive method's step sequence is
discontinuous in rounding (the same ulp moves its final state by up to 7e-8 at rtol
1e-10, Cressman 2009), so its bar is 1e-6.
"""

import json

import numpy as np
import pytest

from tests.golden import METHODS, PATH, run

GOLDEN = json.loads(PATH.read_text())


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_preset_matches_its_golden_run(name, method):
    want = GOLDEN[name][method]
    got = run(name, method)
    assert set(want["final"]) <= set(got["final"])  # states added since may not matter
    names = sorted(want["final"])
    a = np.array([got["final"][n] for n in names])
    b = np.array([want["final"][n] for n in names])
    tol = 1e-12 if method == "fixed" else 1e-6
    bad = [n for n, ok in zip(names, np.isclose(a, b, rtol=tol, atol=1e-12)) if not ok]
    assert not bad, {n: (got["final"][n], want["final"][n]) for n in bad}
    assert len(got["spikes"]) == len(want["spikes"])
    np.testing.assert_allclose(got["spikes"], want["spikes"], rtol=tol, atol=1e-12)
