"""The doctor's API checks: the API version (offered, current, on its way out,
deprecated), the token's kind against monday's budgets, the budget share."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from sync_order_list.config import AppConfig
from sync_order_list.doctor import run_doctor
from sync_order_list.doctor.checks_api import (
    TESTED_VERSIONS,
    budget_note,
    check_api_version,
    check_token_kind,
)
from sync_order_list.doctor.checks_board import PROBE
from tests.conftest import Database, make_config, reference_dir
from tests.doctor.support import emulator, findings, pointed_at, with_settings

VERSIONS = [
    {"value": "2025-01", "kind": "deprecated"},
    {"value": "2025-04", "kind": "maintenance"},
    {"value": "2025-07", "kind": "maintenance"},
    {"value": "2025-10", "kind": "current"},
    {"value": "2026-01", "kind": "release_candidate"},
    {"value": "2026-04", "kind": "dev"},
]


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> AppConfig:
    return make_config(f"sqlite:///{tmp_path_factory.mktemp('api') / 'unused.db'}")


def version_cfg(cfg: AppConfig, version: str) -> AppConfig:
    return with_settings(cfg, monday={"api_version": version})


def data(version: str, served: str | None = None) -> dict:
    kinds = {v["value"]: v["kind"] for v in VERSIONS}
    value = served or version
    return {"versions": VERSIONS, "version": {"value": value, "kind": kinds.get(value, "dev")}}


def test_the_current_version_is_a_note(cfg: AppConfig) -> None:
    found, notes = check_api_version(version_cfg(cfg, "2025-10"), data("2025-10"))
    assert found == [] and notes == ["monday API version 2025-10: current"]


@pytest.mark.parametrize(
    ("version", "severity", "words"),
    [
        ("2025-01", "error", "deprecated (no longer supported"),
        ("2025-04", "warning", "maintenance version: monday will deprecate it"),
        ("2026-01", "warning", "release candidate version and may still change"),
        ("2026-04", "warning", "dev version and may still change"),
    ],
)
def test_version_kinds(cfg: AppConfig, version: str, severity: str, words: str) -> None:
    found, _ = check_api_version(version_cfg(cfg, version), data(version))
    (finding,) = [f for f in found if "outside the versions" not in f.message]
    assert finding.severity == severity and finding.key == "monday.api_version"
    assert words in finding.message
    assert "set monday.api_version to the current version 2025-10" in finding.message


def test_a_version_monday_does_not_offer_is_an_error(cfg: AppConfig) -> None:
    found, _ = check_api_version(version_cfg(cfg, "2026-07"), data("2026-07", served="2025-10"))
    errors = [f for f in found if f.severity == "error"]
    assert len(errors) == 1 and "is not one monday offers" in errors[0].message
    assert "2025-10 (current)" in errors[0].message
    # and monday answered with another version than the one configured
    assert any("answered with API version 2025-10" in f.message for f in found)


def test_a_version_outside_the_tested_range_is_a_warning(cfg: AppConfig) -> None:
    found, _ = check_api_version(version_cfg(cfg, "2025-01"), data("2025-01"))
    assert any(f.severity == "warning" and "2025-04 to 2026-10" in f.message for f in found)
    assert TESTED_VERSIONS[0] == "2025-04" and TESTED_VERSIONS[-1] == "2026-10"


def test_no_version_list_is_only_a_note(cfg: AppConfig) -> None:
    found, notes = check_api_version(cfg, {})
    assert found == [] and "did not list its versions" in notes[0]


APP_HEADERS = {
    "ratelimit-policy": '"complexity_read";q=5000000;w=60, "complexity_write";q=5000000;w=60',
    "ratelimit": '"complexity_read";r=5000000;t=60, "complexity_write";r=4990000;t=60',
}
PERSONAL_HEADERS = {
    "ratelimit-policy": '"complexity";q=10000000;w=60',
    "ratelimit": '"complexity";r=9990000;t=60',
}


def token_cfg(cfg: AppConfig, kind: str, **rate: object) -> AppConfig:
    return with_settings(cfg, rate={"token_kind": kind, **rate})


def test_token_kind_agrees_with_the_headers(cfg: AppConfig) -> None:
    found, notes = check_token_kind(token_cfg(cfg, "personal"), PERSONAL_HEADERS)
    assert found == [] and "token: personal, as monday's budgets show" in notes[0]
    found, notes = check_token_kind(token_cfg(cfg, "app"), APP_HEADERS)
    assert found == [] and "complexity_read 5,000,000 per 60 s" in notes[0]


def test_an_app_token_configured_as_personal(cfg: AppConfig) -> None:
    (finding,) = check_token_kind(token_cfg(cfg, "personal"), APP_HEADERS)[0]
    assert finding.key == "rate.token_kind" and finding.severity == "warning"
    assert 'set rate.token_kind = "app"' in finding.message


def test_a_personal_token_configured_as_app(cfg: AppConfig) -> None:
    (finding,) = check_token_kind(token_cfg(cfg, "app"), PERSONAL_HEADERS)[0]
    assert 'set rate.token_kind = "personal"' in finding.message


def test_no_headers_leave_the_config_s_word(cfg: AppConfig) -> None:
    found, notes = check_token_kind(token_cfg(cfg, "app"), {})
    assert found == [] and notes[0].startswith("token: app (rate.token_kind;")


def test_a_smaller_budget_than_configured(cfg: AppConfig) -> None:
    trial = {"ratelimit-policy": '"complexity";q=1000000;w=60'}
    (finding,) = check_token_kind(token_cfg(cfg, "personal"), trial)[0]
    assert finding.key == "rate.complexity_budget"
    assert "1,000,000" in finding.message and "10,000,000" in finding.message


def test_budget_note(cfg: AppConfig) -> None:
    assert budget_note(cfg) == (
        "rate.budget_share 0.8: the sync spends at most 8,000,000 of 10,000,000 points a "
        "window, leaving the rest to other integrations, automations and people on the "
        "account"
    )
    app = token_cfg(cfg, "app", budget_share=0.5, write_budget=4_000_000)
    assert "2,500,000 of 5,000,000 read and 2,000,000 of 4,000,000 write" in budget_note(app)
    assert "leaving nothing" in budget_note(with_settings(cfg, rate={"budget_share": 1.0}))


def test_the_probe_validates_against_both_sdls() -> None:
    for name in ("monday-api-schema.graphql", "monday-api-schema-2026-10.graphql"):
        path = Path(reference_dir()) / name
        if not path.is_file():
            pytest.skip(f"{path} is missing")
        assert validate(build_schema(path.read_text()), parse(PROBE)) == [], name


# -- against the emulator -----------------------------------------------------------------


def test_doctor_reports_version_token_kind_and_share(sqlite_database: Database) -> None:
    with emulator() as emu:
        report = run_doctor(pointed_at(sqlite_database.cfg, emu), engine=sqlite_database.engine)
        stale = run_doctor(
            pointed_at(version_cfg(sqlite_database.cfg, "2024-10"), emu),
            engine=sqlite_database.engine,
        )
        app = run_doctor(
            pointed_at(token_cfg(sqlite_database.cfg, "app"), emu),
            engine=sqlite_database.engine,
        )
    # the shipped config asks for 2026-10, monday's (and the emulator's) current version
    assert not findings(report, "monday.api_version")
    assert not findings(report, "rate.token_kind")
    assert any(n.startswith("monday API version 2026-10: ") for n in report.notes)
    assert any(n.startswith("token: personal, as monday's budgets show") for n in report.notes)
    assert any(n.startswith("rate.budget_share 0.8") for n in report.notes)
    assert findings(stale, "monday.api_version", severity="error")
    assert findings(app, "rate.token_kind", 'set rate.token_kind = "personal"')


def test_doctor_checks_the_token_user_may_backfill(sqlite_database: Database) -> None:
    """bulk.mode = "backfill" needs an account admin: the doctor asks monday who the
    token's user is (``me { kind }``, asked with bulk.api_version)."""
    import json
    import urllib.request

    from sync_order_list.doctor.checks_api import BULK_PROBE

    backfill = with_settings(sqlite_database.cfg, bulk={"mode": "backfill"})
    with emulator() as emu:
        admin = run_doctor(pointed_at(backfill, emu), engine=sqlite_database.engine)
        request = urllib.request.Request(
            emu.admin_url + "/settings",
            data=json.dumps({"user_is_admin": False}).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).close()
        member = run_doctor(pointed_at(backfill, emu), engine=sqlite_database.engine)
        ingest = run_doctor(
            pointed_at(with_settings(backfill, bulk={"mode": "ingest"}), emu),
            engine=sqlite_database.engine,
        )
    assert not findings(admin, "bulk.mode")
    assert any(n.startswith("bulk import: backfill") for n in admin.notes)
    assert findings(member, "bulk.mode", "needs an account admin", "'member'", severity="error")
    assert not findings(ingest, "bulk.mode")
    schema = build_schema((reference_dir() / "monday-api-schema-2026-10.graphql").read_text())
    assert validate(schema, parse(BULK_PROBE)) == []
