"""The group and item name rules in Python: the reference the SQL templates follow.

The merge computes names in SQL (set-based); this module states the same rules for
tests, the doctor and anyone reading: values are trimmed of spaces, empty ones skipped;
the business key, as a name column or the fallback, is the canonical key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync_order_list.config.models import GroupNameRule, ItemNameRule
from sync_order_list.merge.keys import KeyCase, normalise_key

MAX_STORED = 1000


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = _as_text(value).strip(" ")
    return text or None


def _as_text(value: Any) -> str:
    return str(value)


def _join(row: Mapping[str, Any], columns: list[str], separator: str) -> str | None:
    parts = [v for v in (_clean(row.get(c)) for c in columns) if v is not None]
    return separator.join(parts) if parts else None


def _with_canonical_key(
    row: Mapping[str, Any], key: str | None, key_case: KeyCase
) -> Mapping[str, Any]:
    """The row with its business key in canonical form (a name column may be the key)."""
    if key is None or key not in row:
        return row
    return {**row, key: normalise_key(row[key], key_case)}


def group_name(
    row: Mapping[str, Any], rule: GroupNameRule, key: str | None = None, key_case: KeyCase = "upper"
) -> str:
    """Primary columns when all are filled, else the fallback columns, else the value."""
    row = _with_canonical_key(row, key, key_case)
    for columns in (rule.columns, rule.fallback_columns):
        if columns and all(_clean(row.get(c)) is not None for c in columns):
            return (_join(row, columns, rule.separator) or "")[:MAX_STORED]
    return rule.fallback_value[:MAX_STORED]


def item_name(
    row: Mapping[str, Any], rule: ItemNameRule, key: str, key_case: KeyCase = "upper"
) -> str:
    """The filled columns joined; when none is filled, the fallback (default: the
    canonical business key, which is also what a name column that is the key holds)."""
    row = _with_canonical_key(row, key, key_case)
    name = _join(row, rule.columns, rule.separator)
    if name is None:
        fallback = rule.fallback_value
        name = fallback if fallback is not None else str(normalise_key(row.get(key), key_case))
    return name[:MAX_STORED]
