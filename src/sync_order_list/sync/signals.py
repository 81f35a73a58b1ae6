"""SIGTERM and SIGINT: stop taking new work, finish what is in flight, leave cleanly.

Schedulers stop jobs with SIGTERM (cron's ``timeout``, systemd, Airflow, Kubernetes),
people with Ctrl-C. The first signal asks the run to stop: no new document is started,
documents in flight may finish for ``sync.grace_seconds``, results are written back,
claims released, and the run is recorded ``interrupted``; the process exits with
128 + the signal number (143 for SIGTERM, 130 for SIGINT). A second signal exits at
once: the run's rows are then taken over by the next run (its process is gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

log = logging.getLogger("sync_order_list.sync")

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequest:
    """Set by the first signal; read by the run (any thread, any loop)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._flag = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    @property
    def requested(self) -> bool:
        return self._flag.is_set()

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGTERM)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else "a stop request"

    def request(self, signum: int = signal.SIGTERM) -> None:
        if self._flag.is_set():
            return
        self.signum = signum
        self._flag.set()
        loop, event = self._loop, self._event
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    def event(self) -> asyncio.Event:
        """An event of the running loop that is set when a stop is requested."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        if self.requested:
            self._event.set()
        return self._event


def _handler(stop: StopRequest, grace_seconds: float) -> Callable[[int, FrameType | None], None]:
    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.requested:
            # the second signal: no more waiting
            sys.stderr.write(f"\n{signal.Signals(signum).name} again: exiting now\n")
            sys.stderr.flush()
            os._exit(128 + signum)
        sys.stderr.write(
            f"\n{signal.Signals(signum).name}: stopping; documents in flight may finish "
            f"(up to {grace_seconds:g} s), then the rows are released. "
            "Send it again to exit at once.\n"
        )
        sys.stderr.flush()
        stop.request(signum)

    return handle


def install_stop_handlers(stop: StopRequest, grace_seconds: float) -> StopRequest:
    """Route SIGTERM/SIGINT to ``stop`` for the rest of the process (a command's
    process: the handlers stay until it exits, so a second signal always exits)."""
    if threading.current_thread() is threading.main_thread():
        handle = _handler(stop, grace_seconds)
        for s in SIGNALS:
            signal.signal(s, handle)
    return stop


@contextlib.contextmanager
def stop_on_signals(stop: StopRequest, grace_seconds: float) -> Iterator[StopRequest]:
    """Route SIGTERM/SIGINT to ``stop`` while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    install_stop_handlers(stop, grace_seconds)
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
