"""The HTTP side: ``POST /v2`` (auth, API-Version, rate limits, faults, request ids,
idempotency keys, the board write lock, documents that run to their end even when the
client goes away), the aiohttp application factory and ``EmulatorServer`` for async
callers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from . import strict_json
from .admin.routes import register_admin_routes
from .admin.viewer import register_viewer
from .clock import Clock
from .graphql_api.execution import (
    Outcome,
    charge_document,
    execute_now,
    execute_timed,
    prepare_document,
)
from .graphql_api.writes import touched_boards
from .limits.faults import FaultDecision
from .limits.idempotency import KeptResponse, KeyRecord, body_hash, token_id
from .limits.limiter import Rejection, rejection
from .limits.running import RunningDocument
from .settings import EmulatorSettings
from .state import BoardsArg, EmulatorState

log = logging.getLogger(__name__)

STATE_KEY = web.AppKey("monday_emulator_state", EmulatorState)
VERSION_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_BODY_BYTES = 20 * 1024 * 1024
IDEMPOTENCY_HEADER = "Idempotency-Key"

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
                "extensions": {
                    "code": "INTERNAL_SERVER_ERROR",
                    "status_code": 500,
                    "error_data": {},
                },
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
    """``RateLimit-Policy`` and ``RateLimit`` on every response, in the IETF draft's
    form (draft-ietf-httpapi-ratelimit-headers): one item per complexity pool (``q`` the
    pool, ``r`` the points left), then the minute request limit; ``w`` and ``t`` are
    wall seconds."""
    s = state.settings
    limiter = state.limiter
    told = state.clock.told_seconds
    window = told(s.window_seconds)
    policies: list[str] = []
    current: list[str] = []
    for pool in limiter.pools():
        left, reset_in = limiter.remaining(pool)
        policies.append(f'"{pool.name}";q={pool.limit};w={window}')
        current.append(f'"{pool.name}";r={max(left, 0)};t={told(reset_in)}')
    if s.requests_per_minute is not None:
        left, reset = limiter.minute_state()
        policies.append(f'"requests";q={s.requests_per_minute};w={window}')
        current.append(f'"requests";r={left};t={reset}')
    return {"RateLimit-Policy": ", ".join(policies), "RateLimit": ", ".join(current)}


def _error_body(
    code: str, message: str, status: int, error_data: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": message,
                "extensions": {"code": code, "status_code": status, "error_data": error_data or {}},
            }
        ]
    }


class _Reply:
    """Builds responses that carry the request id, API-Version and rate headers."""

    def __init__(self, state: EmulatorState, request_id: str, api_version: str) -> None:
        self.state = state
        self.request_id = request_id
        self.api_version = api_version

    def json(
        self,
        status: int,
        body: dict[str, Any],
        retry_after: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        body = dict(body)
        body.setdefault("extensions", {})["request_id"] = self.request_id
        if "errors" in body:
            body.setdefault("account_id", self.state.settings.account_id)
        sent = {"API-Version": self.api_version, "X-Request-Id": self.request_id}
        sent.update(_rate_headers(self.state))
        if retry_after is not None:
            sent["Retry-After"] = str(retry_after)
        if headers:
            sent.update(headers)
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
            headers=sent,
        )

    def rejected(self, rejection: Rejection) -> web.Response:
        self.state.stats.rate_limited[rejection.code] += 1
        retry = self.state.clock.told_seconds(rejection.wait_seconds)
        return self.json(rejection.status, rejection.body(self.api_version, retry), retry)

    def replay(self, kept: KeptResponse) -> web.Response:
        """A kept response again, with fresh rate headers and ``Idempotency-Replayed``."""
        self.state.stats.by_status[str(kept.status)] += 1
        sent = dict(kept.headers)
        sent.update(_rate_headers(self.state))
        sent["Idempotency-Replayed"] = "true"
        return web.Response(
            status=kept.status,
            text=kept.text,
            content_type="application/json",
            charset="utf-8",
            headers=sent,
        )

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
                    "extensions": {
                        "code": "INTERNAL_SERVER_ERROR",
                        "status_code": status,
                        "error_data": {},
                    },
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
    api_version = settings.api_version_default
    requested = request.headers.get("API-Version")
    if requested is not None and VERSION_RE.match(requested.strip()):
        api_version = requested.strip()
    reply = _Reply(state, request_id, api_version)

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
    if requested is not None and not VERSION_RE.match(requested.strip()):
        state.stats.errors["InvalidVersionException"] += 1
        body = {
            "errors": [
                {
                    "message": f"Invalid API version '{requested}': use the format YYYY-MM, e.g. {settings.api_version_default}",
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
    request: web.Request, state: EmulatorState, decision: FaultDecision, reply: _Reply
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
        return _drop(request)
    if kind == "drop_before_apply":
        return _drop(request)
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
    reply: _Reply,
    raw: bytes,
    payload: Any,
) -> web.StreamResponse:
    try:
        return await _run(request, state, decision, reply, raw, payload)
    finally:
        state.limiter.release()


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    return key.strip() if key and key.strip() else None


async def _run(
    request: web.Request,
    state: EmulatorState,
    decision: FaultDecision,
    reply: _Reply,
    raw: bytes,
    payload: Any,
) -> web.StreamResponse:
    """Check, charge and run one document, with the writers' rules in monday's order:
    an idempotency key's record first (replay, 409, 422), then the per-document limits
    and the board write lock (429, 423: nothing run, nothing charged, the key not
    used), then the charge (429), then the run (with server time, cut at the limit)."""
    stats = state.stats
    try:
        ready = prepare_document(state, payload, reply.api_version, reply.request_id)
    except Exception:
        log.exception("request failed")
        stats.errors["INTERNAL_SERVER_ERROR"] += 1
        return reply.json(500, _internal_error(reply.request_id))
    if isinstance(ready, Outcome):
        _count(state, ready)
        return reply.json(ready.status, ready.body)

    key = _idempotency_key(request) if ready.is_mutation else None
    token = token_id(state.settings.token) if key is not None else ""
    digest = body_hash(raw) if key is not None else ""
    if key is not None:
        record = state.idempotency.get(token, key)
        if record is not None:
            return _answer_known_key(state, reply, record, digest)

    mutations = 0
    boards: frozenset[str] = frozenset()
    if ready.is_mutation:
        mutations = ready.mutation_count()
        # The boards matter when this document can overlap another: when it takes
        # server time, or when others are running now. Without server time a
        # document runs at once and nothing can overlap it.
        if mutations < 0 or state.settings.mutation_ms_mean > 0 or len(state.running):
            fields = ready.mutation_fields(state.schema)
            mutations = len(fields)
            boards = touched_boards(state.store, fields)
    refused = state.limiter.admit_document(mutations, ready.outcome.root_fields, state.running)
    if refused is not None:
        return reply.rejected(refused)
    locked = _board_lock(state, reply, boards)
    if locked is not None:
        return locked
    charged = charge_document(state, ready)
    if charged is not None:
        _count(state, charged)
        assert charged.rejection is not None
        return reply.rejected(charged.rejection)
    state.limiter.count_document(mutations, ready.outcome.root_fields)

    clock = state.clock
    durations = state.server_time.plan(ready.operation_type, mutations)
    timeout = state.settings.call_timeout_seconds
    total = sum(durations)
    started = clock.monotonic()
    ends_at = started + (min(total, timeout) if timeout is not None else total)
    running = RunningDocument(
        reply.request_id,
        ready.operation_type,
        tuple(ready.outcome.root_fields),
        boards,
        ends_at,
    )
    if key is not None:
        state.idempotency.begin(token, key, digest, ends_at)
        stats.keyed_executions += 1
    state.running.start(running)
    try:
        if total > 0:
            outcome = await execute_timed(state, ready, durations)
        else:
            outcome = execute_now(state, ready)
    except Exception:
        # a bug, not bad input: say so in monday's 500 shape rather than drop the socket
        log.exception("request failed")
        state.store.flush()
        stats.errors["INTERNAL_SERVER_ERROR"] += 1
        response = reply.json(500, _internal_error(reply.request_id))
        _keep(state, token, key, response)
        return response
    finally:
        state.running.finish(running)
    state.store.flush()  # committed before anyone hears about it
    _count(state, outcome)
    if total > 0:
        stats.server_seconds += outcome.server_seconds
        stats.timed_documents += 1
    if outcome.cut == "timeout":
        stats.timeouts += 1
    elif outcome.cut == "http500":
        stats.invalid_input_500s += 1
    response = reply.json(outcome.status, outcome.body)
    _keep(state, token, key, response)
    if decision.kind == "drop_after_apply":
        return _drop(request)
    return response


def _answer_known_key(
    state: EmulatorState, reply: _Reply, record: KeyRecord, digest: str
) -> web.Response:
    stats = state.stats
    if record.body_hash != digest:
        stats.key_mismatches += 1
        stats.errors["IDEMPOTENCY_KEY_REUSED"] += 1
        body = _error_body(
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was used with a different request body: "
            "use a new key for a new request",
            422,
        )
        return reply.json(422, body)
    if record.response is None:
        stats.key_conflicts += 1
        stats.errors["IDEMPOTENCY_CONFLICT"] += 1
        wait = state.clock.told_seconds(record.ends_at - state.clock.monotonic())
        body = _error_body(
            "IDEMPOTENCY_CONFLICT",
            "A request with this Idempotency-Key is still being processed: retry later",
            409,
            {"retry_in_seconds": wait},
        )
        return reply.json(409, body, retry_after=wait)
    stats.replays += 1
    return reply.replay(record.response)


def _board_lock(state: EmulatorState, reply: _Reply, boards: frozenset[str]) -> web.Response | None:
    """monday's one-writer-per-board rule: a mutation document touching a board that
    another running document writes to overlaps it. ``board_lock`` decides: "423"
    refuses it, "off" lets it run, "corrupt" lets it run and counts a corruption."""
    holders = state.running.writing_to(boards)
    if not holders:
        return None
    stats = state.stats
    stats.lock_overlaps += 1
    mode = state.settings.board_lock
    if mode == "corrupt":
        stats.lock_corruptions += 1
    if mode != "423":
        return None
    stats.lock_rejected += 1
    stats.errors["RESOURCE_LOCKED"] += 1
    busy = sorted(boards & frozenset().union(*(h.boards for h in holders)))
    wait = state.clock.told_seconds(max(h.ends_at for h in holders) - state.clock.monotonic())
    body = _error_body(
        "RESOURCE_LOCKED",
        "The resource is currently locked by another request: retry after a short delay",
        423,
        {"board_ids": [_num(b) for b in busy], "retry_in_seconds": wait},
    )
    return reply.json(423, body, retry_after=wait)


def _keep(state: EmulatorState, token: str, key: str | None, response: web.Response) -> None:
    """Keep what the API produced for a keyed request (the key stays used)."""
    if key is None:
        return
    text = response.text or ""
    headers = {
        name: response.headers[name]
        for name in ("API-Version", "X-Request-Id", "Retry-After")
        if name in response.headers
    }
    state.idempotency.keep(token, key, KeptResponse(response.status, text, headers))


def _count(state: EmulatorState, outcome: Outcome) -> None:
    stats = state.stats
    stats.complexity_charged += outcome.charged
    if outcome.operation_type:
        label = outcome.operation_name or outcome.operation_type
        stats.by_operation[label] += 1
        for name in outcome.root_fields:
            stats.by_root_field[name] += 1
    for name in outcome.mutations_ok:
        stats.mutations_applied[name] += 1
    for name in outcome.mutations_executed:
        stats.mutations_executed[name] += 1
    for code in outcome.error_codes:
        stats.errors[code] += 1


def _num(value: str) -> Any:
    return int(value) if value.isdigit() else value


def create_app(state: EmulatorState, setup: AppSetup | None = None) -> web.Application:
    """The aiohttp application. ``setup`` (or ``app.router.add_*`` before the app
    starts) adds routes; the state is at ``app[STATE_KEY]``. The read-only board
    viewer (``admin/viewer.py``) serves ``GET /`` and ``GET /boards/{id}`` unless
    ``setup`` took those paths."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[STATE_KEY] = state
    app.router.add_post("/v2", api_handler)
    register_admin_routes(app, state)
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
