from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sync_order_list.config import config_for, load_config, mapping_findings
from sync_order_list.errors import ConfigError
from tests.conftest import CONFIG_PATH


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def shipped() -> str:
    return CONFIG_PATH.read_text(encoding="utf-8")


PROD_DB = {"SYNC_ORDER_LIST_PROD_DB_URL": "postgresql://u@prod/orders"}


def test_shipped_config_loads_both_environments() -> None:
    dev = load_config(CONFIG_PATH, environ={})
    prod = load_config(CONFIG_PATH, env_name="production", environ=PROD_DB)
    assert dev.env_name == "development" and not dev.env.protected
    assert prod.env.protected and prod.env.db_schema == "dbo"
    assert dev.settings.monday.items.creates_labels("dropdown_mkr58de6") is True
    assert dev.settings.monday.items.creates_labels("dropdown_mkr542p2") is False
    assert dev.findings == ()


def test_environment_chosen_by_variable_and_flag_wins() -> None:
    env = {"SYNC_ORDER_LIST_ENV": "production", **PROD_DB}
    assert load_config(CONFIG_PATH, environ=env).env_name == "production"
    assert load_config(CONFIG_PATH, env_name="development", environ=env).env_name == "development"


def test_database_url_layers() -> None:
    assert load_config(CONFIG_PATH, environ={}).database_url == "sqlite:///sync_order_list.db"
    env = {"SYNC_ORDER_LIST_DB_URL": "postgresql://u@h/db"}
    assert load_config(CONFIG_PATH, environ=env).database_url == "postgresql://u@h/db"
    assert (
        load_config(CONFIG_PATH, environ=env, database_url="sqlite:///x.db").database_url
        == "sqlite:///x.db"
    )
    dev = load_config(CONFIG_PATH, environ={})
    assert dev.database_is_fallback and dev.database_url_source == "default"
    assert load_config(CONFIG_PATH, environ=env).database_url_source == "SYNC_ORDER_LIST_DB_URL"
    prod = load_config(CONFIG_PATH, env_name="production", environ={**env, **PROD_DB})
    assert prod.database_url == "postgresql://u@prod/orders"  # prod reads its own variable
    assert not prod.database_is_fallback


def test_a_protected_environment_never_falls_back_to_sqlite() -> None:
    # the development variable is set, production's is not: production must not start
    env = {"SYNC_ORDER_LIST_DB_URL": "postgresql://u@h/db"}
    with pytest.raises(ConfigError) as err:
        load_config(CONFIG_PATH, env_name="production", environ=env)
    message = str(err.value)
    assert "[environments.production.database_url_env]" in message
    assert "SYNC_ORDER_LIST_PROD_DB_URL" in message and "never falls back" in message
    assert "sqlite" not in message.split("hint")[0].replace("SQLite", "")
    # --db is an explicit choice, even on a protected environment
    given = load_config(
        CONFIG_PATH, env_name="production", environ={}, database_url="postgresql://u@x/y"
    )
    assert given.database_url_source == "--db"


def test_config_for_a_run_of_ones_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONDAY_API_TOKEN", "from-the-process")
    cfg = config_for(
        CONFIG_PATH,
        "sqlite:///run.db",
        schema="s1",
        settings_update={"rate": {"window_seconds": 6.0}},
    )
    assert cfg.database_url == "sqlite:///run.db" and cfg.env_name == "development"
    assert cfg.env.db_schema == "s1" and cfg.settings.environments["development"].db_schema == "s1"
    assert cfg.settings.rate.window_seconds == 6.0
    shipped_rate = load_config(CONFIG_PATH, environ={}).settings.rate
    assert cfg.settings.rate.complexity_budget == shipped_rate.complexity_budget
    assert cfg.token is None  # the process's environment is not read
    other = config_for(CONFIG_PATH, "sqlite://", environ={"MONDAY_API_TOKEN": "t"})
    assert other.require_token() == "t" and other.env.db_schema is None


def test_token_only_from_environment_and_never_in_repr() -> None:
    cfg = load_config(CONFIG_PATH, environ={"MONDAY_API_TOKEN": "s3cr3t-token"})
    assert cfg.require_token() == "s3cr3t-token"
    assert "s3cr3t-token" not in repr(cfg)
    with pytest.raises(ConfigError, match="MONDAY_API_TOKEN"):
        load_config(CONFIG_PATH, environ={}).require_token()


def test_dotenv_file_is_a_lower_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("MONDAY_API_TOKEN=from-dotenv\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONDAY_API_TOKEN", raising=False)
    assert load_config(CONFIG_PATH).require_token() == "from-dotenv"
    monkeypatch.setenv("MONDAY_API_TOKEN", "from-env")
    assert load_config(CONFIG_PATH).require_token() == "from-env"


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, shipped().replace("[batch]\n", "[batch]\nitems_per_requets = 3\n"))
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    assert "batch.items_per_requets" in str(err.value)
    assert str(path) in str(err.value)


def test_secret_in_file_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, shipped().replace("[monday]\n", '[monday]\ntoken = "abc"\n'))
    with pytest.raises(ConfigError, match="secrets are read from the environment"):
        load_config(path, environ={})


def test_wrong_type_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, shipped().replace("\nconcurrency = 4 ", '\nconcurrency = "four" '))
    with pytest.raises(ConfigError, match=r"\[batch.concurrency\]"):
        load_config(path, environ={})


def test_missing_section_fails(tmp_path: Path) -> None:
    text = shipped()
    start = text.index("[names.group]")
    end = text.index("[names.item]")
    path = write(tmp_path, text[:start] + text[end:])
    with pytest.raises(ConfigError, match=r"names.group.*missing"):
        load_config(path, environ={})


def test_unknown_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown environment 'staging'"):
        load_config(CONFIG_PATH, env_name="staging", environ={})


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "a = ["), environ={})
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", environ={})


def test_bad_api_version_and_board_id(tmp_path: Path) -> None:
    path = write(tmp_path, shipped().replace('api_version = "2026-10"', 'api_version = "2025-05"'))
    with pytest.raises(ConfigError, match="monday.api_version"):
        load_config(path, environ={})
    path = write(tmp_path, shipped().replace('"8709134353"', '"board-1"'))
    with pytest.raises(ConfigError, match="items_board_id"):
        load_config(path, environ={})


def test_monday_column_mapped_twice_is_refused(tmp_path: Path) -> None:
    text = shipped().replace(
        '"DESTINATION WAREHOUSE" = "text_mkr5ps35"',
        '"DESTINATION WAREHOUSE" = "text_mkr5ps35"\n"Warehouse" = "text_mkr5ps35"',
    )
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match="mapped from 2 database columns"):
        load_config(path, environ={})
    cfg = load_config(path, environ={}, strict=False)
    assert [f.key for f in cfg.findings if f.severity == "error"] == ["monday.items.columns"]


def test_business_key_must_be_mapped_to_key_column() -> None:
    data = tomllib.loads(shipped())
    data["monday"]["business_key_column"] = "text_mkr5ej2x"  # PO NUMBER's column
    from sync_order_list.config import parse_settings

    findings = mapping_findings(parse_settings(data, Path("x.toml")))
    assert any(f.key == "monday.business_key_column" for f in findings)


def test_hash_columns_mapped_is_stable_and_excludes_key() -> None:
    cfg = load_config(CONFIG_PATH, environ={})
    cols = cfg.settings.hash_columns()
    assert "AAG ORDER NUMBER" not in cols
    assert len(cols) == len(set(cols))
    assert cols[:2] == ["CUSTOMER NAME", "CUSTOMER SEASON"]
