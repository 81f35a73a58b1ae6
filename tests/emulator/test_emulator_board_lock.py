"""The board write lock: one mutation document at a time per board (monday's
"Development best practices"; HTTP 423 in its error table). Which boards a document
touches comes from its arguments: ``board_id``, an ``item_id``'s board, a
``parent_item_id``'s subitems board, a group mutation's board. Overlaps are counted in
every mode; ``board_lock`` = "423" refuses, "off" lets both run, "corrupt" lets both
run and counts a corruption. Queries never take the lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from emu_helpers import (
    SMALL_BOARD_ID,
    SMALL_SUBITEMS_BOARD_ID,
    Api,
    create_items_document,
    serve,
    until,
)

from monday_emulator import ManualClock

HELD = {"mutation_ms_mean": 10_000, "query_ms_mean": 0, "server_time_distribution": "fixed"}


@asynccontextmanager
async def holding(api: Api, clock: ManualClock, document: str) -> AsyncIterator[asyncio.Task]:
    """``document`` running (its first alias's 10 s not yet passed) for the block."""
    task = asyncio.create_task(api.gql(document))
    await until(lambda: len(api.state.running) == 1)
    try:
        yield task
    finally:
        clock.advance(3_600)
        await asyncio.wait_for(task, 5)


async def _item(api: Api, name: str) -> str:
    data = await api.ok(
        f'mutation {{ create_item(board_id: {SMALL_BOARD_ID}, item_name: "{name}") {{ id }} }}'
    )
    return data["create_item"]["id"]


async def test_a_second_writer_on_the_board_gets_423() -> None:
    clock = ManualClock(autojump=False)
    async with serve(clock, **HELD) as api:
        async with holding(api, clock, create_items_document(["first"])) as first:
            charged = (await api.stats())["complexity_charged"]
            reply = await api.gql(create_items_document(["second"]))
            assert reply.status == 423
            (error,) = reply.body["errors"]
            assert error["extensions"]["code"] == "RESOURCE_LOCKED"
            assert error["extensions"]["status_code"] == 423
            assert error["extensions"]["error_data"]["board_ids"] == [int(SMALL_BOARD_ID)]
            assert reply.headers["Retry-After"] == "10"  # the holder's time left
            assert error["extensions"]["error_data"]["retry_in_seconds"] == 10
            stats = await api.stats()
            assert stats["complexity_charged"] == charged  # refused: not charged
            assert stats["board_lock"]["overlaps"] == 1
            assert stats["board_lock"]["rejected"] == 1
            assert stats["board_lock"]["held"] == [SMALL_BOARD_ID]
        assert (await first).status == 200
        assert await api.items() == ["first"]
        stats = await api.stats()
        assert stats["mutations_executed_total"] == 1
        assert stats["board_lock"]["held"] == []
        # the lock is free again
        clock.autojump = True
        assert (await api.gql(create_items_document(["third"]))).status == 200


async def test_queries_and_other_boards_are_not_locked() -> None:
    clock = ManualClock()
    async with serve(clock, **HELD) as api:
        other = await api.ok(
            'mutation { create_board(board_name: "Other", board_kind: public) { id } }'
        )
        other_id = other["create_board"]["id"]
        clock.autojump = False
        async with holding(api, clock, create_items_document(["held"])):
            read = await api.gql(
                f"{{ boards(ids: [{SMALL_BOARD_ID}]) {{ items_page {{ items {{ id }} }} }} }}"
            )
            assert read.status == 200
            elsewhere = asyncio.create_task(api.gql(create_items_document(["x"], other_id)))
            await until(lambda: len(api.state.running) == 2)
            clock.advance(10)
            assert (await asyncio.wait_for(elsewhere, 5)).status == 200
        stats = await api.stats()
        assert stats["board_lock"]["overlaps"] == 0


async def test_the_boards_a_document_touches() -> None:
    """``item_id`` locks the item's board; ``parent_item_id`` the subitems board,
    which is a board of its own."""
    clock = ManualClock()
    async with serve(clock, **HELD) as api:
        parent = await _item(api, "parent")
        await api.ok(
            f'mutation {{ create_subitem(parent_item_id: {parent}, item_name: "s1") {{ id }} }}'
        )
        clock.autojump = False
        subitem_doc = (
            f'mutation {{ create_subitem(parent_item_id: {parent}, item_name: "s2") {{ id }} }}'
        )
        async with holding(api, clock, subitem_doc):
            assert api.state.running.boards_held() == [SMALL_SUBITEMS_BOARD_ID]
            # the items board is free: an item mutation by item_id runs
            move = asyncio.create_task(
                api.gql(f"mutation {{ archive_item(item_id: {parent}) {{ id }} }}")
            )
            await until(lambda: len(api.state.running) == 2)
            assert sorted(api.state.running.boards_held()) == sorted(
                [SMALL_BOARD_ID, SMALL_SUBITEMS_BOARD_ID]
            )
            # another subitem of the same parent waits for the subitems board
            locked = await api.gql(subitem_doc.replace('"s2"', '"s3"'))
            assert locked.status == 423
            assert locked.body["errors"][0]["extensions"]["error_data"]["board_ids"] == [
                int(SMALL_SUBITEMS_BOARD_ID)
            ]
            clock.advance(10)
            assert (await asyncio.wait_for(move, 5)).status == 200


async def test_a_group_mutation_locks_its_board() -> None:
    clock = ManualClock(autojump=False)
    async with serve(clock, **HELD) as api:
        doc = f'mutation {{ create_group(board_id: {SMALL_BOARD_ID}, group_name: "G") {{ id }} }}'
        async with holding(api, clock, doc):
            reply = await api.gql(create_items_document(["x"]))
            assert reply.status == 423


@pytest.mark.parametrize(("mode", "corruptions"), [("off", 0), ("corrupt", 1)])
async def test_off_and_corrupt_let_both_run(mode: str, corruptions: int) -> None:
    clock = ManualClock(autojump=False)
    async with serve(clock, board_lock=mode, **HELD) as api:
        async with holding(api, clock, create_items_document(["first"])):
            second = asyncio.create_task(api.gql(create_items_document(["second"])))
            await until(lambda: len(api.state.running) == 2)
            clock.advance(10)
            assert (await asyncio.wait_for(second, 5)).status == 200
        assert sorted(await api.items()) == ["first", "second"]
        stats = await api.stats()
        assert stats["board_lock"] == {
            "overlaps": 1,
            "rejected": 0,
            "corruptions": corruptions,
            "held": [],
        }


async def test_without_server_time_documents_never_overlap() -> None:
    async with serve(ManualClock(), mutation_ms_mean=0, query_ms_mean=0) as api:
        replies = await asyncio.gather(
            *(api.gql(create_items_document([f"n{i}"])) for i in range(10))
        )
        assert {r.status for r in replies} == {200}
        assert (await api.stats())["board_lock"]["overlaps"] == 0
