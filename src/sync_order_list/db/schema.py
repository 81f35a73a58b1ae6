"""The tables the tool owns and the sync columns it adds to the orders table.

Owned tables (lines, group cache, run history, API log) are SQLAlchemy Core tables,
created per dialect by ``metadata.create_all``. The orders table belongs to the user:
``init-db`` only adds the sync columns it lacks, one ``ALTER TABLE`` each.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Unicode,
    UnicodeText,
    UniqueConstraint,
)
from sqlalchemy.dialects import mssql
from sqlalchemy.sql.sqltypes import TypeEngine

SYNC_STATES = ("NEW", "PENDING", "SYNCED", "ERROR")
ACTION_TYPES = ("INSERT", "UPDATE", "DELETE")

Timestamp = DateTime().with_variant(mssql.DATETIME2(), "mssql")
LongText = UnicodeText()


def _state_check(column: str) -> str:
    states = ", ".join(f"'{s}'" for s in SYNC_STATES)
    return f"{column} IN ({states})"


@dataclass(frozen=True)
class SyncColumn:
    """A column ``init-db`` adds to the orders table when it is missing."""

    name: str
    type: TypeEngine  # type: ignore[type-arg]
    default: str | int | None = None
    check_states: bool = False


ORDER_SYNC_COLUMNS: tuple[SyncColumn, ...] = (
    SyncColumn("record_uuid", String(36)),
    SyncColumn("action_type", String(10)),
    SyncColumn("sync_state", String(10), default="NEW", check_states=True),
    SyncColumn("monday_item_id", String(20)),
    SyncColumn("group_name", Unicode(1000)),
    SyncColumn("group_id", String(64)),
    SyncColumn("item_name", Unicode(1000)),
    SyncColumn("row_hash", String(64)),
    SyncColumn("synced_hash", String(64)),
    SyncColumn("synced_values", LongText),
    SyncColumn("merged_at", Timestamp),
    SyncColumn("sync_attempted_at", Timestamp),
    SyncColumn("sync_completed_at", Timestamp),
    SyncColumn("sync_error", LongText),
    SyncColumn("retry_count", Integer(), default=0),
    SyncColumn("run_id", String(36)),
    SyncColumn("claim_expires_at", Timestamp),
    SyncColumn("sync_doc_key", String(64)),  # Idempotency-Key of the last document sent
)
SYNC_COLUMN_NAMES = frozenset(c.name for c in ORDER_SYNC_COLUMNS)


@dataclass(frozen=True)
class TableNames:
    target: str
    lines: str
    groups: str
    runs: str
    api_log: str
    documents: str = "SYNC_DOCUMENTS"
    bulk_jobs: str = "SYNC_BULK_JOBS"
    schema: str | None = None


def owned_metadata(names: TableNames) -> MetaData:
    """The tool's own tables, named as the configuration says."""
    md = MetaData(schema=names.schema)
    Table(
        names.lines,
        md,
        Column("line_id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("record_uuid", String(36), nullable=False),
        Column("order_key", Unicode(100), nullable=False),
        Column("size_code", Unicode(100), nullable=False),
        Column("size_position", Integer, nullable=False),
        Column("qty", Integer, nullable=False),
        Column("action_type", String(10), nullable=False),
        Column("sync_state", String(10), nullable=False, server_default="PENDING"),
        Column("monday_subitem_id", String(20)),
        Column("synced_qty", Integer),
        Column("merged_at", Timestamp),
        Column("sync_attempted_at", Timestamp),
        Column("sync_completed_at", Timestamp),
        Column("sync_error", LongText),
        Column("retry_count", Integer, nullable=False, server_default="0"),
        Column("run_id", String(36)),
        Column("claim_expires_at", Timestamp),
        Column("sync_doc_key", String(64)),
        UniqueConstraint("record_uuid", "size_code", name=f"uq_{names.lines}_size"),
        CheckConstraint(_state_check("sync_state"), name=f"ck_{names.lines}_state"),
        CheckConstraint(
            "action_type IN ('INSERT', 'UPDATE', 'DELETE')", name=f"ck_{names.lines}_action"
        ),
        Index(f"ix_{names.lines}_state", "sync_state"),
        Index(f"ix_{names.lines}_order", "order_key"),
    )
    Table(
        names.groups,
        md,
        Column("board_id", String(20), nullable=False),
        Column("group_name", Unicode(255), nullable=False),
        Column("group_id", String(64), nullable=False),
        Column("created_at", Timestamp),
        Column("run_id", String(36)),
        PrimaryKeyConstraint("board_id", "group_name", name=f"pk_{names.groups}"),
    )
    Table(
        names.runs,
        md,
        Column("run_id", String(36), primary_key=True),
        Column("environment", String(50), nullable=False),
        Column("command", String(50), nullable=False),
        Column("started_at", Timestamp, nullable=False),
        Column("finished_at", Timestamp),
        Column("outcome", String(20)),
        Column("dry_run", Integer, nullable=False, server_default="0"),
        Column("phases", LongText),
        Column("counts", LongText),
        Column("api_requests", Integer),
        Column("complexity_charged", BigInteger),
        Column("retries", Integer),
        Column("rate_limited", Integer),
        Column("synced_rows", Integer),
        Column("error_rows", Integer),
        Column("message", LongText),
        # a live run renews this; a run left "running" with a stale heartbeat is dead
        Column("heartbeat_at", Timestamp),
        Column("host", Unicode(255)),
        Column("pid", Integer),
    )
    Table(
        names.api_log,
        md,
        Column("log_id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("run_id", String(36)),
        Column("at", Timestamp, nullable=False),
        Column("operation", String(100), nullable=False),
        Column("record_keys", LongText),
        Column("request_payload", LongText),
        Column("response_payload", LongText),
        Column("status", String(20), nullable=False),
        Column("http_status", Integer),
        Column("duration_ms", Integer),
        Column("complexity", BigInteger),
        Column("request_id", String(100)),
        Column("attempt", Integer),
        Index(f"ix_{names.api_log}_run", "run_id"),
    )
    Table(
        names.documents,
        md,
        # one mutation document: recorded before it is sent, under its Idempotency-Key
        Column("doc_key", String(64), primary_key=True),
        Column("run_id", String(36), nullable=False),
        Column("board_id", String(20), nullable=False),
        Column("created_at", Timestamp, nullable=False),
        Column("finished_at", Timestamp),
        Column("state", String(12), nullable=False),
        Column("body", LongText, nullable=False),
        Column("ops", LongText, nullable=False),
        Column("message", LongText),
        CheckConstraint(
            "state IN ('SENDING', 'DONE', 'UNKNOWN', 'FAILED')", name=f"ck_{names.documents}_state"
        ),
        Index(f"ix_{names.documents}_state", "state", "created_at"),
    )
    Table(
        names.bulk_jobs,
        md,
        # one bulk import job: recorded before it is started, and after every step
        Column("job_key", String(64), primary_key=True),  # the start's Idempotency-Key
        Column("run_id", String(36), nullable=False),
        Column("board_id", String(20), nullable=False),
        Column("group_id", String(64), nullable=False),
        Column("operation", String(10), nullable=False),
        Column("state", String(16), nullable=False),
        Column("job_id", String(64)),
        Column("upload_url", LongText),
        Column("upload_expires_at", Timestamp),
        Column("created_at", Timestamp, nullable=False),
        Column("started_at", Timestamp),
        Column("updated_at", Timestamp, nullable=False),
        Column("item_rows", Integer, nullable=False),
        Column("file_rows", Integer, nullable=False),
        Column("items_charged", Integer),  # the hourly item budget it used, once known
        Column("file", LongText, nullable=False),
        Column("row_map", LongText, nullable=False),
        Column("counts", LongText),
        Column("message", LongText),
        CheckConstraint(
            "state IN ('PREPARED', 'UPLOAD_PENDING', 'UPLOADED', 'PROCESSING', 'COMPLETED', "
            "'FAILED', 'REJECTED', 'SETTLED', 'ABANDONED')",
            name=f"ck_{names.bulk_jobs}_state",
        ),
        Index(f"ix_{names.bulk_jobs}_created", "created_at"),
    )
    return md
