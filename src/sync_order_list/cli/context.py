"""What every command shares: options, config loading, the engine, output, exit codes."""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from sync_order_list.cli.tables import Grid
from sync_order_list.config import AppConfig, load_config
from sync_order_list.db import make_engine
from sync_order_list.db.connect import check_connection
from sync_order_list.errors import ProtectedEnvironmentError, SyncOrderListError
from sync_order_list.logs import configure_logging, redact
from sync_order_list.report.readonly import read_only_engine

log = logging.getLogger("sync_order_list.cli")

EXIT_OK = 0
EXIT_ROW_ERRORS = 1
EXIT_FAILURE = 2

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliState:
    config_path: str | None = None
    env_name: str | None = None
    db_url: str | None = None
    quiet: bool = False
    output_json: bool = False
    log_format: str = "human"
    _config: AppConfig | None = None
    _engine: Engine | None = None
    _fallback_noted: bool = False
    # soft_wrap: long lines (paths, URLs) are left whole for the terminal to wrap
    console: Console = field(default_factory=lambda: Console(highlight=False, soft_wrap=True))

    def config(self, *, strict: bool = True) -> AppConfig:
        if self._config is None or not strict:
            cfg = load_config(
                self.config_path, env_name=self.env_name, database_url=self.db_url, strict=strict
            )
            if not strict:
                return cfg
            self._config = cfg
        return self._config

    def database_url(self) -> str:
        """The configured database URL; says once when it is the SQLite fallback."""
        cfg = self.config()
        if cfg.database_is_fallback and not self._fallback_noted:
            self._fallback_noted = True
            self.warn(
                f"{cfg.env.database_url_env} is not set: using {cfg.database_url} "
                f"(environment {cfg.env_name!r} is not protected, so it may fall back)"
            )
        return cfg.database_url

    def engine(self) -> Engine:
        """The pipeline's engine, its connection checked (one wording when refused)."""
        if self._engine is None:
            url = self.database_url()
            engine = make_engine(url, config_key=database_key(self.config()))
            check_connection(engine, url)
            self._engine = engine
        return self._engine

    def read_only_engine(self) -> Engine:
        """An engine that cannot write (status, check, report, verify); the caller
        disposes of it."""
        return read_only_engine(self.database_url(), config_key=database_key(self.config()))

    def say(self, *objects: Any, **kwargs: Any) -> None:
        """Human output; silent with --quiet or --json."""
        if not (self.quiet or self.output_json):
            self.console.print(*objects, **kwargs)

    def warn(self, message: str) -> None:
        """A warning on stderr, as a log line (human or JSON, shown with -q too)."""
        log.warning("%s", message)

    def show(self, grid: Grid) -> None:
        """A table on a terminal; plain lines when the output is a file or a pipe."""
        if self.quiet or self.output_json:
            return
        if self.console.is_terminal:
            self.console.print(grid.rich())
        else:
            for line in grid.plain_lines():
                self.console.print(line, markup=False, highlight=False)

    def emit_json(self, payload: Any) -> None:
        if self.output_json:
            click.echo(json.dumps(payload, default=str, indent=2, ensure_ascii=False))

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


pass_state = click.make_pass_decorator(CliState, ensure=True)


DEBUG_ENV = "SYNC_ORDER_LIST_DEBUG"

execute_option = click.option(
    "--execute", is_flag=True, help="Required to write to a protected environment."
)


def database_key(cfg: AppConfig) -> str:
    """The configuration key a database URL problem points at."""
    return f"environments.{cfg.env_name}.database_url_env"


def require_execute(cfg: AppConfig, execute: bool, what: str) -> None:
    """Refuse to write to a protected environment unless --execute was given."""
    if cfg.env.protected and not execute:
        raise ProtectedEnvironmentError(
            f"refusing to {what}: environment {cfg.env_name!r} is protected",
            hint="add --execute to do it (sync: try --dry-run first to see what would change)",
        )


def print_error(message: str) -> None:
    """One line on stderr; the message's own brackets ([section.key]) kept as text."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print(f"[bold red]error:[/] {escape(redact(message))}")


def handle_errors(func: F) -> F:
    """Turn every failure into one readable message and the documented exit code.

    The tool's own errors carry their exit code; a database error is 2; anything else
    is a bug or an unexpected condition: 2, with the traceback only when
    SYNC_ORDER_LIST_DEBUG=1 (a scheduler must never read it as "rows in ERROR").
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SyncOrderListError as exc:
            print_error(str(exc))
            sys.exit(exc.exit_code)
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            print_error(f"database error: {detail[0] if detail else exc.__class__.__name__}")
            sys.exit(EXIT_FAILURE)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get(DEBUG_ENV) == "1":
                traceback.print_exc()
            print_error(
                f"unexpected {exc.__class__.__name__}: {exc} (set {DEBUG_ENV}=1 for the traceback)"
            )
            sys.exit(EXIT_FAILURE)

    return wrapper  # type: ignore[return-value]


def common_options(func: F) -> F:
    """--config/--env/--db and output options, accepted by every command."""
    options = [
        click.option(
            "--config",
            "config_path",
            envvar="SYNC_ORDER_LIST_CONFIG",
            type=click.Path(dir_okay=False),
            help="TOML config (default: configs/sync_order_list.toml).",
        ),
        click.option(
            "--env",
            "env_name",
            envvar="SYNC_ORDER_LIST_ENV",
            help="Environment section to use (default: the file's default_environment).",
        ),
        click.option("--db", "db_url", help="Database URL (overrides the environment variable)."),
        click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors."),
        click.option("--json", "output_json", is_flag=True, help="Print a JSON result."),
        click.option(
            "--log-format",
            type=click.Choice(["human", "json"]),
            default=None,
            help="Log lines for people (default) or for log shippers.",
        ),
    ]

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        state = click.get_current_context().ensure_object(CliState)
        for name in ("config_path", "env_name", "db_url"):
            value = kwargs.pop(name)
            if value is not None:
                setattr(state, name, value)
        state.quiet = kwargs.pop("quiet") or state.quiet
        state.output_json = kwargs.pop("output_json") or state.output_json
        log_format = kwargs.pop("log_format")
        if log_format:
            state.log_format = log_format
        configure_logging(state.log_format, quiet=state.quiet or state.output_json)
        return func(*args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]
