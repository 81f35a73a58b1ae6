"""SQLAlchemy engines for the three supported databases.

SQLite is the embedded default; PostgreSQL goes through psycopg 3; SQL Server through
pyodbc (or pymssql). On SQLite the engine registers the functions the SQL templates
need (row hash, quantity parsing, the business key rule), so the same set-based statements run everywhere.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from sync_order_list.db.filters import register_sqlite_functions as _register_fold
from sync_order_list.errors import ConfigError
from sync_order_list.merge.keys import KEY_CASES, normalise_key

_QTY = re.compile(r"\s*(\d{1,9})(?:\.0*)?\s*")
MAX_QTY = 999_999_999
URL_KEY = "environments.<name>.database_url_env"  # when the caller does not say which


def sha256_text(text: str | None) -> str | None:
    """SQLite's stand-in for sha256(): hex digest of the UTF-8 text (the row hash is
    the digest of the fields' text joined in SQL, NULLs marked apart)."""
    if text is None:
        return None
    return hashlib.sha256(str(text).encode("utf-8")).hexdigest()


def parse_qty(value: Any) -> int | None:
    """A size quantity as an int, or None when it is not a whole number >= 0."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_QTY else None
    if isinstance(value, float):
        ok = value.is_integer() and 0 <= value <= MAX_QTY
        return int(value) if ok else None
    match = _QTY.fullmatch(str(value))
    return int(match.group(1)) if match else None


def join_nonempty(separator: str, *parts: Any) -> str | None:
    """SQLite stand-in for concat_ws over non-empty parts; NULL when all are empty."""
    kept = [str(p) for p in parts if p is not None and str(p) != ""]
    return separator.join(kept) if kept else None


def _key_function(case: Any) -> Any:
    def sol_key(value: Any) -> str | None:
        return normalise_key(value, case)

    return sol_key


def _register_sqlite_functions(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # type: ignore[assignment]
    dbapi_conn.create_function("sol_sha256", 1, sha256_text, deterministic=True)
    dbapi_conn.create_function("sol_qty", 1, parse_qty, deterministic=True)
    dbapi_conn.create_function("sol_join", -1, join_nonempty, deterministic=True)
    for case in KEY_CASES:  # the business key rule, exactly: sol_key_upper(key), ...
        dbapi_conn.create_function(f"sol_key_{case}", 1, _key_function(case), deterministic=True)
    _register_fold(dbapi_conn)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    # a merge reads wide rows many times and builds temp tables: give it memory
    # (durability settings stay at SQLite's safe defaults: synchronous=FULL)
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def normalise_url(url: str) -> str:
    """Pick the driver this project ships for a bare ``postgresql://`` or ``mssql://``."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("mssql://"):
        return "mssql+pyodbc://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, config_key: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``; raises ConfigError naming the URL's problem (and
    ``config_key``, the setting the URL came from, when the caller knows it)."""
    key = config_key or URL_KEY
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            "the database URL cannot be parsed (expected e.g. sqlite:///file.db, "
            "postgresql://user@host/db, mssql+pyodbc://...)",
            key=key,
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql", "mssql"):
        raise ConfigError(
            f"unsupported database {backend!r}: use sqlite, postgresql or mssql",
            key=key,
        )
    options: dict[str, Any] = {"future": True}
    if backend == "sqlite":
        options["connect_args"] = {"timeout": 30}
    if backend == "mssql":
        options["fast_executemany"] = parsed.get_driver_name() == "pyodbc"
    options.update(kwargs)
    try:
        engine = create_engine(parsed, **options)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        extra = {"mssql": "mssql", "postgresql": "postgres"}.get(backend, backend)
        if parsed.get_driver_name() == "pymssql":
            extra = "mssql-pymssql"
        raise ConfigError(
            f"no driver for {parsed.drivername}: {exc}",
            hint=f"pip install 'sync-order-list[{extra}]'",
        ) from None
    if backend == "sqlite":
        event.listen(engine, "connect", _register_sqlite_functions)
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, and
        # take the write lock at BEGIN so two runs never interleave their claims.
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def redact_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"
