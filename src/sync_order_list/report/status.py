"""Where the rows stand: counts by state and customer, rows in flight too long.

Read-only: ``status`` and ``check`` never write.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, MetaData, Table, and_, func, or_, select

from sync_order_list.config import AppConfig
from sync_order_list.db.filters import customer_matches, known_customers, no_match_message
from sync_order_list.db.setup import table_names
from sync_order_list.errors import SyncOrderListError

STATES = ("NEW", "PENDING", "SYNCED", "ERROR")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class StatusReport:
    orders_by_customer: dict[str, dict[str, int]] = field(default_factory=dict)
    lines_by_state: dict[str, int] = field(default_factory=dict)
    in_flight_too_long: list[tuple[str, str, datetime]] = field(default_factory=list)
    oldest_pending: datetime | None = None
    claimed_now: int = 0
    to_sync_now: int = 0  # orders a sync would take now (what --dry-run counts)
    held_by_live_runs: int = 0  # orders to sync that a live run holds
    customer_message: str | None = None  # --customer matched no order

    def order_totals(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for states in self.orders_by_customer.values():
            for state, n in states.items():
                totals[state] += n
        return {s: totals.get(s, 0) for s in STATES}

    def as_dict(self) -> dict[str, Any]:
        return {
            "orders": self.order_totals(),
            "orders_by_customer": self.orders_by_customer,
            "lines": {s: self.lines_by_state.get(s, 0) for s in STATES},
            "in_flight_too_long": [
                {"table": t, "key": k, "since": since.isoformat()}
                for t, k, since in self.in_flight_too_long
            ],
            "oldest_pending": self.oldest_pending.isoformat() if self.oldest_pending else None,
            "claimed_now": self.claimed_now,
            "to_sync_now": self.to_sync_now,
            "held_by_live_runs": self.held_by_live_runs,
            "customer_message": self.customer_message,
        }


def _tables(engine: Engine, cfg: AppConfig) -> tuple[Table, Table]:
    names = table_names(cfg)
    md = MetaData(schema=names.schema)
    with engine.connect() as conn:
        return (
            Table(names.target, md, autoload_with=conn),
            Table(names.lines, md, autoload_with=conn),
        )


def in_flight(t: Table) -> Any:
    return and_(
        t.c.sync_attempted_at.is_not(None),
        or_(t.c.sync_completed_at.is_(None), t.c.sync_completed_at < t.c.sync_attempted_at),
        t.c.sync_state != "SYNCED",
    )


def read_status(
    engine: Engine, cfg: AppConfig, *, customer: str | None = None, now: datetime | None = None
) -> StatusReport:
    orders, lines = _tables(engine, cfg)
    now = now or utcnow()
    key = cfg.settings.merge.business_key
    cust = orders.c[cfg.settings.merge.customer_column]
    limit = now - timedelta(minutes=cfg.settings.monitoring.in_flight_max_age_minutes)
    report = StatusReport()
    where = [customer_matches(cust, customer)] if customer else []
    with engine.connect() as conn:
        for name, state, n in conn.execute(
            select(cust, orders.c.sync_state, func.count())
            .where(*where)
            .group_by(cust, orders.c.sync_state)
        ):
            label = "(no customer)" if name is None else str(name)
            report.orders_by_customer.setdefault(label, {s: 0 for s in STATES})[state or "NEW"] = n
        if customer and not report.orders_by_customer:
            report.customer_message = no_match_message(customer, known_customers(conn, cust))
        line_query = select(lines.c.sync_state, func.count()).group_by(lines.c.sync_state)
        if customer:
            line_query = line_query.join(orders, orders.c.record_uuid == lines.c.record_uuid).where(
                *where
            )
        report.lines_by_state = {state: n for state, n in conn.execute(line_query)}
        for table, label, key_col in (
            (orders, "order", orders.c[key]),
            (lines, "line", lines.c.order_key),
        ):
            stuck = select(key_col, table.c.sync_attempted_at).where(
                in_flight(table), table.c.sync_attempted_at < limit
            )
            report.in_flight_too_long += [
                (label, str(k), at) for k, at in conn.execute(stuck.limit(100))
            ]
        report.oldest_pending = conn.execute(
            select(func.min(orders.c.merged_at)).where(orders.c.sync_state == "PENDING", *where)
        ).scalar()
        report.claimed_now = int(
            conn.execute(
                select(func.count()).select_from(orders).where(orders.c.claim_expires_at > now)
            ).scalar()
            or 0
        )
    _pending_like_a_sync(engine, cfg, report, now, customer)
    return report


def _pending_like_a_sync(
    engine: Engine, cfg: AppConfig, report: StatusReport, now: datetime, customer: str | None
) -> None:
    """What a sync would take now, counted as the sync and its dry run count: rows a
    dead run holds are free (a sync takes them over first), a live run's are not."""
    from sync_order_list.sync.liveness import Liveness
    from sync_order_list.sync.store import SyncStore

    try:
        store = SyncStore(engine, cfg)
    except SyncOrderListError:  # an older schema: init-db will say so
        return
    liveness = Liveness(engine, store.t, cfg.settings)
    dead = [d.run_id for d in liveness.dead_runs(now)]
    o = store.t.orders
    where = [customer_matches(o.c[store.t.customer], customer)] if customer else []
    with engine.connect() as conn:
        report.to_sync_now = int(
            conn.execute(
                select(func.count()).select_from(o).where(store._eligible(o, now, dead), *where)
            ).scalar()
            or 0
        )
    report.held_by_live_runs = liveness.held_by_live_runs(now)
