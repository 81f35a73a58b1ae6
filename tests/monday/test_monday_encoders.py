"""Column encoders: every type, every validation error, clears, change detection."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from sync_order_list.errors import RowError
from sync_order_list.monday.encoders import (
    LONG_TEXT_MAX_CHARS,
    clean_name,
    clear_value,
    column_values_json,
    comparable,
    encode_column_values,
    encode_value,
)
from sync_order_list.monday.schema import Board, Column


def col(
    type_: str, settings: dict | None = None, id_: str | None = None, title: str = "T"
) -> Column:
    return Column.from_json(
        {
            "id": id_ or f"{type_}_x",
            "title": title,
            "type": type_,
            "settings_str": json.dumps(settings or {}),
        }
    )


STATUS = col(
    "status",
    {"labels": {"0": "Working on it", "1": "Done", "2": "Stuck", "3": "10", "5": ""}},
    id_="color_mkr5yf27",
    title="UNIT OF MEASURE",
)
DROPDOWN = col(
    "dropdown",
    {"labels": [{"id": 1, "name": "FW24"}, {"id": 2, "name": "SS25"}, {"id": 7, "name": "42"}]},
    id_="dropdown_mkr58de6",
    title="AAG SEASON",
)


def enc(value, column, **kw):
    return encode_value(value, column, db_column="DB COL", **kw)


# -- text and long text ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "abc"),
        ("  padded  ", "padded"),
        (12, "12"),
        (Decimal("12.50"), "12.5"),
        (1.5, "1.5"),
        (True, "true"),
        (date(2024, 3, 1), "2024-03-01"),
        (datetime(2024, 3, 1, 0, 0), "2024-03-01"),
        (datetime(2024, 3, 1, 13, 5, 9, 123), "2024-03-01 13:05:09"),
        ("line1\nline2", "line1\nline2"),
    ],
)
def test_text(value, expected) -> None:
    assert enc(value, col("text")) == expected


def test_long_text() -> None:
    assert enc("a note", col("long_text")) == {"text": "a note"}
    assert enc(Decimal("3.10"), col("long_text")) == {"text": "3.1"}
    with pytest.raises(RowError, match="long text limit"):
        enc("x" * (LONG_TEXT_MAX_CHARS + 1), col("long_text"))


# -- numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10, "10"),
        (-3, "-3"),
        (Decimal("10.500"), "10.5"),
        (Decimal("100"), "100"),
        (Decimal("1E+2"), "100"),
        (Decimal("-0.00"), "0"),
        (10.0, "10"),
        (0.1, "0.1"),
        (1e-7, "0.0000001"),
        ("  42 ", "42"),
        ("3.14159", "3.14159"),
        ("+7", "7"),
        ("1e3", "1000"),
        (".5", "0.5"),
    ],
)
def test_numbers(value, expected) -> None:
    assert enc(value, col("numbers")) == expected


@pytest.mark.parametrize(
    "value", ["TBC", "1,234.5", "12%", "$5", "nan", "inf", float("nan"), float("inf"), True]
)
def test_numbers_invalid(value) -> None:
    with pytest.raises(RowError) as info:
        encode_value(
            value,
            col("numbers", id_="numeric_mkr5k68", title="ADMIN FEE"),
            db_column="ADMINISTRATION FEE",
        )
    message = str(info.value)
    assert "'ADMINISTRATION FEE'" in message and "'numeric_mkr5k68'" in message
    assert info.value.db_column == "ADMINISTRATION FEE"
    assert info.value.monday_column == "numeric_mkr5k68"


# -- status ---------------------------------------------------------------------------


def test_status_existing_label_by_label() -> None:
    assert enc("Done", STATUS) == {"label": "Done"}


def test_status_numeric_label_goes_by_index() -> None:
    assert enc("10", STATUS) == {"index": 3}
    assert enc(10, STATUS) == {"index": 3}
    assert enc(Decimal("10"), STATUS) == {"index": 3}


def test_status_missing_label_without_create() -> None:
    with pytest.raises(RowError) as info:
        enc("Shipped", STATUS)
    assert "does not exist" in str(info.value)
    assert info.value.monday_column == "color_mkr5yf27"
    assert "'Done'" in str(info.value)  # lists existing labels


def test_status_case_mismatch_is_an_error_with_a_hint() -> None:
    with pytest.raises(RowError, match="did you mean 'Done'"):
        enc("done", STATUS)


def test_status_missing_label_with_create() -> None:
    assert enc("Shipped", STATUS, create_labels=True) == {"label": "Shipped"}


def test_status_missing_numeric_label_cannot_be_created() -> None:
    with pytest.raises(RowError, match="numeric status label '12'"):
        enc("12", STATUS, create_labels=True)


def test_status_label_limit() -> None:
    full = col("status", {"labels": {str(i): f"L{i}" for i in range(40)}})
    assert enc("L39", full) == {"label": "L39"}
    with pytest.raises(RowError, match="limit is 40"):
        enc("L40", full, create_labels=True)


def test_status_rejects_several_labels() -> None:
    with pytest.raises(RowError, match="one label"):
        enc(["Done", "Stuck"], STATUS)


# -- dropdown -------------------------------------------------------------------------


def test_dropdown_existing_labels_go_by_id() -> None:
    assert enc("SS25", DROPDOWN) == {"ids": [2]}
    assert enc(["FW24", "SS25", "FW24"], DROPDOWN) == {"ids": [1, 2]}
    assert enc(42, DROPDOWN) == {"ids": [7]}


def test_dropdown_is_case_sensitive() -> None:
    with pytest.raises(RowError, match="did you mean 'SS25'"):
        enc("ss25", DROPDOWN)


def test_dropdown_missing_label() -> None:
    with pytest.raises(RowError) as info:
        enc("AW26", DROPDOWN)
    assert info.value.monday_column == "dropdown_mkr58de6"
    assert "create_labels_if_missing is off" in str(info.value)
    assert enc("AW26", DROPDOWN, create_labels=True) == {"labels": ["AW26"]}
    # not mixed: once one label is new, all go by label
    assert enc(["SS25", "AW26"], DROPDOWN, create_labels=True) == {"labels": ["SS25", "AW26"]}


def test_dropdown_settings_in_the_old_shape_and_deactivated_labels() -> None:
    old = col("dropdown", {"labels": {"1": "A", "2": "B"}})
    assert enc("B", old) == {"ids": [2]}
    dead = col(
        "dropdown",
        {"labels": [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}], "deactivated_labels": [2]},
    )
    with pytest.raises(RowError, match="'B' is deactivated"):
        enc("B", dead)
    with pytest.raises(RowError, match="deactivated"):
        enc("B", dead, create_labels=True)  # not created again under its name either


@pytest.mark.parametrize("create", [False, True])
def test_deactivated_labels_from_settings_json_are_never_written(create: bool) -> None:
    status = Column.from_json(
        {
            "id": "color_s",
            "title": "Stage",
            "type": "status",
            "settings": {
                "labels": [
                    {"id": 1, "label": "Done", "index": 0, "is_deactivated": False},
                    {"id": 4, "label": "Retired", "index": 1, "is_deactivated": True},
                ]
            },
        }
    )
    assert enc("Done", status, create_labels=create) == {"label": "Done"}
    with pytest.raises(RowError, match="'Retired' is deactivated on 'Stage'") as info:
        enc("Retired", status, create_labels=create)
    assert info.value.monday_column == "color_s"
    dropdown = Column.from_json(
        {
            "id": "dd",
            "title": "Size",
            "type": "dropdown",
            "settings": {"labels": [{"id": 3, "label": "XL", "is_deactivated": True}]},
        }
    )
    with pytest.raises(RowError, match="'XL' is deactivated"):
        enc(["XL"], dropdown, create_labels=create)


# -- dates and timelines --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2024, 2, 29), {"date": "2024-02-29"}),
        (datetime(2024, 2, 29, 0, 0), {"date": "2024-02-29"}),
        (datetime(2024, 2, 29, 14, 30, 5), {"date": "2024-02-29", "time": "14:30:05"}),
        (
            datetime(2024, 3, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))),
            {"date": "2024-02-29", "time": "23:00:00"},
        ),
        (datetime(2024, 3, 1, 9, 0, tzinfo=UTC), {"date": "2024-03-01", "time": "09:00:00"}),
        ("2024-03-01", {"date": "2024-03-01"}),
        ("2024-03-01 00:00:00.0000000", {"date": "2024-03-01"}),
        ("2024-03-01T08:15", {"date": "2024-03-01", "time": "08:15:00"}),
        ("2024-03-01T08:15:00Z", {"date": "2024-03-01", "time": "08:15:00"}),
        ("2024-03-01 08:15:00+01:00", {"date": "2024-03-01", "time": "07:15:00"}),
    ],
)
def test_date(value, expected) -> None:
    assert enc(value, col("date")) == expected


@pytest.mark.parametrize(
    "value", ["2024-02-30", "01/03/2024", "soon", "2024-13-01", 20240301, "2024-3-1"]
)
def test_date_invalid(value) -> None:
    with pytest.raises(RowError) as info:
        encode_value(value, col("date", id_="date_mkr5zp5"), db_column="ORDER DATE PO RECEIVED")
    assert info.value.db_column == "ORDER DATE PO RECEIVED"
    assert info.value.monday_column == "date_mkr5zp5"


def test_timeline() -> None:
    tl = col("timeline")
    assert enc((date(2024, 1, 1), date(2024, 1, 31)), tl) == {
        "from": "2024-01-01",
        "to": "2024-01-31",
    }
    assert enc("2024-01-01 - 2024-02-01", tl) == {"from": "2024-01-01", "to": "2024-02-01"}
    assert enc("2024-01-01/2024-02-01", tl) == {"from": "2024-01-01", "to": "2024-02-01"}
    assert enc(date(2024, 5, 5), tl) == {"from": "2024-05-05", "to": "2024-05-05"}
    with pytest.raises(RowError, match="before it starts"):
        enc("2024-02-01 - 2024-01-01", tl)
    with pytest.raises(RowError):
        enc("2024-01-01 - later", tl)
    with pytest.raises(RowError, match="from, to"):
        enc((date(2024, 1, 1),), tl)


# -- checkbox, email, link, phone ------------------------------------------------------


@pytest.mark.parametrize("value", [True, 1, "yes", "Y", "true", "x", "1", Decimal("1")])
def test_checkbox_checked(value) -> None:
    assert enc(value, col("checkbox")) == {"checked": "true"}


@pytest.mark.parametrize("value", [False, 0, "no", "false", "N", "0"])
def test_checkbox_unchecked_clears(value) -> None:
    assert enc(value, col("checkbox")) is None


def test_checkbox_invalid() -> None:
    with pytest.raises(RowError, match="yes/no"):
        enc("maybe", col("checkbox"))


def test_email() -> None:
    assert enc(" a.b@example.com ", col("email")) == {
        "email": "a.b@example.com",
        "text": "a.b@example.com",
    }
    for bad in ("not an email", "a@b", "a b@c.com"):
        with pytest.raises(RowError, match="email"):
            enc(bad, col("email"))


def test_link() -> None:
    assert enc("https://example.com/x?y=1", col("link")) == {
        "url": "https://example.com/x?y=1",
        "text": "https://example.com/x?y=1",
    }
    assert enc("example.com/po/1", col("link")) == {
        "url": "https://example.com/po/1",
        "text": "https://example.com/po/1",
    }
    with pytest.raises(RowError, match="not a link"):
        enc("see attached", col("link"))


def test_phone() -> None:
    assert enc("+1 (202) 555-0169 US", col("phone")) == {
        "phone": "+12025550169",
        "countryShortName": "US",
    }
    assert enc("0044 20 7946 0958", col("phone")) == {"phone": "+442079460958"}
    assert enc(2025550169, col("phone")) == {"phone": "2025550169"}
    for bad in ("call me", "12", "+1 202 555 0169 USA"):
        with pytest.raises(RowError, match="phone"):
            enc(bad, col("phone"))


# -- clears, names, unsupported types -------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "expected"),
    [
        ("text", ""),
        ("long_text", ""),
        ("numbers", ""),
        ("status", None),
        ("dropdown", None),
        ("date", None),
        ("checkbox", None),
        ("email", None),
        ("link", None),
        ("phone", None),
        ("timeline", None),
    ],
)
def test_none_and_blank_clear(type_, expected) -> None:
    column = STATUS if type_ == "status" else DROPDOWN if type_ == "dropdown" else col(type_)
    assert enc(None, column) == expected
    assert enc("   ", column) == expected
    assert clear_value(type_) == expected


def test_clear_value_of_unknown_type() -> None:
    with pytest.raises(ValueError):
        clear_value("people")


def test_unsupported_type_is_a_row_error() -> None:
    with pytest.raises(RowError, match="not supported"):
        enc("x", col("people"))


def test_clean_name() -> None:
    assert clean_name("  Style  123\n Navy\tBlue ") == "Style 123 Navy Blue"
    assert clean_name(12345) == "12345"
    assert clean_name("x" * 255) == "x" * 255
    with pytest.raises(RowError, match="at most 255"):
        clean_name("x" * 256, db_column="CUSTOMER STYLE")
    with pytest.raises(RowError, match="empty"):
        clean_name("   ")
    with pytest.raises(RowError, match="empty"):
        clean_name(None, what="group name")


def test_name_column_renames() -> None:
    name = col("name", id_="name")
    assert enc("  New   name ", name) == "New name"
    with pytest.raises(RowError) as info:
        enc("", name)
    assert info.value.monday_column == "name"


# -- whole rows -----------------------------------------------------------------------


BOARD = Board.from_json(
    {
        "id": "1",
        "name": "Orders",
        "columns": [
            {"id": "text_k", "title": "KEY", "type": "text", "settings_str": "{}"},
            {"id": "num_q", "title": "QTY", "type": "numbers", "settings_str": "{}"},
            {"id": "date_d", "title": "DATE", "type": "date", "settings_str": "{}"},
            {
                "id": DROPDOWN.id,
                "title": DROPDOWN.title,
                "type": "dropdown",
                "settings_str": json.dumps(dict(DROPDOWN.settings)),
            },
        ],
        "groups": [],
    }
)
MAPPING = {"KEY": "text_k", "QTY": "num_q", "DATE": "date_d", "SEASON": DROPDOWN.id}


def test_encode_column_values() -> None:
    row = {"KEY": "A-1", "QTY": Decimal("5.0"), "DATE": date(2024, 1, 2), "SEASON": "AW26"}
    out = encode_column_values(row, MAPPING, BOARD, creates_labels=lambda cid: cid == DROPDOWN.id)
    assert out == {
        "text_k": "A-1",
        "num_q": "5",
        "date_d": {"date": "2024-01-02"},
        DROPDOWN.id: {"labels": ["AW26"]},
    }
    assert json.loads(column_values_json(out)) == out
    # only the columns present in the row (an update of what changed)
    assert encode_column_values({"QTY": 7}, MAPPING, BOARD) == {"num_q": "7"}
    # blanks clear on update, are left out on create
    assert encode_column_values({"QTY": None}, MAPPING, BOARD) == {"num_q": ""}
    assert encode_column_values({"QTY": None}, MAPPING, BOARD, skip_empty=True) == {}


def test_encode_column_values_reports_every_bad_column() -> None:
    with pytest.raises(RowError) as info:
        encode_column_values({"QTY": "TBC", "DATE": "soon", "KEY": "ok"}, MAPPING, BOARD)
    assert "2 columns invalid" in str(info.value)
    assert "'TBC'" in str(info.value) and "'soon'" in str(info.value)
    with pytest.raises(RowError, match="has no column 'gone'"):
        encode_column_values({"X": 1}, {"X": "gone"}, BOARD)


def test_column_values_json_is_stable() -> None:
    assert column_values_json({"b": 1, "a": {"y": 2, "x": "é"}}) == '{"a":{"x":"é","y":2},"b":1}'


# -- change detection -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "type_"),
    [
        (None, "", None),
        (None, "   ", "text"),
        (Decimal("10.50"), 10.5, "numbers"),
        (Decimal("10.50"), "10.5", "numbers"),
        (10, "10.0", "numbers"),
        (datetime(2024, 1, 2), date(2024, 1, 2), "date"),
        ("2024-01-02 00:00:00", date(2024, 1, 2), "date"),
        (" abc ", "abc", "text"),
        (True, "yes", "checkbox"),
        ("Style  A", "Style A", "name"),
    ],
)
def test_comparable_equal(a, b, type_) -> None:
    assert comparable(a, type_) == comparable(b, type_)


@pytest.mark.parametrize(
    ("a", "b", "type_"),
    [
        ("TBC", "TBA", "numbers"),
        (Decimal("10.5"), Decimal("10.51"), "numbers"),
        ("Done", "done", "status"),
        (date(2024, 1, 2), date(2024, 1, 3), "date"),
        (datetime(2024, 1, 2, 10), date(2024, 1, 2), "date"),
        ("a  b", "a b", "text"),
        (None, "0", "numbers"),
    ],
)
def test_comparable_different(a, b, type_) -> None:
    assert comparable(a, type_) != comparable(b, type_)
