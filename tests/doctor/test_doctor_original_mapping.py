"""The doctor judges the ORIGINAL board mapping (shared/reference) as it was: on the
real 410-column tables (SQLite and PostgreSQL) against the emulator's demo board,
it must report that mapping's real defects, and write nothing while doing it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from sync_order_list.config import mapping_findings
from sync_order_list.config.original_mapping import from_original_mapping
from sync_order_list.doctor import EXIT_ERRORS, run_doctor
from sync_order_list.errors import ConfigError
from sync_order_list.merge import run_merge
from sync_order_list.sample.generator import generate
from tests.conftest import Database, make_config
from tests.doctor.support import emulator, findings, pointed_at, snapshot

NVARCHAR_ON_NUMBERS = {
    "DESIGN FEE": "numeric_mkr5h612",
    "SURCHARGE FEE": "numeric_mkr57cem",
    "DISCOUNT": "numeric_mkr56xx8",
}


def original(reference: Path) -> dict:
    return json.loads((reference / "original_board_mapping.json").read_text("utf-8"))


def test_converter_keeps_the_original_mapping_and_its_defects(reference: Path) -> None:
    base = make_config("sqlite://").settings
    data = original(reference)
    settings = from_original_mapping(data, base)

    items = settings.monday.items
    assert len(set(items.columns.values())) == len(data["items_board"]["columns"]) == 45
    assert len(items.columns) == 46  # 'Warehouse' feeds the same column as DESTINATION WAREHOUSE
    assert items.columns["DESTINATION WAREHOUSE"] == items.columns["Warehouse"] == "text_mkr5ps35"
    assert items.columns["DESIGN FEE"] == "numeric_mkr5h612"
    assert items.creates_labels("dropdown_mkr58de6")
    assert not items.creates_labels("dropdown_mkr542p2")
    assert settings.monday.subitems.columns == {
        "size_code": "dropdown_mkrak7qp",
        "qty": "numeric_mkra7j8e",
    }
    assert settings.monday.subitems.creates_labels("dropdown_mkrak7qp")
    assert settings.monday.business_key_column == "text_mkr5wya6"
    assert settings.merge.business_key == "AAG ORDER NUMBER"
    assert settings.merge.size_columns.start_after == "UNIT OF MEASURE"
    assert settings.names.item.separator == ""  # as the original had it
    assert settings.names.group.fallback_columns == ["CUSTOMER NAME", "AAG SEASON"]
    assert settings.names.subitem.template == "Size {size_code}"
    assert settings.environments == base.environments  # the rest comes from the base

    errors = [f for f in mapping_findings(settings) if f.severity == "error"]
    assert len(errors) == 1 and "text_mkr5ps35" in errors[0].message


def test_converter_refuses_what_is_not_a_mapping(reference: Path) -> None:
    base = make_config("sqlite://").settings
    with pytest.raises(ConfigError, match="missing"):
        from_original_mapping({"items_board": {"columns": []}}, base)
    data = original(reference)
    data["business_key"] = "NOT MAPPED"
    with pytest.raises(ConfigError, match="business key"):
        from_original_mapping(data, base)


def test_doctor_reports_the_original_mappings_real_defects(
    database: Database, reference: Path
) -> None:
    generate(database.engine, database.cfg, orders=30, seed=3)
    run_merge(database.engine, database.cfg)
    settings = from_original_mapping(original(reference), database.cfg.settings)
    before = snapshot(database.engine, database.cfg.env.db_schema)

    with emulator() as emu:  # the demo board: the original board's columns
        cfg = dataclasses.replace(pointed_at(database.cfg, emu), settings=settings)
        report = run_doctor(cfg)  # its own read-only engine on cfg.database_url
        applied = emu.call(lambda: dict(emu.state.stats.mutations_applied))

    # Two database columns on one monday column.
    twice = findings(
        report, "monday.items.columns", "text_mkr5ps35", "DESTINATION WAREHOUSE", "Warehouse"
    )
    assert [f.severity for f in twice] == ["error"]
    # Text (NVARCHAR) database columns on numbers columns.
    for db_col, col_id in NVARCHAR_ON_NUMBERS.items():
        found = findings(report, "monday.items.columns", repr(db_col), col_id, "text database")
        assert len(found) == 1, (db_col, report.findings)
        assert "numbers column" in found[0].message
    # ... and nothing else is wrong with it on this board and data.
    flagged = {
        db_col
        for db_col in settings.monday.items.columns
        if any(f.message.startswith(f"{db_col!r} is a ") for f in report.findings)
    }
    assert flagged == set(NVARCHAR_ON_NUMBERS)
    assert report.errors == twice
    assert report.exit_code() == EXIT_ERRORS
    assert any("245 size columns" in n for n in report.notes)

    # doctor read only
    assert applied == {}
    assert snapshot(database.engine, database.cfg.env.db_schema) == before
