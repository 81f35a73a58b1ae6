"""docs/emulator.md's settings table names every setting of ``EmulatorSettings``, and
the default it shows is the code's."""

from __future__ import annotations

import dataclasses
import re

import pytest
from emu_helpers import REPO_ROOT

from monday_emulator import EmulatorSettings

ROW = re.compile(
    r"^\|\s*(?P<names>[^|]+?)\s*\|\s*(?P<default>[^|]*?)\s*\|\s*(?P<meaning>.+?)\s*\|$"
)
GROUPS = ("account_", "user_")  # `account_*`, `user_*`: one row for the identity


def settings_table() -> dict[str, str]:
    """{setting name: its default cell} for every single-setting row."""
    text = (REPO_ROOT / "docs" / "emulator.md").read_text("utf-8")
    table = text.split("## Settings (`EmulatorSettings`)", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in table.splitlines():
        match = ROW.match(line.strip())
        if not match:
            continue
        for name in re.findall(r"`([a-z0-9_*]+)`", match.group("names")):
            rows[name] = match.group("default").strip()
    return rows


ROWS = settings_table()
FIELDS = [f for f in dataclasses.fields(EmulatorSettings)]


@pytest.mark.parametrize("name", [f.name for f in FIELDS])
def test_every_setting_is_documented(name: str) -> None:
    grouped = any(name.startswith(g) and f"{g}*" in ROWS for g in GROUPS)
    assert name in ROWS or grouped, f"docs/emulator.md's settings table has no `{name}`"


def _documented(cell: str) -> object:
    """A default cell as a value: `null`, `true`, numbers with thousands separators,
    `strings`; None when the cell is prose."""
    cell = cell.strip()
    plain = cell.strip("`")
    if plain == "null":
        return None
    if plain in ("true", "false"):
        return plain == "true"
    number = plain.replace(",", "")
    if re.fullmatch(r"-?\d+(\.\d+)?", number):
        return float(number)
    if cell.startswith("`") and cell.endswith("`"):
        return plain
    return ...


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.name)
def test_the_documented_default_is_the_codes(field: dataclasses.Field) -> None:
    cell = ROWS.get(field.name)
    if cell is None:
        return  # a grouped row (`account_*`)
    default = getattr(EmulatorSettings(), field.name)
    if isinstance(default, str):
        assert cell == f"`{default}`", f"{field.name}: docs say {cell}, the code {default!r}"
        return
    documented = _documented(cell)
    if documented is ...:
        return  # prose (`10,000 each`, `none`)
    if isinstance(default, bool) or default is None:
        assert documented == default, f"{field.name}: docs say {cell}, the code {default!r}"
    else:
        assert documented == float(default), f"{field.name}: docs say {cell}, the code {default}"
