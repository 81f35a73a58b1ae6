"""The HTTP side: ``POST /v2`` (auth, API-Version, rate limits, faults, request ids),
the aiohttp application factory and ``EmulatorServer`` for async callers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from . import strict_json
from .admin.routes import register_admin_routes
from .admin.viewer import register_viewer
from .bulk.routes import register_bulk_routes
from .clock import Clock
from .graphql_api import versions
from .graphql_api.execution import run_document
from .limits.faults import FaultDecision
from .limits.limiter import Rejection
from .settings import EmulatorSettings
from .state import BoardsArg, EmulatorState

log = logging.getLogger(__name__)

STATE_KEY = web.AppKey("monday_emulator_state", EmulatorState)
MAX_BODY_BYTES = 20 * 1024 * 1024

AppSetup = Callable[[web.Application, EmulatorState], None]

EDGE_PAGES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}


def _dumps(body: Any) -> str:
    # allow_nan=False: a reply with NaN or Infinity in it would not be JSON
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _internal_error(request_id: str) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": "Internal server error",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "status_code": 500},
            }
        ],
        "extensions": {"request_id": request_id},
    }


def _authorized(request: web.Request, settings: EmulatorSettings) -> bool:
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return False
    if header == settings.token:
        return True
    scheme, _, token = header.partition(" ")
    return settings.accept_bearer and scheme.lower() == "bearer" and token.strip() == settings.token


def _rate_headers(state: EmulatorState) -> dict[str, str]:
    s = state.settings
    remaining, reset_in = state.limiter.budget()
    window = int(s.window_seconds)
    return {
        "RateLimit-Policy": f'"complexity";q={s.complexity_budget};w={window}',
        "RateLimit": f'"complexity";r={max(remaining, 0)};t={reset_in}',
    }


class _Reply:
    """Builds responses that carry the request id, API-Version and rate headers."""

    def __init__(self, state: EmulatorState, request_id: str, api_version: str) -> None:
        self.state = state
        self.request_id = request_id
        self.api_version = api_version

    def json(
        self, status: int, body: dict[str, Any], retry_after: int | None = None
    ) -> web.Response:
        body = dict(body)
        body.setdefault("extensions", {})["request_id"] = self.request_id
        if "errors" in body:
            body.setdefault("account_id", self.state.settings.account_id)
        headers = {"API-Version": self.api_version, "X-Request-Id": self.request_id}
        headers.update(_rate_headers(self.state))
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        try:
            text = _dumps(body)
        except (TypeError, ValueError, RecursionError):
            log.exception("reply could not be serialised")
            status, text = 500, _dumps(_internal_error(self.request_id))
        self.state.stats.by_status[str(status)] += 1
        return web.Response(
            status=status,
            text=text,
            content_type="application/json",
            charset="utf-8",
            headers=headers,
        )

    def rejected(self, rejection: Rejection) -> web.Response:
        self.state.stats.rate_limited[rejection.code] += 1
        return self.json(rejection.status, rejection.body(), retry_after=rejection.retry_in_seconds)

    def edge(self, status: int) -> web.Response:
        self.state.stats.by_status[str(status)] += 1
        if status in EDGE_PAGES:
            title = EDGE_PAGES[status]
            page = f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center></body></html>"
            return web.Response(status=status, text=page, content_type="text/html")
        body = {
            "errors": [
                {
                    "message": "Internal server error",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR", "status_code": status},
                }
            ],
            "extensions": {"request_id": self.request_id},
        }
        return web.Response(status=status, text=_dumps(body), content_type="application/json")


def _drop(request: web.Request) -> web.Response:
    """Close the connection without a response: the client sees a disconnect."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=499)


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
    reply = _Reply(state, request_id, version.served)

    if not _authorized(request, settings):
        state.stats.errors["Unauthorized"] += 1
        body = {
            "errors": [
                {
                    "message": "Not Authenticated",
                    "extensions": {"code": "Unauthorized", "status_code": 401},
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
    try:
        return await _serve(request, state, decision, reply)
    finally:
        state.limiter.release()


async def _serve(
    request: web.Request, state: EmulatorState, decision: FaultDecision, reply: _Reply
) -> web.StreamResponse:
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
        return _drop(request)
    if kind == "drop_before_apply":
        return _drop(request)
    if kind == "rate_limit":
        return reply.rejected(
            Rejection(decision.code, _rate_message(decision.code), decision.retry_in_seconds)
        )

    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        stats.errors["RequestEntityTooLarge"] += 1
        body = {
            "errors": [
                {
                    "message": f"The request body is larger than {MAX_BODY_BYTES} bytes",
                    "extensions": {"code": "RequestEntityTooLarge", "status_code": 413},
                }
            ]
        }
        return reply.json(413, body)
    try:
        payload = strict_json.loads(raw.strip() or b"null")
    except strict_json.JsonRejected as exc:
        stats.errors["JsonParseException"] += 1
        body = {
            "errors": [
                {
                    "message": f"Unexpected token in JSON body: {exc}",
                    "extensions": {"code": "JsonParseException", "status_code": 400},
                }
            ]
        }
        return reply.json(400, body)

    try:
        outcome = run_document(state, payload, reply.api_version, reply.request_id)
    except Exception:
        # a bug, not bad input: say so in monday's 500 shape rather than drop the socket
        log.exception("request failed")
        state.store.flush()
        stats.errors["INTERNAL_SERVER_ERROR"] += 1
        return reply.json(500, _internal_error(reply.request_id))
    state.store.flush()  # committed before anyone hears about it
    stats.complexity_charged += (
        outcome.cost if outcome.rejection is None and outcome.body.get("data") is not None else 0
    )
    if outcome.operation_type:
        label = outcome.operation_name or outcome.operation_type
        stats.by_operation[label] += 1
        for name in outcome.root_fields:
            stats.by_root_field[name] += 1
    for name in outcome.mutations_ok:
        stats.mutations_applied[name] += 1
    for code in outcome.error_codes:
        stats.errors[code] += 1
    if kind == "drop_after_apply":
        return _drop(request)
    if outcome.rejection is not None:
        return reply.rejected(outcome.rejection)
    return reply.json(outcome.status, outcome.body)


def _rate_message(code: str) -> str:
    return {
        "COMPLEXITY_BUDGET_EXHAUSTED": "Complexity budget exhausted",
        "RATE_LIMIT_EXCEEDED": "Rate limit exceeded",
        "maxConcurrencyExceeded": "Concurrency limit exceeded",
        "DAILY_LIMIT_EXCEEDED": "Daily limit exceeded",
        "IP_RATE_LIMIT_EXCEEDED": "IP rate limit exceeded",
    }.get(code, "Rate limit exceeded")


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
    ) -> None:
        self.settings = settings or EmulatorSettings()
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
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])

    async def stop(self) -> None:
        if self.state is not None and self.state.shutdown_event is not None:
            self.state.shutdown_event.set()
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
