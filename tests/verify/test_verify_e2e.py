"""``verify`` against the emulator over HTTP, on SQLite and PostgreSQL.

People change the board through the API (delete, archive, edit, duplicate, move, empty
it); verify finds each with the right count and exit code; ``verify --repair`` then
``sync`` brings the board back to the database value for value, with only the writes
that were needed, and leaves columns the tool does not map alone.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import text

from monday_emulator import DEMO_BOARD_ID, DEMO_SUBITEMS_BOARD_ID
from sync_order_list.verify import VerifyOptions, VerifyReport, run_verify
from tests.sync.harness import Pipeline

pytestmark = pytest.mark.slow

KEY_COLUMN = "text_mkr5wya6"
PO_COLUMN = "text_mkr5ej2x"
FEE_COLUMN = "numeric_mkr5h612"
QTY_COLUMN = "numeric_mkra7j8e"


def verify(p: Pipeline, **options: Any) -> VerifyReport:
    return asyncio.run(run_verify(p.engine, p.cfg, VerifyOptions(**options)))


def gql(p: Pipeline, query: str, **variables: Any) -> Any:
    result = p.api(query, variables)
    assert not result.get("errors"), result
    return result["data"]


def delete_item(p: Pipeline, item_id: str) -> None:
    gql(p, "mutation($i: ID!) { delete_item(item_id: $i) { id } }", i=item_id)


def archive_item(p: Pipeline, item_id: str) -> None:
    gql(p, "mutation($i: ID!) { archive_item(item_id: $i) { id } }", i=item_id)


def change(p: Pipeline, item_id: str, values: dict[str, Any], board: str = DEMO_BOARD_ID) -> None:
    gql(
        p,
        "mutation($b: ID!, $i: ID!, $v: JSON!) "
        "{ change_multiple_column_values(board_id: $b, item_id: $i, column_values: $v) { id } }",
        b=board,
        i=item_id,
        v=json.dumps(values),
    )


def create_item(p: Pipeline, name: str, values: dict[str, Any], group: str | None = None) -> str:
    data = gql(
        p,
        "mutation($b: ID!, $n: String!, $v: JSON, $g: String) "
        "{ create_item(board_id: $b, item_name: $n, column_values: $v, group_id: $g) { id } }",
        b=DEMO_BOARD_ID,
        n=name,
        v=json.dumps(values),
        g=group,
    )
    return str(data["create_item"]["id"])


def items_of(p: Pipeline) -> dict[str, Any]:
    return {o["AAG ORDER NUMBER"]: o for o in p.orders().values()}


def synced_board(p: Pipeline, orders: int = 12) -> dict[str, Any]:
    p.generate(orders)
    p.merge()
    report = p.sync()
    assert report.outcome == "success", report.message
    return items_of(p)


def test_a_synced_board_matches(pipeline: Pipeline) -> None:
    p = pipeline
    synced_board(p)
    report = verify(p)
    assert report.exit_code == 0 and report.outcome == "success"
    assert report.drift is not None and report.drift.total == 0
    assert report.drift.orders_checked == 12 and report.drift.items_read == 12
    assert report.drift.subitems_read == len(p.lines())
    assert report.api["requests"] >= 2  # the schema and at least one page
    with p.engine.connect() as conn:
        runs = p.cfg.settings.tables.runs
        q = p.db.engine.dialect.identifier_preparer.quote
        schema = p.cfg.env.db_schema
        name = f"{q(schema)}.{q(runs)}" if schema else q(runs)
        row = conn.execute(
            text(f"SELECT command, outcome, counts FROM {name} WHERE run_id = :r"),
            {"r": report.run_id},
        ).one()
    assert row.command == "verify" and row.outcome == "success"
    assert json.loads(row.counts)["found"] == {}


def test_each_difference_is_found_then_repaired_with_only_the_needed_writes(
    pipeline: Pipeline,
) -> None:
    p = pipeline
    orders = synced_board(p, 12)
    keys = sorted(orders)
    item = {k: str(orders[k]["monday_item_id"]) for k in keys}
    groups = {g["title"]: g["id"] for g in p.board()["groups"]}

    # a column the tool does not map, edited by a person: never touched
    note = gql(
        p,
        'mutation($b: ID!) { create_column(board_id: $b, title: "Buyer note", '
        "column_type: text) { id } }",
        b=DEMO_BOARD_ID,
    )["create_column"]["id"]
    for k in keys[6:9]:
        change(p, item[k], {note: f"note for {k}"})

    delete_item(p, item[keys[0]])
    delete_item(p, item[keys[1]])
    archive_item(p, item[keys[2]])
    change(p, item[keys[3]], {PO_COLUMN: "EDITED-ON-BOARD", FEE_COLUMN: "123.45"})
    change(p, item[keys[4]], {"name": "renamed by a person"})
    other_group = next(g for t, g in groups.items() if t != orders[keys[5]]["group_name"])
    gql(
        p,
        "mutation($i: ID!, $g: String!) { move_item_to_group(item_id: $i, group_id: $g) { id } }",
        i=item[keys[5]],
        g=other_group,
    )
    duplicate = create_item(p, "a copy", {KEY_COLUMN: keys[6].lower()})  # any case
    orphan = create_item(p, "someone's own item", {KEY_COLUMN: "NOT-AN-ORDER"})
    board = p.board()
    by_id = {i["id"]: i for i in board["items"]}
    subs = by_id[item[keys[7]]]["subitems"]
    delete_item(p, subs[0]["id"])  # a subitem gone
    subs8 = by_id[item[keys[8]]]["subitems"]
    change(p, subs8[0]["id"], {QTY_COLUMN: "999"}, board=DEMO_SUBITEMS_BOARD_ID)

    found = verify(p)
    assert found.exit_code == 1 and found.outcome == "drift"
    counts = found.found()
    assert counts == {
        "deleted": 2,
        "archived": 1,
        "duplicate": 1,
        "orphan": 1,
        "value_differs": 4,
        "wrong_group": 1,
        "subitem_missing": 1,
    }, counts
    assert found.left() == counts  # nothing repaired without --repair
    dup = found.drift.of("duplicate")[0]  # type: ignore[union-attr]
    assert dup.item_id == duplicate and dup.key == keys[6]
    assert found.drift.of("orphan")[0].item_id == orphan  # type: ignore[union-attr]

    before = p.mutations()
    repaired = verify(p, repair=True)
    assert repaired.exit_code == 1
    assert p.mutations() - before == 1  # the one archive of the duplicate
    assert repaired.left() == {"orphan": 1}
    assert repaired.repaired_counts() == {k: v for k, v in counts.items() if k != "orphan"}

    before = p.mutations()
    second = p.sync()
    assert second.outcome == "success", second.message
    # exactly what was needed: 3 items and their subitems created again, 2 columns, a
    # name, a move, one subitem created, one quantity; nothing else
    lines = p.lines()
    recreated_subitems = sum(1 for (k, _), ln in lines.items() if k in keys[:3])
    expected = 3 + recreated_subitems + 1 + 1 + 1 + 1 + 1
    assert p.mutations() - before == expected, (p.mutations() - before, expected)

    board = p.board()
    notes = {
        i["column_values"][KEY_COLUMN]["text"]: i["column_values"].get(note, {}).get("text")
        for i in board["items"]
        if i["column_values"].get(KEY_COLUMN, {}).get("text") in keys[6:9]
    }
    assert notes == {k: f"note for {k}" for k in keys[6:9]}  # unmapped edits survive
    left = verify(p)
    assert left.found() == {"orphan": 1} and left.exit_code == 1
    assert orphan in {i["id"] for i in board["items"]}  # never deleted by the tool
    archive_item(p, orphan)  # a person decides what to do with it
    p.assert_board_matches_database()  # value for value
    assert verify(p).exit_code == 0


def test_an_emptied_board_is_found_and_rebuilt(pipeline: Pipeline) -> None:
    p = pipeline
    orders = synced_board(p, 10)
    p.admin("/reset", {"demo": True})  # an emulator restarted in memory
    report = verify(p)
    assert report.exit_code == 1 and report.found() == {"missing": 10}
    assert {f.key for f in report.drift.findings} == set(orders)  # type: ignore[union-attr]
    verify(p, repair=True)
    assert p.sync().outcome == "success"
    p.assert_board_matches_database()
    assert verify(p).exit_code == 0


def test_customer_filter_and_a_claimed_order(pipeline: Pipeline) -> None:
    p = pipeline
    orders = synced_board(p, 16)
    customers = sorted({o["CUSTOMER NAME"] for o in orders.values()})
    mine = customers[0]
    theirs = [k for k, o in orders.items() if o["CUSTOMER NAME"] != mine]
    own = [k for k, o in orders.items() if o["CUSTOMER NAME"] == mine]
    delete_item(p, str(orders[theirs[0]]["monday_item_id"]))
    delete_item(p, str(orders[own[0]]["monday_item_id"]))
    report = verify(p, customer=mine.lower())  # any case
    assert report.found() == {"deleted": 1}
    assert report.drift.findings[0].key == own[0]  # type: ignore[union-attr]
    assert report.drift.orders_checked == len(own)  # type: ignore[union-attr]
    assert verify(p).found() == {"deleted": 2}


def test_links_lost_in_the_database_and_subitems_made_by_people(pipeline: Pipeline) -> None:
    p = pipeline
    orders = synced_board(p, 8)
    keys = sorted(orders)
    orders_t, lines_t = p.tables()
    lines = p.lines()
    size_col = p.cfg.settings.monday.subitems.columns["size_code"]
    with p.engine.begin() as conn:
        # the database forgot an item (a restore from an old backup, say)
        conn.execute(
            orders_t.update()
            .where(orders_t.c["AAG ORDER NUMBER"] == keys[0])
            .values(monday_item_id=None)
        )
        # ... and a subitem id
        (k1, size1), line1 = next((ks, ln) for ks, ln in lines.items() if ks[0] == keys[1])
        conn.execute(
            lines_t.update().where(lines_t.c.line_id == line1.line_id).values(monday_subitem_id="1")
        )
    parent = str(orders[keys[2]]["monday_item_id"])
    size2 = next(s for (k, s) in lines if k == keys[2])

    def subitem(parent_id: str, size: str, qty: str) -> str:
        data = gql(
            p,
            "mutation($i: ID!, $n: String!, $v: JSON) { create_subitem(parent_item_id: $i, "
            "item_name: $n, column_values: $v, create_labels_if_missing: true) { id } }",
            i=parent_id,
            n=f"Size {size}",
            v=json.dumps({size_col: {"labels": [size]}, QTY_COLUMN: qty}),
        )
        return str(data["create_subitem"]["id"])

    dup = subitem(parent, size2, "5")
    extra = subitem(str(orders[keys[3]]["monday_item_id"]), "ZZ-NOT-A-SIZE", "1")

    report = verify(p)
    assert report.found() == {
        "unlinked": 1,
        "subitem_unlinked": 1,
        "subitem_duplicate": 1,
        "subitem_extra": 1,
    }, report.found()
    assert report.drift.of("subitem_duplicate")[0].subitem_id == dup  # type: ignore[union-attr]
    assert report.drift.of("subitem_extra")[0].subitem_id == extra  # type: ignore[union-attr]

    before = p.mutations()
    repaired = verify(p, repair=True)
    assert p.mutations() - before == 1  # the duplicate subitem archived
    assert repaired.left() == {"subitem_extra": 1}
    before = p.mutations()
    assert p.sync().outcome == "success"
    # the adopted item and the relinked subitem already held the right values
    assert p.mutations() == before
    assert verify(p).found() == {"subitem_extra": 1}
    assert items_of(p)[keys[0]]["monday_item_id"] == orders[keys[0]]["monday_item_id"]


def test_a_deleted_order_whose_item_comes_back_is_an_orphan(pipeline: Pipeline) -> None:
    p = pipeline
    p.configure(merge={"max_delete_fraction": 1.0})
    orders = synced_board(p, 6)
    keys = sorted(orders)
    # the order leaves staging: the sync archives its item
    src = p.db.engine.dialect.identifier_preparer.quote(p.cfg.env.source_table)
    schema = p.cfg.env.db_schema
    if schema:
        src = f'"{schema}".{src}'
    with p.engine.begin() as conn:
        conn.execute(text(f'DELETE FROM {src} WHERE "AAG ORDER NUMBER" = :k'), {"k": keys[0]})
    p.merge()
    assert p.sync().outcome == "success"
    assert verify(p).exit_code == 0
    # a person puts an item with that key back on the board
    create_item(p, "back again", {KEY_COLUMN: keys[0]})
    report = verify(p)
    assert report.found() == {"orphan": 1}
    assert "deleted" in report.drift.findings[0].detail  # type: ignore[union-attr]
