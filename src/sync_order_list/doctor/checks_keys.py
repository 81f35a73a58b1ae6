"""Checks of the business keys the tables hold, by the one rule (merge/keys.py):

- orders whose key is not in canonical form (written by an older version or by hand):
  the next merge rewrites them and the sync re-sends the board's key column;
- orders whose keys are one key after normalising: the merge leaves them as they are,
  and each is an item monday's lookup cannot tell from the others;
- staging keys that are one key after normalising: the merge rejects all those rows.

Reads only (one rolled-back connection); needs no board.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, column, select, table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import quoted_name

from sync_order_list.config import AppConfig, Finding
from sync_order_list.doctor.checks_db import DatabaseFacts, describe_db_error, rolled_back
from sync_order_list.merge.keys import KeyCase, normalise_key

#: At most this many distinct keys are read per table.
KEY_LIMIT = 1_000_000
_SHOW = 5  # examples named in one message

KEY_FIX = "merge.business_key"


def _distinct_keys(engine: Engine, cfg: AppConfig, name: str) -> list[Any]:
    key = column(quoted_name(cfg.settings.merge.business_key, True))
    schema = cfg.env.db_schema
    tbl = table(quoted_name(name, True), key, schema=quoted_name(schema, True) if schema else None)
    stmt = select(key).select_from(tbl).where(key.is_not(None)).distinct().limit(KEY_LIMIT)
    with rolled_back(engine) as conn:
        return [row[0] for row in conn.execute(stmt)]


def collisions(raw_keys: Iterable[Any], case: KeyCase) -> dict[str, list[str]]:
    """Canonical key -> the distinct raw keys that normalise to it, where more than one
    does (sorted, as ``repr`` shows them)."""
    by_key: dict[str, set[str]] = defaultdict(set)
    for raw in raw_keys:
        key = normalise_key(raw, case)
        if key is not None:
            by_key[key].add(str(raw))
    return {k: sorted(v) for k, v in sorted(by_key.items()) if len(v) > 1}


def _examples(groups: dict[str, list[str]]) -> str:
    shown = "; ".join(
        f"{', '.join(repr(r) for r in raws)} -> {key!r}"
        for key, raws in list(groups.items())[:_SHOW]
    )
    more = len(groups) - _SHOW
    return shown + (f"; and {more} more" if more > 0 else "")


def check_keys(
    cfg: AppConfig, engine: Engine, facts: DatabaseFacts
) -> tuple[list[Finding], list[str]]:
    """The findings about the keys of the orders and staging tables, and notes."""
    case: KeyCase = cfg.settings.merge.key_case
    key = cfg.settings.merge.business_key
    findings: list[Finding] = []
    notes: list[str] = []
    for role in ("target", "staging"):
        if key not in facts.columns(role):
            continue  # the database checks report the missing table or column
        name = facts.names[role]
        try:
            raws = _distinct_keys(engine, cfg, name)
        except SQLAlchemyError as exc:
            findings.append(
                Finding(
                    "warning",
                    KEY_FIX,
                    f"could not read the business keys of {name!r} "
                    f"({describe_db_error(exc, '')}); they were not checked",
                )
            )
            continue
        partly = f" (the first {KEY_LIMIT:,} distinct keys)" if len(raws) >= KEY_LIMIT else ""
        groups = collisions(raws, case)
        if role == "target":
            findings += _target_findings(name, raws, groups, case)
        elif groups:
            findings.append(
                Finding(
                    "error",
                    KEY_FIX,
                    f"{len(groups)} business key(s) in {name!r} are one key after "
                    f"normalising (spaces, control characters, key_case = {case!r}): "
                    f"{_examples(groups)}; the merge rejects every row involved: correct "
                    "those keys in the staging load",
                )
            )
        if not groups:
            notes.append(f"business keys of {name!r}{partly}: none collide after normalising")
    return findings, notes


def _target_findings(
    name: str, raws: list[Any], groups: dict[str, list[str]], case: KeyCase
) -> list[Finding]:
    findings: list[Finding] = []
    colliding = {r for raws_ in groups.values() for r in raws_}
    stale = [
        (str(raw), canonical)
        for raw in raws
        if (canonical := normalise_key(raw, case)) is not None
        and canonical != str(raw)
        and str(raw) not in colliding
    ]
    if stale:
        shown = ", ".join(f"{raw!r} -> {canonical!r}" for raw, canonical in stale[:_SHOW])
        more = f" and {len(stale) - _SHOW} more" if len(stale) > _SHOW else ""
        findings.append(
            Finding(
                "warning",
                KEY_FIX,
                f"{len(stale)} order key(s) in {name!r} are not in canonical form "
                f"(key_case = {case!r}): {shown}{more}; the next merge rewrites them and the "
                "sync re-sends the board's key column of their items",
            )
        )
    if groups:
        findings.append(
            Finding(
                "error",
                KEY_FIX,
                f"{len(groups)} business key(s) in {name!r} are one key after normalising: "
                f"{_examples(groups)}; the merge leaves these orders as they are and monday's "
                "lookup cannot tell their items apart: keep one order per key (give the others "
                "distinct keys, or delete them and their items)",
            )
        )
    return findings
