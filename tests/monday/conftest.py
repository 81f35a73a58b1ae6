from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """monday's public schema and notes; SYNC_ORDER_LIST_REFERENCE_DIR overrides."""
    path = Path(
        os.environ.get("SYNC_ORDER_LIST_REFERENCE_DIR", REPO.parent / "shared" / "reference")
    )
    if not (path / "monday-api-schema.graphql").is_file():
        pytest.skip(f"reference schema not found in {path}")
    return path
