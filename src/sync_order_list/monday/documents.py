"""GraphQL documents, kept as ``.graphql`` files and loaded by name.

Each file holds one operation with variables and one root field (the complexity probe
aside). Batches are composed on the graphql-core AST rather than by string pasting:
every operation's variables are renamed per alias (``$item_name`` -> ``$op3_item_name``)
and its root field gets the alias ``op3``, so monday runs (and charges) each one
separately and reports per-alias errors under ``path: ["op3"]``. Every document the
client sends carries the ``complexity`` block, which is how the scheduler learns the
budget left and the real cost of each operation kind.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

PACKAGE = "sync_order_list.graphql"
COMPLEXITY_FIELD = "complexity"
ALIAS_PREFIX = "op"


@dataclass(frozen=True)
class Variable:
    """A variable a document declares: its GraphQL type and whether it must be sent."""

    name: str
    type: str
    required: bool


@dataclass(frozen=True)
class Document:
    """One loaded ``.graphql`` file."""

    name: str
    text: str
    ast: DocumentNode = field(repr=False, compare=False)
    operation_type: str  # "query" or "mutation"
    variables: Mapping[str, Variable]
    root_field: str

    @property
    def operation(self) -> OperationDefinitionNode:
        return _operation(self.ast)


@dataclass(frozen=True)
class Op:
    """One operation of a batch: a document name and its variables (unprefixed)."""

    name: str
    variables: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ComposedDocument:
    """A document ready to send: text, variables, and which alias runs what.

    ``operation_counts`` (operation kind -> number of aliases) is what the scheduler
    estimates and learns costs by; ``label`` names the request in the API log.
    """

    query: str
    variables: dict[str, Any]
    aliases: tuple[str, ...]
    operations: tuple[str, ...]  # operation name per alias, same order as aliases
    operation_type: str
    operation_counts: dict[str, int]

    @property
    def label(self) -> str:
        return operation_label(self.operation_counts)

    def alias_of(self, index: int) -> str:
        return self.aliases[index]


def operation_label(counts: Mapping[str, int]) -> str:
    """``create_item×50+create_group×1``: a short name for a (batched) request."""
    parts = [name if n == 1 else f"{name}×{n}" for name, n in sorted(counts.items())]
    return "+".join(parts) or "empty"


def available() -> list[str]:
    """Names of every shipped document."""
    root = resources.files(PACKAGE)
    return sorted(p.name[: -len(".graphql")] for p in root.iterdir() if p.name.endswith(".graphql"))


@lru_cache(maxsize=64)
def load(name: str) -> Document:
    """Load, parse and describe the document ``<name>.graphql`` (cached).

    Raises ``KeyError`` for an unknown name and ``ValueError`` when the file does not
    hold exactly one operation with one root field (plus, at most, ``complexity``).
    """
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise KeyError(f"bad document name {name!r}")
    resource = resources.files(PACKAGE).joinpath(f"{name}.graphql")
    if not resource.is_file():
        raise KeyError(f"no GraphQL document {name!r}; known: {', '.join(available())}")
    text = resource.read_text(encoding="utf-8")
    ast = parse(text, no_location=True)
    op = _operation(ast)
    fields = [s for s in op.selection_set.selections if isinstance(s, FieldNode)]
    roots = [f.name.value for f in fields if f.name.value != COMPLEXITY_FIELD]
    if len(fields) != len(op.selection_set.selections) or len(roots) > 1:
        raise ValueError(f"{name}.graphql: expected one root field, got {roots}")
    root = roots[0] if roots else COMPLEXITY_FIELD
    variables = {
        v.variable.name.value: Variable(
            name=v.variable.name.value,
            type=print_ast(v.type),
            required=isinstance(v.type, NonNullTypeNode) and v.default_value is None,
        )
        for v in op.variable_definitions or ()
    }
    return Document(
        name=name,
        text=text,
        ast=ast,
        operation_type=op.operation.value,
        variables=variables,
        root_field=root,
    )


def single(name: str, variables: Mapping[str, Any] | None = None) -> ComposedDocument:
    """One document as it is (no alias), with the complexity block added."""
    doc = load(name)
    sent = _checked_variables(doc, variables or {})
    return ComposedDocument(
        query=ensure_complexity(doc.text),
        variables=sent,
        aliases=(doc.root_field,),
        operations=(name,),
        operation_type=doc.operation_type,
        operation_counts={name: 1},
    )


def compose(
    ops: Sequence[Op | tuple[str, Mapping[str, Any]]],
    *,
    include_complexity: bool = True,
    operation_name: str | None = None,
) -> ComposedDocument:
    """Compose operations (same or different documents) into one aliased document.

    Operation ``i`` becomes alias ``op{i}`` with its variables renamed ``op{i}_<name>``.
    All operations must be of one type (all mutations or all queries). Unknown or
    missing required variables raise ``ValueError`` here, before anything is sent.
    """
    if not ops:
        raise ValueError("compose() needs at least one operation")
    normal = [o if isinstance(o, Op) else Op(o[0], o[1]) for o in ops]
    kinds = {load(o.name).operation_type for o in normal}
    if len(kinds) != 1:
        raise ValueError("cannot mix queries and mutations in one document")
    op_type = kinds.pop()
    var_defs: list[str] = []
    selections: list[str] = []
    variables: dict[str, Any] = {}
    aliases: list[str] = []
    for index, op in enumerate(normal):
        alias = f"{ALIAS_PREFIX}{index}"
        checked = _checked_variables(load(op.name), op.variables)
        defs, text = _aliased_text(op.name, alias)
        var_defs.extend(defs)
        selections.append(text)
        variables.update({f"{alias}_{k}": v for k, v in checked.items()})
        aliases.append(alias)
    if include_complexity:
        selections.append(_complexity_text())
    counts = Counter(o.name for o in normal)
    name = _safe_name(operation_name or "batch_" + "_".join(sorted(counts)))
    head = f"{op_type} {name}({', '.join(var_defs)})" if var_defs else f"{op_type} {name}"
    # Same text print_ast would give for the assembled AST (a test holds it to that),
    # built from per-alias fragments printed once and cached.
    query = head + " {\n" + "\n".join(selections) + "\n}"
    return ComposedDocument(
        query=query,
        variables=variables,
        aliases=tuple(aliases),
        operations=tuple(o.name for o in normal),
        operation_type=op_type,
        operation_counts=dict(counts),
    )


_HAS_COMPLEXITY = re.compile(r"\bcomplexity\s*\{")


def ensure_complexity(query: str) -> str:
    """Return ``query`` with a root ``complexity { ... }`` selection (added if absent).

    Applies to the first operation of the document; a document that already asks for
    it is returned unchanged without parsing.
    """
    if _HAS_COMPLEXITY.search(query):
        return query
    return _add_complexity(query)


@lru_cache(maxsize=256)
def _add_complexity(query: str) -> str:
    ast = parse(query, no_location=True)
    op = _operation(ast)
    new_op = dataclasses.replace(
        op,
        selection_set=SelectionSetNode(
            selections=(*op.selection_set.selections, _complexity_field())
        ),
    )
    definitions = tuple(new_op if d is op else d for d in ast.definitions)
    return print_ast(DocumentNode(definitions=definitions))


# -- internals ---------------------------------------------------------------------------


def _operation(ast: DocumentNode) -> OperationDefinitionNode:
    ops = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
    if len(ops) != 1:
        raise ValueError(f"expected exactly one operation, found {len(ops)}")
    return ops[0]


def _checked_variables(doc: Document, variables: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(variables) - set(doc.variables)
    if unknown:
        raise ValueError(
            f"{doc.name}: unknown variable(s) {sorted(unknown)}; declared: {sorted(doc.variables)}"
        )
    missing = [
        v.name for v in doc.variables.values() if v.required and variables.get(v.name) is None
    ]
    if missing:
        raise ValueError(f"{doc.name}: required variable(s) {missing} missing")
    return dict(variables)


class _RenameVariables(Visitor):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def enter_variable(self, node: VariableNode, *_args: Any) -> VariableNode:
        return VariableNode(name=NameNode(value=self.prefix + node.name.value))


@lru_cache(maxsize=8192)
def _aliased(name: str, alias: str) -> tuple[tuple[VariableDefinitionNode, ...], FieldNode]:
    """The document's variable definitions and root field, renamed for ``alias``.

    Cached per (document, alias): a batch of 100 reuses the same 100 nodes every time.
    ``visit`` returns edited copies, so the loaded document is never mutated.
    """
    op = load(name).operation
    renamed: OperationDefinitionNode = visit(op, _RenameVariables(f"{alias}_"))
    root = next(
        s
        for s in renamed.selection_set.selections
        if isinstance(s, FieldNode) and s.name.value != COMPLEXITY_FIELD
    )
    node = dataclasses.replace(root, alias=NameNode(value=alias))
    return tuple(renamed.variable_definitions or ()), node


@lru_cache(maxsize=8192)
def _aliased_text(name: str, alias: str) -> tuple[tuple[str, ...], str]:
    """Printed variable definitions and the indented, aliased root field."""
    defs, node = _aliased(name, alias)
    return tuple(print_ast(d) for d in defs), _indent(print_ast(node))


@lru_cache(maxsize=1)
def _complexity_text() -> str:
    return _indent(print_ast(_complexity_field()))


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.split("\n"))


@lru_cache(maxsize=1)
def _complexity_field() -> FieldNode:
    op = load("complexity").operation
    return next(
        s
        for s in op.selection_set.selections
        if isinstance(s, FieldNode) and s.name.value == COMPLEXITY_FIELD
    )


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"op_{cleaned}"
