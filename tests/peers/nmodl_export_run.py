"""Run a preset's cell in NEURON with its pump exported by nakpump.nmodl (a subprocess of
test_nmodl_export.py: its mechanism library must not meet the peer's own in one process).

    python nmodl_export_run.py PRESET WORKDIR DURATION_MS STIM_UA STIM_START_MS

Writes WORKDIR/mod (the exported pump and the peer's channel, leak, accumulation and
stimulus mechanisms), builds it in WORKDIR/build and prints the run as JSON.
"""

import json
import shutil
import sys
from pathlib import Path

import neuron_cortical as peer

import nakpump as nk
from nakpump.nmodl import pump_mod

name, work = sys.argv[1], Path(sys.argv[2])
duration, amp, start = (float(x) for x in sys.argv[3:6])
cell = nk.preset(name)
mod_dir = work / "mod"
mod_dir.mkdir(parents=True, exist_ok=True)
for mech in peer.MECHANISMS:
    if mech != "nkp_pump":
        shutil.copy(peer.MOD_DIR / f"{mech}.mod", mod_dir)
suffix = "nkp_export"
(mod_dir / f"{suffix}.mod").write_text(pump_mod(cell, suffix=suffix))
peer.load_mechanisms(work / "build", mod_dir)
out = peer.run_neuron(cell, duration, amp, start, rtol=1e-10, atol=1e-10,
                      record_interval=1.0, pump_suffix=suffix)
print(json.dumps({k: out[k].tolist() for k in ("t", "v", "nai", "spikes")}))
