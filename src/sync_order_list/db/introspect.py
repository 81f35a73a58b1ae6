"""What the live database holds: tables and their columns in table order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, inspect
from sqlalchemy.sql.sqltypes import TypeEngine


@dataclass(frozen=True)
class LiveColumn:
    name: str
    type: TypeEngine[Any]
    nullable: bool = True
    type_sql: str = ""

    @property
    def is_text(self) -> bool:
        try:
            return self.type.python_type is str
        except NotImplementedError:
            return True

    @property
    def is_numeric(self) -> bool:
        try:
            return self.type.python_type in (int, float) or self.type.python_type.__name__ == (
                "Decimal"
            )
        except NotImplementedError:
            return False


def table_exists(conn: Connection, table: str, schema: str | None) -> bool:
    return inspect(conn).has_table(table, schema=schema)


def live_columns(conn: Connection, table: str, schema: str | None) -> list[LiveColumn]:
    """The table's columns in their ordinal order (as the database lists them)."""
    return [
        LiveColumn(c["name"], c["type"], bool(c.get("nullable", True)), _type_sql(c["type"], conn))
        for c in inspect(conn).get_columns(table, schema=schema)
    ]


def _type_sql(type_: TypeEngine[Any], conn: Connection) -> str:
    try:
        return str(type_.compile(dialect=conn.dialect))
    except Exception:  # a reflected type the dialect cannot render back
        return str(type_)
