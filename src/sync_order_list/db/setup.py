"""``init-db``: create the tool's tables and add the sync columns to the orders table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, MetaData, inspect
from sqlalchemy.exc import SQLAlchemyError

from sync_order_list.config import AppConfig
from sync_order_list.db.introspect import live_columns, table_exists
from sync_order_list.db.order_tables import orders_table
from sync_order_list.db.schema import (
    ORDER_SYNC_COLUMNS,
    SYNC_STATES,
    TableNames,
    owned_metadata,
)
from sync_order_list.db.templates import SqlDialect, statement
from sync_order_list.errors import DatabaseError, SchemaError


@dataclass
class InitReport:
    created_tables: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def table_names(cfg: AppConfig) -> TableNames:
    t = cfg.settings.tables
    return TableNames(
        target=cfg.env.target_table,
        lines=cfg.env.lines_table,
        groups=t.groups,
        runs=t.runs,
        api_log=t.api_log,
        documents=t.documents,
        bulk_jobs=t.bulk_jobs,
        schema=cfg.env.db_schema,
    )


def sql_dialect(engine: Engine, cfg: AppConfig) -> SqlDialect:
    return SqlDialect(engine.dialect, cfg.env.db_schema)


def create_order_tables(engine: Engine, cfg: AppConfig) -> list[str]:
    """Create the staging and target tables with the real 410 columns if missing."""
    schema = cfg.env.db_schema
    md = MetaData(schema=schema)
    created = []
    with engine.begin() as conn:
        for name, staging in ((cfg.env.source_table, True), (cfg.env.target_table, False)):
            if not table_exists(conn, name, schema):
                orders_table(name, md, staging=staging).create(conn)
                created.append(name)
    return created


def init_db(engine: Engine, cfg: AppConfig, *, order_tables: bool = False) -> InitReport:
    """Idempotent set-up; safe to run before every job."""
    report = InitReport()
    names = table_names(cfg)
    sql = sql_dialect(engine, cfg)
    key = cfg.settings.merge.business_key
    try:
        if order_tables:
            report.created_tables += create_order_tables(engine, cfg)
        with engine.begin() as conn:
            if not table_exists(conn, names.target, names.schema):
                raise SchemaError(
                    f"table {names.target!r} does not exist",
                    key=f"environments.{cfg.env_name}.target_table",
                    file=str(cfg.path),
                    hint="create it, or run `sync-order-list init-db --order-tables` for a demo",
                )
            existing = {c.name for c in live_columns(conn, names.target, names.schema)}
            if key not in existing:
                raise SchemaError(
                    f"business key column {key!r} is not a column of {names.target!r}",
                    key="merge.business_key",
                    file=str(cfg.path),
                )
            for col in ORDER_SYNC_COLUMNS:
                if col.name in existing:
                    continue
                conn.execute(
                    statement(
                        "add_column",
                        sql,
                        target=names.target,
                        column=col.name,
                        type_sql=sql.type_sql(col.type),
                        default=_literal(col.default),
                        check=col.check_states,
                        check_name=f"ck_{names.target}_{col.name}",
                        states=SYNC_STATES,
                    )
                )
                report.added_columns.append(col.name)
            if "sync_state" in existing:
                _ensure_state_check(conn, sql, names, report)
            conn.execute(statement("fill_record_uuid", sql, target=names.target))
            qualified = f"{names.schema}.{names.target}" if names.schema else names.target
            for template, index in (
                ("create_key_index", f"ux_{names.target}_key"),
                ("create_state_index", f"ix_{names.target}_sync_state"),
                ("create_uuid_index", f"ix_{names.target}_record_uuid"),
            ):
                conn.execute(
                    statement(template, sql, target=names.target, key=key, index_name=index),
                    {"index_name": index, "qualified_target": qualified}
                    if sql.name == "mssql"
                    else {},
                )
                report.indexes.append(index)
            before = set(inspect(conn).get_table_names(schema=names.schema))
            owned = owned_metadata(names)
            owned.create_all(conn, checkfirst=True)
            after = set(inspect(conn).get_table_names(schema=names.schema))
            report.created_tables += sorted(after - before)
            report.added_columns += _add_owned_columns(conn, sql, owned, before & after)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"init-db failed: {exc.__class__.__name__}: {exc.orig or exc}") from exc
    return report


def _ensure_state_check(conn: Any, sql: SqlDialect, names: TableNames, report: InitReport) -> None:
    """An existing sync_state column must allow exactly the four states too."""
    checks = inspect(conn).get_check_constraints(names.target, schema=names.schema)
    if any("sync_state" in (c.get("sqltext") or "") for c in checks):
        return
    if sql.name == "sqlite":  # SQLite cannot add a constraint to an existing table
        report.warnings.append(
            f"{names.target}.sync_state has no CHECK constraint (it existed before init-db; "
            "SQLite cannot add one): nothing stops other writers from storing other states"
        )
        return
    conn.execute(
        statement(
            "add_state_check",
            sql,
            target=names.target,
            check_name=f"ck_{names.target}_sync_state",
            states=SYNC_STATES,
        )
    )
    report.added_columns.append("CHECK on sync_state")


def _add_owned_columns(
    conn: Any, sql: SqlDialect, owned: MetaData, existing_tables: set[str]
) -> list[str]:
    """Columns a newer version added to a table the tool owns (all nullable): added to
    tables created by an older version, so upgrading is running ``init-db`` again."""
    added = []
    for table in owned.sorted_tables:
        if table.name not in existing_tables:
            continue
        have = {c.name for c in live_columns(conn, table.name, table.schema)}
        for column in table.columns:
            if column.name in have or not column.nullable or column.primary_key:
                continue
            conn.execute(
                statement(
                    "add_column",
                    sql,
                    target=table.name,
                    column=column.name,
                    type_sql=sql.type_sql(column.type),
                    default=None,
                    check=False,
                    check_name=None,
                    states=SYNC_STATES,
                )
            )
            added.append(f"{table.name}.{column.name}")
    return added


def _literal(value: str | int | None) -> str | None:
    """DDL defaults are constants of this module, never user data."""
    if value is None:
        return None
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"
