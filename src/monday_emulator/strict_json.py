"""Strict JSON for what clients send: the request body and ``JSON`` arguments such as
``column_values``.

Python's ``json`` accepts ``NaN`` and ``Infinity``, turns ``1e400`` into ``inf``,
raises plain ``ValueError`` (not ``JSONDecodeError``) for integers over 4,300 digits
and ``RecursionError`` for deeply nested input. None of that may reach the resolvers
or come back in a reply (a reply with ``NaN`` in it is not JSON). ``loads`` turns all
of it into one exception, ``JsonRejected``, and bounds the nesting depth.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64  # nesting levels accepted in a body or a JSON argument


class JsonRejected(ValueError):
    """Input that is not strict JSON, or is nested too deeply."""


def _constant(name: str) -> Any:
    raise JsonRejected(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRejected(f"{text} is out of range")
    return value


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_finite)
    except JsonRejected:
        raise
    except json.JSONDecodeError as exc:
        raise JsonRejected(f"{exc.msg} at position {exc.pos}") from None
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise JsonRejected(str(exc) or type(exc).__name__) from None
    if too_deep(value, max_depth):
        raise JsonRejected(f"JSON nested more than {max_depth} levels deep")
    return value


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when ``value`` nests lists/objects more than ``limit`` levels (iterative)."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def echo(value: Any, limit: int = 16) -> Any:
    """``value`` as it may be echoed in an error: as is, unless it nests too deeply
    to serialise safely, in which case a short description stands in for it."""
    if too_deep(value, limit):
        return f"<{type(value).__name__} nested more than {limit} levels deep>"
    return value
