"""The operations docs say what the commands do.

- quickstart.md shows exactly what ``emulator serve`` prints;
- the protected commands listed in commands.md and configuration.md are the commands
  that take ``--execute``;
- every ``check`` code the rules can raise, and every ``verify`` difference, is
  documented;
- ``demo --json`` prints what commands.md says it prints;
- the README's command table has every command.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sync_order_list.cli import cli
from sync_order_list.cli.context import CliState
from sync_order_list.report import health_rules
from sync_order_list.verify import KINDS
from tests.conftest import CONFIG_PATH, REPO_ROOT
from tests.docs.test_docs_configuration import COMMANDS_MD, DOCS, help_commands, sections

README = REPO_ROOT / "README.md"


def section(path: Path, heading: str) -> str:
    """The text under ``## heading`` (up to the next ## heading)."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 4)
    return text[start : end if end != -1 else None]


def test_the_quickstart_shows_what_emulator_serve_prints() -> None:
    text = (DOCS / "quickstart.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    serve = next(
        i
        for i, b in enumerate(blocks)
        if b.strip().startswith(".venv/bin/sync-order-list emulator")
    )
    command = [ln.strip() for ln in blocks[serve].splitlines() if ln.strip()]
    assert len(command) == 1, "the command's block holds the command only"
    claimed = [ln.strip() for ln in blocks[serve + 1].splitlines() if ln.strip()]

    script = Path(sys.executable).with_name("sync-order-list")
    proc = subprocess.Popen(
        [str(script), "emulator", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        printed = proc.stdout.readline().strip() if proc.stdout else ""
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    port = re.search(r":(\d+)/v2", printed)
    assert port, printed
    assert claimed == [printed.replace(port.group(1), "8765")]


def execute_commands() -> set[str]:
    """Commands that take --execute (the ones that write)."""
    out = set()
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            continue
        if any(isinstance(p, click.Option) and "--execute" in p.opts for p in command.params):
            out.add(name)
    return out


def test_the_protected_commands_are_the_ones_that_take_execute() -> None:
    writers = execute_commands()
    assert writers == {"init-db", "generate", "merge", "sync", "retry", "verify"}
    documented = section(COMMANDS_MD, "Protected environments").split("\n\n")[1]
    named = set(re.findall(r"`([a-z-]+)(?: --repair)?`", documented))
    assert writers <= named, writers - named
    assert "`verify --repair`" in documented
    config = (DOCS / "configuration.md").read_text(encoding="utf-8")
    row = next(
        ln for ln in config.splitlines() if ln.startswith("| `environments.<name>.protected`")
    )
    for name in writers:
        assert f"`{name}" in row, name
    for name in writers - {"init-db", "generate", "merge"}:
        assert "--execute" in sections(COMMANDS_MD)[name], name


def check_codes() -> set[str]:
    source = inspect.getsource(health_rules)
    return set(re.findall(r'Problem\(\s*"([a-z_]+)"', source))


def test_every_check_code_is_documented() -> None:
    codes = check_codes()
    assert {"rows_in_error", "rejected_rows", "board_drift", "verify_stale"} <= codes
    check = sections(COMMANDS_MD)["check"]
    monitoring = section(
        DOCS / "reports-and-monitoring.md", "Health check: `sync-order-list check`"
    )
    for code in codes:
        assert f"`{code}`" in check, code
        assert f"| `{code}` |" in monitoring, code
        assert f"``{code}``" in (health_rules.__doc__ or ""), code


def test_every_verify_difference_is_documented() -> None:
    body = sections(COMMANDS_MD)["verify"]
    for kind in KINDS:
        assert f"`{kind}`" in body, kind
    assert "Exit codes: `0`" in body and "`1`" in body and "`2`" in body


@pytest.mark.slow
def test_demo_json_prints_what_the_docs_say(tmp_path: Path) -> None:
    state = CliState()
    result = CliRunner().invoke(
        cli,
        [
            "demo",
            "--config",
            str(CONFIG_PATH),
            "--orders",
            "2",
            "--json",
            "--workdir",
            str(tmp_path),
        ],
        obj=state,
        env={"SYNC_ORDER_LIST_ENV": "development"},
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    body = sections(COMMANDS_MD)["demo"]
    for key in data:
        assert f'"{key}"' in body, key
    assert "prints no JSON" not in body


def test_the_readme_lists_every_command() -> None:
    table = section(README, "Commands")
    for name in help_commands():
        if name == "emulator":
            assert "`sync-order-list emulator serve`" in table
            continue
        assert f"`sync-order-list {name}" in table, name
