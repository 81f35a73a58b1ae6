"""Fault injection for tests and benchmarks: latency, error statuses, hangs, and
requests that are applied and then lose their response. Random faults draw from a
seeded generator; scripted faults hit the N-th API request after the script was
set, so tests are deterministic."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..settings import FaultConfig


@dataclass
class FaultDecision:
    kind: str | None = None  # status | hang | drop_after_apply | drop_before_apply | rate_limit
    latency_ms: float = 0.0
    status: int = 0
    hang_seconds: float = 0.0
    code: str = ""
    retry_in_seconds: int = 1
    request_number: int = 0


class FaultInjector:
    def __init__(self, config: FaultConfig) -> None:
        self.configure(config)

    def configure(self, config: FaultConfig) -> None:
        """Install a configuration; the request counter and the generator restart."""
        self.config = config
        self.counter = 0
        self._rng = random.Random(config.seed)
        self._script = {}
        for fault in config.script:
            self._script.setdefault(fault.at, []).append(fault)

    def decide(self) -> FaultDecision:
        self.counter += 1
        config = self.config
        decision = FaultDecision(request_number=self.counter)
        if not config.active:
            return decision
        if config.latency_max_ms is not None and config.latency_max_ms > config.latency_ms:
            decision.latency_ms = self._rng.uniform(config.latency_ms, config.latency_max_ms)
        else:
            decision.latency_ms = config.latency_ms
        scripted = self._script.get(self.counter)
        if scripted:
            for fault in scripted:
                if fault.kind == "latency":
                    decision.latency_ms += fault.ms
                    continue
                decision.kind = fault.kind
                decision.status = fault.status
                decision.hang_seconds = (
                    fault.seconds if fault.seconds is not None else config.hang_seconds
                )
                decision.code = fault.code
                decision.retry_in_seconds = fault.retry_in_seconds
            return decision
        draw = self._rng.random()
        threshold = config.error_rate
        if draw < threshold:
            decision.kind = "status"
            decision.status = self._rng.choice(config.error_statuses or [500])
            return decision
        threshold += config.hang_rate
        if draw < threshold:
            decision.kind = "hang"
            decision.hang_seconds = config.hang_seconds
            return decision
        threshold += config.drop_after_apply_rate
        if draw < threshold:
            decision.kind = "drop_after_apply"
        return decision
