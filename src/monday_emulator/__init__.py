"""A faithful local emulator of monday.com's GraphQL API (``POST /v2``).

Entry points
------------
Async callers::

    from monday_emulator import EmulatorServer, EmulatorSettings

    async with EmulatorServer(EmulatorSettings(token="t")) as srv:
        srv.url      # "http://127.0.0.1:<port>/v2"
        srv.state    # EmulatorState: store, limiter, faults, stats, clock

Synchronous callers (the server runs in a daemon thread)::

    from monday_emulator import run_in_thread

    with run_in_thread(EmulatorSettings(token="t"), boards=None) as emu:
        emu.url, emu.admin_url, emu.token

Both take ``boards`` (a spec dict, a list of specs or a path to a spec file; the demo
board when None), ``load_demo``, ``state_file`` (SQLite persistence), ``clock``
(e.g. ``ManualClock()`` to move time in tests), ``host``/``port`` and ``setup_app``
(a callable ``(app, state)`` that adds routes, e.g. a board viewer at ``GET /``).
From the shell: ``monday-emulator serve --port 8765`` or ``python -m monday_emulator``.
See docs/emulator.md.
"""

from .clock import Clock, ManualClock
from .server import STATE_KEY, EmulatorServer, create_app
from .settings import EmulatorSettings, FaultConfig, ScriptedFault
from .state import EmulatorState
from .store.specs import DEMO_BOARD, SMALL_BOARD, builtin_spec, dump_board
from .threaded import ThreadedEmulator, run_in_thread

DEMO_BOARD_ID = "8709134353"
DEMO_SUBITEMS_BOARD_ID = "8709134376"

__all__ = [
    "DEMO_BOARD",
    "DEMO_BOARD_ID",
    "DEMO_SUBITEMS_BOARD_ID",
    "SMALL_BOARD",
    "STATE_KEY",
    "Clock",
    "EmulatorServer",
    "EmulatorSettings",
    "EmulatorState",
    "FaultConfig",
    "ManualClock",
    "ScriptedFault",
    "ThreadedEmulator",
    "builtin_spec",
    "create_app",
    "dump_board",
    "run_in_thread",
]
