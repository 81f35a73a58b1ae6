"""The HTTP side: ``POST /v2`` up to the document (auth, API-Version, the request
limits, faults, reading the body), then the document itself (``api_run.py``) in a
task shielded from the handler, so that it runs to its end even when the client goes
away; the aiohttp application factory and ``EmulatorServer`` for async callers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from . import strict_json
from .admin.routes import register_admin_routes
from .admin.viewer import register_viewer
from .api_run import drop, run_document
from .bulk.routes import register_bulk_routes
from .clock import Clock
from .graphql_api import versions
from .limits.faults import FaultDecision
from .limits.limiter import rejection
from .replies import Reply
from .settings import EmulatorSettings
from .state import BoardsArg, EmulatorState

log = logging.getLogger(__name__)

STATE_KEY = web.AppKey("monday_emulator_state", EmulatorState)
MAX_BODY_BYTES = 20 * 1024 * 1024

AppSetup = Callable[[web.Application, EmulatorState], None]


def _authorized(request: web.Request, settings: EmulatorSettings) -> bool:
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return False
    if header == settings.token:
        return True
    scheme, _, token = header.partition(" ")
    return settings.accept_bearer and scheme.lower() == "bearer" and token.strip() == settings.token


async def _hang(state: EmulatorState, seconds: float) -> None:
    event = state.shutdown_event
    if event is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)


async def api_handler(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    request_id = str(uuid.uuid4())
    state.stats.requests += 1
    decision = state.faults.decide()
    settings = state.settings
    version = versions.choose(request.headers.get("API-Version"), settings.api_version_default)
    reply = Reply(state, request_id, version.served)

    if not _authorized(request, settings):
        state.stats.errors["Unauthorized"] += 1
        body = {
            "errors": [
                {
                    "message": "Not Authenticated",
                    "extensions": {"code": "Unauthorized", "status_code": 401, "error_data": {}},
                }
            ]
        }
        return reply.json(401, body)
    if version.error is not None:
        state.stats.errors["InvalidVersionException"] += 1
        requested = request.headers.get("API-Version", settings.api_version_default)
        body = {
            "errors": [
                {
                    "message": version.error,
                    "extensions": {
                        "code": "InvalidVersionException",
                        "status_code": 200,
                        "error_data": {"version": requested},
                    },
                }
            ]
        }
        return reply.json(200, body)

    peer = request.remote or "127.0.0.1"
    rejection = state.limiter.admit(peer)
    if rejection is not None:
        return reply.rejected(rejection)
    handed_over = False
    try:
        received = await _receive(request, state, decision, reply)
        if isinstance(received, web.StreamResponse):
            return received
        raw, payload = received
        if settings.mutation_ms_mean == 0 and settings.query_ms_mean == 0:
            # no server time: the document runs without a pause, nothing can stop it
            handed_over = True
            return await _process(request, state, decision, reply, raw, payload)
        # From here on the request runs to its end even if the client goes away, as
        # on monday: the task is shielded from the handler's cancellation.
        task = asyncio.ensure_future(_process(request, state, decision, reply, raw, payload))
        state.track(task)
        handed_over = True
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():  # the emulator is shutting down
                return web.Response(status=503, text="shutting down")
            raise
    finally:
        if not handed_over:
            state.limiter.release()


async def _receive(
    request: web.Request, state: EmulatorState, decision: FaultDecision, reply: Reply
) -> web.StreamResponse | tuple[bytes, Any]:
    """Apply the injected faults, read and parse the body: a response when the request
    ends here (nothing ran), else (raw body, payload)."""
    stats = state.stats
    if decision.latency_ms > 0:
        stats.faults["latency"] += 1
        await asyncio.sleep(decision.latency_ms / 1000.0)
    kind = decision.kind
    if kind is not None:
        stats.faults[kind] += 1
    if kind == "status":
        return reply.edge(decision.status)
    if kind == "hang":
        await _hang(state, decision.hang_seconds)
        return drop(request)
    if kind == "drop_before_apply":
        return drop(request)
    if kind == "rate_limit":
        return reply.rejected(rejection(decision.code, float(decision.retry_in_seconds)))

    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        stats.errors["RequestEntityTooLarge"] += 1
        body = {
            "errors": [
                {
                    "message": f"The request body is larger than {MAX_BODY_BYTES} bytes",
                    "extensions": {
                        "code": "RequestEntityTooLarge",
                        "status_code": 413,
                        "error_data": {"max_bytes": MAX_BODY_BYTES},
                    },
                }
            ]
        }
        return reply.json(413, body)
    except ConnectionError:
        # the client went away before its request had arrived: nothing ran
        stats.errors["ClientGone"] += 1
        return drop(request)
    try:
        payload = strict_json.loads(raw.strip() or b"null")
    except strict_json.JsonRejected as exc:
        stats.errors["JsonParseException"] += 1
        body = {
            "errors": [
                {
                    "message": f"Unexpected token in JSON body: {exc}",
                    "extensions": {
                        "code": "JsonParseException",
                        "status_code": 400,
                        "error_data": {},
                    },
                }
            ]
        }
        return reply.json(400, body)
    return raw, payload


async def _process(
    request: web.Request,
    state: EmulatorState,
    decision: FaultDecision,
    reply: Reply,
    raw: bytes,
    payload: Any,
) -> web.StreamResponse:
    try:
        return await run_document(request, state, decision, reply, raw, payload)
    finally:
        state.limiter.release()


def create_app(state: EmulatorState, setup: AppSetup | None = None) -> web.Application:
    """The aiohttp application. ``setup`` (or ``app.router.add_*`` before the app
    starts) adds routes; the state is at ``app[STATE_KEY]``. The read-only board
    viewer (``admin/viewer.py``) serves ``GET /`` and ``GET /boards/{id}`` unless
    ``setup`` took those paths."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[STATE_KEY] = state
    app.router.add_post("/v2", api_handler)
    register_admin_routes(app, state)
    register_bulk_routes(app, state.bulk)  # upload and report URLs, /admin/bulk/jobs
    if setup is not None:
        setup(app, state)
    register_viewer(app, state)
    return app


class EmulatorServer:
    """The emulator on a real port, for async callers::

    async with EmulatorServer(EmulatorSettings(), boards=None) as srv:
        ...  # srv.url is "http://127.0.0.1:<port>/v2"
    """

    def __init__(
        self,
        settings: EmulatorSettings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        boards: BoardsArg = None,
        load_demo: bool = True,
        state_file: str | Path | None = None,
        clock: Clock | None = None,
        setup_app: AppSetup | None = None,
        handler_cancellation: bool = False,
    ) -> None:
        self.settings = settings or EmulatorSettings()
        self.handler_cancellation = handler_cancellation
        self.host = host
        self.port = port
        self._boards = boards
        self._load_demo = load_demo
        self._state_file = state_file
        self._clock = clock
        self._setup_app = setup_app
        self.state: EmulatorState | None = None
        self.app: web.Application | None = None
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The API endpoint, ``http://HOST:PORT/v2``."""
        return f"{self.base_url}/v2"

    @property
    def admin_url(self) -> str:
        return f"{self.base_url}/admin"

    @property
    def token(self) -> str:
        return self.settings.token

    async def start(self) -> None:
        state = EmulatorState(
            self.settings,
            clock=self._clock,
            state_file=self._state_file,
            boards=self._boards,
            load_demo=self._load_demo,
        )
        state.shutdown_event = asyncio.Event()
        self.state = state
        self.app = create_app(state, self._setup_app)
        self._runner = web.AppRunner(
            self.app,
            access_log=None,
            shutdown_timeout=5.0,
            handler_cancellation=self.handler_cancellation,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])

    async def stop(self) -> None:
        if self.state is not None and self.state.shutdown_event is not None:
            self.state.shutdown_event.set()
        if self.state is not None and self.state.tasks:
            tasks = list(self.state.tasks)  # documents still running: the server goes away
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.state is not None:
            self.state.close()

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
