"""Every error the HTTP side produces is in monday's shape: ``errors[].extensions``
with ``code``, ``status_code`` (the HTTP status) and ``error_data``, and the request id
in the root ``extensions``."""

from __future__ import annotations

from emu_helpers import Reply, create_items_document, serve

from monday_emulator import ManualClock


def _shaped(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, reply.body
    (error,) = reply.body["errors"]
    assert error["message"]
    extensions = error["extensions"]
    assert extensions["code"] == code
    assert extensions["status_code"] == status
    assert isinstance(extensions["error_data"], dict)
    assert reply.body["extensions"]["request_id"] == reply.headers["X-Request-Id"]
    assert "RateLimit" in reply.headers and "RateLimit-Policy" in reply.headers


async def test_transport_errors_carry_code_status_code_and_error_data() -> None:
    async with serve(ManualClock(), mutation_ms_mean=0, query_ms_mean=0) as api:
        _shaped(
            await api.gql("{ me { id } }", headers={"Authorization": "nope"}), 401, "Unauthorized"
        )
        _shaped(await api.gql("", raw=b"{not json"), 400, "JsonParseException")
        _shaped(await api.gql("", raw=b"[]"), 400, "BadRequest")
        await api.admin("POST", "/faults", {"script": [{"at": 1, "kind": "status", "status": 500}]})
        reply = await api.gql("{ me { id } }")
        assert reply.status == 500
        assert reply.body["errors"][0]["extensions"] == {
            "code": "INTERNAL_SERVER_ERROR",
            "status_code": 500,
            "error_data": {},
        }


async def test_writers_rules_errors_carry_code_status_code_and_error_data() -> None:
    async with serve(
        ManualClock(), mutation_ms_mean=40_000, query_ms_mean=0, server_time_distribution="fixed"
    ) as api:
        _shaped(await api.gql(create_items_document(["a", "b"])), 504, "REQUEST_TIMEOUT")
        doc = create_items_document(["k"])
        await api.gql(doc, headers={"Idempotency-Key": "k"})
        other = create_items_document(["other"])
        _shaped(
            await api.gql(other, headers={"Idempotency-Key": "k"}), 422, "IDEMPOTENCY_KEY_REUSED"
        )
