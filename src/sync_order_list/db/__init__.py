"""Database layer: engines, per-dialect SQL templates, the tables the tool owns."""

from sync_order_list.db.engine import make_engine, redact_url
from sync_order_list.db.setup import InitReport, init_db, sql_dialect, table_names
from sync_order_list.db.templates import SqlDialect, render, statement

__all__ = [
    "InitReport",
    "SqlDialect",
    "init_db",
    "make_engine",
    "redact_url",
    "render",
    "sql_dialect",
    "statement",
    "table_names",
]
