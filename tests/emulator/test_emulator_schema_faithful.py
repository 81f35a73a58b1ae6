"""Every type, field and argument of the emulator's SDL matches monday's public
schema (same names, same type references; enum values a subset)."""

from __future__ import annotations

import pytest
from emu_helpers import reference_dir
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    print_ast,
)

from monday_emulator.graphql_api.schema import schema_sdl

BUILTIN = {"String", "Int", "Float", "Boolean", "ID"}


@pytest.fixture(scope="module")
def reference() -> GraphQLSchema:
    path = reference_dir() / "monday-api-schema.graphql"
    if not path.exists():
        pytest.skip(f"reference schema not found at {path}")
    return build_schema(path.read_text("utf-8"))


@pytest.fixture(scope="module")
def ours() -> GraphQLSchema:
    return build_schema(schema_sdl())


def _our_types(schema: GraphQLSchema) -> dict[str, object]:
    return {
        name: t
        for name, t in schema.type_map.items()
        if not name.startswith("__") and name not in BUILTIN
    }


def test_root_types_match(ours: GraphQLSchema, reference: GraphQLSchema) -> None:
    assert ours.query_type.name == reference.query_type.name
    assert ours.mutation_type.name == reference.mutation_type.name


def test_every_type_field_and_argument_matches(
    ours: GraphQLSchema, reference: GraphQLSchema
) -> None:
    problems: list[str] = []
    for name, ours_type in _our_types(ours).items():
        ref_type = reference.type_map.get(name)
        if ref_type is None:
            problems.append(f"type {name} is not in monday's schema")
            continue
        if type(ours_type) is not type(ref_type):
            problems.append(
                f"type {name}: kind {type(ours_type).__name__} vs {type(ref_type).__name__}"
            )
            continue
        if isinstance(ours_type, GraphQLEnumType):
            extra = set(ours_type.values) - set(ref_type.values)
            if extra:
                problems.append(f"enum {name}: values not in monday's: {sorted(extra)}")
        elif isinstance(ours_type, GraphQLUnionType):
            extra = {t.name for t in ours_type.types} - {t.name for t in ref_type.types}
            if extra:
                problems.append(f"union {name}: members not in monday's: {sorted(extra)}")
        elif isinstance(ours_type, GraphQLInputObjectType):
            for field_name, field in ours_type.fields.items():
                ref_field = ref_type.fields.get(field_name)
                if ref_field is None:
                    problems.append(f"input {name}.{field_name} is not in monday's schema")
                elif str(field.type) != str(ref_field.type):
                    problems.append(f"input {name}.{field_name}: {field.type} vs {ref_field.type}")
        elif isinstance(ours_type, GraphQLObjectType | GraphQLInterfaceType):
            ours_ifaces = {i.name for i in ours_type.interfaces}
            ref_ifaces = {i.name for i in ref_type.interfaces}
            if ours_ifaces - ref_ifaces:
                problems.append(
                    f"{name} implements {sorted(ours_ifaces - ref_ifaces)}, monday's doesn't"
                )
            for field_name, field in ours_type.fields.items():
                ref_field = ref_type.fields.get(field_name)
                if ref_field is None:
                    problems.append(f"{name}.{field_name} is not in monday's schema")
                    continue
                if str(field.type) != str(ref_field.type):
                    problems.append(f"{name}.{field_name}: {field.type} vs {ref_field.type}")
                for arg_name, arg in field.args.items():
                    ref_arg = ref_field.args.get(arg_name)
                    if ref_arg is None:
                        problems.append(
                            f"{name}.{field_name}({arg_name}) is not in monday's schema"
                        )
                    elif str(arg.type) != str(ref_arg.type):
                        problems.append(
                            f"{name}.{field_name}({arg_name}): {arg.type} vs {ref_arg.type}"
                        )
                missing_required = [
                    a
                    for a, ref_arg in ref_field.args.items()
                    if a not in field.args and str(ref_arg.type).endswith("!")
                ]
                if missing_required:
                    problems.append(f"{name}.{field_name} lacks required args {missing_required}")
        elif isinstance(ours_type, GraphQLScalarType):
            pass
    assert not problems, "\n".join(problems)


def test_implemented_operations_present(ours: GraphQLSchema) -> None:
    queries = set(ours.query_type.fields)
    mutations = set(ours.mutation_type.fields)
    assert {
        "boards",
        "items",
        "items_page_by_column_values",
        "next_items_page",
        "complexity",
        "version",
        "versions",
        "me",
    } <= queries
    assert {
        "create_board",
        "create_column",
        "create_group",
        "delete_group",
        "archive_group",
        "create_item",
        "create_subitem",
        "change_multiple_column_values",
        "change_column_value",
        "change_simple_column_value",
        "move_item_to_group",
        "archive_item",
        "delete_item",
    } <= mutations


def _default(node: object) -> str | None:
    ast = getattr(node, "ast_node", None)
    value = getattr(ast, "default_value", None)
    return print_ast(value) if value is not None else None


def test_default_values_match(ours: GraphQLSchema, reference: GraphQLSchema) -> None:
    problems = []
    for name, ours_type in _our_types(ours).items():
        ref_type = reference.type_map[name]
        if isinstance(ours_type, GraphQLInputObjectType):
            for field_name, field in ours_type.fields.items():
                if _default(field) != _default(ref_type.fields[field_name]):
                    problems.append(f"input {name}.{field_name} default")
        elif isinstance(ours_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in ours_type.fields.items():
                for arg_name, arg in field.args.items():
                    ref_arg = ref_type.fields[field_name].args[arg_name]
                    if _default(arg) != _default(ref_arg):
                        problems.append(
                            f"{name}.{field_name}({arg_name}): {_default(arg)} vs {_default(ref_arg)}"
                        )
    assert not problems, "\n".join(problems)
    assert _default(ours.get_type("Board").fields["items_page"].args["limit"]) == "25"
