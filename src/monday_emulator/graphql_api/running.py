"""A document's aliases run in order, each once its server time has passed.

Every mutation field's resolver is wrapped: with server time (``RequestContext.timing``
set) the wrapper is a coroutine that waits on the emulator's clock until the alias's
time is up, then applies it, so an alias's effect is visible only once its time has
passed and the event loop serves other requests meanwhile. graphql-core runs a
mutation's root fields serially, awaiting each before the next starts.

Two things cut a document short; the aliases finished by then stay applied, the rest
do not run (``RequestContext.cut``):

- ``timeout``: the next alias would end past ``call_timeout_seconds`` (monday's 60 s);
  the server works until the limit, then gives up.
- ``http500``: with ``invalid_input_errors = "http500"``, a mutation naming an item,
  board or group that does not exist, or carrying malformed JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo, GraphQLSchema

from ..errors import MondayError
from .context import RequestContext, Timing
from .writes import FREE_ROOT_FIELDS

Resolver = Callable[..., Any]

INVALID_INPUT_CODES = frozenset(
    {
        "InvalidBoardIdException",
        "InvalidItemIdException",
        "ResourceNotFoundException",
        "JsonParseException",
    }
)


def in_order(name: str, resolver: Resolver) -> Resolver:
    def run(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        context: RequestContext = info.context
        if context.cut is not None:
            return None
        timing = context.timing
        if timing is None:
            return _apply(context, name, resolver, root, info, kwargs)
        return _after_server_time(context, timing, name, resolver, root, info, kwargs)

    return run


async def _after_server_time(
    context: RequestContext,
    timing: Timing,
    name: str,
    resolver: Resolver,
    root: Any,
    info: GraphQLResolveInfo,
    kwargs: dict[str, Any],
) -> Any:
    duration = timing.next_duration(context.settings.mutation_ms_mean / 1000.0)
    end = timing.elapsed + duration
    if timing.timeout is not None and end > timing.timeout:
        await timing.clock.sleep_until(timing.started + timing.timeout)
        timing.elapsed = timing.timeout
        context.cut = "timeout"
        return None
    await timing.clock.sleep_until(timing.started + end)
    timing.elapsed = end
    if context.cut is not None:
        return None
    return _apply(context, name, resolver, root, info, kwargs)


def _apply(
    context: RequestContext,
    name: str,
    resolver: Resolver,
    root: Any,
    info: GraphQLResolveInfo,
    kwargs: dict[str, Any],
) -> Any:
    context.mutations_executed.append(name)
    try:
        return resolver(root, info, **kwargs)
    except MondayError as exc:
        if exc.code in INVALID_INPUT_CODES and context.settings.invalid_input_errors == "http500":
            context.cut = "http500"
        raise


def install(schema: GraphQLSchema) -> None:
    """Wrap every mutation field's resolver (after ``resolvers.install``)."""
    mutation = schema.mutation_type
    assert mutation is not None
    for name, field in mutation.fields.items():
        if name in FREE_ROOT_FIELDS or field.resolve is None:
            continue
        field.resolve = in_order(name, field.resolve)
