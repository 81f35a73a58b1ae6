"""What comes back from monday, parsed into dataclasses at the boundary.

The client never raises for a per-alias error: a batch of 50 creates where one name is
too long must still report the 49 ids monday created, so errors are returned keyed by
alias and the caller marks only the rows they concern.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Throttle codes (HTTP 429, or 200 on older versions); see MONDAY_API.md. Any error
# whose extensions say status_code 429 is one too.
RATE_LIMIT_CODES = frozenset(
    {
        "COMPLEXITY_BUDGET_EXHAUSTED",
        "ComplexityException",
        "RATE_LIMIT_EXCEEDED",
        "maxConcurrencyExceeded",
        "IP_RATE_LIMIT_EXCEEDED",
        "DAILY_LIMIT_EXCEEDED",
        "FIELD_LIMIT_EXCEEDED",
        "FIELD_MINUTE_RATE_LIMIT_EXCEEDED",
        "Rate Limit Exceeded",
    }
)
#: Waits until midnight UTC: raised, never waited out.
DAILY_LIMIT_CODE = "DAILY_LIMIT_EXCEEDED"
_RESET_IN = re.compile(r"reset in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)
_TOO_COMPLEX = re.compile(
    r"complexity of (\d+),? which exceeds max complexity of (\d+)", re.IGNORECASE
)


@dataclass(frozen=True)
class Complexity:
    """The ``complexity`` block: budget before/after this request, its cost, and the
    seconds until the window resets (counted from when the response arrived)."""

    before: int
    after: int
    query: int
    reset_in: float

    @classmethod
    def from_data(cls, data: Any) -> Complexity | None:
        block = data.get("complexity") if isinstance(data, Mapping) else None
        if not isinstance(block, Mapping):
            return None
        try:
            return cls(
                before=int(block["before"]),
                after=int(block["after"]),
                query=int(block["query"]),
                reset_in=float(block["reset_in_x_seconds"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class ApiError:
    """One entry of a response's ``errors`` list."""

    message: str
    code: str | None = None
    path: tuple[Any, ...] = ()
    error_data: Mapping[str, Any] = field(default_factory=dict)
    status_code: int | None = None
    retry_in: float | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict)

    @property
    def alias(self) -> str | None:
        """The alias (or root field) the error belongs to; None for a document error."""
        return str(self.path[0]) if self.path else None

    @property
    def is_rate_limit(self) -> bool:
        return (
            self.code in RATE_LIMIT_CODES
            or self.status_code == 429
            or bool(_RESET_IN.search(self.message))
        )

    @property
    def too_complex(self) -> tuple[int, int] | None:
        """(query complexity, max) when this is the per-query cap error."""
        complexity = self.extensions.get("complexity")
        maximum = self.extensions.get("maxComplexity")
        if isinstance(complexity, int) and isinstance(maximum, int):
            return complexity, maximum
        match = _TOO_COMPLEX.search(self.message)
        return (int(match.group(1)), int(match.group(2))) if match else None

    def retry_after(self) -> float | None:
        """Seconds to wait, from wherever this error says it: ``retry_in_seconds`` at
        the root of ``extensions`` or in ``error_data`` (``FIELD_LIMIT_EXCEEDED``),
        ``retryAfterMs`` (milliseconds, the bulk-import API), or the old "reset in N
        seconds" text."""
        if self.retry_in is not None:
            return self.retry_in
        for where in (self.extensions, self.error_data):
            seconds = where.get("retry_in_seconds")
            if _is_number(seconds):
                return float(seconds)
            millis = where.get("retryAfterMs")
            if _is_number(millis):
                return float(millis) / 1000.0
        match = _RESET_IN.search(self.message)
        return float(match.group(1)) if match else None

    @classmethod
    def from_json(cls, raw: Any) -> ApiError:
        if not isinstance(raw, Mapping):
            return cls(message=str(raw))
        ext = raw.get("extensions")
        ext = ext if isinstance(ext, Mapping) else {}
        error_data = ext.get("error_data")
        path = raw.get("path")
        code = ext.get("code") or raw.get("error_code") or raw.get("code")
        retry = ext.get("retry_in_seconds")
        status = ext.get("status_code") or raw.get("status_code")
        return cls(
            message=str(raw.get("message") or raw.get("error_message") or "unknown error"),
            code=str(code) if code is not None else None,
            path=tuple(path) if isinstance(path, list) else (),
            error_data=error_data if isinstance(error_data, Mapping) else {},
            status_code=_int_or_none(status),
            retry_in=float(retry) if _is_number(retry) else None,
            extensions=ext,
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def parse_errors(body: Any) -> list[ApiError]:
    """Errors of a response body, in both the current (``errors: [...]``) and the
    pre-2025 shapes (``error_message``/``error_code`` at the root)."""
    if not isinstance(body, Mapping):
        return []
    errors = body.get("errors")
    if isinstance(errors, list):
        return [ApiError.from_json(e) for e in errors]
    if "error_message" in body or "error_code" in body:
        return [ApiError.from_json(body)]
    return []


def request_id_of(body: Any, headers: Mapping[str, str]) -> str | None:
    if isinstance(body, Mapping):
        ext = body.get("extensions")
        if isinstance(ext, Mapping) and ext.get("request_id"):
            return str(ext["request_id"])
    for name in ("x-request-id", "request-id"):
        if headers.get(name):
            return headers[name]
    return None


@dataclass(frozen=True)
class Response:
    """The outcome of one ``execute``: data, per-alias errors, and what it cost.

    ``replayed``: monday answered a retry with the response it kept for the
    request's Idempotency-Key (header ``Idempotency-Replayed: true``): nothing ran a
    second time. ``complexity`` is then None (the kept block is stale).
    ``headers``: the last response's headers, names lower-cased.
    """

    operation: str
    data: Mapping[str, Any] | None
    errors: tuple[ApiError, ...]
    complexity: Complexity | None
    request_id: str | None
    http_status: int
    duration: float
    attempts: int
    replayed: bool = False
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    def errors_for(self, alias: str) -> list[ApiError]:
        return [e for e in self.errors if e.alias == alias]

    @property
    def errors_by_alias(self) -> dict[str | None, list[ApiError]]:
        out: dict[str | None, list[ApiError]] = {}
        for error in self.errors:
            out.setdefault(error.alias, []).append(error)
        return out

    def result(self, alias: str) -> Any:
        """The alias's data (None when it failed)."""
        return self.data.get(alias) if self.data else None

    def ok(self, alias: str) -> bool:
        return self.result(alias) is not None and not self.errors_for(alias)
