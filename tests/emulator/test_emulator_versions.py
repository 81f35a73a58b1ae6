"""API versions: which ones the ``API-Version`` header may name and what ``version``
and ``versions`` answer (as of 2026-11-29), what each version's schema offers
(``Column.settings`` from 2025-10, the User shape of 2026-07 and 2026-10), and
``remove_settings_str``, which takes ``settings_str`` away so a client can prove it
survives the removal monday announced."""

from __future__ import annotations

import json

import pytest
from emu_helpers import SMALL_BOARD_ID, Api

from monday_emulator.graphql_api import versions
from monday_emulator.graphql_api.versions import choose

# As of 2026-11-29 (docs/emulator.md, "API versions", gives the sources).
EXPECTED_KINDS = {
    "2024-10": "deprecated",
    "2025-01": "deprecated",
    "2025-04": "maintenance",
    "2025-07": "maintenance",
    "2025-10": "maintenance",
    "2026-01": "maintenance",
    "2026-04": "maintenance",
    "2026-07": "maintenance",
    "2026-10": "current",
    "2027-01": "release_candidate",
    "2027-04": "dev",
}


def test_version_table() -> None:
    assert dict(versions.RELEASES) == EXPECTED_KINDS
    assert versions.CURRENT == "2026-10"
    assert versions.SCHEMA_VERSIONS == (
        "2025-04", "2025-07", "2025-10", "2026-01", "2026-04", "2026-07", "2026-10",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("header", "served", "refused"),
    [
        (None, "2026-10", False),
        ("2025-04", "2025-04", False),
        (" 2026-07 ", "2026-07", False),
        ("2027-01", "2027-01", False),  # the release candidate
        ("2027-04", "2027-04", False),  # the dev version
        ("2025-01", "2025-04", False),  # deprecated: routed to the oldest served
        ("2024-10", "2025-04", False),
        ("2023-07", "2025-04", False),
        ("2025-05", "2026-10", True),  # not a quarter
        ("2027-07", "2026-10", True),  # newer than the dev version
        ("2022-10", "2026-10", True),  # before monday's first dated version
        ("2025-4", "2026-10", True),
        ("latest", "2026-10", True),
    ],
)
def test_choose(header: str | None, served: str, refused: bool) -> None:
    choice = choose(header, "2026-10")
    assert choice.served == served
    assert (choice.error is not None) is refused


def test_schema_of_each_version() -> None:
    assert versions.schema_version("2025-07") == "2025-07"
    assert versions.schema_version("2027-01") == "2026-10"
    assert versions.schema_version("2027-04") == "2026-10"


async def test_version_and_versions_for_every_version(api: Api) -> None:
    listed = None
    for value, kind in EXPECTED_KINDS.items():
        reply = await api.gql(
            "{ version { value kind display_name } versions { value kind display_name } }",
            headers={"API-Version": value},
        )
        assert not reply.errors, reply.errors
        served = "2025-04" if kind == "deprecated" else value
        assert reply.headers["API-Version"] == served
        assert reply.data["version"]["value"] == served
        assert reply.data["version"]["kind"] == EXPECTED_KINDS[served]
        listed = listed or reply.data["versions"]
        assert reply.data["versions"] == listed
    assert listed is not None
    assert {v["value"]: v["kind"] for v in listed} == EXPECTED_KINDS
    assert {v["value"]: v["display_name"] for v in listed}["2026-10"] == "Current"
    reply = await api.gql("{ version { value kind } }", headers={"API-Version": None})
    assert reply.data["version"] == {"value": "2026-10", "kind": "current"}
    assert reply.headers["API-Version"] == "2026-10"


async def test_unknown_versions_are_refused(api: Api) -> None:
    for header in ("2025-05", "2027-07", "2026-13"):
        reply = await api.gql("{ me { id } }", headers={"API-Version": header})
        assert reply.status == 200
        assert reply.codes() == ["InvalidVersionException"], header
        assert reply.body["errors"][0]["extensions"]["error_data"] == {"version": header}
        assert "data" not in reply.body


async def test_default_version_setting(api: Api) -> None:
    await api.admin("POST", "/settings", {"api_version_default": "2025-07"})
    reply = await api.gql("{ version { value } }", headers={"API-Version": None})
    assert reply.data["version"]["value"] == "2025-07"
    assert reply.headers["API-Version"] == "2025-07"


# ---------------------------------------------------------------- what each version offers

COLUMNS = '{ boards(ids: [%s]) { columns(ids: ["status", "tags", "subitems", "text"]) { id %s } } }'


async def _columns(api: Api, version: str, fields: str) -> dict[str, dict]:
    reply = await api.gql(COLUMNS % (SMALL_BOARD_ID, fields), headers={"API-Version": version})
    assert not reply.errors, reply.errors
    return {c["id"]: c for c in reply.data["boards"][0]["columns"]}


async def test_settings_arrives_in_2025_10(api: Api) -> None:
    for version in ("2025-04", "2025-07"):
        reply = await api.gql(
            COLUMNS % (SMALL_BOARD_ID, "settings"), headers={"API-Version": version}
        )
        assert reply.codes() == ["undefinedField"]
        assert reply.errors[0]["message"] == "Field 'settings' doesn't exist on type 'Column'"
        assert "data" not in reply.body
    for version in ("2025-10", "2026-01", "2026-04", "2026-07", "2026-10", "2027-01"):
        columns = await _columns(api, version, "settings settings_str")
        assert columns["text"]["settings"] == {}
        assert json.loads(columns["status"]["settings_str"])["labels"]["1"] == "Done"


async def test_status_settings_list_the_labels(api: Api) -> None:
    columns = await _columns(api, "2026-10", "settings settings_str")
    labels = columns["status"]["settings"]["labels"]
    assert [lab["label"] for lab in labels] == ["Working on it", "Done", "Stuck", ""]
    done = next(lab for lab in labels if lab["label"] == "Done")
    # id: the index values use; index: the label's place in the picker (monday's
    # default puts Stuck before Done), as in monday's changelog example
    assert done == {
        "id": 1, "color": 1, "label": "Done", "index": 2, "is_done": True,
        "is_deactivated": False,
    }  # fmt: skip
    assert {lab["id"]: lab["index"] for lab in labels} == {0: 0, 1: 2, 2: 1, 5: 3}
    assert set(columns["status"]["settings"]) == {"labels"}
    # writing by the label's id gives that label
    item = await api.create_item("By id", {"status": {"index": done["id"]}})
    data = await api.ok(
        'query($i: [ID!]) { items(ids: $i) { column_values(ids: ["status"]) {'
        " ... on StatusValue { index label label_style { color border } } } } }",
        {"i": [item]},
    )
    value = data["items"][0]["column_values"][0]
    assert value["index"] == 1 and value["label"] == "Done"
    assert value["label_style"]["color"] == "#00c875"


async def test_new_labels_show_in_settings(api: Api) -> None:
    await api.create_item(
        "New labels", {"status": {"label": "Blocked"}, "tags": {"labels": ["Delta"]}}, True
    )
    columns = await _columns(api, "2026-10", "settings")
    status = {lab["label"]: lab for lab in columns["status"]["settings"]["labels"]}
    assert status["Blocked"]["id"] == 3 and status["Blocked"]["index"] == 4  # placed last
    assert status["Done"]["index"] == 2  # the others keep their places
    tags = columns["tags"]["settings"]["labels"]
    assert tags == [
        {"id": 1, "label": "Alpha", "is_deactivated": False},
        {"id": 2, "label": "Beta", "is_deactivated": False},
        {"id": 3, "label": "Gamma", "is_deactivated": False},
        {"id": 4, "label": "Delta", "is_deactivated": False},
    ]


async def test_subtasks_settings_name_the_subitems_board(api: Api) -> None:
    columns = await _columns(api, "2026-10", "settings")
    assert columns["subitems"]["settings"]["boardIds"] == [3000000002]


async def test_remove_settings_str(api: Api) -> None:
    """With ``remove_settings_str`` a document selecting ``settings_str`` fails
    validation exactly as one selecting a field monday never had, on every version
    that offers ``settings``; one reading ``settings`` still works. The same document
    text is validated again after the switch (the document cache is per schema)."""
    query = COLUMNS % (SMALL_BOARD_ID, "settings_str")
    assert not (await api.gql(query, headers={"API-Version": "2026-10"})).errors
    await api.admin("POST", "/settings", {"remove_settings_str": True})
    for version in ("2025-10", "2026-10", "2027-01"):
        reply = await api.gql(query, headers={"API-Version": version})
        unknown = await api.gql(
            COLUMNS % (SMALL_BOARD_ID, "settings_strr"), headers={"API-Version": version}
        )
        assert reply.status == unknown.status == 200
        assert "data" not in reply.body
        # the same answer as for a field that never existed, name for name
        assert reply.errors == json.loads(
            json.dumps(unknown.errors).replace("settings_strr", "settings_str")
        )
        assert reply.codes() == ["undefinedField"]
        columns = await _columns(api, version, "settings")
        assert columns["status"]["settings"]["labels"][1]["label"] == "Done"
    # versions without settings keep settings_str: a client on them has nothing else
    columns = await _columns(api, "2025-07", "settings_str")
    assert json.loads(columns["status"]["settings_str"])["labels"]["1"] == "Done"
    # and back
    await api.admin("POST", "/settings", {"remove_settings_str": False})
    assert not (await api.gql(query, headers={"API-Version": "2026-10"})).errors


async def test_settings_str_is_deprecated_from_2025_10(api: Api) -> None:
    query = '{ __type(name: "Column") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }'
    for version, deprecated in (("2025-04", False), ("2025-10", True), ("2026-10", True)):
        reply = await api.gql(query, headers={"API-Version": version})
        fields = {f["name"]: f for f in reply.data["__type"]["fields"]}
        assert fields["settings_str"]["isDeprecated"] is deprecated
        if deprecated:
            assert fields["settings_str"]["deprecationReason"].startswith(
                "From version 2025-10, use settings instead. Will be removed"
            )


async def test_user_shape_by_version(api: Api) -> None:
    """monday's "Migrating the User entity" guide: the new fields from 2026-07, the
    legacy ones removed in 2026-10."""
    legacy = "{ me { id is_admin is_guest photo_thumb join_date enabled } }"
    modern = "{ me { id kind status is_deleted account_id title utc_hours_diff created_at } }"
    reply = await api.gql(legacy, headers={"API-Version": "2026-07"})
    assert not reply.errors and reply.data["me"]["is_admin"] is True
    reply = await api.gql(legacy, headers={"API-Version": "2026-10"})
    assert set(reply.codes()) == {"undefinedField"} and "data" not in reply.body
    assert (await api.gql(modern, headers={"API-Version": "2026-04"})).codes()[
        0
    ] == "undefinedField"
    for version in ("2026-07", "2026-10"):
        reply = await api.gql(modern, headers={"API-Version": version})
        assert not reply.errors, reply.errors
        me = reply.data["me"]
        assert me["kind"] == "admin" and me["status"] == "ACTIVE" and me["is_deleted"] is False
        assert me["title"] == "" and me["utc_hours_diff"] == 0.0
        assert me["created_at"] == "2024-01-01T00:00:00Z"


async def test_is_leaf_from_2026_10(api: Api) -> None:
    parent = await api.create_item("Parent")
    await api.ok(
        'mutation($p: ID!) { create_subitem(parent_item_id: $p, item_name: "Kid") { id } }',
        {"p": parent},
    )
    lone = await api.create_item("Lone")
    query = (
        f'{{ items(ids: [{parent}, {lone}]) {{ id column_values(ids: ["text"]) {{ is_leaf }} }} }}'
    )
    reply = await api.gql(query, headers={"API-Version": "2026-07"})
    assert reply.codes() == ["undefinedField"]
    reply = await api.gql(query, headers={"API-Version": "2026-10"})
    leaf = {i["id"]: i["column_values"][0]["is_leaf"] for i in reply.data["items"]}
    assert leaf == {parent: False, lone: True}
