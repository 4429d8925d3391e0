"""Results on disk: NetCDF (CF-style attrs), streamed or whole, and CSV; nothing lost.

Every output is checked before a run starts (check_output_path, check_outputs):
a directory, device, FIFO or socket, the run's own input, a path given twice,
an existing file (unless overwrite), a read-only file (always) and an
unwritable directory are refused with a SpecError naming the field.

Every output is written through a claim on its path (claim): a lock file
`.NAME.lock` beside it refuses a second writer, and the data go to `.NAME.part`,
which is fsynced and then renamed onto the path (the directory fsynced too), so
the path holds either its old content or the whole new result, even after a
power cut. A run that fails or is interrupted never replaces the path: what it
streamed is set aside as `STEM.failed.nc` or `STEM.interrupted.nc` (marked in
its attrs). A `.part` left by a killed process is reported and removed by the
next run to that path. Files are created with the mode the process's umask
gives; the umask is never changed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import xarray as xr

from nakpump.errors import SpecError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, one writer assumed
    fcntl = None

NETCDF_ENGINE = "h5netcdf"
NETCDF_SUFFIXES = (".nc", ".nc4", ".h5", ".hdf5")


def _kind(mode: int) -> str | None:
    """What a file that is not a regular file is ('a directory', 'a FIFO', …)."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return None


def check_output_path(path: str | os.PathLike, field: str = "output", *,
                      overwrite: bool = False, inputs=(), suffixes=()) -> Path:
    """The output path as a Path, or SpecError naming `field` if a run must not write it.

    Refused: a path that is not a string or path, an empty one, one in a directory
    that does not exist or cannot be written, a directory, device, FIFO or socket,
    one of `inputs` (the run's own input files), an existing file unless overwrite,
    a read-only file (never replaced), and a name not ending in one of `suffixes`
    (if given).
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise SpecError(field, path, "a file path")
    out = Path(path)
    parent = out.parent
    if not parent.is_dir():
        raise SpecError(field, str(path), f"a path in an existing directory "
                                          f"('{parent}' does not exist)")
    if out.is_symlink() and not out.exists():
        raise SpecError(field, str(path), "a path that is not a broken symbolic link")
    try:
        info = out.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise SpecError(field, str(path), f"a path that can be written ({exc.strerror})") \
            from None
    if info is not None:
        kind = _kind(info.st_mode)
        if kind is not None:
            raise SpecError(field, str(path), f"a file path, not {kind}")
        for source in inputs:
            with contextlib.suppress(OSError):
                if source is not None and os.path.samefile(out, source):
                    raise SpecError(field, str(path),
                                    "a path other than the run's own input file")
        if not os.access(out, os.W_OK) or not info.st_mode & 0o222:  # root ignores modes
            raise SpecError(field, str(path), "a writable path (the file is read-only; "
                                              "nakpump never replaces a read-only file)")
        if not overwrite:
            raise SpecError(field, str(path), "a path with no file yet (or --overwrite / "
                                              "overwrite=True to replace it)")
    if suffixes and out.suffix.lower() not in suffixes:
        raise SpecError(field, str(path), "a file name ending in " + " or ".join(suffixes))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SpecError(field, str(path), f"a path in a directory this process can write "
                                          f"('{parent}' is not writable)")
    return out


def check_outputs(outputs: dict[str, tuple[str | os.PathLike | None, tuple[str, ...]]], *,
                  overwrite: bool = False, inputs=()) -> dict[str, Path]:
    """check_output_path for each of a run's outputs ({field: (path or None, suffixes)}),
    and refuse two fields naming the same file."""
    given = {field: Path(path) for field, (path, _) in outputs.items()
             if isinstance(path, (str, os.PathLike))}
    for k, (field, out) in enumerate(given.items()):
        for other, seen in list(given.items())[:k]:
            if out.resolve() == seen.resolve():
                raise SpecError(field, str(out), f"a path other than {other}'s")
    checked: dict[str, Path] = {}
    for field, (path, suffixes) in outputs.items():
        if path is not None:
            checked[field] = check_output_path(path, field, overwrite=overwrite, inputs=inputs,
                                               suffixes=suffixes)
    return checked


def part_path(path: Path) -> Path:
    """Where a result for path is written until it is complete."""
    return path.parent / f".{path.name}.part"


def _lock_path(path: Path) -> Path:
    return path.parent / f".{path.name}.lock"


@contextlib.contextmanager
def locked(path: Path, field: str) -> Iterator[None]:
    """Hold the advisory lock of path, or SpecError if another process holds it."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    lock = _lock_path(path)
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise SpecError(field, str(path), f"a path no other run is writing ({holder} "
                                              f"is writing it)") from None
        try:  # the lock file may have been replaced between open and flock: retry then
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"nakpump (pid {os.getpid()} on {socket.gethostname()}, since "
                     f"{time.strftime('%Y-%m-%d %H:%M:%S')})".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":  # pragma: no cover - directories cannot be opened elsewhere
        return
    _fsync(directory)


class Claim:
    """The right to write one output path for the length of a `with` block.

    Inside, write to `claim.part`; `claim.publish()` moves it onto the path (fsync,
    rename, fsync of the directory); `claim.set_aside(tag)` moves it to STEM.tag.SUFFIX
    instead (never replacing a file) and returns that path. Leaving the block without
    either removes the part file. A stale part file from a killed run is removed, with a
    warning, when the claim is made.
    """

    def __init__(self, path: str | os.PathLike, field: str = "output", *,
                 overwrite: bool = False):
        self.path = check_output_path(path, field, overwrite=overwrite)
        self.field = field
        self.overwrite = overwrite
        self.part = part_path(self.path)
        self._lock = locked(self.path, field)

    def __enter__(self) -> Claim:
        self._lock.__enter__()
        if self.part.exists():
            size = self.part.stat().st_size
            self.part.unlink()
            warnings.warn(f"{self.part} ({size} bytes), left by a run to {self.path} that "
                          f"was killed, removed", stacklevel=3)
        return self

    def publish(self) -> Path:
        """Move the finished part file onto the path; SpecError (data set aside) if a file
        appeared at the path during the run and overwrite is off."""
        _fsync(self.part)
        if self.overwrite:
            os.replace(self.part, self.path)
        else:
            try:
                os.link(self.part, self.path)  # atomic and never replaces a file
            except FileExistsError:
                kept = self.set_aside("new")
                raise SpecError(self.field, str(self.path), f"a path with no file yet (a file "
                                                            f"appeared there during the run; "
                                                            f"the result is in {kept})") from None
            except OSError:  # pragma: no cover - no hard links here (e.g. FAT)
                if self.path.exists():
                    raise
                os.replace(self.part, self.path)
            else:
                os.unlink(self.part)
        _fsync_dir(self.path.parent)
        return self.path

    def set_aside(self, tag: str) -> Path:
        """Move the part file to STEM.tag.SUFFIX (STEM.tag-2.SUFFIX, … if taken)."""
        stem, suffix = self.path.stem, self.path.suffix
        for k in range(1, 1000):
            name = f"{stem}.{tag}{suffix}" if k == 1 else f"{stem}.{tag}-{k}{suffix}"
            kept = self.path.parent / name
            try:
                os.link(self.part, kept)
            except FileExistsError:
                continue
            except OSError:  # pragma: no cover - no hard links
                if kept.exists():
                    continue
                os.replace(self.part, kept)
                return kept
            os.unlink(self.part)
            return kept
        raise SpecError(self.field, str(self.path), f"a directory without 999 '{tag}' "
                                                    f"files already")  # pragma: no cover

    def __exit__(self, *exc) -> None:
        try:
            with contextlib.suppress(FileNotFoundError):
                self.part.unlink()
        finally:
            self._lock.__exit__(*exc)


def atomic_write(path: str | os.PathLike, write, *, field: str = "output",
                 overwrite: bool = False) -> Path:
    """Call write(tmp) on the part file of path, then publish it (see Claim).

    On any error nothing appears at path and an existing file there is untouched.
    """
    with Claim(path, field, overwrite=overwrite) as claim:
        write(claim.part)
        return claim.publish()


def save_netcdf(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a result to NetCDF-4 (h5netcdf), atomically."""
    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine=NETCDF_ENGINE),
                        overwrite=overwrite)


def load_netcdf(path: str | os.PathLike) -> xr.Dataset:
    """Read a result written by save_netcdf (fully loaded, file closed)."""
    p = Path(path)
    if not p.is_file():
        raise SpecError("result", str(path), "an existing NetCDF file written by nakpump")
    try:
        with xr.open_dataset(p, engine=NETCDF_ENGINE) as ds:
            loaded = ds.load()
    except Exception as exc:  # h5py and xarray raise many kinds on a file that is not theirs
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise SpecError("result", str(path), f"a NetCDF file written by nakpump ({reason})") \
            from None
    if "spec" not in loaded.attrs:
        raise SpecError("result", str(path), "a NetCDF file written by nakpump (no 'spec' attr)")
    return loaded


def save_csv(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write the time series (one column per variable, units in the header) as CSV."""
    frame = ds.drop_vars("spike_time").drop_dims("spike", errors="ignore").to_dataframe()
    frame.columns = [f"{c} [{ds[c].attrs.get('units', '')}]" for c in frame.columns]
    frame.index.name = "time [ms]"
    return atomic_write(path, lambda tmp: frame.to_csv(tmp), field="--csv", overwrite=overwrite)


class ResultStream:
    """Write a run's recording to NetCDF chunk by chunk, so memory stays flat.

    Variables are created with the units and long_name of results.VARIABLES
    on an unlimited time dimension (dims (cell, time) for a population of
    n_cells); spike times go on an unlimited spike dimension (with the index
    of the spiking cell for a population). The data go to the claim's part file,
    which is opened for each chunk and closed after it with the attrs given (the run
    so far: its final state, the time it reached, status "incomplete"): a run killed
    between two writes leaves a readable file to resume from (`nakpump run --resume`).
    finish() publishes it; abandon() sets it aside as a readable file marked failed or
    interrupted; leaving the `with` block without either removes it.
    """

    def __init__(self, path: str | os.PathLike, names: tuple[str, ...],
                 n_cells: int | None = None, *, overwrite: bool = False):
        from nakpump.results import variable_attrs

        self._claim = Claim(path, overwrite=overwrite)
        self.path = self._claim.path
        self.names = names
        self.n_cells = n_cells
        self._attrs = variable_attrs
        self._done = False

    @contextlib.contextmanager
    def _open(self, mode: str = "a"):
        import h5netcdf

        # our own lock (Claim) keeps other writers out; HDF5's would make a reader that
        # opens the part file (ncdump, a progress check) fail this run's next write
        with h5netcdf.File(self._claim.part, mode, locking=False) as f:
            yield f

    def __enter__(self) -> ResultStream:
        self._claim.__enter__()
        try:
            with self._open("w") as f:
                self._create(f)
        except BaseException:
            self._claim.__exit__(None, None, None)
            raise
        return self

    def _create(self, f) -> None:
        f.dimensions = {"time": None, "spike": None}
        dims: tuple[str, ...] = ("time",)
        chunk: tuple[int, ...] = (65_536,)
        if self.n_cells is not None:
            f.dimensions["cell"] = self.n_cells
            dims = ("cell", "time")
            chunk = (min(self.n_cells, 256), 256)
        var = f.create_variable("time", ("time",), float, chunks=(65_536,))
        var.attrs.update(self._attrs("time"))
        for name in self.names:
            var = f.create_variable(name, dims, float, chunks=chunk)
            var.attrs.update(self._attrs(name))
        var = f.create_variable("spike_time", ("spike",), float, chunks=(4096,))
        var.attrs.update(self._attrs("spike_time"))
        if self.n_cells is not None:
            var = f.create_variable("spike_cell", ("spike",), "i4", chunks=(4096,))
            var.attrs.update(self._attrs("spike_cell"))
        f.attrs["status"] = "incomplete"

    @staticmethod
    def _extend(f, dim: str, names: list[str], columns: list[np.ndarray]) -> None:
        n0 = f.dimensions[dim].size
        n1 = n0 + columns[0].shape[-1]
        f.resize_dimension(dim, n1)
        for name, values in zip(names, columns):
            f.variables[name][..., n0:n1] = values

    def append(self, time: np.ndarray, columns: dict[str, np.ndarray], spikes: np.ndarray,
               spike_cells: np.ndarray | None = None, attrs: dict | None = None) -> None:
        """Add samples (time in ms; per variable an array over time, or (cell, time) for
        a population) and spike times (with the spiking cells' indices for a population),
        and set attrs (the run so far)."""
        with self._open() as f:
            if time.size:
                self._extend(f, "time", ["time", *columns], [time, *columns.values()])
            if spikes.size:
                names, cols = ["spike_time"], [spikes]
                if self.n_cells is not None:
                    names.append("spike_cell")
                    cols.append(spike_cells)
                self._extend(f, "spike", names, cols)
            f.attrs.update(attrs or {})

    def add(self, name: str, dims: tuple[str, ...], values: np.ndarray, attrs: dict) -> None:
        """Write a whole variable at once (e.g. per-cell summaries at the end of a run)."""
        with self._open() as f:
            var = f.create_variable(name, dims, data=np.asarray(values))
            var.attrs.update(attrs)

    def finish(self, attrs: dict[str, str]) -> None:
        """Write the run's attributes, close and move the file into place."""
        with self._open() as f:
            f.attrs.update(attrs)
            for name in ("status", "completed_ms"):
                if name in f.attrs:
                    del f.attrs[name]
        self._claim.publish()
        self._done = True

    def abandon(self, status: str, attrs: dict[str, str]) -> Path:
        """Mark the file with status ("failed" or "interrupted") and attrs, a readable
        result of the run so far, and set it aside beside the path."""
        with self._open() as f:
            f.attrs.update({**attrs, "status": status})
        self._done = True
        return self._claim.set_aside(status)

    def __exit__(self, *exc) -> None:
        self._claim.__exit__(*exc)


def open_result(path: str | os.PathLike) -> xr.Dataset:
    """A result on disk, opened lazily: data, the time axis included, are read when used."""
    try:
        return xr.open_dataset(path, engine=NETCDF_ENGINE, create_default_indexes=False)
    except TypeError:  # xarray before 2025.x builds the time index when opening
        return xr.open_dataset(path, engine=NETCDF_ENGINE)
