"""The merge stage: staging -> ORDER_LIST and ORDER_LIST_LINES, set-based, one transaction.

1. check every configured column against the live schema (ConfigError before any write);
2. unpivot the staging sizes into a work table and find the rows that cannot be merged
   (empty key, duplicate key, a size quantity that is not a whole number >= 0);
3. upsert the orders (row hash decides what changed), mark snapshot deletes;
4. upsert the lines, mark vanished sizes deleted.
Rejected rows stay in staging and are reported; the others merge.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from sync_order_list.config import AppConfig
from sync_order_list.db.introspect import live_columns, table_exists
from sync_order_list.db.setup import sql_dialect
from sync_order_list.db.templates import SqlDialect, render, statement
from sync_order_list.errors import DatabaseError, SchemaError, SyncOrderListError
from sync_order_list.merge.columns import MergeColumns, plan_columns

SQLITE_JSON_CHUNK = 100  # SQLite functions take at most 127 arguments by default


class MergeGuardError(SyncOrderListError):
    """The merge would do something drastic (delete most orders) and was stopped."""


@dataclass(frozen=True)
class RejectedRow:
    """A staging row that was not merged, and why."""

    key: str | None
    reason: str
    count: int = 1
    column: str | None = None
    value: str | None = None

    def line(self) -> str:
        where = f"order {self.key!r}" if self.key is not None else "rows with no key"
        extra = f" (column {self.column!r} = {self.value!r})" if self.column else ""
        times = f" x{self.count}" if self.count > 1 else ""
        return f"{where}{times}: {self.reason}{extra}"


@dataclass
class MergeResult:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    lines_upserted: int = 0
    lines_deleted: int = 0
    staging_rows: int = 0
    size_columns: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def rejected_keys(self) -> int:
        return len({r.key for r in self.rejected if r.key is not None})

    @property
    def rejected_rows(self) -> int:
        """Staging rows left unmerged: empty keys, every copy of a duplicate, bad sizes."""
        rows = sum(r.count for r in self.rejected if r.column is None)
        quantity_keys = {r.key for r in self.rejected if r.column is not None}
        duplicate_keys = {r.key for r in self.rejected if r.column is None and r.key}
        return rows + len(quantity_keys - duplicate_keys)

    def as_dict(self) -> dict[str, Any]:
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "deleted": self.deleted,
            "lines_upserted": self.lines_upserted,
            "lines_deleted": self.lines_deleted,
            "staging_rows": self.staging_rows,
            "rejected_rows": self.rejected_rows,
            "size_columns": self.size_columns,
            "rejected": [r.__dict__ for r in self.rejected],
            "seconds": round(self.seconds, 3),
        }


class _Merge:
    """One merge run inside one connection and transaction."""

    def __init__(self, conn: Connection, cfg: AppConfig, sql: SqlDialect, now: datetime) -> None:
        self.conn = conn
        self.cfg = cfg
        self.sql = sql
        self.now = now
        self.env = cfg.env
        self.settings = cfg.settings

    # -- rendering -------------------------------------------------------------------
    def tmp(self, name: str) -> str:
        if self.sql.name == "mssql":
            return self.sql.q(f"#sol_{name}")
        return self.sql.q(f"sol_{name}")

    def cols(self, names: list[str], alias: str) -> list[str]:
        return [f"{alias}.{self.sql.q(n)}" for n in names]

    def context(self, cols: MergeColumns, **extra: Any) -> dict[str, Any]:
        return {
            "source": self.env.source_table,
            "target": self.env.target_table,
            "lines": self.env.lines_table,
            "key": cols.key,
            "tmp": self.tmp,
            "cols": self.cols,
            **extra,
        }

    def run_many(self, name: str, ctx: dict[str, Any], params: dict[str, Any] | None = None) -> int:
        """Run a template of statements separated by ';' lines; the rows they changed."""
        changed = 0
        for part in render(name, self.sql, **ctx).split("\n;\n"):
            if part.strip():
                result = self.conn.execute(text(part), params or {})
                changed += max(result.rowcount or 0, 0)
        return changed

    # -- the merge -------------------------------------------------------------------
    def discover(self) -> MergeColumns:
        schema = self.env.db_schema
        for table, key in (
            (self.env.source_table, "source_table"),
            (self.env.target_table, "target_table"),
            (self.env.lines_table, "lines_table"),
        ):
            if not table_exists(self.conn, table, schema):
                hint = "run `sync-order-list init-db`" if key == "lines_table" else None
                raise SchemaError(
                    f"table {table!r} does not exist",
                    key=f"environments.{self.cfg.env_name}.{key}",
                    file=str(self.cfg.path),
                    hint=hint,
                )
        staging = live_columns(self.conn, self.env.source_table, schema)
        target = live_columns(self.conn, self.env.target_table, schema)
        return plan_columns(self.cfg, staging, target)

    def run(self) -> MergeResult:
        started = time.perf_counter()
        cols = self.discover()
        result = MergeResult(size_columns=len(cols.size_columns))
        result.ignored_columns = cols.ignored_staging_columns
        ctx = self.context(cols, key_type=cols.key_type_sql)

        self.run_many("merge_temp_create", ctx)
        changed_keys = self.load_keys(cols, ctx)
        if changed_keys:  # nothing changed: no unpivot, no upsert
            self.unpivot_sizes(cols, ctx)
        result.rejected = self.find_rejects(ctx)
        self.record_bad_keys(result.rejected, ctx)
        if changed_keys:
            result.inserted = self.scalar("merge_count_new", ctx)
            upserted = self.upsert_orders(cols, ctx)
            result.updated = max(upserted - result.inserted, 0)
        snapshot = self.settings.merge.mode == "snapshot"
        if snapshot:
            result.deleted = self.mark_deletes(ctx)
        if changed_keys:
            result.lines_upserted = self.conn.execute(
                statement("merge_upsert_lines", self.sql, **ctx), {"now": self.now}
            ).rowcount
        if changed_keys or snapshot:
            result.lines_deleted = self.run_many(
                "merge_mark_line_deletes",
                {**ctx, "snapshot": snapshot, "changed": bool(changed_keys)},
                {"now": self.now},
            )
        self.run_many("merge_temp_drop", ctx)
        result.staging_rows = self.count_staging()
        result.seconds = time.perf_counter() - started
        return result

    def load_keys(self, cols: MergeColumns, ctx: dict[str, Any]) -> int:
        """Hash every staging row into the key table; return how many keys changed."""
        hashed = list(cols.hash_columns) + list(cols.size_columns)
        self.conn.execute(
            statement("merge_keys_insert", self.sql, hash_exprs=self.cols(hashed, "s"), **ctx)
        )
        self.conn.execute(statement("merge_keys_changed", self.sql, **ctx))
        return self.scalar("merge_count_changed", ctx)

    def unpivot_sizes(self, cols: MergeColumns, ctx: dict[str, Any]) -> None:
        """The sizes of changed keys, one row per non-empty quantity, parsed."""
        self.conn.execute(
            statement("merge_size_cols_insert", self.sql, **ctx),
            [{"pos": i, "size_code": code} for i, code in enumerate(cols.size_columns)],
        )
        chunks = [
            {"offset": i, "columns": cols.size_columns[i : i + SQLITE_JSON_CHUNK]}
            for i in range(0, len(cols.size_columns), SQLITE_JSON_CHUNK)
        ]
        self.conn.execute(
            statement(
                "merge_unpivot_sizes",
                self.sql,
                size_columns=cols.size_columns,
                size_chunks=chunks,
                **ctx,
            )
        )
        self.conn.execute(statement("merge_temp_index", self.sql, **ctx))

    def record_bad_keys(self, rejected: list[RejectedRow], ctx: dict[str, Any]) -> None:
        bad: dict[str, str] = {}
        for r in rejected:
            if r.key is not None:
                bad.setdefault(r.key, r.reason)
        if bad:
            self.conn.execute(
                statement("merge_bad_key_insert", self.sql, **ctx),
                [{"k": k, "reason": reason[:200]} for k, reason in bad.items()],
            )

    def upsert_orders(self, cols: MergeColumns, ctx: dict[str, Any]) -> int:
        """Insert new orders, update changed ones; the number of rows written."""
        names = self.settings.names
        item_fallback = (
            ":item_fallback"
            if names.item.fallback_value is not None
            else f"s.{self.sql.q(cols.key)}"
        )
        upsert_ctx = {
            **ctx,
            "copy_columns": cols.copy_columns,
            "group_rule": names.group,
            "item_rule": names.item,
            "item_fallback_expr": item_fallback,
        }
        params: dict[str, Any] = {
            "now": self.now,
            "group_sep": names.group.separator,
            "group_fallback": names.group.fallback_value,
            "item_sep": names.item.separator,
        }
        if names.item.fallback_value is not None:
            params["item_fallback"] = names.item.fallback_value
        return int(
            self.conn.execute(
                statement("merge_upsert_orders", self.sql, **upsert_ctx), params
            ).rowcount
        )

    def scalar(self, name: str, ctx: dict[str, Any], params: dict[str, Any] | None = None) -> int:
        return int(self.conn.execute(statement(name, self.sql, **ctx), params or {}).scalar() or 0)

    def count_staging(self) -> int:
        return self.scalar("count_rows", {"table_name": self.env.source_table})

    def find_rejects(self, ctx: dict[str, Any]) -> list[RejectedRow]:
        rejected: list[RejectedRow] = []
        empty = self.scalar("merge_empty_keys", ctx)
        if empty:
            rejected.append(RejectedRow(None, "empty business key", count=empty))
        for key, count in self.conn.execute(statement("merge_duplicate_keys", self.sql, **ctx)):
            rejected.append(
                RejectedRow(str(key), "business key appears more than once", count=int(count))
            )
        per_key: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for key, size_code, raw in self.conn.execute(
            statement("merge_bad_quantities", self.sql, **ctx)
        ):
            per_key[str(key)].append((str(size_code), str(raw)))
        for key, cells in per_key.items():
            for size_code, raw in cells:
                rejected.append(
                    RejectedRow(
                        key,
                        "size quantity is not a whole number >= 0",
                        column=size_code,
                        value=raw,
                    )
                )
        return rejected

    def mark_deletes(self, ctx: dict[str, Any]) -> int:
        row = self.conn.execute(statement("merge_count_deletes", self.sql, **ctx)).one()
        live, missing = int(row.live or 0), int(row.missing or 0)
        if missing == 0:
            return 0
        limit = self.settings.merge.max_delete_fraction
        if missing > live * limit:
            staging = self.count_staging()
            what = "the staging table is empty" if staging == 0 else f"{staging} staging rows"
            raise MergeGuardError(
                f"snapshot merge would delete {missing} of {live} live orders ({what}); "
                "nothing was merged",
                hint="check the staging load; if the deletes are intended raise "
                '[merge] max_delete_fraction or use mode = "incremental"',
            )
        return self.conn.execute(
            statement("merge_mark_deletes", self.sql, **ctx), {"now": self.now}
        ).rowcount


def run_merge(engine: Engine, cfg: AppConfig, *, now: datetime | None = None) -> MergeResult:
    """Merge staging into the orders and lines tables in one transaction."""
    sql = sql_dialect(engine, cfg)
    moment = now or datetime.now(UTC).replace(tzinfo=None)
    try:
        with engine.begin() as conn:
            return _Merge(conn, cfg, sql, moment).run()
    except SQLAlchemyError as exc:
        raise DatabaseError(f"merge failed and was rolled back: {exc.orig or exc}") from exc
