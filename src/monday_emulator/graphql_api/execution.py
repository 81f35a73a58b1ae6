"""Run one GraphQL request: parse, validate, price (``prepare_document``), charge
(``charge_document``), execute (``execute_now`` without server time, ``execute_timed``
with it), and shape the result as monday does (application errors in ``errors`` with
HTTP 200; a document cut at the 60-second limit is HTTP 504, one stopped by invalid
input in ``http500`` mode HTTP 500). The HTTP side decides what happens in between
(idempotency keys, the board lock, the per-document limits).

Parsing and validating a document depend on its text and its schema only (one schema
per API version), so both are done once per distinct text and schema and kept in a
small LRU cache: clients send the same document text again and again with new
variables. Everything that depends on the variables or the settings (depth limit,
operation choice, variable coercion, price, charge, execution) runs on every request.
"""

from __future__ import annotations

import copy
import inspect
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    execute,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from ..bulk.jobs import BulkJobs
from ..clock import Clock
from ..errors import MondayError
from ..limits.limiter import Limiter, Rejection
from ..settings import EmulatorSettings
from ..store.store import Store
from . import gql_errors
from .complexity import ComplexityCalculator
from .context import RequestContext, Timing
from .cursors import CursorRegistry
from .writes import FREE_ROOT_FIELDS, mutation_fields

try:  # graphql-core 3.3: build once, coerce the variables once, then execute
    from graphql import Executor
except ImportError:  # pragma: no cover - graphql-core 3.2
    Executor = None  # type: ignore[assignment,misc]

log = logging.getLogger(__name__)

CACHE_SIZE = 256  # distinct document texts kept parsed and validated
CACHE_MAX_CHARS = 256 * 1024  # longer texts are prepared every time, never kept
HARD_MAX_DEPTH = 200  # beyond this, validation itself could exhaust the stack


class ApiState(Protocol):
    """What running a request needs from the emulator (``EmulatorState`` has it all):
    the schema and its document cache, the pricing, the limiter, and what the
    resolvers read."""

    settings: EmulatorSettings
    documents: DocumentCache
    complexity: ComplexityCalculator
    limiter: Limiter
    store: Store
    cursors: CursorRegistry
    clock: Clock
    bulk: BulkJobs  # bulk import: the hourly job limit, the jobs

    def schema_for(self, api_version: str) -> GraphQLSchema: ...


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]
    rejection: Rejection | None = None
    operation_type: str = ""
    operation_name: str = ""
    root_fields: list[str] = field(default_factory=list)
    cost: int = 0
    charged: int = 0
    mutations_ok: list[str] = field(default_factory=list)
    mutations_executed: list[str] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)
    server_seconds: float = 0.0  # emulated server time the document took
    cut: str | None = None  # "timeout" (HTTP 504) or "http500"


def _error(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extra}}


def _bad_request(message: str) -> Outcome:
    error = _error(message, "BadRequest", status_code=400, error_data={})
    return Outcome(400, {"errors": [error]}, error_codes=["BadRequest"])


def format_error(error: GraphQLError) -> dict[str, Any]:
    """An execution error in monday's 2025-01+ format."""
    out: dict[str, Any] = {"message": error.message}
    if error.locations:
        out["locations"] = [loc._asdict() for loc in error.locations]
    if error.path is not None:
        out["path"] = list(error.path)
    original = error.original_error
    if isinstance(original, MondayError):
        out["message"] = original.message
        out["extensions"] = original.extensions()
    elif original is not None:
        log.error("resolver failed", exc_info=original)
        out["message"] = "Internal server error"
        out["extensions"] = {"code": "INTERNAL_SERVER_ERROR", "status_code": 500, "error_data": {}}
    else:
        out["extensions"] = {"code": "INTERNAL_SERVER_ERROR", "status_code": 500, "error_data": {}}
    return out


# ---------------------------------------------------------------- prepared documents


@dataclass(frozen=True)
class Prepared:
    """A document text, parsed and validated (or the errors that stopped it)."""

    document: DocumentNode | None
    errors: tuple[dict[str, Any], ...] = ()
    depth: int = 0
    operations: tuple[OperationDefinitionNode, ...] = ()
    fragments: dict[str, FragmentDefinitionNode] = field(default_factory=dict)
    root_fields: dict[int, list[str]] = field(default_factory=dict)

    def operation(self, name: str | None) -> OperationDefinitionNode | None:
        if name is None:
            return self.operations[0] if len(self.operations) == 1 else None
        return next((o for o in self.operations if o.name and o.name.value == name), None)


class DocumentCache:
    """Prepared documents by (schema, text, token limit), least recently used out
    first."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, str, int | None], Prepared] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, schema: Any, text: str, max_tokens: int | None) -> Prepared:
        key = (id(schema), text, max_tokens)  # schemas live as long as the process
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            return entry
        self.misses += 1
        entry = prepare(schema, text, max_tokens)
        if len(text) <= CACHE_MAX_CHARS:
            self._entries[key] = entry
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return entry

    def clear(self) -> None:
        self._entries.clear()


def prepare(schema: Any, text: str, max_tokens: int | None) -> Prepared:
    try:
        document = parse(text, max_tokens=max_tokens)
    except GraphQLError as exc:
        return Prepared(None, (gql_errors.parse_error(exc, text),))
    depth = document_depth(document)
    if depth > HARD_MAX_DEPTH:
        return Prepared(document, (), depth)
    try:
        errors = validate(schema, document)
    except RecursionError:
        return Prepared(document, (), max(depth, HARD_MAX_DEPTH + 1))
    if errors:
        return Prepared(
            document, tuple(gql_errors.validation_errors(schema, document, errors)), depth
        )
    operations = tuple(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    roots = {
        id(op): [s.name.value for s in op.selection_set.selections if isinstance(s, FieldNode)]
        for op in operations
    }
    return Prepared(document, (), depth, operations, fragments, roots)


def document_depth(document: DocumentNode) -> int:
    """The deepest nesting a document can reach once its fragments are spread:
    selection sets and list/object literals each count one level. Iterative, so a
    hostile document can't exhaust the stack here."""
    own: dict[str, tuple[int, list[tuple[int, str]]]] = {}
    results: list[tuple[int, list[tuple[int, str]]]] = []
    for definition in document.definitions:
        measured = _measure(definition)
        if isinstance(definition, FragmentDefinitionNode):
            own[definition.name.value] = measured
        results.append(measured)
    resolved: dict[str, int] = {}

    def fragment_depth(name: str) -> int:
        # iterative post-order over the spread graph; a cycle counts as depth 0 here
        # (validation rejects it)
        stack: list[tuple[str, bool]] = [(name, False)]
        on_path: set[str] = set()
        while stack:
            current, done = stack.pop()
            if done:
                on_path.discard(current)
                base, spreads = own[current]
                resolved[current] = max(
                    [base] + [level + resolved.get(s, 0) for level, s in spreads if s in own]
                )
                continue
            if current in resolved or current not in own or current in on_path:
                continue
            on_path.add(current)
            stack.append((current, True))
            for _, spread in own[current][1]:
                if spread not in resolved and spread in own and spread not in on_path:
                    stack.append((spread, False))
        return resolved.get(name, 0)

    deepest = 0
    for base, spreads in results:
        deepest = max(deepest, base)
        for level, spread in spreads:
            if spread in own:
                deepest = max(deepest, level + fragment_depth(spread))
    return deepest


def _measure(root: Node) -> tuple[int, list[tuple[int, str]]]:
    """(deepest level inside ``root``, [(level, fragment name) of each spread])."""
    deepest = 0
    spreads: list[tuple[int, str]] = []
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, SelectionSetNode | ListValueNode | ObjectValueNode):
            level += 1
            deepest = max(deepest, level)
        if isinstance(node, FragmentSpreadNode):
            spreads.append((level, node.name.value))
        for key in node.keys:
            if key == "loc":
                continue
            value = getattr(node, key, None)
            if isinstance(value, Node):
                stack.append((value, level))
            elif isinstance(value, tuple | list):
                stack.extend((child, level) for child in value if isinstance(child, Node))
    return deepest, spreads


# ---------------------------------------------------------------- one request


@dataclass
class Ready:
    """A valid document, priced, not yet charged nor run."""

    prepared: Prepared
    operation: OperationDefinitionNode
    executor: Any  # graphql-core's Executor (3.3), or None (3.2)
    variables: dict[str, Any]  # as sent
    coerced: dict[str, Any]
    context: RequestContext
    outcome: Outcome
    _fields: list[tuple[str, dict[str, Any]]] | None = None

    @property
    def operation_type(self) -> str:
        return self.outcome.operation_type

    @property
    def is_mutation(self) -> bool:
        return self.outcome.operation_type == "mutation"

    def mutation_count(self) -> int:
        """How many mutation aliases the document has (without coercing arguments
        when its root selections are plain fields, the usual case)."""
        if self._fields is not None:
            return len(self._fields)
        selections = self.operation.selection_set.selections
        if not all(isinstance(s, FieldNode) for s in selections):
            return -1  # fragments at the root: ask mutation_fields
        return sum(
            1
            for s in selections
            if isinstance(s, FieldNode)
            and s.name.value not in FREE_ROOT_FIELDS
            and not s.name.value.startswith("__")
        )

    def mutation_fields(self, schema: GraphQLSchema) -> list[tuple[str, dict[str, Any]]]:
        """(name, coerced arguments) of each mutation alias, in the order they run."""
        if self._fields is None:
            self._fields = mutation_fields(
                schema, self.operation, self.prepared.fragments, self.coerced
            )
        return self._fields


def prepare_document(
    state: ApiState, payload: Any, api_version: str, request_id: str
) -> Outcome | Ready:
    """Check and price a request body: an ``Outcome`` when it can't run (bad body,
    parse, validation or variable errors, over the depth or complexity cap: nothing is
    charged), else the ``Ready`` document."""
    if not isinstance(payload, dict):
        return _bad_request("The request body must be a JSON object")
    query = payload.get("query")
    if not isinstance(query, str) or not query.strip():
        return _bad_request("No query string was present")
    variables = payload.get("variables")
    if variables is None:
        variables = {}
    elif not isinstance(variables, dict):
        return _bad_request("variables must be a JSON object (not a string, an array or a scalar)")
    operation_name = payload.get("operationName")
    if operation_name == "":
        operation_name = None
    if operation_name is not None and not isinstance(operation_name, str):
        return _bad_request("operationName must be a string")

    settings = state.settings
    schema = state.schema_for(api_version)
    prepared = state.documents.get(schema, query, settings.max_query_tokens)
    if prepared.errors:
        errors = copy.deepcopy(list(prepared.errors))
        return Outcome(
            200, {"errors": errors}, error_codes=[e["extensions"]["code"] for e in errors]
        )
    limit = settings.max_query_depth
    limit = HARD_MAX_DEPTH if limit is None else min(limit, HARD_MAX_DEPTH)
    if prepared.depth > limit:
        return Outcome(
            200,
            {
                "errors": [
                    _error(
                        f"Query has depth of {prepared.depth}, which exceeds max depth of {limit}",
                        "maxDepthExceeded",
                        depth=prepared.depth,
                        maxDepth=limit,
                    )
                ]
            },
            error_codes=["maxDepthExceeded"],
        )
    operation = prepared.operation(operation_name)
    if operation is None:
        error = gql_errors.operation_error(operation_name, len(prepared.operations))
        return Outcome(200, {"errors": [error]}, error_codes=[error["extensions"]["code"]])
    assert prepared.document is not None

    context = RequestContext(
        store=state.store,
        settings=state.settings,
        cursors=state.cursors,
        api_version=api_version,
        request_id=request_id,
        bulk=state.bulk,
    )
    executor: Any = None
    if Executor is not None:
        built = Executor.build(
            schema,
            prepared.document,
            None,
            context,
            variables,
            operation.name.value if operation.name else None,
            is_awaitable=_never_awaitable,  # every resolver is synchronous (no server time)
        )
        if isinstance(built, list):
            return _variable_failure(built, operation, variables)
        executor = built
        coerced = built.variable_values
    else:  # pragma: no cover - graphql-core 3.2
        coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            return _variable_failure(coerced, operation, variables)

    outcome = Outcome(
        200,
        {},
        operation_type=operation.operation.value,
        operation_name=operation.name.value if operation.name else "",
        root_fields=list(prepared.root_fields.get(id(operation), ())),
    )
    try:
        cost = state.complexity.cost(schema, operation, prepared.fragments, coerced)
    except RecursionError:
        cost = settings.max_complexity_per_query + 1
    outcome.cost = cost
    maximum = settings.max_complexity_per_query
    if cost > maximum:
        outcome.body = {
            "errors": [
                {
                    "message": f"Query has complexity of {cost}, which exceeds max complexity of {maximum}",
                    "extensions": {
                        "code": "maxComplexityExceeded",
                        "complexity": cost,
                        "maxComplexity": maximum,
                        "status_code": 200,
                    },
                }
            ]
        }
        outcome.error_codes = ["maxComplexityExceeded"]
        return outcome
    return Ready(prepared, operation, executor, variables, coerced, context, outcome)


def charge_document(state: ApiState, ready: Ready) -> Outcome | None:
    """Spend the document's cost from its pool, or the 429 ``Outcome`` that refuses it
    whole (nothing applied, nothing charged)."""
    outcome = ready.outcome
    # bulk import: job starts past the hourly job limit refuse the document whole (429)
    refusal = state.bulk.admit(outcome.operation_type, outcome.root_fields)
    if refusal is not None:
        outcome.status, outcome.rejection = refusal.status, refusal
        return outcome
    charge = state.limiter.charge(outcome.cost, outcome.operation_type)
    if isinstance(charge, Rejection):
        outcome.status = charge.status
        outcome.rejection = charge
        return outcome
    outcome.charged = outcome.cost
    ready.context.charge = charge
    return None


def execute_now(state: ApiState, ready: Ready) -> Outcome:
    """Run a charged document at once (no server time): nothing else runs meanwhile."""
    return _finish(ready, _run_sync(state, ready))


def _run_sync(state: ApiState, ready: Ready) -> ExecutionResult:
    executor = ready.executor
    if executor is not None:
        result = executor.execute_operation()
    else:  # pragma: no cover - graphql-core 3.2
        result = _execute_32(state, ready, _never_awaitable)
    assert isinstance(result, ExecutionResult)
    return result


async def execute_timed(state: ApiState, ready: Ready, durations: list[float]) -> Outcome:
    """Run a charged document with server time: each mutation alias after its duration
    (a query document after its one duration), cut at ``call_timeout_seconds``."""
    clock = state.clock
    timeout = state.settings.call_timeout_seconds
    context = ready.context
    timing = Timing(clock, deque(durations), clock.monotonic(), timeout)
    if ready.is_mutation:
        context.timing = timing
        executor = ready.executor
        if executor is not None:
            executor.is_awaitable = inspect.iscoroutine
            result: Any = executor.execute_operation()
        else:  # pragma: no cover - graphql-core 3.2
            result = _execute_32(state, ready, inspect.iscoroutine)
        if inspect.isawaitable(result):
            result = await result
    else:
        duration = timing.next_duration(0.0)
        if timeout is not None and duration > timeout:
            await clock.sleep_until(timing.started + timeout)
            timing.elapsed = timeout
            context.cut = "timeout"
            result = ExecutionResult(data=None)
        else:
            await clock.sleep_until(timing.started + duration)
            timing.elapsed = duration
            result = _run_sync(state, ready)  # the reads happen once the time has passed
    assert isinstance(result, ExecutionResult)
    outcome = _finish(ready, result)
    outcome.server_seconds = timing.elapsed
    return outcome


def _finish(ready: Ready, result: ExecutionResult) -> Outcome:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [format_error(e) for e in result.errors]
    return _finish_outcome(ready, body)


def _finish_outcome(ready: Ready, body: dict[str, Any]) -> Outcome:
    outcome = ready.outcome
    context = ready.context
    outcome.mutations_ok = list(context.mutations_ok)
    outcome.mutations_executed = list(context.mutations_executed)
    outcome.cut = context.cut
    if context.cut == "timeout":
        outcome.status = 504
        outcome.body = cut_body(
            "REQUEST_TIMEOUT",
            "The request timed out: monday stops every call after "
            f"{_seconds(context.settings.call_timeout_seconds)} seconds. The mutations "
            "that finished by then are applied, the others are not",
            504,
            {"timeout_seconds": context.settings.call_timeout_seconds},
        )
        outcome.error_codes = ["REQUEST_TIMEOUT"]
        return outcome
    if context.cut == "http500":
        outcome.status = 500
        outcome.body = cut_body("INTERNAL_SERVER_ERROR", "Internal server error", 500, {})
        outcome.error_codes = ["INTERNAL_SERVER_ERROR"]
        return outcome
    outcome.body = body
    outcome.error_codes = [e.get("extensions", {}).get("code", "") for e in body.get("errors", ())]
    return outcome


def cut_body(code: str, message: str, status: int, error_data: dict[str, Any]) -> dict[str, Any]:
    """A whole-document failure in monday's shape: no ``data``, one error."""
    return {
        "errors": [
            {
                "message": message,
                "extensions": {"code": code, "status_code": status, "error_data": error_data},
            }
        ]
    }


def _seconds(value: float | None) -> str:
    return "no" if value is None else f"{value:g}"


def _execute_32(state: ApiState, ready: Ready, awaitable: Any) -> Any:  # pragma: no cover
    operation = ready.operation
    return execute(
        state.schema_for(ready.context.api_version),
        ready.prepared.document,  # type: ignore[arg-type]
        context_value=ready.context,
        variable_values=ready.variables,
        operation_name=operation.name.value if operation.name else None,
        is_awaitable=awaitable,
    )


def run_document(state: ApiState, payload: Any, api_version: str, request_id: str) -> Outcome:
    """Prepare, charge and run a document at once, without server time."""
    ready = prepare_document(state, payload, api_version, request_id)
    if isinstance(ready, Outcome):
        return ready
    refused = charge_document(state, ready)
    if refused is not None:
        return refused
    return execute_now(state, ready)


def _variable_failure(
    errors: list[GraphQLError], operation: OperationDefinitionNode, variables: dict[str, Any]
) -> Outcome:
    definitions = {d.variable.name.value: d for d in operation.variable_definitions or ()}
    shaped = gql_errors.variable_errors(errors, definitions, variables)
    return Outcome(200, {"errors": shaped}, error_codes=[e["extensions"]["code"] for e in shaped])


def _never_awaitable(_value: Any) -> bool:
    return False
