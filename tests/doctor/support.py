"""Helpers for the doctor tests: board specs with defects, configs pointed at the
emulator, and a snapshot of everything a database holds (to prove doctor writes
nothing)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, MetaData, Table, inspect, select

from monday_emulator import DEMO_BOARD, EmulatorSettings, builtin_spec, run_in_thread
from monday_emulator.threaded import ThreadedEmulator
from sync_order_list.config import AppConfig, Finding
from sync_order_list.config.loader import updated
from sync_order_list.doctor import DoctorReport

TOKEN = "doctor-token-123"


def demo_spec() -> dict[str, Any]:
    """A fresh copy of the emulator's demo board spec (to break on purpose)."""
    return copy.deepcopy(builtin_spec(DEMO_BOARD))


def column_spec(spec: dict[str, Any], column_id: str) -> dict[str, Any]:
    return next(c for c in spec["columns"] if c.get("id") == column_id)


def without_column(spec: dict[str, Any], column_id: str) -> dict[str, Any]:
    spec["columns"] = [c for c in spec["columns"] if c.get("id") != column_id]
    return spec


@contextmanager
def emulator(boards: list[dict[str, Any]] | None = None) -> Iterator[ThreadedEmulator]:
    """An emulator on a free port with these boards (the demo board when None)."""
    settings = EmulatorSettings(token=TOKEN, mutation_ms_mean=0, query_ms_mean=0)  # no server time
    with run_in_thread(settings, boards=boards) as emu:
        yield emu


def pointed_at(
    cfg: AppConfig, emu: ThreadedEmulator | None, token: str | None = TOKEN
) -> AppConfig:
    """``cfg`` talking to the emulator with ``token``."""
    return dataclasses.replace(
        cfg,
        api_url=emu.url if emu is not None else cfg.api_url,
        token=SecretStr(token) if token else None,
    )


def with_settings(cfg: AppConfig, **update: Any) -> AppConfig:
    """``cfg`` with nested settings changed: ``with_settings(cfg, merge={"...": ...})``."""
    settings = updated(cfg.settings, update)
    env = settings.environments[cfg.env_name]
    return dataclasses.replace(cfg, settings=settings, env=env)


def with_env(cfg: AppConfig, **update: Any) -> AppConfig:
    env = cfg.env.model_copy(update=update)
    settings = cfg.settings.model_copy(
        update={"environments": {**cfg.settings.environments, cfg.env_name: env}}
    )
    return dataclasses.replace(cfg, settings=settings, env=env)


def findings(
    report: DoctorReport, key: str, *words: str, severity: str | None = None
) -> list[Finding]:
    """The findings under ``key`` whose message holds every word."""
    return [
        f
        for f in report.findings
        if f.key == key
        and all(w in f.message for w in words)
        and (severity is None or f.severity == severity)
    ]


def snapshot(engine: Engine, schema: str | None) -> dict[str, str]:
    """Table -> hash of its columns and sorted rows: every byte the doctor could touch."""
    out: dict[str, str] = {}
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names(schema=schema))
        for name in names:
            table = Table(name, MetaData(schema=schema), autoload_with=conn)
            rows = sorted(repr(tuple(r)) for r in conn.execute(select(table)))
            digest = hashlib.sha256()
            digest.update(repr([c.name for c in table.columns]).encode())
            for row in rows:
                digest.update(row.encode())
            out[name] = f"{len(rows)}:{digest.hexdigest()}"
    return out
