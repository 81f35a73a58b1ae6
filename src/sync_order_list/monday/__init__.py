"""Talking to monday.com: GraphQL documents, the async client and its scheduler,
column encoders and the board schema (the cost model is described in ``scheduler``).

The sync engine imports from here; the submodules are:
``documents`` (load/compose ``.graphql`` files), ``transport`` (the HTTP seam),
``client`` (retries, rate limits, redaction), ``scheduler`` (complexity budget),
``ratelimit`` (the RateLimit headers), ``responses`` (parsed results), ``encoders``
(database values -> column values) and ``schema`` (board columns and groups).
"""

from .client import DEFAULT_URL, MondayClient, RequestRecord
from .documents import ComposedDocument, Op, compose, ensure_complexity, load, single
from .encoders import (
    clean_name,
    clear_value,
    column_values_json,
    comparable,
    encode_column_values,
    encode_value,
)
from .ratelimit import BudgetReport
from .responses import ApiError, Complexity, Response
from .scheduler import Clock, CostModel, Scheduler, SchedulerStats, Slot, SystemClock
from .schema import (
    Board,
    BoardSchema,
    Column,
    Group,
    board_schema_document,
    fetch_board_schema,
    fetch_groups,
)
from .transport import AiohttpTransport, HttpRequest, HttpResponse, Transport

__all__ = [
    "DEFAULT_URL",
    "AiohttpTransport",
    "ApiError",
    "Board",
    "BoardSchema",
    "BudgetReport",
    "Clock",
    "Column",
    "ComposedDocument",
    "Complexity",
    "CostModel",
    "Group",
    "HttpRequest",
    "HttpResponse",
    "MondayClient",
    "Op",
    "RequestRecord",
    "Response",
    "Scheduler",
    "SchedulerStats",
    "Slot",
    "SystemClock",
    "Transport",
    "board_schema_document",
    "clean_name",
    "clear_value",
    "column_values_json",
    "comparable",
    "compose",
    "encode_column_values",
    "encode_value",
    "ensure_complexity",
    "fetch_board_schema",
    "fetch_groups",
    "load",
    "single",
]
