"""Every preset computes what it computed before the mechanisms redesign (issue 18).

The numbers are the recording in tests/data/golden.json (tests/golden.py made it, before
any engine change): final state and spike times of each preset under a spike train, a
pump block, an ATP fall and a K+ rise, by the fixed (dt 0.025 ms) and the adaptive
(rtol 1e-6) methods. A rearranged but equivalent engine may change sums' order only, so
the bar is 1e-12 relative (plus 1e-12 absolute for quantities that start at 0).
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
    bad = [n for n, ok in zip(names, np.isclose(a, b, rtol=1e-12, atol=1e-12)) if not ok]
    assert not bad, {n: (got["final"][n], want["final"][n]) for n in bad}
    assert len(got["spikes"]) == len(want["spikes"])
    np.testing.assert_allclose(got["spikes"], want["spikes"], rtol=1e-12, atol=1e-12)
