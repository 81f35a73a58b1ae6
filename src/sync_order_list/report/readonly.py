"""Read-only database access for ``report`` and ``check``.

Both commands only ever read; the engine they use makes that a property of the
connection, not just of the code:

- SQLite opens the file with ``mode=ro`` (a URI filename) and ``PRAGMA query_only``,
  and never creates a missing file (a plain ``sqlite3.connect`` would create an empty
  database); it skips the pipeline engine's WAL switch and ``BEGIN IMMEDIATE``;
- PostgreSQL sets ``default_transaction_read_only=on`` for the session, and gives up
  connecting after ``connect_timeout`` seconds;
- SQL Server has no per-session read-only switch: there the commands are read-only by
  construction (SELECTs only), which the tests check on the other two.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchTableError, SQLAlchemyError

from sync_order_list.db import make_engine
from sync_order_list.db.connect import check_connection
from sync_order_list.db.engine import URL_KEY, normalise_url, redact_url
from sync_order_list.db.filters import register_sqlite_functions
from sync_order_list.errors import ConfigError, DatabaseError
from sync_order_list.logs import redact

T = TypeVar("T")
CONNECT_TIMEOUT_SECONDS = 10


def read_only_engine(database_url: str, *, config_key: str | None = None) -> Engine:
    """An engine that cannot write; DatabaseError when a SQLite file does not exist."""
    try:
        url = make_url(normalise_url(database_url))
    except ArgumentError:
        raise ConfigError("the database URL cannot be parsed", key=config_key or URL_KEY) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        # not make_engine: its connect hook switches the journal to WAL and its BEGIN
        # IMMEDIATE takes the write lock, both writes; reads need neither
        engine = create_engine(_sqlite_read_only_url(url), connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_query_only)
        return engine
    if backend == "postgresql":
        return make_engine(
            url.render_as_string(hide_password=False),
            config_key=config_key,
            connect_args={
                "options": "-c default_transaction_read_only=on",
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            },
        )
    return make_engine(url.render_as_string(hide_password=False), config_key=config_key)


def _sqlite_query_only(dbapi_conn: Any, _record: Any) -> None:
    register_sqlite_functions(dbapi_conn)  # the --customer rule (db/filters.py)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only = ON")
    cur.close()


def _sqlite_read_only_url(url: object) -> str:
    database = getattr(url, "database", None) or ""
    query = dict(getattr(url, "query", {}) or {})
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise DatabaseError(
            "no database: an in-memory SQLite database has nothing to read from another process"
        )
    path = Path(database[5:].split("?", 1)[0] if database.startswith("file:") else database)
    if not path.is_file():
        raise DatabaseError(
            f"no database: {path} does not exist (create it with `sync-order-list init-db`)"
        )
    extra = "&".join(f"{k}={v}" for k, v in query.items() if k not in ("mode", "uri"))
    suffix = "&" + extra if extra else ""
    return f"sqlite:///file:{quote(str(path.resolve()))}?mode=ro&uri=true{suffix}"


def reading(
    engine: Engine,
    func: Callable[[], T],
    *,
    what: str = "read the database",
    url: str | None = None,
) -> T:
    """Run ``func``; turn a driver error into one readable DatabaseError line."""
    where = redact_url(url or str(engine.url))
    check_connection(engine, url)  # a refused connection reads the same everywhere
    try:
        return func()
    except NoSuchTableError as exc:
        raise DatabaseError(
            f"cannot {what}: table {exc} does not exist in {where} (run `sync-order-list init-db`)"
        ) from None
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = detail[0] if detail else exc.__class__.__name__
        hint = ""
        if re.search(r"no such table|does not exist|invalid object name", first, re.IGNORECASE):
            hint = " (run `sync-order-list init-db`)"
        raise DatabaseError(redact(f"cannot {what} at {where}: {first}{hint}")) from None
