"""What an operations person sees: -q quiet everywhere, one wording for a database that
cannot be reached, no SQLite fallback on a protected environment, every writing
command honouring ``protected``, ``--customer`` in any case and saying when it matches
nothing. The real command line, in process, against a SQLite file and the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monday_emulator import EmulatorSettings, ThreadedEmulator, run_in_thread
from sync_order_list.cli import cli
from sync_order_list.cli.context import CliState
from tests.conftest import CONFIG_PATH

TOKEN = "ops-cli-token"


@pytest.fixture(scope="module")
def emu() -> Iterator[ThreadedEmulator]:
    fast = EmulatorSettings(token=TOKEN, mutation_ms_mean=0.0, query_ms_mean=0.0)
    with run_in_thread(fast) as emulator:
        yield emulator


def env_for(tmp_path: Path, emu: ThreadedEmulator, **extra: str) -> dict[str, str]:
    return {
        "SYNC_ORDER_LIST_DB_URL": f"sqlite:///{tmp_path / 'orders.db'}",
        "MONDAY_API_URL": emu.url,
        "MONDAY_API_TOKEN": TOKEN,
        "SYNC_ORDER_LIST_ENV": "",
        **extra,
    }


def run(args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(
        cli, [*args[:1], "--config", str(CONFIG_PATH), *args[1:]], env=env, obj=CliState()
    )


def prepared(tmp_path: Path, emu: ThreadedEmulator) -> dict[str, str]:
    env = env_for(tmp_path, emu)
    for args in (["init-db", "--order-tables"], ["generate", "--orders", "6"], ["sync"]):
        result = run(args, env)
        assert result.exit_code == 0, result.output
    return env


def test_quiet_means_quiet_everywhere(tmp_path: Path, emu: ThreadedEmulator) -> None:
    env = prepared(tmp_path, emu)
    for args in (
        ["init-db", "-q"],
        ["generate", "--orders", "6", "--seed", "2", "-q"],
        ["merge", "-q"],
        ["sync", "-q"],
        ["retry", "-q"],
        ["status", "-q"],
        ["report", "-q"],
        ["report", "--format", "html", "-q"],
        ["check", "-q"],
        ["verify", "-q"],
        ["doctor", "-q"],
    ):
        result = run(args, env)
        assert result.exit_code in (0, 1), (args, result.output)
        assert result.stdout == "", (args, result.stdout)


def test_one_wording_for_a_database_that_cannot_be_reached(
    tmp_path: Path, emu: ThreadedEmulator
) -> None:
    url = "postgresql://someone:hunter2-pw@127.0.0.1:1/orders"
    env = env_for(tmp_path, emu, SYNC_ORDER_LIST_DB_URL=url)
    expected = (
        "cannot connect to the database postgresql+psycopg://someone:***@127.0.0.1:1/orders: "
    )
    for args in (["init-db"], ["merge"], ["sync"], ["retry"], ["status"], ["report"], ["verify"]):
        result = run(args, env)
        assert result.exit_code == 2, (args, result.output)
        first = result.stderr.splitlines()[0]
        assert first.startswith("error: " + expected), (args, first)
        assert "refused" in first.lower() and "hunter2" not in result.stderr
    check = run(["check"], env)
    assert check.stderr.startswith("error: cannot check: " + expected)
    bad_path = env_for(tmp_path, emu, SYNC_ORDER_LIST_DB_URL="sqlite:////nonexistent/dir/x.db")
    result = run(["retry"], bad_path)
    assert result.exit_code == 2
    assert "cannot connect to the database sqlite:////nonexistent/dir/x.db" in result.stderr
    assert "the directory /nonexistent/dir does not exist" in result.stderr


def test_protected_without_its_variable_never_falls_back(
    tmp_path: Path, emu: ThreadedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = env_for(tmp_path, emu, SYNC_ORDER_LIST_ENV="production")
    env.pop("SYNC_ORDER_LIST_DB_URL")
    for args in (["status"], ["retry", "--execute"], ["sync", "--execute"], ["check"]):
        result = run(args, env)
        assert result.exit_code == 2, (args, result.output)
        assert "SYNC_ORDER_LIST_PROD_DB_URL" in result.stderr, (args, result.stderr)
        assert "init-db" not in result.stderr
    assert not (tmp_path / "sync_order_list.db").exists()  # nothing created

    # an unprotected environment falls back, and says so once
    dev = env_for(tmp_path, emu)
    dev.pop("SYNC_ORDER_LIST_DB_URL")
    result = run(["init-db", "--order-tables"], dev)
    assert result.exit_code == 0, result.output
    assert result.stderr.count("SYNC_ORDER_LIST_DB_URL is not set: using sqlite") == 1


def test_every_writing_command_honours_protected(tmp_path: Path, emu: ThreadedEmulator) -> None:
    env = prepared(tmp_path, emu)
    prod = {
        **env,
        "SYNC_ORDER_LIST_ENV": "production",
        "SYNC_ORDER_LIST_PROD_DB_URL": env["SYNC_ORDER_LIST_DB_URL"],
    }
    for args in (
        ["init-db"],
        ["generate"],
        ["merge"],
        ["sync"],
        ["retry"],
        ["verify", "--repair"],
        ["demo", "--orders", "1", "--workdir", str(tmp_path / "demo")],
    ):
        result = run(args, prod)
        assert result.exit_code == 2, (args, result.output)
        assert "protected" in result.stderr, (args, result.stderr)


def test_customer_in_any_case_and_a_name_that_matches_nothing(
    tmp_path: Path, emu: ThreadedEmulator
) -> None:
    env = prepared(tmp_path, emu)
    status = run(["status", "--customer", "greyson", "--json"], env)
    assert status.exit_code == 0
    data = json.loads(status.stdout)
    assert list(data["orders_by_customer"]) == ["GREYSON"] and data["customer_message"] is None
    nothing = run(["status", "--customer", "Greysen"], env)
    assert "--customer 'Greysen' matches no order" in nothing.stderr
    assert "GREYSON" in nothing.stderr
    sync = run(["sync", "--customer", "Nobody Inc"], env)
    assert sync.exit_code == 0 and "matches no order" in sync.stderr
    retry = run(["retry", "--customer", "nobody inc"], env)
    assert retry.exit_code == 0 and "matches no order" in retry.stderr


def test_a_sync_without_a_token_is_recorded_as_failed(
    tmp_path: Path, emu: ThreadedEmulator
) -> None:
    env = prepared(tmp_path, emu)
    no_token = {**env, "MONDAY_API_TOKEN": ""}
    result = run(["sync"], no_token)
    assert result.exit_code == 2 and "no monday API token" in result.stderr
    check = run(["check"], env)
    assert check.exit_code == 1
    assert check.stdout.startswith("ALERT last_run_failed: the last run ")
    assert "no monday API token" in check.stdout


def test_rejected_staging_rows_make_check_warn_and_no_op_syncs_write_no_report(
    tmp_path: Path, emu: ThreadedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # reports/ goes here
    env = prepared(tmp_path, emu)
    reports = tmp_path / "reports"
    written = sorted(p.name for p in reports.iterdir())
    assert len(written) == 1  # the first sync's
    again = run(["sync"], env)
    assert again.exit_code == 0 and "nothing to do: no report written" in again.stdout
    assert sorted(p.name for p in reports.iterdir()) == written
    assert run(["check"], env).exit_code == 0

    from sqlalchemy import create_engine, text

    engine = create_engine(env["SYNC_ORDER_LIST_DB_URL"])
    with engine.begin() as conn:
        conn.execute(text('UPDATE "swp_ORDER_LIST" SET "AAG ORDER NUMBER" = NULL WHERE rowid = 1'))
    engine.dispose()
    rejected = run(["sync"], env)
    assert rejected.exit_code == 1
    assert len(list(reports.iterdir())) == 2  # a run with a reject is reported
    check = run(["check"], env)
    assert check.exit_code == 1
    assert "WARN rejected_rows: the merge of run " in check.stdout
    assert "left 1 staging rows out" in check.stdout
    summary = run(["report"], env).stdout
    assert "## Rejected staging rows (1)" in summary and "empty business key" in summary
    assert "Status | needs attention" in summary
