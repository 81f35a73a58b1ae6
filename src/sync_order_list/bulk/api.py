"""The bulk import calls: start a job, upload its file, fetch its status and report.

The start is a mutation sent under the job's key as its Idempotency-Key, so a start
whose answer was lost is resent and answered with the same job, never a second one.
The upload and the report are plain HTTP on pre-signed URLs: no token goes with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sync_order_list.config.models import BulkSettings
from sync_order_list.errors import MondayApiError, MondayError, MondayTransportError
from sync_order_list.monday import MondayClient, single

CSV_TYPE = "text/csv"


@dataclass(frozen=True)
class Started:
    job_id: str
    upload_url: str = field(repr=False)
    replayed: bool = False  # monday's kept answer to an earlier send of this start


@dataclass(frozen=True)
class JobStatus:
    status: str  # UPLOAD_PENDING, PROCESSING, COMPLETED, FAILED, REJECTED; NOT_FOUND
    counts: dict[str, int] = field(default_factory=dict)
    progress: int | None = None
    failure_reason: str | None = None
    failure_message: str | None = None
    report_url: str | None = field(default=None, repr=False)

    @property
    def ended(self) -> bool:
        return self.status in ("COMPLETED", "FAILED", "REJECTED")

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> JobStatus:
        counts = {k: int(v) for k, v in (raw.get("counts") or {}).items() if v is not None}
        return cls(
            status=str(raw.get("status") or "UNKNOWN"),
            counts=counts,
            progress=raw.get("progress_percentage"),
            failure_reason=raw.get("failure_reason"),
            failure_message=raw.get("failure_message"),
            report_url=raw.get("report_url"),
        )


@dataclass(frozen=True)
class Upload:
    outcome: str  # accepted | expired | too_large | refused
    detail: str = ""


class BulkApi:
    def __init__(self, client: MondayClient, settings: BulkSettings) -> None:
        self.client = client
        self.settings = settings

    async def start(
        self, operation: str, board_id: str, group_id: str, key: str, match_column: str | None
    ) -> Started:
        """Start a job; raises ``MondayApiError`` when monday refuses it (nothing ran)."""
        name = "ingest_items" if operation == "ingest" else "backfill_items"
        variables: dict[str, Any] = {"board_id": board_id, "group_id": group_id}
        if operation == "ingest" and match_column:
            variables["on_match"] = {"match_column_id": match_column, "behaviour": "UPSERT"}
        response = await self.client.execute(
            single(name, variables),
            idempotent=False,
            idempotency_key=key,
            operation=name,
            api_version=self.settings.api_version,
        )
        result = (response.data or {}).get(name)
        if not result or not result.get("job_id") or not result.get("upload_url"):
            first = response.errors[0] if response.errors else None
            raise MondayApiError(
                f"{name}: {first.message if first else 'no job in the answer'}",
                code=first.code if first else None,
            )
        return Started(str(result["job_id"]), str(result["upload_url"]), response.replayed)

    async def upload(self, url: str, text: str) -> Upload:
        """PUT the file. Raises ``MondayTransportError`` when no answer came back."""
        http = await self.client.transfer(
            "PUT", url, text.encode("utf-8"), {"Content-Type": CSV_TYPE}
        )
        body = http.body.decode("utf-8", "replace")
        if 200 <= http.status < 300:
            return Upload("accepted")
        code = _xml(body, "Code")
        message = _xml(body, "Message") or body[:200]
        if http.status == 400 and code == "EntityTooLarge":
            return Upload("too_large", message)
        if http.status == 403 and ("expired" in message.lower() or code == "ExpiredToken"):
            return Upload("expired", message)
        return Upload("refused", f"HTTP {http.status} {code or ''} {message}".strip())

    async def status(self, job_id: str) -> JobStatus:
        """The job's status; ``NOT_FOUND`` when monday no longer knows it."""
        try:
            response = await self.client.execute(
                single("fetch_job_status", {"job_id": job_id}),
                idempotent=True,
                operation="fetch_job_status",
                api_version=self.settings.api_version,
            )
        except MondayApiError as exc:
            if _not_found(exc.code, str(exc)):
                return JobStatus("NOT_FOUND", failure_message=str(exc))
            raise
        raw = (response.data or {}).get("fetch_job_status")
        if not raw:
            first = response.errors[0] if response.errors else None
            if first is not None and _not_found(first.code, first.message):
                return JobStatus("NOT_FOUND", failure_message=first.message)
            raise MondayApiError(
                f"fetch_job_status: {first.message if first else 'no status in the answer'}",
                code=first.code if first else None,
            )
        return JobStatus.from_json(raw)

    async def report(self, url: str) -> str | None:
        """The per-row report, or None when it can't be had (expired, refused, lost)."""
        try:
            http = await self.client.transfer("GET", url)
        except MondayError:
            return None
        if http.status != 200:
            return None
        return http.body.decode("utf-8-sig", "replace")


def _xml(body: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", body, re.S)
    return match.group(1).strip() if match else None


def _not_found(code: str | None, message: str) -> bool:
    return code == "ResourceNotFoundException" or "job not found" in message.lower()


__all__ = ["BulkApi", "JobStatus", "MondayTransportError", "Started", "Upload"]
