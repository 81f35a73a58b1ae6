"""Helpers for the bulk import tests: bulk on, a board check that counts subitems."""

from __future__ import annotations

from typing import Any

from tests.sync.harness import Pipeline


def bulk_on(p: Pipeline, mode: str, rows_per_second: float | None = 2000, **extra: Any) -> None:
    """Bulk on for a small test: every group is big enough for a job (the sample's 40
    orders fall in about 20 groups), quick polls, small regular documents."""
    p.configure(
        bulk={
            "mode": mode,
            "min_orders": 10,
            "min_job_orders": 1,
            "poll_seconds": 0.02,
            "concurrent_jobs": 8,
            **extra,
        },
        batch={"items_per_request": 2},
    )
    p.settings(mutation_ms_mean=0, bulk_rows_per_second=rows_per_second)


def assert_no_duplicate_subitems(p: Pipeline) -> None:
    """Every item has each size once (the board check compares sizes as a set)."""
    size_col = p.cfg.settings.monday.subitems.columns["size_code"]
    for item in p.board()["items"]:
        sizes = [
            s["column_values"][size_col]["text"]
            for s in item.get("subitems", [])
            if s.get("state", "active") == "active"
        ]
        assert len(sizes) == len(set(sizes)), (item["name"], sorted(sizes))


def bulk_stats(p: Pipeline) -> dict[str, Any]:
    return p.admin("/stats")["bulk"]


def labels_already_on_the_board(p: Pipeline) -> None:
    """Make every status and dropdown label the merged orders need exist on the board,
    as on a board in use (a dummy item and subitem carry them in, then go). Without
    this, the sample data's many labels send most orders of a small test through the
    regular API first (see test_labels_missing_on_the_board_are_made_first)."""
    import json

    from sync_order_list.sync import SyncOptions
    from sync_order_list.sync.operations import OpKind, Plan

    plans: list[Plan] = []
    p.sync(SyncOptions(dry_run=True), on_plan=plans.append)
    board = p.board()
    types = {c["id"]: c["type"] for c in board["columns"]}
    item = p.api(
        'mutation ($b: ID!) { create_item(board_id: $b, item_name: "labels") { id } }',
        {"b": p.cfg.env.items_board_id},
    )["data"]["create_item"]["id"]
    sub = p.api(
        'mutation ($i: ID!) { create_subitem(parent_item_id: $i, item_name: "labels") '
        "{ id board { id } } }",
        {"i": item},
    )["data"]["create_subitem"]
    wanted: dict[tuple[bool, str], set[str]] = {}  # (items board?, column) -> labels
    for op in plans[0].item_ops + plans[0].line_ops:
        if op.kind not in (OpKind.CREATE_ITEM, OpKind.CREATE_SUBITEM):
            continue
        is_item = op.kind is OpKind.CREATE_ITEM
        for column_id, value in json.loads(op.variables.get("column_values") or "{}").items():
            if not isinstance(value, dict):
                continue
            labels = value.get("labels") or ([value["label"]] if "label" in value else [])
            wanted.setdefault((is_item, column_id), set()).update(labels)
    sub_board = p.admin(f"/boards/{sub['board']['id']}")
    sub_types = {c["id"]: c["type"] for c in sub_board["columns"]}
    for (is_item, column_id), labels in wanted.items():
        kind = (types if is_item else sub_types).get(column_id)
        values = [{"labels": sorted(labels)}] if kind == "dropdown" else [
            {"label": label} for label in sorted(labels)
        ]  # fmt: skip
        for value in values:
            response = p.api(
                "mutation ($b: ID!, $i: ID!, $v: JSON!) { change_multiple_column_values("
                "board_id: $b, item_id: $i, column_values: $v, create_labels_if_missing: true) "
                "{ id } }",
                {
                    "b": p.cfg.env.items_board_id if is_item else sub["board"]["id"],
                    "i": item if is_item else sub["id"],
                    "v": json.dumps({column_id: value}),
                },
            )
            assert not response.get("errors"), response
    p.api("mutation ($i: ID!) { delete_item(item_id: $i) { id } }", {"i": item})
