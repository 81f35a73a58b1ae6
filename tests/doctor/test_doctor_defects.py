"""One test per kind of defect: each against a board loaded into the emulator (or a
database made wrong on purpose), each finding naming the configuration key to change."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sync_order_list.config import AppConfig
from sync_order_list.doctor import EXIT_ERRORS, EXIT_OK, run_doctor
from sync_order_list.merge import run_merge
from sync_order_list.sample.generator import generate, generate_rows, write_staging
from tests.conftest import Database
from tests.doctor.support import (
    TOKEN,
    column_spec,
    demo_spec,
    emulator,
    findings,
    pointed_at,
    with_env,
    with_settings,
    without_column,
)


@pytest.fixture
def db(sqlite_database: Database) -> Database:
    """The real tables with 25 merged sample orders (SQLite)."""
    generate(sqlite_database.engine, sqlite_database.cfg, orders=25, seed=5)
    run_merge(sqlite_database.engine, sqlite_database.cfg)
    return sqlite_database


def test_the_shipped_config_on_the_demo_board_has_only_warnings(db: Database) -> None:
    with emulator() as emu:
        report = run_doctor(pointed_at(db.cfg, emu), engine=db.engine)
    assert report.errors == []
    assert {f.key for f in report.warnings} == {"monday.items.columns"}
    assert len(report.warnings) == 3  # DESIGN FEE, SURCHARGE FEE, DISCOUNT (text on numbers)
    assert all("distinct values in the tables all convert" in f.message for f in report.warnings)
    assert report.exit_code() == EXIT_OK
    assert report.exit_code(strict=True) == EXIT_ERRORS
    assert any("token accepted" in n for n in report.notes)


def label_creation(cfg: AppConfig, board: str, **flags: bool) -> AppConfig:
    """``cfg`` with create_labels_if_missing changed for some columns of ``board``."""
    current = getattr(cfg.settings.monday, board).create_labels_if_missing
    return with_settings(cfg, monday={board: {"create_labels_if_missing": {**current, **flags}}})


# -- monday columns ----------------------------------------------------------------------


def test_missing_column_names_the_mapping_key_and_a_same_title_column(db: Database) -> None:
    spec = without_column(demo_spec(), "text_mkr5cz8m")  # PATTERN ID
    spec["columns"].append({"id": "text_other", "title": "PATTERN ID", "type": "text"})
    with emulator([spec]) as emu:
        report = run_doctor(pointed_at(db.cfg, emu), engine=db.engine)
    [missing] = findings(report, "monday.items.columns", "'text_mkr5cz8m'", "'PATTERN ID'")
    assert missing.severity == "error"
    assert "is not on board 8709134353" in missing.message
    assert "has id 'text_other'" in missing.message
    assert report.exit_code() == EXIT_ERRORS


def test_wrong_column_types(db: Database) -> None:
    spec = demo_spec()
    column_spec(spec, "numeric_mkr5cact")["type"] = "date"  # CUSTOMER PRICE, DECIMAL(10,4)
    column_spec(spec, "date_mkr57811")["type"] = "numbers"  # EX FACTORY DATE, DATETIME2
    column_spec(spec, "text_mkr5wya6")["type"] = "long_text"  # the business key column
    with emulator([spec]) as emu:
        report = run_doctor(pointed_at(db.cfg, emu), engine=db.engine)
    [price] = findings(report, "monday.items.columns", "'CUSTOMER PRICE' is a numeric", "date")
    assert price.severity == "error" and "numbers or text column" in price.message
    [eta] = findings(report, "monday.items.columns", "'EX FACTORY DATE' is a date/time")
    assert eta.severity == "error" and "map it to a date column" in eta.message
    [key] = findings(report, "monday.business_key_column", "long_text", "must be a text column")
    assert key.severity == "error"


def test_text_values_that_are_not_numbers_make_the_numbers_mapping_an_error(
    sqlite_database: Database,
) -> None:
    db = sqlite_database
    rows = generate_rows(6, 1)
    rows[0]["DESIGN FEE"] = "TBC"
    rows[1]["DESIGN FEE"] = "n/a"
    write_staging(db.engine, db.cfg, rows)  # staged, not merged: the staging table is read too
    with emulator() as emu:
        report = run_doctor(pointed_at(db.cfg, emu), engine=db.engine)
    [fee] = findings(report, "monday.items.columns", "'DESIGN FEE'", severity="error")
    assert "2 of " in fee.message and "'TBC'" in fee.message and "not a number" in fee.message
    [discount] = findings(report, "monday.items.columns", "'DISCOUNT'")
    assert discount.severity == "warning"


def test_missing_labels_with_creation_off(db: Database) -> None:
    spec = demo_spec()
    column_spec(spec, "dropdown_mkr542p2")["labels"] = ["GREYSON", "Rhone"]  # CUSTOMER NAME
    column_spec(spec, "color_mkr5yf27")["labels"] = {"0": "EACH"}  # UNIT OF MEASURE
    with emulator([spec]) as emu:
        cfg = pointed_at(db.cfg, emu)
        report = run_doctor(cfg, engine=db.engine)
        [customer] = findings(
            report, "monday.items.create_labels_if_missing", "dropdown_mkr542p2", "lacks"
        )
        assert customer.severity == "error"
        assert "'RHONE' vs 'Rhone'" in customer.message  # case-sensitive near miss
        assert "'GREYSON'" not in customer.message.split("lacks")[1].split(";")[0]
        [unit] = findings(report, "monday.items.create_labels_if_missing", "color_mkr5yf27")
        assert "'PACK'" in unit.message and "set color_mkr5yf27 = true" in unit.message

        # Creation on for those columns: nothing to report about their labels.
        on = label_creation(cfg, "items", dropdown_mkr542p2=True, color_mkr5yf27=True)
        report = run_doctor(on, engine=db.engine)
    assert findings(report, "monday.items.create_labels_if_missing") == []
    assert report.errors == []


def test_status_column_cannot_take_more_than_40_labels(db: Database) -> None:
    spec = demo_spec()
    column_spec(spec, "color_mkr5yf27")["labels"] = {str(i): f"L{i}" for i in range(39)}
    with emulator([spec]) as emu:
        cfg = label_creation(pointed_at(db.cfg, emu), "items", color_mkr5yf27=True)
        report = run_doctor(cfg, engine=db.engine)
    [limit] = findings(report, "monday.items.columns", "color_mkr5yf27", "at most 40")
    assert limit.severity == "error" and "has 39 labels" in limit.message


def test_subitem_size_labels_are_checked_against_the_lines(db: Database) -> None:
    spec = demo_spec()
    for column in spec["subitems"]["columns"]:
        if column["id"] == "dropdown_mkrak7qp":
            column["labels"] = ["S"]
    with emulator([spec]) as emu:
        cfg = label_creation(pointed_at(db.cfg, emu), "subitems", dropdown_mkrak7qp=False)
        report = run_doctor(cfg, engine=db.engine)
    with db.engine.connect() as conn:
        codes = {r[0] for r in conn.exec_driver_sql('SELECT size_code FROM "ORDER_LIST_LINES"')}
    assert "S" in codes
    [sizes] = findings(report, "monday.subitems.create_labels_if_missing", "dropdown_mkrak7qp")
    assert sizes.severity == "error"
    assert f"lacks {len(codes) - 1} label(s)" in sizes.message


def test_duplicate_group_titles_are_reported(db: Database) -> None:
    spec = demo_spec()
    spec["groups"] = [
        {"id": "topics", "title": "Topics"},
        {"id": "g_a", "title": "GREYSON 2025 SPRING"},
        {"id": "g_b", "title": "GREYSON 2025 SPRING"},
    ]
    with emulator([spec]) as emu:
        report = run_doctor(pointed_at(db.cfg, emu), engine=db.engine)
    [dup] = findings(report, "names.group", "'GREYSON 2025 SPRING'", "2 times", "g_a, g_b")
    assert dup.severity == "warning"


# -- subitems board ----------------------------------------------------------------------


def test_missing_subitems_board(db: Database) -> None:
    spec = without_column(demo_spec(), "subitems")
    del spec["subitems"]
    with emulator([spec]) as emu:
        cfg = with_env(pointed_at(db.cfg, emu), subitems_board_id=None)
        report = run_doctor(cfg, engine=db.engine)
        [none] = findings(
            report, "environments.development.subitems_board_id", "no subitems column"
        )
        assert none.severity == "error"

        cfg = with_env(cfg, subitems_board_id="4242424242")
        report = run_doctor(cfg, engine=db.engine)
    [gone] = findings(report, "environments.development.subitems_board_id", "4242424242")
    assert gone.severity == "error" and "does not exist" in gone.message


def test_configured_subitems_board_must_be_the_linked_one(db: Database) -> None:
    other = {
        "id": "5550000001",
        "name": "Another board",
        "columns": [{"id": "subitems", "title": "Subitems", "type": "subtasks"}],
        "subitems": {"id": "5550000002", "name": "Subitems of another"},
    }
    with emulator([demo_spec(), other]) as emu:
        cfg = with_env(pointed_at(db.cfg, emu), subitems_board_id="5550000002")
        report = run_doctor(cfg, engine=db.engine)
    [wrong] = findings(report, "environments.development.subitems_board_id", "links to 8709134376")
    assert wrong.severity == "error"


def test_subitem_columns_missing_or_of_the_wrong_type(db: Database) -> None:
    spec = demo_spec()
    spec["subitems"]["columns"] = [
        {"id": "dropdown_mkrak7qp", "title": "Size", "type": "date"},
    ]
    with emulator([spec]) as emu:
        report = run_doctor(pointed_at(db.cfg, emu), engine=db.engine)
    [qty] = findings(report, "monday.subitems.columns", "'numeric_mkra7j8e'", "not on board")
    [size] = findings(report, "monday.subitems.columns", "'size_code' is a text", "date column")
    assert qty.severity == size.severity == "error"


def test_items_board_missing(db: Database) -> None:
    with emulator() as emu:
        cfg = with_env(pointed_at(db.cfg, emu), items_board_id="1234567890")
        report = run_doctor(cfg, engine=db.engine)
    [board] = findings(report, "environments.development.items_board_id", "1234567890")
    assert board.severity == "error"


# -- token and API -----------------------------------------------------------------------


def test_bad_token_is_reported_without_the_token(db: Database) -> None:
    wrong = "wrong-token-987654"
    with emulator() as emu:
        report = run_doctor(pointed_at(db.cfg, emu, token=wrong), engine=db.engine)
        [refused] = findings(report, "monday.token_env", "refused", "MONDAY_API_TOKEN")
        assert refused.severity == "error"
        assert wrong not in repr(report.as_dict())

        report = run_doctor(pointed_at(db.cfg, emu, token=None), engine=db.engine)
    [absent] = findings(report, "monday.token_env", "no monday API token")
    assert absent.severity == "error"
    assert TOKEN not in repr(report.as_dict())


def test_unreachable_api(db: Database) -> None:
    nothing_listens = "http://127.0.0.1:9/v2"
    cfg = dataclasses.replace(pointed_at(db.cfg, None), api_url=nothing_listens)
    report = run_doctor(cfg, engine=db.engine)
    [down] = findings(report, "monday.api_url_env", "cannot reach", "127.0.0.1:9")
    assert down.severity == "error"
    assert any("reachable" in n for n in report.notes)  # the database was still checked


# -- database ----------------------------------------------------------------------------


def test_missing_tables(sqlite_database: Database) -> None:
    db = sqlite_database
    cfg = with_env(db.cfg, target_table="NO_SUCH_ORDERS", lines_table="NO_SUCH_LINES")
    cfg = with_settings(cfg, tables={"runs": "NO_SUCH_RUNS"})
    with emulator() as emu:
        report = run_doctor(pointed_at(cfg, emu), engine=db.engine)
    [target] = findings(report, "environments.development.target_table", "'NO_SUCH_ORDERS'")
    [lines] = findings(report, "environments.development.lines_table", "init-db")
    [runs] = findings(report, "tables.runs", "'NO_SUCH_RUNS'", "init-db")
    assert target.severity == lines.severity == runs.severity == "error"


def test_missing_sync_columns(sqlite_database: Database) -> None:
    db = sqlite_database
    with db.engine.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE "OTHER_ORDERS" ("AAG ORDER NUMBER" TEXT)')
    cfg = with_env(db.cfg, target_table="OTHER_ORDERS")
    with emulator() as emu:
        report = run_doctor(pointed_at(cfg, emu), engine=db.engine)
    [sync] = findings(report, "environments.development.target_table", "sync columns")
    assert "init-db" in sync.message
    assert findings(report, "monday.items.columns", "'PO NUMBER'", "'OTHER_ORDERS'")
    assert findings(report, "merge.customer_column", "'CUSTOMER NAME'")


def test_missing_marker_key_and_mapped_columns(sqlite_database: Database) -> None:
    db = sqlite_database
    cfg = with_settings(
        db.cfg,
        merge={
            "business_key": "ORDER NO",
            "size_columns": {"start_after": "FIRST SIZE"},
        },
        names={"group": {"columns": ["CUSTOMER NAME", "SEASON X"]}},
    )
    columns = {**cfg.settings.monday.items.columns, "NOT A COLUMN": "text_mkrh94rx"}
    cfg = with_settings(cfg, monday={"items": {"columns": columns}})
    with emulator() as emu:
        report = run_doctor(pointed_at(cfg, emu), engine=db.engine)
    assert findings(report, "merge.size_columns.start_after", "'FIRST SIZE'", severity="error")
    assert findings(report, "merge.size_columns.end_before") == []
    assert len(findings(report, "merge.business_key", "'ORDER NO'", severity="error")) == 2
    assert findings(report, "names.group.columns", "'SEASON X'", severity="error")
    assert len(findings(report, "monday.items.columns", "'NOT A COLUMN'", "is not a column")) == 2
    # the mapping checks still ran (the key column is now mapped from a non-key column)
    assert findings(report, "monday.business_key_column")


def test_adjacent_markers(sqlite_database: Database) -> None:
    cfg = with_settings(
        sqlite_database.cfg,
        merge={"size_columns": {"start_after": "TOTAL QTY", "end_before": "UNIT OF MEASURE"}},
    )
    with emulator() as emu:
        report = run_doctor(pointed_at(cfg, emu), engine=sqlite_database.engine)
    assert findings(report, "merge.size_columns", "no size columns", severity="error")


def test_unreachable_database_and_missing_sqlite_file(
    sqlite_database: Database, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "orders.db"
    cfg = dataclasses.replace(sqlite_database.cfg, database_url=f"sqlite:///{missing}")
    with emulator() as emu:
        report = run_doctor(pointed_at(cfg, emu))
        assert not missing.exists() and not missing.parent.exists()  # nothing created
        [gone] = findings(report, "environments.development.database_url_env", "does not exist")
        assert gone.severity == "error"
        assert any("items board" in n for n in report.notes)  # the board was still checked

        cfg = dataclasses.replace(
            cfg, database_url="postgresql+psycopg://nobody:s3cret-pw@127.0.0.1:9/nothing"
        )
        report = run_doctor(pointed_at(cfg, emu))
    [down] = findings(
        report, "environments.development.database_url_env", "cannot connect to the database"
    )
    assert "s3cret-pw" not in down.message
    unsupported = dataclasses.replace(cfg, database_url="oracle://x/y")
    report = run_doctor(pointed_at(unsupported, None, token=None))
    assert findings(report, "environments.development.database_url_env", "unsupported database")


def test_numeric_status_labels_cannot_be_created(sqlite_database: Database) -> None:
    db = sqlite_database
    rows = generate_rows(4, 1)
    rows[0]["UNIT OF MEASURE"] = "12"
    write_staging(db.engine, db.cfg, rows)
    with emulator() as emu:
        cfg = label_creation(pointed_at(db.cfg, emu), "items", color_mkr5yf27=True)
        report = run_doctor(cfg, engine=db.engine)
    [numeric] = findings(report, "monday.items.columns", "color_mkr5yf27", "numeric label(s) '12'")
    assert numeric.severity == "error"
