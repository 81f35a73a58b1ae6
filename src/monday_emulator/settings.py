"""Settings of the emulator: limits (monday's values by default), faults, identity.

Everything here can be changed at start (``--settings key=value``), from Python
(``EmulatorSettings(...)``) or at run time (``POST /admin/settings``,
``POST /admin/faults``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, get_type_hints

BOARD_LOCK_MODES = ("423", "off", "corrupt")
INVALID_INPUT_MODES = ("alias", "http500")
SERVER_TIME_DISTRIBUTIONS = ("fixed", "uniform", "exponential", "lognormal")
TOKEN_KINDS = ("personal", "app")

FAULT_KINDS = (
    "status",
    "hang",
    "drop_after_apply",
    "drop_before_apply",
    "latency",
    "rate_limit",
)


@dataclass
class ScriptedFault:
    """One scripted fault: the ``at``-th API request (1-based, counted from the
    moment the script is set) fails this way.

    kinds: ``status`` (HTTP ``status``, 500/502/503/504), ``hang`` (wait
    ``seconds`` then close the connection, nothing applied), ``drop_after_apply``
    (the document is executed and committed, then the connection is closed with no
    response), ``drop_before_apply`` (connection closed, nothing applied),
    ``latency`` (``ms`` added, then served normally), ``rate_limit`` (a 429 with
    ``code`` and ``retry_in_seconds``, nothing applied or charged).
    """

    at: int
    kind: str
    status: int = 500
    seconds: float | None = None
    ms: float = 0.0
    code: str = "COMPLEXITY_BUDGET_EXHAUSTED"
    retry_in_seconds: int = 1

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScriptedFault:
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown scripted fault keys: {sorted(unknown)}")
        fault = cls(**data)
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {FAULT_KINDS}")
        if fault.at < 1:
            raise ValueError("'at' counts from 1")
        return fault


@dataclass
class FaultConfig:
    """Random and scripted faults. Rates are shares of API requests (0..1)."""

    latency_ms: float = 0.0
    latency_max_ms: float | None = None
    error_rate: float = 0.0
    error_statuses: list[int] = field(default_factory=lambda: [500, 502, 503])
    hang_rate: float = 0.0
    hang_seconds: float = 65.0
    drop_after_apply_rate: float = 0.0
    seed: int | None = None
    script: list[ScriptedFault] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        data = dict(data)
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        script = [
            s if isinstance(s, ScriptedFault) else ScriptedFault.from_dict(s)
            for s in data.pop("script", []) or []
        ]
        config = cls(**data, script=script)
        for name in ("error_rate", "hang_rate", "drop_after_apply_rate"):
            value = getattr(config, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        return config

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def active(self) -> bool:
        return bool(
            self.latency_ms
            or self.latency_max_ms
            or self.error_rate
            or self.hang_rate
            or self.drop_after_apply_rate
            or self.script
        )


DEFAULT_MUTATION_COSTS: dict[str, int] = {
    "create_item": 10_000,
    "create_subitem": 10_000,
    "change_multiple_column_values": 10_000,
    "change_column_value": 10_000,
    "change_simple_column_value": 10_000,
    "move_item_to_group": 10_000,
    "archive_item": 10_000,
    "delete_item": 10_000,
    "create_group": 10_000,
    "delete_group": 10_000,
    "archive_group": 10_000,
    "update_group": 10_000,
    "create_board": 10_000,
    "archive_board": 10_000,
    "delete_board": 10_000,
    "create_column": 10_000,
    "change_column_title": 10_000,
    # bulk import (API 2026-07+): monday publishes no cost; priced as the other mutations
    "ingest_items": 10_000,
    "backfill_items": 10_000,
}


@dataclass
class EmulatorSettings:
    """All knobs of the emulator. Defaults are monday's values for an Enterprise
    account with a personal token (see docs/emulator.md)."""

    # identity and transport
    token: str = "dev-token"
    accept_bearer: bool = True
    api_version_default: str = "2026-10"  # monday's current version (2026-11-29)
    remove_settings_str: bool = False  # drop Column.settings_str where settings exists
    account_id: int = 9_876_543
    account_name: str = "Emulated Account"
    account_slug: str = "emulated"
    user_id: int = 12_345_678
    user_name: str = "Emulator User"
    user_email: str = "emulator@example.com"

    # complexity
    complexity_budget: int = 10_000_000
    window_seconds: float = 60.0
    max_complexity_per_query: int = 5_000_000
    mutation_costs: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MUTATION_COSTS))
    default_list_size: int = 25
    columns_list_size: int = 50
    column_values_list_size: int = 50

    # document limits (the emulator's own guards: monday publishes none)
    max_query_depth: int | None = 30
    max_query_tokens: int | None = 100_000

    # request limits (None disables)
    requests_per_minute: int | None = 5_000
    max_concurrency: int | None = 250
    daily_limit: int | None = None
    ip_requests_per_10s: int | None = 5_000

    # more throttles (docs/emulator.md, "Rules for writers")
    mutations_per_minute: int | None = 2_000
    field_concurrency_limit: int | None = None
    field_requests_per_minute: int | None = None
    daily_call_weight_points: int | None = 1_000_000
    token_kind: str = "personal"
    app_complexity_budget: int = 5_000_000

    # time: the emulator's clock, server time per mutation, the 60-second limit
    clock_speed: float = 1.0
    mutation_ms_mean: float = 400.0
    query_ms_mean: float = 50.0
    server_time_distribution: str = "lognormal"
    server_time_seed: int | None = None
    call_timeout_seconds: float | None = 60.0

    # rules for writers
    board_lock: str = "423"
    idempotency_ttl_seconds: float = 1_800.0
    invalid_input_errors: str = "alias"

    # data limits
    items_per_board: int = 10_000
    status_labels_max: int = 40
    items_page_max_limit: int = 500
    items_ids_max: int = 100
    cursor_ttl_seconds: float = 3600.0
    long_text_max_chars: int | None = 2_000
    name_max_chars: int = 255

    # bulk import (ingest_items / backfill_items, API 2026-07+; docs/emulator.md,
    # "Bulk import", gives each source or says it is an assumption)
    user_is_admin: bool = True  # the token's user is an account admin (backfill_items)
    bulk_jobs_per_hour: int | None = 100  # job starts, both mutations together
    bulk_ingest_items_per_hour: int | None = 19_000  # ingest creates + updates per account
    bulk_window_seconds: float = 3600.0  # the rolling hour of the two budgets above
    bulk_ingest_max_rows: int = 10_000
    bulk_backfill_max_rows: int = 20_000
    bulk_max_file_bytes: int = 150_000_000  # 150 MB
    bulk_upload_url_ttl_seconds: float = 600.0
    bulk_report_url_ttl_seconds: float = 600.0
    bulk_rows_per_second: float | None = 50.0  # assumption: monday publishes no rate
    bulk_jobs_at_once: int | None = 1  # assumption: an account's jobs are processed in turn

    # faults
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        for key in (*_CHOICES, *_NOT_NEGATIVE, *_POSITIVE):
            _check(key, getattr(self, key))

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["token"] = "***"
        return data

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update (JSON-like values); unknown keys raise ValueError."""
        hints = get_type_hints(EmulatorSettings)
        names = {f.name for f in dataclasses.fields(self)}
        for key, value in changes.items():
            if "." in key:
                head, _, sub = key.partition(".")
                if head != "faults":
                    raise ValueError(f"unknown setting {key!r}")
                merged = self.faults.to_dict()
                merged[sub] = value
                self.faults = FaultConfig.from_dict(merged)
                continue
            if key not in names:
                raise ValueError(f"unknown setting {key!r}")
            if key == "faults":
                value = value if isinstance(value, FaultConfig) else FaultConfig.from_dict(value)
            elif key == "mutation_costs":
                merged_costs = dict(self.mutation_costs)
                merged_costs.update({str(k): int(v) for k, v in dict(value).items()})
                value = merged_costs
            else:
                value = _coerce(hints[key], value, key)
            _check(key, value)
            setattr(self, key, value)

    @classmethod
    def from_pairs(cls, pairs: list[str]) -> EmulatorSettings:
        """Build settings from ``key=value`` strings (values parsed as JSON when
        they are valid JSON, else taken as strings)."""
        settings = cls()
        settings.update(parse_pairs(pairs))
        return settings


_CHOICES: dict[str, tuple[str, ...]] = {
    "board_lock": BOARD_LOCK_MODES,
    "invalid_input_errors": INVALID_INPUT_MODES,
    "server_time_distribution": SERVER_TIME_DISTRIBUTIONS,
    "token_kind": TOKEN_KINDS,
}
_NOT_NEGATIVE = ("mutation_ms_mean", "query_ms_mean", "idempotency_ttl_seconds")
_POSITIVE = ("clock_speed", "call_timeout_seconds", "app_complexity_budget")


def _check(key: str, value: Any) -> None:
    """Values a setting can't take: an unknown mode, a negative time, a zero speed."""
    if key in _CHOICES and value not in _CHOICES[key]:
        raise ValueError(f"setting {key!r} must be one of {list(_CHOICES[key])}, got {value!r}")
    if value is None:
        return
    if key in _NOT_NEGATIVE and value < 0:
        raise ValueError(f"setting {key!r} can't be negative, got {value!r}")
    if key in _POSITIVE and not value > 0:
        raise ValueError(f"setting {key!r} must be above 0, got {value!r}")


def parse_pairs(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected key=value, got {pair!r}")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key.strip()] = value
    return out


def _coerce(hint: Any, value: Any, key: str) -> Any:
    text = str(hint)
    optional = "None" in text
    if value is None or (optional and isinstance(value, str) and value.lower() in ("none", "null")):
        if optional:
            return None
        raise ValueError(f"setting {key!r} cannot be null")
    try:
        if "bool" in text:
            if isinstance(value, str):
                return value.lower() in ("1", "true", "yes", "on")
            return bool(value)
        if "int" in text:
            return int(value)
        if "float" in text:
            return float(value)
        if "str" in text:
            return str(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bad value for setting {key!r}: {value!r}") from exc
    return value
