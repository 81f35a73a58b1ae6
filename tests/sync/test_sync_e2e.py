"""The sync engine against the local emulator over real HTTP, on SQLite and PostgreSQL.

Each invariant of DESIGN.md has a test here: no duplicates, nothing lost, a re-run
with nothing changed sends no writes, updates send only changed columns, two runs do
not take the same rows, the token never leaks.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text, update

from sync_order_list.sample.generator import generate_rows
from sync_order_list.sync import SyncOptions
from tests.sync.harness import Pipeline

N = 30


def test_full_sync_makes_the_board_match(pipeline: Pipeline) -> None:
    pipeline.generate(N)
    pipeline.merge()
    report = pipeline.sync()
    assert report.outcome == "success" and report.exit_code == 0
    total = report.tally.total()
    assert total.created == N and total.errors == 0
    assert total.subitems_created == len(pipeline.lines())
    pipeline.assert_board_matches_database()
    assert all(line.sync_state == "SYNCED" for line in pipeline.lines().values())


def test_rerun_with_nothing_changed_sends_no_writes(pipeline: Pipeline) -> None:
    pipeline.generate(N)
    pipeline.merge()
    pipeline.sync()
    before = pipeline.mutations()
    pipeline.merge()
    report = pipeline.sync()
    assert pipeline.mutations() == before
    assert report.outcome == "nothing" and report.claimed_orders == 0


def test_updates_send_only_changed_columns_and_keep_board_edits(pipeline: Pipeline) -> None:
    pipeline.generate(N, seed=1)
    pipeline.merge()
    pipeline.sync()
    # a person edits a column on the board that the database does not change
    order = next(iter(pipeline.orders().values()))
    pipeline.api(
        "mutation ($b: ID!, $i: ID!, $v: JSON!) { change_multiple_column_values("
        "board_id: $b, item_id: $i, column_values: $v) { id } }",
        {
            "b": pipeline.cfg.env.items_board_id,
            "i": order["monday_item_id"],
            "v": json.dumps({"text_mkr5ej2x": "EDITED ON THE BOARD"}),
        },
    )
    # every order changes one column (NOTES): the person's edit must survive
    orders_table, _ = pipeline.tables()
    with pipeline.engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    rows = generate_rows(N, 1)
    for row in rows:
        row["NOTES"] = f"changed {row['AAG ORDER NUMBER']}"
    pipeline.stage(rows)
    assert pipeline.merge().updated == N
    report = pipeline.sync()
    assert report.tally.total().updated == N
    item = pipeline.board_items_by_key()[order["AAG ORDER NUMBER"]][0]
    assert item["column_values"]["text_mkr5ej2x"]["text"] == "EDITED ON THE BOARD"
    assert (
        item["column_values"]["long_text_mkr5hass"]["text"]
        == f"changed {order['AAG ORDER NUMBER']}"
    )
    # the request carried only the changed column
    with pipeline.engine.connect() as conn:
        payloads = [
            r[0]
            for r in conn.execute(
                text(
                    f"SELECT request_payload FROM {_q(pipeline, 'SYNC_API_LOG')} "
                    "WHERE run_id = :r AND operation LIKE :op"
                ),
                {"r": report.run_id, "op": "change_multiple_column_values%"},
            )
        ]
    assert payloads
    for payload in payloads:
        for name, value in json.loads(payload)["variables"].items():
            if name.endswith("column_values"):
                assert set(json.loads(value)) == {"long_text_mkr5hass"}
    pipeline.assert_board_matches_database(except_columns=frozenset({"text_mkr5ej2x"}))


def test_responses_lost_after_apply_create_no_duplicates(pipeline: Pipeline) -> None:
    pipeline.generate(N)
    pipeline.merge()
    # some requests are applied by the server, then the connection drops: 1 reads the
    # schema, 2 the groups, 3-6 create groups, then items (5 a request), then subitems
    pipeline.faults(script=[{"at": n, "kind": "drop_after_apply"} for n in (4, 9, 11, 17)])
    pipeline.configure(batch={"items_per_request": 5, "subitems_per_request": 10})
    report = pipeline.sync()
    assert report.outcome == "success", report.tally.errors
    # resent under their Idempotency-Key, monday answered with the kept responses
    assert report.tally.replayed >= 2 and report.tally.adopted == 0
    titles = [g["title"] for g in pipeline.board()["groups"]]
    assert len(titles) == len(set(titles))
    assert pipeline.admin("/stats")["faults_injected"].get("drop_after_apply") == 4
    pipeline.assert_board_matches_database()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_dead_run_left_in_flight_is_reconciled_not_recreated(pipeline: Pipeline) -> None:
    """A run dies right after monday applied its creates: the next run replays the
    journaled document under its key and takes the ids from monday's kept response."""
    import asyncio

    from sync_order_list.monday.transport import AiohttpTransport

    pipeline.generate(N)
    pipeline.merge()

    class DiesAfterFirstCreate(AiohttpTransport):
        """The seam of the client: the real transport, and the process dies right
        after monday answered the first document of item creates."""

        async def send(self, request):  # type: ignore[no-untyped-def]
            response = await super().send(request)
            if b"create_item(" in request.body:
                raise KeyboardInterrupt  # killed: nothing after this line runs
            return response

    transport = DiesAfterFirstCreate()
    try:
        pipeline.sync(transport=transport)
    except KeyboardInterrupt:
        pass
    finally:
        asyncio.run(transport.aclose())
    orders_table, lines_table = pipeline.tables()
    with pipeline.engine.begin() as conn:  # a killed run never released its claims
        for t in (orders_table, lines_table):
            conn.execute(update(t).values(claim_expires_at=None))
        in_flight = conn.execute(
            select(orders_table.c.record_uuid).where(
                orders_table.c.sync_attempted_at.is_not(None),
                orders_table.c.monday_item_id.is_(None),
            )
        ).all()
    assert in_flight, "the dead run should have left rows in flight"
    items_before = len(pipeline.board()["items"])
    assert items_before > 0
    report = pipeline.sync()
    assert report.outcome == "success", report.tally.errors
    assert report.in_flight_reconciled >= len(in_flight)
    assert report.tally.replayed >= 1 and report.tally.adopted == 0
    assert len(pipeline.board()["items"]) == len(pipeline.orders())
    pipeline.assert_board_matches_database()


def test_a_failing_alias_fails_only_its_row_then_retries(pipeline: Pipeline) -> None:
    pipeline.generate(N)
    pipeline.merge()
    pipeline.settings(items_per_board=N - 4)  # the last 4 creates hit the board's limit
    report = pipeline.sync()
    assert report.outcome == "partial" and report.exit_code == 1
    errors = [e for e in report.tally.errors if e.table == "order"]
    assert len(errors) == 4
    assert all("ItemsLimitationException" in e.message for e in errors)
    states = [o["sync_state"] for o in pipeline.orders().values()]
    assert states.count("ERROR") == 4 and states.count("SYNCED") == N - 4
    # their lines were never sent: they wait, nothing lost
    waiting = [ln for ln in pipeline.lines().values() if ln.sync_state == "PENDING"]
    assert waiting and all(ln.sync_attempted_at is None for ln in waiting)
    pipeline.settings(items_per_board=10_000)
    report = pipeline.sync()  # ERROR rows are retried automatically
    assert report.outcome == "success"
    pipeline.assert_board_matches_database()


def test_invalid_value_is_an_error_naming_order_and_columns(pipeline: Pipeline) -> None:
    rows = generate_rows(6, 1)
    rows[2]["DESIGN FEE"] = "TBC"
    pipeline.stage(rows)
    pipeline.merge()
    report = pipeline.sync()
    (error,) = report.tally.errors
    key = rows[2]["AAG ORDER NUMBER"]
    assert (
        key in error.message
        and "DESIGN FEE" in error.message
        and "numeric_mkr5h612" in error.message
    )
    order = pipeline.orders()[key]
    assert order["sync_state"] == "ERROR" and "DESIGN FEE" in order["sync_error"]
    assert len(pipeline.board()["items"]) == 5


def test_two_runs_at_once_take_disjoint_rows(pipeline: Pipeline) -> None:
    import asyncio

    from sync_order_list.db import make_engine
    from sync_order_list.sync import run_sync

    pipeline.generate(N)
    pipeline.merge()
    other_engine = make_engine(pipeline.cfg.database_url)
    pipeline.configure(batch={"items_per_request": 3, "subitems_per_request": 5})

    async def both():  # type: ignore[no-untyped-def]
        return await asyncio.gather(
            run_sync(pipeline.engine, pipeline.cfg, SyncOptions(), lookup_delay=0),
            run_sync(other_engine, pipeline.cfg, SyncOptions(), lookup_delay=0),
        )

    try:
        first, second = asyncio.run(both())
    finally:
        other_engine.dispose()
    assert first.claimed_orders + second.claimed_orders == N
    assert first.tally.total().created + second.tally.total().created == N
    pipeline.assert_board_matches_database()


def test_deleted_orders_are_archived_with_their_subitems(pipeline: Pipeline) -> None:
    rows = generate_rows(N, 1)
    pipeline.stage(rows)
    pipeline.merge()
    pipeline.sync()
    gone = rows[4]["AAG ORDER NUMBER"]
    item_id = pipeline.orders()[gone]["monday_item_id"]
    pipeline.stage(rows[:4] + rows[5:])
    assert pipeline.merge().deleted == 1
    report = pipeline.sync()
    assert report.tally.total().archived == 1
    everything = pipeline.board(active_only=False)
    archived = next(i for i in everything["items"] if i["id"] == item_id)
    assert archived["state"] == "archived"
    order = pipeline.orders()[gone]
    assert (order["action_type"], order["sync_state"], order["monday_item_id"]) == (
        "DELETE",
        "SYNCED",
        None,
    )
    assert all(
        ln.sync_state == "SYNCED" and ln.monday_subitem_id is None
        for (k, _), ln in pipeline.lines().items()
        if k == gone
    )
    pipeline.assert_board_matches_database()


def test_each_group_is_created_once(pipeline: Pipeline) -> None:
    rows = generate_rows(69, 1)
    for row in rows:
        row["CUSTOMER NAME"], row["CUSTOMER SEASON"] = "GREYSON", "2025 SPRING"
    pipeline.stage(rows)
    pipeline.merge()
    pipeline.sync()
    stats = pipeline.admin("/stats")
    assert stats["mutations_applied"].get("create_group") == 1
    titles = [g["title"] for g in pipeline.board()["groups"]]
    assert titles.count("GREYSON 2025 SPRING") == 1
    rows.append(
        {**generate_rows(70, 1)[69], "CUSTOMER NAME": "GREYSON", "CUSTOMER SEASON": "2025 SPRING"}
    )
    pipeline.stage(rows)
    pipeline.merge()
    pipeline.sync()
    assert pipeline.admin("/stats")["mutations_applied"].get("create_group") == 1


def test_item_deleted_on_the_board_is_created_again(pipeline: Pipeline) -> None:
    rows = generate_rows(5, 1)
    pipeline.stage(rows)
    pipeline.merge()
    pipeline.sync()
    key = rows[0]["AAG ORDER NUMBER"]
    pipeline.api(
        "mutation ($i: ID!) { delete_item(item_id: $i) { id } }",
        {"i": pipeline.orders()[key]["monday_item_id"]},
    )
    rows[0]["NOTES"] = "changed after the item was deleted"
    pipeline.stage(rows)
    pipeline.merge()
    report = pipeline.sync()
    assert report.exit_code == 1 and "gone from the board" in report.tally.errors[0].message
    report = pipeline.sync()
    assert report.outcome == "success"
    pipeline.assert_board_matches_database()


def test_dry_run_writes_nothing(pipeline: Pipeline) -> None:
    pipeline.generate(N)
    pipeline.merge()
    before = pipeline.orders()
    report = pipeline.sync(SyncOptions(dry_run=True))
    assert report.plan_counts["create_item"] == N
    assert pipeline.mutations() == 0
    assert pipeline.orders() == before


def test_limit_and_customer_filters(pipeline: Pipeline) -> None:
    pipeline.generate(N)
    pipeline.merge()
    report = pipeline.sync(SyncOptions(limit=5))
    assert report.claimed_orders == 5 and report.tally.total().created == 5
    report = pipeline.sync(SyncOptions(customer="RHONE"))
    assert report.claimed_orders and {e for e in report.tally.customers} == {"RHONE"}
    pipeline.sync()
    pipeline.assert_board_matches_database()


def test_single_mode_sends_one_operation_per_request(pipeline: Pipeline) -> None:
    pipeline.generate(4)
    pipeline.merge()
    report = pipeline.sync(SyncOptions(mode="single"))
    writes = sum(report.plan_counts.values())
    assert pipeline.mutations() == writes
    assert report.api["requests"] >= writes
    pipeline.assert_board_matches_database()


def _q(pipeline: Pipeline, name: str) -> str:
    schema = pipeline.cfg.env.db_schema
    return f'"{schema}"."{name}"' if schema else f'"{name}"'


def test_a_long_run_keeps_its_claim(pipeline: Pipeline) -> None:
    """A run longer than the claim's lifetime extends it: no other run can take its rows."""
    from datetime import datetime

    pipeline.generate(12)
    pipeline.merge()
    pipeline.configure(
        sync={"claim_ttl_seconds": 1},
        batch={"items_per_request": 2, "subitems_per_request": 4, "concurrency": 1},
    )
    pipeline.faults(latency_ms=250)  # each request outlives a third of the claim
    seen: list[datetime] = []
    orders_table, _ = pipeline.tables()

    def watch(phase: str, rows: int) -> None:
        with pipeline.engine.connect() as conn:
            expiry = conn.execute(
                select(orders_table.c.claim_expires_at).where(
                    orders_table.c.claim_expires_at.is_not(None)
                )
            ).scalar()
        if expiry is not None:
            seen.append(expiry)

    report = pipeline.sync(progress=watch)
    assert report.outcome == "success"
    assert len(set(seen)) >= 2, "the claim was extended while the run went on"
    pipeline.faults()
    pipeline.assert_board_matches_database()
