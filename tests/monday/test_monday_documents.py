"""GraphQL documents: loading, aliased composition, validation against monday's schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, print_ast, validate

from monday_emulator.graphql_api.schema import executable_schema
from sync_order_list.monday import documents
from sync_order_list.monday.documents import Op, compose, ensure_complexity, load, single

ENGINE_API_VERSION = "2025-04"  # the version the shipped config sends

EXPECTED = {
    "board_schema",
    "board_groups",
    "create_group",
    "create_item",
    "create_subitem",
    "change_multiple_column_values",
    "move_item_to_group",
    "archive_item",
    "delete_item",
    "items_by_column_values",
    "next_items_page",
    "subitems_of_items",
    "complexity",
}


def _schemas(reference_dir: Path) -> list[tuple[str, GraphQLSchema]]:
    out = [("reference", build_schema((reference_dir / "monday-api-schema.graphql").read_text()))]
    out.append(("emulator", executable_schema(ENGINE_API_VERSION)))
    return out


def _assert_valid(schemas: list[tuple[str, GraphQLSchema]], query: str) -> None:
    for name, schema in schemas:
        errors = validate(schema, parse(query))
        assert not errors, f"invalid against the {name} schema: {errors}\n{query}"


def test_every_document_is_shipped_and_loads() -> None:
    assert EXPECTED <= set(documents.available())
    for name in EXPECTED:
        doc = load(name)
        assert doc.name == name
        assert doc.operation_type in ("query", "mutation")


def test_document_description() -> None:
    doc = load("create_item")
    assert doc.operation_type == "mutation"
    assert doc.root_field == "create_item"
    assert doc.variables["board_id"].required
    assert doc.variables["item_name"].type == "String!"
    assert not doc.variables["column_values"].required
    assert load("create_item") is doc  # cached


def test_unknown_document() -> None:
    with pytest.raises(KeyError, match="no GraphQL document"):
        load("create_everything")
    with pytest.raises(KeyError):
        load("../secrets")


def test_every_document_validates(reference_dir: Path) -> None:
    schemas = _schemas(reference_dir)
    for name in EXPECTED:
        _assert_valid(schemas, load(name).text)
        _assert_valid(schemas, ensure_complexity(load(name).text))


def test_composed_batch_validates(reference_dir: Path) -> None:
    schemas = _schemas(reference_dir)
    batch = compose(
        [
            Op("create_item", {"board_id": "1", "item_name": "a", "group_id": "g"}),
            Op("create_item", {"board_id": "1", "item_name": "b", "column_values": "{}"}),
            Op(
                "change_multiple_column_values",
                {"board_id": "1", "item_id": "9", "column_values": "{}"},
            ),
            Op("move_item_to_group", {"item_id": "9", "group_id": "g2"}),
            Op("archive_item", {"item_id": "8"}),
            Op("delete_item", {"item_id": "7"}),
            Op("create_group", {"board_id": "1", "group_name": "New"}),
            Op("create_subitem", {"parent_item_id": "9", "item_name": "Size S"}),
        ]
    )
    _assert_valid(schemas, batch.query)
    reads = compose(
        [
            (
                "items_by_column_values",
                {"board_id": "1", "column_id": "k", "values": ["A"], "limit": 50},
            ),
            ("subitems_of_items", {"item_ids": ["1", "2"], "limit": 2, "column_ids": ["s"]}),
            ("board_groups", {"board_ids": ["1"]}),
        ]
    )
    assert reads.operation_type == "query"
    _assert_valid(schemas, reads.query)


def test_compose_aliases_and_renames_variables() -> None:
    batch = compose(
        [
            ("create_item", {"board_id": "1", "item_name": "first"}),
            ("create_item", {"board_id": "1", "item_name": "second", "group_id": "g"}),
            ("create_group", {"board_id": "1", "group_name": "G"}),
        ]
    )
    assert batch.aliases == ("op0", "op1", "op2")
    assert batch.operations == ("create_item", "create_item", "create_group")
    assert batch.operation_counts == {"create_item": 2, "create_group": 1}
    assert batch.variables == {
        "op0_board_id": "1",
        "op0_item_name": "first",
        "op1_board_id": "1",
        "op1_item_name": "second",
        "op1_group_id": "g",
        "op2_board_id": "1",
        "op2_group_name": "G",
    }
    ast = parse(batch.query)
    op = ast.definitions[0]
    fields = {f.alias.value if f.alias else f.name.value: f for f in op.selection_set.selections}
    assert set(fields) == {"op0", "op1", "op2", "complexity"}
    assert fields["op1"].name.value == "create_item"
    used = {a.value.name.value for a in fields["op1"].arguments}
    assert used == {f"op1_{v}" for v in load("create_item").variables}
    declared = {v.variable.name.value for v in op.variable_definitions}
    assert "op2_group_name" in declared and "board_id" not in declared
    # the text is exactly what graphql-core prints for it
    assert batch.query == print_ast(ast)
    assert batch.label == "create_group+create_item×2"


def test_compose_does_not_mutate_the_loaded_document() -> None:
    before = load("create_item").text
    compose([("create_item", {"board_id": "1", "item_name": "x"})] * 3)
    assert "op0" not in print_ast(load("create_item").ast)
    assert load("create_item").text == before


def test_compose_without_complexity() -> None:
    batch = compose([("archive_item", {"item_id": "1"})], include_complexity=False)
    assert "complexity" not in batch.query


def test_compose_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="at least one"):
        compose([])
    with pytest.raises(ValueError, match="unknown variable"):
        compose([("archive_item", {"item_id": "1", "itemid": "2"})])
    with pytest.raises(ValueError, match="required variable"):
        compose([("create_item", {"board_id": "1"})])
    with pytest.raises(ValueError, match="mix"):
        compose([("archive_item", {"item_id": "1"}), ("board_groups", {"board_ids": ["1"]})])


def test_single_and_ensure_complexity() -> None:
    doc = single("board_schema", {"board_ids": ["1"]})
    assert doc.aliases == ("boards",)
    assert doc.operation_counts == {"board_schema": 1}
    assert doc.query.count("complexity {") == 1
    assert ensure_complexity(doc.query) is doc.query  # already there: unchanged
    plain = "query { me { id } }"
    added = ensure_complexity(plain)
    assert "reset_in_x_seconds" in added and "me" in added


def test_large_batch_is_cheap_to_compose() -> None:
    ops = [("create_item", {"board_id": "1", "item_name": f"n{i}"}) for i in range(500)]
    batch = compose(ops)
    assert len(batch.aliases) == 500
    assert batch.aliases[-1] == "op499"
