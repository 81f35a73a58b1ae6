"""Which runs are alive: heartbeats, dead runs, and taking over their rows at once.

A sync records its host and process id in ``SYNC_RUNS`` and renews ``heartbeat_at``
every ``sync.heartbeat_seconds``. A run still marked ``running`` is dead when its
heartbeat is ``sync.dead_after_heartbeats`` intervals old, or, on the same host, when
its process no longer exists. The next sync marks such a run ``abandoned`` (with what
it last did) and releases its claims, so its rows are synced by the next scheduled
run instead of waiting out the claim TTL. Rows the dead run had in flight keep their
in-flight marks and their document key: the next run replays or looks them up.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, delete, func, select, update

from sync_order_list.config import Settings
from sync_order_list.sync.store import SyncTables


def this_host() -> str:
    return socket.gethostname()[:255]


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM  # exists, owned by someone else
    return True


@dataclass(frozen=True)
class RunRow:
    run_id: str
    host: str | None
    pid: int | None
    started_at: datetime
    heartbeat_at: datetime | None

    @property
    def last_sign_of_life(self) -> datetime:
        return self.heartbeat_at or self.started_at


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    reason: str


def dead_after(settings: Settings) -> timedelta:
    sync = settings.sync
    return timedelta(seconds=sync.heartbeat_seconds * sync.dead_after_heartbeats)


def judge(
    runs: Iterable[RunRow],
    now: datetime,
    settings: Settings,
    *,
    host: str,
    alive: Callable[[int], bool] = pid_alive,
    exclude: str | None = None,
) -> list[DeadRun]:
    """The runs among ``runs`` (all marked running) that are dead, and why. Pure."""
    limit = now - dead_after(settings)
    dead = []
    for run in runs:
        if run.run_id == exclude:
            continue
        if run.host == host and run.pid is not None and not alive(run.pid):
            dead.append(DeadRun(run.run_id, f"its process {run.pid} on {host} is gone"))
        elif run.last_sign_of_life < limit:
            seconds = int((now - run.last_sign_of_life).total_seconds())
            dead.append(DeadRun(run.run_id, f"no heartbeat for {seconds} s"))
    return dead


class Liveness:
    """One database's view of its runs: heartbeats, the dead, their release."""

    def __init__(self, engine: Engine, tables: SyncTables, settings: Settings) -> None:
        self.engine = engine
        self.t = tables
        self.settings = settings
        self.host = this_host()

    def running(self) -> list[RunRow]:
        r = self.t.runs
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(r.c.run_id, r.c.host, r.c.pid, r.c.started_at, r.c.heartbeat_at).where(
                    r.c.outcome == "running", r.c.dry_run == 0
                )
            )
            return [RunRow(*row) for row in rows]

    def dead_runs(
        self, now: datetime, *, exclude: str | None = None, alive: Callable[[int], bool] = pid_alive
    ) -> list[DeadRun]:
        return judge(
            self.running(), now, self.settings, host=self.host, alive=alive, exclude=exclude
        )

    def register(self, run_id: str, now: datetime) -> None:
        """This process runs ``run_id``: its host, pid and first heartbeat."""
        r = self.t.runs
        with self.engine.begin() as conn:
            conn.execute(
                update(r)
                .where(r.c.run_id == run_id)
                .values(host=self.host, pid=os.getpid(), heartbeat_at=now)
            )

    def beat(self, run_id: str, now: datetime) -> bool:
        """Renew the heartbeat; False when another run has declared this one dead."""
        r = self.t.runs
        with self.engine.begin() as conn:
            result = conn.execute(
                update(r)
                .where(r.c.run_id == run_id, r.c.outcome == "running")
                .values(heartbeat_at=now)
            )
            return bool(result.rowcount)

    def take_over(
        self, now: datetime, *, exclude: str | None = None, alive: Callable[[int], bool] = pid_alive
    ) -> list[DeadRun]:
        """Mark dead runs ``abandoned`` and release their claims (rows and groups)."""
        taken = []
        r, o, ln, g = self.t.runs, self.t.orders, self.t.lines, self.t.groups
        for dead in self.dead_runs(now, exclude=exclude, alive=alive):
            with self.engine.begin() as conn:
                marked = conn.execute(
                    update(r)
                    .where(r.c.run_id == dead.run_id, r.c.outcome == "running")
                    .values(
                        outcome="abandoned",
                        finished_at=now,
                        message=f"abandoned: {dead.reason}; its rows were taken over",
                    )
                ).rowcount
                if not marked:
                    continue  # another run got there first
                for table in (o, ln):
                    conn.execute(
                        update(table)
                        .where(table.c.run_id == dead.run_id, table.c.claim_expires_at.is_not(None))
                        .values(claim_expires_at=None)
                    )
                # a group it was creating: the next run re-reads the board and takes over
                conn.execute(delete(g).where(and_(g.c.run_id == dead.run_id, g.c.group_id == "")))
            taken.append(dead)
        return taken

    def held_by_live_runs(self, now: datetime, *, exclude: str | None = None) -> int:
        """Orders still to sync that another live run holds now."""
        o = self.t.orders
        dead = {d.run_id for d in self.dead_runs(now, exclude=exclude)}
        query = (
            select(o.c.run_id, func.count())
            .where(
                o.c.claim_expires_at > now,
                o.c.sync_state.in_(("PENDING", "ERROR")),
            )
            .group_by(o.c.run_id)
        )
        with self.engine.connect() as conn:
            return sum(
                int(n)
                for run_id, n in conn.execute(query)
                if run_id not in dead and run_id != exclude
            )
