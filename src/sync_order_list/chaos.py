"""Real sync processes, stopped the hard way: for the tests and the recovery benchmark.

A sync is started as users start it (``sync-order-list sync`` in its own process) and
killed with a signal once the monday API it talks to has executed a given number of
mutations (read from the local emulator's ``/admin/stats``). Nothing here is used by a
normal run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# environment variables a spawned sync must not inherit from the caller
_OWN_PREFIXES = ("SYNC_ORDER_LIST", "MONDAY_")


def cli() -> list[str]:
    """The ``sync-order-list`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("sync-order-list")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sync_order_list"]


@dataclass(frozen=True)
class SyncTarget:
    """Where a spawned sync works: its config file, database URL and monday API."""

    config: Path
    database_url: str
    api_url: str
    token: str
    cwd: Path

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
        env.update(
            {
                "SYNC_ORDER_LIST_DB_URL": self.database_url,
                "MONDAY_API_URL": self.api_url,
                "MONDAY_API_TOKEN": self.token,
            }
        )
        return env


def spawn_sync(target: SyncTarget, *extra: str) -> subprocess.Popen[bytes]:
    """Start ``sync-order-list sync --skip-merge`` (quiet) against ``target``."""
    return subprocess.Popen(
        [*cli(), "sync", "--skip-merge", "--config", str(target.config), "-q", *extra],
        cwd=target.cwd,
        env=target.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def emulator_stats(admin_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(admin_url.rstrip("/") + "/stats", timeout=10) as response:
        return json.loads(response.read())


def executed_mutations(stats: Mapping[str, Any]) -> int:
    """Mutations the API executed (applied or failed; replays under a key excluded)."""
    for name in ("mutations_executed_total", "mutations_applied_total"):
        if name in stats:
            return int(stats[name])
    return 0


def wait_until(
    proc: subprocess.Popen[bytes],
    reached: Callable[[], bool],
    *,
    timeout: float = 120.0,
    poll: float = 0.02,
) -> bool:
    """Poll ``reached`` while ``proc`` runs; False if it exited first (or time ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if reached():
            return True
        time.sleep(poll)
    return False


def kill_at(
    proc: subprocess.Popen[bytes],
    reached: Callable[[], bool],
    *,
    signum: int = signal.SIGKILL,
    timeout: float = 120.0,
) -> bool:
    """Send ``signum`` to ``proc`` once ``reached``; False when it finished before."""
    if not wait_until(proc, reached, timeout=timeout):
        proc.communicate(timeout=timeout)
        return False
    proc.send_signal(signum)
    proc.communicate(timeout=30)
    return True


def finish(proc: subprocess.Popen[bytes], timeout: float = 600.0) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def kill_points(needed: int, kills: int, seed: int) -> list[int]:
    """``kills`` distinct write counts in [1, needed), ascending (fewer when needed is
    small)."""
    import random

    rng = random.Random(seed)
    population = range(1, max(needed, 2))
    return sorted(rng.sample(population, min(kills, len(population))))


def run_with_kills(
    target: SyncTarget,
    admin_url: str,
    points: Sequence[int],
    *,
    on_kill: Callable[[int], None] | None = None,
) -> int:
    """Start a sync, kill it when the API has executed ``points[i]`` mutations in all,
    start the next at once, ...; return how many were really killed (a run that
    finishes before its point ends the series)."""
    kills = 0
    for point in points:
        proc = spawn_sync(target)

        def reached(point: int = point) -> bool:
            return executed_mutations(emulator_stats(admin_url)) >= point

        if not kill_at(proc, reached):
            break
        kills += 1
        if on_kill is not None:
            on_kill(point)
    return kills
