"""One error hierarchy for the whole tool.

Every error carries a message that tells the user what to fix: which file and key
for configuration, which row and column for data, which request for the API.
The CLI maps the classes to exit codes (see ``docs/commands.md``).
"""

from __future__ import annotations

from typing import Any


class SyncOrderListError(Exception):
    """Base class of every error this tool raises on purpose."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(SyncOrderListError):
    """The configuration is wrong: names the file and the key to change."""

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        file: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = ""
        if file and key:
            where = f"{file}: [{key}] "
        elif key:
            where = f"[{key}] "
        elif file:
            where = f"{file}: "
        super().__init__(f"{where}{message}", hint=hint)
        self.key = key
        self.file = file


class DatabaseError(SyncOrderListError):
    """The database could not be reached or a statement failed."""


class SchemaError(ConfigError):
    """A table or column the configuration names does not exist."""


class RowError(SyncOrderListError):
    """One row cannot be processed; the others go on.

    Used to mark a single order or line ERROR with a message that names the order,
    the database column and the monday column.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        db_column: str | None = None,
        monday_column: str | None = None,
    ) -> None:
        parts = []
        if key is not None:
            parts.append(f"order {key!r}")
        if db_column is not None:
            parts.append(f"column {db_column!r}")
        if monday_column is not None:
            parts.append(f"monday column {monday_column!r}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.reason = message
        self.key = key
        self.db_column = db_column
        self.monday_column = monday_column

    def for_key(self, key: str) -> RowError:
        """The same error, naming the order it belongs to."""
        return RowError(
            self.reason, key=key, db_column=self.db_column, monday_column=self.monday_column
        )


class MondayError(SyncOrderListError):
    """Anything that went wrong talking to monday.com (or the emulator)."""


class MondayAuthError(MondayError):
    """The token was refused (HTTP 401/403)."""


class MondayTransportError(MondayError):
    """No usable answer: timeout, dropped connection, 5xx.

    ``sent`` tells whether the request may have reached the server: if it did, a
    mutation's outcome is unknown and must be reconciled, never blindly re-sent.
    """

    def __init__(self, message: str, *, sent: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.sent = sent
        self.status = status


class MondayCallTimeoutError(MondayTransportError):
    """monday cut the call at its 60-second limit (HTTP 504, JSON or an edge page).

    The aliases of a document run in order and those finished by then stay applied,
    so the document may be *partially* applied: ``sent`` is always True, the client
    never resends it (with or without an Idempotency-Key), and the caller finds out
    what landed by looking the rows up (smaller documents avoid the cut).
    """

    def __init__(self, message: str, *, status: int | None = 504) -> None:
        super().__init__(message, sent=True, status=status)


class MondayRateLimitError(MondayError):
    """HTTP 429 or a complexity error; ``retry_in`` seconds until it may be retried."""

    def __init__(self, message: str, *, code: str, retry_in: float) -> None:
        super().__init__(message)
        self.code = code
        self.retry_in = retry_in


class MondayApiError(MondayError):
    """An application error in a GraphQL response (HTTP 200 with ``errors``)."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        path: list[Any] | None = None,
        error_data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.path = path or []
        self.error_data = error_data or {}


class MondayQueryTooComplexError(MondayApiError):
    """One document would cost more than monday allows a single query (or more than
    the whole budget): nothing was sent or monday refused it; split the batch.

    ``complexity`` is the (estimated or reported) cost, ``max_complexity`` the cap.
    """

    def __init__(self, message: str, *, complexity: int, max_complexity: int) -> None:
        super().__init__(message, code="maxComplexityExceeded")
        self.complexity = complexity
        self.max_complexity = max_complexity


class ProtectedEnvironmentError(SyncOrderListError):
    """A command that writes was run against a protected environment without --execute."""
