"""Static checks of a mapping that need no database and no network."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from sync_order_list.config.models import Settings


@dataclass(frozen=True)
class Finding:
    """One problem found in the configuration, the database or the board."""

    severity: Literal["error", "warning"]
    key: str
    message: str

    def line(self) -> str:
        return f"{self.severity.upper():7} [{self.key}] {self.message}"


def mapping_findings(settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    for board in ("items", "subitems"):
        mapping = getattr(settings.monday, board)
        by_target: dict[str, list[str]] = defaultdict(list)
        for db_col, col_id in mapping.columns.items():
            by_target[col_id].append(db_col)
        for col_id, db_cols in by_target.items():
            if len(db_cols) > 1:
                names = ", ".join(repr(c) for c in db_cols)
                findings.append(
                    Finding(
                        "error",
                        f"monday.{board}.columns",
                        f"monday column {col_id!r} is mapped from {len(db_cols)} database "
                        f"columns ({names}); each sync would overwrite one with the other: "
                        "keep one",
                    )
                )
        for col_id in mapping.create_labels_if_missing:
            if col_id != "default" and col_id not in by_target:
                findings.append(
                    Finding(
                        "warning",
                        f"monday.{board}.create_labels_if_missing",
                        f"{col_id!r} is not a mapped monday column",
                    )
                )
    sub_cols = set(settings.monday.subitems.columns)
    for needed in ("size_code", "qty"):
        if needed not in sub_cols:
            findings.append(
                Finding(
                    "warning",
                    "monday.subitems.columns",
                    f"line column {needed!r} is not mapped to a subitem column",
                )
            )
    unknown_sub = sub_cols - {"size_code", "qty", "size_position"}
    for col in sorted(unknown_sub):
        findings.append(
            Finding(
                "error",
                "monday.subitems.columns",
                f"{col!r} is not a column of the lines table (size_code, qty, size_position)",
            )
        )
    key_col = settings.monday.business_key_column
    if key_col not in settings.monday.items.columns.values():
        findings.append(
            Finding(
                "error",
                "monday.business_key_column",
                f"{key_col!r} must be the monday column the business key "
                f"{settings.merge.business_key!r} is mapped to in [monday.items.columns]",
            )
        )
    elif settings.monday.items.columns.get(settings.merge.business_key) != key_col:
        findings.append(
            Finding(
                "error",
                "monday.business_key_column",
                f"{settings.merge.business_key!r} must be mapped to {key_col!r} so that "
                "every item carries its order's key",
            )
        )
    return findings
