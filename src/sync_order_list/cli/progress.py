"""Progress of a sync run, as the output allows.

- on a terminal: rich bars for items and subitems with the rate and the time left, and
  a note while the run waits for monday ("waiting 42 s for monday's complexity
  budget");
- not a terminal (a file, a pipe, cron): one plain line every ``interval`` seconds,
  waits included, so a long budget wait never looks like a hang;
- ``--log-format json``: the same line as a JSON log record (``event: progress``);
- ``-q`` / ``--json``: nothing.

The executor calls the display with ``(phase, rows_done)``; the sync run hands the
scheduler's waits to ``waiting(reason, seconds)``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from sync_order_list.sync.operations import Plan

Mode = Literal["bar", "lines", "log", "off"]
INTERVAL_ENV = "SYNC_ORDER_LIST_PROGRESS_INTERVAL"
DEFAULT_INTERVAL = 10.0
ANNOUNCE_WAIT_SECONDS = 0.5  # shorter waits only show in the next progress line
PHASES = ("items", "subitems")
WAIT_WORDS = {
    "budget": "monday's complexity budget",
    "rate_limit": "a monday rate limit (HTTP 429)",
    "rpm": "the requests-per-minute limit",
}

log = logging.getLogger("sync_order_list.progress")


def wait_text(reason: str, seconds: float) -> str:
    return f"waiting {seconds:.0f} s for {WAIT_WORDS.get(reason, reason)}"


def interval_from_env(default: float = DEFAULT_INTERVAL) -> float:
    try:
        return max(0.05, float(os.environ.get(INTERVAL_ENV, default)))
    except ValueError:
        return default


@dataclass(frozen=True)
class Snapshot:
    """Where a run stands; what every mode prints."""

    done: dict[str, int]
    totals: dict[str, int]
    elapsed: float
    waiting: tuple[str, float] | None  # (reason, seconds left) while waiting

    @property
    def rate(self) -> float:
        rows = sum(self.done.values())
        return rows / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        left = sum(self.totals.values()) - sum(self.done.values())
        if left <= 0:
            return 0.0
        return left / self.rate if self.rate > 0 else None

    def line(self) -> str:
        parts = [f"{p} {self.done.get(p, 0)}/{t}" for p, t in self.totals.items() if t]
        text = "progress: " + (", ".join(parts) or "nothing to send")
        text += f"; {self.rate:.1f} rows/s"
        if self.eta is not None:
            text += f", about {_duration(self.eta)} left"
        if self.waiting is not None:
            text += f"; {wait_text(*self.waiting)}"
        return text

    def fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": "progress"}
        for phase, total in self.totals.items():
            out[f"{phase}_done"], out[f"{phase}_total"] = self.done.get(phase, 0), total
        out["rate_per_second"] = round(self.rate, 2)
        out["eta_seconds"] = None if self.eta is None else round(self.eta, 1)
        out["waiting_for"] = self.waiting[0] if self.waiting else None
        out["waiting_seconds"] = round(self.waiting[1], 1) if self.waiting else None
        return out


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.1f}/s", style="progress.data.speed")


class ProgressDisplay:
    """Receives ``(phase, rows_done)`` from the executor and ``waiting(reason, s)``."""

    def __init__(
        self,
        console: Console,
        *,
        mode: Mode | None = None,
        enabled: bool = True,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        if not enabled:
            mode = "off"
        self.mode: Mode = mode or ("bar" if console.is_terminal else "lines")
        self.interval = interval if interval is not None else interval_from_env()
        self.clock = clock
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self._lock = threading.Lock()
        self._started: float | None = None
        self._wait_until: float | None = None
        self._wait_reason = ""
        self._bar: Progress | None = None
        self._tasks: dict[str, Any] = {}
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    # -- the run's hooks ---------------------------------------------------------------

    def start(self, plan: Plan) -> None:
        item_rows = {op.row for op in plan.item_ops}
        line_rows = {op.row for op in plan.line_ops}
        self.totals = {"items": len(item_rows), "subitems": len(line_rows)}
        self._started = self.clock()
        if self.mode == "bar":
            self._bar = Progress(
                TextColumn("{task.description:>9}"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(),
                TimeRemainingColumn(),
                TimeElapsedColumn(),
                TextColumn("[yellow]{task.fields[note]}"),
                console=self.console,
                transient=False,
            )
            self._bar.start()
            for name, total in self.totals.items():
                if total:
                    self._tasks[name] = self._bar.add_task(name, total=total, note="")
        elif self.mode in ("lines", "log") and sum(self.totals.values()):
            self._ticker = threading.Thread(target=self._tick_loop, name="progress", daemon=True)
            self._ticker.start()

    def __call__(self, phase: str, rows: int) -> None:
        with self._lock:
            self.done[phase] = self.done.get(phase, 0) + rows
            self._wait_until = None
        if self._bar is not None and phase in self._tasks:
            self._bar.advance(self._tasks[phase], rows)
            self._note("")

    def waiting(self, reason: str, seconds: float) -> None:
        """The scheduler starts waiting ``seconds`` for ``reason`` (budget, 429, rpm)."""
        with self._lock:
            self._wait_reason = reason
            self._wait_until = self.clock() + seconds
        if self._bar is not None:
            self._note(wait_text(reason, seconds))
        elif self.mode == "log" and seconds >= ANNOUNCE_WAIT_SECONDS:
            log.info(
                "%s",
                wait_text(reason, seconds),
                extra={"fields": {"event": "waiting", "reason": reason, "seconds": seconds}},
            )
        elif self.mode == "lines" and seconds >= ANNOUNCE_WAIT_SECONDS:
            self._print(wait_text(reason, seconds))

    def stop(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
            self._ticker = None
            if self._started is not None:
                self._emit()  # the final count
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    # -- output ------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        now = self.clock()
        with self._lock:
            waiting = None
            if self._wait_until is not None and self._wait_until > now:
                waiting = (self._wait_reason, self._wait_until - now)
            return Snapshot(
                done=dict(self.done),
                totals={k: v for k, v in self.totals.items() if v},
                elapsed=now - (self._started or now),
                waiting=waiting,
            )

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._emit()

    def _emit(self) -> None:
        snap = self.snapshot()
        if self.mode == "log":
            log.info("%s", snap.line(), extra={"fields": snap.fields()})
        elif self.mode == "lines":
            self._print(snap.line())

    def _print(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def _note(self, text: str) -> None:
        """Show ``text`` on the row still running (the others cleared)."""
        if self._bar is None:
            return
        shown = False
        tasks = {t.id: t for t in self._bar.tasks}
        for task_id in self._tasks.values():
            task = tasks.get(task_id)
            here = bool(text) and not shown and task is not None and not task.finished
            self._bar.update(task_id, note=text if here else "")
            shown = shown or here


def progress_for(console: Console, *, quiet: bool, output_json: bool, log_format: str) -> Any:
    """The display the command line's options call for."""
    if quiet or output_json:
        return ProgressDisplay(console, mode="off")
    if log_format == "json":
        return ProgressDisplay(console, mode="log")
    return ProgressDisplay(console)
