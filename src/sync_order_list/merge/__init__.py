"""Merge stage: staging table -> orders with change detection -> size lines."""

from sync_order_list.merge.columns import MergeColumns, find_size_columns, plan_columns
from sync_order_list.merge.stage import (
    KeyCollision,
    MergeGuardError,
    MergeResult,
    RejectedRow,
    run_merge,
)

__all__ = [
    "KeyCollision",
    "MergeColumns",
    "MergeGuardError",
    "MergeResult",
    "RejectedRow",
    "find_size_columns",
    "plan_columns",
    "run_merge",
]
