"""Identifier generation in monday's shapes: numeric ids for boards and items (large
integers, increasing), ``group_mk...`` ids for groups and ``<type>_mk...`` ids for
columns. Deterministic: derived from a counter that the store persists."""

from __future__ import annotations

import hashlib

FIRST_NUMERIC_ID = 9_000_000_001
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


class IdSequence:
    def __init__(self, next_id: int = FIRST_NUMERIC_ID) -> None:
        self.next_id = next_id

    def take(self) -> str:
        value = self.next_id
        self.next_id += 1
        return str(value)

    def observe(self, existing: str) -> None:
        """Keep generated ids above any id loaded from a spec or the database."""
        try:
            number = int(existing)
        except ValueError:
            return
        if number >= self.next_id:
            self.next_id = number + 1

    def suffix(self, salt: str, length: int = 6) -> str:
        """A short base-36 suffix (``mkr5wya6`` style), unique per counter value."""
        digest = hashlib.sha256(f"{salt}:{self.take()}".encode()).digest()
        number = int.from_bytes(digest[:8], "big")
        chars = []
        for _ in range(length):
            number, rem = divmod(number, 36)
            chars.append(_ALPHABET[rem])
        return "mk" + "".join(chars)


def group_id(seq: IdSequence) -> str:
    return "group_" + seq.suffix("group")


def column_id(seq: IdSequence, prefix: str) -> str:
    return f"{prefix}_" + seq.suffix(prefix)
