"""Stopping a run cleanly on SIGINT or SIGTERM: between chunks, never inside a write.

The command line runs inside `graceful_signals()`: the first SIGINT or SIGTERM only
asks the run to stop; the integrators look (`stop_requested`) after every chunk, set
aside what they streamed and raise errors.RunInterrupted. A second SIGINT stops at
once (KeyboardInterrupt), as a user pressing Ctrl-C twice expects.
"""

from __future__ import annotations

import contextlib
import signal
import threading

_requested: list[int] = []  # the signal that asked the run to stop, if one did


def stop_requested() -> int | None:
    """The number of the signal that asked the running simulation to stop, or None."""
    return _requested[0] if _requested else None


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
