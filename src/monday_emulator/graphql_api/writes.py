"""What a mutation document writes to, read from its arguments before it runs: its
mutation fields in order, and the boards they touch (the board write lock's keys).

A field touches ``board_id``'s board; else ``parent_item_id``'s subitems board (the
parent's own board while it has no subitems board: the first subitem creates one and
adds the parent board's subitems column); else ``item_id``'s board. ``create_board``
touches none. The items board and its subitems board are different boards."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
)
from graphql.execution.values import get_argument_values

from ..store.store import Store

FREE_ROOT_FIELDS = {"complexity"}


def mutation_fields(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> list[tuple[str, dict[str, Any]]]:
    """(field name, coerced arguments) of each mutation field, in document order.
    ``complexity`` and introspection fields are not mutations."""
    root = schema.mutation_type
    if root is None or operation.operation.value != "mutation":
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    stack = list(reversed(operation.selection_set.selections))
    seen: set[str] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode):
            name = node.name.value
            if name.startswith("__") or name in FREE_ROOT_FIELDS or name not in root.fields:
                continue
            try:
                args = get_argument_values(root.fields[name], node, variables)
            except GraphQLError:
                args = {}
            out.append((name, args))
        elif isinstance(node, InlineFragmentNode):
            stack.extend(reversed(node.selection_set.selections))
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            if fragment is not None and node.name.value not in seen:
                seen.add(node.name.value)
                stack.extend(reversed(fragment.selection_set.selections))
    return out


def touched_boards(store: Store, fields: list[tuple[str, dict[str, Any]]]) -> frozenset[str]:
    boards: set[str] = set()
    for _name, args in fields:
        board_id = args.get("board_id")
        if board_id is not None:
            boards.add(str(board_id))
            continue
        parent_id = args.get("parent_item_id")
        if parent_id is not None:
            parent = store.items.get(str(parent_id))
            board = store.boards.get(parent.board_id) if parent is not None else None
            if board is not None:
                sub = store.subitems_board_of(board)
                boards.add(sub.id if sub is not None else board.id)
            continue
        item_id = args.get("item_id")
        if item_id is not None:
            item = store.items.get(str(item_id))
            if item is not None:
                boards.add(item.board_id)
    return frozenset(boards)
