"""One canonical business key, normalised once at merge (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from sync_order_list.merge import KeyCollision, run_merge
from sync_order_list.sample.generator import generate_rows, write_staging
from tests.conftest import Database
from tests.merge.test_merge import fetch, lines_of, mark_synced, orders_by_key, tables

KEY = "AAG ORDER NUMBER"
SIZE = "M"


def rows_with_keys(*keys: Any, seed: int = 1) -> list[dict[str, Any]]:
    rows = generate_rows(len(keys), seed)
    for row, key in zip(rows, keys, strict=True):
        row[KEY] = key
        row[SIZE] = "3"  # every order has at least this line
    return rows


def staging_count(db: Database) -> int:
    staging, _, _ = tables(db)
    return int(fetch(db, select(func.count()).select_from(staging))[0][0])


def test_keys_are_stored_canonical_and_case_collisions_rejected(database: Database) -> None:
    db = database
    rows = rows_with_keys(
        "  X-PAD  ",
        "X-TRAIL ",
        "X-CASEKEY",
        "x-casekey",
        "K\nNL",
        "a\tb",
        "\u00a0k-nb\u00a0",
        "N-1",
    )
    write_staging(db.engine, db.cfg, rows)
    result = run_merge(db.engine, db.cfg)

    assert set(orders_by_key(db)) == {"X-PAD", "X-TRAIL", "K NL", "A B", "K-NB", "N-1"}
    assert result.inserted == 6 and result.rejected_rows == 2 and result.rejected_keys == 1
    (collision,) = result.rejected
    assert collision.key == "X-CASEKEY" and collision.count == 2
    assert collision.reason == "business key collides after normalising: 'X-CASEKEY', 'x-casekey'"
    assert "'X-CASEKEY'" in collision.line() and "'x-casekey'" in collision.line()
    # the lines hold the canonical key too, and only the merged orders have lines
    assert {k for k, _ in lines_of(db)} == set(orders_by_key(db))
    assert staging_count(db) == len(rows)  # rejected rows stay in staging

    # the same staging again: nothing changes, the collision is reported again
    again = run_merge(db.engine, db.cfg)
    assert (again.inserted, again.updated, again.deleted, again.keys_normalised) == (0, 0, 0, 0)
    assert [r.key for r in again.rejected] == ["X-CASEKEY"]


def test_duplicates_and_collisions_name_every_raw_key(database: Database) -> None:
    db = database
    rows = rows_with_keys(
        "D-1", "D-1", " E-1", "E-1 ", "f-1", "F-1", " F-1 ", " G-1", " G-1", "H-1"
    )
    write_staging(db.engine, db.cfg, rows)
    result = run_merge(db.engine, db.cfg)
    reasons = {r.key: (r.reason, r.count) for r in result.rejected}
    assert reasons == {
        "D-1": ("business key appears more than once", 2),
        "E-1": ("business key collides after normalising: ' E-1', 'E-1 '", 2),
        "F-1": ("business key collides after normalising: ' F-1 ', 'F-1', 'f-1'", 3),
        "G-1": ("business key appears more than once (as ' G-1')", 2),
    }
    assert result.rejected_rows == 9 and result.inserted == 1
    assert set(orders_by_key(db)) == {"H-1"}
    assert result.as_dict()["rejected_rows"] == 9


def test_empty_keys_after_normalising_are_rejected(database: Database) -> None:
    db = database
    write_staging(db.engine, db.cfg, rows_with_keys(None, "   ", "\t\r\n", "\u00a0", "OK-1"))
    result = run_merge(db.engine, db.cfg)
    assert [(r.key, r.reason, r.count) for r in result.rejected] == [
        (None, "empty business key", 4)
    ]
    assert set(orders_by_key(db)) == {"OK-1"} and result.rejected_rows == 4


def test_key_case_setting(database: Database) -> None:
    db = database
    db.configure(merge={"key_case": "preserve"})
    write_staging(db.engine, db.cfg, rows_with_keys(" Mixed-1 ", "mixed-2", "MIXED-2"))
    result = run_merge(db.engine, db.cfg)
    assert set(orders_by_key(db)) == {"Mixed-1", "mixed-2", "MIXED-2"} and not result.rejected

    # switching to lower: the existing keys are rewritten where they can be, the two
    # that are one key now collide and are left alone, and staging's pair is rejected
    db.configure(merge={"key_case": "lower"})
    result = run_merge(db.engine, db.cfg)
    assert set(orders_by_key(db)) == {"mixed-1", "mixed-2", "MIXED-2"}
    assert result.keys_normalised == 1  # 'Mixed-1'; 'mixed-2' was lower case already
    assert result.key_collisions == [KeyCollision("mixed-2", ("mixed-2", "MIXED-2"))]
    (reject,) = result.rejected
    assert reject.key == "mixed-2" and "'MIXED-2', 'mixed-2'" in reject.reason


def test_snapshot_mode_compares_canonical_keys(database: Database) -> None:
    db = database
    rows = rows_with_keys("  s-1 ", "S-2", "S-3")
    write_staging(db.engine, db.cfg, rows)
    run_merge(db.engine, db.cfg)
    mark_synced(db)
    # the same orders with other spellings of their keys: nothing changed, nothing deleted
    respelled = rows_with_keys("S-1", "\ts-2", "S-3 ")
    write_staging(db.engine, db.cfg, respelled)
    result = run_merge(db.engine, db.cfg)
    assert (result.inserted, result.updated, result.deleted) == (0, 0, 0)
    assert {o["sync_state"] for o in orders_by_key(db).values()} == {"SYNCED"}
    # one of them goes: exactly that one is deleted, with its lines
    write_staging(db.engine, db.cfg, respelled[:2])
    result = run_merge(db.engine, db.cfg)
    assert result.deleted == 1
    assert orders_by_key(db)["S-3"]["action_type"] == "DELETE"
    assert {line.action_type for (k, _), line in lines_of(db).items() if k == "S-3"} == {"DELETE"}


def _respell(db: Database, spellings: dict[str, str]) -> None:
    """What an older version left: keys as staging spelled them, in orders and lines."""
    _, orders, lines = tables(db)
    with db.engine.begin() as conn:
        for canonical, old in spellings.items():
            conn.execute(update(orders).where(orders.c[KEY] == canonical).values({KEY: old}))
            conn.execute(update(lines).where(lines.c.order_key == canonical).values(order_key=old))


def test_existing_keys_are_normalised_in_place_and_resynced(database: Database) -> None:
    db = database
    keys = ["OLD-1", "OLD-2", "OLD-3", "OLD-4", "OLD-5"]
    write_staging(db.engine, db.cfg, rows_with_keys(*keys))
    run_merge(db.engine, db.cfg)
    mark_synced(db)
    _, orders, _ = tables(db)
    with db.engine.begin() as conn:
        # OLD-2 was never created on monday; OLD-3 was deleted; OLD-4 failed three times
        conn.execute(
            update(orders)
            .where(orders.c[KEY] == "OLD-2")
            .values(monday_item_id=None, sync_state="PENDING", action_type="INSERT")
        )
        conn.execute(update(orders).where(orders.c[KEY] == "OLD-3").values(action_type="DELETE"))
        conn.execute(
            update(orders)
            .where(orders.c[KEY] == "OLD-4")
            .values(sync_state="ERROR", sync_error="boom", retry_count=3)
        )
    _respell(db, {"OLD-1": "old-1 ", "OLD-2": " OLD-2", "OLD-3": "old-3\t", "OLD-4": "Old-4"})
    before = orders_by_key(db)

    # staging has none of them changed (OLD-3 is gone from it): only the keys move
    db.configure(merge={"mode": "incremental"})
    write_staging(db.engine, db.cfg, [r for r in rows_with_keys(*keys) if r[KEY] != "OLD-3"])
    result = run_merge(db.engine, db.cfg)
    assert result.keys_normalised == 4 and not result.key_collisions and not result.rejected
    assert (result.inserted, result.updated) == (0, 0)
    after = orders_by_key(db)
    assert set(after) == {"OLD-1", "OLD-2", "OLD-3", "OLD-4", "OLD-5"}
    assert (after["OLD-1"]["action_type"], after["OLD-1"]["sync_state"]) == ("UPDATE", "PENDING")
    assert (after["OLD-2"]["action_type"], after["OLD-2"]["sync_state"]) == ("INSERT", "PENDING")
    assert (after["OLD-3"]["action_type"], after["OLD-3"]["sync_state"]) == ("DELETE", "SYNCED")
    assert (after["OLD-4"]["sync_state"], after["OLD-4"]["retry_count"]) == ("PENDING", 0)
    assert after["OLD-4"]["sync_error"] is None
    assert after["OLD-5"]["sync_state"] == "SYNCED"  # was canonical: untouched
    # same rows, same items: only the key (and the sync state) moved
    assert after["OLD-1"]["record_uuid"] == before["old-1 "]["record_uuid"]
    assert after["OLD-1"]["synced_values"] == before["old-1 "]["synced_values"]
    assert {k for k, _ in lines_of(db)} == set(after)


def test_colliding_existing_keys_are_left_alone_and_reported(database: Database) -> None:
    db = database
    write_staging(db.engine, db.cfg, rows_with_keys("C-1", "C-2", "C-3", "C-4", "C-5"))
    run_merge(db.engine, db.cfg)
    mark_synced(db)
    # an older version stored 'c-1' and 'C-1 ' (no canonical row among them), and
    # 'Z-4' beside 'z-4' (the canonical one exists)
    _respell(db, {"C-1": "c-1", "C-2": "C-1 ", "C-3": "z-4", "C-4": "Z-4"})
    before = orders_by_key(db)

    write_staging(db.engine, db.cfg, rows_with_keys("C-1", "Z-4", "C-5", seed=2))
    result = run_merge(db.engine, db.cfg)
    assert result.keys_normalised == 0
    assert result.key_collisions == [
        KeyCollision("C-1", ("C-1 ", "c-1")),
        KeyCollision("Z-4", ("Z-4", "z-4")),
    ]
    assert "'C-1 ', 'c-1' all normalise to 'C-1'" in result.key_collisions[0].line()
    after = orders_by_key(db)
    assert set(after) == set(before)  # no order added, no key rewritten
    for key in ("c-1", "C-1 ", "z-4"):
        assert after[key]["sync_state"] == "SYNCED" and after[key]["action_type"] != "DELETE"
    # C-1 would be one more order beside the two colliding ones: rejected, naming them
    (reject,) = result.rejected
    assert reject.key == "C-1" and reject.count == 1
    assert "orders already in ORDER_LIST: 'C-1 ', 'c-1'" in reject.reason
    # Z-4 has its canonical order: staging merges into it
    assert after["Z-4"]["record_uuid"] == before["Z-4"]["record_uuid"]
    dumped = result.as_dict()["key_collisions"]
    assert dumped[0] == {"key": "C-1", "raw_keys": ["C-1 ", "c-1"]}

    # snapshot: orders whose canonical key is gone from staging are deleted, the
    # colliding ones included; those whose canonical key is there are not
    write_staging(db.engine, db.cfg, rows_with_keys("Z-4", "C-5", seed=2))
    result = run_merge(db.engine, db.cfg)
    after = orders_by_key(db)
    assert {k for k, o in after.items() if o["action_type"] == "DELETE"} == {"c-1", "C-1 "}
    assert after["z-4"]["action_type"] != "DELETE" and result.deleted == 2


def test_names_hold_the_canonical_key(database: Database) -> None:
    from sync_order_list.merge.names import group_name, item_name

    db = database
    rows = rows_with_keys(" name-1\n", "Name-2")
    rows[1]["CUSTOMER STYLE"] = rows[1]["CUSTOMER COLOUR DESCRIPTION"] = None
    write_staging(db.engine, db.cfg, rows)
    run_merge(db.engine, db.cfg)
    got = orders_by_key(db)
    names = db.cfg.settings.names
    assert got["NAME-2"]["item_name"] == "NAME-2"  # the key is the only name column filled
    assert got["NAME-1"]["item_name"].endswith(" NAME-1")
    for row, key in zip(rows, ("NAME-1", "NAME-2"), strict=True):
        assert got[key]["item_name"] == item_name(row, names.item, KEY)
        assert got[key]["group_name"] == group_name(row, names.group, KEY)

    db.configure(names={"item": {"columns": ["CUSTOMER STYLE"]}}, merge={"mode": "incremental"})
    staged = rows_with_keys(" name-3 ")
    staged[0]["CUSTOMER STYLE"] = None
    write_staging(db.engine, db.cfg, staged)
    run_merge(db.engine, db.cfg)
    assert orders_by_key(db)["NAME-3"]["item_name"] == "NAME-3"  # the fallback: the key
    assert item_name(staged[0], db.cfg.settings.names.item, KEY) == "NAME-3"


def test_a_key_colliding_in_staging_and_in_the_orders_is_rejected_once(
    database: Database,
) -> None:
    db = database
    write_staging(db.engine, db.cfg, rows_with_keys("D-1", "D-2", "D-3"))
    run_merge(db.engine, db.cfg)
    _respell(db, {"D-1": "d-1", "D-2": "D-1 "})
    db.configure(merge={"mode": "incremental"})
    write_staging(db.engine, db.cfg, rows_with_keys("d-1", "D-1", "D-3"))
    result = run_merge(db.engine, db.cfg)
    (reject,) = result.rejected
    assert (reject.key, reject.count) == ("D-1", 2) and "'D-1', 'd-1'" in reject.reason
    assert result.rejected_rows == 2
