"""Bad rows go to ERROR with a clear message; the rest of the batch syncs."""

from __future__ import annotations

from sqlalchemy import text

from sync_order_list.sample.generator import generate_rows
from tests.sync.harness import Pipeline


def test_each_kind_of_bad_row_fails_alone(pipeline: Pipeline) -> None:
    rows = generate_rows(12, 1)
    key = lambda i: rows[i]["AAG ORDER NUMBER"]  # noqa: E731
    rows[2]["DESIGN FEE"] = "TBC"  # a number that isn't one (text column -> numbers)
    rows[3]["NOTES FOR PRICE"] = "x" * 10  # fine: long text
    # an item name over 255 characters (style + colour + key, each within its column)
    rows[4]["CUSTOMER STYLE"], rows[4]["CUSTOMER COLOUR DESCRIPTION"] = "S" * 100, "C" * 100
    rows[4]["AAG ORDER NUMBER"] = "LONG-" + "9" * 60
    rows[5]["CUSTOMER NAME"] = "NOT A BOARD CUSTOMER"  # a label that doesn't exist
    rows[6]["UNIT OF MEASURE"] = "DOZEN"  # a status label that doesn't exist
    rows[7]["AAG ORDER NUMBER"] = None  # a NULL key: not merged, reported
    rows[8]["CUSTOMER NAME"] = "O'Brien; DROP TABLE x; --"  # injection-like, no such label
    rows[9]["NOTES"] = 'Robert\'); DROP TABLE "ORDER_LIST";-- %s {0} :now'  # just text
    pipeline.stage(rows)
    if pipeline.db.backend == "sqlite":  # SQLite lets text into a DECIMAL column
        with pipeline.engine.begin() as conn:
            conn.execute(
                text(
                    'UPDATE "swp_ORDER_LIST" SET "CUSTOMER PRICE" = :v WHERE "AAG ORDER NUMBER" = :k'
                ),
                {"v": "abc", "k": key(1)},
            )
    merge = pipeline.merge()
    assert any(r.key is None and "empty business key" in r.reason for r in merge.rejected)
    report = pipeline.sync()
    assert report.exit_code == 1
    errors = {e.key: e.message for e in report.tally.errors}
    expected = {
        key(2): ["DESIGN FEE", "numeric_mkr5h612"],
        key(4): ["255"],
        key(5): ["CUSTOMER NAME", "dropdown_mkr542p2", "NOT A BOARD CUSTOMER"],
        key(6): ["UNIT OF MEASURE", "color_mkr5yf27", "DOZEN"],
        key(8): ["CUSTOMER NAME", "O'Brien; DROP TABLE x; --"],
    }
    if pipeline.db.backend == "sqlite":
        expected[key(1)] = ["CUSTOMER PRICE", "numeric_mkr5cact"]
    assert set(errors) == set(expected)
    for k, fragments in expected.items():
        assert k in errors[k]
        for fragment in fragments:
            assert fragment in errors[k], (k, fragment, errors[k])
    orders = pipeline.orders()
    for k in expected:
        assert orders[k]["sync_state"] == "ERROR" and orders[k]["sync_error"] == errors[k]
    good = {k for k in orders if k not in expected}
    assert good == set(pipeline.board_items_by_key())
    assert all(orders[k]["sync_state"] == "SYNCED" for k in good)
    item = pipeline.board_items_by_key()[key(9)][0]
    assert item["column_values"]["long_text_mkr5hass"]["text"] == rows[9]["NOTES"]
