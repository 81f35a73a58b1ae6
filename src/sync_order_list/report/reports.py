"""Per-run reports: the numbers behind ``summary.md/json``, ``customers/*`` and the page.

A report is built from a run's record, either the ``SyncReport`` a run just returned or
the ``RunRecord`` read back from ``SYNC_RUNS`` (whose ``counts`` column holds the same
``SyncReport.as_dict()``). ``write_run_reports`` writes the run's directory::

    <reports.directory>/<run id>/summary.md     the run, for people
                                 summary.json   the run, for programs (and the source
                                                the ``report`` command reads back)
                                 customers/<slug>.md, <slug>.json   one customer each
                                 report.html    one self-contained page with charts

Share synced (per customer and for the run) — see docs/reports-and-monitoring.md:

    to_do          = max(orders the run claimed, orders with an ERROR row)
    failed_orders  = distinct order keys with an order or size-line row in ERROR
    share_synced   = (to_do - failed_orders) / to_do,  1.0 when to_do is 0

"success" only when nothing ended in ERROR and the merge rejected no staging row;
otherwise ``share >= attention_threshold`` is "needs attention", below is "failed". A
run that did not finish (outcome ``failed``, ``interrupted``, ``abandoned``, or still
``running``) is "failed" whatever its share. That grade is the one word the reports
and the sync summary show for a run; ``outcome`` stays in the JSON for programs.

Every text written passes through ``logs.redact``; the record is also redacted value by
value before anything is rendered, so a secret cannot reach a file name either.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from sync_order_list.config import AppConfig
from sync_order_list.errors import SyncOrderListError
from sync_order_list.logs import redact, register_secret
from sync_order_list.report.runs import RunRecord
from sync_order_list.sync.tally import CUSTOMER_FIELDS

REPORT_SCHEMA = "sync-order-list/run-report/1"
SUCCESS, ATTENTION, FAILED = "success", "needs attention", "failed"
STATUSES = (SUCCESS, ATTENTION, FAILED)
COUNTERS = CUSTOMER_FIELDS
log = logging.getLogger("sync_order_list.report")
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class ReportError(SyncOrderListError):
    """A report cannot be produced: unknown run, corrupt directory, unknown customer."""

    exit_code = 2


def register_config_secrets(cfg: AppConfig) -> None:
    """The API token and the database password must never reach a report or metric."""
    if cfg.token is not None:
        register_secret(cfg.token.get_secret_value())
    with contextlib.suppress(Exception):  # an unparseable URL has no password to hide
        register_secret(make_url(cfg.database_url).password)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- input


def run_dict(source: Any) -> dict[str, Any]:
    """The run as the plain dict of ``SyncReport.as_dict()``, from whatever holds it."""
    if isinstance(source, RunRecord):
        data = _record_dict(source)
    elif isinstance(source, Mapping):
        data = dict(source)
    elif hasattr(source, "as_dict") and hasattr(source, "tally"):  # a SyncReport
        data = source.as_dict()
    else:
        raise TypeError(f"cannot build a run report from {type(source).__name__}")
    # one JSON round trip: datetimes become ISO text, tuples lists, as in SYNC_RUNS
    return redact_values(json.loads(json.dumps(data, default=_json_default)))


def _record_dict(record: RunRecord) -> dict[str, Any]:
    """A ``SYNC_RUNS`` row; ``counts`` holds the full record unless the run died."""
    base: dict[str, Any] = {
        "run_id": record.run_id,
        "environment": record.environment,
        "command": record.command,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "dry_run": record.dry_run,
        "outcome": record.outcome,
        "message": record.message,
        "phases": record.phases,
        "api": {
            "requests": record.api_requests or 0,
            "complexity_charged": record.complexity_charged or 0,
            "retries": record.retries or 0,
            "rate_limited": record.rate_limited or 0,
        },
    }
    counts = dict(record.counts or {})
    merged = {**base, **counts}
    # the row's own columns are the truth for what finish_run wrote last
    for key in ("run_id", "environment", "command", "outcome", "finished_at", "started_at"):
        if base[key] is not None:
            merged[key] = base[key]
    if record.message is not None:
        merged["message"] = record.message
    return merged


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def redact_values(value: Any) -> Any:
    """``value`` with every string in it (keys too) passed through ``redact``."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)): redact_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_values(v) for v in value]
    return value


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Thresholds:
    success: float = 0.95
    attention: float = 0.80

    @classmethod
    def of(cls, cfg: AppConfig) -> Thresholds:
        r = cfg.settings.reports
        return cls(r.success_threshold, r.attention_threshold)

    def grade(self, share: float, *, clean: bool = True) -> str:
        """``clean``: nothing in ERROR and no staging row rejected. Only a clean result
        is a success; anything else is at best "needs attention"."""
        if clean and share >= 1.0:
            return SUCCESS
        if share >= self.attention:
            return ATTENTION
        return FAILED

    def as_dict(self) -> dict[str, float]:
        return {"success": self.success, "attention": self.attention}


def share_synced(to_do: int, failed: int) -> float:
    """Share of the orders to do that ended without any row in ERROR (1.0 if none)."""
    if to_do <= 0:
        return 1.0
    return max(0.0, (to_do - failed) / to_do)


@dataclass(frozen=True)
class ErrorRow:
    key: str
    customer: str
    table: str
    column: str | None
    reason: str
    message: str
    size: str | None = None  # a line's size code

    @property
    def where(self) -> str:
        """``GRE-001`` for an order, ``GRE-001 size XL`` for one of its lines."""
        return f"{self.key} size {self.size}" if self.size else self.key

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "customer": self.customer,
            "table": self.table,
            "size": self.size,
            "column": self.column,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass(frozen=True)
class ErrorGroup:
    """Rows that failed for one cause (row kind, column, reason), with a few examples."""

    table: str
    column: str | None
    reason: str
    count: int
    orders: int
    examples: tuple[ErrorRow, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "reason": self.reason,
            "count": self.count,
            "orders": self.orders,
            "examples": [e.where for e in self.examples],
        }


EXAMPLES_PER_GROUP = 3


def group_errors(errors: list[ErrorRow], examples: int = EXAMPLES_PER_GROUP) -> list[ErrorGroup]:
    """Errors by cause, the most frequent first."""
    groups: dict[tuple[str, str | None, str], list[ErrorRow]] = {}
    for e in errors:
        groups.setdefault((e.table, e.column, e.reason), []).append(e)
    out = [
        ErrorGroup(
            table, column, reason, len(rows), len({r.key for r in rows}), tuple(rows[:examples])
        )
        for (table, column, reason), rows in groups.items()
    ]
    return sorted(out, key=lambda g: (-g.count, g.table, g.reason))


@dataclass(frozen=True)
class RejectRow:
    """A staging row the merge could not take (it stays in staging, unmerged)."""

    key: str | None
    reason: str
    count: int
    column: str | None
    value: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "reason": self.reason,
            "count": self.count,
            "column": self.column,
            "value": self.value,
        }


def error_reason(message: str, key: str) -> str:
    """The message without its ``order 'K', column 'C', monday column 'M': `` prefix
    (or ``size 'S' of order 'K': ``, ``line N of order 'K': ``)."""
    for prefix in (f"order {key!r}", "line ", "size "):
        if message.startswith(prefix) and ": " in message:
            head, _, rest = message.partition(": ")
            if key in head and rest:
                return rest
    return message


@dataclass
class CustomerReport:
    name: str
    slug: str
    counts: dict[str, int]
    seconds: float
    errors: list[ErrorRow]
    to_do: int
    failed_orders: int
    share: float
    status: str

    @property
    def order_errors(self) -> int:
        return sum(1 for e in self.errors if e.table == "order")

    @property
    def line_errors(self) -> int:
        return sum(1 for e in self.errors if e.table != "order")

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.counts,
            "seconds": round(self.seconds, 3),
            "slug": self.slug,
            "to_do": self.to_do,
            "failed_orders": self.failed_orders,
            "share_synced": round(self.share, 4),
            "status": self.status,
        }


@dataclass
class RunReport:
    run: dict[str, Any]
    thresholds: Thresholds
    customers: list[CustomerReport] = field(default_factory=list)
    errors: list[ErrorRow] = field(default_factory=list)
    rejects: list[RejectRow] = field(default_factory=list)
    to_do: int = 0
    failed_orders: int = 0
    share: float = 1.0
    status: str = SUCCESS

    @property
    def rejected_rows(self) -> int:
        merge = self.run.get("merge") or {}
        stated = _int(merge.get("rejected_rows")) if isinstance(merge, Mapping) else 0
        return max(stated, sum(r.count for r in self.rejects) if self.rejects else 0)

    @property
    def error_groups(self) -> list[ErrorGroup]:
        return group_errors(self.errors)

    @property
    def result(self) -> str:
        """What happened to the run, in words that never contradict the grade."""
        outcome = self.outcome
        if outcome == "failed":
            text = "stopped early"
        elif outcome == "running":
            text = "no end recorded (the process may have died)"
        elif outcome == "interrupted":
            text = "interrupted (stopped by a signal)"
        elif outcome == "abandoned":
            text = "abandoned (its process died)"
        elif outcome == "nothing":
            text = "nothing to do"
        else:
            text = "finished"
        if self.failed_orders:
            text += f"; {self.failed_orders} of {self.to_do} orders with errors"
        if self.rejected_rows:
            text += f"; {self.rejected_rows} staging rows rejected"
        return text

    @property
    def run_id(self) -> str:
        return str(self.run.get("run_id") or "unknown")

    @property
    def outcome(self) -> str:
        return str(self.run.get("outcome") or "unknown")

    @property
    def phases(self) -> dict[str, float]:
        return {str(k): float(v or 0) for k, v in (self.run.get("phases") or {}).items()}

    @property
    def seconds(self) -> float:
        return sum(self.phases.values())

    @property
    def total(self) -> dict[str, Any]:
        total = {name: 0 for name in COUNTERS}
        seconds = 0.0
        for c in self.customers:
            for name in COUNTERS:
                total[name] += c.counts.get(name, 0)
            seconds += c.seconds
        return {**total, "seconds": round(seconds, 3)}

    @property
    def api(self) -> dict[str, Any]:
        return dict(self.run.get("api") or {})

    @property
    def budget_timeline(self) -> list[tuple[float, int, int]]:
        out = []
        for point in self.run.get("budget_timeline") or []:
            try:
                t, left, cost = point
                out.append((float(t), int(left), int(cost)))
            except (TypeError, ValueError):
                continue
        return out

    def customer(self, name: str) -> CustomerReport | None:
        """By exact name, then case-insensitively, then by slug."""
        for match in (
            lambda c: c.name == name,
            lambda c: c.name.casefold() == name.casefold(),
            lambda c: c.slug == name.lower(),
        ):
            found = [c for c in self.customers if match(c)]
            if found:
                return found[0]
        return None

    def summary_dict(self) -> dict[str, Any]:
        """``summary.json``: the run record as stored, plus the grading."""
        out = dict(self.run)
        out.update(
            {
                "schema": REPORT_SCHEMA,
                "status": self.status,
                "share_synced": round(self.share, 4),
                "to_do": self.to_do,
                "failed_orders": self.failed_orders,
                "thresholds": self.thresholds.as_dict(),
                "customers": {c.name: c.as_dict() for c in self.customers},
                "total": self.total,
                "errors": [e.as_dict() for e in self.errors],
                "error_groups": [g.as_dict() for g in self.error_groups],
                "rejected": [r.as_dict() for r in self.rejects],
                "rejected_rows": self.rejected_rows,
            }
        )
        return out

    def customer_dict(self, customer: CustomerReport) -> dict[str, Any]:
        """``customers/<slug>.json``."""
        return {
            "schema": REPORT_SCHEMA,
            "run_id": self.run_id,
            "environment": self.run.get("environment"),
            "started_at": self.run.get("started_at"),
            "finished_at": self.run.get("finished_at"),
            "outcome": self.outcome,
            "customer": customer.name,
            "thresholds": self.thresholds.as_dict(),
            **customer.as_dict(),
            "error_rows": [e.as_dict() for e in customer.errors],
            "error_groups": [g.as_dict() for g in group_errors(customer.errors)],
        }


def build_report(source: Any, thresholds: Thresholds | AppConfig) -> RunReport:
    """Grade a run: per customer and for the run (see the module docstring)."""
    if not isinstance(thresholds, Thresholds):
        thresholds = Thresholds.of(thresholds)
    run = run_dict(source)
    report = RunReport(run=run, thresholds=thresholds)

    report.errors = [_error_row(e) for e in run.get("errors") or [] if isinstance(e, Mapping)]
    by_customer: dict[str, list[ErrorRow]] = {}
    for err in report.errors:
        by_customer.setdefault(err.customer, []).append(err)

    tallies: dict[str, Mapping[str, Any]] = dict(run.get("customers") or {})
    for name in by_customer:
        tallies.setdefault(name, {})
    slugs = _slugs(sorted(tallies))
    for name in sorted(tallies):
        tally = tallies[name] if isinstance(tallies[name], Mapping) else {}
        counts = {k: _int(tally.get(k)) for k in COUNTERS}
        errors = by_customer.get(name, [])
        counts["errors"] = max(counts["errors"], len(errors))
        failed = len({e.key for e in errors})
        to_do = max(counts["orders"], failed)
        share = share_synced(to_do, failed)
        report.customers.append(
            CustomerReport(
                name=name,
                slug=slugs[name],
                counts=counts,
                seconds=float(tally.get("seconds") or 0.0),
                errors=errors,
                to_do=to_do,
                failed_orders=failed,
                share=share,
                status=thresholds.grade(share, clean=not errors),
            )
        )
    report.rejects = _rejects(run.get("merge"))
    report.to_do = sum(c.to_do for c in report.customers)
    report.failed_orders = sum(c.failed_orders for c in report.customers)
    report.share = share_synced(report.to_do, report.failed_orders)
    clean = not report.errors and not report.rejected_rows
    report.status = thresholds.grade(report.share, clean=clean)
    if report.outcome in UNFINISHED:
        report.status = FAILED
    return report


UNFINISHED = ("failed", "running", "unknown", "interrupted", "abandoned")


def _rejects(merge: Any) -> list[RejectRow]:
    if not isinstance(merge, Mapping):
        return []
    out = []
    for r in merge.get("rejected") or []:
        if isinstance(r, Mapping):
            out.append(
                RejectRow(
                    key=None if r.get("key") is None else str(r["key"]),
                    reason=str(r.get("reason") or ""),
                    count=_int(r.get("count")) or 1,
                    column=None if r.get("column") is None else str(r["column"]),
                    value=None if r.get("value") is None else str(r["value"]),
                )
            )
    return out


def _error_row(err: Mapping[str, Any]) -> ErrorRow:
    key = str(err.get("key") or "")
    message = str(err.get("message") or "")
    return ErrorRow(
        key=key,
        customer=str(err.get("customer") or "(no customer)"),
        table=str(err.get("table") or "order"),
        column=str(err["column"]) if err.get("column") else None,
        reason=str(err.get("reason") or error_reason(message, key)),
        message=message,
        size=str(err["size"]) if err.get("size") else None,
    )


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def slugify(name: str) -> str:
    """A file name for a customer: ASCII, lower case, dashes (``CAFÉ DU X`` -> ``cafe-du-x``)."""
    text = unicodedata.normalize("NFKD", redact(name)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text[:60].rstrip("-") or "customer"


def _slugs(names: list[str]) -> dict[str, str]:
    """Unique slugs, in name order; a clash gets ``-2``, ``-3``..."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = slugify(name)
        slug, n = base, 1
        while slug in used:
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        out[name] = slug
    return out


# --------------------------------------------------------------------------- files


def reports_root(cfg: AppConfig, directory: str | os.PathLike[str] | None = None) -> Path:
    """``reports.directory``; a relative path is relative to the working directory."""
    return Path(directory if directory is not None else cfg.settings.reports.directory)


def check_run_id(run_id: str) -> str:
    """A run id is also a directory name: refuse anything that could leave the root."""
    if not _RUN_ID.fullmatch(run_id) or ".." in run_id:
        raise ReportError(f"{run_id!r} is not a run id (expected e.g. a UUID or 'latest')")
    return run_id


def write_run_reports(
    record_or_report: Any,
    cfg: AppConfig,
    *,
    directory: str | os.PathLike[str] | None = None,
) -> Path:
    """Write the run's directory (replacing an older one whole); return its path.

    ``record_or_report``: a ``SyncReport`` right after a run, a ``RunRecord`` from
    ``SYNC_RUNS``, or the dict of either. Never touches the database.
    """
    from sync_order_list.report.html import render_html
    from sync_order_list.report.markdown import render_customer_md, render_summary_md

    register_config_secrets(cfg)
    report = build_report(record_or_report, cfg)
    root = reports_root(cfg, directory)
    target = root / check_run_id(report.run_id)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{report.run_id}.", dir=root))
    try:
        (staging / "customers").mkdir()
        _write(staging / "summary.json", _json_text(report.summary_dict()))
        _write(staging / "summary.md", render_summary_md(report))
        for customer in report.customers:
            base = staging / "customers" / customer.slug
            _write(base.with_suffix(".json"), _json_text(report.customer_dict(customer)))
            _write(base.with_suffix(".md"), render_customer_md(report, customer))
        _write(staging / "report.html", render_html(report))
        staging.chmod(0o755)
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    prune_reports(root, cfg.settings.reports.keep_runs, keep=target)
    log.info(
        "run report written to %s",
        target,
        extra={
            "fields": {
                "event": "run_report_written",
                "run_id": report.run_id,
                "path": str(target),
                "status": report.status,
                "share_synced": round(report.share, 4),
                "customers": len(report.customers),
                "errors": len(report.errors),
            }
        },
    )
    return target


def needs_report(run: Any) -> bool:
    """Whether a run deserves a report directory: not a run that found nothing to do
    (no rows, no errors, no staging row rejected); that one stays in the history."""
    data = run.as_dict() if hasattr(run, "as_dict") else dict(run)
    merge = data.get("merge") or {}
    rejected = isinstance(merge, Mapping) and (merge.get("rejected") or merge.get("rejected_rows"))
    return data.get("outcome") != "nothing" or bool(data.get("errors")) or bool(rejected)


def run_directories(root: Path) -> list[Path]:
    """The run directories under ``root`` (a summary.json in a run-id-named folder)."""
    if not root.is_dir():
        return []
    return [
        p
        for p in root.iterdir()
        if p.is_dir() and _RUN_ID.fullmatch(p.name) and (p / "summary.json").is_file()
    ]


def prune_reports(root: Path, keep_runs: int, *, keep: Path | None = None) -> list[Path]:
    """Remove the oldest run directories beyond ``keep_runs`` (by when each was
    written); never ``keep`` (the one just written). Returns what was removed."""
    dirs = sorted(run_directories(root), key=lambda p: p.stat().st_mtime, reverse=True)
    removed = []
    for path in dirs[keep_runs:]:
        if keep is not None and path == keep:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    if removed:
        log.info("removed %d old run report(s) beyond reports.keep_runs", len(removed))
    return removed


def _swap(staging: Path, target: Path) -> None:
    """Put the new directory in place; a reader never sees half of one."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _json_text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n"


def _write(path: Path, text: str) -> None:
    path.write_text(redact(text), encoding="utf-8")


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class RunDirectory:
    """A run's directory as written, checked enough to print from."""

    path: Path
    summary: dict[str, Any]

    @property
    def run_id(self) -> str:
        return str(self.summary["run_id"])

    def customer_names(self) -> list[str]:
        return sorted(self.summary.get("customers") or {})

    def customer_slug(self, name: str) -> str | None:
        customers: Mapping[str, Any] = self.summary.get("customers") or {}
        for match in (
            lambda n: n == name,
            lambda n: n.casefold() == name.casefold(),
            lambda n: str((customers[n] or {}).get("slug")) == name.lower(),
        ):
            for n in sorted(customers):
                if match(n):
                    slug = (customers[n] or {}).get("slug")
                    return str(slug) if slug else slugify(n)
        return None

    def file(self, relative: str) -> Path:
        path = self.path / relative
        if not path.is_file():
            raise ReportError(
                f"report directory {self.path} is corrupt: {relative} is missing "
                f"(rebuild it with `sync-order-list report {self.run_id} --regenerate`)"
            )
        return path

    def read(self, relative: str) -> str:
        try:
            return self.file(relative).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ReportError(
                f"report directory {self.path} is corrupt: cannot read {relative}: {exc}"
            ) from None


def open_run_directory(path: Path, run_id: str | None = None) -> RunDirectory:
    """Read ``summary.json`` and check it belongs to ``run_id``; ReportError if not."""
    hint = f"(rebuild it with `sync-order-list report {run_id or path.name} --regenerate`)"
    summary_path = path / "summary.json"
    if not summary_path.is_file():
        raise ReportError(f"report directory {path} is corrupt: summary.json is missing {hint}")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise ReportError(
            f"report directory {path} is corrupt: summary.json is not valid JSON ({first}) {hint}"
        ) from None
    if not isinstance(summary, dict) or summary.get("schema") != REPORT_SCHEMA:
        raise ReportError(
            f"report directory {path} is corrupt: summary.json is not a run report {hint}"
        )
    expected = run_id or path.name
    if summary.get("run_id") != expected:
        raise ReportError(
            f"report directory {path} is corrupt: summary.json is for run "
            f"{summary.get('run_id')!r}, not {expected!r} {hint}"
        )
    return RunDirectory(path, summary)
