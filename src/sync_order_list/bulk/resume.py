"""Bulk jobs an earlier run left unfinished (it died, was stopped, or a job outlived
``bulk.job_timeout_seconds``), carried on by the run that claims their rows.

Before recovery and planning, each open job of the rows this run claimed is driven
from its recorded state (``job``): started again under its key, uploaded while its URL
lasts and it has no file, polled until it ends. Then what it made is adopted (like a
row found on the board by key: the plan sends only what differs), what monday refused
is ERROR with its reason, and what it did not make is planned as usual. Rows of a job
whose outcome is still unknown stay in flight, out of this run's plan.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sync_order_list.bulk.job import JobDriver, Unsettled
from sync_order_list.bulk.journal import ENDED_STATES, OPEN_STATES, BulkJournal, is_bulk_key
from sync_order_list.sync.clock import utcnow
from sync_order_list.sync.executor import Executor
from sync_order_list.sync.rows import ClaimedRows
from sync_order_list.sync.store import Adopted, AdoptedLine, SyncStore
from sync_order_list.sync.tally import Tally

log = logging.getLogger("sync_order_list.bulk")


@dataclass
class Resumed:
    jobs: int = 0
    adopted: int = 0
    refused: int = 0
    unsettled_orders: set[str] = field(default_factory=set)
    unsettled_lines: set[str] = field(default_factory=set)

    @property
    def changed(self) -> bool:
        return self.jobs > 0


async def resume_jobs(
    *,
    driver: JobDriver,
    executor: Executor,
    journal: BulkJournal,
    store: SyncStore,
    rows: ClaimedRows,
    run_id: str,
    tally: Tally,
) -> Resumed:
    out = Resumed()
    keys = {
        r.doc_key
        for r in [*rows.orders, *rows.lines]
        if r.in_flight and r.doc_key and is_bulk_key(r.doc_key)
    }
    if not keys:
        return out
    jobs = await asyncio.to_thread(journal.load, keys)
    for job in jobs:
        if job.state not in OPEN_STATES + ENDED_STATES:
            continue  # settled or abandoned: its rows are looked up by key as usual
        out.jobs += 1
        log.info("resuming bulk job %s (%s, recorded %s)", job.key, job.state, job.created_at)
        try:
            s = await driver.drive(job)
        except Unsettled as exc:
            log.warning("%s: its rows stay in flight", exc)
            out.unsettled_orders |= {m.ref.id for m in job.row_map if m.ref.table == "order"}
            out.unsettled_lines |= {m.ref.id for m in job.row_map if m.ref.table == "line"}
            continue
        now = utcnow()
        adopted = [Adopted(i, item, s.snapshots.get(i)) for i, item in s.items.items()]
        lines = [AdoptedLine(i, sub, qty) for i, (sub, qty) in s.subitems.items()]
        await asyncio.to_thread(store.adopt, run_id, now, adopted, lines)
        out.adopted += len(adopted) + len(lines)
        tally.adopted += len(adopted) + len(lines)
        if s.errors:
            refs = {m.ref.id: m.ref for m in job.row_map}
            await executor.fail_each([(refs[i], message) for i, message in s.errors.items()])
            out.refused += len(s.errors)
        await asyncio.to_thread(
            store.resolve_not_found,
            run_id,
            now,
            [m.ref.id for m in s.missing if m.ref.table == "order"],
            [m.ref.id for m in s.missing if m.ref.table == "line"],
        )
        out.unsettled_orders |= {m.ref.id for m in s.uncertain if m.ref.table == "order"}
        out.unsettled_lines |= {m.ref.id for m in s.uncertain if m.ref.table == "line"}
        await driver.finish(s)
    return out
