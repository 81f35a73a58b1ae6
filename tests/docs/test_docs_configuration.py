"""The reference pages stay complete and true to the code.

- docs/configuration.md documents every key of every model in config/models.py, with
  the default the code has;
- docs/commands.md documents every command `sync-order-list --help` lists, and every
  option each command takes.
"""

from __future__ import annotations

import re
import tomllib
import typing
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from monday_emulator.cli import build_parser
from sync_order_list.cli import cli
from sync_order_list.config.models import EnvironmentSettings, Settings
from tests.conftest import REPO_ROOT

DOCS = REPO_ROOT / "docs"
# | `key` | type | default | what it does |
KEY_ROW = re.compile(r"^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \| (.+) \|$")
COMMON_OPTIONS = ("config_path", "env_name", "db_url", "quiet", "output_json", "log_format")


def model_keys(
    model: type[BaseModel] = Settings, prefix: str = ""
) -> list[tuple[str, FieldInfo, bool]]:
    """(dotted key, field, is_section) for every field of every model, as the TOML
    file spells it (aliases such as ``schema``; ``<name>`` for an environment)."""
    out: list[tuple[str, FieldInfo, bool]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out.append((key, field, True))
            out += model_keys(annotation, key + ".")
        elif (
            typing.get_origin(annotation) is dict
            and typing.get_args(annotation)[1] is EnvironmentSettings
        ):
            out.append((key, field, True))
            out += model_keys(EnvironmentSettings, key + ".<name>.")
        else:
            out.append((key, field, False))
    return out


def documented_rows(path: Path) -> dict[str, tuple[str, str, str]]:
    rows: dict[str, tuple[str, str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = KEY_ROW.match(line.strip())
        if match:
            key, type_, default, text = (g.strip() for g in match.groups())
            assert key not in rows, f"{key} is documented twice"
            rows[key] = (type_, default, text)
    return rows


ROWS = documented_rows(DOCS / "configuration.md")
KEYS = model_keys()


def test_the_walk_finds_every_section() -> None:
    keys = {key for key, _, _ in KEYS}
    assert {"environments.<name>.schema", "merge.size_columns.end_before"} <= keys
    assert {"monday.subitems.create_labels_if_missing", "tables.api_log"} <= keys
    assert len(keys) > 60


@pytest.mark.parametrize("key", [key for key, _, _ in KEYS])
def test_every_key_is_in_the_reference(key: str) -> None:
    assert key in ROWS, f"docs/configuration.md has no `| `{key}` | ... |` row"


def _default_in_doc(cell: str) -> Any:
    cell = cell.strip()
    if cell.startswith("`") and cell.endswith("`"):
        return tomllib.loads(f"v = {cell[1:-1]}")["v"]
    return cell


@pytest.mark.parametrize(
    ("key", "field"), [pytest.param(k, f, id=k) for k, f, section in KEYS if not section]
)
def test_documented_default_is_the_codes(key: str, field: FieldInfo) -> None:
    _, default, _ = ROWS[key]
    if field.is_required():
        assert default == "required", f"{key} has no default in the code"
    elif field.default is None:
        assert default == "unset", f"{key} defaults to None (write: unset)"
    else:
        assert _default_in_doc(default) == field.default, f"{key}: doc {default}"


@pytest.mark.parametrize(
    ("key", "field"), [pytest.param(k, f, id=k) for k, f, section in KEYS if section]
)
def test_required_sections_say_so(key: str, field: FieldInfo) -> None:
    _, default, _ = ROWS[key]
    assert (default == "required") == field.is_required(), key


def test_no_documented_key_is_stale() -> None:
    known = {key for key, _, _ in KEYS}
    stale = sorted(set(ROWS) - known)
    assert not stale, f"documented but not in config/models.py: {stale}"


def test_the_shipped_config_uses_documented_keys_only() -> None:
    data = tomllib.loads((REPO_ROOT / "configs" / "sync_order_list.toml").read_text())

    def walk(value: Any, prefix: str) -> list[str]:
        if not isinstance(value, dict):
            return []
        out = []
        for name, inner in value.items():
            if prefix in ("environments.",):
                out += walk(inner, "environments.<name>.")
                continue
            key = f"{prefix}{name}"
            out.append(key)
            if key not in ("monday.items.columns", "monday.subitems.columns") and not key.endswith(
                "create_labels_if_missing"
            ):
                out += walk(inner, key + ".")
        return out

    missing = sorted(k for k in walk(data, "") if k not in ROWS)
    assert not missing


# -- docs/commands.md -----------------------------------------------------------------


def help_commands() -> list[str]:
    """The command names `sync-order-list --help` lists."""
    result = CliRunner().invoke(cli, ["--help"], prog_name="sync-order-list")
    assert result.exit_code == 0, result.output
    section = result.output.split("Commands:", 1)[1]
    return [line.split()[0] for line in section.splitlines() if line.strip()]


def sections(path: Path) -> dict[str, str]:
    """`## `sync-order-list NAME`` heading -> the text up to the next ## heading."""
    text = path.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    out: dict[str, str] = {}
    for part in parts[1:]:
        title, _, body = part.partition("\n")
        match = re.fullmatch(r"`sync-order-list ([a-z -]+?)`.*", title.strip())
        if match:
            out[match.group(1)] = body
    return out


COMMANDS_MD = DOCS / "commands.md"


def test_help_lists_the_commands_we_expect() -> None:
    names = help_commands()
    assert {"sync", "merge", "init-db", "check", "doctor", "report", "emulator"} <= set(names)


@pytest.mark.parametrize("name", help_commands())
def test_every_command_has_a_section_with_its_options(name: str) -> None:
    documented = sections(COMMANDS_MD)
    command = cli.commands[name]
    if isinstance(command, click.Group):
        for sub_name in command.commands:
            assert f"{name} {sub_name}" in documented, f"no section for `{name} {sub_name}`"
        return
    assert name in documented, f"docs/commands.md has no `## `sync-order-list {name}`` section"
    body = documented[name]
    for param in command.params:
        if not isinstance(param, click.Option) or param.name in COMMON_OPTIONS:
            continue
        if param.name == "help":
            continue
        flag = max(param.opts, key=len)
        assert f"`{flag}" in body, f"`{name}` section does not document {flag}"
    for param in command.params:
        if isinstance(param, click.Argument):
            assert param.make_metavar(click.Context(command)) in body


def test_common_options_are_documented() -> None:
    text = COMMANDS_MD.read_text(encoding="utf-8")
    for param in cli.commands["sync"].params:
        if isinstance(param, click.Option) and param.name in COMMON_OPTIONS:
            for flag in param.opts:
                assert f"`{flag}" in text, flag


def test_emulator_serve_options_are_documented() -> None:
    body = sections(COMMANDS_MD)["emulator serve"]
    parser = build_parser()
    subcommands = next(action for action in parser._actions if action.dest == "command")
    serve = subcommands.choices["serve"]  # type: ignore[index]
    for action in serve._actions:
        long = [o for o in action.option_strings if o.startswith("--")]
        if long and long[0] != "--help":
            assert f"`{long[0]}" in body, long[0]
