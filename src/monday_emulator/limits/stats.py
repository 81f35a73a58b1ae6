"""Usage figures for ``GET /admin/stats``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    requests: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    by_root_field: Counter[str] = field(default_factory=Counter)
    complexity_charged: int = 0
    rate_limited: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    mutations_applied: Counter[str] = field(default_factory=Counter)
    mutations_executed: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    # rules for writers
    lock_overlaps: int = 0
    lock_rejected: int = 0
    lock_corruptions: int = 0
    keyed_executions: int = 0
    replays: int = 0
    key_conflicts: int = 0
    key_mismatches: int = 0
    server_seconds: float = 0.0
    server_seconds_by_board: Counter[str] = field(default_factory=Counter)
    documents_by_5s: Counter[int] = field(default_factory=Counter)
    timed_documents: int = 0
    timeouts: int = 0
    invalid_input_500s: int = 0

    def reset(self) -> None:
        fresh = Stats()
        self.__dict__.update(fresh.__dict__)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "requests_by_status": dict(self.by_status),
            "requests_by_operation": dict(self.by_operation),
            "root_fields": dict(self.by_root_field),
            "complexity_charged": self.complexity_charged,
            "rate_limited": dict(self.rate_limited),
            "faults_injected": dict(self.faults),
            "mutations_applied": dict(self.mutations_applied),
            "mutations_applied_total": sum(self.mutations_applied.values()),
            "mutations_executed": dict(self.mutations_executed),
            "mutations_executed_total": sum(self.mutations_executed.values()),
            "errors_by_code": dict(self.errors),
            "board_lock": {
                "overlaps": self.lock_overlaps,
                "rejected": self.lock_rejected,
                "corruptions": self.lock_corruptions,
            },
            "idempotency": {
                "keyed_executions": self.keyed_executions,
                "replays": self.replays,
                "conflicts": self.key_conflicts,
                "mismatches": self.key_mismatches,
            },
            "server_time": {
                "seconds": round(self.server_seconds, 3),
                "documents": self.timed_documents,
                # emulated seconds mutation documents wrote to each board: the busiest
                # board's figure is the least time its writes can take, one at a time
                "seconds_by_board": {
                    b: round(v, 3) for b, v in sorted(self.server_seconds_by_board.items())
                },
                # how long documents took: "40" counts those of 40 s up to 45 s
                "documents_by_5s": {str(k): v for k, v in sorted(self.documents_by_5s.items())},
            },
            "timeouts": self.timeouts,
            "invalid_input_500s": self.invalid_input_500s,
        }
