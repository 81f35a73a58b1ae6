"""The business key's one canonical form: the rule, stated once.

The merge normalises every key with this rule (in SQL: ``norm_key`` in
``sql/_macros.sql.j2``, which on SQLite calls this module), so ``ORDER_LIST``, the
lines' ``order_key``, the board's key column and every lookup hold the same string.

1. Every whitespace or control character becomes a space: the C0 controls (tab, LF,
   VT, FF, CR, ...), DEL, the C1 controls, the no-break space and the other Unicode
   spaces (``SPACE_RANGES``).
2. Runs of spaces collapse to one; leading and trailing spaces go.
3. The case rule (``[merge] key_case``): ``upper`` (the default: monday's lookup
   ignores case, so keys that differ only by case must not be two orders), ``lower``
   or ``preserve``, by Unicode's simple (one letter to one) case mapping, as SQL's
   ``UPPER``/``LOWER`` apply it: ``ß`` and the ligatures keep their case.
4. Nothing left: no key (the row is rejected as having an empty key).

Pure: no I/O, no configuration object.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Literal, get_args

KeyCase = Literal["upper", "lower", "preserve"]
KEY_CASES: tuple[str, ...] = get_args(KeyCase)

#: Inclusive code point ranges that become a space (0x20 itself is in the first).
SPACE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x0020),  # C0 controls and the space
    (0x007F, 0x00A0),  # DEL, C1 controls (NEL among them), no-break space
    (0x1680, 0x1680),  # ogham space mark
    (0x2000, 0x200A),  # en quad .. hair space
    (0x2028, 0x2029),  # line and paragraph separators
    (0x202F, 0x202F),  # narrow no-break space
    (0x205F, 0x205F),  # medium mathematical space
    (0x3000, 0x3000),  # ideographic space
)

_RUNS = re.compile("[" + "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in SPACE_RANGES) + "]+")


def space_characters() -> list[str]:
    """Every character step 1 turns into a space, the space itself left out."""
    return [chr(c) for lo, hi in SPACE_RANGES for c in range(lo, hi + 1) if c != 0x20]


# Unicode's simple case mappings, one character to one, as SQL's UPPER and LOWER
# apply them. Python's str.upper/lower use the full mappings (``ß`` -> ``SS``); where
# those give several characters, the simple mapping is the title case form (Greek
# letters with ypogegrammeni) or, for one letter, the table below.
_SIMPLE_LOWER = {"\u0130": "i"}  # LATIN CAPITAL LETTER I WITH DOT ABOVE


@cache
def _upper(char: str) -> str:
    mapped = char.upper()
    if len(mapped) == 1:
        return mapped
    title = char.title()
    return title if len(title) == 1 else char


@cache
def _lower(char: str) -> str:
    mapped = char.lower()
    return mapped if len(mapped) == 1 else _SIMPLE_LOWER.get(char, char)


def _collapse(text: str) -> str:
    return _RUNS.sub(" ", text).strip(" ")


def _as_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return str(raw)


def normalise_key(raw: Any, case: KeyCase = "upper") -> str | None:
    """The canonical form of a business key; None when nothing is left (or ``raw``
    is None)."""
    if raw is None:
        return None
    text = _collapse(_as_text(raw))
    if not text:
        return None
    if case == "upper":
        return "".join(map(_upper, text))
    if case == "lower":
        return "".join(map(_lower, text))
    if case == "preserve":
        return text
    raise ValueError(f"unknown key case {case!r}: use one of {KEY_CASES}")


def key_match_form(text: str) -> str:
    """How a key read back from the board is compared with the key looked up: the same
    whitespace rule, and case folded, because monday's lookup ignores case (so under
    ``key_case = "preserve"`` two keys differing only by case find each other's item:
    the merge rejects such pairs only when case folding is on)."""
    return _collapse(text).casefold()


def is_canonical(raw: Any, case: KeyCase = "upper") -> bool:
    """Whether ``raw`` is already in canonical form (an empty key never is)."""
    return raw is not None and normalise_key(raw, case) == _as_text(raw)
