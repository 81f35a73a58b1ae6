"""One API document after the HTTP edge, with monday's rules for writers in monday's
order: an idempotency key's record (replay, 409, 422), the per-document limits and
the board write lock (429, 423: nothing run, nothing charged, the key not used), the
charge (429), then the run (at once, or with server time and cut at the limit), the
response kept for the key, the statistics."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from .graphql_api.execution import (
    Outcome,
    charge_document,
    execute_now,
    execute_timed,
    prepare_document,
)
from .graphql_api.writes import FREE_ROOT_FIELDS, touched_boards
from .limits.faults import FaultDecision
from .limits.idempotency import KeptResponse, KeyRecord, body_hash, token_id
from .limits.running import RunningDocument
from .replies import Reply, error_body, internal_error
from .state import EmulatorState

log = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"


def drop(request: web.Request) -> web.Response:
    """Close the connection without a response: the client sees a disconnect."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=499)


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    return key.strip() if key and key.strip() else None


async def run_document(
    request: web.Request,
    state: EmulatorState,
    decision: FaultDecision,
    reply: Reply,
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
        return reply.json(500, internal_error(reply.request_id))
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
            aliases = ready.mutation_fields(state.schema_for(ready.context.api_version))
            mutations = len(aliases)
            boards = touched_boards(state.store, aliases)
    # the fields the per-field limits count: not ``complexity`` nor introspection
    limited = tuple(
        f for f in ready.outcome.root_fields if f not in FREE_ROOT_FIELDS and not f.startswith("__")
    )
    refused = state.limiter.admit_document(mutations, list(limited), state.running)
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
    state.limiter.count_document(mutations, list(limited))

    clock = state.clock
    durations = state.server_time.plan(ready.operation_type, mutations)
    timeout = state.settings.call_timeout_seconds
    total = sum(durations)
    started = clock.monotonic()
    ends_at = started + (min(total, timeout) if timeout is not None else total)
    running = RunningDocument(
        reply.request_id,
        ready.operation_type,
        limited,
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
        response = reply.json(500, internal_error(reply.request_id))
        _keep(state, token, key, response)
        return response
    finally:
        state.running.finish(running)
    state.store.flush()  # committed before anyone hears about it
    _count(state, outcome)
    if total > 0:
        stats.server_seconds += outcome.server_seconds
        stats.timed_documents += 1
        for board in boards:  # a board is busy while a document writes to it
            stats.server_seconds_by_board[board] += outcome.server_seconds
        stats.documents_by_5s[int(outcome.server_seconds // 5) * 5] += 1
    if outcome.cut == "timeout":
        stats.timeouts += 1
    elif outcome.cut == "http500":
        stats.invalid_input_500s += 1
    response = reply.json(outcome.status, outcome.body)
    _keep(state, token, key, response)
    if decision.kind == "drop_after_apply":
        return drop(request)
    return response


def _answer_known_key(
    state: EmulatorState, reply: Reply, record: KeyRecord, digest: str
) -> web.Response:
    stats = state.stats
    if record.body_hash != digest:
        stats.key_mismatches += 1
        stats.errors["IDEMPOTENCY_KEY_REUSED"] += 1
        body = error_body(
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
        body = error_body(
            "IDEMPOTENCY_CONFLICT",
            "A request with this Idempotency-Key is still being processed: retry later",
            409,
            {"retry_in_seconds": wait},
        )
        return reply.json(409, body, retry_after=wait)
    stats.replays += 1
    return reply.replay(record.response)


def _board_lock(state: EmulatorState, reply: Reply, boards: frozenset[str]) -> web.Response | None:
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
    body = error_body(
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
