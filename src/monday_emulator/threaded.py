"""The emulator in a background thread, for synchronous callers::

with run_in_thread(EmulatorSettings(token="t")) as emu:
    requests.post(emu.url, headers={"Authorization": emu.token}, json={...})
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

from .server import EmulatorServer
from .settings import EmulatorSettings
from .state import EmulatorState

START_TIMEOUT_SECONDS = 30.0


class ThreadedEmulator:
    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def admin_url(self) -> str:
        return self.server.admin_url

    @property
    def token(self) -> str:
        return self.server.token

    @property
    def state(self) -> EmulatorState:
        assert self.server.state is not None
        return self.server.state

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> ThreadedEmulator:
        started: Future[None] = Future()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)

            async def main() -> None:
                self._stopped = asyncio.Event()
                try:
                    await self.server.start()
                except BaseException as exc:
                    started.set_exception(exc)
                    return
                started.set_result(None)
                await self._stopped.wait()
                await self.server.stop()

            try:
                loop.run_until_complete(main())
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="monday-emulator", daemon=True)
        self._thread.start()
        started.result(timeout=timeout)
        return self

    def call(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` on the emulator's loop (safe access to its state)."""
        assert self._loop is not None
        future: Future[Any] = Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return future.result(timeout=START_TIMEOUT_SECONDS)

    def stop(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        if self._loop is None or self._thread is None:
            return
        if self._stopped is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout=timeout)
        self._thread = None

    def __enter__(self) -> ThreadedEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(settings: EmulatorSettings | None = None, **kwargs: Any) -> ThreadedEmulator:
    """Start an emulator on a free port in a daemon thread and return once it
    listens. ``kwargs`` are those of ``EmulatorServer`` (``boards``, ``load_demo``,
    ``state_file``, ``clock``, ``host``, ``port``, ``setup_app``). Use it as a
    context manager or call ``stop()``."""
    return ThreadedEmulator(EmulatorServer(settings, **kwargs)).start()
