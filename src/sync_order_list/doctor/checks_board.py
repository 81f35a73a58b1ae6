"""Checks of monday: the token, the API version and the token's budgets (see
``checks_api``), the items board, the subitems board and every mapped column
(present, of a type that can take the database column's type).

Sends only queries (``me``/``version``/``versions``, then one ``boards`` query, two
when the subitems board must be found through the board's subitems column).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column as SaColumn

from sync_order_list.config import AppConfig, Finding
from sync_order_list.db.introspect import LiveColumn
from sync_order_list.db.schema import TableNames, owned_metadata
from sync_order_list.doctor.checks_api import (
    BULK_PROBE,
    budget_note,
    check_api_version,
    check_bulk_user,
    check_token_kind,
)
from sync_order_list.doctor.checks_db import DatabaseFacts
from sync_order_list.doctor.compat import (
    CHECK,
    KIND_NAMES,
    NO,
    DbKind,
    Verdict,
    db_kind,
    verdict,
)
from sync_order_list.errors import (
    MondayApiError,
    MondayAuthError,
    MondayError,
    MondayRateLimitError,
    MondayTransportError,
)
from sync_order_list.monday import MondayClient, documents
from sync_order_list.monday.encoders import SUPPORTED_TYPES
from sync_order_list.monday.schema import (
    Board,
    Column,
    board_schema_document,
    discover_subitems_board_id,
)

PROBE = "query doctor_probe { me { id name } version { value kind } versions { value kind } }"
SUB_ITEMS_BOARD_TYPE = "sub_items_board"

#: Where a database kind fits when its current column does not.
SUGGEST: dict[DbKind, str] = {
    "text": "text or long_text",
    "numeric": "numbers or text",
    "datetime": "date",
    "boolean": "checkbox",
    "unknown": "text",
}


@dataclass(frozen=True)
class MappedPair:
    """One mapped database column and the monday column it goes to."""

    board: str  # "items" or "subitems"
    db_column: str
    column: Column
    kind: DbKind | None  # None: the database column is unknown (table or column missing)
    type_sql: str
    verdict: Verdict | None


@dataclass
class BoardFacts:
    token_ok: bool = False
    items: Board | None = None
    subitems: Board | None = None
    pairs: list[MappedPair] = field(default_factory=list)


def doctor_client(cfg: AppConfig, token: str) -> MondayClient:
    """A client that gives up fast: the doctor reports, it does not wait out outages."""
    batch = cfg.settings.batch.model_copy(
        update={
            "max_retries": 1,
            "timeout_seconds": min(cfg.settings.batch.timeout_seconds, 20.0),
            "backoff_base_seconds": 0.2,
            "backoff_max_seconds": 1.0,
            "concurrency": 1,
        }
    )
    return MondayClient(
        cfg.api_url,
        token,
        cfg.settings.monday.api_version,
        batch=batch,
        rate=cfg.settings.rate,
        max_rate_limit_retries=1,
        max_rate_limit_wait=5.0,
    )


def _api_failure(cfg: AppConfig, exc: MondayError) -> Finding:
    monday = cfg.settings.monday
    if isinstance(exc, MondayAuthError):
        return Finding(
            "error",
            "monday.token_env",
            f"{exc.message}: put a valid token in the environment variable {monday.token_env}",
        )
    if isinstance(exc, MondayApiError) and exc.code == "InvalidVersionException":
        return Finding("error", "monday.api_version", exc.message)
    if isinstance(exc, MondayTransportError):
        return Finding(
            "error",
            "monday.api_url_env",
            f"cannot reach the monday API at {cfg.api_url}: {exc.message} (the URL comes from "
            f"{monday.api_url_env}, default {monday.default_api_url})",
        )
    if isinstance(exc, MondayRateLimitError):
        return Finding("error", "monday.token_env", f"rate-limited by monday: {exc.message}")
    return Finding("error", "monday.api_url_env", f"the monday API failed: {exc.message}")


async def check_board(
    cfg: AppConfig, db: DatabaseFacts, *, client: MondayClient | None = None
) -> tuple[list[Finding], BoardFacts, list[str]]:
    """Token, boards, columns and column types. ``client`` is for tests; by default
    one is built from the configuration and closed afterwards."""
    findings: list[Finding] = []
    notes: list[str] = []
    facts = BoardFacts()
    monday = cfg.settings.monday
    if client is None:
        token = cfg.token.get_secret_value() if cfg.token else ""
        if not token.strip():
            findings.append(
                Finding(
                    "error",
                    "monday.token_env",
                    f"no monday API token: set the environment variable {monday.token_env} "
                    "(or put it in a .env file); the board could not be checked",
                )
            )
            return findings, facts, notes
        own = doctor_client(cfg, token)
    else:
        own = None
    api = client or own
    assert api is not None
    try:
        try:
            probe = await api.execute(PROBE, idempotent=True, operation="doctor_probe")
        except MondayError as exc:
            findings.append(_api_failure(cfg, exc))
            return findings, facts, notes
        facts.token_ok = True
        data = probe.data or {}
        user = (data.get("me") or {}).get("name") or "?"
        version = (data.get("version") or {}).get("value") or monday.api_version
        notes.append(f"monday API at {cfg.api_url}: token accepted (user {user!r}, API {version})")
        for check in (check_api_version(cfg, data), check_token_kind(cfg, probe.headers)):
            findings += check[0]
            notes += check[1]
        notes.append(budget_note(cfg))
        if cfg.settings.bulk.mode != "off":
            try:
                bulk = await api.execute(
                    BULK_PROBE,
                    idempotent=True,
                    operation="doctor_bulk_probe",
                    api_version=cfg.settings.bulk.api_version,
                )
                bulk_data = bulk.data
            except MondayError:
                bulk_data = None
            found, said = check_bulk_user(cfg, bulk_data)
            findings += found
            notes += said
        await _boards(cfg, api, db, facts, findings, notes)
    finally:
        if own is not None:
            await own.aclose()
    return findings, facts, notes


async def _fetch(api: MondayClient, ids: list[str]) -> dict[str, Board]:
    doc = documents.single(board_schema_document(api.api_version), {"board_ids": ids})
    response = await api.execute(doc, idempotent=True)
    boards = (response.data or {}).get("boards") or []
    return {str(b["id"]): Board.from_json(b) for b in boards if b}


async def _boards(
    cfg: AppConfig,
    api: MondayClient,
    db: DatabaseFacts,
    facts: BoardFacts,
    findings: list[Finding],
    notes: list[str],
) -> None:
    env, name = cfg.env, cfg.env_name
    items_key = f"environments.{name}.items_board_id"
    sub_key = f"environments.{name}.subitems_board_id"
    wanted = [env.items_board_id] + ([env.subitems_board_id] if env.subitems_board_id else [])
    try:
        boards = await _fetch(api, wanted)
    except MondayError as exc:
        findings.append(_api_failure(cfg, exc))
        return
    items = boards.get(env.items_board_id)
    if items is None:
        findings.append(
            Finding(
                "error",
                items_key,
                f"items board {env.items_board_id} does not exist (or the token cannot read it)",
            )
        )
        return
    if items.type == SUB_ITEMS_BOARD_TYPE:
        findings.append(
            Finding(
                "error",
                items_key,
                f"board {items.id} {items.name!r} is a subitems board; set the id of the board "
                "that holds the orders",
            )
        )
    facts.items = items
    notes.append(
        f"items board {items.id} {items.name!r}: {_count(len(items.columns), 'column')}, "
        f"{_count(len(items.groups), 'group')}"
    )
    findings += _key_column(cfg, items)
    findings += _duplicate_groups(cfg, items)
    facts.pairs += check_columns(
        items, cfg.settings.monday.items.columns, "items", db.columns("target"), findings
    )

    linked = discover_subitems_board_id(items)
    sub_id = env.subitems_board_id or linked
    if sub_id is None:
        findings.append(
            Finding(
                "error",
                sub_key,
                f"board {items.id} {items.name!r} has no subitems column and {sub_key} is not "
                "set: add a Subitems column on the board with the mapped subitem columns "
                "(size, qty), or set the subitems board id",
            )
        )
        return
    if env.subitems_board_id and linked and linked != env.subitems_board_id:
        findings.append(
            Finding(
                "error",
                sub_key,
                f"subitems board {env.subitems_board_id} is configured, but the subitems column "
                f"of board {items.id} links to {linked} (where monday creates subitems): "
                f"set it to {linked} or leave it unset",
            )
        )
    sub = boards.get(sub_id)
    if sub is None and sub_id not in wanted:
        try:
            sub = (await _fetch(api, [sub_id])).get(sub_id)
        except MondayError as exc:
            findings.append(_api_failure(cfg, exc))
            return
    if sub is None:
        origin = "configured" if env.subitems_board_id else "linked from the subitems column"
        findings.append(
            Finding(
                "error",
                sub_key,
                f"subitems board {sub_id} ({origin}) does not exist (or the token cannot read it)",
            )
        )
        return
    if sub.type != SUB_ITEMS_BOARD_TYPE:
        findings.append(
            Finding(
                "error",
                sub_key,
                f"board {sub.id} {sub.name!r} is not a subitems board (type {sub.type!r})",
            )
        )
    facts.subitems = sub
    notes.append(f"subitems board {sub.id} {sub.name!r}: {_count(len(sub.columns), 'column')}")
    facts.pairs += check_columns(
        sub, cfg.settings.monday.subitems.columns, "subitems", _line_columns(cfg, db), findings
    )


def _duplicate_groups(cfg: AppConfig, items: Board) -> list[Finding]:
    """Group titles present more than once: items of one customer and season split
    over two groups. The next sync folds duplicates of its own groups into one."""
    out = []
    for title in items.duplicate_group_titles:
        ids = [g.id for g in items.groups if g.title == title]
        out.append(
            Finding(
                "warning",
                "names.group",
                f"group title {title!r} is on board {items.id} {len(ids)} times ({', '.join(ids)}): "
                "the next sync moves the items of the duplicates into the group the database "
                "knows and archives the empty duplicates (a group of this tool's; other groups "
                "are left alone)",
            )
        )
    return out


def _key_column(cfg: AppConfig, items: Board) -> list[Finding]:
    key_col = cfg.settings.monday.business_key_column
    column = items.columns.get(key_col)
    if column is None:
        return [
            Finding(
                "error",
                "monday.business_key_column",
                f"business key column {key_col!r} is not on board {items.id} {items.name!r}",
            )
        ]
    if column.type != "text":
        return [
            Finding(
                "error",
                "monday.business_key_column",
                f"business key column {key_col!r} ({column.title!r}) is a {column.type} column; "
                "it must be a text column: items are found again by an exact text match on "
                "the order's key",
            )
        ]
    return []


def _line_columns(cfg: AppConfig, db: DatabaseFacts) -> dict[str, LiveColumn]:
    """The lines table's live columns, or the columns init-db would create."""
    if db.has("lines"):
        return db.columns("lines")
    names = TableNames(
        target=cfg.env.target_table,
        lines=cfg.env.lines_table,
        groups=cfg.settings.tables.groups,
        runs=cfg.settings.tables.runs,
        api_log=cfg.settings.tables.api_log,
    )
    lines = owned_metadata(names).tables[cfg.env.lines_table]
    return {c.name: _declared(c) for c in lines.columns}


def _declared(col: SaColumn[Any]) -> LiveColumn:
    return LiveColumn(col.name, col.type, bool(col.nullable), str(col.type))


def check_columns(
    board: Board,
    mapping: Mapping[str, str],
    which: str,
    db_columns: dict[str, LiveColumn],
    findings: list[Finding],
) -> list[MappedPair]:
    """Each mapped column: on the board, writable, of a type that can take the
    database column's kind. Appends findings; returns the pairs for the data checks."""
    key = f"monday.{which}.columns"
    pairs: list[MappedPair] = []
    for db_col, col_id in mapping.items():
        column = board.columns.get(col_id)
        if column is None:
            findings.append(
                Finding(
                    "error",
                    key,
                    f"monday column {col_id!r} (mapped from {db_col!r}) is not on board "
                    f"{board.id} {board.name!r}{_same_title(board, db_col)}",
                )
            )
            continue
        if column.type not in SUPPORTED_TYPES:
            findings.append(
                Finding(
                    "error",
                    key,
                    f"monday column {col_id!r} {column.title!r} (mapped from {db_col!r}) is a "
                    f"{column.type} column, which this tool cannot write (it writes: "
                    f"{', '.join(sorted(SUPPORTED_TYPES - {'name'}))})",
                )
            )
            continue
        live = db_columns.get(db_col)
        if live is None:
            pairs.append(MappedPair(which, db_col, column, None, "", None))
            continue
        kind = db_kind(live)
        result = verdict(kind, column.type)
        type_sql = _type_name(live)
        pairs.append(MappedPair(which, db_col, column, kind, type_sql, result))
        if kind == "unknown":
            findings.append(
                Finding(
                    "warning",
                    key,
                    f"database column {db_col!r} has a type the doctor does not recognise "
                    f"({type_sql}); whether {column.type} column {col_id!r} can take it "
                    "is checked against the values only",
                )
            )
        elif result == NO:
            findings.append(
                Finding(
                    "error",
                    key,
                    f"{db_col!r} is a {KIND_NAMES[kind]} database column ({type_sql}) "
                    f"mapped to {column.type} column {col_id!r} {column.title!r}, which cannot "
                    f"take {KIND_NAMES[kind]} values: map it to a {SUGGEST[kind]} column",
                )
            )
    return pairs


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _type_name(live: LiveColumn) -> str:
    """The type as the database reflects it (NVARCHAR(255)), else as compiled."""
    try:
        return str(live.type)
    except Exception:  # a reflected type that cannot render itself
        return live.type_sql


def _same_title(board: Board, db_col: str) -> str:
    wanted = db_col.casefold().strip()
    for column in board.columns.values():
        if column.title.casefold().strip() == wanted:
            return f"; a {column.type} column titled {column.title!r} has id {column.id!r}"
    return ""


def check_pairs(facts: BoardFacts) -> list[MappedPair]:
    """The pairs whose values must be checked one by one (verdict ``check``)."""
    return [p for p in facts.pairs if p.verdict == CHECK]
