"""``report``: print a run's report (Markdown or JSON) or write its HTML page.

Reads the run's directory under ``[reports] directory``; when it is missing (or with
``--regenerate``) rebuilds it from the ``SYNC_RUNS`` row first. Never writes to the
database: the database is opened read-only.

Exit codes: 0 printed; 2 bad input (unknown run id, corrupt run directory, a customer
with no rows in the run) or no database / configuration, always as one line on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Engine, select

from sync_order_list.cli.context import (
    EXIT_FAILURE,
    CliState,
    common_options,
    database_key,
    pass_state,
)
from sync_order_list.config import AppConfig
from sync_order_list.errors import SyncOrderListError
from sync_order_list.logs import redact
from sync_order_list.report.readonly import read_only_engine, reading
from sync_order_list.report.reports import (
    ReportError,
    RunDirectory,
    check_run_id,
    open_run_directory,
    register_config_secrets,
    reports_root,
    write_run_reports,
)
from sync_order_list.report.runs import RunRecord, get_run, runs_table

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(func: F) -> F:
    """The tool's errors as ONE line on stderr and their exit code; no traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SyncOrderListError as exc:
            fail(str(exc), exc.exit_code)
        except OSError as exc:
            fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "), EXIT_FAILURE)

    return wrapper  # type: ignore[return-value]


def fail(message: str, code: int = EXIT_FAILURE) -> None:
    click.echo("error: " + redact(" ".join(message.split())), err=True)
    sys.exit(code)


def find_run(engine: Engine, cfg: AppConfig, ref: str) -> RunRecord | None:
    """``latest``, a full run id, or a unique prefix of one (``report 3f7e2fdc``)."""
    record = get_run(engine, cfg, ref)
    if record is not None or ref == "latest":
        return record
    table = runs_table(engine, cfg)
    with engine.connect() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                select(table.c.run_id)
                .where(table.c.run_id.startswith(ref, autoescape=True))
                .limit(5)
            )
        ]
    if len(ids) > 1:
        raise ReportError(f"run id {ref!r} is ambiguous: it starts {', '.join(ids)}")
    return get_run(engine, cfg, ids[0]) if ids else None


def _local_directory(root: Path, ref: str) -> Path | None:
    """The run's directory by full id or unique prefix, without the database."""
    exact = root / ref
    if exact.is_dir():
        return exact
    if not root.is_dir():
        return None
    found = [p for p in root.iterdir() if p.is_dir() and p.name.startswith(ref)]
    found = [p for p in found if not p.name.startswith(".")]
    if len(found) > 1:
        names = ", ".join(sorted(p.name for p in found)[:5])
        raise ReportError(f"run id {ref!r} is ambiguous: it starts {names}")
    return found[0] if found else None


class _Db:
    """The read-only engine, opened only when the database is needed."""

    def __init__(self, cfg: AppConfig) -> None:
        self.cfg = cfg
        self._engine: Engine | None = None

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = read_only_engine(
                self.cfg.database_url, config_key=database_key(self.cfg)
            )
        return self._engine

    def run(self, ref: str) -> RunRecord | None:
        engine = self.engine()
        return reading(
            engine,
            lambda: find_run(engine, self.cfg, ref),
            what=f"read {self.cfg.settings.tables.runs}",
            url=self.cfg.database_url,
        )

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def resolve_run_directory(
    cfg: AppConfig, ref: str, *, regenerate: bool = False, db: _Db | None = None
) -> RunDirectory:
    """The run's checked directory, rebuilt from ``SYNC_RUNS`` when missing."""
    root = reports_root(cfg)
    own_db = db is None
    db = db or _Db(cfg)
    try:
        path = None if ref == "latest" else _local_directory(root, check_run_id(ref))
        if path is not None and not regenerate:
            return open_run_directory(path)
        record = db.run(ref)
        if record is None:
            if ref == "latest":
                raise ReportError(f"no run recorded yet in {cfg.settings.tables.runs}")
            raise ReportError(
                f"unknown run id {ref!r}: no directory {root / ref} and no row in "
                f"{cfg.settings.tables.runs}"
            )
        if record.command != "sync":
            raise ReportError(
                f"run {record.run_id} is a {record.command!r} run, which has no report: "
                f"its result is in {cfg.settings.tables.runs} (and `check`)"
            )
        path = root / record.run_id
        if regenerate or not path.is_dir():
            path = write_run_reports(record, cfg)
        return open_run_directory(path, record.run_id)
    finally:
        if own_db:
            db.close()


@click.command("report")
@click.argument("run_id", required=False, default="latest", metavar="[RUN_ID|latest]")
@click.option("--customer", help="Only this customer (name, any case, or its file slug).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json", "html"]),
    default="md",
    show_default=True,
    help="md/json: print to stdout; html: write report.html and print its path.",
)
@click.option(
    "--regenerate", is_flag=True, help="Rebuild the run's directory from SYNC_RUNS first."
)
@common_options
@pass_state
@one_line_errors
def report_command(
    state: CliState, run_id: str, customer: str | None, fmt: str, regenerate: bool
) -> None:
    """Print a run's report: the whole run, or one customer.

    RUN_ID is a run id, a unique prefix of one, or `latest` (the default). The
    run's directory is rebuilt from the run history when it is missing.
    """
    if state.output_json:
        fmt = "json"
    cfg = state.config()
    register_config_secrets(cfg)
    directory = resolve_run_directory(cfg, run_id, regenerate=regenerate)
    if customer is not None:
        slug = directory.customer_slug(customer)
        if slug is None:
            names = ", ".join(directory.customer_names()) or "none"
            raise ReportError(
                f"customer {customer!r} has no rows in run {directory.run_id} "
                f"(customers in this run: {names})"
            )
        relative = {"md": f"customers/{slug}.md", "json": f"customers/{slug}.json"}.get(fmt)
    else:
        relative = {"md": "summary.md", "json": "summary.json"}.get(fmt)
    if fmt == "html":
        path = directory.file("report.html")
        if not state.quiet:
            click.echo(str(path.resolve()))
        return
    assert relative is not None
    text = directory.read(relative)  # read even when quiet: a corrupt file still fails
    if not state.quiet:
        click.echo(redact(text), nl=False)
