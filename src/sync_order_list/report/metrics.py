"""Prometheus metrics for node-exporter's textfile collector.

``write_metrics`` renders a run in the Prometheus text exposition format (version
0.0.4) and replaces ``[monitoring] metrics_file`` atomically: a temporary file in the
same directory (named ``.<name>.<random>.tmp``, which the collector ignores, as it
reads ``*.prom`` only), fsync, then rename.

Two kinds of series (all with an ``environment`` label):

- ``sync_order_list_last_run_*`` gauges describe the latest run (outcome, duration
  per phase, rows by action and customer, errors, API use) and
  ``sync_order_list_last_success_timestamp_seconds`` when a run last succeeded;
- ``*_total`` counters add up over runs. The file is their only store: each write
  reads the previous file, adds this run, and writes the sums back. A missing or
  unreadable file starts them again from zero, which Prometheus' ``rate()`` and
  ``increase()`` treat as a counter reset. Writing the same run twice adds it once.

Every line passes through ``logs.redact``; label values are escaped as the format asks.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sync_order_list.config import AppConfig
from sync_order_list.errors import SyncOrderListError
from sync_order_list.logs import redact
from sync_order_list.report.reports import build_report, register_config_secrets
from sync_order_list.sync.tally import ROW_ACTIONS

PREFIX = "sync_order_list"
OUTCOMES = ("success", "partial", "failed", "nothing")
SUCCESS_OUTCOMES = ("success", "nothing")

API_GAUGES = (
    ("requests", "API requests (HTTP attempts) of the last run"),
    ("retries", "API attempts beyond the first, any reason, in the last run"),
    ("rate_limited", "API answers that were rate-limited in the last run"),
    ("transport_errors", "timeouts, dropped connections and 5xx in the last run"),
    ("complexity_charged", "complexity points monday charged the last run"),
    ("budget_wait_seconds", "seconds the last run waited for the complexity budget"),
)
API_COUNTERS = (
    ("requests", "API requests (HTTP attempts), all runs"),
    ("retries", "API attempts beyond the first, all runs"),
    ("rate_limited", "rate-limited API answers, all runs"),
    ("complexity_charged", "complexity points charged, all runs"),
)
Labels = tuple[tuple[str, str], ...]
log = logging.getLogger("sync_order_list.report")
_SAMPLE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+-?\d+)?$"
)
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


class MetricsError(SyncOrderListError, OSError):
    """The metrics file could not be written (an OSError too, for callers that catch
    file errors)."""

    exit_code = 2


@dataclass
class Family:
    name: str
    kind: str  # gauge | counter
    help: str
    samples: list[tuple[Labels, float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        self.samples.append((tuple(labels.items()), float(value)))

    def lines(self) -> list[str]:
        if not self.samples:
            return []
        out = [f"# HELP {self.name} {_escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]
        for labels, value in self.samples:
            out.append(f"{self.name}{_labels(labels)} {_value(value)}")
        return out


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_label(value: str) -> str:
    return redact(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _unescape_label(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape_label(v)}"' for k, v in labels) + "}"


def _value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _timestamp(value: Any) -> float | None:
    if not value:
        return None
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # the sync columns hold naive UTC
    return when.timestamp()


# --------------------------------------------------------------------------- reading back


def parse_samples(text: str) -> dict[tuple[str, Labels], float]:
    """Samples of a text exposition (lenient: lines it cannot read are skipped)."""
    out: dict[tuple[str, Labels], float] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match:
            continue
        labels: list[tuple[str, str]] = []
        raw = match.group("labels") or ""
        for lm in _LABEL.finditer(raw):
            labels.append((lm.group(1), _unescape_label(lm.group(2))))
        try:
            out[(match.group("name"), tuple(labels))] = float(match.group("value"))
        except ValueError:
            continue
    return out


def _read_previous(path: Path) -> dict[tuple[str, Labels], float]:
    try:
        return parse_samples(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}


# --------------------------------------------------------------------------- rendering


def render_metrics(
    record_or_report: Any,
    cfg: AppConfig,
    previous: Mapping[tuple[str, Labels], float] | None = None,
) -> str:
    """The exposition text for a run; ``previous`` holds the samples of the last file."""
    register_config_secrets(cfg)
    previous = dict(previous or {})
    report = build_report(record_or_report, cfg)
    run = report.run
    env = str(run.get("environment") or cfg.env_name)
    outcome = report.outcome
    families: list[Family] = []

    def family(name: str, kind: str, help_text: str) -> Family:
        fam = Family(f"{PREFIX}_{name}", kind, help_text)
        families.append(fam)
        return fam

    info = family("last_run_info", "gauge", "the last run: its id and outcome (always 1)")
    info.add(1, environment=env, run_id=report.run_id, outcome=outcome)
    fam = family(
        "last_run_outcome",
        "gauge",
        "1 for the last run's outcome (success, partial, failed, nothing), 0 for the others",
    )
    for name in OUTCOMES + ((outcome,) if outcome not in OUTCOMES else ()):
        fam.add(1 if name == outcome else 0, environment=env, outcome=name)
    fam = family(
        "last_run_status",
        "gauge",
        "1 for the last run's graded status (success, needs attention, failed), 0 otherwise",
    )
    for name in ("success", "needs attention", "failed"):
        fam.add(1 if name == report.status else 0, environment=env, status=name)
    family(
        "last_run_share_synced",
        "gauge",
        "share of the last run's orders synced without an ERROR row (1 when nothing to do)",
    ).add(report.share, environment=env)
    started, finished = _timestamp(run.get("started_at")), _timestamp(run.get("finished_at"))
    if started is not None:
        family(
            "last_run_start_timestamp_seconds", "gauge", "when the last run started (Unix time)"
        ).add(started, environment=env)
    if finished is not None:
        family(
            "last_run_end_timestamp_seconds", "gauge", "when the last run finished (Unix time)"
        ).add(finished, environment=env)
    family(
        "last_run_duration_seconds", "gauge", "seconds the last run took, all phases together"
    ).add(report.seconds, environment=env)
    fam = family(
        "last_run_phase_duration_seconds", "gauge", "seconds of each phase of the last run"
    )
    for phase, seconds in report.phases.items():
        fam.add(seconds, environment=env, phase=phase)

    rows = family(
        "last_run_rows", "gauge", "rows of the last run by customer and action (items, subitems)"
    )
    errors = family("last_run_errors", "gauge", "rows the last run left in ERROR, by customer")
    for c in report.customers:
        for action in ROW_ACTIONS:
            rows.add(c.counts.get(action, 0), environment=env, customer=c.name, action=action)
        errors.add(c.counts.get("errors", 0), environment=env, customer=c.name)
    total_errors = sum(c.counts.get("errors", 0) for c in report.customers)
    family("last_run_error_rows", "gauge", "rows the last run left in ERROR").add(
        total_errors, environment=env
    )
    api = report.api
    for key, help_text in API_GAUGES:
        family(f"last_run_api_{key}", "gauge", help_text).add(
            float(api.get(key, 0) or 0), environment=env
        )

    # when a run last succeeded: this one, or carried over from the previous file
    success_name = f"{PREFIX}_last_success_timestamp_seconds"
    last_success = family(
        "last_success_timestamp_seconds",
        "gauge",
        "when a run last ended with outcome success or nothing (Unix time)",
    )
    carried = {labels: v for (name, labels), v in previous.items() if name == success_name}
    if outcome in SUCCESS_OUTCOMES and (finished or started):
        carried[(("environment", env),)] = float(finished or started or 0)
    for labels, value in sorted(carried.items()):
        last_success.samples.append((labels, value))

    # counters: previous sums plus this run, unless the previous file was this run
    same_run = any(
        name == info.name and dict(labels).get("run_id") == report.run_id
        for (name, labels) in previous
    )
    increments: dict[tuple[str, Labels], float] = {}

    def bump(name: str, value: float, **labels: str) -> None:
        key = (f"{PREFIX}_{name}", tuple(labels.items()))
        increments[key] = increments.get(key, 0.0) + float(value)

    bump("runs", 1, environment=env, outcome=outcome)
    for c in report.customers:
        for action in ROW_ACTIONS:
            if c.counts.get(action, 0):
                bump("rows", c.counts[action], environment=env, customer=c.name, action=action)
        if c.counts.get("errors", 0):
            bump("row_errors", c.counts["errors"], environment=env, customer=c.name)
    for key, _ in API_COUNTERS:
        bump(f"api_{key}", float(api.get(key, 0) or 0), environment=env)
    counters = [
        ("runs_total", "runs recorded, by outcome"),
        ("rows_total", "rows synced, by customer and action, all runs"),
        ("row_errors_total", "rows left in ERROR, by customer, all runs"),
    ] + [(f"api_{key}_total", text) for key, text in API_COUNTERS]
    for name, help_text in counters:
        fam = family(name, "counter", help_text)
        base = name[: -len("_total")]
        series: dict[Labels, float] = {
            labels: v for (n, labels), v in previous.items() if n == fam.name
        }
        if not same_run:
            for (n, labels), v in increments.items():
                if n == f"{PREFIX}_{base}":
                    series[labels] = series.get(labels, 0.0) + v
        for labels, value in sorted(series.items()):
            fam.samples.append((labels, value))

    lines: list[str] = []
    for fam in families:
        lines += fam.lines()
    return redact("\n".join(lines) + "\n")


def write_metrics(
    report: Any, cfg: AppConfig, path: str | os.PathLike[str] | None = None
) -> Path | None:
    """Write the run's metrics to ``path`` (default ``[monitoring] metrics_file``).

    Returns the path written, or None when no file is configured or the run was a dry
    run (which changes nothing and must not move the counters).
    """
    target = path if path is not None else cfg.settings.monitoring.metrics_file
    if not target:
        return None
    if getattr(report, "dry_run", False) or (isinstance(report, Mapping) and report.get("dry_run")):
        return None
    target = Path(target)
    text = render_metrics(report, cfg, _read_previous(target))
    try:
        _atomic_write(target, text)
    except OSError as exc:
        raise MetricsError(
            f"cannot write the metrics file {target}: {exc.strerror or exc}"
        ) from None
    log.info(
        "metrics written to %s",
        target,
        extra={"fields": {"event": "metrics_written", "path": str(target)}},
    )
    return target


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # node-exporter usually runs as another user
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def metric_names(text: str) -> Iterable[str]:
    """Family names declared by ``# TYPE`` lines (for docs and tests)."""
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            yield line.split()[2]
