"""Groups exactly once, across runs and processes.

For each group title a run needs:

1. the board's groups are read; a title on the board is used (the id the database
   recorded if the board still has it, else the oldest) and recorded;
2. a title missing from the board is claimed in ``SYNC_GROUPS`` (one run wins the
   row; the others wait for the id it records, or take the claim over when its run is
   dead or the claim is older than ``sync.group_wait_seconds``);
3. the winner re-reads the board (someone may have made it meanwhile) and only then
   creates it, in a journaled document under an Idempotency-Key; an unknown outcome is
   settled by reading the board again;
4. a title present twice on the board is repaired: the items of the duplicate are
   moved to the group the database knows and the empty duplicate is archived.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sync_order_list.config import Settings
from sync_order_list.errors import MondayApiError, MondayTransportError
from sync_order_list.monday import MondayClient, compose
from sync_order_list.sync.clock import utcnow
from sync_order_list.sync.group_claims import GroupClaims, GroupRow
from sync_order_list.sync.operations import Operation, OpKind
from sync_order_list.sync.reconcile import find_groups, group_item_ids
from sync_order_list.sync.results import errors_by_alias
from sync_order_list.sync.writer import BoardWriter

log = logging.getLogger("sync_order_list.sync")

POLL_SECONDS = 0.5
MAX_CREATE_ROUNDS = 5
MOVES_PER_DOCUMENT = 50


@dataclass
class GroupOutcome:
    ids: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    created: int = 0
    repaired: int = 0


class Groups:
    def __init__(
        self,
        *,
        client: MondayClient,
        writer: BoardWriter,
        claims: GroupClaims,
        board_id: str,
        run_id: str,
        settings: Settings,
        is_dead: Callable[[str], bool],
        regroup_orders: Callable[[str, str], None],
        lookup_delay: float = 1.0,
        create_per_document: int = 25,
    ) -> None:
        self.client = client
        self.writer = writer
        self.claims = claims
        self.board_id = board_id
        self.run_id = run_id
        self.settings = settings
        self.is_dead = is_dead  # run id -> whether that run is dead
        self.regroup_orders = regroup_orders  # (old group id, new group id) in the database
        self.lookup_delay = lookup_delay
        self.create_per_document = max(1, create_per_document)

    async def ensure(
        self, titles: Sequence[str], on_board: dict[str, list[str]] | None = None
    ) -> GroupOutcome:
        """A group id for every title (or the reason there is none). ``on_board``: the
        board's groups as just read (title -> ids), to save reading them again."""
        out = GroupOutcome()
        pending = list(dict.fromkeys(titles))
        if not pending:
            return out
        wait = timedelta(seconds=self.settings.sync.group_wait_seconds)
        deadline = utcnow() + wait
        if on_board is None:
            on_board = await find_groups(self.client, self.board_id)
        await self._repair_duplicates(on_board, set(pending), out)
        creating: list[str] = []
        unseen: dict[str, str] = {}  # recorded ids the last board read did not show
        rounds = 0
        while pending or creating:
            rows = await asyncio.to_thread(self.claims.rows)
            waiting: list[str] = []
            reread = False
            for title in pending:
                row = rows.get(title)
                decision = self._decide(title, on_board.get(title, []), row, wait, unseen)
                if decision == "use":
                    group_id = self._pick(on_board[title], row)
                    out.ids[title] = group_id
                    if row is None or row.group_id != group_id:
                        await asyncio.to_thread(
                            self.claims.record, title, group_id, self.run_id, utcnow()
                        )
                elif decision == "claim":
                    if await self._claim(title, row):
                        creating.append(title)
                    else:
                        waiting.append(title)
                else:
                    reread |= decision == "reread"
                    waiting.append(title)
            if creating:
                rounds += 1
                # re-read the board right before creating: another writer may have made it
                on_board = await find_groups(self.client, self.board_id)
                for title in [t for t in creating if on_board.get(t)]:
                    creating.remove(title)
                    out.ids[title] = on_board[title][0]
                    await asyncio.to_thread(
                        self.claims.record, title, out.ids[title], self.run_id, utcnow()
                    )
                if rounds > MAX_CREATE_ROUNDS:
                    for title in creating:
                        out.errors[title] = (
                            f"group {title!r}: still unconfirmed after {rounds - 1} attempts"
                        )
                        await asyncio.to_thread(self.claims.release, title, self.run_id)
                    creating = []
                elif creating:
                    creating = await self._create(creating, out)
            pending = waiting
            if reread and not creating:
                on_board = await find_groups(self.client, self.board_id)
                continue  # decide again on what the board shows now
            if pending or creating:
                if utcnow() > deadline:
                    for title in pending:
                        out.errors[title] = (
                            f"group {title!r}: another run is creating it and has not "
                            f"finished within {wait.total_seconds():g} s"
                        )
                    pending = []
                    if not creating:
                        break
                # waiting runs watch the database (the creator records the id there)
                await asyncio.sleep(POLL_SECONDS if pending else self.lookup_delay)
        return out

    # -- decisions ---------------------------------------------------------------------
    def _decide(
        self,
        title: str,
        ids: list[str],
        row: GroupRow | None,
        wait: timedelta,
        unseen: dict[str, str],
    ) -> str:
        """use (on the board) | claim (make it) | reread (the database knows an id the
        board did not show: read the board again before believing either) | wait."""
        if ids:
            return "use"
        if row is None:
            return "claim"
        if not row.claimed:
            if unseen.get(title) == row.group_id:
                return "claim"  # recorded, but gone from the board: make it again
            unseen[title] = row.group_id
            return "reread"
        if row.run_id == self.run_id:
            return "claim"
        stale = row.created_at is None or utcnow() - row.created_at > wait
        if stale or (row.run_id is not None and self.is_dead(row.run_id)):
            return "claim"
        return "wait"

    def _pick(self, ids: list[str], row: GroupRow | None) -> str:
        if row is not None and row.group_id in ids:
            return row.group_id
        return ids[0]

    async def _claim(self, title: str, row: GroupRow | None) -> bool:
        now = utcnow()
        if row is None:
            return await asyncio.to_thread(self.claims.claim, title, self.run_id, now)
        if row.claimed and row.run_id == self.run_id:
            return True
        return await asyncio.to_thread(self.claims.take_over, row, self.run_id, now)

    def _per_document(self, operation: str, most: int) -> int:
        """Operations of one kind a document may carry under the per-query cap."""
        return max(1, min(most, self.client.scheduler.max_ops_per_document(operation)))

    # -- creating ----------------------------------------------------------------------
    async def _create(self, titles: list[str], out: GroupOutcome) -> list[str]:
        """Create claimed groups; return the titles whose outcome is still unknown."""
        unknown: list[str] = []
        size = self._per_document("create_group", self.create_per_document)
        for start in range(0, len(titles), size):
            chunk = titles[start : start + size]
            ops = [
                Operation(
                    OpKind.CREATE_GROUP,
                    None,
                    {"board_id": self.board_id, "group_name": title},
                    group_title=title,
                )
                for title in chunk
            ]
            doc = compose([(op.document, dict(op.variables)) for op in ops])
            entry = await self.writer.record(self.board_id, ops, doc)
            try:
                response = await self.writer.send(entry, doc)
            except MondayTransportError as exc:
                state = "UNKNOWN" if exc.sent else "FAILED"
                await asyncio.to_thread(
                    self.writer.store.set_document_state, entry.key, state, utcnow(), str(exc)
                )
                if exc.sent:
                    unknown += chunk
                else:
                    await self._failed(chunk, str(exc), out)
                continue
            except MondayApiError as exc:
                await asyncio.to_thread(
                    self.writer.store.set_document_state, entry.key, "FAILED", utcnow(), str(exc)
                )
                await self._failed(chunk, exc.message, out)
                continue
            await asyncio.to_thread(
                self.writer.store.set_document_state, entry.key, "DONE", utcnow(), None
            )
            errors = errors_by_alias(response)
            for index, title in enumerate(chunk):
                alias = doc.aliases[index]
                created = (response.data or {}).get(alias)
                if created and alias not in errors:
                    out.ids[title] = str(created["id"])
                    out.created += 1
                    await asyncio.to_thread(
                        self.claims.record, title, out.ids[title], self.run_id, utcnow()
                    )
                else:
                    reason = "; ".join(errors.get(alias, ["no result"]))
                    await self._failed([title], reason, out)
        return unknown

    async def _failed(self, titles: list[str], reason: str, out: GroupOutcome) -> None:
        for title in titles:
            out.errors[title] = f"group {title!r}: {reason}"
            await asyncio.to_thread(self.claims.release, title, self.run_id)

    # -- duplicates --------------------------------------------------------------------
    async def _repair_duplicates(
        self, on_board: dict[str, list[str]], needed: set[str], out: GroupOutcome
    ) -> None:
        """Titles of ours present more than once: fold the duplicates into one."""
        rows = await asyncio.to_thread(self.claims.rows)
        for title, ids in on_board.items():
            if len(ids) < 2 or (title not in needed and title not in rows):
                continue
            keep = self._pick(ids, rows.get(title))
            for group_id in ids:
                if group_id != keep and await self._fold(title, group_id, keep):
                    out.repaired += 1
            on_board[title] = [keep]
            await asyncio.to_thread(self.claims.record, title, keep, self.run_id, utcnow())

    async def _fold(self, title: str, duplicate: str, keep: str) -> bool:
        """Move every item of ``duplicate`` into ``keep``, then archive ``duplicate``."""
        item_ids = await group_item_ids(self.client, self.board_id, duplicate)
        log.warning(
            "group %r is on the board twice: moving %d items from %s to %s",
            title,
            len(item_ids),
            duplicate,
            keep,
        )
        moved_all = True
        size = self._per_document("move_item_to_group", MOVES_PER_DOCUMENT)
        for start in range(0, len(item_ids), size):
            ops = [
                Operation(OpKind.MOVE_ITEM, None, {"item_id": item_id, "group_id": keep})
                for item_id in item_ids[start : start + size]
            ]
            moved_all &= await self._send_all(ops)
        await asyncio.to_thread(self.regroup_orders, duplicate, keep)
        if not moved_all:
            return False
        archive = Operation(
            OpKind.ARCHIVE_GROUP, None, {"board_id": self.board_id, "group_id": duplicate}
        )
        return await self._send_all([archive])

    async def _send_all(self, ops: list[Operation]) -> bool:
        """Send row-less operations; True when every alias succeeded."""
        doc = compose([(op.document, dict(op.variables)) for op in ops])
        entry = await self.writer.record(self.board_id, ops, doc)
        try:
            response = await self.writer.send(entry, doc)
        except (MondayTransportError, MondayApiError) as exc:
            await asyncio.to_thread(
                self.writer.store.set_document_state, entry.key, "FAILED", utcnow(), str(exc)
            )
            log.warning("repairing duplicate groups: %s", exc)
            return False
        await asyncio.to_thread(
            self.writer.store.set_document_state, entry.key, "DONE", utcnow(), None
        )
        errors = errors_by_alias(response)
        return not errors and all((response.data or {}).get(a) for a in doc.aliases)
