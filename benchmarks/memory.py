"""Peak memory of long runs: flat in simulated time when only spikes are kept (prints a table).

    python benchmarks/memory.py [--minutes 1 10 60]

Each run happens in a fresh subprocess (the cortical cell firing at ~5 Hz under a
3 µA/cm² drive, pumps blocked from 60 s, or half-way through shorter runs), and its peak
resident set size is read from getrusage. Recording V at 1 ms in memory grows by 16
bytes per sample (value and time); streamed to NetCDF (output=...) or with spikes only
(record=[]) memory stays flat: the conservation report keeps at most 10 000 full states
however long the run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = """
import json, os, resource, sys, tempfile, time
import nakpump as nk
minutes, method, record = float(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
stream = sys.argv[4] == "stream"
cell = nk.preset("cortical")
proto = [nk.Stimulus(amplitude=3.0), nk.PumpBlock(start=min(60_000.0, minutes * 30_000.0))]
output = os.path.join(tempfile.mkdtemp(), "run.nc") if stream else None
nk.simulate(cell, 100.0, method=method)  # compile / load caches before measuring
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
ds = nk.simulate(cell, minutes * 60_000.0, proto, method=method, record=record,
                 record_interval=1.0 if record else None, output=output)
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"wall": wall, "peak_mb": peak / 1024, "base_mb": base / 1024,
                  "spikes": int(ds.spike_time.size), "samples": int(ds.time.size)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 10.0, 60.0])
    args = parser.parse_args()
    print(f"{'method':<10}{'recording':<14}{'minutes':>8}{'wall (s)':>10}{'spikes':>8}"
          f"{'samples':>10}{'peak RSS (MB)':>15}{'above start (MB)':>18}")
    for method in ("adaptive", "fixed"):
        for record, mode, label in (([], "memory", "spikes only"),
                                    (["v"], "memory", "V 1 ms, RAM"),
                                    (["v"], "stream", "V 1 ms, disk")):
            for minutes in args.minutes:
                out = subprocess.run([sys.executable, "-c", CHILD, str(minutes), method,
                                      json.dumps(record), mode], capture_output=True,
                                     text=True, check=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"{method:<10}{label:<14}{minutes:>8g}{r['wall']:>10.2f}{r['spikes']:>8}"
                      f"{r['samples']:>10}{r['peak_mb']:>15.1f}"
                      f"{r['peak_mb'] - r['base_mb']:>18.1f}")


if __name__ == "__main__":
    main()
