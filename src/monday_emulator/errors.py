"""Application errors in monday's shape (HTTP 200, ``extensions: {code, status_code,
error_data}``). Resolvers raise these; the executor formats them."""

from __future__ import annotations

from typing import Any

from .strict_json import echo


class MondayError(Exception):
    """An application-level error as monday returns it."""

    def __init__(
        self,
        code: str,
        message: str,
        status_code: int = 200,
        error_data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code
        self.error_data = error_data or {}

    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "status_code": self.status_code, "error_data": self.error_data}


def invalid_board(board_id: Any) -> MondayError:
    return MondayError(
        "InvalidBoardIdException",
        "The board does not exist. Please check your board ID and try again",
        200,
        {"board_id": _num(board_id)},
    )


def invalid_column(column_id: str, board_id: Any) -> MondayError:
    return MondayError(
        "InvalidColumnIdException",
        "This column ID doesn't exist for the board",
        200,
        {"column_id": column_id, "board_id": _num(board_id)},
    )


def item_not_found(item_id: Any, board_id: Any | None = None) -> MondayError:
    message = "Item not found in board" if board_id is not None else "Item not found"
    return MondayError(
        "ResourceNotFoundException",
        message,
        404,
        {"resource_type": "item", "item_id": _num(item_id), "error_reason": None},
    )


def invalid_item_id(item_id: Any) -> MondayError:
    return MondayError(
        "InvalidItemIdException",
        "The item ID does not exist",
        200,
        {"item_id": _num(item_id)},
    )


def group_not_found(group_id: str, board_id: Any) -> MondayError:
    return MondayError(
        "ResourceNotFoundException",
        "Group not found",
        404,
        {"resource_type": "group", "group_id": group_id, "board_id": _num(board_id)},
    )


def invalid_argument(message: str, **error_data: Any) -> MondayError:
    return MondayError("InvalidArgumentException", message, 200, error_data)


def item_name_invalid(name: str, limit: int) -> MondayError:
    if not name.strip():
        message = "Item name can't be blank"
    else:
        message = f"Item name is too long, maximum length is {limit} characters"
    return MondayError(
        "ItemNameTooLongException", message, 200, {"name_length": len(name), "max_length": limit}
    )


def items_limit(board_id: Any, limit: int) -> MondayError:
    return MondayError(
        "ItemsLimitationException",
        f"The board has reached its limit of {limit} items",
        200,
        {"board_id": _num(board_id), "items_limit": limit},
    )


def inactive_items(item_id: Any) -> MondayError:
    return MondayError(
        "InvalidArgumentException",
        "Cannot change column value for inactive items",
        200,
        {"inactive_pulse_ids": [_num(item_id)]},
    )


def column_value_error(
    message: str,
    column_id: str,
    column_type: str,
    column_value: Any,
    validation_code: str | None = None,
) -> MondayError:
    data: dict[str, Any] = {
        "column_id": column_id,
        "column_type": column_type,
        "column_value": echo(column_value),
    }
    if validation_code:
        data["column_validation_error_code"] = validation_code
    return MondayError("ColumnValueException", message, 200, data)


def _num(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
