"""The HTTP seam: one request out, one response back, nothing else.

Like httpx's transports: the client owns retries, rate limits and parsing; a transport
only moves bytes and says, when it fails, whether the request may have reached the
server (``MondayTransportError.sent``). That flag is what keeps a timed-out
``create_item`` from being sent twice. Tests plug in another transport (or point this
one at a local server) instead of patching the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import aiohttp

from sync_order_list.errors import MondayTransportError

CONNECT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class HttpRequest:
    """A POST of a JSON body (or, for bulk import files, a PUT or GET of a pre-signed
    URL). ``headers`` hold the token: never log or repr them."""

    url: str
    body: bytes
    headers: Mapping[str, str] = field(repr=False)
    timeout: float
    method: str = "POST"


@dataclass(frozen=True)
class HttpResponse:
    """Status, headers (names lower-cased) and the raw body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@runtime_checkable
class Transport(Protocol):
    """Sends one request. Raises ``MondayTransportError(sent=...)`` when no response
    came back: ``sent=False`` only when the request certainly never left (connection
    refused, connect timeout), so resending is safe; ``sent=True`` otherwise."""

    async def send(self, request: HttpRequest) -> HttpResponse: ...

    async def aclose(self) -> None: ...


class AiohttpTransport:
    """The default transport: one pooled ``aiohttp.ClientSession``, created lazily in
    the running loop, per-request timeouts."""

    def __init__(self, *, connection_limit: int = 100) -> None:
        self._limit = connection_limit
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"AiohttpTransport(connection_limit={self._limit})"

    async def send(self, request: HttpRequest) -> HttpResponse:
        session = self._get_session()
        timeout = aiohttp.ClientTimeout(
            total=request.timeout, sock_connect=min(request.timeout, CONNECT_TIMEOUT_SECONDS)
        )
        sent: bool
        reason: str
        # The error is raised outside the except blocks so no aiohttp exception (whose
        # request_info carries the headers, token included) is chained to ours.
        try:
            async with session.request(
                request.method,
                request.url,
                data=request.body if request.method != "GET" else None,
                headers=dict(request.headers),
                timeout=timeout,
            ) as response:
                body = await response.read()
                headers = {k.lower(): v for k, v in response.headers.items()}
                return HttpResponse(status=response.status, headers=headers, body=body)
        except aiohttp.ConnectionTimeoutError:
            sent, reason = False, f"connect timed out after {CONNECT_TIMEOUT_SECONDS:g} s"
        except aiohttp.ClientConnectorError as exc:
            sent, reason = False, f"could not connect ({_describe(exc)})"
        except TimeoutError:
            sent, reason = True, f"no response within {request.timeout:g} s"
        except aiohttp.ClientError as exc:
            sent, reason = True, f"connection lost awaiting the response ({_describe(exc)})"
        except OSError as exc:
            sent, reason = True, f"socket error ({type(exc).__name__})"
        raise MondayTransportError(reason, sent=sent)

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session


def _describe(exc: BaseException) -> str:
    """Exception type and its OS-level cause, never request headers."""
    text = type(exc).__name__
    os_error = getattr(exc, "os_error", None)
    if os_error is not None:
        text += f": {os_error.strerror or type(os_error).__name__}"
    return text
