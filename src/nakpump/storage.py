"""Results on disk: NetCDF (CF-style attrs), streamed or whole, and CSV, written atomically.

A result is written to a temporary file beside its destination and renamed on
success, so an interrupted or failed write never leaves a partial file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
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


class ResultStream:
    """Write a run's recording to NetCDF chunk by chunk, so memory stays flat.

    Variables are created with the units and long_name of results.VARIABLES
    on an unlimited time dimension (dims (cell, time) for a population of
    n_cells); spike times go on an unlimited spike dimension (with the index
    of the spiking cell for a population). The file is written under a
    temporary name and renamed by finish(); leaving the `with` block without
    finish() removes it.
    """

    def __init__(self, path: str | os.PathLike, names: tuple[str, ...],
                 n_cells: int | None = None):
        from nakpump.results import variable_attrs

        self.path = check_output_path(path)
        self.names = names
        self.n_cells = n_cells
        self._attrs = variable_attrs
        fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part",
                                         dir=self.path.parent)
        os.close(fd)
        self._done = False

    def __enter__(self) -> ResultStream:
        import h5netcdf

        self._file = h5netcdf.File(self._tmp, "w")
        self._file.dimensions = {"time": None, "spike": None}
        dims: tuple[str, ...] = ("time",)
        chunk: tuple[int, ...] = (65_536,)
        if self.n_cells is not None:
            self._file.dimensions["cell"] = self.n_cells
            dims = ("cell", "time")
            chunk = (min(self.n_cells, 256), 256)
        var = self._file.create_variable("time", ("time",), float, chunks=(65_536,))
        var.attrs.update(self._attrs("time"))
        for name in self.names:
            var = self._file.create_variable(name, dims, float, chunks=chunk)
            var.attrs.update(self._attrs(name))
        var = self._file.create_variable("spike_time", ("spike",), float, chunks=(4096,))
        var.attrs.update(self._attrs("spike_time"))
        if self.n_cells is not None:
            var = self._file.create_variable("spike_cell", ("spike",), "i4", chunks=(4096,))
            var.attrs.update(self._attrs("spike_cell"))
        return self

    def _extend(self, dim: str, names: list[str], columns: list[np.ndarray]) -> None:
        n0 = self._file.dimensions[dim].size
        n1 = n0 + columns[0].shape[-1]
        self._file.resize_dimension(dim, n1)
        for name, values in zip(names, columns):
            self._file.variables[name][..., n0:n1] = values

    def append(self, time: np.ndarray, columns: dict[str, np.ndarray], spikes: np.ndarray,
               spike_cells: np.ndarray | None = None) -> None:
        """Add samples (time in ms; per variable an array over time, or (cell, time) for
        a population) and spike times (with the spiking cells' indices for a population)."""
        if time.size:
            self._extend("time", ["time", *columns], [time, *columns.values()])
        if spikes.size:
            names, cols = ["spike_time"], [spikes]
            if self.n_cells is not None:
                names.append("spike_cell")
                cols.append(spike_cells)
            self._extend("spike", names, cols)

    def add(self, name: str, dims: tuple[str, ...], values: np.ndarray, attrs: dict) -> None:
        """Write a whole variable at once (e.g. per-cell summaries at the end of a run)."""
        var = self._file.create_variable(name, dims, data=np.asarray(values))
        var.attrs.update(attrs)

    def finish(self, attrs: dict[str, str]) -> None:
        """Write the run's attributes, close and move the file into place."""
        self._file.attrs.update(attrs)
        self._file.close()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self._tmp, 0o666 & ~umask)
        os.replace(self._tmp, self.path)
        self._done = True

    def __exit__(self, *exc) -> None:
        if not self._done:
            self._file.close()
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)


def open_result(path: str | os.PathLike) -> xr.Dataset:
    """A result on disk, opened lazily: data, the time axis included, are read when used."""
    try:
        return xr.open_dataset(path, engine=NETCDF_ENGINE, create_default_indexes=False)
    except TypeError:  # xarray before 2025.x builds the time index when opening
        return xr.open_dataset(path, engine=NETCDF_ENGINE)
