"""Read the TOML file, pick the environment, resolve secrets from the environment.

Layers, later wins: the TOML file, then environment variables (and a ``.env`` file in
the working directory, which never overrides a variable already set), then command-line
flags. Secrets only ever come from the environment.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import SecretStr, ValidationError

from sync_order_list.config.models import EnvironmentSettings, Settings
from sync_order_list.config.validate import Finding, mapping_findings
from sync_order_list.errors import ConfigError

CONFIG_ENV = "SYNC_ORDER_LIST_CONFIG"
ENVIRONMENT_ENV = "SYNC_ORDER_LIST_ENV"
DEFAULT_CONFIG_PATH = Path("configs/sync_order_list.toml")
DEFAULT_DATABASE_URL = "sqlite:///sync_order_list.db"
DEFAULT_SOURCE = "default"
SECRET_KEYS = {"token", "api_token", "database_url", "password", "db_url"}


@dataclass(frozen=True)
class AppConfig:
    """Settings plus everything resolved for one run: environment, URLs, token."""

    settings: Settings
    path: Path
    env_name: str
    env: EnvironmentSettings
    database_url: str
    api_url: str
    token: SecretStr | None = field(repr=False)
    findings: tuple[Finding, ...] = ()
    # "--db", the variable's name, or DEFAULT_SOURCE (the unprotected SQLite fallback)
    database_url_source: str = "--db"

    @property
    def database_is_fallback(self) -> bool:
        return self.database_url_source == DEFAULT_SOURCE

    def require_token(self) -> str:
        if self.token is None or not self.token.get_secret_value():
            raise ConfigError(
                f"no monday API token: set the environment variable "
                f"{self.settings.monday.token_env}",
                key="monday.token_env",
                file=str(self.path),
                hint="the token is only ever read from the environment or a .env file",
            )
        return self.token.get_secret_value()


def environment_values(dotenv_path: Path | None = None) -> dict[str, str]:
    """os.environ layered over a ``.env`` file (the environment wins)."""
    values: dict[str, str] = {}
    path = dotenv_path if dotenv_path is not None else Path(".env")
    if path.is_file():
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(os.environ)
    return values


def _key_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _format_validation(exc: ValidationError, path: Path) -> ConfigError:
    lines = []
    first_key = None
    for err in exc.errors():
        key = _key_path(err["loc"]) or "top level"
        first_key = first_key or key
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            leaf = str(err["loc"][-1]).lower()
            msg = "unknown key"
            if leaf in SECRET_KEYS:
                msg += " (secrets are read from the environment, never from the file)"
        elif err["type"] == "missing":
            msg = "missing required key"
        lines.append(f"[{key}] {msg}")
    detail = "; ".join(lines)
    return ConfigError(f"invalid configuration: {detail}", file=str(path), key=None)


def parse_settings(data: dict[str, Any], path: Path) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise _format_validation(exc, path) from None


def read_settings(path: Path) -> Settings:
    if not path.is_file():
        raise ConfigError(
            "configuration file not found",
            file=str(path),
            hint=f"pass --config PATH or set {CONFIG_ENV}",
        )
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from None
    return parse_settings(data, path)


def resolve_config_path(config: str | os.PathLike[str] | None, env: dict[str, str]) -> Path:
    if config:
        return Path(config)
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    return DEFAULT_CONFIG_PATH


def load_config(
    config: str | os.PathLike[str] | None = None,
    *,
    env_name: str | None = None,
    database_url: str | None = None,
    strict: bool = True,
    environ: dict[str, str] | None = None,
) -> AppConfig:
    """Load and resolve the configuration; raise ConfigError before anything runs.

    ``strict`` (the default) also refuses a mapping with error-level findings (a monday
    column mapped twice, ...). ``doctor`` loads with ``strict=False`` to list them all.
    """
    values = environ if environ is not None else environment_values()
    path = resolve_config_path(config, values)
    settings = read_settings(path)

    name = env_name or values.get(ENVIRONMENT_ENV) or settings.default_environment
    if name not in settings.environments:
        known = ", ".join(sorted(settings.environments))
        raise ConfigError(
            f"unknown environment {name!r} (known: {known})",
            key=f"environments.{name}",
            file=str(path),
            hint=f"choose with --env or {ENVIRONMENT_ENV}",
        )
    env = settings.environments[name]

    findings = tuple(mapping_findings(settings))
    errors = [f for f in findings if f.severity == "error"]
    if strict and errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more; run `sync-order-list doctor`)" if errors[1:] else ""
        raise ConfigError(first.message + more, key=first.key, file=str(path))

    url, source = _database_url(database_url, values, env, name, path)
    api_url = values.get(settings.monday.api_url_env) or settings.monday.default_api_url
    token_value = values.get(settings.monday.token_env)
    token = SecretStr(token_value) if token_value else None
    return AppConfig(
        settings=settings,
        path=path,
        env_name=name,
        env=env,
        database_url=url,
        api_url=api_url,
        token=token,
        findings=findings,
        database_url_source=source,
    )


def config_for(
    config: str | os.PathLike[str],
    database_url: str,
    *,
    schema: str | None = None,
    env_name: str | None = None,
    settings_update: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> AppConfig:
    """The config file ``config`` pointed at ``database_url`` and its database
    ``schema``, with ``settings_update`` applied over the file's settings (nested dicts,
    e.g. ``{"rate": {"window_seconds": 6}}``). Variables come from ``environ`` only
    (none when it is None), never from this process's environment: a config for a run
    that a test or a benchmark sets up itself."""
    cfg = load_config(config, env_name=env_name, database_url=database_url, environ=environ or {})
    env = cfg.env.model_copy(update={"db_schema": schema})
    settings = cfg.settings
    if settings_update:
        settings = updated(settings, settings_update)
    settings = settings.model_copy(
        update={"environments": {**settings.environments, cfg.env_name: env}}
    )
    return replace(cfg, env=env, settings=settings)


def updated(model: Any, update: dict[str, Any]) -> Any:
    """A copy of a settings model with nested changes: a dict for a section updates
    that section, key by key (no validation, as ``model_copy``)."""
    changes = {}
    for key, value in update.items():
        current = getattr(model, key)
        if isinstance(value, dict) and hasattr(current, "model_copy"):
            changes[key] = updated(current, value)
        else:
            changes[key] = value
    return model.model_copy(update=changes)


def _database_url(
    given: str | None, values: dict[str, str], env: EnvironmentSettings, name: str, path: Path
) -> tuple[str, str]:
    """The URL and where it came from: ``--db``, the variable, or the SQLite default.

    A protected environment never falls back to the default: with its variable unset
    (and no ``--db``) it is a configuration error, so production cannot quietly run
    against an empty local file.
    """
    if given:
        return given, "--db"
    if values.get(env.database_url_env):
        return values[env.database_url_env], env.database_url_env
    if env.protected:
        raise ConfigError(
            f"environment {name!r} is protected and the variable {env.database_url_env} "
            "that holds its database URL is not set; a protected environment never falls "
            "back to the local SQLite file",
            key=f"environments.{name}.database_url_env",
            file=str(path),
            hint=f"set {env.database_url_env} (in the environment or .env), or pass --db URL",
        )
    return DEFAULT_DATABASE_URL, DEFAULT_SOURCE
