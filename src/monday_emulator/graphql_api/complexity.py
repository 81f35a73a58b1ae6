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
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_list_type,
)
from graphql.execution.values import get_argument_values

from ..settings import EmulatorSettings

PAGED_FIELDS = {"items_page", "next_items_page", "items_page_by_column_values"}
FREE_FIELDS = {"complexity"}


class ComplexityCalculator:
    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self._list_fields: dict[int, bool] = {}  # id(field definition) -> is a list

    def cost(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> int:
        """The price of ``operation`` in ``schema`` (the schema of the request's API
        version, which the document was validated against)."""
        self.schema = schema
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
        """Fields count for every runtime type. Fragments on other types only apply to
        some runtime types, and a value has one: like graphql-ruby, the costliest
        runtime type's fragments are what is charged, not all of them together."""
        if selection_set is None:
            return 0
        shared = 0
        branches: list[tuple[Any, int]] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                shared += self._field_cost(selection, parent, multiplier, page_limit, is_root)
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                inner = selection.selection_set
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragments.get(selection.name.value)
                if fragment is None:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                inner = fragment.selection_set
            else:
                continue
            cost = self._selection_cost(inner, target, multiplier, page_limit, is_root)
            if target is parent:
                shared += cost
            else:
                branches.append((target, cost))
        if not branches:
            return shared
        runtime_types = (
            self.schema.get_possible_types(parent) if is_abstract_type(parent) else [parent]
        )
        return shared + max(
            (
                sum(cost for target, cost in branches if self._applies(target, runtime))
                for runtime in runtime_types
            ),
            default=0,
        )

    def _applies(self, condition: Any, runtime: Any) -> bool:
        """Whether a fragment on ``condition`` applies to a value of type ``runtime``."""
        if condition is runtime:
            return True
        return is_abstract_type(condition) and self.schema.is_sub_type(condition, runtime)

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
        own = multiplier
        if is_root and parent is self.schema.mutation_type:
            own = self.settings.mutation_costs.get(name, 1) * multiplier
        child_limit: int | None = None
        size = 1
        # only list sizes read arguments: other fields skip their coercion
        if name in PAGED_FIELDS:
            args = self._arguments(field_def, node)
            child_limit = _as_int(args.get("limit"), self.settings.default_list_size)
        elif self._is_list(field_def):
            size = self._list_size(name, self._arguments(field_def, node), page_limit)
        return own + self._selection_cost(
            node.selection_set,
            get_named_type(field_def.type),
            multiplier * max(size, 1),
            child_limit,
        )

    def _arguments(self, field_def: GraphQLField, node: FieldNode) -> dict[str, Any]:
        try:
            return get_argument_values(field_def, node, self._variables)
        except GraphQLError:
            return {}

    def _is_list(self, field_def: GraphQLField) -> bool:
        known = self._list_fields.get(id(field_def))
        if known is None:
            known = self._list_fields[id(field_def)] = is_list_type(
                get_nullable_type(field_def.type)
            )
        return known

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
