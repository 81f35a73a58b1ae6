"""Checks of the data against the board: dropdown and status labels the tables hold
but the board lacks, and values a column of a ``check`` pairing cannot take.

The values are the distinct values of the mapped column in the orders table and the
staging table (for subitems: the lines table), read with ``ValueReader``.
"""

from __future__ import annotations

from sync_order_list.config import AppConfig, Finding
from sync_order_list.config.models import BoardMapping
from sync_order_list.doctor.checks_board import SUGGEST, BoardFacts, MappedPair, check_pairs
from sync_order_list.doctor.checks_db import DISTINCT_LIMIT, ValueReader, table_roles
from sync_order_list.doctor.compat import KIND_NAMES
from sync_order_list.errors import RowError
from sync_order_list.monday.encoders import STATUS_MAX_LABELS, comparable, encode_value

LABEL_TYPES = ("dropdown", "status")
_SHOW = 8  # labels / examples named in one message


def _roles(pair: MappedPair) -> list[str]:
    return ["target", "staging"] if pair.board == "items" else ["lines"]


def _values(reader: ValueReader, pair: MappedPair) -> tuple[list[object], bool, bool]:
    """(distinct raw values over the tables, whether any table was read, truncated)."""
    seen: dict[str, object] = {}
    read = truncated = False
    for role in _roles(pair):
        values = reader.values(role, pair.db_column)
        if values is None:
            continue
        read = True
        truncated = truncated or len(values) >= DISTINCT_LIMIT
        for value in values:
            text = comparable(value)  # type: ignore[arg-type]
            if text and text not in seen:
                seen[text] = value
    return list(seen.values()), read, truncated


def _quote_list(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_SHOW])
    return shown + (f" and {len(names) - _SHOW} more" if len(names) > _SHOW else "")


def _mapping(cfg: AppConfig, which: str) -> BoardMapping:
    return getattr(cfg.settings.monday, which)


def check_labels(cfg: AppConfig, board: BoardFacts, reader: ValueReader) -> list[Finding]:
    findings: list[Finding] = []
    for pair in board.pairs:
        column = pair.column
        if column.type not in LABEL_TYPES:
            continue
        raw, read, _ = _values(reader, pair)
        if not read:
            continue
        values = {comparable(v) for v in raw}  # type: ignore[arg-type]
        existing = set(column.labels.values())
        missing = sorted(values - existing)
        if not missing:
            continue
        which = pair.board
        what = f"{column.type} column {column.id!r} {column.title!r} (from {pair.db_column!r})"
        if not _mapping(cfg, which).creates_labels(column.id):
            findings.append(
                Finding(
                    "error",
                    f"monday.{which}.create_labels_if_missing",
                    f"{what} lacks {len(missing)} label(s) the data holds: "
                    f"{_quote_list(missing)}{_near_misses(missing, existing)}; "
                    f"create_labels_if_missing is off for it, so those rows would fail: add "
                    f"the labels on the board or set {column.id} = true",
                )
            )
            continue
        if column.type != "status":
            continue
        numeric = [m for m in missing if m.isdigit()]
        if numeric:
            findings.append(
                Finding(
                    "error",
                    f"monday.{which}.columns",
                    f"{what} would need the numeric label(s) {_quote_list(numeric)}, which "
                    "monday reads as label indexes and cannot create: add them on the board "
                    "or map the column to a dropdown or text column",
                )
            )
        needed = len(existing) + len(missing) - len(numeric)
        if needed > STATUS_MAX_LABELS:
            findings.append(
                Finding(
                    "error",
                    f"monday.{which}.columns",
                    f"{what} has {len(existing)} labels and the data needs "
                    f"{len(missing) - len(numeric)} more; a status column holds at most "
                    f"{STATUS_MAX_LABELS}: map {pair.db_column!r} to a dropdown or text column",
                )
            )
    return findings


def _near_misses(missing: list[str], existing: set[str]) -> str:
    folded = {e.casefold(): e for e in existing}
    pairs = [(m, folded[m.casefold()]) for m in missing if m.casefold() in folded]
    if not pairs:
        return ""
    shown = ", ".join(f"{m!r} vs {e!r}" for m, e in pairs[:3])
    return f" (labels match case-sensitively: {shown})"


def check_conversions(cfg: AppConfig, board: BoardFacts, reader: ValueReader) -> list[Finding]:
    """Pairings whose verdict is ``check``: warning when every current value converts,
    error naming examples when some do not."""
    findings: list[Finding] = []
    for pair in check_pairs(board):
        column = pair.column
        if column.type in LABEL_TYPES:
            continue  # the label check covers these
        assert pair.kind is not None
        raw, read, truncated = _values(reader, pair)
        bad: list[tuple[object, str]] = []
        for value in raw:
            try:
                encode_value(value, column, db_column=pair.db_column, create_labels=True)  # type: ignore[arg-type]
            except RowError as exc:
                bad.append((value, exc.reason))
        head = (
            f"{pair.db_column!r} is a {KIND_NAMES[pair.kind]} database column "
            f"({pair.type_sql}) mapped to {column.type} column {column.id!r} {column.title!r}"
        )
        key = f"monday.{pair.board}.columns"
        if bad:
            examples = "; ".join(f"{str(v)!r} ({reason})" for v, reason in bad[:3])
            findings.append(
                Finding(
                    "error",
                    key,
                    f"{head}: {len(bad)} of {len(raw)} distinct values in the tables cannot be "
                    f"written, e.g. {examples}; those rows will fail: map it to a "
                    f"{SUGGEST[pair.kind]} column or correct the data",
                )
            )
            continue
        if not read:
            now = "its values could not be read"
        elif not raw:
            now = "the tables hold no values yet"
        else:
            first = "the first " if truncated else ""
            now = f"{first}{len(raw)} distinct values in the tables all convert"
        findings.append(
            Finding(
                "warning",
                key,
                f"{head}: only values of the right form can be written ({now}); any other "
                f"value fails its row: map it to a {SUGGEST[pair.kind]} column, or keep "
                "the data clean",
            )
        )
    return findings


def reader_findings(cfg: AppConfig, reader: ValueReader) -> list[Finding]:
    roles = {r.role: r for r in table_roles(cfg)}
    return [
        Finding(
            "warning",
            roles[role].key,
            f"could not read the distinct values of {roles[role].name}.{column!r} ({reason}); "
            "its labels and values were not checked",
        )
        for role, column, reason in reader.failures
    ]
