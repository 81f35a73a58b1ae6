"""One doctor run: configuration, database, business keys, monday, data; every finding
collected.

Order matters only for what can be checked: an unreachable database skips the table
checks, a refused token skips the board checks, and the label and value checks need
both the database and the board.
"""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy import Engine

from sync_order_list.config import AppConfig, Finding
from sync_order_list.doctor.checks_board import BoardFacts, check_board
from sync_order_list.doctor.checks_data import check_conversions, check_labels, reader_findings
from sync_order_list.doctor.checks_db import (
    DatabaseFacts,
    ValueReader,
    check_database,
    missing_file_finding,
    missing_sqlite_file,
    url_key,
)
from sync_order_list.doctor.checks_keys import check_keys
from sync_order_list.doctor.checks_mapping import check_mapping
from sync_order_list.doctor.report import DoctorReport
from sync_order_list.errors import ConfigError, DatabaseError
from sync_order_list.logs import redact, register_secret
from sync_order_list.monday import MondayClient
from sync_order_list.report.readonly import read_only_engine


async def diagnose(
    cfg: AppConfig, *, engine: Engine | None = None, client: MondayClient | None = None
) -> DoctorReport:
    """Run every check and return the report; never raises for what it finds and
    never writes: its own engine is read-only (SQLite ``mode=ro``, PostgreSQL
    read-only transactions) and it sends only queries. ``engine`` / ``client``: use
    these instead (the caller keeps ownership)."""
    report = DoctorReport(environment=cfg.env_name, config_path=str(cfg.path))
    token = cfg.token.get_secret_value() if cfg.token else None
    register_secret(token)
    report.add(check_mapping(cfg))

    own_engine: Engine | None = None
    missing = missing_sqlite_file(cfg.database_url)
    if engine is None and missing is not None:
        report.add([missing_file_finding(cfg, missing)])  # never create it by connecting
    elif engine is None:
        try:
            engine = own_engine = read_only_engine(cfg.database_url)
        except ConfigError as exc:
            report.add([Finding("error", url_key(cfg), _bare(exc))])
        except DatabaseError as exc:
            report.add([Finding("error", url_key(cfg), exc.message)])
    try:
        db = DatabaseFacts()
        if engine is not None:
            findings, db, notes = check_database(engine, cfg)
            report.add(findings)
            report.notes += notes
        if engine is not None and db.reachable:
            findings, notes = check_keys(cfg, engine, db)
            report.add(findings)
            report.notes += notes
        findings, board, notes = await check_board(cfg, db, client=client)
        report.add(findings)
        report.notes += notes
        if engine is not None and db.reachable:
            report.add(_data_checks(cfg, engine, db, board))
    finally:
        if own_engine is not None:
            own_engine.dispose()
    report.findings = [dataclasses.replace(f, message=redact(f.message)) for f in report.findings]
    report.notes = [redact(n) for n in report.notes]
    return report


def run_doctor(
    cfg: AppConfig, *, engine: Engine | None = None, client: MondayClient | None = None
) -> DoctorReport:
    """``diagnose`` for synchronous callers (the CLI)."""
    return asyncio.run(diagnose(cfg, engine=engine, client=client))


def _data_checks(
    cfg: AppConfig, engine: Engine, db: DatabaseFacts, board: BoardFacts
) -> list[Finding]:
    if not board.pairs:
        return []
    with ValueReader(engine, cfg, db) as reader:
        findings = check_labels(cfg, board, reader)
        findings += check_conversions(cfg, board, reader)
        findings += reader_findings(cfg, reader)
    return findings


def _bare(exc: ConfigError) -> str:
    """The message without the ``[key]`` prefix ConfigError adds (the key is its own
    column in the report)."""
    message = exc.message
    if exc.key and message.startswith(f"[{exc.key}] "):
        message = message[len(exc.key) + 3 :]
    return message + (f" ({exc.hint})" if exc.hint else "")
