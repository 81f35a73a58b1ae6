"""The board writer: every mutation document journaled, keyed, and alone on its board.

Two rules of monday's meet here. Mutations on one board must go one after another
(monday answers 423 while a board is locked, and concurrent writes can corrupt it), so
each board has a lock that a document holds while it is out. And every mutation
document carries an ``Idempotency-Key`` that is recorded, with the exact body and the
rows it carries, before the request leaves: the client resends the identical body
under the same key when an answer is lost, and a later run can replay it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sync_order_list.monday import MondayClient
from sync_order_list.monday.documents import ComposedDocument
from sync_order_list.monday.responses import Response
from sync_order_list.monday.scheduler import Slot
from sync_order_list.sync.clock import utcnow
from sync_order_list.sync.journal import JournalEntry
from sync_order_list.sync.operations import Operation
from sync_order_list.sync.store import SyncStore


class BoardWriter:
    def __init__(self, client: MondayClient, store: SyncStore, run_id: str) -> None:
        self.client = client
        self.store = store
        self.run_id = run_id
        self._locks: dict[str, asyncio.Lock] = {}
        self.documents_sent = 0
        self.replays = 0

    def lock(self, board_id: str) -> asyncio.Lock:
        return self._locks.setdefault(board_id, asyncio.Lock())

    async def record(
        self, board_id: str, ops: Sequence[Operation], doc: ComposedDocument
    ) -> JournalEntry:
        """Journal the document (and mark its rows in flight), committed, before sending."""
        entry = JournalEntry.of(doc, ops, run_id=self.run_id, board_id=board_id, now=utcnow())
        await asyncio.to_thread(self.store.begin_document, entry)
        return entry

    async def send(
        self,
        entry: JournalEntry,
        doc: ComposedDocument | None = None,
        *,
        slot: Slot | None = None,
        operation: str | None = None,
    ) -> Response:
        """Send a journaled document under its key, alone on its board."""
        document = doc if doc is not None else entry.document()
        async with self.lock(entry.board_id):
            self.documents_sent += 1
            return await self.client.execute(
                document,
                idempotent=True,
                idempotency_key=entry.key,
                slot=slot,
                operation=operation,
            )

    async def replay(self, entry: JournalEntry) -> Response:
        """Resend a document recorded earlier (this run or a dead one), same body and key."""
        self.replays += 1
        return await self.send(entry, operation=f"replay:{entry.document().label}")
