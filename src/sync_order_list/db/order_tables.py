"""The real ORDER_LIST layout (410 columns), for demos, tests and the sample generator.

The column list is ``data/order_list_columns.csv`` (name, SQL Server type, role), a copy
of the production table's columns. Staging tables hold size quantities as text, as a
spreadsheet import would, so the merge must validate them.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from sqlalchemy import Column, Integer, MetaData, Numeric, SmallInteger, Table, Unicode
from sqlalchemy.sql.sqltypes import TypeEngine

from sync_order_list.db.schema import Timestamp

Role = Literal["business", "size", "detail"]


@dataclass(frozen=True)
class OrderColumn:
    name: str
    sql_server_type: str
    role: Role

    def sqlalchemy_type(self) -> TypeEngine[Any]:
        return sql_server_type_to_sqlalchemy(self.sql_server_type)


def sql_server_type_to_sqlalchemy(type_name: str) -> TypeEngine[Any]:
    t = type_name.strip().upper()
    if m := re.fullmatch(r"NVARCHAR\((\d+|MAX)\)", t):
        return Unicode(None if m.group(1) == "MAX" else int(m.group(1)))
    if m := re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", t):
        return Numeric(int(m.group(1)), int(m.group(2)), asdecimal=True)
    if t == "INT":
        return Integer()
    if t == "SMALLINT":
        return SmallInteger()
    if t in ("DATETIME2", "DATETIME", "DATE"):
        return Timestamp
    raise ValueError(f"unsupported column type {type_name!r}")


@cache
def order_columns() -> tuple[OrderColumn, ...]:
    """The 410 columns of the real ORDER_LIST, in table order."""
    text = resources.files("sync_order_list").joinpath("data/order_list_columns.csv")
    with text.open(encoding="utf-8", newline="") as fh:
        return tuple(
            OrderColumn(row["column"], row["sql_server_type"], row["role"])  # type: ignore[arg-type]
            for row in csv.DictReader(fh)
        )


def orders_table(
    name: str, metadata: MetaData, *, staging: bool, columns: tuple[OrderColumn, ...] | None = None
) -> Table:
    """A table with the ORDER_LIST columns; staging holds sizes as text."""
    cols = []
    for col in columns or order_columns():
        type_ = Unicode(50) if staging and col.role == "size" else col.sqlalchemy_type()
        cols.append(Column(col.name, type_, nullable=True, quote=True))
    return Table(name, metadata, *cols)
