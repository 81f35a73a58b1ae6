"""The complexity model: what a document costs before it runs.

Reads are charged by their potential result size: every selected field costs one
point for each time it can appear, and a list field multiplies its subtree by the
number of elements it can return (its ``limit``, the number of ``ids`` given, or a
default size for unbounded lists). Each mutation field costs a fixed amount
(``mutation_costs``, 10,000 for item mutations) plus its selection. ``complexity``
and introspection fields are free. See docs/emulator.md for the numbers.
"""

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
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.execution.values import get_argument_values

from .settings import EmulatorSettings

PAGED_FIELDS = {"items_page", "next_items_page", "items_page_by_column_values"}
FREE_FIELDS = {"complexity"}


class ComplexityCalculator:
    def __init__(self, schema: GraphQLSchema, settings: EmulatorSettings) -> None:
        self.schema = schema
        self.settings = settings

    def cost(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> int:
        root = (
            self.schema.mutation_type
            if operation.operation.value == "mutation"
            else self.schema.query_type
        )
        assert root is not None
        self._fragments = fragments
        self._variables = variables
        return self._selection_cost(operation.selection_set, root, 1, None, is_root=True)

    def _selection_cost(
        self,
        selection_set: SelectionSetNode | None,
        parent: Any,
        multiplier: int,
        page_limit: int | None,
        is_root: bool = False,
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent, multiplier, page_limit, is_root)
            elif isinstance(selection, InlineFragmentNode):
                target = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                total += self._selection_cost(
                    selection.selection_set, target, multiplier, page_limit, is_root
                )
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self._selection_cost(
                        fragment.selection_set, target, multiplier, page_limit, is_root
                    )
        return total

    def _field_cost(
        self,
        node: FieldNode,
        parent: Any,
        multiplier: int,
        page_limit: int | None,
        is_root: bool,
    ) -> int:
        name = node.name.value
        if name.startswith("__") or name in FREE_FIELDS:
            return 0
        fields = getattr(parent, "fields", None)
        if not fields or name not in fields:
            return 0
        field_def = fields[name]
        try:
            args = get_argument_values(field_def, node, self._variables)
        except GraphQLError:
            args = {}
        own = multiplier
        if is_root and parent is self.schema.mutation_type:
            own = self.settings.mutation_costs.get(name, 1) * multiplier
        child_limit: int | None = None
        size = 1
        if name in PAGED_FIELDS:
            child_limit = _as_int(args.get("limit"), self.settings.default_list_size)
        elif is_list_type(get_nullable_type(field_def.type)):
            size = self._list_size(name, args, page_limit)
        return own + self._selection_cost(
            node.selection_set,
            get_named_type(field_def.type),
            multiplier * max(size, 1),
            child_limit,
        )

    def _list_size(self, name: str, args: dict[str, Any], page_limit: int | None) -> int:
        if name == "items" and page_limit is not None:
            return page_limit
        ids = args.get("ids")
        if isinstance(ids, list):
            return len(ids)
        if "limit" in args and args["limit"] is not None:
            return _as_int(args["limit"], self.settings.default_list_size)
        if name == "columns":
            return self.settings.columns_list_size
        if name == "column_values":
            return self.settings.column_values_list_size
        return self.settings.default_list_size


def _as_int(value: Any, default: int) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return default
