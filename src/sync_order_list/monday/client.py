"""The async monday.com client: one ``execute`` that sends a document and either
returns a parsed ``Response`` or raises one of the errors in ``sync_order_list.errors``.

What it decides, and why:

* **Retry or not.** 5xx (but 504), timeouts and dropped connections are retried with
  exponential backoff and full jitter, *unless* the request may already have been
  applied and the caller said it is not idempotent (a create) and gave no
  Idempotency-Key: then it raises ``MondayTransportError(sent=True)`` and the sync
  engine looks the rows up by key before anything is created again — "no
  duplicates, ever". A failure before anything was sent (connection refused) is
  always safe to retry.
* **Idempotency-Key.** With a key, a document whose outcome is unknown is resent —
  the byte-identical body, the same key — because monday runs a key at most once and
  answers a repeat with the response it kept (``Idempotency-Replayed: true``,
  ``Response.replayed``). A replayed failure (a kept 500) is final: raised at once.
* **The 60-second limit.** monday cuts every call at 60 s and answers 504; the
  aliases finished by then stay applied. Any 504 raises ``MondayCallTimeoutError``
  at once, key or not: the caller looks the rows up. The client's own timeout
  (``batch.timeout_seconds``, 75 s) is longer, so that cut arrives as a response.
* **Locks.** 409 (the same key still running) and 423 (another writer holds the
  board) ran nothing: the identical request is resent after ``Retry-After`` (1 s if
  absent), for at most ``batch.max_lock_wait_seconds`` in all; these waits are not
  failures.
* **Throttles.** A 429 (or a throttle error without data: every documented code,
  any ``status_code: 429``) was not applied: every sender pauses exactly
  ``Retry-After`` / ``retry_in_seconds`` / ``retryAfterMs`` and the request is sent
  again. The daily call limit (until midnight UTC) is raised instead. The scheduler
  keeps throttles rare in the first place.
* **The budget.** Every response's ``RateLimit`` header and fresh ``complexity``
  block go to the scheduler; a failed attempt gives back what it reserved.
* **Errors.** 401/403 raise ``MondayAuthError`` at once. A document-level GraphQL
  error (or another 4xx) raises ``MondayApiError``; per-alias errors come back in
  ``Response.errors``.
* **The token** goes into the ``Authorization`` header only. It is redacted from every
  exception, log line and ``on_request`` record, and never part of a repr.
"""

from __future__ import annotations

import datetime
import email.utils
import functools
import json
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sync_order_list.config.models import BatchSettings, RateSettings
from sync_order_list.errors import (
    MondayApiError,
    MondayAuthError,
    MondayCallTimeoutError,
    MondayQueryTooComplexError,
    MondayRateLimitError,
    MondayTransportError,
)

from . import ratelimit
from .documents import ComposedDocument, ensure_complexity, operation_label
from .responses import (
    DAILY_LIMIT_CODE,
    ApiError,
    Complexity,
    Response,
    parse_errors,
    request_id_of,
)
from .scheduler import Clock, Kind, Scheduler, SchedulerStats, Slot, SystemClock
from .transport import AiohttpTransport, HttpRequest, HttpResponse, Transport

DEFAULT_URL = "https://api.monday.com/v2"
USER_AGENT = "sync-order-list/0.1"
REDACTED = "***"
REPLAYED_HEADER = "idempotency-replayed"
DEFAULT_LOCK_WAIT_SECONDS = 1.0
_BODY_EXCERPT = 2_000
_MUTATION = re.compile(r"\s*(?:#[^\n]*\n\s*)*mutation\b")

log = logging.getLogger("sync_order_list.monday")


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP attempt, for the API log. Token-free by construction and redacted.

    ``outcome``: ok, rate_limited, locked (a 409/423 waited out, then resent), retry
    (a failed attempt that will be retried), error (given up / refused), unknown (may
    have been applied; not resent). ``replayed``: monday answered with the response
    it kept for the request's Idempotency-Key (``complexity`` is then None).
    """

    operation: str
    attempt: int
    request: Mapping[str, Any]
    response: Any
    status: int | None
    duration: float
    complexity: Complexity | None
    request_id: str | None
    outcome: str
    error: str | None = None
    replayed: bool = False


class _Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__


class MondayClient:
    """Sends GraphQL documents to monday.com (or anything speaking its API).

    ``url`` is what the caller resolved from ``MONDAY_API_URL`` (None: the real API).
    Use as ``async with MondayClient(...) as client:`` or call ``aclose()``.
    """

    def __init__(
        self,
        url: str | None,
        token: str,
        api_version: str,
        *,
        batch: BatchSettings,
        rate: RateSettings,
        transport: Transport | None = None,
        on_request: Callable[[RequestRecord], None] | None = None,
        scheduler: Scheduler | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        max_rate_limit_retries: int = 20,
        max_rate_limit_wait: float | None = None,
    ) -> None:
        if not token or not token.strip():
            raise MondayAuthError(
                "no monday API token", hint="set the environment variable named by token_env"
            )
        self.url = url or DEFAULT_URL
        self.api_version = api_version
        self.batch = batch
        self.rate = rate
        self._token = _Secret(token.strip())
        self._owns_transport = transport is None
        self._transport: Transport = transport or AiohttpTransport(
            connection_limit=max(batch.concurrency, 1) * 2
        )
        self._on_request = on_request
        self._clock: Clock = clock or (scheduler.clock if scheduler else SystemClock())
        self.scheduler = scheduler or Scheduler(rate, batch, clock=self._clock)
        self._rng = rng or random.Random()
        self.max_rate_limit_retries = max_rate_limit_retries
        # A 429 asking for more than this (a daily limit) is raised, not waited out.
        self.max_rate_limit_wait = (
            max_rate_limit_wait
            if max_rate_limit_wait is not None
            else max(2 * rate.window_seconds, 120.0)
        )

    def __repr__(self) -> str:
        return f"MondayClient(url={self.url!r}, api_version={self.api_version!r})"

    async def __aenter__(self) -> MondayClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_transport:
            await self._transport.aclose()

    async def reserve(self, operation: str, limit: int) -> Slot:
        """Wait until at least one ``operation`` fits the budget, then reserve as many
        as fit (at most ``limit`` and the per-query cap): compose ``slot.ops`` of them
        and pass the slot to ``execute``. See ``Scheduler.acquire_ops``."""
        return await self.scheduler.acquire_ops(operation, limit)

    @property
    def stats(self) -> SchedulerStats:
        """The scheduler's counters (requests, retries, 429s, complexity, waits)."""
        return self.scheduler.stats

    # -- the one entry point ---------------------------------------------------------

    async def execute(
        self,
        document: str | ComposedDocument,
        variables: Mapping[str, Any] | None = None,
        *,
        idempotent: bool,
        operation: str | None = None,
        estimated_cost: int | None = None,
        operation_counts: Mapping[str, int] | None = None,
        slot: Slot | None = None,
        idempotency_key: str | None = None,
        api_version: str | None = None,
    ) -> Response:
        """Send one document; retry what is safe to retry; return the parsed response.

        ``document`` is query text or a ``ComposedDocument`` (whose variables, counts
        and label are then used). ``operation_counts`` (kind -> aliases) feeds the
        cost estimate and learning; it defaults to ``{operation: 1}``.
        ``idempotent=False`` (creates) means: never resend once it may have arrived —
        unless ``idempotency_key`` is given: then the byte-identical request is resent
        with the same ``Idempotency-Key`` header, and monday runs it at most once
        (a retry gets the kept response back, ``Response.replayed``).
        ``slot``: a reservation from ``reserve()`` sized for this document; used for
        the first attempt (retries queue again). ``api_version`` overrides the
        client's for this call (the bulk import needs 2026-07 or later).
        """
        if isinstance(document, ComposedDocument):
            query = document.query
            sent_variables = dict(document.variables if variables is None else variables)
            counts = dict(operation_counts or document.operation_counts)
            kind: Kind = "mutation" if document.operation_type == "mutation" else "query"
        else:
            query = ensure_complexity(document)
            sent_variables = dict(variables or {})
            counts = dict(operation_counts or {operation or "query": 1})
            kind = "mutation" if _MUTATION.match(query) else "query"
        label = operation or operation_label(counts)
        cost = estimated_cost if estimated_cost is not None else self.scheduler.estimate(counts)
        payload = {"query": query, "variables": sent_variables}
        # Built once: every attempt sends these very bytes (an Idempotency-Key retry
        # must carry the identical body, or monday answers 422).
        body = json.dumps(payload, default=str).encode("utf-8")
        headers = self._headers()
        if api_version is not None:
            headers["API-Version"] = api_version
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        request = HttpRequest(
            url=self.url, body=body, headers=headers, timeout=self.batch.timeout_seconds
        )
        # What may be sent again after a failure whose outcome is unknown.
        resend_safe = idempotent or idempotency_key is not None
        started = self._clock.monotonic()
        attempt = failures = rate_limits = 0
        lock_waited = 0.0
        while True:
            attempt += 1
            if attempt > 1:
                self.scheduler.note_retry()
            if slot is not None and not slot.released and attempt == 1 and cost <= slot.cost:
                slot.operation_counts = counts  # learn from what was actually sent
            else:
                if slot is not None:
                    slot.cancel()  # spent on an earlier attempt, or too small for this document
                slot = await self.scheduler.acquire(cost, counts, kind=kind)
            t0 = self._clock.monotonic()
            try:
                http = await self._transport.send(request)
            except MondayTransportError as exc:
                slot.release(charged=False)  # monday's next report says what it charged
                self.scheduler.note_transport_error()
                duration = self._clock.monotonic() - t0
                unknown = exc.sent and not resend_safe
                give_up = unknown or failures >= self.batch.max_retries
                self._record(
                    label, attempt, payload, None, None, duration, None, None,
                    _failure_outcome(exc.sent, resend_safe, give_up), exc.message,
                )  # fmt: skip
                if unknown:
                    raise self._unknown_outcome(label, exc.message, exc.status) from None
                if give_up:
                    raise MondayTransportError(
                        self._redact(f"{label}: {exc.message} (after {attempt} attempts)"),
                        sent=exc.sent,
                        status=exc.status,
                    ) from None
                failures += 1
                await self._backoff(label, failures, exc.message)
                continue
            except BaseException:
                slot.release(charged=True)  # cancelled mid-flight: assume it was charged
                raise
            duration = self._clock.monotonic() - t0
            parsed = _parse_json(http.body)
            if self._token.reveal().encode() in http.body:
                parsed = self._redact(parsed)  # a server echoing the token: never keep it
                http = HttpResponse(http.status, http.headers, self._redact_bytes(http.body))
            data = parsed.get("data") if isinstance(parsed, dict) else None
            errors = parse_errors(parsed)
            replayed = http.headers.get(REPLAYED_HEADER, "").strip().lower() == "true"
            if replayed:
                self.scheduler.note_replay()
            # A replayed body's complexity block is the first attempt's: stale.
            complexity = None if replayed else Complexity.from_data(data)
            report = ratelimit.parse(http.headers).budget(slot.pool)
            request_id = self._redact(request_id_of(parsed, http.headers))
            response_view = parsed if parsed is not None else _excerpt(http.body)

            record = functools.partial(
                self._record, label, attempt, payload, response_view, http.status, duration,
                complexity, request_id, replayed=replayed,
            )  # fmt: skip

            # -- monday cut the call at 60 s: some aliases may have run; never resend
            if http.status == 504:
                slot.release(charged=False, report=report)
                self.scheduler.note_transport_error()
                self.scheduler.note_call_timeout()
                record("unknown", "HTTP 504: the call hit monday's 60 s limit")
                raise MondayCallTimeoutError(
                    f"{label}: HTTP 504, monday cut the call at its 60-second limit; the "
                    "operations that finished by then stay applied, the rest did not run "
                    "— look the rows up by key (smaller documents avoid this)"
                )

            # -- throttled: not applied; pause everyone, then send again
            throttle = _rate_limit_wait(http, parsed, errors)
            if throttle is not None:
                retry_in, code = throttle
                slot.release(charged=False, report=report)
                record("rate_limited", f"{code}: retry in {retry_in:g} s")
                if code == DAILY_LIMIT_CODE:
                    self.scheduler.stats.rate_limited += 1
                    raise self._daily_limit(label, retry_in)
                self.scheduler.pause(retry_in)
                if (
                    retry_in > self.max_rate_limit_wait
                    or rate_limits >= self.max_rate_limit_retries
                ):
                    raise MondayRateLimitError(
                        f"{label}: monday rate limit {code}, retry in {retry_in:g} s "
                        f"(after {rate_limits + 1} rate-limited attempts)",
                        code=code,
                        retry_in=retry_in,
                    )
                rate_limits += 1
                log.info("%s: rate limited (%s), retrying in %.2f s", label, code, retry_in)
                continue

            # -- 409 (the same key still running) / 423 (board locked): wait, resend
            if http.status in (409, 423):
                slot.release(charged=False, report=report)
                conflict = http.status == 409
                code = next((e.code for e in errors if e.code), None) or (
                    "IDEMPOTENCY_CONFLICT" if conflict else "RESOURCE_LOCKED"
                )
                wait = _lock_wait(http, errors)
                if lock_waited + wait > self.batch.max_lock_wait_seconds:
                    record("error", f"{code}: waited {lock_waited:g} s already")
                    raise self._lock_exhausted(label, code, conflict, lock_waited)
                record("locked", f"{code}: HTTP {http.status}, retry in {wait:g} s")
                log.info("%s: %s (HTTP %d), resending in %.2f s", label, code, http.status, wait)
                t_wait = self._clock.monotonic()
                await self._clock.sleep(wait)
                lock_waited += wait
                self.scheduler.note_lock_wait(self._clock.monotonic() - t_wait, conflict=conflict)
                continue

            if http.status in (401, 403):
                slot.release(charged=False, report=report)
                record("error", f"HTTP {http.status}")
                message = errors[0].message if errors else "unauthorized"
                raise MondayAuthError(
                    self._redact(f"monday refused the API token (HTTP {http.status}: {message})"),
                    hint="check the token in the environment variable named by token_env",
                )

            if http.status >= 500 or (http.status == 200 and not isinstance(parsed, dict)):
                slot.release(charged=False, report=report)
                self.scheduler.note_transport_error()
                reason = f"HTTP {http.status}" + ("" if parsed is not None else " (no JSON body)")
                if replayed:
                    # The kept answer of the first attempt: the failure is final.
                    record("error", f"{reason}, replayed for the Idempotency-Key")
                    raise MondayTransportError(
                        self._redact(
                            f"{label}: {reason} replayed by monday for this Idempotency-Key: "
                            "the first attempt failed and resending cannot change that; the "
                            "operations before the failing one may be applied — look the rows "
                            "up by key"
                        ),
                        sent=True,
                        status=http.status,
                    )
                give_up = not resend_safe or failures >= self.batch.max_retries
                record(_failure_outcome(True, resend_safe, give_up), reason)
                if not resend_safe:
                    raise self._unknown_outcome(label, reason, http.status)
                if give_up:
                    raise MondayTransportError(
                        f"{label}: {reason} (after {attempt} attempts)",
                        sent=True,
                        status=http.status,
                    )
                failures += 1
                await self._backoff(label, failures, reason)
                continue

            too_complex = next((e.too_complex for e in errors if e.too_complex), None)
            if too_complex is not None:
                slot.release(charged=False, report=report)
                record("error", errors[0].message)
                self.scheduler.observe_too_complex(counts, too_complex[0])
                raise MondayQueryTooComplexError(
                    self._redact(
                        f"{label}: monday says the document costs {too_complex[0]:,} points, "
                        f"over the per-query limit of {too_complex[1]:,}; split the batch"
                    ),
                    complexity=too_complex[0],
                    max_complexity=too_complex[1],
                )

            if http.status != 200 or data is None:
                # 4xx, or a document-level GraphQL failure: nothing ran.
                slot.release(complexity=complexity, charged=False, report=report)
                first = errors[0] if errors else ApiError(message=f"HTTP {http.status}")
                record("error", first.message)
                raise MondayApiError(
                    self._redact(f"{label}: {first.message}"),
                    code=first.code or (f"HTTP{http.status}" if http.status != 200 else None),
                    path=list(first.path),
                    error_data=self._redact(dict(first.error_data)),
                )

            # A replay ran nothing and was charged nothing.
            slot.release(complexity=complexity, charged=not replayed, report=report)
            record("ok", "; ".join(e.message for e in errors) or None)
            return Response(
                operation=label,
                data=data,
                errors=tuple(errors),
                complexity=complexity,
                request_id=request_id,
                http_status=http.status,
                duration=self._clock.monotonic() - started,
                attempts=attempt,
                replayed=replayed,
                headers=dict(http.headers),
            )

    async def transfer(
        self,
        method: str,
        url: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        timeout: float | None = None,
    ) -> HttpResponse:
        """One PUT or GET of a pre-signed URL (a bulk import file or report): no token,
        no retries (the caller knows what is safe to do again). Transport failures
        raise ``MondayTransportError`` with ``sent`` as the transport says."""
        request = HttpRequest(
            url=url,
            body=body,
            headers=dict(headers or {}),
            timeout=timeout or self.batch.timeout_seconds,
            method=method,
        )
        return await self._transport.send(request)

    # -- helpers -----------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": self._token.reveal(),
            "API-Version": self.api_version,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    def _unknown_outcome(self, label: str, reason: str, status: int | None) -> MondayTransportError:
        return MondayTransportError(
            self._redact(
                f"{label}: {reason}; the request was sent and may have been applied, so it "
                "was not resent — look the rows up by key before creating them again"
            ),
            sent=True,
            status=status,
        )

    def _daily_limit(self, label: str, retry_in: float) -> MondayRateLimitError:
        hours, rest = divmod(int(retry_in), 3600)
        return MondayRateLimitError(
            f"{label}: monday's daily call limit is used up (DAILY_LIMIT_EXCEEDED); it "
            f"resets at midnight UTC, in about {hours} h {rest // 60} min: run the sync "
            "again then (Enterprise accounts can ask monday for a higher limit)",
            code=DAILY_LIMIT_CODE,
            retry_in=retry_in,
        )

    def _lock_exhausted(
        self, label: str, code: str, conflict: bool, waited: float
    ) -> MondayTransportError | MondayApiError:
        limit = self.batch.max_lock_wait_seconds
        if conflict:
            # The first request with this key may still be running: outcome unknown.
            return MondayTransportError(
                f"{label}: {code}: the first request with this Idempotency-Key was still "
                f"running after {waited:g} s of waiting (batch.max_lock_wait_seconds = "
                f"{limit:g}); its outcome is unknown — look the rows up by key, or resend "
                "later with the same key",
                sent=True,
                status=409,
            )
        return MondayApiError(
            f"{label}: {code}: the board stayed locked by another writer for {waited:g} s "
            f"(batch.max_lock_wait_seconds = {limit:g}); nothing was applied — stop the "
            "other writer or raise the setting",
            code=code,
        )

    async def _backoff(self, label: str, failures: int, reason: str) -> None:
        """Exponential backoff with full jitter: uniform(0, min(max, base * 2^(n-1)))."""
        ceiling = min(
            self.batch.backoff_max_seconds, self.batch.backoff_base_seconds * 2 ** (failures - 1)
        )
        delay = self._rng.uniform(0.0, ceiling)
        log.warning(
            "%s: %s; retry %d/%d in %.2f s",
            label,
            self._redact(reason),
            failures,
            self.batch.max_retries,
            delay,
        )
        start = self._clock.monotonic()
        await self._clock.sleep(delay)
        self.scheduler.stats.backoff_wait_seconds += self._clock.monotonic() - start

    def _record(
        self,
        operation: str,
        attempt: int,
        request: Mapping[str, Any],
        response: Any,
        status: int | None,
        duration: float,
        complexity: Complexity | None,
        request_id: str | None,
        outcome: str,
        error: str | None = None,
        *,
        replayed: bool = False,
    ) -> None:
        if self._on_request is None:
            return
        record = RequestRecord(
            operation=operation,
            attempt=attempt,
            request=self._redact(dict(request)),
            response=self._redact(response),
            status=status,
            duration=duration,
            complexity=complexity,
            request_id=request_id,
            outcome=outcome,
            error=self._redact(error) if error else None,
            replayed=replayed,
        )
        try:
            self._on_request(record)
        except Exception:  # the API log must never break (or duplicate) a sync
            log.exception("on_request callback failed for %s", operation)

    def _redact_bytes(self, body: bytes) -> bytes:
        return body.replace(self._token.reveal().encode(), REDACTED.encode())

    def _redact(self, value: Any) -> Any:
        """``value`` with every occurrence of the token replaced by ``***``."""
        token = self._token.reveal()
        if isinstance(value, str):
            return value.replace(token, REDACTED) if token in value else value
        if isinstance(value, Mapping):
            return {self._redact(k): self._redact(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._redact(v) for v in value]
        return value


# -- pure helpers ----------------------------------------------------------------------


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return None


def _excerpt(body: bytes) -> str:
    return body[:_BODY_EXCERPT].decode("utf-8", errors="replace")


def _failure_outcome(sent: bool, resend_safe: bool, give_up: bool) -> str:
    if sent and not resend_safe:
        return "unknown"
    return "error" if give_up else "retry"


def _retry_after_header(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _rate_limit_wait(
    http: HttpResponse, parsed: Any, errors: list[ApiError]
) -> tuple[float, str] | None:
    """(seconds to wait, code) when this response is a throttle, else None.

    A throttle is an HTTP 429, or a response with no data whose errors are throttles
    (a known code, or ``extensions.status_code`` 429). The wait is ``Retry-After``,
    else what an error says (``retry_in_seconds`` at the root of ``extensions`` or in
    ``error_data``, ``retryAfterMs``, "reset in N seconds"), else 1 s. A daily limit
    with no wait given waits until midnight UTC.
    """
    data = parsed.get("data") if isinstance(parsed, dict) else None
    limited = [e for e in errors if e.is_rate_limit and e.too_complex is None]
    if http.status != 429 and not (limited and data is None):
        return None
    code = next((e.code for e in limited or errors if e.code), None) or "RATE_LIMIT_EXCEEDED"
    wait = _retry_after_header(http.headers)
    if wait is None:
        wait = next(
            (w for w in (e.retry_after() for e in limited or errors) if w is not None), None
        )
    if wait is None:
        wait = _seconds_to_utc_midnight() if code == DAILY_LIMIT_CODE else 1.0
    return max(0.0, wait), code


def _lock_wait(http: HttpResponse, errors: list[ApiError]) -> float:
    """How long a 409/423 asks to wait: ``Retry-After``, else the body's, else 1 s."""
    wait = _retry_after_header(http.headers)
    if wait is None:
        wait = next((w for w in (e.retry_after() for e in errors) if w is not None), None)
    return max(0.0, wait) if wait is not None else DEFAULT_LOCK_WAIT_SECONDS


def _seconds_to_utc_midnight() -> float:
    now = datetime.datetime.now(datetime.UTC)
    midnight = (now + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


__all__ = ["DEFAULT_URL", "MondayClient", "RequestRecord"]
