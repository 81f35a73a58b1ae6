"""The executable schemas: ``schema.graphql`` cut to one API version, plus the
resolvers.

``schema.graphql`` holds every version the emulator models (2025-04 to 2026-10) in
one file. What differs between versions is marked with three directives of the
emulator's own, which never reach a served schema:

- ``@since(version: "2025-10")``: present from that version on;
- ``@removedIn(version: "2026-10")``: present before that version only;
- ``@droppedBy(setting: "remove_settings_str")``: absent while that boolean setting
  is on (a field monday announced it will remove, so clients can prove they survive
  the removal).

They mark types, fields, arguments, input fields and enum values. A union member or
an interface implementation whose type a version lacks is dropped with the type.

Each mutation resolver is wrapped to run in order with its server time
(``running.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    print_ast,
)

from . import running, versions
from .bulk_resolvers import install_bulk
from .resolvers import install

SCHEMA_FILE = "schema.graphql"
VERSION_DIRECTIVES = frozenset({"since", "removedIn", "droppedBy"})
# settings that drop schema elements (``@droppedBy``), all booleans of EmulatorSettings
DROPPING_SETTINGS = ("remove_settings_str",)


def schema_sdl() -> str:
    """The annotated SDL: every modelled version in one text."""
    return resources.files("monday_emulator.graphql_api").joinpath(SCHEMA_FILE).read_text("utf-8")


@lru_cache(maxsize=1)
def _annotated() -> DocumentNode:
    return parse(schema_sdl(), no_location=True)


def _kept(node: Any, version: str, dropped: frozenset[str]) -> bool:
    for directive in getattr(node, "directives", None) or ():
        name = directive.name.value
        if name not in VERSION_DIRECTIVES:
            continue
        argument = directive.arguments[0].value.value
        if name == "since" and version < argument:
            return False
        if name == "removedIn" and version >= argument:
            return False
        if name == "droppedBy" and argument in dropped:
            return False
    return True


def _replace(node: Any, **changes: Any) -> Any:
    """A copy of an AST node (a frozen dataclass) with some attributes changed."""
    return dataclasses.replace(node, **changes)


def _clean(node: Any) -> Any:
    """A copy of ``node`` without the emulator's directives."""
    directives = tuple(d for d in node.directives or () if d.name.value not in VERSION_DIRECTIVES)
    return _replace(node, directives=directives)


def _kept_list(nodes: Iterable[Any], version: str, dropped: frozenset[str]) -> tuple[Any, ...]:
    return tuple(_clean(n) for n in nodes or () if _kept(n, version, dropped))


def version_document(version: str, dropped: Iterable[str] = ()) -> DocumentNode:
    """The SDL of one modelled version (``versions.SCHEMA_VERSIONS``), with the
    ``@droppedBy`` elements of the settings named in ``dropped`` left out."""
    if version not in versions.SCHEMA_VERSIONS:
        raise ValueError(f"no schema for API version {version!r}")
    gone = frozenset(dropped)
    definitions: list[Any] = []
    for node in _annotated().definitions:
        if isinstance(node, DirectiveDefinitionNode) and node.name.value in VERSION_DIRECTIVES:
            continue
        if not _kept(node, version, gone):
            continue
        node = _clean(node)
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            fields = tuple(
                _replace(f, arguments=_kept_list(f.arguments, version, gone))
                for f in _kept_list(node.fields, version, gone)
            )
            node = _replace(node, fields=fields)
        elif isinstance(node, InputObjectTypeDefinitionNode):
            node = _replace(node, fields=_kept_list(node.fields, version, gone))
        elif isinstance(node, EnumTypeDefinitionNode):
            node = _replace(node, values=_kept_list(node.values, version, gone))
        definitions.append(node)
    present = {d.name.value for d in definitions if isinstance(d, TypeDefinitionNode)}
    for i, node in enumerate(definitions):
        if isinstance(node, UnionTypeDefinitionNode):
            kept = tuple(t for t in node.types or () if t.name.value in present)
            definitions[i] = _replace(node, types=kept)
        elif isinstance(node, ObjectTypeDefinitionNode):
            kept = tuple(t for t in node.interfaces or () if t.name.value in present)
            definitions[i] = _replace(node, interfaces=kept)
    return DocumentNode(definitions=tuple(definitions))


def version_sdl(version: str, dropped: Iterable[str] = ()) -> str:
    """The SDL text a client of ``version`` sees."""
    return print_ast(version_document(version, dropped))


@cache
def _build(version: str, dropped: frozenset[str]) -> GraphQLSchema:
    schema = build_ast_schema(version_document(version, dropped))
    install(schema)
    running.install(schema)  # aliases in order, with server time, cut at the limit
    install_bulk(schema)  # ingest_items, backfill_items, fetch_job_status (2026-07+)
    return schema


def executable_schema(version: str = versions.CURRENT, **flags: bool) -> GraphQLSchema:
    """The schema serving ``version`` (any served version: the release candidate and
    the dev version get 2026-10's), built once per version and flags. ``flags`` are
    the dropping settings (``remove_settings_str=True``)."""
    unknown = set(flags) - set(DROPPING_SETTINGS)
    if unknown:
        raise ValueError(f"unknown schema flags: {sorted(unknown)}")
    dropped = frozenset(name for name, on in flags.items() if on)
    return _build(versions.schema_version(version), dropped)
