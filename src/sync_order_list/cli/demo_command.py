"""``demo``: the whole pipeline on embedded defaults, for a newcomer, in one command.

Starts the local monday emulator (the demo board), creates a fresh SQLite database,
generates sample orders, merges and syncs them, prints the summary, the report and the
board viewer, then changes a handful of orders and syncs again. Nothing keeps running
afterwards unless ``--keep-running`` is given.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
import urllib.request
from pathlib import Path

import click
from pydantic import SecretStr

from sync_order_list.cli.context import (
    EXIT_OK,
    EXIT_ROW_ERRORS,
    CliState,
    common_options,
    handle_errors,
    pass_state,
)
from sync_order_list.cli.db_commands import report_merge
from sync_order_list.cli.output import api_line, progress_for, summary_table
from sync_order_list.config import AppConfig
from sync_order_list.config.loader import updated
from sync_order_list.config.timescale import compressed
from sync_order_list.db import init_db, make_engine, redact_url
from sync_order_list.errors import ProtectedEnvironmentError
from sync_order_list.merge import run_merge
from sync_order_list.sample.generator import generate
from sync_order_list.sync import SyncOptions, SyncReport, run_sync

DEMO_DB = "sync_order_list_demo.db"
DEMO_EMULATOR_STATE = "sync_order_list_demo_emulator.db"
DEMO_TOKEN = "demo-token-not-a-secret"


@click.command("demo")
@click.option("--orders", type=click.IntRange(min=1), default=300, show_default=True)
@click.option(
    "--speed",
    type=click.FloatRange(min=1, max=1000),
    default=20.0,
    show_default=True,
    help="Play monday this many times faster: the emulator's clock (budget windows, "
    "server time per mutation, the 60 s call limit) and the sync's time settings with it. "
    "Budget, costs and rules stay monday's.",
)
@click.option("--keep-running", is_flag=True, help="Keep the emulator and its viewer up.")
@click.option("--workdir", type=click.Path(file_okay=False), default=".", show_default=True)
@common_options
@pass_state
@handle_errors
def demo_command(
    state: CliState, orders: int, speed: float, keep_running: bool, workdir: str
) -> None:
    """Run the whole pipeline against the local monday emulator on a SQLite file."""
    from monday_emulator import EmulatorSettings, run_in_thread

    if state.config().env.protected:
        raise ProtectedEnvironmentError(
            f"the demo replaces staging data: it will not run on the protected environment "
            f"{state.config().env_name!r}",
            hint="run it on the development environment (the default)",
        )
    started = time.monotonic()
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / DEMO_DB
    emulator_state = work / DEMO_EMULATOR_STATE
    for stale in (db_path, emulator_state):  # a fresh database needs a fresh board
        for suffix in ("", "-wal", "-shm"):
            Path(f"{stale}{suffix}").unlink(missing_ok=True)

    settings = EmulatorSettings(token=DEMO_TOKEN, clock_speed=speed)
    emulator = run_in_thread(settings, state_file=str(emulator_state))
    try:
        base = state.config()
        reports = base.settings.reports.model_copy(update={"directory": str(work / "reports")})
        faster = updated(base.settings, compressed(base.settings, speed))
        cfg: AppConfig = dataclasses.replace(
            base,
            settings=faster.model_copy(update={"reports": reports}),
            database_url=state.db_url or f"sqlite:///{db_path}",
            api_url=emulator.url,
            token=SecretStr(DEMO_TOKEN),
        )
        state._config = cfg
        engine = make_engine(cfg.database_url)
        state._engine = engine
        viewer = emulator.base_url + "/"
        state.say(f"[bold]monday emulator[/] {emulator.url} (board viewer: {viewer})")
        state.say(
            f"  monday's rules, played {speed:g}x faster: {settings.complexity_budget:,} "
            f"complexity points a {settings.window_seconds:g} s window, about "
            f"{settings.mutation_ms_mean:g} ms a mutation, one document at a time per board, "
            f"calls cut at {settings.call_timeout_seconds:g} s (monday time)"
        )
        state.say(f"[bold]database[/] {redact_url(cfg.database_url)}")
        init_db(engine, cfg, order_tables=True)

        state.say(f"\n[bold]1. {orders} new orders[/]")
        generate(engine, cfg, orders=orders, seed=1)
        first = _merge_and_sync(state, cfg, engine)

        state.say("\n[bold]2. the same orders, a handful changed[/]")
        generate(engine, cfg, orders=orders, seed=2)
        second = _merge_and_sync(state, cfg, engine)

        snapshot = _save_viewer(viewer, work / "reports" / "demo-board.html")
        state.say(f"\n[bold]done[/] in {time.monotonic() - started:.0f} s")
        for report in (first, second):
            if report.report_path:
                state.say(f"  report of run {report.run_id[:8]}: {report.report_path}")
        if snapshot:
            state.say(f"  board as the viewer showed it: {snapshot}")
        state.say(
            f"  browse the board later: sync-order-list emulator serve --state {emulator_state}"
        )
        state.emit_json(
            {
                "database": redact_url(cfg.database_url),
                "emulator": emulator.url,
                "runs": [r.as_dict() for r in (first, second)],
                "reports": [str(r.report_path) for r in (first, second) if r.report_path],
                "board_snapshot": str(snapshot) if snapshot else None,
            }
        )
        if keep_running:
            state.say(f"[bold]emulator running[/] at {viewer} — Ctrl-C to stop")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    finally:
        emulator.stop()
    errors = sum(len(r.tally.errors) for r in (first, second))
    sys.exit(EXIT_ROW_ERRORS if errors else EXIT_OK)


def _merge_and_sync(state: CliState, cfg: AppConfig, engine: object) -> SyncReport:
    merge = run_merge(engine, cfg)  # type: ignore[arg-type]
    report_merge(state, merge)
    display = progress_for(
        state.console,
        quiet=state.quiet,
        output_json=state.output_json,
        log_format=state.log_format,
    )
    try:
        report = asyncio.run(
            run_sync(
                engine,  # type: ignore[arg-type]
                cfg,
                SyncOptions(),
                progress=display,
                on_plan=display.start,
                merge=merge,
            )
        )
    finally:
        display.stop()
    from sync_order_list.cli.sync_commands import after_run

    status = after_run(state, cfg, report)
    state.show(summary_table(report, status))
    state.say(api_line(report))
    return report


def _save_viewer(url: str, path: Path) -> Path | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read()
    except OSError:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(page)
    return path
