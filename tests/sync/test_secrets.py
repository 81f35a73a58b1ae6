"""The API token never appears in logs, the API log table, the run history or errors."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from pydantic import SecretStr
from sqlalchemy import MetaData, String, Table, Text, select

from sync_order_list.errors import SyncOrderListError
from sync_order_list.logs import configure_logging
from tests.sync.harness import TOKEN, Pipeline


def all_text(pipeline: Pipeline) -> str:
    md = MetaData(schema=pipeline.cfg.env.db_schema)
    chunks = []
    with pipeline.engine.connect() as conn:
        md.reflect(conn)
        for table in md.tables.values():
            if not isinstance(table, Table):
                continue
            cols = [c for c in table.columns if isinstance(c.type, String | Text)]
            if cols:
                for row in conn.execute(select(*cols)):
                    chunks.extend(str(v) for v in row if v is not None)
    return "\n".join(chunks)


def test_token_never_leaks(
    pipeline: Pipeline, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("json", level=logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    pipeline.generate(8)
    pipeline.merge()
    pipeline.faults(
        script=[{"at": 3, "kind": "status", "status": 500}, {"at": 4, "kind": "drop_after_apply"}]
    )
    pipeline.sync()
    # a refused token: the error names the variable, never the value
    wrong = "wrong-token-" + TOKEN[::-1]
    pipeline.cfg = dataclasses.replace(pipeline.cfg, token=SecretStr(wrong))
    pipeline.generate(9)
    pipeline.merge()
    with pytest.raises(SyncOrderListError) as err:
        pipeline.sync()
    assert wrong not in str(err.value) and wrong not in repr(err.value)
    out, errtext = capfd.readouterr()
    logs = caplog.text + out + errtext
    stored = all_text(pipeline)
    for secret in (TOKEN, wrong):
        assert secret not in logs
        assert secret not in stored
    # what was searched is real: the API log holds the requests, the runs are recorded
    assert "create_item" in stored and "board_schema" in stored
    assert "monday refused the API token" in stored  # the failed run's message
    configure_logging("human")
