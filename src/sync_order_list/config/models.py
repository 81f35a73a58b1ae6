"""Typed settings, one model a TOML section.

Every model forbids unknown keys, so a typo fails at load time naming the key.
Secrets (API token, database URL) are never read from the TOML file: the file only
names the environment variables that hold them.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EnvironmentSettings(_Section):
    """One deployment target: which tables, which database, which board."""

    # the file spells it `schema` only (db_schema is the attribute's name in code)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    source_table: str = Field(description="staging table the orders land in")
    target_table: str = Field(description="the ORDER_LIST table the tool merges into")
    lines_table: str = Field(description="the table of size lines the tool owns")
    db_schema: str | None = Field(
        default=None, alias="schema", description="database schema of all tables"
    )
    database_url_env: str = Field(
        default="SYNC_ORDER_LIST_DB_URL",
        description="environment variable holding the database URL",
    )
    items_board_id: str = Field(description="monday board that holds one item per order")
    subitems_board_id: str | None = Field(
        default=None,
        description="subitems board; discovered from the board's subtasks column if unset",
    )
    protected: bool = Field(
        default=False, description="writes need --execute (production is protected)"
    )

    @field_validator("items_board_id", "subitems_board_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("items_board_id", "subitems_board_id")
    @classmethod
    def _numeric_id(cls, value: str | None) -> str | None:
        if value is not None and not value.isdigit():
            raise ValueError(f"a monday board id is a number, got {value!r}")
        return value


class SizeColumnSettings(_Section):
    """Size columns are the columns strictly between these two marker columns."""

    start_after: str = "UNIT OF MEASURE"
    end_before: str = "TOTAL QTY"


class MergeSettings(_Section):
    business_key: str = Field(
        default="AAG ORDER NUMBER", description="column that identifies an order"
    )
    customer_column: str = Field(
        default="CUSTOMER NAME",
        description="column that names the customer (reports, --customer)",
    )
    mode: Literal["snapshot", "incremental"] = Field(
        default="snapshot",
        description="snapshot: an order missing from staging is deleted; incremental: never",
    )
    hash_columns: list[str] | Literal["mapped"] = Field(
        default="mapped",
        description='columns of the row hash; "mapped" = every mapped and name-rule column',
    )
    key_case: Literal["upper", "lower", "preserve"] = Field(
        default="upper",
        description="case rule of the canonical business key (monday's lookup ignores case)",
    )
    size_columns: SizeColumnSettings = SizeColumnSettings()
    max_delete_fraction: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="snapshot mode refuses to delete more than this share of live orders",
    )


class GroupNameRule(_Section):
    columns: list[str] = Field(min_length=1)
    fallback_columns: list[str] = []
    separator: str = " "
    fallback_value: str = "check"


class ItemNameRule(_Section):
    columns: list[str] = Field(min_length=1)
    separator: str = " "
    fallback_value: str | None = Field(
        default=None, description="used when every column is empty; default: the business key"
    )


class SubitemNameRule(_Section):
    template: str = "Size {size_code}"

    @field_validator("template")
    @classmethod
    def _known_fields(cls, value: str) -> str:
        allowed = {"size_code", "qty", "key"}
        used = set(re.findall(r"{(\w*)}", value))
        unknown = used - allowed
        if unknown:
            raise ValueError(
                f"unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(allowed)}"
            )
        return value


class NameSettings(_Section):
    group: GroupNameRule
    item: ItemNameRule
    subitem: SubitemNameRule = SubitemNameRule()


class BoardMapping(_Section):
    """Database column -> monday column id, plus label creation per monday column."""

    columns: dict[str, str] = Field(min_length=1)
    create_labels_if_missing: dict[str, bool] = {}

    def creates_labels(self, column_id: str) -> bool:
        flags = self.create_labels_if_missing
        return flags.get(column_id, flags.get("default", False))


class MondaySettings(_Section):
    api_version: str = "2026-10"
    api_url_env: str = "MONDAY_API_URL"
    default_api_url: str = "https://api.monday.com/v2"
    token_env: str = "MONDAY_API_TOKEN"
    business_key_column: str = Field(
        description="text column on the items board that holds the order's business key"
    )
    delete_action: Literal["archive", "delete"] = "archive"
    items: BoardMapping
    subitems: BoardMapping

    @field_validator("api_version")
    @classmethod
    def _version_format(cls, value: str) -> str:
        if not re.fullmatch(r"\d{4}-(01|04|07|10)", value):
            raise ValueError(f"API versions look like 2025-04 (quarterly), got {value!r}")
        return value


class BatchSettings(_Section):
    items_per_request: int = Field(default=100, ge=1, le=500)
    subitems_per_request: int = Field(default=200, ge=1, le=500)
    concurrency: int = Field(default=4, ge=1, le=250)
    # above monday's 60 s call limit, so a call monday cuts comes back as its 504
    timeout_seconds: float = Field(default=75.0, gt=0)
    max_retries: int = Field(default=5, ge=0)
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)
    document_seconds: float = Field(
        default=45.0,
        gt=0,
        description="a mutation document is sized to take at most about this long on "
        "monday's side (monday cuts every call at call_limit_seconds)",
    )
    call_limit_seconds: float = Field(
        default=60.0, gt=0, description="monday cuts every API call after this long"
    )
    initial_seconds_per_mutation: float = Field(
        default=0.5,
        gt=0,
        description="server time per mutation assumed until monday's responses show it",
    )
    max_lock_wait_seconds: float = Field(
        default=300.0,
        ge=0,
        description="most seconds one document waits out 409/423 answers (board locked)",
    )

    @model_validator(mode="after")
    def _under_the_call_limit(self) -> BatchSettings:
        if self.document_seconds > 0.92 * self.call_limit_seconds:
            raise ValueError(
                f"document_seconds ({self.document_seconds:g}) must stay well under "
                f"call_limit_seconds ({self.call_limit_seconds:g}): at most 92% of it"
            )
        return self


class RateSettings(_Section):
    complexity_budget: int = Field(default=10_000_000, ge=1)
    window_seconds: float = Field(default=60.0, gt=0)
    max_query_complexity: int = Field(default=5_000_000, ge=1)
    requests_per_minute: int = Field(default=1_000, ge=1)
    max_concurrency: int = Field(default=40, ge=1)
    budget_share: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="share of the account's complexity budget this tool may spend",
    )
    token_kind: Literal["personal", "app"] = Field(
        default="personal",
        description="personal: one budget for reads and writes; app: separate budgets",
    )
    read_budget: int = Field(default=5_000_000, ge=1, description="app token: query budget")
    write_budget: int = Field(default=5_000_000, ge=1, description="app token: mutation budget")


class SyncSettings(_Section):
    max_error_retries: int = Field(default=3, ge=0)
    claim_ttl_seconds: int = Field(default=900, ge=1)
    heartbeat_seconds: float = Field(
        default=10.0, gt=0, description="a running sync renews its heartbeat this often"
    )
    dead_after_heartbeats: int = Field(
        default=4,
        ge=2,
        description="a run whose heartbeat is this many intervals old is dead: its rows "
        "are taken over at once",
    )
    grace_seconds: float = Field(
        default=20.0,
        ge=0,
        description="on SIGTERM/SIGINT, documents in flight may finish for this long",
    )
    replay_window_seconds: float = Field(
        default=1500.0,
        ge=0,
        le=1800,
        description="a document left unanswered is replayed under its Idempotency-Key "
        "while younger than this (monday keeps responses 30 minutes); older ones are "
        "looked up by key",
    )
    group_wait_seconds: float = Field(
        default=60.0, gt=0, description="how long to wait for another run creating a group"
    )


class BulkSettings(_Section):
    """monday's asynchronous bulk import (``ingest_items`` / ``backfill_items``) for
    orders that have no item yet: see docs/real-monday.md#bulk-import-for-first-loads."""

    mode: Literal["off", "ingest", "backfill"] = Field(
        default="off",
        description="off: every order through the regular API; ingest: ingest_items with "
        "UPSERT on the business-key column; backfill: backfill_items (account admins only; "
        "no automations, no activity log, no hourly item budget)",
    )
    min_orders: int = Field(
        default=1000,
        ge=1,
        description="a run with fewer orders to create than this uses the regular path only",
    )
    min_job_orders: int = Field(
        default=50, ge=1, description="the bulk lane starts no job smaller than this"
    )
    api_version: str = Field(
        default="2026-10",
        description="API version of the bulk calls (2026-07 or later, whatever "
        "monday.api_version is)",
    )
    max_rows_per_job: int | None = Field(
        default=None,
        ge=2,
        description="rows (items and subitems) a job holds; unset: monday's limit for the mode "
        "(10,000 ingest, 20,000 backfill)",
    )
    concurrent_jobs: int = Field(
        default=4,
        ge=1,
        le=20,
        description="jobs started at once (monday does not say whether an account's jobs "
        "are processed side by side or in turn; the emulator takes them in turn)",
    )
    jobs_per_hour: int = Field(
        default=100, ge=1, description="monday's job starts an hour per account (both mutations)"
    )
    ingest_items_per_hour: int = Field(
        default=19_000, ge=1, description="monday's ingest_items item creates/updates an hour"
    )
    hourly_share: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="share of the account's hourly job and item budgets this tool takes",
    )
    window_seconds: float = Field(
        default=3600.0, gt=0, description="the hour of monday's bulk budgets"
    )
    poll_seconds: float = Field(
        default=10.0, gt=0, description="how often a running job's status is fetched"
    )
    upload_url_seconds: float = Field(
        default=600.0, gt=0, description="an upload URL's life (monday: 10 minutes)"
    )
    job_timeout_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="a job still unfinished after this is left in flight for the next run",
    )

    @field_validator("api_version")
    @classmethod
    def _bulk_version(cls, value: str) -> str:
        if not re.fullmatch(r"\d{4}-(01|04|07|10)", value):
            raise ValueError(f"API versions look like 2026-07 (quarterly), got {value!r}")
        if value < "2026-07":
            raise ValueError(f"bulk import needs API version 2026-07 or later, got {value!r}")
        return value

    def rows_per_job(self) -> int:
        limit = 10_000 if self.mode == "ingest" else 20_000
        return min(limit, self.max_rows_per_job or limit)


class ReportSettings(_Section):
    directory: str = "reports"
    # kept so existing files load; a run is a success only with no errors and no rejects
    success_threshold: float = Field(default=0.95, ge=0, le=1)
    attention_threshold: float = Field(default=0.80, ge=0, le=1)
    keep_runs: int = Field(
        default=100, ge=1, description="run report directories kept; the oldest go first"
    )

    @model_validator(mode="after")
    def _ordered(self) -> ReportSettings:
        if self.attention_threshold > self.success_threshold:
            raise ValueError("attention_threshold must not exceed success_threshold")
        return self


class MonitoringSettings(_Section):
    pending_max_age_minutes: float = Field(default=120, gt=0)
    in_flight_max_age_minutes: float = Field(default=30, gt=0)
    error_share_threshold: float = Field(default=0.05, ge=0, le=1)
    heartbeat_max_age_minutes: float = Field(
        default=30, gt=0, description="a run still running unheard of this long is dead"
    )
    abandoned_window_hours: float = Field(
        default=24, gt=0, description="check reports runs abandoned within this window"
    )
    verify_max_age_hours: float | None = Field(
        default=None, gt=0, description="check warns when no verify ran within this; unset: off"
    )
    metrics_file: str | None = None


class TableSettings(_Section):
    groups: str = "SYNC_GROUPS"
    runs: str = "SYNC_RUNS"
    api_log: str = "SYNC_API_LOG"
    documents: str = "SYNC_DOCUMENTS"
    bulk_jobs: str = "SYNC_BULK_JOBS"


class Settings(_Section):
    """The whole TOML file."""

    default_environment: str = "development"
    environments: dict[str, EnvironmentSettings] = Field(min_length=1)
    merge: MergeSettings = MergeSettings()
    names: NameSettings
    monday: MondaySettings
    batch: BatchSettings = BatchSettings()
    rate: RateSettings = RateSettings()
    sync: SyncSettings = SyncSettings()
    bulk: BulkSettings = BulkSettings()
    reports: ReportSettings = ReportSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    tables: TableSettings = TableSettings()

    @model_validator(mode="after")
    def _default_env_exists(self) -> Settings:
        if self.default_environment not in self.environments:
            raise ValueError(
                f"default_environment {self.default_environment!r} has no "
                f"[environments.{self.default_environment}] section"
            )
        return self

    def hash_columns(self) -> list[str]:
        """The columns of the row hash, in a stable order, without duplicates."""
        if self.merge.hash_columns != "mapped":
            return list(dict.fromkeys(self.merge.hash_columns))
        cols: list[str] = []
        cols += self.names.group.columns + self.names.group.fallback_columns
        cols += self.names.item.columns
        cols += list(self.monday.items.columns)
        return [c for c in dict.fromkeys(cols) if c != self.merge.business_key]
