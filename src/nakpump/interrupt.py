"""Stopping a run cleanly on SIGINT or SIGTERM: between chunks, never inside a write.

The command line runs inside `graceful_signals()`: the first SIGINT or SIGTERM only
asks the run to stop; the integrators look (`stop_if_requested`) after every chunk, set
aside what they streamed and raise errors.RunInterrupted. A second SIGINT stops at
once (KeyboardInterrupt), as a user pressing Ctrl-C twice expects.
"""

from __future__ import annotations

import contextlib
import signal
import threading

_requested: list[int] = []  # the signal that asked the run to stop, if one did


def stop_if_requested(t: float, end: float) -> None:
    """Raise RunInterrupted at time t (ms) of a run to `end` if a signal asked it to stop
    (a run already at its end is kept whole)."""
    if _requested and t < end:
        from nakpump.errors import RunInterrupted

        raise RunInterrupted(t, end, _requested[0])


def _handler(signum, _frame) -> None:
    if _requested and signum == signal.SIGINT:
        raise KeyboardInterrupt
    if not _requested:
        _requested.append(signum)


@contextlib.contextmanager
def graceful_signals():
    """Within the block, SIGINT and SIGTERM request a stop between chunks."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _requested.clear()
    old = {sig: signal.signal(sig, _handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        _requested.clear()
