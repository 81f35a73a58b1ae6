"""Progress of a sync that has to wait for monday's budget: a rich display on a
pseudo-terminal, JSON progress lines with ``--log-format json``, nothing with ``-q``.

The emulator gets a small budget (100,000 points, 1 s windows) so a handful of orders
waits for it several times; the client's progress interval is 0.2 s.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monday_emulator import EmulatorSettings, ThreadedEmulator, run_in_thread
from sync_order_list.db import init_db, make_engine
from sync_order_list.sample.generator import generate
from tests.conftest import CONFIG_PATH, make_config

TOKEN = "progress-test-token"
pytestmark = pytest.mark.slow


def cli() -> list[str]:
    script = Path(sys.executable).with_name("sync-order-list")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sync_order_list"]


@pytest.fixture
def tight_emulator() -> Iterator[ThreadedEmulator]:
    settings = EmulatorSettings(
        token=TOKEN, complexity_budget=100_000, window_seconds=1.0, mutation_ms_mean=0.0
    )
    with run_in_thread(settings) as emu:
        yield emu


def prepared(tmp_path: Path, emu: ThreadedEmulator, orders: int = 4) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    cfg = make_config(url)
    engine = make_engine(url)
    init_db(engine, cfg, order_tables=True)
    generate(engine, cfg, orders=orders, seed=1)
    engine.dispose()
    config = tmp_path / "config.toml"
    text = CONFIG_PATH.read_text(encoding="utf-8")
    text = text.replace("complexity_budget = 10000000", "complexity_budget = 100000")
    text = text.replace("window_seconds = 60", "window_seconds = 1")
    config.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNC_ORDER_LIST", "MONDAY_"))}
    env.update(
        SYNC_ORDER_LIST_CONFIG=str(config),
        SYNC_ORDER_LIST_DB_URL=url,
        MONDAY_API_URL=emu.url,
        MONDAY_API_TOKEN=TOKEN,
        SYNC_ORDER_LIST_PROGRESS_INTERVAL="0.2",
        TERM="xterm-256color",
        COLUMNS="120",
    )
    return env


def run_in_pty(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> str:
    """Run ``args`` with a pseudo-terminal as stdout and stderr; all it wrote."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        args, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL, env=env, cwd=cwd
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            pytest.fail("the sync did not finish in time")
        assert proc.wait(timeout=30) == 0, b"".join(chunks).decode(errors="replace")[-3000:]
    finally:
        os.close(master)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_progress_on_a_terminal_shows_rate_eta_and_budget_waits(
    tmp_path: Path, tight_emulator: ThreadedEmulator
) -> None:
    env = prepared(tmp_path, tight_emulator)
    out = run_in_pty([*cli(), "sync"], env, tmp_path)
    assert "\x1b[" in out  # drawn with terminal control sequences: a live display
    assert "items" in out and "subitems" in out
    assert "/s" in out  # the rate column
    assert "waiting" in out and "monday's complexity budget" in out
    assert "┏" in out  # the summary is a table on a terminal


def test_progress_as_json_log_lines_and_plain_lines_off_a_terminal(
    tmp_path: Path, tight_emulator: ThreadedEmulator
) -> None:
    env = prepared(tmp_path, tight_emulator)
    result = subprocess.run(
        [*cli(), "sync", "--log-format", "json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    progress = [r for r in records if r.get("event") == "progress"]
    assert len(progress) >= 2, result.stderr[-2000:]
    last = progress[-1]
    assert last["items_done"] == last["items_total"] == 4
    assert last["subitems_done"] == last["subitems_total"] > 0
    assert {"rate_per_second", "eta_seconds", "waiting_for", "waiting_seconds"} <= set(last)
    waits = [r for r in records if r.get("event") == "waiting"]
    assert waits and waits[0]["reason"] == "budget" and waits[0]["seconds"] > 0
    assert any(r["waiting_for"] == "budget" for r in progress) or waits
    assert all(r["level"] == "info" and r["logger"] == "sync_order_list.progress" for r in waits)
    # stdout is not a terminal: plain lines, no boxes squeezed to 80 columns
    assert "┃" not in result.stdout and "…" not in result.stdout
    assert "items created 4" in result.stdout


def test_quiet_prints_no_progress(tmp_path: Path, tight_emulator: ThreadedEmulator) -> None:
    env = prepared(tmp_path, tight_emulator)
    result = subprocess.run(
        [*cli(), "sync", "-q"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "progress" not in result.stderr
