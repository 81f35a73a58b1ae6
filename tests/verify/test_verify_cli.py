"""``sync-order-list verify`` on the command line, and what ``check`` makes of it."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner, Result
from pydantic import SecretStr
from sqlalchemy import text

from sync_order_list.cli import cli
from sync_order_list.cli.context import CliState
from sync_order_list.config import AppConfig
from tests.sync.harness import Pipeline
from tests.verify.test_verify_e2e import delete_item, synced_board


def run_cli(cfg: AppConfig, *args: str) -> Result:
    state = CliState()
    state._config = cfg  # what --config/--env/--db would have loaded
    return CliRunner().invoke(cli, list(args), obj=state, catch_exceptions=False)


def runs_table(p: Pipeline) -> str:
    q = p.engine.dialect.identifier_preparer.quote
    schema = p.cfg.env.db_schema
    name = q(p.cfg.settings.tables.runs)
    return f"{q(schema)}.{name}" if schema else name


def test_exit_codes_json_and_check(pipeline: Pipeline) -> None:
    p = pipeline
    orders = synced_board(p, 6)
    ok = run_cli(p.cfg, "verify")
    assert ok.exit_code == 0, ok.output
    assert "the board matches the database" in ok.stdout
    assert run_cli(p.cfg, "check").exit_code == 0

    key = sorted(orders)[0]
    delete_item(p, str(orders[key]["monday_item_id"]))
    found = run_cli(p.cfg, "verify", "--json")
    assert found.exit_code == 1
    data = json.loads(found.stdout)
    assert data["found"] == {"deleted": 1} and data["left"] == {"deleted": 1}
    assert data["findings"][0]["key"] == key and data["outcome"] == "drift"
    # plain lines when not a terminal: no table boxes, no squeezed headers
    human = run_cli(p.cfg, "verify")
    assert "deleted: 1" in human.stdout and "┃" not in human.stdout
    assert f"deleted: {key}" in human.stdout

    check = run_cli(p.cfg, "check")
    assert check.exit_code == 1
    assert check.stdout.startswith("ALERT board_drift: the last verify ")
    assert "1 deleted" in check.stdout

    repaired = run_cli(p.cfg, "verify", "--repair", "--json")
    assert repaired.exit_code == 1
    assert json.loads(repaired.stdout)["repaired"] == {"deleted": 1}
    assert run_cli(p.cfg, "check", "-q").exit_code == 0  # put back: nothing left over
    assert p.sync().outcome == "success"
    assert run_cli(p.cfg, "verify", "-q").stdout == ""


def test_could_not_check_is_recorded_and_checked(pipeline: Pipeline) -> None:
    p = pipeline
    synced_board(p, 3)
    refused = dataclasses.replace(p.cfg, token=SecretStr("wrong-token"))
    result = run_cli(refused, "verify")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: monday refused the API token")
    check = run_cli(p.cfg, "check")
    assert check.exit_code == 1 and check.stdout.startswith("ALERT verify_failed:")
    assert "wrong-token" not in check.stdout


def test_repair_on_a_protected_environment_needs_execute(pipeline: Pipeline) -> None:
    p = pipeline
    synced_board(p, 3)
    protected = dataclasses.replace(p.cfg, env=p.cfg.env.model_copy(update={"protected": True}))
    refused = run_cli(protected, "verify", "--repair")
    assert refused.exit_code == 2
    assert "refusing to repair the board: environment 'development' is protected" in (
        refused.stderr
    )
    assert run_cli(protected, "verify").exit_code == 0  # reading needs nothing
    assert run_cli(protected, "verify", "--repair", "--execute").exit_code == 0


def test_a_stale_verify_is_reported_when_configured(pipeline: Pipeline) -> None:
    p = pipeline
    synced_board(p, 3)
    strict = p.configure(monitoring={"verify_max_age_hours": 24})
    check = run_cli(strict, "check")
    assert check.exit_code == 1 and "WARN verify_stale:" in check.stdout
    assert "none has run" in check.stdout
    assert run_cli(strict, "verify").exit_code == 0
    assert run_cli(strict, "check").exit_code == 0
    with p.engine.begin() as conn:
        conn.execute(
            text(
                f"UPDATE {runs_table(p)} SET started_at = :t, finished_at = :t "
                "WHERE command = 'verify'"
            ),
            {"t": datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=25)},
        )
    check = run_cli(strict, "check")
    assert check.exit_code == 1 and "WARN verify_stale:" in check.stdout
