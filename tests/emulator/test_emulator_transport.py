"""Transport: token, API-Version, request ids, body and GraphQL errors, extra routes."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from emu_helpers import TIMEOUT, Api

from monday_emulator import STATE_KEY, EmulatorServer, EmulatorSettings, EmulatorState


async def test_missing_or_wrong_token_is_401(api: Api) -> None:
    for headers in (
        {"Authorization": None},
        {"Authorization": "wrong"},
        {"Authorization": "Bearer wrong"},
    ):
        reply = await api.gql("{ me { id } }", headers=headers)
        assert reply.status == 401
        assert reply.body["errors"][0]["extensions"]["code"] == "Unauthorized"
        assert reply.body["extensions"]["request_id"]


async def test_raw_token_and_bearer(api: Api) -> None:
    assert (await api.gql("{ me { id } }", headers={"Authorization": api.token})).status == 200
    assert (
        await api.gql("{ me { id } }", headers={"Authorization": f"Bearer {api.token}"})
    ).status == 200
    await api.admin("POST", "/settings", {"accept_bearer": False})
    assert (
        await api.gql("{ me { id } }", headers={"Authorization": f"Bearer {api.token}"})
    ).status == 401


async def test_api_version_echoed(api: Api) -> None:
    reply = await api.gql("{ me { id } }", headers={"API-Version": "2025-07"})
    assert reply.headers["API-Version"] == "2025-07"
    # a deprecated version is routed to 2025-04, the oldest one served
    reply = await api.gql("{ me { id } }", headers={"API-Version": "2025-01"})
    assert reply.headers["API-Version"] == "2025-04"
    # no header: the current version
    reply = await api.gql("{ me { id } }", headers={"API-Version": None})
    assert reply.headers["API-Version"] == "2026-10"


async def test_bad_api_version_format(api: Api) -> None:
    reply = await api.gql("{ me { id } }", headers={"API-Version": "2025-4"})
    assert reply.status == 200
    assert reply.body["errors"][0]["extensions"]["code"] == "InvalidVersionException"
    assert "data" not in reply.body


async def test_request_ids_are_unique(api: Api) -> None:
    first = await api.gql("{ me { id } }")
    second = await api.gql("{ me { id } }")
    assert first.body["extensions"]["request_id"] != second.body["extensions"]["request_id"]
    assert first.headers["X-Request-Id"] == first.body["extensions"]["request_id"]


async def test_bad_bodies(api: Api) -> None:
    reply = await api.gql("", raw=b"{not json")
    assert reply.status == 400
    assert reply.body["errors"][0]["extensions"]["code"] == "JsonParseException"
    reply = await api.gql("", raw=b'{"variables": {}}')
    assert reply.status == 400
    assert reply.body["errors"][0]["message"] == "No query string was present"


async def test_parse_and_validation_errors_are_200(api: Api) -> None:
    reply = await api.gql("{ me { id }")
    assert reply.status == 200
    assert reply.body["errors"][0]["extensions"]["code"] == "ParseError"
    assert reply.body["errors"][0]["locations"]
    reply = await api.gql("{ me { nope } }")
    assert reply.status == 200
    assert reply.body["errors"][0]["extensions"]["code"] == "undefinedField"
    reply = await api.gql("query($b: ID!) { boards(ids: [$b]) { id } }", {})
    assert reply.status == 200
    assert reply.body["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"


async def test_root_path_is_free_and_routes_can_be_added() -> None:
    def setup(app: web.Application, state: EmulatorState) -> None:
        async def index(request: web.Request) -> web.Response:
            st = request.app[STATE_KEY]
            return web.Response(text=f"{len(st.store.boards)} boards")

        app.router.add_get("/", index)

    async with (
        EmulatorServer(EmulatorSettings(), setup_app=setup) as srv,
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.get(srv.base_url + "/") as resp,
    ):
        assert resp.status == 200
        assert await resp.text() == "2 boards"  # the demo board and its subitems board

    async with (
        EmulatorServer(EmulatorSettings(), load_demo=False) as srv,
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.get(srv.base_url + "/") as resp,
    ):
        assert resp.status == 200  # the board viewer, with nothing to show
        assert "holds no boards" in await resp.text()
