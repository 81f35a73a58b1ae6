"""One rule for ``--customer NAME``: a customer matches when the names are equal once
trimmed and lower-cased, so ``--customer Greyson`` finds the orders of ``GREYSON``.

The same rule runs in SQL (the sync claim, ``retry``, ``status``, ``verify``) and in
Python (messages, the board side of ``verify``). In SQL it compiles per dialect:
``lower(trim(x))`` on PostgreSQL, ``LOWER(LTRIM(RTRIM(x)))`` on SQL Server, and the
``sol_fold`` function the engines register on SQLite (whose own ``lower`` folds ASCII
letters only, so ``CAFÉ`` would never match ``café``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, String, column, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

SQLITE_FOLD_FUNCTION = "sol_fold"


def fold_text(value: Any) -> str | None:
    """The comparable form of a customer name (None stays None)."""
    return None if value is None else str(value).strip().lower()


def same_customer(stored: Any, wanted: str) -> bool:
    """Python side of ``customer_matches``."""
    return stored is not None and fold_text(stored) == fold_text(wanted)


class _Fold(FunctionElement[str]):
    """``fold(x)``: trimmed and lower-cased, compiled per dialect."""

    type = String()
    inherit_cache = True
    name = "sol_fold"


@compiles(_Fold)
def _fold_default(element: _Fold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower(trim({compiler.process(element.clauses, **kw)}))"


@compiles(_Fold, "mssql")
def _fold_mssql(element: _Fold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"LOWER(LTRIM(RTRIM({compiler.process(element.clauses, **kw)})))"


@compiles(_Fold, "sqlite")
def _fold_sqlite(element: _Fold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_FOLD_FUNCTION}({compiler.process(element.clauses, **kw)})"


def customer_matches(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``column`` holds the customer ``name`` (any case, surrounding blanks ignored)."""
    return _Fold(column) == fold_text(name)


def register_sqlite_functions(dbapi_conn: Any) -> None:
    """Give a SQLite connection the ``sol_fold`` function the rule compiles to."""
    dbapi_conn.create_function(SQLITE_FOLD_FUNCTION, 1, fold_text, deterministic=True)


def known_customers(conn: Connection, column: ColumnElement[Any], limit: int = 200) -> list[str]:
    """The distinct customer names in ``column`` (for "matched nothing" messages)."""
    rows = conn.execute(select(column).where(column.is_not(None)).distinct().limit(limit))
    return sorted({str(r[0]) for r in rows})


def customer_warning(
    engine: Engine, table_name: str, schema: str | None, column_name: str, name: str
) -> str | None:
    """None when some row of ``table_name`` has customer ``name``; else the message."""
    t = table(table_name, column(column_name, String()), schema=schema)
    col = t.c[column_name]
    with engine.connect() as conn:
        hit = conn.execute(select(col).where(customer_matches(col, name)).limit(1)).first()
        if hit is not None:
            return None
        return no_match_message(name, known_customers(conn, col))


def no_match_message(name: str, known: Iterable[str], what: str = "order") -> str:
    """``--customer 'X' matches no order; customers: A, B, ...`` with near names first."""
    names = sorted(set(known))
    wanted = fold_text(name) or ""
    near = [n for n in names if wanted and wanted in (fold_text(n) or "")]
    listed = near or names
    shown = ", ".join(listed[:12]) + (f" and {len(listed) - 12} more" if len(listed) > 12 else "")
    label = "did you mean" if near else "customers"
    return f"--customer {name!r} matches no {what} (compared ignoring case)" + (
        f"; {label}: {shown}" if shown else "; there are no customers yet"
    )


__all__ = [
    "customer_matches",
    "customer_warning",
    "fold_text",
    "known_customers",
    "no_match_message",
    "register_sqlite_functions",
    "same_customer",
]
