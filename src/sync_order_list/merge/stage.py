"""The merge stage: staging -> ORDER_LIST and ORDER_LIST_LINES, set-based, one transaction.

1. check every configured column against the live schema (ConfigError before any write);
2. bring the orders' keys into canonical form (merge/keys.py), where no other order
   has that form; keys that collide are left alone and reported;
3. normalise the staging keys, unpivot the staging sizes into a work table and find
   the rows that cannot be merged (empty key, a key more than one row has after
   normalising, a size quantity that is not a whole number >= 0);
4. upsert the orders (row hash decides what changed), mark snapshot deletes;
5. upsert the lines, mark vanished sizes deleted.
Rejected rows stay in staging and are reported; the others merge. Every key the
merge writes (orders, lines) is the canonical key.
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


@dataclass(frozen=True)
class KeyCollision:
    """Orders whose keys are one canonical key after normalising (written before
    keys were normalised): left as they are, for a person to resolve."""

    key: str
    raw_keys: tuple[str, ...]

    def line(self) -> str:
        raws = ", ".join(repr(r) for r in self.raw_keys)
        return f"orders {raws} all normalise to {self.key!r}; left as they are"


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
    keys_normalised: int = 0
    key_collisions: list[KeyCollision] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def rejected_keys(self) -> int:
        return len({r.key for r in self.rejected if r.key is not None})

    @property
    def rejected_rows(self) -> int:
        """Staging rows left unmerged: empty keys, every copy of a duplicate or
        colliding key, bad sizes."""
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
            "keys_normalised": self.keys_normalised,
            "key_collisions": [
                {"key": c.key, "raw_keys": list(c.raw_keys)} for c in self.key_collisions
            ],
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

    def name_cols(self, names: list[str], alias: str) -> list[str]:
        """Name-rule columns: the business key among them is the canonical key (kk.k)."""
        key = self.settings.merge.business_key
        return ["kk.k" if n == key else f"{alias}.{self.sql.q(n)}" for n in names]

    def context(self, cols: MergeColumns, **extra: Any) -> dict[str, Any]:
        return {
            "source": self.env.source_table,
            "target": self.env.target_table,
            "lines": self.env.lines_table,
            "key": cols.key,
            "key_case": self.settings.merge.key_case,
            "tmp": self.tmp,
            "name_cols": self.name_cols,
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
        ctx = self.context(
            cols,
            key_type=cols.key_type_sql,
            raw_key_type=cols.raw_key_type_sql or cols.key_type_sql,
        )

        self.run_many("merge_temp_create", ctx)
        result.keys_normalised, result.key_collisions = self.normalise_target_keys(ctx)
        changed_keys = self.load_keys(cols, ctx)
        if changed_keys:  # nothing changed: no unpivot, no upsert
            self.unpivot_sizes(cols, ctx)
        result.rejected = self.find_rejects(ctx, result.key_collisions)
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

    def normalise_target_keys(self, ctx: dict[str, Any]) -> tuple[int, list[KeyCollision]]:
        """Rewrite the orders' keys that are not in canonical form, where no other order
        has that form (their orders go back on the sync path); the keys that collide."""
        self.run_many("merge_target_keys_insert", ctx)
        renamed = self.scalar("merge_count_fixed_keys", ctx)
        if renamed:
            self.run_many("merge_target_keys_fix", ctx, {"now": self.now})
        collisions: dict[str, list[str]] = defaultdict(list)
        held_keys: set[str] = set()
        for key, raw, held in self.conn.execute(
            statement("merge_target_key_collisions", self.sql, **ctx)
        ):
            collisions[str(key)].append(str(raw))
            if held:
                held_keys.add(str(key))
        return renamed, [
            # the order that has the canonical key itself first, the others by code point
            KeyCollision(k, (*([k] if k in held_keys else []), *sorted(raws)))
            for k, raws in sorted(collisions.items())
        ]

    def load_keys(self, cols: MergeColumns, ctx: dict[str, Any]) -> int:
        """Normalise every staging key and hash every staging row into the key table;
        return how many keys changed."""
        self.conn.execute(statement("merge_raw_keys_insert", self.sql, **ctx))
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
        item_fallback = ":item_fallback" if names.item.fallback_value is not None else "kk.k"
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

    def find_rejects(
        self, ctx: dict[str, Any], target_collisions: list[KeyCollision]
    ) -> list[RejectedRow]:
        rejected: list[RejectedRow] = []
        empty = self.scalar("merge_empty_keys", ctx)
        if empty:
            rejected.append(RejectedRow(None, "empty business key", count=empty))
        rejected += self.duplicate_keys(ctx)
        if target_collisions:
            rejected += self.keys_of_target_collisions(ctx, target_collisions)
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

    def duplicate_keys(self, ctx: dict[str, Any]) -> list[RejectedRow]:
        """Every canonical key more than one staging row has, naming each raw key."""
        raws: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for key, raw, count in self.conn.execute(
            statement("merge_duplicate_keys", self.sql, **ctx)
        ):
            raws[str(key)].append((str(raw), int(count)))
        return [duplicate_reject(key, sorted(found)) for key, found in sorted(raws.items())]

    def keys_of_target_collisions(
        self, ctx: dict[str, Any], collisions: list[KeyCollision]
    ) -> list[RejectedRow]:
        """Staging keys only colliding orders hold: merging them would add one more."""
        raws_of = {c.key: list(c.raw_keys) for c in collisions}
        rejected = []
        for key, count in self.conn.execute(
            statement("merge_target_collision_keys", self.sql, **ctx)
        ):
            raws = raws_of.get(str(key), [])
            rejected.append(
                RejectedRow(
                    str(key),
                    f"business key collides after normalising with orders already in "
                    f"{self.env.target_table}: {quote_keys(raws)}; give those orders distinct "
                    "keys first",
                    count=int(count),
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


def quote_keys(keys: list[str]) -> str:
    return ", ".join(repr(k) for k in keys)


def duplicate_reject(key: str, raws: list[tuple[str, int]]) -> RejectedRow:
    """The reject of a canonical key more than one staging row has: a plain duplicate
    when they all spell it the same, a collision naming every raw key otherwise."""
    count = sum(n for _, n in raws)
    if len(raws) == 1:
        raw = raws[0][0]
        spelled = "" if raw == key else f" (as {raw!r})"
        return RejectedRow(key, f"business key appears more than once{spelled}", count=count)
    reason = f"business key collides after normalising: {quote_keys([r for r, _ in raws])}"
    return RejectedRow(key, reason, count=count)


def run_merge(engine: Engine, cfg: AppConfig, *, now: datetime | None = None) -> MergeResult:
    """Merge staging into the orders and lines tables in one transaction."""
    sql = sql_dialect(engine, cfg)
    moment = now or datetime.now(UTC).replace(tzinfo=None)
    try:
        with engine.begin() as conn:
            return _Merge(conn, cfg, sql, moment).run()
    except SQLAlchemyError as exc:
        raise DatabaseError(f"merge failed and was rolled back: {exc.orig or exc}") from exc
