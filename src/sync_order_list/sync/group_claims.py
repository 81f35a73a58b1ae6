"""Groups through the database first: one row per board and title, taken by one run.

``SYNC_GROUPS`` has a primary key on (board, title). A run about to create a group
inserts the row with an empty group id (its claim); a second run's insert fails on the
key, so it waits for the id the first run records. A claim whose run died is taken
over with a compare-and-set, and so is a recorded group that is gone from the board.
Every dialect enforces the key, so this holds across processes and hosts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

CLAIMED = ""  # group_id of a row whose group is being created


@dataclass(frozen=True)
class GroupRow:
    title: str
    group_id: str  # CLAIMED while being created
    run_id: str | None
    created_at: datetime | None

    @property
    def claimed(self) -> bool:
        return self.group_id == CLAIMED


class GroupClaims:
    def __init__(self, engine: Engine, table: Table, board_id: str) -> None:
        self.engine = engine
        self.t = table
        self.board_id = board_id

    def rows(self) -> dict[str, GroupRow]:
        g = self.t
        with self.engine.connect() as conn:
            return {
                r.group_name: GroupRow(r.group_name, r.group_id, r.run_id, r.created_at)
                for r in conn.execute(
                    select(g.c.group_name, g.c.group_id, g.c.run_id, g.c.created_at).where(
                        g.c.board_id == self.board_id
                    )
                )
            }

    def claim(self, title: str, run_id: str, now: datetime) -> bool:
        """Take the right to create ``title``; False when another run has the row."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(self.t).values(
                        board_id=self.board_id,
                        group_name=title,
                        group_id=CLAIMED,
                        created_at=now,
                        run_id=run_id,
                    )
                )
        except IntegrityError:
            return False
        return True

    def take_over(self, row: GroupRow, run_id: str, now: datetime) -> bool:
        """Claim a row as it was read (a dead run's claim, or a group gone from the
        board): only if nobody changed it since."""
        g = self.t
        conditions = [g.c.board_id == self.board_id, g.c.group_name == row.title]
        conditions.append(g.c.group_id == row.group_id)
        conditions.append(g.c.run_id.is_(None) if row.run_id is None else g.c.run_id == row.run_id)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(g).where(*conditions).values(group_id=CLAIMED, run_id=run_id, created_at=now)
            )
            return bool(result.rowcount)

    def record(self, title: str, group_id: str, run_id: str, now: datetime) -> None:
        """The group of ``title`` is ``group_id`` (created, or found on the board)."""
        g = self.t
        where = (g.c.board_id == self.board_id, g.c.group_name == title)
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(g).where(*where).values(group_id=group_id, created_at=now, run_id=run_id)
            ).rowcount
        if changed:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(g).values(
                        board_id=self.board_id,
                        group_name=title,
                        group_id=group_id,
                        created_at=now,
                        run_id=run_id,
                    )
                )
        except IntegrityError:  # inserted meanwhile: the board decided, record it
            with self.engine.begin() as conn:
                conn.execute(
                    update(g).where(*where).values(group_id=group_id, created_at=now, run_id=run_id)
                )

    def release(self, title: str, run_id: str) -> None:
        """Give up a claim (the create failed for good): another run may try."""
        g = self.t
        with self.engine.begin() as conn:
            conn.execute(
                g.delete().where(
                    g.c.board_id == self.board_id,
                    g.c.group_name == title,
                    g.c.group_id == CLAIMED,
                    g.c.run_id == run_id,
                )
            )
