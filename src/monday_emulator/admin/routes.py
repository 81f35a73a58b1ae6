"""Admin endpoints under ``/admin/``: outside the API, no token, never charged.

- ``POST /admin/reset``            empty state; ``{"demo": true}`` reloads the demo
                                   board, ``{"boards": [spec, ...]}`` loads specs
- ``GET  /admin/boards``           list boards
- ``POST /admin/boards``           load a board spec (or ``{"boards": [...]}``)
- ``GET  /admin/boards/{id}``      dump a board with items, subitems and values
                                   (``?state=active`` to leave out archived/deleted)
- ``GET  /admin/stats``            usage figures; ``POST /admin/stats/reset``
- ``GET|POST|DELETE /admin/faults`` fault settings (POST replaces them)
- ``GET|POST /admin/settings``     limits and other settings (POST is a partial update)
- ``POST /admin/clock``            ``{"advance": seconds}`` moves the emulator's clock,
                                   ``{"speed": n}`` runs it n times faster than wall time
- ``POST /admin/limits/reset``     start fresh budget / rate windows
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..errors import MondayError
from ..settings import FaultConfig
from ..state import EmulatorState
from ..store.model import ACTIVE
from ..store.specs import DEMO_BOARD, builtin_spec, dump_board, specs_of


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(data, ensure_ascii=False),
        content_type="application/json",
    )


def _fail(message: str, status: int = 400) -> web.Response:
    return _json({"error": message}, status)


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        return {}
    return json.loads(raw)


def register_admin_routes(app: web.Application, state: EmulatorState) -> None:
    async def reset(request: web.Request) -> web.Response:
        try:
            body = await _body(request)
            specs = list(specs_of(body["boards"])) if body.get("boards") else []
            if body.get("demo"):
                specs.insert(0, builtin_spec(DEMO_BOARD))
            state.reset(specs)
        except (ValueError, KeyError, TypeError, MondayError) as exc:
            return _fail(f"reset failed: {exc}")
        return _json({"ok": True, "boards": [b.id for b in state.store.boards.values()]})

    async def list_boards(request: web.Request) -> web.Response:
        store = state.store
        return _json(
            {
                "boards": [
                    {
                        "id": b.id,
                        "name": b.name,
                        "type": b.type,
                        "state": b.state,
                        "items_count": store.count_items(b.id, (ACTIVE,)),
                    }
                    for b in store.boards.values()
                ]
            }
        )

    async def add_boards(request: web.Request) -> web.Response:
        try:
            specs = specs_of(await _body(request))
            ids = state.load_boards(specs)
        except (ValueError, KeyError, TypeError) as exc:
            return _fail(f"bad board spec: {exc}")
        except MondayError as exc:
            return _fail(f"bad board spec: {exc.code}: {exc.message}")
        out = []
        for board_id in ids:
            board = state.store.boards[board_id]
            sub = state.store.subitems_board_of(board)
            out.append(
                {"id": board.id, "name": board.name, "subitems_board_id": sub.id if sub else None}
            )
        return _json({"boards": out}, 201)

    async def get_board(request: web.Request) -> web.Response:
        board = state.store.boards.get(request.match_info["board_id"])
        if board is None:
            return _fail("no such board", 404)
        wanted = request.query.get("state")
        states = tuple(wanted.split(",")) if wanted else None
        return _json(dump_board(state.store, board, states))

    async def stats(request: web.Request) -> web.Response:
        data = state.stats.to_dict()
        data["limits"] = state.limiter.snapshot()
        data["executing"] = len(state.running)
        data["board_lock"]["held"] = state.running.boards_held()
        data["idempotency"]["keys_kept"] = len(state.idempotency)
        data["clock"] = {"monotonic": state.clock.monotonic(), "speed": state.clock.speed}
        data["fault_requests_counted"] = state.faults.counter
        data["boards"] = len(state.store.boards)
        data["items"] = len(state.store.items)
        data["bulk"] = state.bulk.snapshot()  # bulk import: jobs, rows, hourly budgets
        return _json(data)

    async def stats_reset(request: web.Request) -> web.Response:
        state.stats.reset()
        state.bulk.stats.reset()
        return _json({"ok": True})

    async def get_faults(request: web.Request) -> web.Response:
        return _json(state.settings.faults.to_dict())

    async def set_faults(request: web.Request) -> web.Response:
        try:
            config = FaultConfig.from_dict(await _body(request))
        except (ValueError, TypeError) as exc:
            return _fail(f"bad fault settings: {exc}")
        state.update_settings({"faults": config})
        return _json(config.to_dict())

    async def clear_faults(request: web.Request) -> web.Response:
        state.update_settings({"faults": FaultConfig()})
        return _json(state.settings.faults.to_dict())

    async def get_settings(request: web.Request) -> web.Response:
        return _json(state.settings.to_dict())

    async def set_settings(request: web.Request) -> web.Response:
        try:
            changes = await _body(request)
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object")
            if "token" in changes:
                raise ValueError("the token can't be changed at run time")
            state.update_settings(changes)
        except (ValueError, TypeError) as exc:
            return _fail(str(exc))
        return _json(state.settings.to_dict())

    async def clock(request: web.Request) -> web.Response:
        try:
            body = await _body(request)
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object")
            if "speed" in body:
                state.update_settings({"clock_speed": body["speed"]})
            state.clock.advance(float(body.get("advance", 0)))
        except (ValueError, TypeError) as exc:
            return _fail(str(exc))
        return _json(
            {
                "now": state.clock.now().isoformat(),
                "monotonic": state.clock.monotonic(),
                "speed": state.clock.speed,
            }
        )

    async def limits_reset(request: web.Request) -> web.Response:
        state.limiter.reset()
        return _json({"ok": True})

    app.router.add_post("/admin/reset", reset)
    app.router.add_get("/admin/boards", list_boards)
    app.router.add_post("/admin/boards", add_boards)
    app.router.add_get("/admin/boards/{board_id}", get_board)
    app.router.add_get("/admin/stats", stats)
    app.router.add_post("/admin/stats/reset", stats_reset)
    app.router.add_get("/admin/faults", get_faults)
    app.router.add_post("/admin/faults", set_faults)
    app.router.add_delete("/admin/faults", clear_faults)
    app.router.add_get("/admin/settings", get_settings)
    app.router.add_post("/admin/settings", set_settings)
    app.router.add_post("/admin/clock", clock)
    app.router.add_post("/admin/limits/reset", limits_reset)
