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
    errors: Counter[str] = field(default_factory=Counter)

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
            "errors_by_code": dict(self.errors),
        }
