"""The document journal: every mutation document under its ``Idempotency-Key``.

Before a document is sent, its key, its exact request body and what each alias carries
(which row, which operation, what it brings to the board) are committed together with
the rows' in-flight marks. That record is what makes an unknown outcome recoverable
without guessing:

* a retry in the same run resends the identical body under the same key, and monday
  answers a document it already ran with the kept response (no second side effect);
* a later run finds the rows in flight with their document's key and, while monday
  still keeps responses (``sync.replay_window_seconds``, under monday's 30 minutes),
  replays the document and takes the item ids from the replayed response;
* an older document falls back to looking the rows up by business key.

Pure: serialising and rebuilding journal entries. The database side is in
``SyncStore`` (``begin_document``, ``write_back``, ``documents``).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sync_order_list.monday.documents import ComposedDocument
from sync_order_list.sync.operations import Operation, OpKind
from sync_order_list.sync.rows import RowRef

DocState = Literal["SENDING", "DONE", "UNKNOWN", "FAILED"]


def new_key() -> str:
    """A fresh Idempotency-Key (random, so two runs never share one)."""
    return uuid.uuid4().hex


def request_body(doc: ComposedDocument) -> str:
    """The request body exactly as the client sends it (``json.dumps`` of query and
    variables): a replay must send the byte-identical body under the same key."""
    return json.dumps({"query": doc.query, "variables": doc.variables}, default=str)


@dataclass(frozen=True)
class JournalEntry:
    """One recorded document: enough to resend it and to read its response again."""

    key: str
    run_id: str
    board_id: str
    created_at: datetime
    body: str
    aliases: tuple[str, ...]
    ops: tuple[Operation, ...]
    state: DocState = "SENDING"
    rows: tuple[RowRef, ...] = field(default=())

    @classmethod
    def of(
        cls,
        doc: ComposedDocument,
        ops: Sequence[Operation],
        *,
        run_id: str,
        board_id: str,
        now: datetime,
        key: str | None = None,
    ) -> JournalEntry:
        rows = tuple(dict.fromkeys(op.row for op in ops if op.row is not None))
        return cls(
            key=key or new_key(),
            run_id=run_id,
            board_id=board_id,
            created_at=now,
            body=request_body(doc),
            aliases=tuple(doc.aliases),
            ops=tuple(ops),
            rows=rows,
        )

    def document(self) -> ComposedDocument:
        """The document again, from the recorded body (for a replay)."""
        payload = json.loads(self.body)
        operations = tuple(op.kind.document for op in self.ops)
        return ComposedDocument(
            query=payload["query"],
            variables=payload["variables"],
            aliases=self.aliases,
            operations=operations,
            operation_type="mutation",
            operation_counts=dict(Counter(operations)),
        )

    def ops_json(self) -> str:
        return json.dumps(
            [_op_to_json(alias, op) for alias, op in zip(self.aliases, self.ops, strict=True)],
            ensure_ascii=False,
            default=str,
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> JournalEntry:
        raw = json.loads(row["ops"] or "[]")
        aliases = tuple(str(entry["alias"]) for entry in raw)
        ops = tuple(_op_from_json(entry) for entry in raw)
        return cls(
            key=row["doc_key"],
            run_id=row["run_id"],
            board_id=row["board_id"],
            created_at=row["created_at"],
            body=row["body"],
            aliases=aliases,
            ops=ops,
            state=row["state"],
            rows=tuple(dict.fromkeys(op.row for op in ops if op.row is not None)),
        )


# what an operation needs to be read back from a response; variables are in the body
_KEPT_VARIABLES = ("item_id", "item_name", "board_id", "parent_item_id", "group_id")


def _op_to_json(alias: str, op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"alias": alias, "kind": op.kind.value}
    if op.row is not None:
        out["row"] = {
            "table": op.row.table,
            "id": op.row.id,
            "key": op.row.key,
            "customer": op.row.customer,
            "size": op.row.size,
        }
    kept = {k: op.variables[k] for k in _KEPT_VARIABLES if k in op.variables}
    if kept:
        out["variables"] = kept
    for name in ("group_title", "parent_record", "sent_hash", "sent_qty", "match"):
        value = getattr(op, name)
        if value is not None:
            out[name] = value
    if op.synced is not None:
        out["synced"] = dict(op.synced)
    return out


def _op_from_json(entry: Mapping[str, Any]) -> Operation:
    raw_row = entry.get("row")
    row = (
        RowRef(
            raw_row["table"],
            str(raw_row["id"]),
            str(raw_row["key"]),
            raw_row.get("customer"),
            raw_row.get("size"),
        )
        if raw_row
        else None
    )
    return Operation(
        OpKind(entry["kind"]),
        row,
        dict(entry.get("variables") or {}),
        group_title=entry.get("group_title"),
        parent_record=entry.get("parent_record"),
        synced=entry.get("synced"),
        sent_hash=entry.get("sent_hash"),
        sent_qty=entry.get("sent_qty"),
        match=entry.get("match"),
    )
