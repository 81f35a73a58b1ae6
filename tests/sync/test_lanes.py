"""Lanes: documents sized to monday's time, whole rows kept together. Pure."""

from __future__ import annotations

from sync_order_list.sync.lanes import Lane, ServerTime, by_row
from sync_order_list.sync.operations import Operation, OpKind
from sync_order_list.sync.rows import RowRef


def _op(row: str, kind: OpKind = OpKind.UPDATE_ITEM) -> Operation:
    return Operation(kind, RowRef("order", row, row), {"item_id": row})


def test_server_time_sizes_documents_to_the_target() -> None:
    st = ServerTime(0.5)
    assert st.ops_for(22.001) == 40  # before any response: the configured assumption (+10%)
    st.observe(duration=10.0, ops=50)  # 0.2 s a mutation
    assert st.ops_for(22.001) == 100
    st.observe(duration=30.0, ops=50)  # a slower day: believed at once
    assert st.ops_for(22.001) == 33
    for _ in range(10):
        st.observe(duration=10.0, ops=50)  # faster again: believed gradually
    assert 90 <= st.ops_for(22.001) <= 100
    st.observe_timeout(60.0, 100)  # cut at 60 s: each took at least 0.6 s
    assert st.ops_for(20) < 30
    assert ServerTime(1000).ops_for(20) == 1  # never below one


def test_lane_limit_is_the_smallest_of_batch_cap_and_time() -> None:
    lane = Lane("items", "1", batch_size=100, server_time=ServerTime(0.1))
    assert lane.limit(22.001, per_query_cap=500) == 100
    assert lane.limit(22.001, per_query_cap=60) == 60
    lane.server_time.observe(30, 50)
    assert lane.limit(22.001, per_query_cap=500) == 33


def test_take_keeps_a_rows_operations_together() -> None:
    ops = [_op("a"), _op("a", OpKind.MOVE_ITEM), _op("b"), _op("c"), _op("c", OpKind.MOVE_ITEM)]
    lane = Lane("items", "1", batch_size=10, server_time=ServerTime(0.1))
    lane.put(by_row(ops))
    assert [op.row.id for op in lane.take(3)] == ["a", "a", "b"]
    assert [op.row.id for op in lane.take(1)] == ["c", "c"]  # one row, even over the limit
    assert lane.take(5) == []
    lane.close()
    assert lane.done
