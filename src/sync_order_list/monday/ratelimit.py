"""The ``RateLimit-Policy`` and ``RateLimit`` response headers, parsed (pure).

monday's responses carry both headers in the form of the IETF draft "RateLimit header
fields for HTTP" (draft-ietf-httpapi-ratelimit-headers, -08 and later): each is a
Structured Fields list (RFC 8941) of named items with parameters::

    RateLimit-Policy: "complexity";q=10000000;w=60
    RateLimit: "complexity";r=9870000;t=42

``q`` is the quota of a policy, ``w`` its window in seconds, ``qu`` its quota unit
(draft -09); ``r`` is what is left of it and ``t`` the seconds until it resets. A
response may list several policies (``"complexity_read";q=...,"daily";q=...``).

Which policy is the complexity budget is read from its name: a name containing
``complexity`` (or a ``qu="complexity"`` parameter) is a complexity budget; with
``read`` in the name it is an app token's read budget, with ``write`` its write
budget, otherwise the combined budget of a personal token. Every other policy
(daily calls, requests per minute, ...) is kept for display but not budgeted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

Pool = Literal["combined", "read", "write"]

POLICY_HEADER = "ratelimit-policy"
STATE_HEADER = "ratelimit"


@dataclass(frozen=True)
class BudgetReport:
    """What one response says about one complexity budget: points left, seconds until
    the window resets (None: not said), and the budget itself when the policy gave it."""

    remaining: int
    reset_in: float | None = None
    quota: int | None = None
    window: float | None = None


@dataclass(frozen=True)
class QuotaPolicy:
    """One item of ``RateLimit-Policy``."""

    name: str
    quota: int | None = None
    window: float | None = None
    unit: str | None = None


@dataclass(frozen=True)
class QuotaState:
    """One item of ``RateLimit``."""

    name: str
    remaining: int | None = None
    reset: float | None = None


@dataclass(frozen=True)
class RateLimitHeaders:
    """Both headers of one response, by policy name."""

    policies: Mapping[str, QuotaPolicy] = field(default_factory=dict)
    states: Mapping[str, QuotaState] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.policies and not self.states

    def pools(self) -> dict[Pool, str]:
        """Complexity pool -> the policy name that reports it."""
        out: dict[Pool, str] = {}
        for name in [*self.policies, *self.states]:
            unit = self.policies[name].unit if name in self.policies else None
            pool = pool_of(name, unit)
            if pool is not None:
                out.setdefault(pool, name)
        return out

    @property
    def separate_read_write(self) -> bool:
        """True when the budgets are split in reads and writes (an app token)."""
        pools = self.pools()
        return "read" in pools and "write" in pools

    def budget(self, pool: Pool) -> BudgetReport | None:
        """The report for ``pool``. A read or write pool falls back to the combined
        policy when the response names no separate ones."""
        pools = self.pools()
        name = pools.get(pool)
        if name is None and pool != "combined":
            name = pools.get("combined")
        if name is None:
            return None
        state = self.states.get(name)
        if state is None or state.remaining is None:
            return None
        policy = self.policies.get(name)
        return BudgetReport(
            remaining=max(0, state.remaining),
            reset_in=state.reset,
            quota=policy.quota if policy else None,
            window=policy.window if policy else None,
        )

    def describe(self) -> str:
        """``complexity 10,000,000 per 60 s`` for each policy, for messages."""
        parts = []
        for policy in self.policies.values():
            text = policy.name
            if policy.quota is not None:
                text += f" {policy.quota:,}"
            if policy.window is not None:
                text += f" per {policy.window:g} s"
            parts.append(text)
        return ", ".join(parts)


def pool_of(name: str, unit: str | None = None) -> Pool | None:
    """The complexity pool a policy name stands for, or None for other limits."""
    lowered = name.lower()
    if "complexity" not in lowered and (unit or "").lower() != "complexity":
        return None
    if "read" in lowered or "quer" in lowered:
        return "read"
    if "write" in lowered or "mutation" in lowered:
        return "write"
    return "combined"


def parse(headers: Mapping[str, str]) -> RateLimitHeaders:
    """Both headers from a response's headers (names lower-cased); never raises."""
    policies: dict[str, QuotaPolicy] = {}
    for name, params in parse_list(headers.get(POLICY_HEADER, "")):
        policies.setdefault(
            name,
            QuotaPolicy(
                name=name,
                quota=_int(params.get("q")),
                window=_float(params.get("w")),
                unit=str(params["qu"]) if isinstance(params.get("qu"), str) else None,
            ),
        )
    states: dict[str, QuotaState] = {}
    for name, params in parse_list(headers.get(STATE_HEADER, "")):
        states.setdefault(
            name,
            QuotaState(name=name, remaining=_int(params.get("r")), reset=_float(params.get("t"))),
        )
    return RateLimitHeaders(MappingProxyType(policies), MappingProxyType(states))


# -- Structured Fields (RFC 8941), the subset these headers use --------------------------

_TOKEN = re.compile(r"[A-Za-z*][A-Za-z0-9_\-.:%*/!#$&'+^`|~]*")
_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_NUMBER = re.compile(r"-?\d{1,15}(?:\.\d{1,3})?")


def parse_list(value: str) -> list[tuple[str, dict[str, Any]]]:
    """``"a";q=1;w=60, b;r=2`` -> ``[("a", {"q": 1, "w": 60}), ("b", {"r": 2})]``.

    Items whose name is not a string or token, and members that do not parse, are
    skipped (one bad member never hides the others)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for member in _split_members(value or ""):
        parsed = _parse_item(member)
        if parsed is not None:
            out.append(parsed)
    return out


def _split_members(value: str) -> list[str]:
    """Split on commas outside quoted strings."""
    members: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if quoted:
            current.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
            continue
        if char == '"':
            quoted = True
        if char == ",":
            members.append("".join(current))
            current = []
            continue
        current.append(char)
    members.append("".join(current))
    return [m.strip() for m in members if m.strip()]


def _parse_item(text: str) -> tuple[str, dict[str, Any]] | None:
    value, pos = _bare_item(text, 0)
    if not isinstance(value, str) or not value:
        return None
    params: dict[str, Any] = {}
    while pos < len(text):
        pos = _skip_spaces(text, pos)
        if pos >= len(text):
            break
        if text[pos] != ";":
            return None
        pos = _skip_spaces(text, pos + 1)
        match = _KEY.match(text, pos)
        if match is None:
            return None
        key, pos = match.group(0), match.end()
        if pos < len(text) and text[pos] == "=":
            param, pos = _bare_item(text, pos + 1)
            if param is None:
                return None
        else:
            param = True
        params.setdefault(key, param)
    return value, params


def _bare_item(text: str, pos: int) -> tuple[Any, int]:
    if pos >= len(text):
        return None, pos
    char = text[pos]
    if char == '"':
        out: list[str] = []
        pos += 1
        while pos < len(text):
            char = text[pos]
            if char == "\\" and pos + 1 < len(text):
                out.append(text[pos + 1])
                pos += 2
                continue
            if char == '"':
                return "".join(out), pos + 1
            out.append(char)
            pos += 1
        return None, pos  # unterminated
    if char == ":":  # a byte sequence (a partition key): kept as its base64 text
        end = text.find(":", pos + 1)
        return (text[pos + 1 : end], end + 1) if end > pos else (None, pos)
    if char == "?" and pos + 1 < len(text) and text[pos + 1] in "01":
        return text[pos + 1] == "1", pos + 2
    match = _NUMBER.match(text, pos)
    if match is not None:
        number = match.group(0)
        return (float(number) if "." in number else int(number)), match.end()
    match = _TOKEN.match(text, pos)
    if match is not None:
        return match.group(0), match.end()
    return None, pos


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
