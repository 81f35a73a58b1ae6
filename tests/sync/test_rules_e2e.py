"""monday's rules for writers, end to end: the engine against the emulator over HTTP.

One mutation document per board at a time (the emulator counts overlaps and answers
423), documents sized under the 60-second call limit and recovered when cut, a 500
narrowed down to the row that causes it, Idempotency-Key replays instead of lookups,
and a board whose ``settings_str`` is gone.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from sync_order_list.sample.generator import generate_rows
from tests.sync.harness import TOKEN, Pipeline

N = 30
FAST = {"mutation_ms_mean": 0.0, "query_ms_mean": 0.0}


def test_the_engine_never_overlaps_documents_on_a_board(pipeline: Pipeline) -> None:
    """Server time on, the lock in "corrupt" mode (both applied, overlaps counted)."""
    pipeline.settings(
        board_lock="corrupt",
        mutation_ms_mean=200.0,
        server_time_distribution="exponential",
        server_time_seed=3,
        clock_speed=50.0,
    )
    pipeline.generate(N)
    pipeline.merge()
    pipeline.configure(batch={"items_per_request": 6, "subitems_per_request": 10})
    report = pipeline.sync()
    assert report.outcome == "success", report.tally.errors
    lock = pipeline.admin("/stats")["board_lock"]
    assert lock["overlaps"] == 0, lock
    # the two boards' lanes did run side by side
    assert report.lanes["items"]["documents"] >= 5 and report.lanes["subitems"]["documents"] >= 5
    pipeline.settings(**FAST)
    pipeline.assert_board_matches_database()


def test_a_document_cut_at_60_seconds_is_recovered_without_duplicates(
    pipeline: Pipeline,
) -> None:
    """Every mutation takes 1 s of monday's time (compressed): a first document of 100
    is cut after 60; those are adopted by key, the rest sent again in smaller ones."""
    pipeline.settings(
        mutation_ms_mean=1000.0,
        server_time_distribution="fixed",
        call_timeout_seconds=60.0,
        clock_speed=200.0,
    )
    pipeline.generate(N * 3)
    pipeline.merge()
    pipeline.configure(
        batch={"items_per_request": 100, "initial_seconds_per_mutation": 0.01},
    )
    report = pipeline.sync()
    stats = pipeline.admin("/stats")
    assert stats["timeouts"] >= 1
    assert report.outcome == "success", report.tally.errors
    assert report.tally.adopted >= 1
    pipeline.settings(**FAST)
    pipeline.assert_board_matches_database()  # no duplicates, nothing missing


def test_a_500_for_one_deleted_item_fails_that_row_alone(pipeline: Pipeline) -> None:
    pipeline.settings(**FAST)
    rows = generate_rows(N, 1)
    pipeline.stage(rows)
    pipeline.merge()
    pipeline.sync()
    gone = rows[7]["AAG ORDER NUMBER"]
    item_id = pipeline.orders()[gone]["monday_item_id"]
    pipeline.api("mutation ($i: ID!) { delete_item(item_id: $i) { id } }", {"i": item_id})
    for row in rows:
        row["NOTES"] = f"changed {row['AAG ORDER NUMBER']}"
    pipeline.stage(rows)
    assert pipeline.merge().updated == N
    pipeline.settings(invalid_input_errors="http500")
    report = pipeline.sync()
    errors = [e for e in report.tally.errors if e.table == "order"]
    assert [e.key for e in errors] == [gone], [e.message for e in report.tally.errors]
    assert "gone from the board" in errors[0].message
    assert report.tally.total().updated == N - 1
    # the next run creates it again: the board equals the database
    report = pipeline.sync()
    assert report.outcome == "success", report.tally.errors
    pipeline.assert_board_matches_database()


def test_a_sync_works_when_settings_str_is_gone(pipeline: Pipeline) -> None:
    pipeline.settings(remove_settings_str=True, **FAST)
    assert pipeline.cfg.settings.monday.api_version >= "2025-10"
    pipeline.generate(N)
    pipeline.merge()
    report = pipeline.sync()
    assert report.outcome == "success", report.tally.errors
    pipeline.assert_board_matches_database()


def _hold_the_board(pipeline: Pipeline, aliases: int) -> threading.Thread:
    """Another writer: a long mutation document on the items board, sent raw."""
    board = pipeline.cfg.env.items_board_id
    query = (
        "mutation { "
        + " ".join(
            f'h{i}: create_group(board_id: {board}, group_name: "HOLD {i}") {{ id }}'
            for i in range(aliases)
        )
        + " }"
    )
    body = json.dumps({"query": query}).encode()

    def send() -> None:
        request = urllib.request.Request(
            pipeline.emu.url,
            data=body,
            headers={"Authorization": TOKEN, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()

    thread = threading.Thread(target=send)
    thread.start()
    return thread


def test_a_locked_board_is_waited_for_not_failed(pipeline: Pipeline) -> None:
    """Someone else writes to the board while the sync starts: 423, wait, same document.
    (1.5 s of monday's time a mutation, at 10x: the other writer holds the board 3 s.)"""
    pipeline.settings(
        mutation_ms_mean=1500.0, server_time_distribution="fixed", query_ms_mean=0.0,
        clock_speed=10.0,
    )  # fmt: skip
    pipeline.generate(4)
    pipeline.merge()
    holder = _hold_the_board(pipeline, 20)
    time.sleep(0.3)
    report = pipeline.sync()
    holder.join(timeout=60)
    assert report.outcome == "success", report.tally.errors
    assert pipeline.admin("/stats")["board_lock"]["rejected"] >= 1
    assert report.api["lock_waits"] >= 1
    pipeline.settings(**FAST)
    pipeline.assert_board_matches_database()


# -- Idempotency-Key ------------------------------------------------------------------


@pytest.mark.slow
def test_lost_responses_are_settled_by_replays_alone(pipeline: Pipeline) -> None:
    """30% of responses lost after monday applied them, lookups switched off: the
    replays under each document's key carry the ids, so nothing is created twice."""
    pipeline.settings(**FAST)
    pipeline.generate(N)
    pipeline.merge()
    pipeline.configure(
        batch={
            "items_per_request": 5,
            "subitems_per_request": 10,
            "max_retries": 10,
            "backoff_base_seconds": 0.01,
            "backoff_max_seconds": 0.05,
        }
    )
    pipeline.faults(drop_after_apply_rate=0.3, seed=11)
    report = pipeline.sync(lookups=False)
    stats = pipeline.admin("/stats")
    assert stats["faults_injected"].get("drop_after_apply", 0) >= 3
    assert stats["idempotency"]["replays"] >= 3
    assert report.tally.adopted == 0  # no lookup was needed (or allowed)
    pipeline.faults()
    assert report.outcome == "success", report.tally.errors
    pipeline.assert_board_matches_database()


def _dies_after_first_create() -> Any:
    from sync_order_list.monday.transport import AiohttpTransport

    class DiesAfterFirstCreate(AiohttpTransport):
        """The real transport; the process "dies" right after monday answered the
        first document of item creates (nothing after it runs)."""

        async def send(self, request):  # type: ignore[no-untyped-def]
            response = await super().send(request)
            if b"create_item(" in request.body:
                raise KeyboardInterrupt
            return response

    return DiesAfterFirstCreate()


def _die_once(pipeline: Pipeline) -> None:
    import asyncio

    transport = _dies_after_first_create()
    try:
        pipeline.sync(transport=transport)
    except KeyboardInterrupt:
        pass
    finally:
        asyncio.run(transport.aclose())
    orders, lines = pipeline.tables()
    with pipeline.engine.begin() as conn:  # the dead run's process is this one: let go
        for t in (orders, lines):
            conn.execute(update(t).values(claim_expires_at=None))


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_run_restarted_within_30_minutes_replays(pipeline: Pipeline) -> None:
    pipeline.settings(**FAST)
    pipeline.generate(N)
    pipeline.merge()
    pipeline.configure(batch={"items_per_request": 5, "subitems_per_request": 10})
    _die_once(pipeline)
    created = len(pipeline.board()["items"])
    assert created == 5
    before = pipeline.admin("/stats")
    report = pipeline.sync()
    after = pipeline.admin("/stats")
    assert report.outcome == "success", report.tally.errors
    assert after["idempotency"]["replays"] == before["idempotency"]["replays"] + 1
    assert report.tally.adopted == 0 and report.tally.replayed >= 1
    pipeline.assert_board_matches_database()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_run_restarted_after_30_minutes_looks_up_and_sends_only_what_differs(
    pipeline: Pipeline,
) -> None:
    from sqlalchemy import MetaData, Table

    pipeline.settings(**FAST)
    rows = generate_rows(N, 1)
    pipeline.stage(rows)
    pipeline.merge()
    pipeline.configure(batch={"items_per_request": 5, "subitems_per_request": 10})
    _die_once(pipeline)
    # 31 minutes pass: monday has forgotten the key, and so does our journal's window
    pipeline.admin("/clock", {"advance": 31 * 60})
    documents = Table(pipeline.cfg.settings.tables.documents, MetaData(
        schema=pipeline.cfg.env.db_schema), autoload_with=pipeline.engine)  # fmt: skip
    with pipeline.engine.begin() as conn:
        for key, created in conn.execute(select(documents.c.doc_key, documents.c.created_at)):
            conn.execute(
                update(documents)
                .where(documents.c.doc_key == key)
                .values(created_at=created - timedelta(minutes=31))
            )
    # meanwhile one adopted order changed in one column
    changed = next(iter(pipeline.orders()))
    for row in rows:
        if row["AAG ORDER NUMBER"] == changed:
            row["NOTES"] = "changed while the run was dead"
    pipeline.stage(rows)
    pipeline.merge()
    before = pipeline.mutations()
    report = pipeline.sync()
    assert report.outcome == "success", report.tally.errors
    assert report.tally.adopted == 5 and report.tally.replayed == 0
    # the 5 adopted items get at most the one changed column; the rest are created
    creates = (N - 5) + len(pipeline.lines())
    groups = report.tally.groups_created
    assert pipeline.mutations() - before <= creates + groups + 1
    pipeline.assert_board_matches_database()


def test_lookups_off_and_no_answer_leaves_rows_in_flight_not_recreated(
    pipeline: Pipeline,
) -> None:
    """A document of creates that never gets an answer (monday ran it; every answer is
    lost, resends included) stays journaled; with lookups off nothing guesses: its rows
    stay in flight, nothing is created twice, and the next run replays it."""
    import asyncio

    from sync_order_list.errors import MondayTransportError
    from sync_order_list.monday.transport import AiohttpTransport

    class AnswersLost(AiohttpTransport):
        async def send(self, request):  # type: ignore[no-untyped-def]
            response = await super().send(request)
            if b"create_item(" in request.body:
                raise MondayTransportError("connection lost awaiting the response", sent=True)
            return response

    pipeline.settings(**FAST)
    pipeline.generate(6)
    pipeline.merge()
    pipeline.configure(
        batch={"items_per_request": 6, "max_retries": 2, "backoff_base_seconds": 0.01}
    )
    transport = AnswersLost()
    try:
        report = pipeline.sync(lookups=False, transport=transport)
    finally:
        asyncio.run(transport.aclose())
    assert report.outcome == "partial"
    assert len(pipeline.board()["items"]) == 6  # monday ran it once: the resends replayed
    stats = pipeline.admin("/stats")
    assert stats["idempotency"]["replays"] >= 2
    orders = pipeline.orders().values()
    assert all(o["monday_item_id"] is None and o["sync_doc_key"] for o in orders)
    report = pipeline.sync(lookups=False)
    assert report.outcome == "success", report.tally.errors
    assert report.tally.replayed >= 1 and report.tally.adopted == 0
    pipeline.assert_board_matches_database()


@pytest.mark.parametrize("version", ["2025-04", "2025-10", "2026-10"])
def test_a_sync_works_on_every_supported_api_version(pipeline: Pipeline, version: str) -> None:
    """Labels come from settings_str up to 2025-07 and from Column.settings after."""
    pipeline.settings(**FAST)
    pipeline.configure(monday={"api_version": version})
    pipeline.generate(12)
    pipeline.merge()
    report = pipeline.sync()
    assert report.outcome == "success", report.tally.errors
    stats = pipeline.admin("/stats")
    assert stats["requests"] > 0
    pipeline.assert_board_matches_database()
