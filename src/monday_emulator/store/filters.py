"""Item filtering and ordering for ``items_page(query_params:)`` and
``items_page_by_column_values``."""

from __future__ import annotations

from typing import Any

from .. import errors
from .columns import dropdown_labels, sortable, text_of
from .model import Board, Item

TEXT_OPERATORS = {
    "contains_text",
    "not_contains_text",
    "contains_terms",
    "starts_with",
    "ends_with",
}
ORDER_OPERATORS = {
    "greater_than",
    "greater_than_or_equals",
    "lower_than",
    "lower_than_or_equal",
    "between",
}
SUPPORTED_OPERATORS = (
    {"any_of", "not_any_of", "is_empty", "is_not_empty"} | TEXT_OPERATORS | ORDER_OPERATORS
)
STATUS_EMPTY_INDEX = 5
# monday's pseudo-columns for an item's creation and last-update times: usable in
# rules (with compare_attribute CREATED_AT / UPDATED_AT) and in order_by
TIME_COLUMNS = {"__creation_log__": "created_at", "__last_updated__": "updated_at"}


class ItemFilter:
    """A compiled ``ItemsQuery`` for one board."""

    def __init__(self, board: Board, query: dict[str, Any] | None, group_id: str | None = None):
        self.board = board
        self.query = query or {}
        self.group_id = group_id
        ids = self.query.get("ids")
        if ids is not None and len(ids) > 100:
            raise errors.invalid_argument("query_params.ids accepts at most 100 ids")
        self.ids = {str(i) for i in ids} if ids is not None else None
        self._check_rules(self.query)

    def _check_rules(self, node: dict[str, Any]) -> None:
        for rule in node.get("rules") or []:
            cid = str(rule["column_id"])
            if (
                cid not in ("name", "group", "__id")
                and cid not in TIME_COLUMNS
                and cid not in self.board.columns
            ):
                raise errors.invalid_column(cid, self.board.id)
            operator = rule.get("operator") or "any_of"
            if operator not in SUPPORTED_OPERATORS:
                raise errors.invalid_argument(
                    f"The operator {operator} is not supported by the emulator", operator=operator
                )
        for group in node.get("groups") or []:
            self._check_rules(group)

    def matches(self, item: Item) -> bool:
        if self.group_id is not None and item.group_id != self.group_id:
            return False
        if self.ids is not None and item.id not in self.ids:
            return False
        return self._match_node(item, self.query)

    def _match_node(self, item: Item, node: dict[str, Any]) -> bool:
        results = [self._match_rule(item, r) for r in node.get("rules") or []]
        results += [self._match_node(item, g) for g in node.get("groups") or []]
        if not results:
            return True
        if (node.get("operator") or "and") == "or":
            return any(results)
        return all(results)

    def _match_rule(self, item: Item, rule: dict[str, Any]) -> bool:
        operator = rule.get("operator") or "any_of"
        cid = str(rule["column_id"])
        compare = rule.get("compare_value")
        values = compare if isinstance(compare, list) else [compare]
        values = [v for v in values if v is not None]
        if cid == "name":
            text: str | None = item.name
            stored: Any = item.name
            key: Any = item.name.lower()
            column = None
        elif cid == "group":
            text, stored, key, column = item.group_id, item.group_id, item.group_id, None
        elif cid in TIME_COLUMNS:
            return self._match_time(getattr(item, TIME_COLUMNS[cid]), operator, values)
        else:
            column = self.board.columns[cid]
            stored = item.values.get(cid)
            text = text_of(column, stored)
            key = sortable(column, stored)
        empty = stored in (None, "") or (
            column is not None and column.type == "checkbox" and not stored
        )

        if operator == "is_empty":
            return empty
        if operator == "is_not_empty":
            return not empty
        if operator in ("any_of", "not_any_of"):
            hit = self._any_of(cid, column, stored, text, values)
            return hit if operator == "any_of" else not hit
        if operator in TEXT_OPERATORS:
            haystack = (text or "").lower()
            needles = [str(v).lower() for v in values]
            if operator == "contains_text":
                return any(n in haystack for n in needles)
            if operator == "not_contains_text":
                return not any(n in haystack for n in needles)
            if operator == "contains_terms":
                return all(term in haystack for n in needles for term in n.split())
            if operator == "starts_with":
                return any(haystack.startswith(n) for n in needles)
            return any(haystack.endswith(n) for n in needles)
        # ordering operators
        if empty or key is None:
            return False
        bounds = [_coerce_bound(column, v) for v in values if not _is_keyword(v)]
        try:
            if operator == "between":
                if len(bounds) < 2:
                    raise errors.invalid_argument("between needs two compare values")
                return bounds[0] <= key <= bounds[1]
            if not bounds:
                raise errors.invalid_argument(f"{operator} needs a compare value")
            bound = bounds[0]
            if operator == "greater_than":
                return key > bound
            if operator == "greater_than_or_equals":
                return key >= bound
            if operator == "lower_than":
                return key < bound
            return key <= bound
        except TypeError:
            return False

    @staticmethod
    def _match_time(moment: str, operator: str, values: list[Any]) -> bool:
        """A rule on ``__creation_log__`` / ``__last_updated__``: compare values are
        dates (``2025-01-02``, compared by day) or timestamps, after an optional
        keyword such as ``EXACT``."""
        if operator == "is_empty":
            return not moment
        if operator == "is_not_empty":
            return bool(moment)
        bounds = [str(v) for v in values if not _is_keyword(v)]
        if operator in ("any_of", "not_any_of"):
            hit = any(_time_key(moment, b) == _time_bound(b) for b in bounds)
            return hit if operator == "any_of" else not hit
        if operator not in ORDER_OPERATORS:
            raise errors.invalid_argument(
                f"The operator {operator} can't be used with a date column", operator=operator
            )
        if operator == "between":
            if len(bounds) < 2:
                raise errors.invalid_argument("between needs two compare values")
            low, high = bounds[0], bounds[1]
            return _time_bound(low) <= _time_key(moment, low) and _time_key(
                moment, high
            ) <= _time_bound(high)
        if not bounds:
            raise errors.invalid_argument(f"{operator} needs a compare value")
        key, bound = _time_key(moment, bounds[0]), _time_bound(bounds[0])
        if operator == "greater_than":
            return key > bound
        if operator == "greater_than_or_equals":
            return key >= bound
        if operator == "lower_than":
            return key < bound
        return key <= bound

    @staticmethod
    def _any_of(cid: str, column: Any, stored: Any, text: str | None, values: list[Any]) -> bool:
        if column is None:
            if cid == "group":
                return str(stored) in {str(v) for v in values}
            return (text or "").lower() in {str(v).lower() for v in values}
        kind = column.type
        if kind == "status":
            index = int(stored["index"]) if stored else None
            for v in values:
                if isinstance(v, int) or (isinstance(v, str) and v.strip().isdigit()):
                    wanted = int(v)
                    if wanted == index or (wanted == STATUS_EMPTY_INDEX and index is None):
                        return True
                elif text is not None and str(v) == text:
                    return True
            return False
        if kind == "dropdown":
            ids = set(stored["ids"]) if stored else set()
            names = dropdown_labels(column)
            for v in values:
                if isinstance(v, int) or (isinstance(v, str) and v.strip().isdigit()):
                    if int(v) in ids:
                        return True
                elif any(names.get(i) == v for i in ids):
                    return True
            return False
        if kind == "numbers":
            if stored is None:
                return "" in values
            for v in values:
                try:
                    if float(v) == float(stored):
                        return True
                except (TypeError, ValueError):
                    continue
            return False
        if kind == "date":
            day = stored["date"] if stored else None
            return any(str(v) == day for v in values if not _is_keyword(v))
        if kind == "checkbox":
            return any(str(v).lower() in ("true", "v", "1") for v in values) == bool(stored)
        return (text or "").lower() in {str(v).lower() for v in values}


def _time_bound(value: str) -> str:
    """``2025-01-02``, or ``2025-01-02T10:30:00`` for a timestamp (any of ``T``/space,
    seconds and fractions optional, ``Z`` ignored)."""
    text = value.strip().rstrip("Zz").replace(" ", "T")
    if len(text) <= 10:
        return text
    day, _, time = text.partition("T")
    time = time.split(".")[0].split("+")[0]
    if len(time) == 5:
        time += ":00"
    return f"{day}T{time}"


def _time_key(moment: str, bound: str) -> str:
    """The item's time at the precision of ``bound``: its day, or its timestamp."""
    normal = _time_bound(moment)
    return normal[:10] if len(_time_bound(bound)) <= 10 else normal


def _is_keyword(value: Any) -> bool:
    return isinstance(value, str) and value.isupper() and value.isalpha()


def _coerce_bound(column: Any, value: Any) -> Any:
    if column is not None and column.type in ("numbers", "status"):
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return str(value)


def order_items(
    board: Board, items: list[Item], order_by: list[dict[str, Any]] | None
) -> list[Item]:
    """Sort by ``order_by`` rules (empty values last), else keep creation order."""
    if not order_by:
        return items
    ordered = list(items)
    for rule in reversed(order_by):
        cid = rule["column_id"]
        reverse = (rule.get("direction") or "asc") == "desc"
        if cid == "name":
            ordered.sort(key=lambda i: i.name.lower(), reverse=reverse)
            continue
        if cid in TIME_COLUMNS:
            attribute = TIME_COLUMNS[cid]
            ordered.sort(key=lambda i, a=attribute: getattr(i, a), reverse=reverse)
            continue
        column = board.columns.get(cid)
        if column is None:
            raise errors.invalid_column(cid, board.id)
        present = [i for i in ordered if sortable(column, i.values.get(cid)) is not None]
        missing = [i for i in ordered if sortable(column, i.values.get(cid)) is None]
        present.sort(
            key=lambda i, c=column: _sort_key(sortable(c, i.values.get(c.id))), reverse=reverse
        )
        ordered = present + missing
    return ordered


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value).lower())


def matches_column_values(board: Board, item: Item, columns: list[dict[str, Any]]) -> bool:
    """``items_page_by_column_values``: values of one column OR-ed, columns AND-ed;
    text matches exactly, case-insensitive."""
    for spec in columns:
        cid = spec["column_id"]
        wanted = {("" if v is None else str(v)).strip().lower() for v in spec["column_values"]}
        if cid == "name":
            candidates = {item.name.strip().lower()}
        else:
            column = board.columns[cid]
            stored = item.values.get(cid)
            text = text_of(column, stored) or ""
            candidates = {text.strip().lower()}
            if column.type == "dropdown" and stored:
                names = dropdown_labels(column)
                candidates |= {names.get(i, "").lower() for i in stored["ids"]}
        if not candidates & wanted:
            return False
    return True
