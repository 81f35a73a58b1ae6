"""The lookup by business key compares what monday returns with the canonical rule.

monday matches the key column "exactly, case-insensitive"; what it does with inner
whitespace, tabs or no-break spaces is not documented, and the emulator cannot say.
A scripted server on 127.0.0.1 answers the lookup with such spellings, so the
comparison on the client side is what is tested.
"""

from __future__ import annotations

from typing import Any

from sync_order_list.sync.reconcile import find_items_by_key
from tests.monday.support import Reply, ScriptedServer
from tests.monday.test_monday_client import client_for

KEY_COLUMN = "text_key"


def item(item_id: str, text: str | None) -> dict[str, Any]:
    return {
        "id": item_id,
        "name": "x",
        "column_values": [{"id": KEY_COLUMN, "text": text, "value": None}],
    }


async def test_lookup_matches_by_the_canonical_rule() -> None:
    page = {
        "items_page_by_column_values": {
            "cursor": None,
            "items": [
                item("11", "x-pad"),
                item("12", " K\u00a0\tnl\n"),
                item("13", "A  B"),
                item("14", "X-CASEKEY"),
                item("15", "x-casekey "),
                item("16", "AB"),  # not "A B": whitespace between letters counts
                item("17", None),
            ],
        }
    }
    async with ScriptedServer(Reply.ok(page)) as server, client_for(server.url) as client:
        found = await find_items_by_key(
            client, "1", KEY_COLUMN, ["X-PAD", "K NL", "A B", "X-CASEKEY", "Q-1"]
        )
    assert found.ids == {"X-PAD": "11", "K NL": "12", "A B": "13", "X-CASEKEY": "14"}
    assert found.duplicates == {"X-CASEKEY": ["14", "15"]}
    (request,) = server.received
    sent = request.json()["variables"]
    assert sorted(sent["values"]) == ["A B", "K NL", "Q-1", "X-CASEKEY", "X-PAD"]
