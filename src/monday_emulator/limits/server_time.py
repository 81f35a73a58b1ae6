"""Server time: how long monday works on each part of a document. Every mutation
alias takes a draw with mean ``mutation_ms_mean``, a query document one with mean
``query_ms_mean``, from ``server_time_distribution`` (seeded by ``server_time_seed``
so a run repeats exactly). Times are emulated seconds; the clock's speed decides how
much wall time they take."""

from __future__ import annotations

import math
import random

from ..settings import EmulatorSettings

LOGNORMAL_SIGMA = 0.5  # spread of the lognormal draw (an assumption: monday publishes none)


class ServerTime:
    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self.reseed()

    def reseed(self) -> None:
        """Restart the generator from ``server_time_seed`` (None: a random start)."""
        self._seed = self.settings.server_time_seed
        self._rng = random.Random(self._seed)

    def draw(self, mean_ms: float) -> float:
        """One duration in emulated seconds."""
        if self.settings.server_time_seed != self._seed:
            self.reseed()
        mean = max(mean_ms, 0.0) / 1000.0
        if mean == 0.0:
            return 0.0
        kind = self.settings.server_time_distribution
        if kind == "fixed":
            return mean
        if kind == "uniform":
            return self._rng.uniform(0.0, 2.0 * mean)
        if kind == "exponential":
            return self._rng.expovariate(1.0 / mean)
        # lognormal with the given mean: mu = ln(mean) - sigma^2 / 2
        mu = math.log(mean) - LOGNORMAL_SIGMA**2 / 2.0
        return self._rng.lognormvariate(mu, LOGNORMAL_SIGMA)

    def plan(self, operation_type: str, mutations: int) -> list[float]:
        """The durations of a document's parts, in the order they run: one per
        mutation alias for a mutation document, one for a query."""
        mean = self.settings.mutation_ms_mean if operation_type == "mutation" else 0.0
        if operation_type == "mutation":
            if mean <= 0:
                return [0.0] * mutations
            return [self.draw(mean) for _ in range(mutations)]
        return [self.draw(self.settings.query_ms_mean)]
