"""Checks of the database: reachable, tables present, configured columns present.

Reads only: every statement is a SELECT or the dialect's catalogue inspection, each
connection is rolled back, and a SQLite file that does not exist is reported rather
than created.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, column, literal, select, table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.sql.elements import quoted_name

from sync_order_list.config import AppConfig, Finding
from sync_order_list.db import redact_url
from sync_order_list.db.connect import connection_message
from sync_order_list.db.engine import normalise_url
from sync_order_list.db.introspect import LiveColumn, live_columns, table_exists
from sync_order_list.db.schema import SYNC_COLUMN_NAMES

#: At most this many distinct values are read per column (labels, conversions).
DISTINCT_LIMIT = 5_000

INIT_HINT = "run `sync-order-list init-db`"


@dataclass(frozen=True)
class TableRole:
    role: str  # staging, target, lines, groups, runs, api_log
    name: str
    key: str  # the config key that names it
    owned: bool  # created by init-db


@dataclass
class DatabaseFacts:
    """What the database holds, for the later board and data checks."""

    reachable: bool = False
    tables: dict[str, list[LiveColumn]] = field(default_factory=dict)  # role -> columns
    names: dict[str, str] = field(default_factory=dict)  # role -> table name
    size_columns: list[str] = field(default_factory=list)

    def columns(self, role: str) -> dict[str, LiveColumn]:
        return {c.name: c for c in self.tables.get(role, [])}

    def has(self, role: str) -> bool:
        return role in self.tables


def table_roles(cfg: AppConfig) -> list[TableRole]:
    env, t, name = cfg.env, cfg.settings.tables, cfg.env_name
    return [
        TableRole("staging", env.source_table, f"environments.{name}.source_table", False),
        TableRole("target", env.target_table, f"environments.{name}.target_table", False),
        TableRole("lines", env.lines_table, f"environments.{name}.lines_table", True),
        TableRole("groups", t.groups, "tables.groups", True),
        TableRole("runs", t.runs, "tables.runs", True),
        TableRole("api_log", t.api_log, "tables.api_log", True),
        TableRole("documents", t.documents, "tables.documents", True),
        TableRole("bulk_jobs", t.bulk_jobs, "tables.bulk_jobs", True),
    ]


def url_key(cfg: AppConfig) -> str:
    return f"environments.{cfg.env_name}.database_url_env"


def missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite database file that does not exist (connecting would create
    it), else None."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return None if Path(database).exists() else database


def missing_file_finding(cfg: AppConfig, path: str) -> Finding:
    return Finding(
        "error",
        url_key(cfg),
        f"the SQLite database file {path!r} does not exist; set "
        f"{cfg.env.database_url_env} to the right file or {INIT_HINT} to create it",
    )


def describe_db_error(exc: BaseException, url: str) -> str:
    """A one-line reason, without the URL's password."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    try:
        password = make_url(normalise_url(url)).password
    except ArgumentError:
        password = None
    if password:
        text = text.replace(str(password), "***")
    return f"{type(orig).__name__}: {text}"


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Connection]:
    """A connection whose transaction is always rolled back."""
    with engine.connect() as conn:
        try:
            yield conn
        finally:
            conn.rollback()


def check_database(
    engine: Engine, cfg: AppConfig
) -> tuple[list[Finding], DatabaseFacts, list[str]]:
    """Reachability, tables, sync columns, business key, size markers, every
    configured column. Returns the findings, the facts and notes on what passed."""
    findings: list[Finding] = []
    notes: list[str] = []
    facts = DatabaseFacts()
    url = cfg.database_url
    missing = missing_sqlite_file(url)
    if missing is not None:
        return [missing_file_finding(cfg, missing)], facts, notes
    schema = cfg.env.db_schema
    try:
        with rolled_back(engine) as conn:
            conn.execute(select(literal(1))).scalar()
            facts.reachable = True
            for role in table_roles(cfg):
                facts.names[role.role] = role.name
                if table_exists(conn, role.name, schema):
                    facts.tables[role.role] = live_columns(conn, role.name, schema)
    except SQLAlchemyError as exc:
        findings.append(
            Finding(
                "error",
                url_key(cfg),
                connection_message(url, exc),
            )
        )
        return findings, facts, notes

    where = f" in schema {schema!r}" if schema else ""
    notes.append(f"database {redact_url(url)} is reachable")
    for role in table_roles(cfg):
        if facts.has(role.role):
            continue
        what = {"staging": "staging table", "target": "orders table"}.get(role.role, "table")
        fix = (
            INIT_HINT
            if role.owned
            else f"create it, or set [{role.key}] (for a demo: {INIT_HINT} --order-tables)"
        )
        findings.append(
            Finding("error", role.key, f"{what} {role.name!r} does not exist{where}: {fix}")
        )
    findings += _target_checks(cfg, facts)
    findings += _staging_checks(cfg, facts, notes)
    return findings, facts, notes


def _target_checks(cfg: AppConfig, facts: DatabaseFacts) -> list[Finding]:
    if not facts.has("target"):
        return []
    findings: list[Finding] = []
    settings = cfg.settings
    target = facts.names["target"]
    names = facts.columns("target")
    missing_sync = sorted(SYNC_COLUMN_NAMES - set(names))
    if missing_sync:
        findings.append(
            Finding(
                "error",
                f"environments.{cfg.env_name}.target_table",
                f"{target!r} lacks the sync columns {missing_sync}: {INIT_HINT}",
            )
        )
    key = settings.merge.business_key
    if key not in names:
        findings.append(
            Finding(
                "error", "merge.business_key", f"business key {key!r} is not a column of {target!r}"
            )
        )
    customer = settings.merge.customer_column
    if customer not in names:
        findings.append(
            Finding(
                "error",
                "merge.customer_column",
                f"customer column {customer!r} is not a column of {target!r}",
            )
        )
    for db_col in settings.monday.items.columns:
        if db_col not in names:
            findings.append(
                Finding(
                    "error",
                    "monday.items.columns",
                    f"mapped database column {db_col!r} is not a column of {target!r}",
                )
            )
    return findings


def _staging_checks(cfg: AppConfig, facts: DatabaseFacts, notes: list[str]) -> list[Finding]:
    if not facts.has("staging"):
        return []
    findings: list[Finding] = []
    settings = cfg.settings
    staging = facts.names["staging"]
    ordered = [c.name for c in facts.tables["staging"]]
    names = set(ordered)

    def need(columns: list[str], key: str, what: str) -> None:
        for col in dict.fromkeys(columns):
            if col not in names:
                findings.append(
                    Finding("error", key, f"{what} {col!r} is not a column of {staging!r}")
                )

    key = settings.merge.business_key
    need([key], "merge.business_key", "business key")
    sc = settings.merge.size_columns
    need([sc.start_after], "merge.size_columns.start_after", "size marker column")
    need([sc.end_before], "merge.size_columns.end_before", "size marker column")
    if sc.start_after in names and sc.end_before in names:
        start, end = ordered.index(sc.start_after), ordered.index(sc.end_before)
        if end <= start + 1:
            findings.append(
                Finding(
                    "error",
                    "merge.size_columns",
                    f"no size columns between {sc.start_after!r} and {sc.end_before!r} in "
                    f"{staging!r} (the markers are adjacent or in the wrong order)",
                )
            )
        else:
            facts.size_columns = ordered[start + 1 : end]
            notes.append(
                f"{len(facts.size_columns)} size columns between {sc.start_after!r} and "
                f"{sc.end_before!r} in {staging!r}"
            )
    need(settings.names.group.columns, "names.group.columns", "group name column")
    need(
        settings.names.group.fallback_columns,
        "names.group.fallback_columns",
        "group name fallback column",
    )
    need(settings.names.item.columns, "names.item.columns", "item name column")
    need(list(settings.monday.items.columns), "monday.items.columns", "mapped database column")
    if settings.merge.hash_columns != "mapped":
        need(list(settings.merge.hash_columns), "merge.hash_columns", "hash column")
    sizes = set(facts.size_columns)
    for db_col in settings.monday.items.columns:
        if db_col in sizes:
            findings.append(
                Finding(
                    "warning",
                    "monday.items.columns",
                    f"mapped database column {db_col!r} is a size column (between the markers); "
                    "its quantities already become subitems",
                )
            )
    return findings


class ValueReader:
    """Distinct non-null values of one column of one table, read on demand and cached.

    One connection for the whole run, always rolled back; a failing query (a type the
    database cannot DISTINCT) is rolled back and reported, the others go on.
    """

    def __init__(self, engine: Engine, cfg: AppConfig, facts: DatabaseFacts) -> None:
        self.engine = engine
        self.schema = cfg.env.db_schema
        self.facts = facts
        self._cache: dict[tuple[str, str], list[Any]] = {}
        self.failures: list[tuple[str, str, str]] = []  # (role, column, reason)
        self._conn: Connection | None = None

    def __enter__(self) -> ValueReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.rollback()
            finally:
                self._conn.close()
                self._conn = None

    def values(self, role: str, column_name: str) -> list[Any] | None:
        """The distinct values (at most ``DISTINCT_LIMIT``), or None when the table or
        the column is missing or unreadable."""
        if column_name not in self.facts.columns(role):
            return None
        cache_key = (role, column_name)
        if cache_key in self._cache:
            return self._cache[cache_key]
        if self._conn is None:
            self._conn = self.engine.connect()
        col = column(quoted_name(column_name, True))
        tbl = table(
            quoted_name(self.facts.names[role], True),
            col,
            schema=quoted_name(self.schema, True) if self.schema else None,
        )
        stmt = select(col).select_from(tbl).where(col.is_not(None)).distinct()
        stmt = stmt.limit(DISTINCT_LIMIT)
        try:
            rows = [row[0] for row in self._conn.execute(stmt)]
        except SQLAlchemyError as exc:
            self._conn.rollback()  # PostgreSQL refuses further statements until then
            self.failures.append((role, column_name, describe_db_error(exc, "")))
            return None
        self._cache[cache_key] = rows
        return rows
