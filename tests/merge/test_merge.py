"""The merge stage on a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import MetaData, Table, func, select, text, update

from sync_order_list.db.introspect import table_exists
from sync_order_list.errors import SchemaError
from sync_order_list.merge import MergeGuardError, run_merge
from sync_order_list.merge.names import group_name, item_name
from sync_order_list.sample.generator import generate, generate_rows, is_volatile, write_staging
from tests.conftest import Database

N = 40


def tables(db: Database) -> tuple[Table, Table, Table]:
    md = MetaData(schema=db.cfg.env.db_schema)
    with db.engine.connect() as conn:
        staging = Table(db.cfg.env.source_table, md, autoload_with=conn)
        orders = Table(db.cfg.env.target_table, md, autoload_with=conn)
        lines = Table(db.cfg.env.lines_table, md, autoload_with=conn)
    return staging, orders, lines


def fetch(db: Database, query: Any) -> list[Any]:
    with db.engine.connect() as conn:
        return list(conn.execute(query))


def orders_by_key(db: Database) -> dict[str, Any]:
    _, orders, _ = tables(db)
    return {r._mapping["AAG ORDER NUMBER"]: r._mapping for r in fetch(db, select(orders))}


def lines_of(db: Database) -> dict[tuple[str, str], Any]:
    _, _, lines = tables(db)
    return {(r.order_key, r.size_code): r for r in fetch(db, select(lines))}


def expected_lines(rows: list[dict[str, Any]], sizes: list[str]) -> dict[tuple[str, str], int]:
    out = {}
    for row in rows:
        for size in sizes:
            value = row.get(size)
            if value is not None and int(value) > 0:
                out[(row["AAG ORDER NUMBER"], size)] = int(value)
    return out


def size_names(db: Database) -> list[str]:
    staging, _, _ = tables(db)
    names = [c.name for c in staging.columns]
    return names[names.index("UNIT OF MEASURE") + 1 : names.index("TOTAL QTY")]


def mark_synced(db: Database) -> None:
    """Pretend a sync ran: every order and line has a monday id and is SYNCED."""
    _, orders, lines = tables(db)
    with db.engine.begin() as conn:
        conn.execute(
            update(orders).values(
                monday_item_id="1" + func.substr(orders.c.record_uuid, 1, 0),
                sync_state="SYNCED",
                synced_hash=orders.c.row_hash,
            )
        )
        conn.execute(update(lines).values(monday_subitem_id="2", sync_state="SYNCED"))


def test_first_merge_inserts_orders_lines_and_names(database: Database) -> None:
    db = database
    generate(db.engine, db.cfg, orders=N, seed=1)
    result = run_merge(db.engine, db.cfg)
    assert (result.inserted, result.updated, result.deleted) == (N, 0, 0)
    assert result.size_columns == 245 and not result.rejected

    rows = generate_rows(N, 1)
    got = orders_by_key(db)
    assert len(got) == N
    names = db.cfg.settings.names
    for row in rows:
        order = got[row["AAG ORDER NUMBER"]]
        assert order["sync_state"] == "PENDING" and order["action_type"] == "INSERT"
        assert order["group_name"] == group_name(row, names.group)
        assert order["item_name"] == item_name(row, names.item, "AAG ORDER NUMBER")
        assert len(order["row_hash"]) == 64 and order["record_uuid"]

    want = expected_lines(rows, size_names(db))
    got_lines = lines_of(db)
    assert {k: v.qty for k, v in got_lines.items()} == want
    assert result.lines_upserted == len(want)
    assert {v.action_type for v in got_lines.values()} == {"INSERT"}
    # a fallback group exists: some orders have no customer season
    assert any(" SS2" in o["group_name"] or " FW2" in o["group_name"] for o in got.values())


def test_merging_the_same_staging_twice_changes_nothing(database: Database) -> None:
    db = database
    generate(db.engine, db.cfg, orders=N, seed=1)
    run_merge(db.engine, db.cfg)
    before = (orders_by_key(db), {k: tuple(v) for k, v in lines_of(db).items()})
    again = run_merge(db.engine, db.cfg)
    after = (orders_by_key(db), {k: tuple(v) for k, v in lines_of(db).items()})
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
    assert (again.lines_upserted, again.lines_deleted) == (0, 0)
    assert before == after


def test_changed_orders_become_updates_and_lines_follow(database: Database) -> None:
    db = database
    generate(db.engine, db.cfg, orders=N, seed=1)
    run_merge(db.engine, db.cfg)
    mark_synced(db)
    old = orders_by_key(db)
    old_lines = lines_of(db)

    generate(db.engine, db.cfg, orders=N, seed=2)
    result = run_merge(db.engine, db.cfg)
    new = orders_by_key(db)
    changed = {k for k in new if new[k]["row_hash"] != old[k]["row_hash"]}
    volatile = {generate_rows(N, 1)[i]["AAG ORDER NUMBER"] for i in range(N) if is_volatile(i)}
    assert changed and changed <= volatile
    assert result.updated == len(changed) and result.inserted == 0
    for key, order in new.items():
        if key in changed:
            assert (order["action_type"], order["sync_state"]) == ("UPDATE", "PENDING")
        else:
            assert order["sync_state"] == "SYNCED"

    want = expected_lines(generate_rows(N, 2), size_names(db))
    got = lines_of(db)
    for k, line in got.items():
        if k in want and k in old_lines and want[k] != old_lines[k].qty:
            assert (line.action_type, line.sync_state, line.qty) == ("UPDATE", "PENDING", want[k])
        elif k in want and k not in old_lines:
            assert (line.action_type, line.sync_state) == ("INSERT", "PENDING")
        elif k not in want:
            assert (line.action_type, line.sync_state) == ("DELETE", "PENDING")
        else:
            assert line.sync_state == "SYNCED"
    assert any(line.action_type == "DELETE" for line in got.values())


def test_snapshot_deletes_missing_orders_and_incremental_does_not(database: Database) -> None:
    db = database
    rows = generate_rows(N, 1)
    write_staging(db.engine, db.cfg, rows)
    run_merge(db.engine, db.cfg)
    gone = rows[5]["AAG ORDER NUMBER"]

    db.configure(merge={"mode": "incremental"})
    write_staging(db.engine, db.cfg, rows[:5] + rows[6:])
    assert run_merge(db.engine, db.cfg).deleted == 0
    assert orders_by_key(db)[gone]["action_type"] == "INSERT"

    db.configure(merge={"mode": "snapshot"})
    result = run_merge(db.engine, db.cfg)
    assert result.deleted == 1
    order = orders_by_key(db)[gone]
    assert (order["action_type"], order["sync_state"]) == ("DELETE", "PENDING")
    assert {line.action_type for k, line in lines_of(db).items() if k[0] == gone} == {"DELETE"}
    assert run_merge(db.engine, db.cfg).deleted == 0  # already marked

    # the order comes back: merged again, as a new item (its item was never created)
    write_staging(db.engine, db.cfg, rows)
    result = run_merge(db.engine, db.cfg)
    order = orders_by_key(db)[gone]
    assert (order["action_type"], order["sync_state"]) == ("INSERT", "PENDING")
    assert {line.action_type for k, line in lines_of(db).items() if k[0] == gone} == {"INSERT"}


def test_snapshot_guard_refuses_to_delete_most_orders(database: Database) -> None:
    db = database
    generate(db.engine, db.cfg, orders=N, seed=1)
    run_merge(db.engine, db.cfg)
    before = orders_by_key(db)
    write_staging(db.engine, db.cfg, [])
    with pytest.raises(MergeGuardError, match="staging table is empty"):
        run_merge(db.engine, db.cfg)
    assert orders_by_key(db) == before


def test_bad_rows_are_reported_and_the_others_merge(database: Database) -> None:
    db = database
    rows = generate_rows(12, 1)
    size = "M"
    rows[0]["AAG ORDER NUMBER"] = None
    rows[1]["AAG ORDER NUMBER"] = "   "
    rows[3]["AAG ORDER NUMBER"] = rows[2]["AAG ORDER NUMBER"]  # duplicate key
    rows[4][size] = "12a"
    rows[5][size] = "-5"
    rows[6][size] = "2.5"
    rows[7][size] = "12.0"  # a whole number written as a decimal is fine
    rows[8][size] = " 7 "
    write_staging(db.engine, db.cfg, rows)
    result = run_merge(db.engine, db.cfg)

    got = orders_by_key(db)
    bad_keys = {rows[2]["AAG ORDER NUMBER"], rows[4]["AAG ORDER NUMBER"]}
    bad_keys |= {rows[5]["AAG ORDER NUMBER"], rows[6]["AAG ORDER NUMBER"]}
    assert (
        set(got)
        == {r["AAG ORDER NUMBER"] for r in rows[7:]} | {rows[2]["AAG ORDER NUMBER"]} - bad_keys
    )
    assert result.inserted == 5
    reasons = {(r.key, r.reason, r.column, r.value) for r in result.rejected}
    assert (None, "empty business key", None, None) in reasons
    assert any(r.key == rows[2]["AAG ORDER NUMBER"] and r.count == 2 for r in result.rejected)
    for i, raw in ((4, "12a"), (5, "-5"), (6, "2.5")):
        assert (
            rows[i]["AAG ORDER NUMBER"],
            "size quantity is not a whole number >= 0",
            size,
            raw,
        ) in reasons
    assert result.rejected_rows == 2 + 2 + 3
    assert lines_of(db)[(rows[7]["AAG ORDER NUMBER"], size)].qty == 12
    assert lines_of(db)[(rows[8]["AAG ORDER NUMBER"], size)].qty == 7
    staging, _, _ = tables(db)
    assert fetch(db, select(func.count()).select_from(staging))[0][0] == 12  # nothing lost


def test_hostile_values_are_bound_never_formatted(database: Database) -> None:
    db = database
    rows = generate_rows(3, 1)
    evil = "O'Brien; DROP TABLE x; --"
    rows[0]["CUSTOMER NAME"] = evil
    rows[1]["AAG ORDER NUMBER"] = 'K\'1"; DELETE FROM "ORDER_LIST"; --'
    rows[2]["CUSTOMER STYLE"] = "%s %(x)s :now \\:"
    write_staging(db.engine, db.cfg, rows)
    result = run_merge(db.engine, db.cfg)
    assert result.inserted == 3
    got = orders_by_key(db)
    assert got[rows[0]["AAG ORDER NUMBER"]]["group_name"].startswith(evil)
    assert rows[1]["AAG ORDER NUMBER"] in got
    assert got[rows[2]["AAG ORDER NUMBER"]]["item_name"].startswith("%s %(x)s :now \\:")
    with db.engine.connect() as conn:
        assert table_exists(conn, db.cfg.env.target_table, db.cfg.env.db_schema)


def test_config_errors_stop_before_any_write(database: Database) -> None:
    db = database
    generate(db.engine, db.cfg, orders=5, seed=1)
    run_merge(db.engine, db.cfg)
    generate(db.engine, db.cfg, orders=5, seed=2)
    before = orders_by_key(db)

    db.configure(merge={"size_columns": {"start_after": "NO SUCH COLUMN"}})
    with pytest.raises(SchemaError, match=r"merge.size_columns.start_after"):
        run_merge(db.engine, db.cfg)
    db.configure(merge={"hash_columns": ["CUSTOMER NAME", "NOPE"]})
    with pytest.raises(SchemaError, match=r"\[merge.hash_columns\].*'NOPE'"):
        run_merge(db.engine, db.cfg)
    assert orders_by_key(db) == before


def test_missing_table_is_a_config_error(database: Database) -> None:
    db = database
    env = db.cfg.env.model_copy(update={"source_table": "no_such_staging"})
    import dataclasses

    cfg = dataclasses.replace(db.cfg, env=env)
    with pytest.raises(SchemaError, match=r"environments.development.source_table"):
        run_merge(db.engine, cfg)


def test_existing_rows_are_adopted_as_new(database: Database) -> None:
    """init-db on a table that already held orders leaves them NEW; merge takes them on."""
    db = database
    _, orders, _ = tables(db)
    with db.engine.begin() as conn:
        conn.execute(orders.insert().values({"AAG ORDER NUMBER": "OLD-1", "CUSTOMER NAME": "X"}))
        conn.execute(update(orders).values(sync_state=None, record_uuid=None))
    from sync_order_list.db import init_db

    init_db(db.engine, db.cfg)
    assert orders_by_key(db)["OLD-1"]["sync_state"] == "NEW"
    rows = generate_rows(2, 1)
    rows[0]["AAG ORDER NUMBER"] = "OLD-1"
    write_staging(db.engine, db.cfg, rows)
    run_merge(db.engine, db.cfg)
    order = orders_by_key(db)["OLD-1"]
    assert (order["sync_state"], order["action_type"]) == ("PENDING", "INSERT")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_the_state_check_allows_exactly_four_states(database: Database) -> None:
    """The original pipeline wrote FAILED, which its own constraint forbade."""
    from sqlalchemy.exc import IntegrityError

    from sync_order_list.db.schema import SYNC_STATES

    generate(database.engine, database.cfg, orders=2, seed=1)
    run_merge(database.engine, database.cfg)
    _, orders, lines = tables(database)
    for table in (orders, lines):
        for state in SYNC_STATES:
            with database.engine.begin() as conn:
                conn.execute(update(table).values(sync_state=state))
        with pytest.raises(IntegrityError), database.engine.begin() as conn:
            conn.execute(update(table).values(sync_state="FAILED"))
