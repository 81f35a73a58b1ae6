"""GraphQL documents: loading, aliased composition, validation against monday's schema."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, print_ast, validate

from monday_emulator.graphql_api.schema import executable_schema
from sync_order_list.monday import documents
from sync_order_list.monday.documents import Op, compose, ensure_complexity, load, single

REPO = Path(__file__).resolve().parents[2]
#: monday's SDLs of two versions, in the reference directory
REFERENCE_SDLS = {
    "2025-04": "monday-api-schema.graphql",
    "2026-10": "monday-api-schema-2026-10.graphql",
}
#: documents that select fields only newer versions have: the first such version
SINCE = {
    "board_schema_settings": "2025-10",
    # the bulk import, sent with bulk.api_version (2026-07 or later)
    "ingest_items": "2026-07",
    "backfill_items": "2026-07",
    "fetch_job_status": "2026-07",
}

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
    "board_schema_settings",
    "items_state",
    "archive_group",
    "group_items",
    "verify_items_page",
    "verify_next_items_page",
    "ingest_items",
    "backfill_items",
    "fetch_job_status",
}


@functools.cache
def _build(path: Path) -> GraphQLSchema:
    return build_schema(path.read_text())


def _reference(reference_dir: Path, version: str) -> GraphQLSchema:
    path = reference_dir / REFERENCE_SDLS[version]
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return _build(path)


def _schemas(reference_dir: Path) -> list[tuple[str, GraphQLSchema]]:
    """Every schema a document must validate against (when it applies to its version):
    monday's SDLs and the emulator's schema of the same versions."""
    out = [(f"reference {v}", _reference(reference_dir, v)) for v in REFERENCE_SDLS]
    out += [(f"emulator {v}", executable_schema(v)) for v in REFERENCE_SDLS]
    return out


def _applies(document: str, schema_name: str, schema: GraphQLSchema) -> bool:
    """A reference SDL applies when its version is at or after the document's first
    version; the emulator's when it has the fields (it serves every version)."""
    since = SINCE.get(document)
    if since is None:
        return True
    return schema_name.split(" ", 1)[1] >= since


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
    assert EXPECTED == set(documents.available())  # a new document gets a line here
    for name in EXPECTED:
        applicable = [(n, s) for n, s in schemas if _applies(name, n, s)]
        assert any(n.startswith("reference") for n, _ in applicable), name
        _assert_valid(applicable, load(name).text)
        _assert_valid(applicable, ensure_complexity(load(name).text))


def test_version_bound_documents_do_not_validate_before_their_version(
    reference_dir: Path,
) -> None:
    """Column.settings is not in the 2025-04 SDL: the split by version is needed."""
    old = _reference(reference_dir, "2025-04")
    for name in SINCE:
        assert validate(old, parse(load(name).text)), name


@pytest.mark.parametrize(
    ("version", "document", "sdl"),
    [
        ("2025-04", "board_schema", "2025-04"),
        ("2025-07", "board_schema", "2025-04"),
        ("2025-10", "board_schema_settings", "2026-10"),
        ("2026-01", "board_schema_settings", "2026-10"),
        ("2026-04", "board_schema_settings", "2026-10"),
        ("2026-07", "board_schema_settings", "2026-10"),
        ("2026-10", "board_schema_settings", "2026-10"),
    ],
)
def test_board_schema_document_by_api_version(
    reference_dir: Path, version: str, document: str, sdl: str
) -> None:
    from sync_order_list.monday.schema import board_schema_document

    assert board_schema_document(version) == document
    query = single(document, {"board_ids": ["1"]}).query
    _assert_valid([(f"reference {sdl}", _reference(reference_dir, sdl))], query)


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
