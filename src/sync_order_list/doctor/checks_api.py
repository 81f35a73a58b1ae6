"""Checks of the API itself, from the doctor's first query (``me``, ``version``,
``versions``) and the headers of its answer: is the configured API version offered
and supported, is the token the kind the configuration says, how much of the budget
the tool may spend. Pure: the facts come in, findings and notes go out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync_order_list.config import AppConfig, Finding
from sync_order_list.monday import ratelimit

#: The API versions this tool's tests run against (its documents validate against
#: the SDLs of the first and the last).
TESTED_VERSIONS = ("2025-04", "2025-07", "2025-10", "2026-01", "2026-04", "2026-07", "2026-10")

#: monday's VersionKind values that are still served but on their way out.
_MAINTENANCE = {
    "maintenance",
    "previous_maintenance",
    "old__maintenance",
    "old_previous_maintenance",
}
_UNSTABLE = {"release_candidate", "dev"}


def check_api_version(cfg: AppConfig, data: Mapping[str, Any]) -> tuple[list[Finding], list[str]]:
    """The configured ``monday.api_version`` against monday's ``versions`` list (kind:
    current, maintenance, deprecated, release_candidate, dev) and the ``version`` that
    answered."""
    key = "monday.api_version"
    configured = cfg.settings.monday.api_version
    findings: list[Finding] = []
    notes: list[str] = []
    offered = _versions(data.get("versions"))
    served = data.get("version") if isinstance(data.get("version"), Mapping) else {}
    served_value = str(served.get("value") or "") or None
    current = next((v for v, k in offered.items() if k == "current"), None)
    kind = offered.get(configured)
    if kind is None and served_value == configured and served.get("kind"):
        kind = str(served.get("kind"))
    move = f"set {key} to the current version {current}" if current else f"update {key}"
    if not offered and kind is None:
        notes.append(f"monday API version {configured}: monday did not list its versions")
    elif kind is None:
        listed = ", ".join(f"{v} ({k})" for v, k in sorted(offered.items()))
        findings.append(
            Finding(
                "error",
                key,
                f"API version {configured} is not one monday offers ({listed}): {move}",
            )
        )
    elif kind == "deprecated":
        findings.append(
            Finding(
                "error",
                key,
                f"API version {configured} is deprecated (no longer supported by monday): {move}",
            )
        )
    elif kind in _MAINTENANCE:
        findings.append(
            Finding(
                "warning",
                key,
                f"API version {configured} is a {kind.replace('_', ' ').strip()} version: "
                f"monday will deprecate it; {move}",
            )
        )
    elif kind in _UNSTABLE:
        findings.append(
            Finding(
                "warning",
                key,
                f"API version {configured} is a {kind.replace('_', ' ')} version and may "
                f"still change; {move} for a stable one",
            )
        )
    else:
        notes.append(f"monday API version {configured}: {kind}")
    if served_value and served_value != configured:
        findings.append(
            Finding(
                "warning",
                key,
                f"monday answered with API version {served_value}, not the configured "
                f"{configured} (monday serves a version it no longer supports with another "
                f"one): {move}",
            )
        )
    if configured not in TESTED_VERSIONS:
        findings.append(
            Finding(
                "warning",
                key,
                f"API version {configured} is outside the versions this tool is tested "
                f"with ({TESTED_VERSIONS[0]} to {TESTED_VERSIONS[-1]})",
            )
        )
    return findings, notes


def check_token_kind(cfg: AppConfig, headers: Mapping[str, str]) -> tuple[list[Finding], list[str]]:
    """``rate.token_kind`` against the budgets monday's ``RateLimit-Policy`` header
    shows: separate read and write budgets mean an app token, one combined budget a
    personal token. Also: a budget smaller than the configured one."""
    rate = cfg.settings.rate
    key = "rate.token_kind"
    findings: list[Finding] = []
    notes: list[str] = []
    info = ratelimit.parse(headers)
    pools = info.pools()
    if not pools:
        notes.append(
            f"token: {rate.token_kind} (rate.token_kind; monday's answer carried no "
            "complexity budget in a RateLimit-Policy header to confirm it)"
        )
        return findings, notes
    shown = info.describe()
    if info.separate_read_write and rate.token_kind == "personal":
        findings.append(
            Finding(
                "warning",
                key,
                f"monday reports separate read and write budgets ({shown}): this is an "
                'app token; set rate.token_kind = "app" so reads and writes are budgeted '
                "apart",
            )
        )
    elif "combined" in pools and not info.separate_read_write and rate.token_kind == "app":
        findings.append(
            Finding(
                "warning",
                key,
                f"monday reports one budget for reads and writes ({shown}): this is a "
                'personal token; set rate.token_kind = "personal"',
            )
        )
    else:
        notes.append(f"token: {rate.token_kind}, as monday's budgets show ({shown})")
    combined = info.policies.get(pools.get("combined", ""))
    if (
        rate.token_kind == "personal"
        and combined is not None
        and combined.quota is not None
        and combined.quota < rate.complexity_budget
    ):
        findings.append(
            Finding(
                "warning",
                "rate.complexity_budget",
                f"monday grants this token {combined.quota:,} complexity points per window, "
                f"less than rate.complexity_budget ({rate.complexity_budget:,}): the sync "
                f"follows monday; set rate.complexity_budget = {combined.quota} to plan with "
                "the real figure",
            )
        )
    return findings, notes


#: The bulk lane's question: who is the token's user (``User.kind``, 2026-10).
BULK_PROBE = "query doctor_bulk_probe { me { id kind } }"


def check_bulk_user(
    cfg: AppConfig, data: Mapping[str, Any] | None
) -> tuple[list[Finding], list[str]]:
    """``bulk.mode = "backfill"`` needs an account admin's token (monday refuses
    ``backfill_items`` to anyone else); ``data`` is the answer to ``BULK_PROBE``, asked
    with ``bulk.api_version`` (None: it could not be asked)."""
    bulk = cfg.settings.bulk
    if bulk.mode == "off":
        return [], []
    notes = [
        f"bulk import: {bulk.mode} for first loads of at least {bulk.min_orders} orders "
        f"(API {bulk.api_version}; {bulk.hourly_share:.0%} of the account's hourly job "
        "and item budgets)"
    ]
    kind = str(((data or {}).get("me") or {}).get("kind") or "")
    if bulk.mode == "backfill" and kind and kind != "admin":
        return [
            Finding(
                "error",
                "bulk.mode",
                f"bulk.mode = \"backfill\" needs an account admin's token, and this token's "
                f"user is {kind!r}: monday refuses backfill_items to anyone else (every job "
                'would fall back to the regular path); use bulk.mode = "ingest" or an '
                "admin's token",
            )
        ], notes
    if bulk.mode == "backfill" and not kind:
        notes.append("bulk import: could not read the token user's kind (admin needed)")
    return [], notes


def budget_note(cfg: AppConfig) -> str:
    """What ``rate.budget_share`` lets the tool spend."""
    rate = cfg.settings.rate
    share = rate.budget_share
    if rate.token_kind == "app":
        spend = (
            f"{round(rate.read_budget * share):,} of {rate.read_budget:,} read and "
            f"{round(rate.write_budget * share):,} of {rate.write_budget:,} write points"
        )
    else:
        spend = f"{round(rate.complexity_budget * share):,} of {rate.complexity_budget:,} points"
    rest = (
        "leaving the rest to other integrations, automations and people on the account"
        if share < 1
        else "leaving nothing to anything else on the account"
    )
    return f"rate.budget_share {share:g}: the sync spends at most {spend} a window, {rest}"


def _versions(raw: Any) -> dict[str, str]:
    if not isinstance(raw, list):
        return {}
    out: dict[str, str] = {}
    for entry in raw:
        if isinstance(entry, Mapping) and entry.get("value"):
            out[str(entry["value"])] = str(entry.get("kind") or "")
    return out
