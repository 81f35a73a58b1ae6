"""The README's first command, end to end, as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import REPO_ROOT


def cli() -> list[str]:
    script = Path(sys.executable).with_name("sync-order-list")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sync_order_list"]


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason=(
        "issue 9: the emulator now enforces monday's rules for writers by default, and the "
        "demo's engine breaks them (4 documents at once on one board get 423 "
        "RESOURCE_LOCKED; a 200-alias subitem document passes the 60 s limit: 504). "
        "Remove this marker when the engine writes one document per board at a time "
        "in batches that fit the limit"
    ),
)
def test_demo_runs_the_whole_pipeline(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "configs", tmp_path / "configs")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNC_ORDER_LIST", "MONDAY_"))}
    result = subprocess.run(
        [*cli(), "demo", "--orders", "60", "--workdir", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "1. 60 new orders" in out and "2. the same orders, a handful changed" in out
    assert "success" in out and "report.html" in out and "demo-board.html" in out
    reports = sorted((tmp_path / "reports").glob("*/summary.json"))
    assert len(reports) == 2
    first, second = (json.loads(p.read_text()) for p in reports)
    totals = {r["run_id"]: r for r in (first, second)}
    created = [r for r in totals.values() if r.get("total", {}).get("created") == 60]
    assert created, "one of the two runs created the 60 items"
    engine = create_engine(f"sqlite:///{tmp_path / 'sync_order_list_demo.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            text('SELECT sync_state, COUNT(*) FROM "ORDER_LIST" GROUP BY sync_state')
        ).all()
        states = {state: count for state, count in rows}
    engine.dispose()
    assert states == {"SYNCED": 60}
    board = (tmp_path / "reports" / "demo-board.html").read_text(encoding="utf-8")
    assert "GRE-00001" in board
