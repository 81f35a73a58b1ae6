"""Idempotency keys (monday's ``Idempotency-Key`` header, API reference
"Idempotency"): per token, the first mutation request with a key runs and its response
is kept ``idempotency_ttl_seconds`` (30 minutes on monday) from the moment it was
produced, on the emulator's clock. While the first request still runs, the record has
no response yet (a duplicate gets 409)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

from ..clock import Clock

MAX_KEYS = 100_000  # the oldest kept responses go first past this many


@dataclass(frozen=True)
class KeptResponse:
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class KeyRecord:
    body_hash: str
    ends_at: float  # emulated time the first request is due to finish
    response: KeptResponse | None = None
    expires_at: float | None = None


def body_hash(raw: bytes) -> str:
    """Requests are the same when their bodies are the same bytes."""
    return hashlib.sha256(raw).hexdigest()


def token_id(token: str) -> str:
    """Keys are kept per token, under a digest of it (never the token itself)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


class IdempotencyStore:
    def __init__(self, clock: Clock, ttl_seconds: float) -> None:
        self.clock = clock
        self.ttl_seconds = ttl_seconds
        self._records: OrderedDict[tuple[str, str], KeyRecord] = OrderedDict()

    def __len__(self) -> int:
        return len(self._records)

    def get(self, token: str, key: str) -> KeyRecord | None:
        self._expire()
        return self._records.get((token, key))

    def begin(self, token: str, key: str, digest: str, ends_at: float) -> KeyRecord:
        record = KeyRecord(digest, ends_at)
        self._records[(token, key)] = record
        self._records.move_to_end((token, key))
        while len(self._records) > MAX_KEYS:
            self._records.popitem(last=False)
        return record

    def keep(self, token: str, key: str, response: KeptResponse) -> None:
        """The first request is done: keep its response for the TTL."""
        record = self._records.get((token, key))
        if record is None:
            return
        record.response = response
        record.expires_at = self.clock.monotonic() + self.ttl_seconds
        self._records.move_to_end((token, key))

    def forget(self, token: str, key: str) -> None:
        """The request was not executed after all: the key is free again."""
        self._records.pop((token, key), None)

    def clear(self) -> None:
        self._records.clear()

    def _expire(self) -> None:
        """Kept responses sit in the order they were kept (one TTL for all), so the
        expired ones are at the front, with at most the running ones among them."""
        now = self.clock.monotonic()
        expired = []
        for key, record in self._records.items():
            if record.expires_at is None:
                continue  # still running
            if record.expires_at > now:
                break
            expired.append(key)
        for key in expired:
            del self._records[key]
