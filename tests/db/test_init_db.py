"""init-db on a user's existing orders table: sync columns added, state CHECK ensured."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Unicode, inspect, text
from sqlalchemy.exc import IntegrityError

from sync_order_list.db import init_db, make_engine
from tests.conftest import Database


def test_existing_sync_state_column_gets_the_check(database: Database) -> None:
    db = database
    schema = db.cfg.env.db_schema
    md = MetaData(schema=schema)
    Table(
        "LEGACY_ORDERS",
        md,
        Column("AAG ORDER NUMBER", Unicode(100)),
        Column("CUSTOMER NAME", Unicode(100)),
        Column("sync_state", String(10)),  # a column of an older tool, no constraint
        Column("retry_count", Integer),
    )
    md.create_all(db.engine)
    env = db.cfg.env.model_copy(update={"target_table": "LEGACY_ORDERS"})
    import dataclasses

    cfg = dataclasses.replace(db.cfg, env=env)
    report = init_db(db.engine, cfg)
    assert "record_uuid" in report.added_columns and "sync_state" not in report.added_columns
    checks = inspect(db.engine).get_check_constraints("LEGACY_ORDERS", schema=schema)
    table = f'"{schema}"."LEGACY_ORDERS"' if schema else '"LEGACY_ORDERS"'
    if db.backend == "sqlite":
        assert not checks and any("CHECK" in w for w in report.warnings)
        return
    assert any("sync_state" in c["sqltext"] for c in checks)
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(
            text(f'INSERT INTO {table} ("AAG ORDER NUMBER", sync_state) VALUES (:k, :s)'),
            {"k": "X-1", "s": "FAILED"},
        )
    assert init_db(db.engine, cfg).added_columns == []  # idempotent


def test_init_db_is_idempotent_and_refuses_a_missing_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sync_order_list.errors import SchemaError
    from tests.conftest import make_config

    url = f"sqlite:///{tmp_path / 'x.db'}"
    cfg = make_config(url)
    engine = make_engine(url)
    with pytest.raises(SchemaError, match=r"environments.development.target_table"):
        init_db(engine, cfg)
    first = init_db(engine, cfg, order_tables=True)
    assert "ORDER_LIST" in first.created_tables and "sync_state" in first.added_columns
    again = init_db(engine, cfg, order_tables=True)
    assert again.created_tables == [] and again.added_columns == []
    engine.dispose()


def test_init_db_adds_columns_a_newer_version_gave_its_own_tables(database: Database) -> None:
    """Upgrading is running init-db again: an owned table created by an older version
    (SYNC_RUNS without the heartbeat) gets the new nullable columns."""
    db = database
    schema = db.cfg.env.db_schema
    runs = db.cfg.settings.tables.runs
    table = f'"{schema}"."{runs}"' if schema else f'"{runs}"'
    with db.engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(
            text(
                f"CREATE TABLE {table} (run_id VARCHAR(36) PRIMARY KEY, environment VARCHAR(50) "
                "NOT NULL, command VARCHAR(50) NOT NULL, started_at TIMESTAMP NOT NULL)"
            )
        )
    report = init_db(db.engine, db.cfg)
    assert f"{runs}.heartbeat_at" in report.added_columns
    assert f"{runs}.outcome" in report.added_columns
    columns = {c["name"] for c in inspect(db.engine).get_columns(runs, schema=schema)}
    assert {"heartbeat_at", "host", "pid", "message"} <= columns
    assert init_db(db.engine, db.cfg).added_columns == []
