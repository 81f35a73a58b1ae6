"""The API's responses in monday's shape: the request id in ``extensions`` and the
``X-Request-Id`` header, ``API-Version``, the ``RateLimit-Policy`` and ``RateLimit``
headers on every one, 429s with ``Retry-After`` in wall seconds, kept responses
replayed with ``Idempotency-Replayed``, and the edge's HTML pages."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from .limits.idempotency import KeptResponse
from .limits.limiter import Rejection
from .state import EmulatorState

log = logging.getLogger(__name__)

EDGE_PAGES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}


def dumps(body: Any) -> str:
    # allow_nan=False: a reply with NaN or Infinity in it would not be JSON
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def internal_error(request_id: str) -> dict[str, Any]:
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


def rate_headers(state: EmulatorState) -> dict[str, str]:
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


def error_body(
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


class Reply:
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
        sent.update(rate_headers(self.state))
        if retry_after is not None:
            sent["Retry-After"] = str(retry_after)
        if headers:
            sent.update(headers)
        try:
            text = dumps(body)
        except (TypeError, ValueError, RecursionError):
            log.exception("reply could not be serialised")
            status, text = 500, dumps(internal_error(self.request_id))
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
        sent.update(rate_headers(self.state))
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
        return web.Response(status=status, text=dumps(body), content_type="application/json")
