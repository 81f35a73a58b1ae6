"""Bulk import limits and refusals: the upload URL (expiry, checksum header, content
type, signature, size), the report URL's expiry, the hourly job limit (HTTP 429 with
retryAfterMs), the hourly ingest item budget, board capacity, the admin-only
backfill, and the API versions that have the operations."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from bulk_helpers import (
    BACKFILL,
    INGEST,
    csv_text,
    finish,
    gql,
    put,
    report,
    run,
    settings,
    start,
    stats,
    status,
)
from emu_helpers import SMALL_BOARD_ID, Api

from monday_emulator import EmulatorSettings

SMALL_FILE = csv_text([["name", "text"], ["A", "K1"], ["B", "K2"]])


def _error_code(xml: str) -> str:
    return xml.split("<Code>", 1)[1].split("</Code>", 1)[0]


# ---------------------------------------------------------------- the upload URL


async def test_the_upload_url_expires_ten_minutes_after_the_start(api: Api) -> None:
    job_id, url = await start(api)
    api.clock.advance(600)  # the last moment it is valid
    api.clock.advance(0.5)
    refused = await put(api, url, SMALL_FILE)
    assert refused.status == 403 and _error_code(refused.text) == "AccessDenied"
    assert "<Message>Request has expired</Message>" in refused.text
    assert (await status(api, job_id))["status"] == "UPLOAD_PENDING"
    api.clock.advance(30 * 24 * 3600)  # a job that never gets its file stays pending
    assert (await status(api, job_id))["status"] == "UPLOAD_PENDING"
    assert (await stats(api))["uploads_refused"] == {"expired": 1}


async def test_an_upload_within_the_ten_minutes_is_taken(api: Api) -> None:
    job_id, url = await start(api)
    api.clock.advance(600)
    assert (await put(api, url, SMALL_FILE)).status == 200
    assert (await finish(api, job_id))["counts"]["created"] == 2


async def test_a_checksum_header_is_refused_and_the_job_waits(api: Api) -> None:
    job_id, url = await start(api)
    refused = await put(api, url, SMALL_FILE, headers={"x-amz-checksum-crc32": "AAAAAA=="})
    assert refused.status == 403 and _error_code(refused.text) == "AccessDenied"
    assert "<HeadersNotSigned>x-amz-checksum-crc32</HeadersNotSigned>" in refused.text
    assert (await status(api, job_id))["status"] == "UPLOAD_PENDING"
    assert (await put(api, url, SMALL_FILE)).status == 200  # the same file, without it
    assert (await finish(api, job_id))["counts"]["created"] == 2


async def test_content_type_and_signature_are_checked(api: Api) -> None:
    job_id, url = await start(api)
    wrong_type = await put(api, url, SMALL_FILE, content_type="application/octet-stream")
    assert wrong_type.status == 403 and _error_code(wrong_type.text) == "SignatureDoesNotMatch"
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["X-Amz-Expires"] = "86400"  # a longer life is not what was signed
    forged = parts._replace(query=urlencode(query)).geturl()
    tampered = await put(api, forged, SMALL_FILE)
    assert tampered.status == 403 and _error_code(tampered.text) == "SignatureDoesNotMatch"
    other_job, _ = await start(api)
    swapped = url.replace(job_id, other_job)
    assert (await put(api, swapped, SMALL_FILE)).status == 403
    assert (await status(api, job_id))["status"] == "UPLOAD_PENDING"
    charset = await put(api, url, SMALL_FILE, content_type="text/csv; charset=utf-8")
    assert charset.status == 200


async def test_a_file_over_the_size_limit_rejects_the_job(api: Api) -> None:
    assert EmulatorSettings().bulk_max_file_bytes == 150_000_000
    await settings(api, bulk_max_file_bytes=200)
    job_id, url = await start(api)
    body = csv_text([["name", "text"]] + [[f"Item {i}", f"K{i}"] for i in range(30)])
    assert len(body) > 200
    refused = await put(api, url, body)
    assert refused.status == 400 and _error_code(refused.text) == "EntityTooLarge"
    final = await status(api, job_id)
    assert final["status"] == "REJECTED" and final["failure_reason"] == "FILE_TOO_LARGE"
    assert "200 bytes" in final["failure_message"]
    assert (await stats(api))["jobs_rejected"] == {"FILE_TOO_LARGE": 1}
    job_id, url = await start(api)
    assert (await put(api, url, SMALL_FILE)).status == 200  # under the limit: taken
    assert (await finish(api, job_id))["status"] == "COMPLETED"


async def test_the_report_url_lives_ten_minutes_from_each_status_fetch(api: Api) -> None:
    job_id, final = await run(api, [["name", "text"], ["A", "K1"]])
    old_url = final["report_url"]
    api.clock.advance(601)
    expired = await put_free_get(api, old_url)
    assert expired == 403
    fresh = await status(api, job_id)
    assert fresh["report_url"] != old_url
    assert [r["outcome"] for r in await report(api, fresh)] == ["created"]


async def put_free_get(api: Api, url: str) -> int:
    async with api.session.get(url) as resp:
        return resp.status


# ---------------------------------------------------------------- the hourly job limit


async def test_the_101st_job_start_in_an_hour_is_a_429_with_retry_after_ms(api: Api) -> None:
    assert EmulatorSettings().bulk_jobs_per_hour == 100
    for n in range(100):  # both mutations count together
        await start(api, backfill=n % 2 == 0)
        api.clock.advance(10)
    refused = await gql(api, INGEST, {"b": SMALL_BOARD_ID, "g": "topics"})
    assert refused.status == 429
    (error,) = refused.errors
    extensions = error["extensions"]
    assert extensions["code"] == "RATE_LIMIT_EXCEEDED" and extensions["status_code"] == 429
    # the first start was 1,000 s ago: it leaves the rolling hour in 2,600 s
    assert extensions["retryAfterMs"] == 2_600_000
    assert extensions["retry_in_seconds"] == 2600 and refused.headers["Retry-After"] == "2600"
    assert "data" not in refused.body  # refused whole, before anything ran
    also = await gql(api, BACKFILL, {"b": SMALL_BOARD_ID, "g": "topics"})
    assert also.status == 429
    bulk = await stats(api)
    assert bulk["jobs_started_total"] == 100 and bulk["job_starts_refused"] == 2
    api.clock.advance(2599.5)
    almost = await gql(api, INGEST, {"b": SMALL_BOARD_ID, "g": "topics"})
    assert almost.status == 429 and almost.errors[0]["extensions"]["retryAfterMs"] == 500
    api.clock.advance(0.5)
    await start(api)  # the first start has left the hour


async def test_a_document_with_more_starts_than_fit_is_refused_whole(api: Api) -> None:
    await settings(api, bulk_jobs_per_hour=2)
    await start(api)
    two = await gql(
        api,
        'mutation { a: ingest_items(board_id: 3000000001, group_id: "topics") { job_id }'
        ' b: ingest_items(board_id: 3000000001, group_id: "topics") { job_id } }',
    )
    assert two.status == 429
    assert (await stats(api))["jobs_started_total"] == 1
    await start(api)


async def test_a_start_hidden_in_a_fragment_is_refused_as_a_field_error(api: Api) -> None:
    await settings(api, bulk_jobs_per_hour=1)
    await start(api)
    reply = await gql(
        api,
        "mutation { ...F } fragment F on Mutation {"
        ' ingest_items(board_id: 3000000001, group_id: "topics") { job_id } }',
    )
    assert reply.status == 200 and reply.data == {"ingest_items": None}
    extensions = reply.errors[0]["extensions"]
    assert extensions["code"] == "RATE_LIMIT_EXCEEDED" and extensions["status_code"] == 429
    assert extensions["retryAfterMs"] == 3_600_000


# ---------------------------------------------------------------- the hourly item budget


def _rows(count: int, prefix: str) -> list[list[str]]:
    return [["name", "text"]] + [[f"{prefix} {i}", f"{prefix}{i}"] for i in range(count)]


async def test_the_19000_items_an_hour_ingest_budget(api: Api) -> None:
    await settings(api, bulk_rows_per_second=None, items_per_board=40_000)
    _, first = await run(api, _rows(9_500, "A"))
    assert first["status"] == "COMPLETED" and first["counts"]["created"] == 9_500
    api.clock.advance(1800)
    job_id, second = await run(api, _rows(9_501, "B"))  # 19,001 in the hour
    assert second["status"] == "REJECTED"
    assert second["failure_reason"] == "ACCOUNT_CAPACITY_EXCEEDED"
    assert "9,500 left" in second["failure_message"]
    assert second["counts"]["submitted"] == 9_501 and second["counts"]["created"] == 0
    assert second["report_created"] is False
    _, third = await run(api, _rows(9_500, "C"))  # exactly 19,000: taken
    assert third["status"] == "COMPLETED"
    bulk = await stats(api)
    assert bulk["hourly"]["ingest_items_used"] == 19_000
    assert bulk["jobs_rejected"] == {"ACCOUNT_CAPACITY_EXCEEDED": 1}
    _, boards = await api.admin("GET", "/boards")
    assert {b["id"]: b["items_count"] for b in boards["boards"]}[SMALL_BOARD_ID] == 19_000


async def test_the_budget_counts_what_a_job_did_and_backfill_does_not_count(api: Api) -> None:
    await settings(api, bulk_ingest_items_per_hour=5)
    rows = [["name", "text"], ["A", "K1"], ["", "K2"], ["B", "K3"]]  # row 2 is invalid
    _, first = await run(api, rows)
    assert first["counts"]["created"] == 2 and first["counts"]["invalid"] == 1
    assert (await stats(api))["hourly"]["ingest_items_used"] == 2  # the reservation shrank
    _, refused = await run(api, _rows(4, "X"))
    assert refused["failure_reason"] == "ACCOUNT_CAPACITY_EXCEEDED"
    _, backfilled = await run(api, _rows(4, "Y"), backfill=True)
    assert backfilled["status"] == "COMPLETED" and backfilled["counts"]["created"] == 4
    assert (await stats(api))["hourly"]["ingest_items_used"] == 2
    api.clock.advance(3600)
    _, later = await run(api, _rows(4, "Z"))
    assert later["status"] == "COMPLETED"


# ---------------------------------------------------------------- board capacity


async def test_a_full_board_fails_the_job_and_keeps_what_was_done(api: Api) -> None:
    await settings(api, items_per_board=3)
    await api.create_item("Already there")
    rows = [["name", "text"], ["A", "K1"], ["B", "K2"], ["C", "K3"], ["D", "K4"]]
    _, final = await run(api, rows)
    assert final["status"] == "FAILED"
    assert final["failure_reason"] == "BOARD_CAPACITY_EXCEEDED"
    assert final["counts"]["created"] == 2 and final["counts"]["failed"] == 2
    assert final["report_created"] is True and final["fully_imported"] is False
    lines = await report(api, final)
    assert [r["outcome"] for r in lines] == ["created", "created", "failed", "failed"]
    assert "limit of 3 items" in lines[2]["error"]
    assert lines[3]["error"].startswith("not processed:")
    assert (await stats(api))["jobs_failed"] == {"BOARD_CAPACITY_EXCEEDED": 1}


# ---------------------------------------------------------------- admins and versions


async def test_backfill_needs_an_account_admin(api: Api) -> None:
    await settings(api, user_is_admin=False)
    reply = await gql(api, BACKFILL, {"b": SMALL_BOARD_ID, "g": "topics"})
    assert reply.status == 200 and reply.data == {"backfill_items": None}
    (error,) = reply.errors
    assert error["message"] == "User unauthorized to perform action"
    assert error["extensions"]["code"] == "USER_UNAUTHORIZED"
    assert error["extensions"]["status_code"] == 403
    me = await gql(api, "query { me { kind } }")
    assert me.data["me"]["kind"] == "member"
    await start(api)  # ingest_items needs no admin


async def test_the_operations_exist_from_2026_07(api: Api) -> None:
    plain = 'mutation { ingest_items(board_id: 3000000001, group_id: "topics") { job_id } }'
    for version in ("2025-04", "2026-04"):
        reply = await api.gql(plain, headers={"API-Version": version})
        assert reply.codes() == ["undefinedField"]
        assert reply.errors[0]["message"] == "Field 'ingest_items' doesn't exist on type 'Mutation'"
        query = await api.gql(
            "query { fetch_job_status(job_id: 1) { __typename } }", headers={"API-Version": version}
        )
        assert query.codes() == ["undefinedField"]
        typed = await api.gql(
            INGEST, {"b": SMALL_BOARD_ID, "g": "topics"}, headers={"API-Version": version}
        )
        assert "OnMatchInput" in typed.errors[0]["message"]  # no such type before 2026-07
    started = await api.gql(
        INGEST, {"b": SMALL_BOARD_ID, "g": "topics"}, headers={"API-Version": "2026-07"}
    )
    assert started.status == 200 and not started.errors
    assert started.data["ingest_items"]["job_id"]
