"""Faults: 5xx, 429s, timeouts and responses lost after the write, at random (seeded).

The run must finish and the board must equal the database with zero duplicates.
"""

from __future__ import annotations

import pytest

from tests.sync.harness import Pipeline


@pytest.mark.slow
def test_run_survives_random_faults_without_duplicates(pipeline: Pipeline) -> None:
    pipeline.generate(40)
    pipeline.merge()
    pipeline.configure(
        batch={
            "items_per_request": 6,
            "subitems_per_request": 12,
            "timeout_seconds": 1.0,
            "backoff_base_seconds": 0.01,
            "backoff_max_seconds": 0.05,
            "max_retries": 8,
        }
    )
    pipeline.faults(
        seed=7,
        error_rate=0.10,
        error_statuses=[500, 502, 503],
        drop_after_apply_rate=0.10,
        hang_rate=0.04,
        hang_seconds=2.0,
        script=[
            {
                "at": 2,
                "kind": "rate_limit",
                "code": "COMPLEXITY_BUDGET_EXHAUSTED",
                "retry_in_seconds": 1,
            },
            {"at": 9, "kind": "rate_limit", "code": "RATE_LIMIT_EXCEEDED", "retry_in_seconds": 1},
        ],
    )
    report = pipeline.sync()
    injected = pipeline.admin("/stats")["faults_injected"]
    assert injected.get("drop_after_apply", 0) >= 1 and injected.get("status", 0) >= 1
    assert injected.get("hang", 0) >= 1 and injected.get("rate_limit", 0) == 2
    assert report.outcome == "success", [e.message for e in report.tally.errors]
    assert report.api["rate_limited"] >= 2 and report.api["retries"] >= 1
    pipeline.faults()  # off, so the comparison reads cleanly
    pipeline.assert_board_matches_database()
    # no duplicate subitems either: one subitem per (item, size)
    for item in pipeline.board()["items"]:
        sizes = [
            s["name"] for s in item.get("subitems", []) if s.get("state", "active") == "active"
        ]
        assert len(sizes) == len(set(sizes)), item["name"]
