"""One ``verify`` run: read the database and the board, compare, repair if asked, and
record the result in the run history (``SYNC_RUNS``, command ``verify``) so ``check``
can tell whether the board still matches and how long ago anyone looked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from sync_order_list.config import AppConfig
from sync_order_list.errors import SyncOrderListError
from sync_order_list.logs import register_secret
from sync_order_list.monday import MondayClient, Transport, fetch_board_schema
from sync_order_list.report.runs import finish_run, start_run
from sync_order_list.verify.board import PAGE_LIMIT, item_states, read_board
from sync_order_list.verify.compare import CompareRules, compare
from sync_order_list.verify.database import read_orders
from sync_order_list.verify.model import KINDS, BoardSnapshot, DbOrder, Drift
from sync_order_list.verify.repair import (
    RepairResult,
    apply_repair,
    archive_duplicates,
    plan_repair,
)

FINDINGS_KEPT = 500  # findings stored with the run (the counts are always complete)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class VerifyOptions:
    repair: bool = False
    customer: str | None = None
    page_limit: int = PAGE_LIMIT


@dataclass
class VerifyReport:
    run_id: str
    environment: str
    started_at: datetime
    repair: bool
    customer: str | None = None
    finished_at: datetime | None = None
    outcome: str = "running"  # success (no drift) | drift | failed
    message: str | None = None
    drift: Drift | None = None
    repaired: RepairResult | None = None
    phases: dict[str, float] = field(default_factory=dict)
    api: dict[str, Any] = field(default_factory=dict)
    pages: int = 0

    @property
    def exit_code(self) -> int:
        """0 no drift, 1 drift found (repaired or not), 2 could not check."""
        if self.outcome == "failed" or self.drift is None:
            return 2
        return 1 if self.drift.total else 0

    def found(self) -> dict[str, int]:
        return self.drift.counts() if self.drift else {}

    def repaired_counts(self) -> dict[str, int]:
        done = Counter(f.kind for f in self.repaired.repaired) if self.repaired else Counter()
        return {k: done[k] for k in KINDS if done[k]}

    def left(self) -> dict[str, int]:
        """Found and not put back on the sync path (orphans, extras, skipped, failed)."""
        found, done = self.found(), self.repaired_counts()
        return {k: n - done.get(k, 0) for k, n in found.items() if n - done.get(k, 0)}

    def as_dict(self) -> dict[str, Any]:
        drift = self.drift
        findings = drift.findings if drift else []
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "command": "verify",
            "environment": self.environment,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "outcome": self.outcome,
            "message": self.message,
            "repair": self.repair,
            "customer": self.customer,
            "checked": {
                "orders": drift.orders_checked if drift else 0,
                "orders_skipped": drift.orders_skipped if drift else 0,
                "items": drift.items_read if drift else 0,
                "subitems": drift.subitems_read if drift else 0,
                "pages": self.pages,
            },
            "found": self.found(),
            "repaired": self.repaired_counts(),
            "left": self.left(),
            "findings": [f.as_dict() for f in findings[:FINDINGS_KEPT]],
            "findings_total": len(findings),
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "api": self.api,
        }
        if self.repaired is not None:
            out["repair_result"] = {
                "orders_changed": self.repaired.orders_changed,
                "lines_changed": self.repaired.lines_changed,
                "archived": self.repaired.archived,
                "skipped": [f.as_dict() for f in self.repaired.skipped],
                "failed": [{**f.as_dict(), "error": e} for f, e in self.repaired.failed],
            }
        return out


async def run_verify(
    engine: Engine,
    cfg: AppConfig,
    options: VerifyOptions = VerifyOptions(),
    *,
    transport: Transport | None = None,
    run_id: str | None = None,
) -> VerifyReport:
    """Verify (and repair); always leaves a ``SYNC_RUNS`` row, a failed one too.

    Raises the tool's errors (after recording them) when it cannot check.
    """
    report = VerifyReport(
        run_id=run_id or str(uuid.uuid4()),
        environment=cfg.env_name,
        started_at=utcnow(),
        repair=options.repair,
        customer=options.customer,
    )
    await asyncio.to_thread(
        start_run, engine, cfg, report.run_id, report.started_at, "verify", False
    )
    try:
        token = cfg.require_token()
        register_secret(token)
        await _Verify(engine, cfg, options, report, transport).run(token)
        report.outcome = "drift" if report.drift and report.drift.total else "success"
        return report
    except SyncOrderListError as exc:
        report.outcome, report.message = "failed", str(exc)
        raise
    except Exception as exc:  # a bug or an unexpected driver error: record, then raise
        report.outcome, report.message = "failed", f"{exc.__class__.__name__}: {exc}"
        raise
    finally:
        report.finished_at = utcnow()
        await asyncio.to_thread(_record, engine, cfg, report)


@dataclass
class _Verify:
    engine: Engine
    cfg: AppConfig
    options: VerifyOptions
    report: VerifyReport
    transport: Transport | None

    def phase(self, name: str) -> _Timer:
        return _Timer(self.report.phases, name)

    async def run(self, token: str) -> None:
        cfg, settings = self.cfg, self.cfg.settings
        rules = CompareRules.from_settings(settings, self.options.customer)
        async with MondayClient(
            cfg.api_url,
            token,
            settings.monday.api_version,
            batch=settings.batch,
            rate=settings.rate,
            transport=self.transport,
        ) as client:
            try:
                with self.phase("schema"):
                    schema = await fetch_board_schema(
                        client, cfg.env.items_board_id, cfg.env.subitems_board_id
                    )
                with self.phase("read_database"):
                    orders = await asyncio.to_thread(read_orders, self.engine, cfg, utcnow())
                with self.phase("read_board"):
                    board = await read_board(
                        client, schema, settings, page_limit=self.options.page_limit
                    )
                    board = await self._with_states(client, board, orders, rules)
                self.report.pages = board.pages
                with self.phase("compare"):
                    drift = compare(orders, board, rules)
                self.report.drift = drift
                if self.options.repair and drift.total:
                    with self.phase("repair"):
                        self.report.repaired = await self._repair(client, drift, orders, board)
            finally:
                self.report.api = dict(client.stats.as_dict())

    async def _with_states(
        self,
        client: MondayClient,
        board: BoardSnapshot,
        orders: list[DbOrder],
        rules: CompareRules,
    ) -> BoardSnapshot:
        """Ask monday what became of items the database points at that are not active."""
        active = {i.id for i in board.items}
        gone = [
            o.item_id
            for o in orders
            if o.item_id and o.item_id not in active and o.live and rules.in_scope(o.customer)
        ]
        if not gone:
            return board
        states = await item_states(client, board.board_id, gone)
        return dataclasses.replace(board, states=states)

    async def _repair(
        self, client: MondayClient, drift: Drift, orders: list[DbOrder], board: BoardSnapshot
    ) -> RepairResult:
        rules = CompareRules.from_settings(self.cfg.settings, self.options.customer)
        plan = plan_repair(drift, orders, board, rules)
        result = await asyncio.to_thread(apply_repair, self.engine, self.cfg, plan, utcnow())
        await archive_duplicates(client, plan.archives, result)
        return result


class _Timer:
    def __init__(self, phases: dict[str, float], name: str) -> None:
        self.phases, self.name = phases, name

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.phases[self.name] = self.phases.get(self.name, 0.0) + time.perf_counter() - self.t0


def _record(engine: Engine, cfg: AppConfig, report: VerifyReport) -> None:
    import logging

    try:
        finish_run(
            engine,
            cfg,
            report.run_id,
            finished_at=report.finished_at or utcnow(),
            outcome=report.outcome,
            phases=report.phases,
            counts=report.as_dict(),
            api=report.api,
            synced_rows=sum(report.repaired_counts().values()),
            error_rows=sum(report.left().values()),
            message=report.message,
        )
    except Exception:  # the database is what failed: the run's own error says more
        logging.getLogger("sync_order_list.verify").exception(
            "could not record verify run %s in the run history", report.run_id
        )
