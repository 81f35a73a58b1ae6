"""The emulator's schema is monday's, version by version.

Two SDLs of monday's are at hand: 2025-04 (``monday-api-schema.graphql``) and 2026-10
(``monday-api-schema-2026-10.graphql``). For each of them, the emulator's schema of
that version

- holds nothing monday's lacks: every type, field, argument, input field and enum
  value has monday's name and type reference, and the same default;
- lacks nothing a client may name where it matters: every ``ColumnValue``
  implementation with every field, and every argument of every field the emulator
  serves (``EXCEPTIONS`` lists what is left out on purpose, with the reason).

The versions in between (2025-07 to 2026-07) mix the two: each element is 2025-04's
or 2026-10's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from emu_helpers import REPO_ROOT, reference_dir
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    print_ast,
)

from monday_emulator.graphql_api import versions
from monday_emulator.graphql_api.schema import (
    VERSION_DIRECTIVES,
    executable_schema,
    version_sdl,
)

BUILTIN = {"String", "Int", "Float", "Boolean", "ID"}
REFERENCES = {
    "2025-04": "monday-api-schema.graphql",
    "2026-10": "monday-api-schema-2026-10.graphql",
}

# Elements of monday's schema, on the types the emulator serves, that the emulator
# leaves out on purpose: "version Type.field(argument)" -> why. Every field the
# emulator serves has all its arguments: nothing is listed here today, and anything
# added must say why.
EXCEPTIONS: dict[str, str] = {}

# Arguments present with monday's type that the emulator accepts but can't honour in
# full, because it lacks what they act on. docs/emulator.md names each.
NOT_MODELLED: dict[str, str] = {
    "Mutation.create_board(prompt)": "refused: no AI board building",
    "Mutation.create_column(capabilities)": "refused: columns have no capabilities",
    "Board.items_page(hierarchy_scope_config)": "no effect: boards have one level",
    "Group.items_page(hierarchy_scope_config)": "no effect: boards have one level",
    "Query.items_page_by_column_values(hierarchy_scope_config)": "no effect: one level",
    "Query.boards(latest)": "no effect: every read is the latest data",
}


def _reference(version: str) -> GraphQLSchema:
    path = reference_dir() / REFERENCES[version]
    if not path.exists():
        pytest.skip(f"reference schema not found at {path}")
    return build_schema(path.read_text("utf-8"))


@pytest.fixture(scope="module")
def references() -> dict[str, GraphQLSchema]:
    return {v: _reference(v) for v in REFERENCES}


def _types(schema: GraphQLSchema) -> dict[str, Any]:
    return {
        name: t
        for name, t in schema.type_map.items()
        if not name.startswith("__") and name not in BUILTIN
    }


def _default(node: object) -> str | None:
    ast = getattr(node, "ast_node", None)
    value = getattr(ast, "default_value", None)
    return print_ast(value) if value is not None else None


def _elements(schema: GraphQLSchema) -> Iterator[tuple[str, str, str | None]]:
    """(path, type, default) of every element: ``Type``, ``Type.field``,
    ``Type.field(arg)``, ``Input.field``, ``Enum.VALUE``, ``Union|Member``,
    ``Type<Interface``."""
    for name, kind in _types(schema).items():
        yield name, type(kind).__name__, None
        if isinstance(kind, GraphQLEnumType):
            for value in kind.values:
                yield f"{name}.{value}", "enum value", None
        elif isinstance(kind, GraphQLUnionType):
            for member in kind.types:
                yield f"{name}|{member.name}", "member", None
        elif isinstance(kind, GraphQLInputObjectType):
            for field_name, field in kind.fields.items():
                yield f"{name}.{field_name}", str(field.type), _default(field)
        elif isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for interface in kind.interfaces:
                yield f"{name}<{interface.name}", "implements", None
            for field_name, field in kind.fields.items():
                yield f"{name}.{field_name}", str(field.type), None
                for arg_name, arg in field.args.items():
                    yield f"{name}.{field_name}({arg_name})", str(arg.type), _default(arg)


def _index(schema: GraphQLSchema) -> dict[str, tuple[str, str | None]]:
    return {path: (kind, default) for path, kind, default in _elements(schema)}


def _not_in(ours: GraphQLSchema, *refs: GraphQLSchema) -> list[str]:
    indexes = [_index(r) for r in refs]
    problems = []
    for path, kind, default in _elements(ours):
        if not any(index.get(path) == (kind, default) for index in indexes):
            found = [index[path] for index in indexes if path in index]
            problems.append(f"{path}: {kind} = {default} (monday's: {found or 'absent'})")
    return problems


@pytest.mark.parametrize("version", sorted(REFERENCES))
def test_nothing_that_monday_lacks(version: str, references: dict[str, GraphQLSchema]) -> None:
    ours = executable_schema(version)
    problems = _not_in(ours, references[version])
    assert not problems, "\n".join(problems)
    assert ours.query_type.name == references[version].query_type.name
    assert ours.mutation_type.name == references[version].mutation_type.name


@pytest.mark.parametrize("version", [v for v in versions.SCHEMA_VERSIONS if v not in REFERENCES])
def test_versions_in_between_mix_the_two(
    version: str, references: dict[str, GraphQLSchema]
) -> None:
    problems = _not_in(executable_schema(version), *references.values())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("version", sorted(REFERENCES))
def test_every_column_value_implementation_with_its_fields(
    version: str, references: dict[str, GraphQLSchema]
) -> None:
    """A client's fragment on any column value type validates (``... on CountryValue``,
    ``... on MirrorValue { mirrored_items { ... } }``), whatever column types the
    emulator can create."""
    ref, ours = references[version], executable_schema(version)
    expected = {t.name for t in ref.get_possible_types(ref.get_type("ColumnValue"))}
    present = {t.name for t in ours.get_possible_types(ours.get_type("ColumnValue"))}
    assert present == expected
    problems = []
    for name in sorted(expected | {"ColumnValue"}):
        ref_fields, our_fields = ref.get_type(name).fields, ours.get_type(name).fields
        for field_name, field in ref_fields.items():
            ours_field = our_fields.get(field_name)
            if ours_field is None:
                problems.append(f"{name}.{field_name} missing")
            elif str(ours_field.type) != str(field.type):
                problems.append(f"{name}.{field_name}: {ours_field.type} vs {field.type}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("version", sorted(REFERENCES))
def test_every_argument_of_every_served_field(
    version: str, references: dict[str, GraphQLSchema]
) -> None:
    ref, ours = references[version], executable_schema(version)
    problems = []
    for name, kind in _types(ours).items():
        if not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, field in kind.fields.items():
            ref_field = ref.get_type(name).fields[field_name]
            for arg_name, ref_arg in ref_field.args.items():
                path = f"{name}.{field_name}({arg_name})"
                if f"{version} {path}" in EXCEPTIONS:
                    continue
                arg = field.args.get(arg_name)
                if arg is None:
                    problems.append(f"{path}: missing")
                elif str(arg.type) != str(ref_arg.type) or _default(arg) != _default(ref_arg):
                    problems.append(f"{path}: {arg.type} vs {ref_arg.type}")
    assert not problems, "\n".join(problems)


def test_exceptions_are_real_and_documented() -> None:
    """Every listed exception names something monday has, and docs/emulator.md says
    what the emulator does with each argument it can't honour in full."""
    docs = (REPO_ROOT / "docs" / "emulator.md").read_text("utf-8")
    for path in EXCEPTIONS:
        version, _, element = path.partition(" ")
        assert element in _index(_reference(version)), path
    current = executable_schema(versions.CURRENT)
    for path in NOT_MODELLED:
        assert path in _index(current), path
        field = path.split(".", 1)[1]  # create_board(prompt)
        argument = field.split("(")[1].rstrip(")")
        assert f"`{argument}`" in docs or field in docs, f"docs/emulator.md lacks {field}"


def test_served_schemas_carry_no_emulator_directive() -> None:
    for version in versions.SCHEMA_VERSIONS:
        for dropped in ((), ("remove_settings_str",)):
            text = version_sdl(version, dropped)
            assert not any(f"@{d}" in text for d in VERSION_DIRECTIVES), version
            schema = executable_schema(version, remove_settings_str=bool(dropped))
            assert not {d.name for d in schema.directives} & VERSION_DIRECTIVES


def test_column_settings_by_version(references: dict[str, GraphQLSchema]) -> None:
    """``settings`` arrives in 2025-10 (monday's changelog), next to ``settings_str``,
    deprecated from then on with monday's reason; ``remove_settings_str`` takes
    ``settings_str`` out of every version that has ``settings``."""
    reason = references["2026-10"].get_type("Column").fields["settings_str"].deprecation_reason
    for version in versions.SCHEMA_VERSIONS:
        fields = executable_schema(version).get_type("Column").fields
        removed = executable_schema(version, remove_settings_str=True).get_type("Column").fields
        if version < "2025-10":
            assert "settings" not in fields and fields["settings_str"].deprecation_reason is None
            assert "settings_str" in removed
        else:
            assert str(fields["settings"].type) == "JSON"
            assert fields["settings_str"].deprecation_reason == reason
            assert "settings_str" not in removed and "settings" in removed


def test_implemented_operations_present() -> None:
    for version in versions.SCHEMA_VERSIONS:
        ours = executable_schema(version)
        assert {
            "boards", "items", "items_page_by_column_values", "next_items_page",
            "complexity", "version", "versions", "me",
        } <= set(ours.query_type.fields)  # fmt: skip
        assert {
            "create_board", "create_column", "create_group", "delete_group",
            "archive_group", "create_item", "create_subitem",
            "change_multiple_column_values", "change_column_value",
            "change_simple_column_value", "move_item_to_group", "archive_item",
            "delete_item",
        } <= set(ours.mutation_type.fields)  # fmt: skip
        assert _default(ours.get_type("Board").fields["items_page"].args["limit"]) == "25"
