"""Every SQL template renders for every dialect; T-SQL parses with sqlglot.

No SQL Server runs here: this proves the T-SQL is well-formed and quoted, not that it
behaves on a live server (see docs/sql-server.md).
"""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlalchemy.dialects import mssql, postgresql, sqlite

from sync_order_list.db.templates import SqlDialect, list_templates, render
from sync_order_list.merge.columns import CopyColumn
from tests.conftest import make_config

DIALECTS = {
    "mssql": mssql.dialect(),
    "postgresql": postgresql.dialect(),
    "sqlite": sqlite.dialect(),
}
NASTY = [
    "2T",
    "3/6 MTHS",
    "S(6-8)",
    "04/XXS",
    "CUSTOMER'S COLOUR",
    "∆",
    "A]B",
    'Q"T',
    "TARIFF (20%)",
]


def context(dialect: str) -> dict:
    cfg = make_config("sqlite://")
    sql = SqlDialect(DIALECTS[dialect], "dbo" if dialect == "mssql" else None)
    names = cfg.settings.names
    tmp = (lambda n: sql.q(f"#sol_{n}")) if dialect == "mssql" else (lambda n: sql.q(f"sol_{n}"))
    return {
        "sql": sql,
        "source": "swp_ORDER_LIST",
        "target": "ORDER_LIST",
        "lines": "ORDER_LIST_LINES",
        "key": "AAG ORDER NUMBER",
        "key_type": "NVARCHAR(100)",
        "raw_key_type": "NVARCHAR(100)",
        "key_case": "upper",
        "tmp": tmp,
        "name_cols": lambda names_, alias: [f"{alias}.{sql.q(n)}" for n in names_],
        "copy_columns": [CopyColumn("AAG ORDER NUMBER"), CopyColumn("NOTES", cast="NVARCHAR(1000)")]
        + [CopyColumn(n, is_size=True) for n in NASTY],
        "hash_exprs": [f"s.{sql.q(n)}" for n in NASTY + ["CUSTOMER NAME"]],
        "group_rule": names.group,
        "item_rule": names.item,
        "item_fallback_expr": "s." + sql.q("AAG ORDER NUMBER"),
        "size_columns": NASTY,
        "size_chunks": [{"offset": 0, "columns": NASTY[:4]}, {"offset": 4, "columns": NASTY[4:]}],
        "snapshot": True,
        "changed": True,
        "column": "sync_state",
        "type_sql": "VARCHAR(10)",
        "default": "'NEW'",
        "check": True,
        "check_name": "ck_x",
        "states": ("NEW", "PENDING", "SYNCED", "ERROR"),
        "check_name_state": "ck_y",
        "index_name": "ux_x",
        "table_name": "swp_ORDER_LIST",
    }


def as_plain_sql(rendered: str) -> str:
    """Replace :binds with literals and unescape \\: so a parser sees plain SQL."""
    text = re.sub(r"(?<![:\\\w]):(\w+)", "'bind'", rendered)
    return text.replace("\\:", ":")


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("name", [n.split(".")[0] for n in list_templates() if n.count(".") == 2])
def test_every_template_renders_and_parses(name: str, dialect: str) -> None:
    ctx = context(dialect)
    sql = ctx.pop("sql")
    rendered = render(name, sql, **ctx)
    assert "{{" not in rendered and "{%" not in rendered
    for part in rendered.split("\n;\n"):
        plain = as_plain_sql(part).strip()
        if dialect == "mssql":
            plain = plain.replace("CREATE TEMP TABLE", "CREATE TABLE")
        if dialect != "mssql":
            continue  # SQLite and PostgreSQL statements run for real in the merge tests
        try:
            trees = sqlglot.parse(plain, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.ParseError as exc:
            raise AssertionError(f"T-SQL of {name} does not parse:\n{plain}\n{exc}") from exc
        for tree in trees:
            # an unparseable statement falls back to an opaque Command: not good enough
            assert not isinstance(tree, sqlglot.exp.Command), f"{name}: {plain[:200]}"


def test_identifiers_are_quoted_per_dialect_and_values_bound() -> None:
    ctx = context("mssql")
    sql = ctx.pop("sql")
    rendered = render("merge_upsert_orders", sql, **ctx)
    assert "[A]]B]" in rendered and "[CUSTOMER'S COLOUR]" in rendered
    assert ":now" in rendered and ":group_sep" in rendered and ":group_fallback" in rendered
    assert "check" not in rendered.lower().replace("check_", "")  # fallback value is bound
    ctx = context("postgresql")
    rendered = render("merge_upsert_orders", ctx.pop("sql"), **ctx)
    assert '"Q""T"' in rendered and "ON CONFLICT" in rendered


def test_tsql_statements_compile_with_mssql_dialect() -> None:
    from sqlalchemy import text

    ctx = context("mssql")
    sql = ctx.pop("sql")
    for name in ("merge_upsert_orders", "merge_upsert_lines", "merge_mark_line_deletes"):
        compiled = text(render(name, sql, **ctx)).compile(dialect=DIALECTS["mssql"])
        assert "MERGE INTO" in str(compiled) or "UPDATE" in str(compiled)
        assert compiled.params  # values travel as parameters
