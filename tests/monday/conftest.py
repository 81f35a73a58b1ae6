from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import reference_dir as shared_reference_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """monday's public schema and notes; SYNC_ORDER_LIST_REFERENCE_DIR overrides."""
    path = shared_reference_dir()
    if not (path / "monday-api-schema.graphql").is_file():
        pytest.skip(f"reference schema not found in {path}")
    return path
