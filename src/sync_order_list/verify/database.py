"""verify's database side: every order with its size lines, as ``DbOrder`` values.

SELECTs only, on whatever engine it is given (the CLI gives a read-only one unless it
repairs). Mapped values come as the driver returns them (no type processing), exactly
as the sync reads them, so ``comparable`` sees the same values the planner does.
Every order is read, whatever ``--customer`` says: an item of another customer must
not look like an orphan.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, column, select, table
from sqlalchemy.sql.expression import TableClause

from sync_order_list.config import AppConfig
from sync_order_list.db.setup import table_names
from sync_order_list.verify.model import DbLine, DbOrder

ORDER_SYNC_COLUMNS = (
    "record_uuid",
    "monday_item_id",
    "sync_state",
    "action_type",
    "item_name",
    "group_name",
    "synced_values",
    "claim_expires_at",
)
LINE_COLUMNS = (
    "line_id",
    "record_uuid",
    "size_code",
    "qty",
    "monday_subitem_id",
    "sync_state",
    "action_type",
    "synced_qty",
    "claim_expires_at",
)


def orders_clause(cfg: AppConfig) -> TableClause:
    names = table_names(cfg)
    settings = cfg.settings
    wanted = [settings.merge.business_key, settings.merge.customer_column]
    wanted += list(settings.monday.items.columns)
    wanted += list(ORDER_SYNC_COLUMNS)
    return table(names.target, *(column(c) for c in dict.fromkeys(wanted)), schema=names.schema)


def lines_clause(cfg: AppConfig) -> TableClause:
    names = table_names(cfg)
    return table(names.lines, *(column(c) for c in LINE_COLUMNS), schema=names.schema)


def read_orders(engine: Engine, cfg: AppConfig, now: datetime) -> list[DbOrder]:
    """Every order and its lines; ``claimed`` when a sync holds it at ``now``."""
    with engine.connect() as conn:
        lines = _read_lines(conn, cfg, now)
        orders = _read_orders(conn, cfg, now, lines)
        conn.rollback()
    return orders


def _read_lines(conn: Connection, cfg: AppConfig, now: datetime) -> dict[str, list[DbLine]]:
    ln = lines_clause(cfg)
    out: dict[str, list[DbLine]] = defaultdict(list)
    for r in conn.execute(select(ln).order_by(ln.c.record_uuid, ln.c.line_id)):
        m = r._mapping
        out[str(m["record_uuid"])].append(
            DbLine(
                line_id=str(m["line_id"]),
                size=str(m["size_code"]),
                qty=int(m["qty"]),
                subitem_id=_text(m["monday_subitem_id"]),
                state=str(m["sync_state"]),
                action=str(m["action_type"]),
                synced_qty=None if m["synced_qty"] is None else int(m["synced_qty"]),
            )
        )
    return out


def _read_orders(
    conn: Connection, cfg: AppConfig, now: datetime, lines: dict[str, list[DbLine]]
) -> list[DbOrder]:
    o = orders_clause(cfg)
    settings = cfg.settings
    key, customer = settings.merge.business_key, settings.merge.customer_column
    mapping = settings.monday.items.columns
    orders = []
    for r in conn.execute(select(o).order_by(o.c[key])):
        m = r._mapping
        record = str(m["record_uuid"])
        claim = _as_datetime(m["claim_expires_at"])
        orders.append(
            DbOrder(
                record_uuid=record,
                key=str(m[key]),
                customer=_text(m[customer]),
                item_id=_text(m["monday_item_id"]),
                state=str(m["sync_state"] or "NEW"),
                action=str(m["action_type"] or "INSERT"),
                item_name=_text(m["item_name"]),
                group_name=_text(m["group_name"]),
                values={column_id: m[db_column] for db_column, column_id in mapping.items()},
                synced_values=_synced(m["synced_values"]),
                claimed=claim is not None and claim > now,
                lines=tuple(lines.get(record, ())),
            )
        )
    return orders


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _synced(raw: Any) -> dict[str, str] | None:
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None
    return {str(k): str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else None


def _as_datetime(value: Any) -> datetime | None:
    """A claim expiry as stored (SQLite hands back text without type processing)."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
