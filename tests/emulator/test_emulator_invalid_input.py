"""Deterministic 500s (``invalid_input_errors = "http500"``): a mutation naming an
item, board or group that does not exist, or carrying malformed column-value JSON,
makes the document answer HTTP 500 ``INTERNAL_SERVER_ERROR``; the aliases before it
stay applied, the later ones don't run. The default ("alias") answers such a mutation
with its own error in a 200, as the rest of the emulator's tests show."""

from __future__ import annotations

import json

import pytest
from emu_helpers import SMALL_BOARD_ID, serve

from monday_emulator import ManualClock

BAD = {
    "unknown item": "archive_item(item_id: 1) { id }",
    "unknown board": 'create_item(board_id: 1, item_name: "x") { id }',
    "unknown group": (
        f'create_item(board_id: {SMALL_BOARD_ID}, item_name: "x", group_id: "nope") {{ id }}'
    ),
    "item not on the board": (
        f"change_multiple_column_values(board_id: {SMALL_BOARD_ID}, item_id: 1, "
        'column_values: "{}") { id }'
    ),
    "malformed JSON": (
        f'create_item(board_id: {SMALL_BOARD_ID}, item_name: "x", '
        'column_values: "{\\"text\\": ") { id }'
    ),
}


def _document(bad: str) -> str:
    return (
        "mutation {"
        f' before: create_item(board_id: {SMALL_BOARD_ID}, item_name: "before") {{ id }}'
        f" bad: {bad}"
        f' after: create_item(board_id: {SMALL_BOARD_ID}, item_name: "after") {{ id }}'
        " }"
    )


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("server_ms", [0, 200])
async def test_invalid_input_is_a_500_that_stops_the_document(case: str, server_ms: int) -> None:
    async with serve(
        ManualClock(),
        invalid_input_errors="http500",
        mutation_ms_mean=server_ms,
        query_ms_mean=0,
    ) as api:
        reply = await api.gql(_document(BAD[case]))
        assert reply.status == 500, reply.body
        (error,) = reply.body["errors"]
        assert error["message"] == "Internal server error"
        assert error["extensions"] == {
            "code": "INTERNAL_SERVER_ERROR",
            "status_code": 500,
            "error_data": {},
        }
        assert "data" not in reply.body
        assert reply.body["extensions"]["request_id"]
        assert await api.items() == ["before"]
        stats = await api.stats()
        assert stats["invalid_input_500s"] == 1
        assert stats["mutations_executed_total"] == 2  # before, bad; never after
        assert stats["mutations_applied_total"] == 1


@pytest.mark.parametrize("case", sorted(BAD))
async def test_alias_mode_answers_the_alias_alone(case: str) -> None:
    async with serve(ManualClock(), mutation_ms_mean=0, query_ms_mean=0) as api:
        reply = await api.gql(_document(BAD[case]))
        assert reply.status == 200
        assert reply.data["bad"] is None and reply.data["after"]
        assert [e["path"] for e in reply.errors] == [["bad"]]
        assert await api.items() == ["before", "after"]


async def test_other_errors_stay_per_alias_in_http500_mode() -> None:
    """A column that does not exist or a bad value is not invalid input of this kind."""
    async with serve(
        ManualClock(), invalid_input_errors="http500", mutation_ms_mean=0, query_ms_mean=0
    ) as api:
        values = json.dumps(json.dumps({"no_such_column": "x"}))
        reply = await api.gql(
            _document(
                f'create_item(board_id: {SMALL_BOARD_ID}, item_name: "x", '
                f"column_values: {values}) {{ id }}"
            )
        )
        assert reply.status == 200
        assert reply.errors[0]["extensions"]["code"] == "InvalidColumnIdException"
        assert await api.items() == ["before", "after"]
