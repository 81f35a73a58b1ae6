"""Per-request context handed to resolvers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .limits import Charge

if TYPE_CHECKING:
    from .state import EmulatorState


@dataclass
class RequestContext:
    state: EmulatorState
    api_version: str
    request_id: str
    charge: Charge | None = None  # set once the document is priced and charged
    mutations_ok: list[str] = field(default_factory=list)
