"""monday's API versions as of 2026-11-29: which ones the ``API-Version`` header may
name, what each one is (``version { kind }``), and which schema serves it.

Sources (docs/emulator.md, "API versions", has the table):

- developer.monday.com "API versioning": a version is a release candidate for three
  months, current for three months, then maintenance until its deprecation is
  announced (at least six months ahead); calls to a deprecated version are routed to
  a supported one;
- changelog "2026-10 is now the current API version" (October 26th, 2026): 2026-10
  current, 2026-07 maintenance, 2027-01 release candidate;
- changelog "Deprecating versions 2025-01 and 2024-10 on February 15th, 2026": calls
  to them are routed to 2025-04, the oldest version still served.

The emulator models the schemas of 2025-04 to 2026-10. The release candidate and the
dev version (both newer than anything it models) are served with the 2026-10 schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# (version, kind) as of 2026-11-29, oldest first.
RELEASES: tuple[tuple[str, str], ...] = (
    ("2024-10", "deprecated"),
    ("2025-01", "deprecated"),
    ("2025-04", "maintenance"),
    ("2025-07", "maintenance"),
    ("2025-10", "maintenance"),
    ("2026-01", "maintenance"),
    ("2026-04", "maintenance"),
    ("2026-07", "maintenance"),
    ("2026-10", "current"),
    ("2027-01", "release_candidate"),
    ("2027-04", "dev"),  # assumption: the quarter after the release candidate
)
KINDS = dict(RELEASES)
CURRENT = next(v for v, k in RELEASES if k == "current")
OLDEST_SERVED = next(v for v, k in RELEASES if k != "deprecated")  # where deprecated calls go
# Versions whose schema the emulator models (graphql_api/schema.graphql): every served
# version up to the current one.
SCHEMA_VERSIONS: tuple[str, ...] = tuple(
    v for v, k in RELEASES if k != "deprecated" and v <= CURRENT
)
FIRST_VERSION = "2023-01"  # monday's first dated API version

DISPLAY_NAMES = {
    "current": "Current",
    "maintenance": "Maintenance",
    "deprecated": "Deprecated",
    "release_candidate": "Release Candidate",
    "dev": "Development",
}


@dataclass(frozen=True)
class Choice:
    """The version a request is served with (echoed in the ``API-Version`` response
    header), or why the header was refused (``error``, a message for
    ``InvalidVersionException``)."""

    served: str
    error: str | None = None


def choose(header: str | None, default: str) -> Choice:
    """The version serving a request that sent ``header`` (None: no header, so
    ``default``, monday's current version unless the settings say otherwise).

    - a served version is served as itself;
    - a deprecated version (any quarterly version older than 2025-04) is routed to
      2025-04, as monday does since February 15th, 2026;
    - anything else (not ``YYYY-MM``, not a quarter, newer than the dev version) is
      refused: the harsher reading where monday's docs are silent. A refused request
      echoes the default version."""
    fallback = default if KINDS.get(default, "deprecated") != "deprecated" else CURRENT
    text = default if header is None else header.strip()
    match = VERSION_RE.match(text)
    if match is None:
        return Choice(
            fallback, f"Invalid API version '{text}': use the format YYYY-MM, e.g. {CURRENT}"
        )
    if KINDS.get(text, "deprecated") != "deprecated":
        return Choice(text)
    quarterly = match.group(2) in ("01", "04", "07", "10")
    if quarterly and FIRST_VERSION <= text < OLDEST_SERVED:
        return Choice(OLDEST_SERVED)
    served = ", ".join(v for v, k in RELEASES if k != "deprecated")
    return Choice(
        fallback,
        f"Invalid API version '{text}': the API serves {served}; "
        f"older versions are routed to {OLDEST_SERVED}",
    )


def kind_of(version: str) -> str:
    return KINDS.get(version, "dev")


def display_name(kind: str) -> str:
    return DISPLAY_NAMES.get(kind, kind)


def schema_version(version: str) -> str:
    """The modelled schema serving ``version``: itself, or 2026-10 for the release
    candidate and the dev version."""
    if version in SCHEMA_VERSIONS:
        return version
    if version > CURRENT:
        return CURRENT
    older = [v for v in SCHEMA_VERSIONS if v <= version]
    return older[-1] if older else SCHEMA_VERSIONS[0]
