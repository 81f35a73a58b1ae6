"""doctor reports business keys not in canonical form and keys that collide after
normalising, in the orders table and in staging (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import update

from sync_order_list.doctor import run_doctor
from sync_order_list.doctor.checks_keys import collisions
from sync_order_list.merge import run_merge
from sync_order_list.sample.generator import generate_rows, write_staging
from tests.conftest import Database
from tests.doctor.support import emulator, findings, pointed_at, snapshot
from tests.merge.test_merge import tables

KEY = "AAG ORDER NUMBER"


def test_collisions_group_raw_keys_by_canonical_key() -> None:
    raws = ["a-1", "A-1 ", "A-1", "b-1", " c\t1", "C 1", None, "   "]
    assert collisions(raws, "upper") == {"A-1": ["A-1", "A-1 ", "a-1"], "C 1": [" c\t1", "C 1"]}
    assert collisions(raws, "preserve") == {"A-1": ["A-1", "A-1 "]}


def test_doctor_reports_stale_and_colliding_keys(database: Database) -> None:
    db = database
    rows = generate_rows(6, 1)
    keys = ["OLD-1", "C-1", "C-2", "OK-1", "OK-2", "OK-3"]
    for row, key in zip(rows, keys, strict=True):
        row[KEY] = key
    write_staging(db.engine, db.cfg, rows)
    run_merge(db.engine, db.cfg)
    _, orders, _ = tables(db)
    with db.engine.begin() as conn:  # what an older version left
        for canonical, spelled in (("OLD-1", "old-1 "), ("C-1", "c-1"), ("C-2", "C-1 ")):
            conn.execute(update(orders).where(orders.c[KEY] == canonical).values({KEY: spelled}))
    rows[4][KEY], rows[5][KEY] = "X-CASEKEY", "x-casekey"
    write_staging(db.engine, db.cfg, rows)
    before = snapshot(db.engine, db.cfg.env.db_schema)

    with emulator() as emu:
        report = run_doctor(pointed_at(db.cfg, emu), engine=db.engine)

    assert snapshot(db.engine, db.cfg.env.db_schema) == before  # read only
    (stale,) = findings(report, "merge.business_key", "not in canonical form", severity="warning")
    assert "1 order key(s) in 'ORDER_LIST'" in stale.message
    assert "'old-1 ' -> 'OLD-1'" in stale.message and "c-1" not in stale.message
    (target,) = findings(report, "merge.business_key", "'ORDER_LIST'", severity="error")
    assert "'C-1 ', 'c-1' -> 'C-1'" in target.message and "leaves these orders" in target.message
    (staged,) = findings(report, "merge.business_key", "'swp_ORDER_LIST'", severity="error")
    assert "'X-CASEKEY', 'x-casekey' -> 'X-CASEKEY'" in staged.message
    assert "rejects every row involved" in staged.message


def test_doctor_is_quiet_about_canonical_keys(database: Database) -> None:
    db = database
    write_staging(db.engine, db.cfg, generate_rows(5, 2))
    run_merge(db.engine, db.cfg)
    with emulator() as emu:
        report = run_doctor(pointed_at(db.cfg, emu), engine=db.engine)
    assert not findings(report, "merge.business_key")
    assert any("'ORDER_LIST': none collide after normalising" in n for n in report.notes)
