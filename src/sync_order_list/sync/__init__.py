"""Sync stage: pending orders and lines -> the monday board, exactly once.

``run_sync`` and its types are loaded on first use, so the stage's pure modules
(``operations``, ``rows``, ``planner``) import without the whole run (which itself uses
the bulk lane, built on those modules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sync_order_list.sync.run import SyncOptions, SyncReport, run_sync

__all__ = ["SyncOptions", "SyncReport", "run_sync"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sync_order_list.sync import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
