"""The compatibility table (database kind x monday column type) and the report."""

from __future__ import annotations

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Unicode,
    UnicodeText,
)
from sqlalchemy.dialects import mssql, postgresql
from sqlalchemy.types import NullType

from sync_order_list.config import Finding
from sync_order_list.db.introspect import LiveColumn
from sync_order_list.doctor import COMPATIBILITY, DoctorReport, db_kind, verdict
from sync_order_list.doctor.checks_board import check_columns
from sync_order_list.monday.encoders import SUPPORTED_TYPES
from sync_order_list.monday.schema import Board
from tests.conftest import REPO_ROOT


def live(type_: object, sql: str = "") -> LiveColumn:
    return LiveColumn("c", type_, True, sql)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("type_", "kind"),
    [
        (Unicode(255), "text"),
        (mssql.NVARCHAR(100), "text"),
        (UnicodeText(), "text"),
        (String(10), "text"),
        (Numeric(10, 4), "numeric"),
        (mssql.DECIMAL(17, 4), "numeric"),
        (SmallInteger(), "numeric"),
        (BigInteger(), "numeric"),
        (Integer(), "numeric"),
        (Float(), "numeric"),
        (DateTime(), "datetime"),
        (mssql.DATETIME2(), "datetime"),
        (Date(), "datetime"),
        (postgresql.TIMESTAMP(), "datetime"),
        (Boolean(), "boolean"),
        (mssql.BIT(), "boolean"),
        (LargeBinary(), "unknown"),
    ],
)
def test_database_kinds(type_: object, kind: str) -> None:
    assert db_kind(live(type_, str(type_))) == kind


def test_kind_from_sql_text_when_the_type_has_no_python_type() -> None:
    assert db_kind(live(NullType(), "NVARCHAR(40)")) == "text"
    assert db_kind(live(NullType(), "MONEY")) == "numeric"
    assert db_kind(live(NullType(), "DATETIMEOFFSET")) == "datetime"
    assert db_kind(live(NullType(), "BIT")) == "boolean"
    assert db_kind(live(NullType(), "GEOGRAPHY")) == "unknown"


def test_the_documented_verdicts() -> None:
    # the brief's pairs
    for monday_type in ("text", "long_text", "dropdown", "status"):
        assert verdict("text", monday_type) == "ok"
    assert verdict("numeric", "numbers") == verdict("numeric", "text") == "ok"
    assert verdict("datetime", "date") == "ok"
    # text into numbers is flagged: each value must be a number
    assert verdict("text", "numbers") == "check"
    # impossible pairings
    assert verdict("datetime", "numbers") == "no"
    assert verdict("numeric", "date") == "no"
    assert verdict("boolean", "numbers") == "no"
    # types this tool cannot write at all
    assert verdict("text", "people") == verdict("text", "formula") == "no"
    assert verdict("unknown", "text") == "check"
    # the table only names types the encoders can write
    for row in COMPATIBILITY.values():
        assert set(row) <= SUPPORTED_TYPES


def test_doc_lists_the_same_table() -> None:
    """docs/doctor.md carries the table; it must say what the code says."""
    doc = (REPO_ROOT / "docs" / "doctor.md").read_text("utf-8")
    rows = {}
    for line in doc.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in SUPPORTED_TYPES:
            rows[cells[0]] = cells[1:]
    kinds = ["text", "numeric", "datetime", "boolean"]
    symbols = {"ok": "ok", "check": "check", "no": "-"}
    assert set(rows) == SUPPORTED_TYPES, "docs/doctor.md must list every writable type"
    for monday_type, cells in rows.items():
        expected = [symbols[verdict(k, monday_type)] for k in kinds]  # type: ignore[arg-type]
        assert cells == expected, monday_type


def test_report_orders_errors_first_and_sets_exit_codes() -> None:
    report = DoctorReport("development", "c.toml")
    assert report.exit_code() == 0 and "no problems" in report.summary()
    report.add([Finding("warning", "a", "w"), Finding("error", "b", "e")])
    report.add([Finding("error", "b", "e")])  # duplicates are dropped
    assert [f.severity for f in report.sorted_findings()] == ["error", "warning"]
    assert report.exit_code() == 1
    assert report.summary().startswith("doctor (development): 1 error, 1 warning")
    data = report.as_dict()
    assert data["ok"] is False and data["errors"] == 1 and len(data["findings"]) == 2
    only_warning = DoctorReport("x", "c.toml", [Finding("warning", "a", "w")])
    assert only_warning.exit_code() == 0 and only_warning.exit_code(strict=True) == 1


def test_unwritable_and_unrecognised_types_on_a_board() -> None:
    board = Board.from_json(
        {
            "id": "1",
            "name": "b",
            "columns": [
                {"id": "people", "title": "Owner", "type": "people"},
                {"id": "text1", "title": "Blob", "type": "text"},
            ],
        }
    )
    found: list[Finding] = []
    pairs = check_columns(
        board,
        {"OWNER": "people", "BLOB": "text1"},
        "items",
        {"OWNER": live(Unicode(10)), "BLOB": live(LargeBinary(), "VARBINARY(MAX)")},
        found,
    )
    people, blob = found
    assert people.severity == "error" and "cannot write" in people.message
    assert blob.severity == "warning" and "does not recognise" in blob.message
    assert [(p.db_column, p.verdict) for p in pairs] == [("BLOB", "check")]
