"""The client, scheduler, documents and encoders against the local monday emulator
(a real HTTP server on 127.0.0.1). The budget tests share one clock between the
emulator and the client, so waiting for a 60 s window costs no real time."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import date
from decimal import Decimal

import pytest

from monday_emulator import (
    DEMO_BOARD_ID,
    DEMO_SUBITEMS_BOARD_ID,
    EmulatorServer,
    EmulatorSettings,
    ScriptedFault,
)
from monday_emulator.clock import Clock as EmulatorClock
from monday_emulator.clock import SharedClock
from monday_emulator.settings import FaultConfig
from sync_order_list.config.models import BatchSettings, RateSettings
from sync_order_list.errors import MondayTransportError
from sync_order_list.monday import documents
from sync_order_list.monday.client import MondayClient, RequestRecord
from sync_order_list.monday.encoders import column_values_json, encode_column_values
from sync_order_list.monday.schema import fetch_board_schema

TOKEN = "emulator-token-7c1d"
KEY_COLUMN = "text_mkr5wya6"


def shared_client(emu: EmulatorServer, emu_clock: EmulatorClock, **kw) -> MondayClient:
    clock = SharedClock(emu_clock)
    client = MondayClient(emu.url, TOKEN, "2025-04", clock=clock, **kw)
    clock.in_flight = lambda: client.scheduler.in_flight
    return client


def settings(**kw) -> EmulatorSettings:
    # no server time: these tests are about the client, not monday's timing
    return EmulatorSettings(token=TOKEN, mutation_ms_mean=0, query_ms_mean=0, **kw)


def create_ops(keys: list[str], group_id: str | None = None) -> list[documents.Op]:
    return [
        documents.Op(
            "create_item",
            {
                "board_id": DEMO_BOARD_ID,
                "item_name": f"Order {key}",
                "column_values": column_values_json({KEY_COLUMN: key}),
                **({"group_id": group_id} if group_id else {}),
            },
        )
        for key in keys
    ]


async def test_budget_is_spent_without_a_single_429() -> None:
    """200k points a 60 s window, ~10k a create, 150 creates in batches the scheduler
    sizes under a 100k per-query cap: 8 windows' worth, all spent, no 429."""
    budget, window, cap = 200_000, 60.0, 100_000
    emu_clock = EmulatorClock()
    emu = EmulatorServer(
        settings(complexity_budget=budget, window_seconds=window, max_complexity_per_query=cap),
        clock=emu_clock,
    )
    rate = RateSettings(
        complexity_budget=budget, window_seconds=window, max_query_complexity=cap, budget_share=1.0
    )
    batch = BatchSettings(concurrency=4, items_per_request=10, timeout_seconds=10)
    keys = [f"B-{i:04d}" for i in range(150)]
    queue = list(keys)
    sizes: list[int] = []
    async with emu:
        async with shared_client(emu, emu_clock, batch=batch, rate=rate) as client:
            scheduler = client.scheduler

            async def worker() -> None:
                while queue:
                    # size the document when it may go: fills each window to the brim
                    slot = await client.reserve("create_item", batch.items_per_request)
                    chunk, queue[: slot.ops] = queue[: slot.ops], []
                    if not chunk:
                        slot.cancel()
                        return
                    sizes.append(len(chunk))
                    doc = documents.compose(create_ops(chunk))
                    response = await client.execute(doc, idempotent=False, slot=slot)
                    assert not response.errors
                    assert all(response.ok(alias) for alias in doc.aliases)

            start = emu_clock.monotonic()
            await asyncio.gather(*(worker() for _ in range(batch.concurrency)))
            elapsed = emu_clock.monotonic() - start
        stats = emu.state.stats
        assert dict(stats.rate_limited) == {}  # not one 429, for budget or anything else
        assert client.stats.rate_limited == 0
        assert stats.mutations_applied["create_item"] == 150
    # estimates converged: the first batches were sized by the 30,001 prior (3 per
    # document under the 100k cap), the rest by the learned real cost (10,000 for the
    # mutation + 2 for its id/name selection: 9 per document)
    real = stats.complexity_charged // 150
    assert real == 10_002
    assert scheduler.costs.per_op("create_item") == real
    assert sizes[0] == 3 and max(sizes) == (cap - 1) // real == 9
    charged = client.stats.complexity_charged
    assert charged == stats.complexity_charged
    # spent close to the budget: every window filled with as many creates as fit
    # (19 x 10,002 of 200,000 points; the end of a window gets a smaller document),
    # each reset waited out to within a second or so of the real one
    windows_used = math.floor(elapsed / window) + 1
    assert windows_used == math.ceil(150 / ((budget - 1) // real))
    assert elapsed <= (windows_used - 1) * (window + 1.5) + 5
    assert client.stats.budget_wait_seconds > 0


@pytest.mark.slow
async def test_small_real_window_without_shared_clock() -> None:
    """Independent clocks, real time: a 1 s window of 40k points, 12 creates of 10k."""
    budget = 40_000
    emu = EmulatorServer(settings(complexity_budget=budget, window_seconds=1.0))
    rate = RateSettings(complexity_budget=budget, window_seconds=1.0)
    async with (
        emu,
        MondayClient(
            emu.url, TOKEN, "2025-04", batch=BatchSettings(concurrency=3), rate=rate
        ) as client,
    ):
        # tell the scheduler what a create costs (as if learned on an earlier request)
        client.scheduler.costs.observe({"create_item": 1}, 10_002)
        ops = create_ops([f"R-{i}" for i in range(12)])
        results = await asyncio.wait_for(
            asyncio.gather(
                *(client.execute(documents.compose([op]), idempotent=False) for op in ops)
            ),
            timeout=15,
        )
        assert all(r.ok("op0") for r in results)
        assert dict(emu.state.stats.rate_limited) == {}
        assert emu.state.stats.mutations_applied["create_item"] == 12


async def test_schema_encoders_and_lookups_round_trip() -> None:
    records: list[RequestRecord] = []
    async with (
        EmulatorServer(settings()) as emu,
        MondayClient(
            emu.url,
            TOKEN,
            "2025-04",
            batch=BatchSettings(),
            rate=RateSettings(),
            on_request=records.append,
        ) as client,
    ):
        schema = await fetch_board_schema(client, DEMO_BOARD_ID)
        assert schema.subitems is not None
        assert schema.subitems_board_id == DEMO_SUBITEMS_BOARD_ID
        mapping = {
            "AAG ORDER NUMBER": KEY_COLUMN,
            "CUSTOMER NAME": "dropdown_mkr542p2",
            "UNIT OF MEASURE": "color_mkr5yf27",
            "ORDER DATE PO RECEIVED": "date_mkr5zp5",
            "TOTAL QTY": "numeric_mktb1d19",
            "AAG SEASON": "dropdown_mkr58de6",
            "NOTES": "long_text_mkr5hass",
        }
        row = {
            "AAG ORDER NUMBER": "ORD-1",
            "CUSTOMER NAME": "GREYSON",
            "UNIT OF MEASURE": "PACK",
            "ORDER DATE PO RECEIVED": date(2024, 5, 17),
            "TOTAL QTY": Decimal("120.00"),
            "AAG SEASON": "2025 SPRING",
            "NOTES": "first\nsecond",
        }
        values = encode_column_values(
            row, mapping, schema.items, creates_labels=lambda c: c == "dropdown_mkr58de6"
        )
        group = await client.execute(
            documents.compose(
                [("create_group", {"board_id": DEMO_BOARD_ID, "group_name": "GREYSON FW24"})]
            ),
            idempotent=False,
        )
        group_id = group.result("op0")["id"]
        created = await client.execute(
            documents.compose(
                [
                    (
                        "create_item",
                        {
                            "board_id": DEMO_BOARD_ID,
                            "group_id": group_id,
                            "item_name": "STYLE NAVY ORD-1",
                            "column_values": column_values_json(values),
                            "create_labels_if_missing": True,
                        },
                    )
                ]
            ),
            idempotent=False,
        )
        assert not created.errors, created.errors
        item_id = created.result("op0")["id"]
        sub = await client.execute(
            documents.compose(
                [
                    (
                        "create_subitem",
                        {
                            "parent_item_id": item_id,
                            "item_name": "Size M",
                            "column_values": column_values_json(
                                {
                                    "dropdown_mkrak7qp": {"labels": ["M"]},
                                    "numeric_mkra7j8e": "12",
                                }
                            ),
                            "create_labels_if_missing": True,
                        },
                    )
                ]
            ),
            idempotent=False,
        )
        assert sub.ok("op0"), sub.errors
        found = await client.execute(
            documents.single(
                "items_by_column_values",
                {
                    "board_id": DEMO_BOARD_ID,
                    "column_id": KEY_COLUMN,
                    "values": ["ord-1"],
                    "limit": 50,
                    "column_ids": [KEY_COLUMN],
                },
            ),
            idempotent=True,
        )
        (item,) = found.data["items_page_by_column_values"]["items"]
        assert item["id"] == item_id and item["group"]["id"] == group_id
        assert item["state"] == "active"
        assert item["column_values"] == [{"id": KEY_COLUMN, "text": "ORD-1"}]
        subs = await client.execute(
            documents.single(
                "subitems_of_items",
                {
                    "item_ids": [item_id],
                    "limit": 1,
                    "column_ids": ["dropdown_mkrak7qp", "numeric_mkra7j8e"],
                },
            ),
            idempotent=True,
        )
        (parent,) = subs.data["items"]
        texts = {cv["id"]: cv["text"] for cv in parent["subitems"][0]["column_values"]}
        assert texts == {"dropdown_mkrak7qp": "M", "numeric_mkra7j8e": "12"}
        # an update of only what changed, then archive
        change = await client.execute(
            documents.compose(
                [
                    (
                        "change_multiple_column_values",
                        {
                            "board_id": DEMO_BOARD_ID,
                            "item_id": item_id,
                            "column_values": column_values_json(
                                encode_column_values({"TOTAL QTY": 130}, mapping, schema.items)
                            ),
                        },
                    ),
                    ("move_item_to_group", {"item_id": item_id, "group_id": "topics"}),
                ]
            ),
            idempotent=True,
        )
        assert change.ok("op0") and change.ok("op1"), change.errors
        archived = await client.execute(
            documents.compose([("archive_item", {"item_id": item_id})]), idempotent=True
        )
        assert archived.ok("op0")
        fresh = await fetch_board_schema(client, DEMO_BOARD_ID, DEMO_SUBITEMS_BOARD_ID)
        assert "2025 SPRING" in fresh.items.column("dropdown_mkr58de6").labels.values()
        assert "GREYSON FW24" in fresh.items.groups_by_title
    assert all(r.outcome == "ok" for r in records)
    assert all(TOKEN not in json.dumps(r.request, default=str) for r in records)


async def test_dropped_create_is_not_resent_and_is_found_by_key() -> None:
    async with (
        EmulatorServer(settings()) as emu,
        MondayClient(
            emu.url, TOKEN, "2025-04", batch=BatchSettings(timeout_seconds=5), rate=RateSettings()
        ) as client,
    ):
        emu.state.faults.configure(
            type(emu.settings.faults)(script=[ScriptedFault(at=1, kind="drop_after_apply")])
        )
        with pytest.raises(MondayTransportError) as info:
            await client.execute(documents.compose(create_ops(["K-1", "K-2"])), idempotent=False)
        assert info.value.sent is True
        assert emu.state.stats.mutations_applied["create_item"] == 2  # applied once, not resent
        found = await client.execute(
            documents.single(
                "items_by_column_values",
                {
                    "board_id": DEMO_BOARD_ID,
                    "column_id": KEY_COLUMN,
                    "values": ["K-1", "K-2", "K-3"],
                    "limit": 50,
                    "column_ids": [KEY_COLUMN],
                },
            ),
            idempotent=True,
        )
        keys = sorted(
            i["column_values"][0]["text"]
            for i in found.data["items_page_by_column_values"]["items"]
        )
        assert keys == ["K-1", "K-2"]


async def test_emulator_429_and_5xx_faults() -> None:
    emu_clock = EmulatorClock()
    async with EmulatorServer(settings(), clock=emu_clock) as emu:
        batch = BatchSettings(timeout_seconds=5, backoff_base_seconds=0.01)
        async with shared_client(emu, emu_clock, batch=batch, rate=RateSettings()) as client:
            emu.state.faults.configure(
                type(emu.settings.faults)(
                    script=[
                        ScriptedFault(
                            at=1,
                            kind="rate_limit",
                            code="COMPLEXITY_BUDGET_EXHAUSTED",
                            retry_in_seconds=4,
                        ),
                        ScriptedFault(at=3, kind="status", status=503),
                    ]
                )
            )
            response = await client.execute(
                documents.compose(create_ops(["Q-1"])), idempotent=False
            )
            assert response.attempts == 2 and client.stats.rate_limited == 1
            assert client.stats.rate_limit_wait_seconds >= 4
            read = await client.execute(
                documents.single("board_groups", {"board_ids": [DEMO_BOARD_ID]}), idempotent=True
            )
            assert read.attempts == 2  # the 503 was retried (a read is idempotent)
            assert emu.state.stats.mutations_applied["create_item"] == 1


async def test_wrong_token_is_an_auth_error() -> None:
    from sync_order_list.errors import MondayAuthError

    async with (
        EmulatorServer(settings()) as emu,
        MondayClient(
            emu.url, "wrong-token", "2025-04", batch=BatchSettings(), rate=RateSettings()
        ) as client,
    ):
        with pytest.raises(MondayAuthError) as info:
            await client.execute(documents.single("complexity"), idempotent=True)
    assert "wrong-token" not in str(info.value)


async def test_failed_requests_are_not_counted_as_charged() -> None:
    """A fifth of the requests answer 5xx (the emulator charges none of them): the
    client counts what monday charged, knows what is left, and never waits for a
    window it does not need. Before: failures were assumed charged and the lowest
    figure of a window kept, so the count only grew (15.2M counted for 5.25M
    charged) and a run waited a whole window for nothing."""
    budget, window = 1_000_000, 60.0
    emu_clock = EmulatorClock()
    emu = EmulatorServer(settings(complexity_budget=budget, window_seconds=window), clock=emu_clock)
    rate = RateSettings(complexity_budget=budget, window_seconds=window)  # share 0.8
    batch = BatchSettings(
        concurrency=4,
        timeout_seconds=10,
        max_retries=20,
        backoff_base_seconds=0.01,
        backoff_max_seconds=0.05,
    )
    async with emu:
        async with shared_client(emu, emu_clock, batch=batch, rate=rate) as setup:
            item_ids: list[str] = []
            for n in range(4):
                doc = documents.compose(create_ops([f"U-{n}-{i}" for i in range(10)]))
                response = await setup.execute(doc, idempotent=False)
                item_ids += [response.result(alias)["id"] for alias in doc.aliases]
        emu_clock.advance(window + 1)  # the measured part starts with a fresh window
        emu.state.faults.configure(
            FaultConfig(error_rate=0.2, error_statuses=[500, 502, 503], seed=11)
        )
        charged_before = emu.state.stats.complexity_charged
        updates = [
            documents.Op(
                "change_multiple_column_values",
                {
                    "board_id": DEMO_BOARD_ID,
                    "item_id": item_ids[i % len(item_ids)],
                    "column_values": column_values_json({KEY_COLUMN: f"U-{i}"}),
                },
            )
            for i in range(70)
        ]
        docs = [documents.compose(updates[i : i + 5]) for i in range(0, len(updates), 5)]
        async with shared_client(emu, emu_clock, batch=batch, rate=rate) as client:

            async def worker() -> None:
                while docs:
                    doc = docs.pop(0)
                    response = await client.execute(doc, idempotent=True)
                    assert all(response.ok(alias) for alias in doc.aliases)

            start = emu_clock.monotonic()
            await asyncio.gather(*(worker() for _ in range(batch.concurrency)))
            elapsed = emu_clock.monotonic() - start
            charged = emu.state.stats.complexity_charged - charged_before
            failed = emu.state.stats.faults["status"]
            # one more request, alone: its report is the freshest there is
            emu.state.faults.configure(FaultConfig())
            probe = await client.execute(
                documents.single("board_groups", {"board_ids": [DEMO_BOARD_ID]}),
                idempotent=True,
            )
            known = client.scheduler.snapshot().remaining
        stats = client.stats
    assert failed >= 3 and stats.transport_errors == failed  # the faults did happen
    assert emu.state.stats.mutations_applied["change_multiple_column_values"] == 70
    assert 690_000 < charged < budget * rate.budget_share  # it all fits one window
    assert stats.complexity_charged - probe.complexity.query == charged  # counted = charged
    assert known == emu.state.limiter.budget()[0]  # and what is left is known exactly
    assert stats.budget_wait_seconds < 1  # a few ms waiting for answers, never a window
    assert elapsed < 5
    assert dict(emu.state.stats.rate_limited) == {}


async def test_budget_share_leaves_the_floor_untouched() -> None:
    """rate.budget_share = 0.8 of a 200k budget: the emulator never reports less than
    40k left, across windows, and the tool still gets through its work."""
    budget, window = 200_000, 60.0
    emu_clock = EmulatorClock()
    emu = EmulatorServer(settings(complexity_budget=budget, window_seconds=window), clock=emu_clock)
    rate = RateSettings(complexity_budget=budget, window_seconds=window, budget_share=0.8)
    batch = BatchSettings(concurrency=3, items_per_request=5, timeout_seconds=10)
    left: list[int] = []
    keys = [f"S-{i}" for i in range(40)]
    async with emu:
        async with shared_client(
            emu,
            emu_clock,
            batch=batch,
            rate=rate,
            on_request=lambda r: left.append(r.complexity.after) if r.complexity else None,
        ) as client:

            async def worker() -> None:
                while keys:
                    slot = await client.reserve("create_item", batch.items_per_request)
                    chunk, keys[: slot.ops] = keys[: slot.ops], []
                    if not chunk:
                        slot.cancel()
                        return
                    doc = documents.compose(create_ops(chunk))
                    await client.execute(doc, idempotent=False, slot=slot)

            await asyncio.gather(*(worker() for _ in range(batch.concurrency)))
        assert emu.state.stats.mutations_applied["create_item"] == 40
        assert dict(emu.state.stats.rate_limited) == {}
    assert min(left) >= budget * 0.2
    assert min(left) < budget * 0.2 + 10_002 * 5  # and it went close to the floor
    assert client.stats.budget_wait_seconds >= window - 2  # 400k of work: 3 windows
