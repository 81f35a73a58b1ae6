"""Jinja2 SQL templates rendered per dialect.

A statement ``name`` is looked up as ``sql/name.<dialect>.sql.j2`` first, then
``sql/name.sql.j2``. Templates only ever insert *identifiers*, quoted by the dialect's
own preparer (``q``/``table``); every value is a ``:named`` bind parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2
from sqlalchemy import Dialect, TextClause, text
from sqlalchemy.sql.sqltypes import TypeEngine

from sync_order_list.merge.keys import SPACE_RANGES, space_characters

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("sync_order_list", "sql"),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
# the business key rule's characters, for the ``norm_key`` macro (one definition)
_ENV.globals.update(
    key_space_ranges=SPACE_RANGES,
    key_space_codes=[ord(c) for c in space_characters()],
)


@dataclass(frozen=True)
class SqlDialect:
    """Quoting and naming helpers for one dialect, handed to every template."""

    dialect: Dialect
    schema: str | None = None

    @property
    def name(self) -> str:
        return self.dialect.name

    def q(self, identifier: str) -> str:
        """Quote an identifier (always) with the dialect's quote characters.

        ':' is escaped so ``text()`` never reads it as a bind; '%' is left alone because
        ``text()`` itself doubles it for drivers with the pyformat paramstyle.
        """
        p = self.dialect.identifier_preparer
        body = p._escape_identifier(identifier)  # the dialect's own escaping (']' -> ']]')
        if getattr(p, "_double_percents", False):
            body = body.replace("%%", "%")
        return f"{p.initial_quote}{body}{p.final_quote}".replace(":", r"\:")

    def table(self, name: str) -> str:
        if self.schema:
            return f"{self.q(self.schema)}.{self.q(name)}"
        return self.q(name)

    def type_sql(self, type_: TypeEngine[Any]) -> str:
        return type_.compile(dialect=self.dialect)


def template_names(name: str, dialect: str) -> list[str]:
    return [f"{name}.{dialect}.sql.j2", f"{name}.sql.j2"]


def render(name: str, sql: SqlDialect, **context: Any) -> str:
    """Render a template to SQL text for ``sql``'s dialect."""
    template = _ENV.select_template(template_names(name, sql.name))
    return template.render(
        d=sql,
        q=sql.q,
        table=sql.table,
        dialect=sql.name,
        partial=lambda part: template_names(f"_{part}", sql.name),
        **context,
    )


def render_macro(macro: str, sql: SqlDialect, *args: str, **context: Any) -> str:
    """One macro of ``_macros.sql.j2`` as SQL text for ``sql``'s dialect, called with
    ``args`` (already-quoted SQL expressions or bind names)."""
    template = _ENV.from_string(
        '{% import "_macros.sql.j2" as m with context %}{{ m[macro](*args) }}'
    )
    return template.render(
        q=sql.q, table=sql.table, dialect=sql.name, macro=macro, args=args, **context
    ).strip()


def statement(name: str, sql: SqlDialect, **context: Any) -> TextClause:
    """Render and wrap in ``text()`` so values bind as parameters."""
    return text(render(name, sql, **context))


def list_templates() -> list[str]:
    """Every statement template (partials, named ``_*``, are left out)."""
    return sorted(
        n for n in _ENV.list_templates() if n.endswith(".sql.j2") and not n.startswith("_")
    )
