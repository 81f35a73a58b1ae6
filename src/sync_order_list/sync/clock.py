"""Database timestamps: naive UTC, as every dialect stores them the same way."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
