"""Request-level GraphQL errors in the shapes monday returns.

monday's API is served by graphql-ruby, so parse errors, static validation errors and
invalid variables come back in graphql-ruby's wording, not graphql-core's. Observed
on monday (public client bug reports)::

    {"message": "Parse error on \\"phone\\" (STRING) at [5, 23]",
     "locations": [{"line": 5, "column": 23}]}
    {"message": "Field 'pos' doesn't exist on type 'Board'",
     "locations": [{"line": 1, "column": 126}], "path": ["query", "boards", "pos"],
     "extensions": {"code": "undefinedField", "typeName": "Board", "fieldName": "pos"}}

This module turns graphql-core's errors into those shapes: the message, ``locations``,
``path`` (the operation, ``"query"`` or ``"query Name"`` or ``"fragment F"``, then the
response keys down to the field, and the argument's name for argument errors) and
``extensions`` with graphql-ruby's code (``undefinedField``, ``argumentNotAccepted``,
``argumentLiteralsIncompatible``, ``missingRequiredArguments``, ``selectionMismatch``,
``variableNotDefined``, ``variableNotUsed``, ``variableMismatch`` ...). A graphql-core
message that has no counterpart here keeps its text, with the code
``GRAPHQL_VALIDATION_FAILED``. Only the (rare) error path pays for the lookups.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    Node,
    ObjectFieldNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableDefinitionNode,
    Visitor,
    print_ast,
    visit,
)
from graphql.language import Lexer, TokenKind, get_location

VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
PARSE_ERROR = "ParseError"
INVALID_VARIABLE = "INVALID_VARIABLE"

# graphql-ruby's names for lexer tokens, as its parse errors print them
_TOKEN_NAMES = {
    TokenKind.BANG: "BANG",
    TokenKind.DOLLAR: "VAR_SIGN",
    TokenKind.AMP: "AMP",
    TokenKind.PAREN_L: "LPAREN",
    TokenKind.PAREN_R: "RPAREN",
    TokenKind.SPREAD: "ELLIPSIS",
    TokenKind.COLON: "COLON",
    TokenKind.EQUALS: "EQUALS",
    TokenKind.AT: "DIR_SIGN",
    TokenKind.BRACKET_L: "LBRACKET",
    TokenKind.BRACKET_R: "RBRACKET",
    TokenKind.BRACE_L: "LCURLY",
    TokenKind.PIPE: "PIPE",
    TokenKind.BRACE_R: "RCURLY",
    TokenKind.INT: "INT",
    TokenKind.FLOAT: "FLOAT",
    TokenKind.STRING: "STRING",
    TokenKind.BLOCK_STRING: "STRING",
}
_KEYWORDS = {
    "on", "fragment", "true", "false", "null", "query", "mutation", "subscription",
    "schema", "scalar", "type", "extend", "implements", "interface", "union", "enum",
    "input", "directive", "repeatable",
}  # fmt: skip


def _location(line: int, column: int) -> list[dict[str, int]]:
    return [{"line": line, "column": column}]


# ---------------------------------------------------------------- parse errors


def parse_error(error: GraphQLError, text: str) -> dict[str, Any]:
    """``Parse error on "}" (RCURLY) at [1, 12]``, or ``Unexpected end of document``.
    Documents over the size or nesting limits get a message that says so."""
    position = error.positions[0] if error.positions else None
    location = error.locations[0] if error.locations else None
    if "Parsing aborted" in error.message:
        too_deep = "nested too deeply" in error.message
        out: dict[str, Any] = {
            "message": "This query is nested too deeply to parse"
            if too_deep
            else "This query is too large to execute.",
        }
        if location is not None:
            out["locations"] = _location(location.line, location.column)
        out["extensions"] = {"code": "maxDepthExceeded" if too_deep else "maxTokensExceeded"}
        return out
    token = _token_at(text, position) if position is not None else None
    if token is not None and token.kind == TokenKind.EOF:
        message = "Unexpected end of document"
    elif token is not None:
        if token.kind == TokenKind.NAME:
            name = "IDENTIFIER" if token.value not in _KEYWORDS else token.value.upper()
        else:
            name = _TOKEN_NAMES.get(token.kind, token.kind.name)
        value = token.value if token.value is not None else token.kind.value
        message = f'Parse error on "{_short(value)}" ({name}) at [{token.line}, {token.column}]'
    elif location is not None and position is not None:
        char = text[position : position + 1] or " "
        message = f'Parse error on "{_short(char)}" (UNKNOWN_CHAR) at [{location.line}, {location.column}]'
    else:
        message = f"Parse error: {error.message.removeprefix('Syntax Error: ')}"
    shaped: dict[str, Any] = {"message": message}
    if location is not None:
        shaped["locations"] = _location(location.line, location.column)
    shaped["extensions"] = {"code": PARSE_ERROR}
    return shaped


def _token_at(text: str, position: int) -> Any:
    """The token that starts at ``position``; None when the lexer fails first."""
    lexer = Lexer(Source(text))
    try:
        token = lexer.advance()
        while token.kind != TokenKind.EOF and token.start < position:
            token = lexer.advance()
    except (GraphQLError, RecursionError):
        return None
    return token if token.start == position or token.kind == TokenKind.EOF else None


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


# ---------------------------------------------------------------- validation errors


@dataclass
class _DocumentIndex:
    """Parents of every node, and the field/argument definitions TypeInfo saw."""

    parents: dict[int, Node] = field(default_factory=dict)
    by_start: dict[tuple[str, int], Node] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    field_parent_types: dict[int, Any] = field(default_factory=dict)
    field_defs: dict[int, Any] = field(default_factory=dict)
    arg_defs: dict[int, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, schema: GraphQLSchema, document: DocumentNode) -> _DocumentIndex:
        index = cls()
        for parent, child in _edges(document):
            index.parents[id(child)] = parent
            index.nodes.append(child)
            if child.loc is not None:
                index.by_start.setdefault((child.kind, child.loc.start), child)
        type_info = TypeInfo(schema)

        class Recorder(Visitor):
            def enter_field(self, node: FieldNode, *_: Any) -> None:
                index.field_parent_types[id(node)] = type_info.get_parent_type()
                index.field_defs[id(node)] = type_info.get_field_def()

            def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
                index.arg_defs[id(node)] = type_info.get_argument()

        visit(document, TypeInfoVisitor(type_info, Recorder()))
        return index

    def resolve(self, node: Node) -> Node:
        """The document's own node: some rules report a rebuilt copy of it."""
        if id(node) in self.parents:
            return node
        if node.loc is not None:
            return self.by_start.get((node.kind, node.loc.start), node)
        # a rebuilt copy without a location: use what it wraps, or the first node of
        # the document that prints the same
        for _, child in _edges(node):
            if id(child) in self.parents:
                return child
        printed = print_ast(node)
        return next(
            (n for n in self.nodes if n.kind == node.kind and print_ast(n) == printed), node
        )

    def ancestors(self, node: Node) -> Iterator[Node]:
        current = self.parents.get(id(self.resolve(node)))
        while current is not None:
            yield current
            current = self.parents.get(id(current))

    def enclosing(self, node: Node, kind: type) -> Any:
        node = self.resolve(node)
        if isinstance(node, kind):
            return node
        return next((a for a in self.ancestors(node) if isinstance(a, kind)), None)

    def path(self, node: Node) -> list[str | int]:
        """graphql-ruby's validation path: operation label, response keys, argument."""
        node = self.resolve(node)
        chain = [node, *self.ancestors(node)]
        out: list[str | int] = []
        for item in reversed(chain):
            if isinstance(item, OperationDefinitionNode):
                label = item.operation.value
                out.append(f"{label} {item.name.value}" if item.name else label)
            elif isinstance(item, FragmentDefinitionNode):
                out.append(f"fragment {item.name.value}")
            elif isinstance(item, FieldNode):
                out.append((item.alias or item.name).value)
            elif isinstance(item, ArgumentNode):
                out.append(item.name.value)
        return out


def _edges(root: Node) -> Iterator[tuple[Node, Node]]:
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        for key in node.keys:
            if key == "loc":
                continue
            value = getattr(node, key, None)
            if isinstance(value, Node):
                yield node, value
                stack.append(value)
            elif isinstance(value, tuple | list):
                for child in value:
                    if isinstance(child, Node):
                        yield node, child
                        stack.append(child)


def _operation_label(operation: OperationDefinitionNode | None) -> str:
    if operation is None or operation.name is None:
        return "anonymous query"
    return operation.name.value


Mapper = Callable[[re.Match[str], GraphQLError, "_Context"], dict[str, Any] | None]


@dataclass
class _Context:
    schema: GraphQLSchema
    document: DocumentNode
    _index: _DocumentIndex | None = None

    @property
    def index(self) -> _DocumentIndex:
        if self._index is None:
            self._index = _DocumentIndex.build(self.schema, self.document)
        return self._index


def _shape(
    error: GraphQLError, ctx: _Context, message: str, node: Node | None, **extensions: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"message": message}
    if error.locations:
        out["locations"] = [loc._asdict() for loc in error.locations]
    elif node is not None:
        own = ctx.index.resolve(node)
        if own.loc is not None:
            where = get_location(own.loc.source, own.loc.start)
            out["locations"] = _location(where.line, where.column)
    if node is not None:
        out["path"] = ctx.index.path(node)
    out["extensions"] = extensions
    return out


def _node(error: GraphQLError, index: int = 0) -> Node | None:
    nodes = error.nodes or []
    return nodes[index] if len(nodes) > index else None


@dataclass(frozen=True)
class _Simple:
    """A graphql-core message whose translation needs only its regex groups:
    ``message`` is a ``str.format`` template over the match's named groups,
    ``extensions`` maps each extension key (after ``code``) to the group that fills it,
    and ``with_node`` gives the error's first node for ``locations`` and ``path``."""

    pattern: re.Pattern[str]
    message: str
    code: str
    extensions: Mapping[str, str] = field(default_factory=dict)
    with_node: bool = True


@dataclass(frozen=True)
class _Custom:
    """A graphql-core message that a hand-written mapper translates."""

    pattern: re.Pattern[str]
    mapper: Mapper


def _translate(rule: _Simple, m: re.Match[str], e: GraphQLError, ctx: _Context) -> dict[str, Any]:
    groups = m.groupdict()
    return _shape(
        e,
        ctx,
        rule.message.format_map(groups),
        _node(e) if rule.with_node else None,
        code=rule.code,
        **{key: groups[group] for key, group in rule.extensions.items()},
    )


def _unknown_argument(m: re.Match[str], e: GraphQLError, ctx: _Context) -> dict[str, Any]:
    arg, owner = m["arg"], m["field"]
    kind = "Directive" if m["kind"] == "directive" else "Field"
    return _shape(
        e,
        ctx,
        f"{kind} '{owner}' doesn't accept argument '{arg}'",
        _node(e),
        code="argumentNotAccepted",
        name=owner,
        typeName=kind,
        argumentName=arg,
    )


def _scalar_selection(m: re.Match[str], e: GraphQLError, ctx: _Context) -> dict[str, Any]:
    selection_set = _node(e)
    names: list[str] = []
    if isinstance(selection_set, SelectionSetNode):
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                names.append(f'"{sel.name.value}"')
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else ""
                names.append(f'"... on {cond} {{ ... }}"')
            else:
                names.append(f'"{getattr(getattr(sel, "name", None), "value", "")}"')
    field_node = (
        ctx.index.parents.get(id(ctx.index.resolve(selection_set)))
        if selection_set is not None
        else None
    )
    type_name = m["type"].strip("[]!").replace("!", "").replace("[", "").replace("]", "")
    name = m["field"]
    return _shape(
        e,
        ctx,
        f"Selections can't be made on scalars (field '{name}' returns {type_name} "
        f"but has selections [{', '.join(names)}])",
        field_node,
        code="selectionMismatch",
        nodeName=f"field '{name}'",
        typeName=type_name,
    )


def _missing_selection(m: re.Match[str], e: GraphQLError, ctx: _Context) -> dict[str, Any]:
    name = m["field"]
    type_name = m["type"].replace("!", "").replace("[", "").replace("]", "")
    return _shape(
        e,
        ctx,
        f"Field must have selections (field '{name}' returns {type_name} but has no "
        f"selections. Did you mean '{name} {{ ... }}'?)",
        _node(e),
        code="selectionMismatch",
        nodeName=f"field '{name}'",
        typeName=type_name,
    )


def _variable_not_defined(m: re.Match[str], e: GraphQLError, ctx: _Context) -> dict[str, Any]:
    node = _node(e)
    operation = _node(e, 1)
    if not isinstance(operation, OperationDefinitionNode):
        operation = ctx.index.enclosing(node, OperationDefinitionNode) if node else None
    return _shape(
        e,
        ctx,
        f"Variable ${m['var']} is used by {_operation_label(operation)} but not declared",
        node,
        code="variableNotDefined",
        variableName=m["var"],
    )


def _variable_not_used(m: re.Match[str], e: GraphQLError, ctx: _Context) -> dict[str, Any]:
    node = _node(e)
    operation = ctx.index.enclosing(node, OperationDefinitionNode) if node else None
    return _shape(
        e,
        ctx,
        f"Variable ${m['var']} is declared by {_operation_label(operation)} but not used",
        operation,
        code="variableNotUsed",
        variableName=m["var"],
    )


def _variable_mismatch(m: re.Match[str], e: GraphQLError, ctx: _Context) -> dict[str, Any]:
    usage = _node(e, 1) or _node(e)
    argument = ctx.index.enclosing(usage, ArgumentNode) if usage is not None else None
    arg_name = argument.name.value if argument is not None else ""
    declared, expected = m["declared"], m["expected"]
    kind = "Nullability" if declared.replace("!", "") == expected.replace("!", "") else "Type"
    return _shape(
        e,
        ctx,
        f"{kind} mismatch on variable ${m['var']} and argument {arg_name} ({declared} / {expected})",
        usage,
        code="variableMismatch",
        variableName=m["var"],
        typeName=declared,
        argumentName=arg_name,
        errorMessage=f"{kind} mismatch",
    )


def _unknown_type(m: re.Match[str], e: GraphQLError, ctx: _Context) -> dict[str, Any]:
    node = _node(e)
    variable = ctx.index.enclosing(node, VariableDefinitionNode) if node is not None else None
    if variable is not None:
        name = variable.variable.name.value
        return _shape(
            e,
            ctx,
            f"{m['type']} isn't a defined input type (on ${name})",
            variable,
            code="variableRequiresValidType",
            typeName=m["type"],
            variableName=name,
        )
    return _shape(
        e,
        ctx,
        f"No such type {m['type']}, so it can't be a fragment condition",
        node,
        code="undefinedType",
        typeName=m["type"],
    )


def _field_conflict(m: re.Match[str], e: GraphQLError, ctx: _Context) -> dict[str, Any]:
    names = re.search(r"'([^']+)' and '([^']+)' are different fields", e.message)
    conflicts = f"{names[1]} or {names[2]}" if names else m["reason"]
    return _shape(
        e,
        ctx,
        f"Field '{m['name']}' has a field conflict: {conflicts}?",
        _node(e),
        code="fieldConflict",
        fieldName=m["name"],
        conflicts=conflicts,
    )


def _cannot_spread(m: re.Match[str], e: GraphQLError, ctx: _Context) -> dict[str, Any]:
    name = m["name"] or "unknown"
    label = f"Fragment {name}" if m["name"] else "Fragment"
    return _shape(
        e,
        ctx,
        f"{label} on {m['fragment']} can't be spread inside {m['parent']}",
        _node(e),
        code="cannotSpreadFragment",
        typeName=m["fragment"],
        fragmentName=name,
        parentName=m["parent"],
    )


# graphql-core's messages, tried in this order: the first that matches translates
_RULES: tuple[_Simple | _Custom, ...] = (
    _Simple(
        re.compile(r"^Cannot query field '(?P<field>[^']+)' on type '(?P<type>[^']+)'\."),
        "Field '{field}' doesn't exist on type '{type}'",
        "undefinedField",
        {"typeName": "type", "fieldName": "field"},
    ),
    _Custom(
        re.compile(r"^Unknown argument '(?P<arg>[^']+)' on (?P<kind>field|directive) '@?(?:[^'.]+\.)?(?P<field>[^'.]+)'\."),
        _unknown_argument,
    ),
    _Custom(
        re.compile(r"^Field '(?P<field>[^']+)' must not have a selection since type '(?P<type>[^']+)'"),
        _scalar_selection,
    ),
    _Custom(
        re.compile(r"^Field '(?P<field>[^']+)' of type '(?P<type>[^']+)' must have a selection of subfields"),
        _missing_selection,
    ),
    _Custom(re.compile(r"^Variable '\$(?P<var>[^']+)' is not defined"), _variable_not_defined),
    _Custom(re.compile(r"^Variable '\$(?P<var>[^']+)' is never used"), _variable_not_used),
    _Custom(
        re.compile(r"^Variable '\$(?P<var>[^']+)' of type '(?P<declared>[^']+)' used in position expecting type '(?P<expected>[^']+)'"),
        _variable_mismatch,
    ),
    _Custom(re.compile(r"^Unknown type '(?P<type>[^']+)'\."), _unknown_type),
    _Simple(
        re.compile(r"^Variable '\$(?P<var>[^']+)' cannot be non-input type '(?P<type>[^']+)'"),
        "{type} isn't a valid input type (on ${var})",
        "variableRequiresValidType",
        {"typeName": "type", "variableName": "var"},
    ),
    _Simple(
        re.compile(r"^Unknown fragment '(?P<name>[^']+)'\."),
        "Fragment {name} was used, but not defined",
        "useAndDefineFragment",
        {"fragmentName": "name"},
    ),
    _Simple(
        re.compile(r"^Fragment '(?P<name>[^']+)' is never used"),
        "Fragment {name} was defined, but not used",
        "useAndDefineFragment",
        {"fragmentName": "name"},
    ),
    _Simple(
        re.compile(r"^Cannot spread fragment '(?P<name>[^']+)' within itself"),
        "Fragment {name} contains an infinite loop",
        "infiniteLoop",
        {"fragmentName": "name"},
    ),
    _Simple(
        re.compile(r"^Unknown directive '@(?P<name>[^']+)'\."),
        "Directive @{name} is not defined",
        "undefinedDirective",
        {"directiveName": "name"},
    ),
    _Custom(re.compile(r"^Fields '(?P<name>[^']+)' conflict because (?P<reason>.*)$", re.S), _field_conflict),
    _Simple(
        re.compile(r"^This anonymous operation must be the only defined operation"),
        "Operation name is required when multiple operations are present",
        "uniquelyNamedOperations",
        with_node=False,
    ),
    _Simple(
        re.compile(r"^There can be only one operation named '(?P<name>[^']+)'"),
        'Operation name "{name}" must be unique',
        "uniquelyNamedOperations",
        {"operationName": "name"},
        with_node=False,
    ),
    _Simple(
        re.compile(r"^There can be only one variable named '\$(?P<name>[^']+)'"),
        'There can only be one variable named "{name}"',
        "variableNotUnique",
        {"variableName": "name"},
        with_node=False,
    ),
    _Simple(
        re.compile(r"^There can be only one argument named '(?P<name>[^']+)'"),
        'There can be only one argument named "{name}"',
        "argumentNotUnique",
        {"name": "name"},
    ),
    _Simple(
        re.compile(r"^There can be only one fragment named '(?P<name>[^']+)'"),
        'Fragment name "{name}" must be unique',
        "fragmentNotUnique",
        {"fragmentName": "name"},
        with_node=False,
    ),
    _Simple(
        re.compile(r"^The subscription operation is not supported"),
        "Schema is not configured for subscriptions",
        "missingSubscriptionConfiguration",
        with_node=False,
    ),
    _Custom(
        re.compile(r"^Fragment (?:'(?P<name>[^']+)' )?cannot be spread here as objects of type '(?P<parent>[^']+)' can never be of type '(?P<fragment>[^']+)'"),
        _cannot_spread,
    ),
)  # fmt: skip

_MISSING_ARGUMENT = re.compile(
    r"^Argument '(?P<owner>[^']+)\((?P<arg>[^:)]+):\)' of type '(?P<type>[^']+)' is required"
)
_MISSING_INPUT_FIELD = re.compile(
    r"^Expected value of type '(?P<input>[^']+)' to include required field '(?P<field>[^']+)'"
)
_UNKNOWN_INPUT_FIELD = re.compile(
    r"^Expected value of type '(?P<input>[^']+)' not to include unknown field '(?P<field>[^']+)'"
)


def validation_errors(
    schema: GraphQLSchema, document: DocumentNode, errors: list[GraphQLError]
) -> list[dict[str, Any]]:
    """graphql-core validation errors, in graphql-ruby's shapes (see the module doc)."""
    ctx = _Context(schema, document)
    out: list[dict[str, Any]] = []
    missing: dict[int, tuple[GraphQLError, str, str, list[str]]] = {}
    for error in errors:
        try:
            shaped = _shape_one(error, ctx, missing)
        except Exception:  # noqa: BLE001 - a mapping bug must not hide the error
            shaped = _fallback(error)
        if shaped is not None and shaped not in out:
            out.append(shaped)
    for first, kind, owner, names in missing.values():
        node = _node(first)
        out.append(
            _shape(
                first,
                ctx,
                f"{kind} '{owner}' is missing required arguments: {', '.join(names)}",
                node,
                code="missingRequiredArguments",
                className=kind,
                name=owner,
                arguments=", ".join(names),
            )
        )
    return out


def _shape_one(
    error: GraphQLError,
    ctx: _Context,
    missing: dict[int, tuple[GraphQLError, str, str, list[str]]],
) -> dict[str, Any] | None:
    message = error.message
    found = _MISSING_ARGUMENT.match(message)
    if found:
        owner = found["owner"]
        kind = "Directive" if owner.startswith("@") else "Field"
        owner = owner.lstrip("@").rsplit(".", 1)[-1]
        node = _node(error)
        key = id(node)
        if key in missing:
            missing[key][3].append(found["arg"])
        else:
            missing[key] = (error, kind, owner, [found["arg"]])
        return None
    for rule in _RULES:
        match = rule.pattern.match(message)
        if match:
            if isinstance(rule, _Simple):
                return _translate(rule, match, error, ctx)
            return rule.mapper(match, error, ctx)
    node = _node(error)
    if isinstance(node, ValueNode | ObjectFieldNode):
        return _bad_literal(error, ctx, node)
    return _fallback(error)


def _bad_literal(error: GraphQLError, ctx: _Context, node: Node) -> dict[str, Any]:
    """A literal of the wrong type, reported (as graphql-ruby does) on its argument."""
    index = ctx.index
    unknown = _UNKNOWN_INPUT_FIELD.match(error.message)
    if unknown:
        return _shape(
            error,
            ctx,
            f"InputObject '{unknown['input']}' doesn't accept argument '{unknown['field']}'",
            node,
            code="argumentNotAccepted",
            name=unknown["input"],
            typeName="InputObject",
            argumentName=unknown["field"],
        )
    required = _MISSING_INPUT_FIELD.match(error.message)
    if required:
        input_type = ctx.schema.get_type(required["input"])
        fields = getattr(input_type, "fields", {}) or {}
        field_type = str(fields[required["field"]].type) if required["field"] in fields else ""
        return _shape(
            error,
            ctx,
            f"Argument '{required['field']}' on InputObject '{required['input']}' is required. "
            f"Expected type {field_type}",
            node,
            code="missingRequiredInputObjectAttribute",
            argumentName=required["field"],
            argumentType=field_type,
            inputObjectType=required["input"],
        )
    argument = index.enclosing(node, ArgumentNode)
    if argument is None:
        variable = index.enclosing(node, VariableDefinitionNode)
        if variable is not None:
            name = variable.variable.name.value
            return _shape(
                error,
                ctx,
                f"Default value for ${name} doesn't match type {print_ast(variable.type)}",
                variable,
                code="defaultValueInvalidType",
                variableName=name,
                type=print_ast(variable.type),
            )
        return _fallback(error)
    owner_node = index.parents.get(id(argument))
    arg_def = index.arg_defs.get(id(argument))
    expected = str(arg_def.type) if arg_def is not None else ""
    if isinstance(owner_node, DirectiveNode):
        kind, owner = "Directive", owner_node.name.value
    else:
        kind = "Field"
        owner = owner_node.name.value if isinstance(owner_node, FieldNode) else ""
    return _shape(
        error,
        ctx,
        f"Argument '{argument.name.value}' on {kind} '{owner}' has an invalid value "
        f"({_short(print_ast(argument.value).replace('{  }', '{}'), 200)}). Expected type '{expected}'.",
        argument,
        code="argumentLiteralsIncompatible",
        typeName=kind,
        argumentName=argument.name.value,
    )


def _fallback(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {"message": error.message}
    if error.locations:
        out["locations"] = [loc._asdict() for loc in error.locations]
    out["extensions"] = {"code": VALIDATION_FAILED}
    return out


# ---------------------------------------------------------------- variables, operations


_VARIABLE_PREFIX = re.compile(r"^Variable '\$(?P<var>[^']+)'")
# graphql-core 3.3: "Variable '$q' has invalid value at .rules[0].operator: <why>";
# 3.2: "Variable '$q' got invalid value ... at 'q.rules[0]'; <why>"
_INVALID_AT = re.compile(r"has invalid value(?: at (?P<path>[^:]*))?: (?P<why>.*)$", re.S)
_GOT_INVALID = re.compile(r"got invalid value .*?(?: at '(?P<path>[^']*)')?; (?P<why>.*)$", re.S)
_NULL_HINTS = ("to be provided", "not to be None", "must not be null", "was not provided")


def variable_errors(
    errors: list[GraphQLError],
    definitions: dict[str, VariableDefinitionNode],
    provided: dict[str, Any],
) -> list[dict[str, Any]]:
    """Variables that could not be coerced: graphql-ruby's ``Variable $x of type T was
    provided invalid value`` with ``value`` and ``problems``."""
    out = []
    for error in errors:
        found = _VARIABLE_PREFIX.match(error.message)
        definition = definitions.get(found["var"]) if found else None
        if definition is None:
            out.append({"message": error.message, "extensions": {"code": INVALID_VARIABLE}})
            continue
        name = found["var"] if found else ""
        type_text = print_ast(definition.type)
        message = error.message
        detail = _INVALID_AT.search(message) or _GOT_INVALID.search(message)
        explanation = detail["why"] if detail else message
        if any(hint in explanation for hint in _NULL_HINTS):
            explanation = "Expected value to not be null"
        path_text = detail["path"] if detail and detail["path"] else ""
        shaped: dict[str, Any] = {
            "message": f"Variable ${name} of type {type_text} was provided invalid value",
        }
        if error.locations:
            shaped["locations"] = [loc._asdict() for loc in error.locations]
        shaped["extensions"] = {
            "code": INVALID_VARIABLE,
            "value": provided.get(name),
            "problems": [
                {
                    "path": _split_path(path_text),
                    "explanation": explanation,
                }
            ],
        }
        out.append(shaped)
    return out


def _split_path(text: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in re.findall(r"[^.\[\]]+", text):
        parts.append(int(piece) if piece.isdigit() else piece)
    return parts


def operation_error(operation_name: str | None, operations: int) -> dict[str, Any]:
    """The operation to run can't be chosen (graphql-ruby's wording)."""
    if operations == 0:
        message = "No operations in the document"
    elif operation_name is None:
        message = "An operation name is required"
    else:
        message = f'No operation named "{operation_name}"'
    return {"message": message, "extensions": {"code": VALIDATION_FAILED}}
