"""Run one GraphQL request: parse, validate, price, charge, execute, and shape the
result as monday does (application errors in ``errors`` with HTTP 200)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.utilities import get_operation_ast

from .context import RequestContext
from .errors import MondayError
from .limits import Charge, Rejection

if TYPE_CHECKING:
    from .state import EmulatorState

log = logging.getLogger(__name__)


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
    error_codes: list[str] = field(default_factory=list)


def _error(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extra}}


def _graphql_error(error: GraphQLError, code: str) -> dict[str, Any]:
    out = error.formatted
    out["extensions"] = {"code": code, **(error.extensions or {})}
    return out


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
        log.exception("resolver failed", exc_info=original)
        out["message"] = "Internal server error"
        out["extensions"] = {"code": "INTERNAL_SERVER_ERROR", "status_code": 500, "error_data": {}}
    else:
        out["extensions"] = {"code": "INTERNAL_SERVER_ERROR", "status_code": 500, "error_data": {}}
    return out


def run_document(state: EmulatorState, payload: Any, api_version: str, request_id: str) -> Outcome:
    if not isinstance(payload, dict):
        return Outcome(
            400, {"errors": [_error("The request body must be a JSON object", "BadRequest")]}
        )
    query = payload.get("query")
    if not isinstance(query, str) or not query.strip():
        return Outcome(400, {"errors": [_error("No query string was present", "BadRequest")]})
    variables = payload.get("variables") or {}
    if not isinstance(variables, dict):
        return Outcome(400, {"errors": [_error("variables must be a JSON object", "BadRequest")]})
    operation_name = payload.get("operationName") or None

    try:
        document = parse(query)
    except GraphQLError as exc:
        return Outcome(
            200, {"errors": [_graphql_error(exc, "ParseError")]}, error_codes=["ParseError"]
        )

    schema = state.schema
    validation_errors = validate(schema, document)
    if validation_errors:
        return Outcome(
            200,
            {"errors": [_graphql_error(e, "GRAPHQL_VALIDATION_FAILED") for e in validation_errors]},
            error_codes=["GRAPHQL_VALIDATION_FAILED"],
        )
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return Outcome(
            200,
            {
                "errors": [
                    _error("Unknown or ambiguous operation name", "GRAPHQL_VALIDATION_FAILED")
                ]
            },
            error_codes=["GRAPHQL_VALIDATION_FAILED"],
        )
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
    if isinstance(coerced, list):
        return Outcome(
            200,
            {"errors": [_graphql_error(e, "GRAPHQL_VALIDATION_FAILED") for e in coerced]},
            error_codes=["GRAPHQL_VALIDATION_FAILED"],
        )

    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    outcome = Outcome(
        200,
        {},
        operation_type=operation.operation.value,
        operation_name=operation.name.value if operation.name else "",
        root_fields=_root_fields(operation),
    )
    cost = state.complexity.cost(operation, fragments, coerced)
    outcome.cost = cost
    maximum = state.settings.max_complexity_per_query
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
    charge = state.limiter.charge(cost)
    if isinstance(charge, Rejection):
        outcome.status = charge.status
        outcome.body = charge.body()
        outcome.rejection = charge
        return outcome
    assert isinstance(charge, Charge)
    outcome.charged = cost

    context = RequestContext(
        state=state, api_version=api_version, charge=charge, request_id=request_id
    )
    result = execute(
        schema,
        document,
        context_value=context,
        variable_values=variables,
        operation_name=operation_name,
        is_awaitable=_never_awaitable,  # every resolver is synchronous
    )
    assert isinstance(result, ExecutionResult)
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        formatted = [format_error(e) for e in result.errors]
        body["errors"] = formatted
        outcome.error_codes = [e.get("extensions", {}).get("code", "") for e in formatted]
    outcome.body = body
    outcome.mutations_ok = list(context.mutations_ok)
    return outcome


def _never_awaitable(_value: Any) -> bool:
    return False


def _root_fields(operation: OperationDefinitionNode) -> list[str]:
    return [s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode)]
