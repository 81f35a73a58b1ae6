"""Groups through the database first: of several runs wanting one title, one creates it."""

from __future__ import annotations

import threading
from datetime import datetime

from sync_order_list.db import make_engine
from sync_order_list.sync.group_claims import GroupClaims
from sync_order_list.sync.store import reflect_tables
from tests.conftest import Database

NOW = datetime(2026, 11, 29, 12, 0, 0)


def test_one_of_many_concurrent_claims_wins_on_every_dialect(database: Database) -> None:
    t = reflect_tables(database.engine, database.cfg)
    engines = [make_engine(database.cfg.database_url) for _ in range(4)]
    try:
        for round_ in range(5):
            title = f"GREYSON 2025 SPRING #{round_}"
            barrier = threading.Barrier(len(engines))
            wins: list[str] = []

            def claim(
                i: int,
                title: str = title,
                barrier: threading.Barrier = barrier,
                wins: list[str] = wins,
            ) -> None:
                claims = GroupClaims(engines[i], t.groups, "1")
                barrier.wait()
                if claims.claim(title, f"run-{i}", NOW):
                    wins.append(f"run-{i}")

            threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(engines))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert len(wins) == 1, (title, wins)
            rows = GroupClaims(database.engine, t.groups, "1").rows()
            assert rows[title].claimed and rows[title].run_id == wins[0]
    finally:
        for engine in engines:
            engine.dispose()


def test_take_over_is_compare_and_set(database: Database) -> None:
    t = reflect_tables(database.engine, database.cfg)
    claims = GroupClaims(database.engine, t.groups, "1")
    assert claims.claim("G", "dead-run", NOW)
    row = claims.rows()["G"]
    assert claims.take_over(row, "run-a", NOW)
    assert not claims.take_over(row, "run-b", NOW)  # the row changed since it was read
    claims.record("G", "new_group", "run-a", NOW)
    recorded = claims.rows()["G"]
    assert (recorded.group_id, recorded.run_id, recorded.claimed) == ("new_group", "run-a", False)
    # the group was deleted on the board: whoever read the stale row may claim it
    assert claims.take_over(recorded, "run-b", NOW)
    assert not claims.take_over(recorded, "run-c", NOW)
    claims.release("G", "run-b")
    assert "G" not in claims.rows()
    claims.record("H", "h1", "run-z", NOW)  # a group found on the board: recorded as is
    assert claims.rows()["H"].group_id == "h1"
