"""Processing a job's rows, in file order, through the store's own operations
(``create_item``, ``change_values``, ``create_subitem``), so what a job writes is
what the regular mutations would write, with the same checks (names, labels, board
capacity).

Per row:

- an item row (``name`` filled) is matched when the job has ``on_match``: board-wide,
  against active items, the cell compared with the match column's text, trimmed and
  case-insensitive (monday's lookup is case-insensitive exact; the oldest matching
  item wins). UPSERT updates the match (an empty cell keeps the old value, ``<NULL>``
  clears it, the name is set from the row), SKIP leaves it; otherwise a new item is
  created in the job's group;
- a subitem row (``name`` empty, ``name.subitem`` filled) always creates a subitem
  (create only, also under UPSERT and SKIP) under the item its item row above
  created, updated or matched;
- a row that breaks a rule is ``invalid`` and changes nothing; the rest go on;
- a full board (``items_per_board``) ends the job ``FAILED`` with
  ``BOARD_CAPACITY_EXCEEDED``: what was done stays, the rows left are ``failed``.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..clock import stamps
from ..errors import MondayError
from ..settings import EmulatorSettings
from ..store.columns import WriteContext, text_of
from ..store.model import DELETED, Board
from ..store.store import Store
from .csvfile import NULL_CELL
from .model import (
    BOARD_CAPACITY_EXCEEDED,
    FAILED,
    SKIP,
    UPSERT,
    Job,
    Parent,
)
from .report import RowResult
from .values import BadCell, row_values


class _RowInvalid(Exception):
    pass


class _RowFailed(Exception):
    pass


class _BoardFull(Exception):
    pass


def _key(text: str | None) -> str:
    return (text or "").strip().casefold()


class Runner:
    """Processes rows of one job against the store's current state."""

    def __init__(self, store: Store, settings: EmulatorSettings, job: Job) -> None:
        self.store = store
        self.settings = settings
        self.job = job
        self.index: dict[str, str] | None = None

    def run(self, until: int) -> int:
        """Process rows up to (not including) ``until``; the number processed."""
        job = self.job
        assert job.file is not None
        board = self.store.boards.get(job.board_id)
        done = 0
        while job.next_row < until and job.status != FAILED:
            number = job.next_row + 1
            row = job.file.rows[job.next_row]
            try:
                result = self._row(board, number, row)
            except _BoardFull as full:
                done += len(job.file.rows) - job.next_row
                self._fail_rest(number, str(full))
                break
            job.next_row += 1
            job.results.append(result)
            job.counts.add(result.outcome)
            done += 1
        return done

    # ------------------------------------------------------------ matching

    def _match_index(self, board: Board, column_id: str) -> dict[str, str]:
        column = board.columns.get(column_id)
        index: dict[str, str] = {}
        if column is None:
            return index
        for item in self.store.board_item_list(board.id):
            key = _key(text_of(column, item.values.get(column_id)))
            if key:
                index.setdefault(key, item.id)
        return index

    # ------------------------------------------------------------ one row

    def _context(self) -> WriteContext:
        return WriteContext(
            create_labels=False,
            changed_at=stamps(self.store.clock.now())[1],
            status_labels_max=self.settings.status_labels_max,
            long_text_max_chars=self.settings.long_text_max_chars,
        )

    def _check_name(self, name: str, column: str) -> None:
        limit = self.settings.name_max_chars
        if name == NULL_CELL:
            raise _RowInvalid(f"'{column}' can't be {NULL_CELL}: every item needs a name")
        if not name.strip() or len(name) > limit:
            raise _RowInvalid(errors.item_name_invalid(name, limit).message)

    def _row(self, board: Board | None, number: int, row: list[str]) -> RowResult:
        job = self.job
        file = job.file
        assert file is not None
        name = row[0]
        sub_name = row[file.subitem_name] if file.subitem_name is not None else ""
        is_subitem = name == "" and sub_name != ""
        row_type = "subitem" if is_subitem else "item"
        result = RowResult(number, row_type, sub_name if is_subitem else name, "invalid")
        try:
            if board is None or board.state == DELETED:
                raise _RowFailed(f"board {job.board_id} no longer exists")
            if is_subitem:
                self._subitem_row(board, row, result)
            else:
                self._item_row(board, row, sub_name, result)
        except _RowInvalid as exc:
            result.outcome, result.item_id, result.error = "invalid", None, str(exc)
        except BadCell as exc:
            result.outcome, result.item_id, result.error = "invalid", None, str(exc)
        except _RowFailed as exc:
            result.outcome, result.item_id, result.error = "failed", None, str(exc)
        except MondayError as exc:
            if exc.code == "ItemsLimitationException":
                raise _BoardFull(exc.message) from None
            result.outcome, result.item_id, result.error = "failed", None, exc.message
        if not is_subitem:
            job.parent = Parent(number, result.item_id, result.outcome)
        return result

    def _item_row(self, board: Board, row: list[str], sub_name: str, result: RowResult) -> None:
        job = self.job
        file = job.file
        assert file is not None
        name = row[0]
        if name == "":
            raise _RowInvalid(
                "the row has no name: fill 'name' for an item, or 'name.subitem' for a "
                "subitem of the item above"
            )
        if sub_name != "":
            raise _RowInvalid(
                "the row fills both 'name' and 'name.subitem': put the item and each of its "
                "subitems on rows of their own"
            )
        filled = [f"{c}.subitem" for c, i in file.subitem_columns.items() if row[i] != ""]
        if filled:
            raise _RowInvalid(
                f"subitem columns ({', '.join(filled)}) are filled on an item row: they "
                "belong on the subitem rows below it"
            )
        self._check_name(name, "name")
        cells = {c: row[i] for c, i in file.item_columns.items()}
        matched: str | None = None
        if job.on_match is not None:
            key = cells.get(job.on_match.column_id, "")
            if key in ("", NULL_CELL):
                raise _RowInvalid(
                    f"the match column '{job.on_match.column_id}' is empty: every item row "
                    "needs a value to match on"
                )
            if self.index is None:  # built once a batch: rows of a batch see each other
                self.index = self._match_index(board, job.on_match.column_id)
            matched = self.index.get(_key(key))
        behaviour = job.on_match.behaviour if job.on_match is not None else None
        updating = matched is not None and behaviour == UPSERT
        values = row_values(board.columns, cells, self._context(), clearing=updating)
        if matched is not None:
            result.item_id = matched
            if behaviour == SKIP:
                result.outcome = "skipped"
                return
            item = self.store.items[matched]
            changes: dict[str, Any] = dict(values)
            if item.name != name:
                changes["name"] = name
            self.store.change_values(board, matched, changes, False)
            result.outcome = "updated"
            return
        created = self.store.create_item(
            board, name, job.group_id, {k: v for k, v in values.items() if v is not None}, False
        )
        result.item_id, result.outcome = created.id, "created"
        if job.on_match is not None and self.index is not None:
            self.index.setdefault(_key(cells.get(job.on_match.column_id)), created.id)

    def _subitem_row(self, board: Board, row: list[str], result: RowResult) -> None:
        job = self.job
        file = job.file
        assert file is not None
        filled = [c for c, i in file.item_columns.items() if row[i] != ""]
        if filled:
            raise _RowInvalid(
                f"item columns ({', '.join(filled)}) are filled on a subitem row: a subitem "
                "row fills only 'name.subitem' and '<column>.subitem' cells"
            )
        parent = job.parent
        if parent is None:
            raise _RowInvalid("a subitem row needs an item row above it")
        if parent.item_id is None:
            message = f"its item row {parent.number} is {parent.outcome}"
            if parent.outcome == "failed":
                raise _RowFailed(message)
            raise _RowInvalid(message)
        self._check_name(result.name, "name.subitem")
        sub_board = self.store.subitems_board_of(board)
        columns = sub_board.columns if sub_board is not None else {}
        cells = {c: row[i] for c, i in file.subitem_columns.items()}
        values = row_values(columns, cells, self._context(), clearing=False)
        created = self.store.create_subitem(parent.item_id, result.name, values, False)
        result.item_id, result.outcome = created.id, "created"
        job.subitems_created += 1

    # ------------------------------------------------------------ a full board

    def _fail_rest(self, number: int, message: str) -> None:
        """The board is full: this row and every row left fail, the job fails."""
        job = self.job
        file = job.file
        assert file is not None
        job.status = FAILED
        job.failure_reason = BOARD_CAPACITY_EXCEEDED
        job.failure_message = (
            f"{message}: row {number} and the {len(file.rows) - number} rows after it "
            "were not imported"
        )
        for index in range(job.next_row, len(file.rows)):
            current = file.rows[index]
            sub_name = current[file.subitem_name] if file.subitem_name is not None else ""
            is_subitem = current[0] == "" and sub_name != ""
            outcome = RowResult(
                index + 1,
                "subitem" if is_subitem else "item",
                sub_name if is_subitem else current[0],
                "failed",
                None,
                message if index + 1 == number else f"not processed: {message}",
            )
            job.results.append(outcome)
            job.counts.add("failed")
        job.next_row = len(file.rows)
