"""The HTTP side of bulk import: the pre-signed upload and report URLs (S3-like),
the admin view of jobs, and what keeps jobs moving.

- ``PUT  /bulk-import/uploads/{job_id}?X-Amz-...``  the upload URL of a job
- ``GET  /bulk-import/reports/{job_id}?X-Amz-...``  a job's report (CSV)
- ``GET  /admin/bulk/jobs``                          every job, and the hourly budgets
- ``GET  /admin/bulk/jobs/{job_id}``                 one job, with its rows' results

Refusals are S3's: an XML ``<Error>`` with ``Code`` and ``Message``. Jobs move on
the emulator's clock: before every request the server serves (a middleware) and on a
background ticker (every ``TICK_SECONDS`` of real time), ``BulkJobs.catch_up()``
processes the rows that are due.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from . import urls
from .jobs import REQUEST_ORIGIN, BulkJobs

log = logging.getLogger(__name__)

TICK_SECONDS = 0.1
CHUNK = 64 * 1024
CHECKSUM_HEADER = "x-amz-checksum-crc32"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def s3_error(status: int, code: str, message: str, **details: str) -> web.Response:
    extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in details.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>{extra}"
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return web.Response(status=status, text=body, content_type="application/xml")


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(data, ensure_ascii=False), content_type="application/json"
    )


def _is_csv(content_type: str, charset: str | None) -> bool:
    return content_type == "text/csv" and (charset is None or charset.lower() in ("utf-8", "utf8"))


async def _drain(request: web.Request) -> None:
    async for _ in request.content.iter_chunked(CHUNK):
        pass


def register_bulk_routes(app: web.Application, jobs: BulkJobs) -> None:
    """Add the bulk import routes, the middleware and the background ticker."""

    @web.middleware
    async def keep_jobs_moving(request: web.Request, handler: Handler) -> web.StreamResponse:
        token = REQUEST_ORIGIN.set(f"{request.scheme}://{request.host}")
        try:
            jobs.catch_up()
            return await handler(request)
        finally:
            REQUEST_ORIGIN.reset(token)

    async def upload(request: web.Request) -> web.StreamResponse:
        job_id = request.match_info["job_id"]
        try:
            urls.verify(jobs.secret, "upload", job_id, dict(request.query), jobs.clock.now())
        except urls.UrlRefused as refused:
            jobs.refuse_upload(
                refused.code if refused.message != "Request has expired" else "expired"
            )
            await _drain(request)
            return s3_error(refused.status, refused.code, refused.message, **refused.details)
        job = jobs.get(job_id)
        if job is None:  # signed by this emulator, then forgotten (admin reset)
            jobs.refuse_upload("unknown_job")
            await _drain(request)
            return s3_error(403, "AccessDenied", "Access Denied")
        if CHECKSUM_HEADER in request.headers:
            jobs.refuse_upload("checksum_header")
            await _drain(request)
            return s3_error(
                403,
                "AccessDenied",
                "There were headers present in the request which were not signed",
                HeadersNotSigned=CHECKSUM_HEADER,
            )
        if not _is_csv(request.content_type, request.charset):
            jobs.refuse_upload("content_type")
            await _drain(request)
            return s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your key and signing method. (The upload URL is signed for "
                f"Content-Type: text/csv; this request sent {request.content_type!r}.)",
            )
        limit = jobs.settings.bulk_max_file_bytes
        data = bytearray()
        too_large = request.content_length is not None and request.content_length > limit
        if not too_large:
            async for chunk in request.content.iter_chunked(CHUNK):
                data += chunk
                if len(data) > limit:
                    too_large = True
                    break
        if too_large:
            size = request.content_length or len(data)
            await _drain(request)
            jobs.too_large(job, size)
            return s3_error(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                MaxSizeAllowed=str(limit),
            )
        jobs.accept_file(job, bytes(data))
        etag = '"' + hashlib.md5(bytes(data), usedforsecurity=False).hexdigest() + '"'
        return web.Response(status=200, headers={"ETag": etag})

    async def report(request: web.Request) -> web.StreamResponse:
        job_id = request.match_info["job_id"]
        try:
            urls.verify(jobs.secret, "report", job_id, dict(request.query), jobs.clock.now())
        except urls.UrlRefused as refused:
            return s3_error(refused.status, refused.code, refused.message, **refused.details)
        job = jobs.get(job_id)
        if job is None or not job.report_created:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return web.Response(
            text=jobs.report(job),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="report-{job.id}.csv"'},
        )

    async def list_jobs(request: web.Request) -> web.Response:
        return _json(
            {
                "jobs": [job.admin_view() for job in jobs.jobs.values()],
                "hourly": jobs.hourly(),
            }
        )

    async def get_job(request: web.Request) -> web.Response:
        job = jobs.get(request.match_info["job_id"])
        if job is None:
            return _json({"error": "no such job"}, 404)
        view = job.admin_view()
        view["upload_url"] = job.upload_url
        view["rows"] = [asdict(r) for r in job.results]
        return _json(view)

    async def ticker(_app: web.Application) -> AsyncIterator[None]:
        async def run() -> None:
            while True:
                await asyncio.sleep(TICK_SECONDS)
                jobs.catch_up()

        task = asyncio.create_task(run())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.middlewares.append(keep_jobs_moving)
    app.router.add_put(urls.UPLOAD_PATH.format(job_id="{job_id}"), upload)
    app.router.add_get(urls.REPORT_PATH.format(job_id="{job_id}"), report)
    app.router.add_get("/admin/bulk/jobs", list_jobs)
    app.router.add_get("/admin/bulk/jobs/{job_id}", get_job)
    app.cleanup_ctx.append(ticker)
