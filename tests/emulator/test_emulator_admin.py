"""Admin endpoints: reset, boards (load and dump), stats, settings, faults, clock."""

from __future__ import annotations

import json

from emu_helpers import SMALL_BOARD_ID, Api

from monday_emulator import DEMO_BOARD_ID

SPEC = {
    "id": "4000000001",
    "name": "Loaded",
    "groups": [{"id": "g1", "title": "First"}, {"id": "g2", "title": "Second"}],
    "columns": [
        {"id": "code", "title": "Code", "type": "text"},
        {"id": "kind", "title": "Kind", "type": "dropdown", "labels": ["X", "Y"]},
        {"id": "st", "title": "State", "type": "status", "labels": ["Open", "Closed"]},
        {"id": "subitems", "title": "Subitems", "type": "subtasks"},
    ],
    "subitems": {"id": "4000000002", "columns": [{"id": "q", "title": "Q", "type": "numbers"}]},
    "items": [
        {
            "name": "Loaded item",
            "group": "g2",
            "values": {"code": "C-1", "kind": {"labels": ["Y"]}, "st": {"label": "Closed"}},
            "subitems": [{"name": "Sub", "values": {"q": "4"}}],
        }
    ],
}


async def test_load_and_dump_board(api: Api) -> None:
    status, body = await api.admin("POST", "/boards", SPEC)
    assert status == 201
    assert body["boards"] == [
        {"id": "4000000001", "name": "Loaded", "subitems_board_id": "4000000002"}
    ]
    status, dump = await api.admin("GET", "/boards/4000000001")
    assert status == 200
    assert [c["id"] for c in dump["columns"]] == ["name", "code", "kind", "st", "subitems"]
    assert [g["id"] for g in dump["groups"]] == ["g1", "g2"]
    assert dump["subitems_board"]["id"] == "4000000002"
    (item,) = dump["items"]
    assert item["name"] == "Loaded item"
    assert item["group"] == {"id": "g2", "title": "Second"}
    assert item["state"] == "active"
    assert item["column_values"]["code"] == {"text": "C-1", "value": '"C-1"'}
    assert item["column_values"]["kind"] == {"text": "Y", "value": '{"ids":[2]}'}
    assert item["column_values"]["st"]["text"] == "Closed"
    assert json.loads(item["column_values"]["st"]["value"])["index"] == 1
    assert item["column_values"]["subitems"]["text"] == "Sub"
    (sub,) = item["subitems"]
    assert sub["name"] == "Sub"
    assert sub["parent_item_id"] == item["id"]
    assert sub["column_values"]["q"] == {"text": "4", "value": '"4"'}
    # and the API sees the same
    data = await api.ok(
        "{ boards(ids: [4000000001]) { items_page { items { name subitems { name } } } } }"
    )
    assert data["boards"][0]["items_page"]["items"] == [
        {"name": "Loaded item", "subitems": [{"name": "Sub"}]}
    ]


async def test_dump_filters_states_and_404(api: Api) -> None:
    keep = await api.create_item("Keep")
    gone = await api.create_item("Gone")
    await api.ok("mutation($i: ID) { delete_item(item_id: $i) { id } }", {"i": gone})
    _, everything = await api.admin("GET", f"/boards/{SMALL_BOARD_ID}")
    assert {i["id"]: i["state"] for i in everything["items"]} == {keep: "active", gone: "deleted"}
    _, active = await api.admin("GET", f"/boards/{SMALL_BOARD_ID}?state=active")
    assert [i["id"] for i in active["items"]] == [keep]
    status, _ = await api.admin("GET", "/boards/1")
    assert status == 404


async def test_bad_spec_is_400(api: Api) -> None:
    status, body = await api.admin("POST", "/boards", {"columns": []})
    assert status == 400
    status, body = await api.admin(
        "POST", "/boards", {"name": "X", "columns": [{"id": "p", "title": "P", "type": "people"}]}
    )
    assert status == 400
    assert "InvalidArgumentException" in body["error"]


async def test_reset(api: Api) -> None:
    await api.create_item("Soon gone")
    status, body = await api.admin("POST", "/reset")
    assert status == 200 and body["boards"] == []
    assert (await api.ok("{ boards { id } }"))["boards"] == []
    status, body = await api.admin("POST", "/reset", {"demo": True})
    assert DEMO_BOARD_ID in body["boards"]
    status, body = await api.admin("POST", "/reset", {"boards": [SPEC]})
    assert body["boards"] == ["4000000001", "4000000002"]
    _, listing = await api.admin("GET", "/boards")
    assert [b["id"] for b in listing["boards"]] == ["4000000001", "4000000002"]


async def test_stats(api: Api) -> None:
    await api.create_item("Counted")
    await api.gql("{ me { id } }")
    await api.gql("{ me { id } }", headers={"Authorization": "wrong"})
    status, stats = await api.admin("GET", "/stats")
    assert status == 200
    assert stats["requests"] == 3
    assert stats["requests_by_status"] == {"200": 2, "401": 1}
    assert stats["requests_by_operation"] == {"mutation": 1, "query": 1}
    assert stats["root_fields"] == {"create_item": 1, "me": 1}
    assert stats["mutations_applied"] == {"create_item": 1}
    assert stats["complexity_charged"] > 10_000
    assert (
        stats["limits"]["complexity_remaining"]
        == api.server.settings.complexity_budget - stats["complexity_charged"]
    )
    await api.admin("POST", "/stats/reset")
    _, stats = await api.admin("GET", "/stats")
    assert stats["requests"] == 0


async def test_settings_endpoint(api: Api) -> None:
    status, current = await api.admin("GET", "/settings")
    assert status == 200
    assert current["token"] == "***"
    assert current["complexity_budget"] == 10_000_000
    assert current["requests_per_minute"] == 5_000
    assert current["max_concurrency"] == 250
    status, updated = await api.admin(
        "POST",
        "/settings",
        {
            "requests_per_minute": None,
            "mutation_costs": {"create_item": 30001},
            "faults.error_rate": 0,
        },
    )
    assert status == 200
    assert updated["requests_per_minute"] is None
    assert updated["mutation_costs"]["create_item"] == 30001
    reply = await api.gql(
        'mutation($b: ID!) { create_item(board_id: $b, item_name: "x") { id } complexity { query } }',
        {"b": SMALL_BOARD_ID},
    )
    assert reply.data["complexity"]["query"] == 30002
    status, _ = await api.admin("POST", "/settings", {"no_such_setting": 1})
    assert status == 400
    status, _ = await api.admin("POST", "/settings", {"token": "other"})
    assert status == 400


async def test_faults_endpoint_roundtrip(api: Api) -> None:
    status, body = await api.admin(
        "POST", "/faults", {"latency_ms": 5, "script": [{"at": 9, "kind": "drop_after_apply"}]}
    )
    assert status == 200
    _, got = await api.admin("GET", "/faults")
    assert got["latency_ms"] == 5
    assert got["script"][0]["kind"] == "drop_after_apply"
    _, cleared = await api.admin("DELETE", "/faults")
    assert cleared["script"] == [] and cleared["latency_ms"] == 0


async def test_clock_endpoint(api: Api) -> None:
    await api.gql("{ me { id } }")
    status, body = await api.admin("POST", "/clock", {"advance": 30})
    assert status == 200
    reply = await api.gql("{ complexity { reset_in_x_seconds } }")
    assert reply.data["complexity"]["reset_in_x_seconds"] == 30
    status, _ = await api.admin("POST", "/limits/reset")
    reply = await api.gql("{ complexity { before reset_in_x_seconds } }")
    assert reply.data["complexity"]["before"] == api.server.settings.complexity_budget
