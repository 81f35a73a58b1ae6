"""``retry``: put ERROR rows back to PENDING so the next sync takes them again.

The failure count is kept (a success resets it), so ``--max-retries`` can tell a
chronic failure from a passing one on every use; PENDING rows are synced whatever
their count. The in-flight markers are kept too: a row whose create had an unknown
outcome is still looked up by key before it is created again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, update

from sync_order_list.config import AppConfig
from sync_order_list.db.filters import customer_matches
from sync_order_list.sync.store import reflect_tables


@dataclass(frozen=True)
class RetryResult:
    orders: int
    lines: int


def reset_errors(
    engine: Engine, cfg: AppConfig, *, customer: str | None = None, max_retries: int | None = None
) -> RetryResult:
    """ERROR -> PENDING. ``max_retries``: only rows that have failed at most that many
    times (leave chronic failures for a person). ``customer`` matches in any case."""
    t = reflect_tables(engine, cfg)
    o, ln = t.orders, t.lines
    counts = []
    with engine.begin() as conn:
        for table in (o, ln):
            stmt = update(table).where(table.c.sync_state == "ERROR")
            if max_retries is not None:
                stmt = stmt.where(table.c.retry_count <= max_retries)
            if customer is not None:
                of_customer = customer_matches(o.c[t.customer], customer)
                if table is o:
                    stmt = stmt.where(of_customer)
                else:
                    parents = o.select().with_only_columns(o.c.record_uuid).where(of_customer)
                    stmt = stmt.where(ln.c.record_uuid.in_(parents.scalar_subquery()))
            # the failure count stays: --max-retries tells chronic failures apart
            result = conn.execute(
                stmt.values(sync_state="PENDING", sync_error=None, claim_expires_at=None)
            )
            counts.append(result.rowcount)
    return RetryResult(orders=counts[0], lines=counts[1])
