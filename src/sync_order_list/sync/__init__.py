"""Sync stage: pending orders and lines -> the monday board, exactly once."""

from sync_order_list.sync.run import SyncOptions, SyncReport, run_sync

__all__ = ["SyncOptions", "SyncReport", "run_sync"]
