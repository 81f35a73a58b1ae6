"""Opaque ``items_page`` cursors. A cursor holds the ids of the result set that are
still to come (taken when the first page was read) and expires after
``cursor_ttl_seconds`` (60 minutes, as on monday). Cursors live in memory."""

from __future__ import annotations

import base64
import itertools
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from .. import errors
from ..clock import Clock

MAX_CURSORS = 2_000


@dataclass
class CursorState:
    board_id: str
    remaining: list[str]
    expires_at: float


class CursorRegistry:
    def __init__(self, clock: Clock, ttl_seconds: float) -> None:
        self.clock = clock
        self.ttl_seconds = ttl_seconds
        self._cursors: OrderedDict[str, CursorState] = OrderedDict()
        self._expired: OrderedDict[str, None] = OrderedDict()  # recently expired tokens
        self._counter = itertools.count(1)

    def issue(self, board_id: str, remaining: list[str]) -> str | None:
        """A new cursor for the rest of a result set, or None when nothing is left."""
        if not remaining:
            return None
        self._expire()
        serial = next(self._counter)
        raw = f"{serial},{board_id},{secrets.token_urlsafe(12)},{len(remaining)}|{remaining[0]}"
        token = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        self._cursors[token] = CursorState(
            board_id, remaining, self.clock.monotonic() + self.ttl_seconds
        )
        while len(self._cursors) > MAX_CURSORS:
            self._cursors.popitem(last=False)
        return token

    def take(self, token: str) -> CursorState:
        """The cursor's state. A cursor issued here that outlived its 60 minutes is
        ``CursorExpiredError`` (the name clients such as the official Python SDK look
        for to restart); any other unknown token is ``InvalidArgumentException``."""
        self._expire()
        state = self._cursors.get(token)  # re-usable until it expires
        if state is not None:
            return state
        if token in self._expired:
            raise errors.MondayError(
                "CursorExpiredError",
                "CursorExpiredError: The cursor provided for pagination has expired. "
                "Please refresh your query and obtain a new cursor to continue fetching items",
                200,
                {"cursor": token},
            )
        raise errors.invalid_argument(
            "The cursor is invalid or has expired (cursors are valid for 60 minutes)",
            cursor=token,
        )

    def clear(self) -> None:
        self._cursors.clear()
        self._expired.clear()

    def _expire(self) -> None:
        now = self.clock.monotonic()
        for token in [t for t, s in self._cursors.items() if s.expires_at <= now]:
            del self._cursors[token]
            self._expired[token] = None
        while len(self._expired) > MAX_CURSORS:
            self._expired.popitem(last=False)
