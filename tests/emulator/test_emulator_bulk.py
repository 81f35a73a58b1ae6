"""Bulk import (ingest_items, backfill_items, fetch_job_status): a job's life over real
HTTP, what it writes to the board, the report, matching (UPSERT, SKIP, <NULL>), bad
rows and bad files. Time is the emulator's ManualClock: the tests move it on."""

from __future__ import annotations

import asyncio
import json

from bulk_helpers import (
    by_key,
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
    values,
)
from emu_helpers import SMALL_BOARD_ID, SMALL_SUBITEMS_BOARD_ID, Api

UPSERT = {"match_column_id": "text", "behaviour": "UPSERT"}
SKIP = {"match_column_id": "text", "behaviour": "SKIP"}

HEADER = [
    "name", "text", "qty", "status", "tags", "due", "email", "link", "phone", "span",
    "notes", "name.subitem", "size.subitem", "sub_qty.subitem",
]  # fmt: skip
ORDER_1 = [
    "Order 1", "K1", "12", "Done", "Alpha, Beta", "2025-03-04", "a@b.com Alice",
    "https://example.com Site", "+12025550169 US", "2025-01-01 - 2025-02-01",
    "first line", "", "", "",
]  # fmt: skip


def row(name: str = "", **cells: str) -> list[str]:
    """A row of HEADER: ``name`` and cells by header name (``size_subitem`` for
    ``size.subitem``)."""
    filled = {k.replace("_subitem", ".subitem"): v for k, v in cells.items()}
    filled["name"] = name
    return [filled.get(h, "") for h in HEADER]


def sub(name: str, size: str = "", qty: str = "") -> list[str]:
    return row("", name_subitem=name, size_subitem=size, sub_qty_subitem=qty)


async def test_happy_path_items_and_subitems_in_one_file(api: Api) -> None:
    rows = [
        HEADER,
        ORDER_1,
        sub("Size S", "S", "3"),
        sub("Size M", "M", "4"),
        row("Order 2", text="K2", qty="7", status="Stuck"),
        sub("Size L", "L", "1"),
    ]
    job_id, url = await start(api, on_match=UPSERT)
    assert url.startswith(f"{api.server.base_url}/bulk-import/uploads/{job_id}?")
    pending = await status(api, job_id)
    assert pending["__typename"] == "ItemsJobStatus"
    assert pending["status"] == "UPLOAD_PENDING" and pending["report_url"] is None

    uploaded = await put(api, url, csv_text(rows))
    assert uploaded.status == 200 and uploaded.headers["ETag"].startswith('"')
    first = await status(api, job_id)
    assert first["status"] == "PROCESSING"  # asynchronous: nothing is done at once
    assert first["counts"]["submitted"] == 5 and first["progress_percentage"] == 0
    api.clock.advance(0.05)  # 50 rows a second: two rows are due
    partial = await status(api, job_id)
    assert partial["status"] == "PROCESSING"
    assert partial["counts"]["created"] == 2 and partial["progress_percentage"] == 40

    final = await finish(api, job_id)
    assert final["status"] == "COMPLETED" and final["fully_imported"] is True
    assert final["counts"] == {
        "submitted": 5, "invalid": 0, "skipped": 0, "created": 5, "updated": 0, "failed": 0,
    }  # fmt: skip
    assert final["progress_percentage"] == 100 and final["failure_reason"] is None

    (one,) = await by_key(api, "K1")
    (two,) = await by_key(api, "K2")
    assert one["name"] == "Order 1" and one["group"]["id"] == "topics"
    assert [s["name"] for s in one["subitems"]] == ["Size S", "Size M"]
    assert [s["name"] for s in two["subitems"]] == ["Size L"]
    sizes = [values(s)["size"][0] for s in one["subitems"]]
    assert sizes == ["S", "M"] and values(one["subitems"][0])["sub_qty"][0] == "3"

    # the same values create_item stores for the regular write forms
    twin_id = await api.create_item(
        "Twin",
        {
            "text": "K1", "qty": "12", "status": {"label": "Done"},
            "tags": {"labels": ["Alpha", "Beta"]}, "due": {"date": "2025-03-04"},
            "email": {"email": "a@b.com", "text": "Alice"},
            "link": {"url": "https://example.com", "text": "Site"},
            "phone": {"phone": "+12025550169", "countryShortName": "US"},
            "span": {"from": "2025-01-01", "to": "2025-02-01"}, "notes": {"text": "first line"},
        },
    )  # fmt: skip
    twin = next(i for i in await by_key(api, "K1") if i["id"] == twin_id)
    bulk_values, twin_values = values(one), values(twin)
    del bulk_values["subitems"], twin_values["subitems"]
    assert bulk_values == twin_values

    lines = await report(api, final)
    assert [(r["row_number"], r["row_type"], r["name"], r["outcome"]) for r in lines] == [
        ("1", "item", "Order 1", "created"),
        ("2", "subitem", "Size S", "created"),
        ("3", "subitem", "Size M", "created"),
        ("4", "item", "Order 2", "created"),
        ("5", "subitem", "Size L", "created"),
    ]
    assert lines[0]["item_id"] == one["id"] and lines[4]["item_id"] == two["subitems"][0]["id"]
    assert all(r["error"] == "" for r in lines)

    bulk = await stats(api)
    assert bulk["jobs_started"] == {"ingest_items": 1} and bulk["jobs_completed"] == 1
    assert bulk["rows_processed"] == 5 and bulk["items_created"] == 2
    assert bulk["subitems_created"] == 3 and bulk["items_updated"] == 0
    assert bulk["hourly"]["ingest_items_used"] == 5 and bulk["hourly"]["job_starts_used"] == 1
    _, boards = await api.admin("GET", "/boards")
    counts = {b["id"]: b["items_count"] for b in boards["boards"]}
    assert counts[SMALL_BOARD_ID] == 3 and counts[SMALL_SUBITEMS_BOARD_ID] == 3


async def test_processing_moves_on_without_anyone_polling(api: Api) -> None:
    job_id, url = await start(api)
    assert (
        await put(api, url, csv_text([["name", "text"], ["A", "KA"], ["B", "KB"]]))
    ).status == 200
    api.clock.advance(60)
    state = api.state
    names: set[str] = set()
    for _ in range(200):  # the server's ticker processes the rows: no request is made
        names = {i.name for i in state.store.items.values() if i.board_id == SMALL_BOARD_ID}
        if names == {"A", "B"}:
            break
        await asyncio.sleep(0.02)
    assert names == {"A", "B"}
    assert state.bulk.get(job_id).status == "COMPLETED"


async def test_upsert_resend_updates_items_and_subitem_rows_create_again(api: Api) -> None:
    rows = [HEADER, row("Order 1", text="K1", qty="1"), sub("S1"), row("Order 2", text="K2")]
    _, first = await run(api, rows, on_match=UPSERT)
    assert first["counts"]["created"] == 3
    changed = [HEADER, row("Order 1 renamed", text="k1", qty="5"), sub("S1"), rows[3]]
    _, second = await run(api, changed, on_match=UPSERT)
    assert second["counts"] == {
        "submitted": 3, "invalid": 0, "skipped": 0, "created": 1, "updated": 2, "failed": 0,
    }  # fmt: skip
    items = await by_key(api, "K1", "K2")
    assert len(items) == 2  # matched case-insensitively: no duplicates
    one = next(i for i in items if i["name"] == "Order 1 renamed")
    assert values(one)["qty"][0] == "5"
    assert values(one)["text"][0] == "k1"  # an UPSERT writes every filled cell
    assert [s["name"] for s in one["subitems"]] == ["S1", "S1"]  # create only
    lines = await report(api, second)
    assert [r["outcome"] for r in lines] == ["updated", "created", "updated"]
    assert lines[0]["item_id"] == one["id"]


async def test_skip_leaves_matching_items_alone(api: Api) -> None:
    existing = await api.create_item("Existing", {"text": "K1", "qty": "1"})
    rows = [
        HEADER,
        row("Changed", text="K1", qty="9"),
        sub("Under existing"),
        row("New", text="K2"),
    ]
    _, final = await run(api, rows, on_match=SKIP)
    assert final["counts"]["skipped"] == 1 and final["counts"]["created"] == 2
    assert final["fully_imported"] is True
    (one,) = await by_key(api, "K1")
    assert one["id"] == existing and one["name"] == "Existing" and values(one)["qty"][0] == "1"
    assert [s["name"] for s in one["subitems"]] == ["Under existing"]
    lines = await report(api, final)
    assert lines[0]["outcome"] == "skipped" and lines[0]["item_id"] == existing


async def test_null_clears_and_an_empty_cell_keeps(api: Api) -> None:
    full = row("Order", text="K1", qty="5", status="Done", notes="keep?", due="2025-01-02")
    await run(api, [HEADER, full], on_match=UPSERT)
    blanked = row("Order", text="K1", qty="", status="", notes="<NULL>", due="<NULL>")
    _, final = await run(
        api, [HEADER, blanked, row("Fresh", text="K2", qty="<NULL>")], on_match=UPSERT
    )
    assert final["counts"]["updated"] == 1 and final["counts"]["created"] == 1
    (one,) = await by_key(api, "K1")
    kept = values(one)
    assert kept["qty"][0] == "5" and kept["status"][0] == "Done"
    assert kept["notes"] == ("", None) and kept["due"] == ("", None)
    (fresh,) = await by_key(api, "K2")
    assert values(fresh)["qty"] == ("", None)  # <NULL> on a new item: nothing to clear


async def test_bad_rows_come_back_in_the_report_and_the_rest_go_on(api: Api) -> None:
    rows = [
        HEADER,
        row("Good 1", text="G1", status="Done"),
        row("Lower case label", text="B2", status="done"),
        row("Bad date", text="B3", due="2025-02-30"),
        row("x" * 256, text="B4"),
        sub("Orphan of row 4"),
        row("Unknown dropdown", text="B6", tags="Alpha, Omega"),
        row("Good 2", text="G2", qty="3"),
        row("", text="B8"),
        row("Not a number", text="B9", qty="12abc"),
        row("Both", text="B10", name_subitem="S"),
    ]
    job_id, final = await run(api, rows)
    assert final["status"] == "COMPLETED" and final["fully_imported"] is False
    assert final["counts"] == {
        "submitted": 10, "invalid": 8, "skipped": 0, "created": 2, "updated": 0, "failed": 0,
    }  # fmt: skip
    lines = {int(r["row_number"]): r for r in await report(api, final)}
    assert sorted(lines) == list(range(1, 11))
    assert {n for n, r in lines.items() if r["outcome"] == "created"} == {1, 7}
    assert (
        "label 'done' doesn't exist" in lines[2]["error"] and "case-sensitive" in lines[2]["error"]
    )
    assert "column 'due'" in lines[3]["error"] and "2025-02-30" in lines[3]["error"]
    assert lines[4]["error"] == "Item name is too long, maximum length is 255 characters"
    assert lines[5]["row_type"] == "subitem" and lines[5]["error"] == "its item row 4 is invalid"
    assert "Omega" in lines[6]["error"]
    assert "has no name" in lines[8]["error"]
    assert "not a number" in lines[9]["error"]
    assert "both 'name' and 'name.subitem'" in lines[10]["error"]
    assert all(r["item_id"] == "" for r in lines.values() if r["outcome"] == "invalid")
    assert {i["name"] for i in await by_key(api, "G1", "G2", "B2", "B3", "B4")} == {
        "Good 1",
        "Good 2",
    }
    _, job = await api.admin("GET", f"/bulk/jobs/{job_id}")
    assert job["counts"]["invalid"] == 8 and len(job["rows"]) == 10


async def test_a_bad_header_rejects_the_whole_file(api: Api) -> None:
    cases = {
        "unknown column": (csv_text([["name", "text", "nope"], ["A", "K", "x"]]), "'nope'"),
        "name not first": (csv_text([["text", "name"], ["K", "A"]]), "must be 'name'"),
        "unknown subitem column": (
            csv_text([["name", "name.subitem", "qty.subitem"]]),
            "qty.subitem",
        ),
        "ragged row": (b"name,text\r\nA,K\r\nB,K,extra\r\n", "Row 2 has 3 cells"),
        "not utf-8": (b"name,text\r\n\xff\xfe,K\r\n", "not UTF-8"),
        "empty": (b"", "empty"),
        "match column missing": (csv_text([["name", "qty"], ["A", "1"]]), "match column 'text'"),
    }
    for label, (body, words) in cases.items():
        job_id, url = await start(api, on_match=UPSERT)
        assert (await put(api, url, body)).status == 200, label
        final = await status(api, job_id)
        assert final["status"] == "REJECTED", label
        assert final["failure_reason"] == "INVALID_UPLOAD", label
        assert words in final["failure_message"], (label, final["failure_message"])
        assert final["report_created"] is False and final["report_url"] is None
        assert final["counts"]["created"] == 0
    assert await by_key(api, "K") == []
    assert (await stats(api))["jobs_rejected"] == {"INVALID_UPLOAD": len(cases)}


async def test_too_many_rows_rejects_the_file(api: Api) -> None:
    await api.admin("POST", "/settings", {"bulk_ingest_max_rows": 3})
    rows = [HEADER, row("A", text="K1"), sub("a"), sub("b"), row("B", text="K2")]
    _, final = await run(api, rows)  # subitem rows count toward the limit
    assert final["status"] == "REJECTED" and final["failure_reason"] == "INVALID_UPLOAD"
    assert "at most 3 rows" in final["failure_message"]


async def test_a_second_put_changes_nothing(api: Api) -> None:
    job_id, url = await start(api)
    assert (await put(api, url, csv_text([["name", "text"], ["A", "K1"]]))).status == 200
    again = await put(api, url, csv_text([["name", "text"], ["B", "K2"], ["C", "K3"]]))
    assert again.status == 200  # what S3 answers: the job ignores it
    final = await finish(api, job_id)
    assert final["counts"]["submitted"] == 1 and final["counts"]["created"] == 1
    late = await put(api, url, csv_text([["name", "text"], ["D", "K4"]]))
    assert late.status == 200
    assert (await status(api, job_id))["counts"]["created"] == 1
    assert [i["name"] for i in await by_key(api, "K1", "K2", "K3", "K4")] == ["A"]
    _, job = await api.admin("GET", f"/bulk/jobs/{job_id}")
    assert job["ignored_uploads"] == 2
    assert (await stats(api))["uploads_ignored"] == 2


async def test_backfill_creates_and_is_flagged(api: Api) -> None:
    existing = await api.create_item("Old", {"text": "K1"})
    rows = [["name", "text", "name.subitem"], ["Again", "K1", ""], ["", "", "child"]]
    job_id, final = await run(api, rows, backfill=True)
    assert final["status"] == "COMPLETED" and final["counts"]["created"] == 2
    items = await by_key(api, "K1")
    assert len(items) == 2 and existing in {i["id"] for i in items}  # never matches
    _, job = await api.admin("GET", f"/bulk/jobs/{job_id}")
    assert job["operation"] == "backfill_items" and job["skips_side_effects"] is True
    assert (await stats(api))["hourly"]["ingest_items_used"] == 0


async def test_fetch_job_status_of_an_unknown_job(api: Api) -> None:
    reply = await gql(api, "query { fetch_job_status(job_id: 42) { __typename } }")
    assert reply.status == 200 and reply.data is None
    (error,) = reply.errors
    assert error["message"] == "Job not found"
    assert error["extensions"]["code"] == "ResourceNotFoundException"
    assert error["extensions"]["status_code"] == 404
    assert error["extensions"]["error_data"] == {"resource_type": "job", "job_id": "42"}


async def test_starting_a_job_checks_board_group_and_match_column(api: Api) -> None:
    cases = [
        ({"b": "1", "g": "topics", "m": None}, "InvalidBoardIdException"),
        ({"b": SMALL_SUBITEMS_BOARD_ID, "g": "topics", "m": None}, "InvalidArgumentException"),
        ({"b": SMALL_BOARD_ID, "g": "nope", "m": None}, "ResourceNotFoundException"),
        ({"b": SMALL_BOARD_ID, "g": "topics", "m": {**UPSERT, "match_column_id": "nope"}}, "InvalidColumnIdException"),
        ({"b": SMALL_BOARD_ID, "g": "topics", "m": {**UPSERT, "match_column_id": "done"}}, "InvalidArgumentException"),
    ]  # fmt: skip
    from bulk_helpers import INGEST

    for variables, code in cases:
        reply = await gql(api, INGEST, variables)
        assert reply.status == 200 and reply.codes() == [code], (variables, reply.body)
        assert reply.data == {"ingest_items": None}
    assert (await stats(api))["jobs_started"] == {}


async def test_new_items_go_to_the_jobs_group(api: Api) -> None:
    await run(api, [["name", "text"], ["A", "K1"]], group="group_two")
    (one,) = await by_key(api, "K1")
    assert one["group"]["id"] == "group_two"


async def test_admin_reset_forgets_jobs_and_the_admin_view_lists_them(api: Api) -> None:
    job_id, _ = await start(api)
    code, listing = await api.admin("GET", "/bulk/jobs")
    assert code == 200 and [j["job_id"] for j in listing["jobs"]] == [job_id]
    assert listing["jobs"][0]["status"] == "UPLOAD_PENDING"
    assert listing["hourly"]["job_starts_used"] == 1
    await api.admin("POST", "/reset", {"boards": []})
    reply = await gql(
        api, "query($j: ID!) { fetch_job_status(job_id: $j) { __typename } }", {"j": job_id}
    )
    assert reply.codes() == ["ResourceNotFoundException"]
    code, _ = await api.admin("GET", f"/bulk/jobs/{job_id}")
    assert code == 404


async def test_status_documents_are_plain_graphql(api: Api) -> None:
    """A client that asks for the union's fields without a fragment is told so."""
    reply = await gql(api, "query { fetch_job_status(job_id: 1) { status } }")
    assert reply.data is None and reply.codes() == ["undefinedField"]
    assert json.dumps(reply.body)  # a JSON object, as always


async def test_a_column_bulk_import_cannot_write_makes_its_rows_invalid(api: Api) -> None:
    rows = [["name", "text", "done"], ["Ticked", "K1", "true"], ["Plain", "K2", ""]]
    _, final = await run(api, rows)
    assert final["counts"]["invalid"] == 1 and final["counts"]["created"] == 1
    lines = await report(api, final)
    assert "checkbox column" in lines[0]["error"] and lines[1]["outcome"] == "created"


async def test_an_accounts_jobs_are_processed_in_turn(api: Api) -> None:
    """bulk_jobs_at_once (default 1, an assumption): a second job waits, PROCESSING at
    0%, until the first ends; its turn starts when the first ended, not when someone
    next asks. With more slots both move at once."""
    one = [HEADER, row("A1", text="A1"), row("A2", text="A2")]
    two = [HEADER, row("B1", text="B1"), row("B2", text="B2")]
    first, url1 = await start(api, on_match=UPSERT)
    second, url2 = await start(api, on_match=UPSERT)
    assert (await put(api, url1, csv_text(one))).status == 200
    assert (await put(api, url2, csv_text(two))).status == 200
    api.clock.advance(0.02)  # 50 rows a second: one row of the first job
    assert (await status(api, first))["counts"]["created"] == 1
    waiting = await status(api, second)
    assert waiting["status"] == "PROCESSING" and waiting["progress_percentage"] == 0
    api.clock.advance(0.06)  # the first ended at 0.04 s; the second has had 0.04 s
    assert (await status(api, first))["status"] == "COMPLETED"
    assert (await status(api, second))["status"] == "COMPLETED"

    await settings(api, bulk_jobs_at_once=2)
    third, url3 = await start(api, on_match=UPSERT)
    fourth, url4 = await start(api, on_match=UPSERT)
    assert (await put(api, url3, csv_text([HEADER, row("C1", text="C1")] * 1))).status == 200
    assert (await put(api, url4, csv_text([HEADER, row("D1", text="D1")]))).status == 200
    api.clock.advance(0.02)
    assert (await status(api, third))["status"] == "COMPLETED"
    assert (await status(api, fourth))["status"] == "COMPLETED"
