"""The document journal: what is recorded before a document is sent is enough to
resend the byte-identical request and to read its response again."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from sync_order_list.config.models import BatchSettings, RateSettings
from sync_order_list.monday import MondayClient, compose
from sync_order_list.monday.transport import HttpRequest, HttpResponse
from sync_order_list.sync.journal import JournalEntry, request_body
from sync_order_list.sync.operations import Operation, OpKind
from sync_order_list.sync.rows import RowRef

ORDER = RowRef("order", "uuid-1", "K-1", "GREYSON")
LINE = RowRef("line", "7", "K-1", "GREYSON", "XL")


def _ops() -> list[Operation]:
    return [
        Operation(
            OpKind.CREATE_ITEM,
            ORDER,
            {
                "board_id": "1",
                "item_name": "Style Ä",
                "group_id": "g1",
                "column_values": json.dumps({"text": 'naïve \\ "quoted"'}),
                "create_labels_if_missing": False,
            },
            group_title="GREYSON 2025",
            synced={"text": "x", "__name": "Style Ä"},
            sent_hash="abc",
            match="K-1",
        ),
        Operation(
            OpKind.CREATE_SUBITEM,
            LINE,
            {"parent_item_id": "55", "item_name": "Size XL", "column_values": "{}"},
            parent_record="uuid-1",
            sent_qty=3,
            match="XL",
        ),
    ]


class _Capture:
    """A transport that keeps the bytes it was asked to send."""

    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        body = {"data": {"op0": {"id": "1"}, "op1": {"id": "2"}}}
        return HttpResponse(200, {}, json.dumps(body).encode())

    async def aclose(self) -> None:
        return None


def test_entry_round_trips_and_rebuilds_the_identical_body() -> None:
    ops = _ops()
    doc = compose([(op.document, dict(op.variables)) for op in ops])
    entry = JournalEntry.of(doc, ops, run_id="r1", board_id="1", now=datetime(2026, 1, 1))
    row = {
        "doc_key": entry.key,
        "run_id": "r1",
        "board_id": "1",
        "created_at": entry.created_at,
        "state": "SENDING",
        "body": entry.body,
        "ops": entry.ops_json(),
    }
    again = JournalEntry.from_row(row)

    def meaning(op: Operation) -> tuple[object, ...]:
        kept = {k: op.variables.get(k) for k in ("item_id", "parent_item_id", "group_id")}
        return (op.kind, op.row, op.synced, op.sent_hash, op.sent_qty, op.match,
                op.group_title, op.parent_record, kept)  # fmt: skip

    assert [meaning(o) for o in again.ops] == [meaning(o) for o in entry.ops]
    assert again.aliases == doc.aliases
    assert again.rows == (ORDER, LINE)
    rebuilt = again.document()
    assert request_body(rebuilt) == entry.body
    assert rebuilt.operation_counts == doc.operation_counts

    async def send_both() -> list[bytes]:
        transport = _Capture()
        client = MondayClient(
            "http://127.0.0.1:9/v2",
            "t0ken",
            "2025-04",
            batch=BatchSettings(),
            rate=RateSettings(),
            transport=transport,
        )
        await client.execute(doc, idempotent=True, idempotency_key=entry.key)
        await client.execute(rebuilt, idempotent=True, idempotency_key=entry.key)
        return [r.body for r in transport.requests]

    first, second = asyncio.run(send_both())
    assert first == second == entry.body.encode()  # what a replay sends is byte-identical


def test_each_document_gets_its_own_key() -> None:
    ops = _ops()
    doc = compose([(op.document, dict(op.variables)) for op in ops])
    now = datetime(2026, 1, 1)
    keys = {JournalEntry.of(doc, ops, run_id="r", board_id="1", now=now).key for _ in range(50)}
    assert len(keys) == 50
