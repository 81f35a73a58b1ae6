"""``doctor`` on the command line: output, --json, exit codes 0/1/2, --strict, and it
writes nothing to the database or the board."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from sync_order_list.cli.context import CliState
from sync_order_list.cli.doctor_command import doctor_command
from sync_order_list.merge import run_merge
from sync_order_list.sample.generator import generate
from sync_order_list.sync import SyncOptions, run_sync
from tests.conftest import CONFIG_PATH, Database
from tests.doctor.support import TOKEN, emulator, pointed_at, snapshot


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    state = ctx.ensure_object(CliState)
    ctx.call_on_close(state.close)


cli.add_command(doctor_command)


def run(args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, ["doctor", *args], env=env, catch_exceptions=False)


@pytest.fixture
def db(sqlite_database: Database) -> Database:
    generate(sqlite_database.engine, sqlite_database.cfg, orders=12, seed=2)
    run_merge(sqlite_database.engine, sqlite_database.cfg)
    return sqlite_database


def test_clean_config_exits_0_and_strict_turns_warnings_into_1(db: Database) -> None:
    with emulator() as emu:
        env = {"MONDAY_API_TOKEN": TOKEN, "MONDAY_API_URL": emu.url}
        common = ["--config", str(CONFIG_PATH), "--db", db.cfg.database_url]
        result = run(common, env)
        assert result.exit_code == 0, result.output
        # not a terminal: one plain line per finding, no table squeezed to 80 columns
        assert "warning: [monday.items.columns]" in result.output
        assert "┃" not in result.output and "…" not in result.output
        assert "DESIGN FEE" in result.output
        assert "0 errors, 3 warnings" in result.output
        assert "245 size columns" in result.output

        result = run([*common, "--json"], env)
        assert result.exit_code == 0
        payload = json.loads(result.output)
        assert payload["ok"] is True and payload["errors"] == 0 and payload["warnings"] == 3
        assert {f["key"] for f in payload["findings"]} == {"monday.items.columns"}
        assert TOKEN not in result.output

        result = run([*common, "--json", "--strict"], env)
        assert result.exit_code == 1
        assert json.loads(result.output)["exit_code"] == 1


def test_errors_exit_1(db: Database, tmp_path: Path) -> None:
    text = CONFIG_PATH.read_text("utf-8").replace(
        'items_board_id = "8709134353"', 'items_board_id = "1111111111"'
    )
    assert "1111111111" in text
    config = tmp_path / "broken.toml"
    config.write_text(text, "utf-8")
    with emulator() as emu:
        env = {"MONDAY_API_TOKEN": TOKEN, "MONDAY_API_URL": emu.url}
        result = run(["--config", str(config), "--db", db.cfg.database_url, "--json"], env)
    assert result.exit_code == 1
    payload = json.loads(result.output)
    assert payload["ok"] is False
    [error] = [f for f in payload["findings"] if f["severity"] == "error"]
    assert error["key"] == "environments.development.items_board_id"


def test_a_mapping_load_would_refuse_is_listed_not_refused(db: Database, tmp_path: Path) -> None:
    text = CONFIG_PATH.read_text("utf-8").replace(
        '"HS CODE" = "long_text_mktdz0g"',
        '"HS CODE" = "long_text_mktdz0g"\n"Warehouse" = "text_mkr5ps35"',
    )
    config = tmp_path / "twice.toml"
    config.write_text(text, "utf-8")
    with emulator() as emu:
        env = {"MONDAY_API_TOKEN": TOKEN, "MONDAY_API_URL": emu.url}
        result = run(["--config", str(config), "--db", db.cfg.database_url], env)
    assert result.exit_code == 1
    assert "text_mkr5ps35" in result.output and "Warehouse" in result.output
    assert "1 error, 3 warnings" in result.output


def test_cannot_run_without_a_config_exits_2(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.toml")
    result = run(["--config", missing], {})
    assert result.exit_code == 2
    assert "configuration file not found" in result.output

    result = run(["--config", missing, "--json"], {})
    assert result.exit_code == 2
    assert json.loads(result.output)["exit_code"] == 2

    bad = tmp_path / "bad.toml"
    bad.write_text("default_environment = [", "utf-8")
    assert run(["--config", str(bad)], {}).exit_code == 2
    assert run(["--config", str(CONFIG_PATH), "--env", "staging"], {}).exit_code == 2


def test_doctor_writes_nothing(db: Database) -> None:
    """After a real sync, a doctor run leaves every table and the board as they were,
    and sends no mutation."""
    with emulator() as emu:
        cfg = pointed_at(db.cfg, emu)
        report = asyncio.run(run_sync(db.engine, cfg, SyncOptions()))
        assert report.outcome == "success"
        tables = snapshot(db.engine, None)
        board = emu.call(lambda: repr(sorted(emu.state.store.items.items())))
        emu.call(emu.state.stats.reset)

        env = {"MONDAY_API_TOKEN": TOKEN, "MONDAY_API_URL": emu.url}
        result = run(["--config", str(CONFIG_PATH), "--db", db.cfg.database_url], env)
        assert result.exit_code == 0, result.output

        stats = emu.call(lambda: emu.state.stats.to_dict())
        assert emu.call(lambda: repr(sorted(emu.state.store.items.items()))) == board
    assert stats["mutations_applied"] == {}
    assert stats["requests"] >= 2
    assert snapshot(db.engine, None) == tables
