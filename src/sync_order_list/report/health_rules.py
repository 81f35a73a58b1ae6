"""``check``'s rules: facts in, problems out, by the ``[monitoring]`` thresholds. Pure.

| code | severity | when |
| --- | --- | --- |
| ``pending_too_long`` | warn | rows PENDING longer than ``pending_max_age_minutes`` |
| ``in_flight_too_long`` | warn | rows sent longer than ``in_flight_max_age_minutes`` ago, never finished |
| ``error_share`` | alert | ERROR / tracked rows above ``error_share_threshold`` |
| ``rows_in_error`` | warn | any row in ERROR (when ``error_share`` is not raised for that table) |
| ``rejected_rows`` | warn | the latest sync's merge left staging rows out |
| ``last_run_failed`` | alert | the latest sync run failed (one that failed before writing too) |
| ``last_run_interrupted`` | warn | the latest sync run was stopped by a signal |
| ``dead_run`` | alert | a run still ``running`` with no heartbeat for ``heartbeat_max_age_minutes`` |
| ``abandoned_run`` | alert | runs marked ``abandoned`` within ``abandoned_window_hours`` |
| ``board_drift`` | alert | the last ``verify`` found differences it did not put back |
| ``verify_failed`` | alert | the last ``verify`` could not read the board or the database |
| ``verify_stale`` | warn | no ``verify`` within ``verify_max_age_hours`` (when set) |
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sync_order_list.config.models import MonitoringSettings
from sync_order_list.report.health_model import ALERT, WARN, HealthFacts, Problem


def age(now: datetime, since: datetime | None) -> str:
    if since is None:
        return "?"
    minutes = max(0.0, (now - since).total_seconds() / 60)
    if minutes >= 120:
        return f"{minutes / 60:.1f} h"
    return f"{minutes:.0f} min"


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def evaluate(facts: HealthFacts, monitoring: MonitoringSettings) -> list[Problem]:
    """The problems in ``facts`` by the ``[monitoring]`` thresholds (no I/O)."""
    problems: list[Problem] = []
    problems += _rows(facts, monitoring)
    problems += _runs(facts, monitoring)
    problems += _board(facts, monitoring)
    return problems


def _rows(facts: HealthFacts, monitoring: MonitoringSettings) -> list[Problem]:
    problems: list[Problem] = []
    now = facts.now
    tables = (("orders", facts.orders), ("lines", facts.lines))
    for label, t in tables:
        if t.pending_too_long:
            problems.append(
                Problem(
                    "pending_too_long",
                    WARN,
                    f"{t.pending_too_long} {label} PENDING for more than "
                    f"{monitoring.pending_max_age_minutes:g} minutes "
                    f"(oldest merged {age(now, t.oldest_pending)} ago); is the sync running?",
                    label,
                    t.pending_too_long,
                )
            )
    for label, t in tables:
        if t.in_flight_too_long:
            problems.append(
                Problem(
                    "in_flight_too_long",
                    WARN,
                    f"{t.in_flight_too_long} {label} in flight for more than "
                    f"{monitoring.in_flight_max_age_minutes:g} minutes "
                    f"(oldest sent {age(now, t.oldest_in_flight)} ago); "
                    "the next sync looks them up by key",
                    label,
                    t.in_flight_too_long,
                )
            )
    for label, t in tables:
        if t.tracked and t.error_share > monitoring.error_share_threshold:
            problems.append(
                Problem(
                    "error_share",
                    ALERT,
                    f"{t.error_share * 100:.1f}% of {label} are in ERROR ({t.errors} of "
                    f"{t.tracked}), above error_share_threshold "
                    f"{monitoring.error_share_threshold * 100:g}%; see `sync-order-list report`",
                    label,
                    t.errors,
                )
            )
        elif t.errors:
            problems.append(
                Problem(
                    "rows_in_error",
                    WARN,
                    f"{t.errors} {label} in ERROR (of {t.tracked}; under the error_share "
                    f"threshold of {monitoring.error_share_threshold * 100:g}%); "
                    "`sync-order-list status` and `report` show them, `retry` after the fix",
                    label,
                    t.errors,
                )
            )
    if facts.rejected_rows:
        run = f" of run {facts.rejected_run}" if facts.rejected_run else ""
        problems.append(
            Problem(
                "rejected_rows",
                WARN,
                f"the merge{run} left {facts.rejected_rows} staging rows out (empty or "
                "duplicate business keys, bad quantities); `sync-order-list report` lists them",
                "staging",
                facts.rejected_rows,
            )
        )
    return problems


def _runs(facts: HealthFacts, monitoring: MonitoringSettings) -> list[Problem]:
    problems: list[Problem] = []
    now = facts.now
    run = facts.last_run
    if run is not None and run.outcome == "failed":
        detail = f": {one_line(run.message)}" if run.message else ""
        problems.append(
            Problem(
                "last_run_failed",
                ALERT,
                f"the last run {run.run_id} ({run.command}, started "
                f"{run.started_at:%Y-%m-%d %H:%M:%S} UTC) failed{detail}",
            )
        )
    elif run is not None and run.outcome == "interrupted":
        problems.append(
            Problem(
                "last_run_interrupted",
                WARN,
                f"the last run {run.run_id} ({run.command}, started "
                f"{run.started_at:%Y-%m-%d %H:%M:%S} UTC) was stopped by a signal; the next "
                "run takes over its rows",
            )
        )
    limit = timedelta(minutes=monitoring.heartbeat_max_age_minutes)
    dead = [r for r in facts.dead_runs if now - r.alive_at > limit]
    if dead:
        newest = max(dead, key=lambda r: r.started_at)
        more = f" (and {len(dead) - 1} more)" if len(dead) > 1 else ""
        problems.append(
            Problem(
                "dead_run",
                ALERT,
                f"the run {newest.run_id} ({newest.command}) started "
                f"{age(now, newest.started_at)} ago and has not been heard of for "
                f"{age(now, newest.alive_at)} (more than "
                f"{monitoring.heartbeat_max_age_minutes:g} minutes): it probably died{more}",
                count=len(dead),
            )
        )
    if facts.abandoned_runs:
        newest = max(facts.abandoned_runs, key=lambda r: r.started_at)
        n = len(facts.abandoned_runs)
        problems.append(
            Problem(
                "abandoned_run",
                ALERT,
                f"{n} run(s) in the last {monitoring.abandoned_window_hours:g} hours were "
                f"abandoned by a process that died (latest {newest.run_id}, {newest.command}, "
                f"started {newest.started_at:%Y-%m-%d %H:%M:%S} UTC); look for crashes or "
                "kills of the scheduler's job",
                count=n,
            )
        )
    return problems


def _board(facts: HealthFacts, monitoring: MonitoringSettings) -> list[Problem]:
    problems: list[Problem] = []
    now = facts.now
    verify = facts.last_verify
    if verify is not None and verify.run.outcome == "failed":
        detail = f": {one_line(verify.run.message)}" if verify.run.message else ""
        problems.append(
            Problem(
                "verify_failed",
                ALERT,
                f"the last verify {verify.run.run_id} (started "
                f"{verify.run.started_at:%Y-%m-%d %H:%M:%S} UTC) could not check{detail}",
            )
        )
    elif verify is not None and verify.left_total:
        kinds = ", ".join(
            f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(verify.left.items())
        )
        problems.append(
            Problem(
                "board_drift",
                ALERT,
                f"the last verify {verify.run.run_id} (started "
                f"{verify.run.started_at:%Y-%m-%d %H:%M:%S} UTC) found the board differing from "
                f"the database: {kinds}; run `sync-order-list verify --repair`, then `sync` "
                "(orphans and extra subitems are for a person to remove)",
                count=verify.left_total,
            )
        )
    max_age = monitoring.verify_max_age_hours
    if max_age is not None:
        checked = None
        if verify is not None and verify.run.outcome != "failed":
            checked = verify.run.finished_at or verify.run.started_at
        if checked is None or now - checked > timedelta(hours=max_age):
            when = f"the last was {age(now, checked)} ago" if checked else "none has run"
            problems.append(
                Problem(
                    "verify_stale",
                    WARN,
                    f"no successful `sync-order-list verify` within verify_max_age_hours "
                    f"({max_age:g} h; {when}): nobody knows whether the board still matches",
                )
            )
    return problems
