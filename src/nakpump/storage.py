"""Results on disk: NetCDF (CF-style attrs) and CSV, written atomically.

A result is written to a temporary file beside its destination and renamed on
success, so an interrupted or failed write never leaves a partial file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import xarray as xr

from nakpump.errors import SpecError

NETCDF_ENGINE = "h5netcdf"


def check_output_path(path: str | os.PathLike, field: str = "output") -> Path:
    """The output path as a Path, refused (SpecError) if its directory does not exist."""
    out = Path(path)
    if not out.parent.exists() or not out.parent.is_dir():
        raise SpecError(field, str(path), f"a path in an existing directory "
                                          f"('{out.parent}' does not exist)")
    if out.exists() and out.is_dir():
        raise SpecError(field, str(path), "a file path, not a directory")
    return out


def atomic_write(path: Path, write) -> Path:
    """Call write(tmp) on a temporary file beside path, then rename it to path.

    On any error the temporary file is removed and nothing appears at path.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def save_netcdf(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write a result to NetCDF-4 (h5netcdf), atomically."""
    out = check_output_path(path)
    return atomic_write(out, lambda tmp: ds.to_netcdf(tmp, engine=NETCDF_ENGINE))


def load_netcdf(path: str | os.PathLike) -> xr.Dataset:
    """Read a result written by save_netcdf (fully loaded, file closed)."""
    p = Path(path)
    if not p.is_file():
        raise SpecError("result", str(path), "an existing NetCDF file written by nakpump")
    try:
        with xr.open_dataset(p, engine=NETCDF_ENGINE) as ds:
            loaded = ds.load()
    except (OSError, ValueError) as exc:
        raise SpecError("result", str(path), f"a NetCDF file written by nakpump ({exc})") from None
    if "spec" not in loaded.attrs:
        raise SpecError("result", str(path), "a NetCDF file written by nakpump (no 'spec' attr)")
    return loaded


def save_csv(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write the time series (one column per variable, units in the header) as CSV."""
    out = check_output_path(path)
    frame = ds.drop_vars("spike_time").drop_dims("spike", errors="ignore").to_dataframe()
    frame.columns = [f"{c} [{ds[c].attrs.get('units', '')}]" for c in frame.columns]
    frame.index.name = "time [ms]"
    return atomic_write(out, lambda tmp: frame.to_csv(tmp))
