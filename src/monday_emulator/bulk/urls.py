"""Pre-signed URLs in the shape of S3's (monday's upload and report URLs are S3
pre-signed URLs): ``X-Amz-Date`` (when it was issued), ``X-Amz-Expires`` (seconds)
and ``X-Amz-Signature`` (an HMAC of the rest, with a secret of the emulator's).
Time is the emulator's clock, so tests move it instead of waiting.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

UPLOAD_PATH = "/bulk-import/uploads/{job_id}"
REPORT_PATH = "/bulk-import/reports/{job_id}"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"


class UrlRefused(Exception):
    """Why S3 would refuse the request: HTTP status, S3 error code, message."""

    def __init__(self, status: int, code: str, message: str, **details: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def _signature(secret: bytes, purpose: str, job_id: str, stamp: str, expires: int) -> str:
    text = f"{purpose}\n{job_id}\n{stamp}\n{expires}".encode()
    return hmac.new(secret, text, hashlib.sha256).hexdigest()


def sign(
    secret: bytes, origin: str, purpose: str, job_id: str, issued: datetime, ttl: float
) -> str:
    """A URL for ``purpose`` (``upload`` or ``report``) of ``job_id``, valid ``ttl``
    seconds from ``issued``."""
    stamp = issued.astimezone(UTC).strftime(DATE_FORMAT)
    expires = max(1, int(ttl))
    path = (UPLOAD_PATH if purpose == "upload" else REPORT_PATH).format(job_id=job_id)
    query = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Date": stamp,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": "content-type;host" if purpose == "upload" else "host",
        "X-Amz-Signature": _signature(secret, purpose, job_id, stamp, expires),
    }
    return f"{origin}{path}?{urlencode(query)}"


def verify(secret: bytes, purpose: str, job_id: str, query: dict[str, str], now: datetime) -> None:
    """Raise ``UrlRefused`` unless the query signs ``job_id`` for ``purpose`` and has
    not expired at ``now``."""
    stamp = query.get("X-Amz-Date", "")
    try:
        expires = int(query.get("X-Amz-Expires", ""))
        issued = datetime.strptime(stamp, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise UrlRefused(
            403,
            "AccessDenied",
            "Query-string authentication requires the X-Amz-Date and X-Amz-Expires parameters",
        ) from None
    expected = _signature(secret, purpose, job_id, stamp, expires)
    if not hmac.compare_digest(expected, query.get("X-Amz-Signature", "")):
        raise UrlRefused(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    deadline = issued + timedelta(seconds=expires)
    if now > deadline:
        raise UrlRefused(
            403,
            "AccessDenied",
            "Request has expired",
            **{
                "X-Amz-Expires": str(expires),
                "Expires": deadline.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ServerTime": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
