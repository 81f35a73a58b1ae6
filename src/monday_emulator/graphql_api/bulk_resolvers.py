"""Resolvers of monday's bulk import (API 2026-07 and later): ``ingest_items``,
``backfill_items`` and ``fetch_job_status``, on the request's ``BulkJobs``."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo, GraphQLSchema

from ..bulk.jobs import BulkJobs
from ..bulk.model import BACKFILL, INGEST
from .context import RequestContext


def _jobs(info: GraphQLResolveInfo) -> BulkJobs:
    context: RequestContext = info.context
    assert context.bulk is not None, "the request has no bulk import jobs"
    return context.bulk


def _started(info: GraphQLResolveInfo, name: str, job_id: str, url: str) -> dict[str, Any]:
    info.context.mutations_ok.append(name)
    return {"job_id": job_id, "upload_url": url}


def m_ingest_items(
    _root: Any,
    info: GraphQLResolveInfo,
    board_id: str,
    group_id: str,
    on_match: dict[str, Any] | None = None,
) -> dict[str, Any]:
    job = _jobs(info).start(INGEST, board_id, group_id, on_match)
    return _started(info, INGEST, job.id, job.upload_url)


def m_backfill_items(
    _root: Any, info: GraphQLResolveInfo, board_id: str, group_id: str
) -> dict[str, Any]:
    job = _jobs(info).start(BACKFILL, board_id, group_id)
    return _started(info, BACKFILL, job.id, job.upload_url)


def q_fetch_job_status(_root: Any, info: GraphQLResolveInfo, job_id: str) -> dict[str, Any]:
    return _jobs(info).status(job_id)


def install_bulk(schema: GraphQLSchema) -> None:
    """Attach the resolvers to a schema that has the operations (2026-07 and later)."""
    query, mutation = schema.query_type, schema.mutation_type
    assert query is not None and mutation is not None
    if "fetch_job_status" not in query.fields:
        return
    query.fields["fetch_job_status"].resolve = q_fetch_job_status
    mutation.fields["ingest_items"].resolve = m_ingest_items
    mutation.fields["backfill_items"].resolve = m_backfill_items
    schema.get_type("JobStatus").resolve_type = (  # type: ignore[union-attr]
        lambda value, *_: value["__typename"]
    )
