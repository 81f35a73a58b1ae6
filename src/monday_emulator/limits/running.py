"""The documents executing right now: which boards each writes to, which root fields
it uses and when it will be done (emulated time). The board write lock, the per-field
concurrency limit and the ``Retry-After`` of a refused request are read from here."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field


@dataclass
class RunningDocument:
    request_id: str
    operation_type: str
    fields: tuple[str, ...]
    boards: frozenset[str]
    ends_at: float  # emulated time the last alias is due (or the call is cut)
    serial: int = field(default_factory=itertools.count(1).__next__)


class RunningDocuments:
    def __init__(self) -> None:
        self._running: dict[int, RunningDocument] = {}

    def __len__(self) -> int:
        return len(self._running)

    def start(self, document: RunningDocument) -> None:
        self._running[document.serial] = document

    def finish(self, document: RunningDocument) -> None:
        self._running.pop(document.serial, None)

    def writing_to(self, boards: frozenset[str]) -> list[RunningDocument]:
        """The mutation documents executing now that touch any of ``boards``."""
        if not boards:
            return []
        return [
            d
            for d in self._running.values()
            if d.operation_type == "mutation" and not d.boards.isdisjoint(boards)
        ]

    def using_field(self, name: str) -> list[RunningDocument]:
        """The documents executing now that use the root field ``name``."""
        return [d for d in self._running.values() if name in d.fields]

    def boards_held(self) -> list[str]:
        held: set[str] = set()
        for document in self._running.values():
            if document.operation_type == "mutation":
                held |= document.boards
        return sorted(held)

    def clear(self) -> None:
        self._running.clear()
