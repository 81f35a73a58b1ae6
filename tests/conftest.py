"""Shared fixtures: real databases (a SQLite file, a PostgreSQL schema) and configs.

PostgreSQL tests use the server on 127.0.0.1:5432; each test gets its own schema,
dropped afterwards. When the server is unreachable they skip, except under CI=true,
where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from sync_order_list.config import AppConfig, config_for
from sync_order_list.db import init_db, make_engine

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_PATH = REPO_ROOT / "configs" / "sync_order_list.toml"
PG_ADMIN_URL = os.environ.get(
    "SYNC_ORDER_LIST_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def reference_dir() -> Path:
    """The team's reference material (monday's schema, the original mapping).

    SYNC_ORDER_LIST_REFERENCE_DIR, else ../shared/reference beside the checkout, else
    /work/shared/reference (where this machine and CI keep it).
    """
    candidates = [
        os.environ.get("SYNC_ORDER_LIST_REFERENCE_DIR"),
        REPO_ROOT.parent / "shared" / "reference",
        Path("/work/shared/reference"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return Path(candidates[1])  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def reference() -> Path:
    path = reference_dir()
    if not path.is_dir():
        pytest.skip(f"reference directory {path} is missing (set SYNC_ORDER_LIST_REFERENCE_DIR)")
    return path


def make_config(
    database_url: str,
    *,
    schema: str | None = None,
    env_name: str = "development",
    settings_update: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> AppConfig:
    """The shipped config pointed at ``database_url`` (and a PostgreSQL schema)."""
    return config_for(
        CONFIG_PATH,
        database_url,
        schema=schema,
        env_name=env_name,
        settings_update=settings_update,
        environ=environ,
    )


@dataclass
class Database:
    """A real database ready for the pipeline: engine, config, backend name."""

    backend: str
    engine: Engine
    cfg: AppConfig

    def configure(self, **settings_update: Any) -> AppConfig:
        self.cfg = make_config(
            self.cfg.database_url, schema=self.cfg.env.db_schema, settings_update=settings_update
        )
        return self.cfg


def _pg_admin_engine() -> Engine | None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return engine
    except Exception as exc:  # unreachable server
        engine.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is unreachable under CI=true: {exc}")
        return None


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine | None]:
    engine = _pg_admin_engine()
    yield engine
    if engine is not None:
        engine.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    cfg = make_config(url)
    engine = make_engine(url)
    init_db(engine, cfg, order_tables=True)
    yield Database("sqlite", engine, cfg)
    engine.dispose()


@pytest.fixture
def pg_database(pg_admin: Engine | None) -> Iterator[Database]:
    if pg_admin is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = PG_ADMIN_URL
    cfg = make_config(url, schema=schema)
    engine = make_engine(url)
    try:
        init_db(engine, cfg, order_tables=True)
        yield Database("postgresql", engine, cfg)
    finally:
        engine.dispose()
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Database:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_database" if request.param == "sqlite" else "pg_database"
    return request.getfixturevalue(name)


@pytest.fixture
def config_factory() -> Callable[..., AppConfig]:
    return make_config
