"""One wording for "the database cannot be reached", whatever the command.

``cannot connect to the database <URL without its password>: <cause>``: every command
that opens the database checks the connection first (``check_connection``) and raises
this one ``DatabaseError``, so a refused connection reads the same in ``sync``,
``merge``, ``retry``, ``status``, ``check``, ``report``, ``verify`` and ``doctor``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from sync_order_list.db.engine import normalise_url, redact_url
from sync_order_list.errors import DatabaseError
from sync_order_list.logs import redact

MAX_CAUSE_CHARS = 400


def _password(url: str) -> str | None:
    try:
        return make_url(normalise_url(url)).password
    except ArgumentError:
        return None


def _sqlite_path(url: str) -> Path | None:
    with contextlib.suppress(ArgumentError):
        parsed = make_url(normalise_url(url))
        database = parsed.database or ""
        if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
            if database.startswith("file:"):
                database = database[5:].split("?", 1)[0]
            return Path(database)
    return None


def connection_cause(exc: BaseException, url: str) -> str:
    """The driver's reason on one line, without the URL's password."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split()) or type(orig).__name__
    password = _password(url)
    if password:
        text = text.replace(str(password), "***")
    path = _sqlite_path(url)
    if path is not None and "unable to open database file" in text:
        parent = path.resolve().parent if path.is_absolute() else (Path.cwd() / path).parent
        if not parent.is_dir():
            text += f" (the directory {parent} does not exist)"
        else:
            text += f" (check that {parent} is writable)"
    if len(text) > MAX_CAUSE_CHARS:
        text = text[: MAX_CAUSE_CHARS - 1] + "\u2026"
    return redact(text)


def connection_message(url: str, exc: BaseException) -> str:
    return f"cannot connect to the database {redact_url(url)}: {connection_cause(exc, url)}"


def connection_error(url: str, exc: BaseException) -> DatabaseError:
    return DatabaseError(
        connection_message(url, exc),
        hint="check the database URL (--db or the environment's database_url_env "
        "variable), that the server runs and accepts this user",
    )


def check_connection(engine: Engine, url: str | None = None) -> None:
    """Open (and return) one connection; DatabaseError in the one wording if it fails."""
    target = url or engine.url.render_as_string(hide_password=False)
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        raise connection_error(target, exc) from None
