"""The RateLimit-Policy / RateLimit header parser, on header strings."""

from __future__ import annotations

import pytest

from sync_order_list.monday.ratelimit import (
    BudgetReport,
    QuotaPolicy,
    QuotaState,
    parse,
    parse_list,
    pool_of,
)


def headers(policy: str | None = None, state: str | None = None) -> dict[str, str]:
    out = {}
    if policy is not None:
        out["ratelimit-policy"] = policy
    if state is not None:
        out["ratelimit"] = state
    return out


def test_one_named_policy() -> None:
    info = parse(headers('"complexity";q=10000000;w=60', '"complexity";r=9870000;t=42'))
    assert info.policies["complexity"] == QuotaPolicy("complexity", 10_000_000, 60.0)
    assert info.states["complexity"] == QuotaState("complexity", 9_870_000, 42.0)
    assert info.budget("combined") == BudgetReport(
        remaining=9_870_000, reset_in=42.0, quota=10_000_000, window=60.0
    )
    assert not info.separate_read_write
    assert info.describe() == "complexity 10,000,000 per 60 s"


def test_several_policies_app_token() -> None:
    info = parse(
        headers(
            '"complexity_read";q=5000000;w=60, "complexity_write";q=5000000;w=60, '
            '"daily";q=25000;w=86400',
            '"complexity_write";r=4990000;t=59, "complexity_read";r=4700000;t=12, '
            '"daily";r=24000;t=3600',
        )
    )
    assert info.separate_read_write
    assert info.pools() == {"read": "complexity_read", "write": "complexity_write"}
    assert info.budget("write") == BudgetReport(4_990_000, 59.0, 5_000_000, 60.0)
    assert info.budget("read") == BudgetReport(4_700_000, 12.0, 5_000_000, 60.0)
    assert info.budget("combined") is None  # no combined budget on an app token
    assert info.states["daily"].remaining == 24_000  # kept, not budgeted


def test_read_and_write_fall_back_to_a_single_complexity_policy() -> None:
    info = parse(headers('"complexity";q=5000000;w=60', '"complexity";r=100;t=1'))
    assert info.budget("write") == BudgetReport(100, 1.0, 5_000_000, 60.0)
    assert info.budget("read") == info.budget("write")


@pytest.mark.parametrize(
    ("name", "unit", "pool"),
    [
        ("complexity", None, "combined"),
        ("Complexity-Budget", None, "combined"),
        ("complexity-read", None, "read"),
        ("app_complexity_reads", None, "read"),
        ("complexity_query", None, "read"),
        ("complexity.write", None, "write"),
        ("complexity-mutations", None, "write"),
        ("minute", None, None),
        ("mutations", None, None),  # 2,000 mutations a minute: a count, not a budget
        ("daily", None, None),
        ("budget", "complexity", "combined"),
    ],
)
def test_which_policy_is_which_budget(name: str, unit: str | None, pool: str | None) -> None:
    assert pool_of(name, unit) == pool


def test_structured_field_details() -> None:
    assert parse_list('"a";q=1;w=60, b;r=2') == [("a", {"q": 1, "w": 60}), ("b", {"r": 2})]
    # whitespace, a decimal, a boolean, a string, a byte sequence, an escaped quote
    assert parse_list(' "x\\"y" ; q=5 ; w=1.5 ; flag ; qu="complexity"; pk=:YWJj: ') == [
        ('x"y', {"q": 5, "w": 1.5, "flag": True, "qu": "complexity", "pk": "YWJj"})
    ]
    assert parse_list('"comma,inside";q=1') == [("comma,inside", {"q": 1})]
    assert parse_list("") == [] and parse_list(" , ,") == []


def test_bad_members_are_skipped_not_fatal() -> None:
    items = parse_list('"ok";q=1, =broken, 5;q=2, "fine";r=?1, "unterminated;q=3')
    assert [name for name, _ in items] == ["ok", "fine"]
    assert items[1][1] == {"r": True}
    info = parse(headers('"complexity";q=abc;w=60', '"complexity";r=-5;t=oops'))
    assert info.policies["complexity"].quota is None
    report = info.budget("combined")
    assert report is not None and report.remaining == 0 and report.reset_in is None


def test_no_headers_or_no_remaining() -> None:
    assert parse({}).empty and parse({}).budget("combined") is None
    only_policy = parse(headers('"complexity";q=10;w=60'))
    assert only_policy.budget("combined") is None
    assert only_policy.describe() == "complexity 10 per 60 s"
