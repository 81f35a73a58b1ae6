"""The scheduling examples are real files that call real commands.

The Airflow and Dagster files are only compiled and parsed, never imported: neither
framework is installed here. Every ``sync-order-list`` command they (and the crontab)
run is parsed by the CLI itself, so a renamed command or option fails this test.
"""

from __future__ import annotations

import ast
import py_compile
import re
import shlex
from pathlib import Path

import click
import pytest

from sync_order_list.cli import cli
from tests.conftest import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples" / "scheduling"
PYTHON_EXAMPLES = {"airflow_dag.py": "airflow", "dagster_job.py": "dagster"}
OPERATORS = {"&&", "||", ";", "|", "&"}
# minute, hour, day of month, month, day of week
CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def parse_cli(args: list[str]) -> tuple[str, click.Context]:
    """Let click parse ``sync-order-list ...`` exactly as the real command would."""
    assert args[0] == "sync-order-list", args
    assert len(args) > 1 and args[1] in cli.commands, f"no command {args[1:2]} in {args}"
    name = args[1]
    command = cli.commands[name]
    try:
        ctx = command.make_context(name, list(args[2:]))
    except click.UsageError as exc:
        raise AssertionError(f"{shlex.join(args)}: {exc.format_message()}") from exc
    return name, ctx


# -- Python examples ------------------------------------------------------------------


def _string_value(node: ast.AST, constants: dict[str, str]) -> str | None:
    """A str constant, a name bound to one, or an f-string made of those."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                inner = _string_value(value.value, constants)
                if inner is None:
                    return None
                parts.append(inner)
            else:
                part = _string_value(value, constants)
                if part is None:
                    return None
                parts.append(part)
        return "".join(parts)
    return None


def commands_in(tree: ast.Module) -> list[list[str]]:
    """The command lines a module runs: its module-level ``*_COMMAND`` constants, each a
    string (``"sync-order-list sync ..."``) or a list of strings, f-strings of other
    constants included. Each must be used somewhere in the module."""
    constants: dict[str, str] = {}
    commands: dict[str, list[str]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name):
            continue
        value = _string_value(node.value, constants)
        if value is not None:
            constants[target.id] = value
        if not target.id.endswith("COMMAND"):
            continue
        if value is not None:
            commands[target.id] = shlex.split(value)
        elif isinstance(node.value, ast.List | ast.Tuple):
            items = [_string_value(e, constants) for e in node.value.elts]
            assert all(i is not None for i in items), ast.unparse(node)
            commands[target.id] = [i for i in items if i is not None]
        else:
            raise AssertionError(f"cannot read {ast.unparse(node)}")
    used = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    unused = sorted(set(commands) - used)
    assert not unused, f"defined but never run: {unused}"
    return list(commands.values())


@pytest.mark.parametrize("name", sorted(PYTHON_EXAMPLES))
def test_python_example_compiles(name: str, tmp_path: Path) -> None:
    path = EXAMPLES / name
    py_compile.compile(str(path), cfile=str(tmp_path / "out.pyc"), doraise=True)


@pytest.mark.parametrize(("name", "framework"), sorted(PYTHON_EXAMPLES.items()))
def test_python_example_imports_its_framework_at_the_top(name: str, framework: str) -> None:
    tree = ast.parse((EXAMPLES / name).read_text(encoding="utf-8"))
    modules = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert any(m and m.split(".")[0] == framework for m in modules), modules
    guarded = [node for node in tree.body if isinstance(node, ast.Try | ast.If)]
    assert not guarded, "real DAG/job files import their framework unguarded"


@pytest.mark.parametrize("name", sorted(PYTHON_EXAMPLES))
def test_python_example_runs_sync_then_check_with_real_options(name: str) -> None:
    tree = ast.parse((EXAMPLES / name).read_text(encoding="utf-8"))
    commands = commands_in(tree)
    names = [parse_cli(args)[0] for args in commands]
    assert names == ["sync", "check"], commands


def test_airflow_example_uses_bash_operator_and_the_exit_codes() -> None:
    source = (EXAMPLES / "airflow_dag.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    bases = [
        ast.unparse(base)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for base in node.bases
    ]
    assert "BashOperator" in bases
    assert "skip_on_exit_code" in source and "AirflowFailException" in source
    assert ">>" in source  # sync >> check


def test_dagster_example_has_ops_a_job_and_a_schedule() -> None:
    source = (EXAMPLES / "dagster_job.py").read_text(encoding="utf-8")
    for name in ("@op", "@job", "ScheduleDefinition", "Definitions", "subprocess.run"):
        assert name in source, name
    assert "RetryRequested" in source and "Failure" in source


# -- crontab --------------------------------------------------------------------------

CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")


def cron_entries(text: str) -> list[tuple[list[str], str]]:
    """(five time fields, command) of every job line; variables and comments skipped."""
    entries = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", line):
            continue  # an environment assignment
        fields = line.split(None, 5)
        assert len(fields) == 6, f"not a crontab job line: {raw}"
        entries.append((fields[:5], fields[5]))
    return entries


def check_cron_fields(fields: list[str]) -> None:
    for field, (low, high) in zip(fields, CRON_RANGES, strict=True):
        assert CRON_FIELD.match(field), f"bad cron field {field!r}"
        for number in re.findall(r"\d+", field.split("/")[0]):
            assert low <= int(number) <= high, f"{field!r} is out of {low}-{high}"


def cli_calls(command: str) -> list[list[str]]:
    """The sync-order-list invocations of a shell command line (after cd, flock, ...)."""
    assert "%" not in command, "cron turns % into a newline"
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    assert not any(t.startswith((">", "<")) for t in tokens), "keep the examples simple"
    calls, segment = [], []
    for token in [*tokens, ";"]:
        if token in OPERATORS:
            if "sync-order-list" in segment:
                calls.append(segment[segment.index("sync-order-list") :])
            segment = []
        else:
            segment.append(token)
    return calls


def test_crontab_lines_call_real_commands_with_real_options() -> None:
    entries = cron_entries((EXAMPLES / "crontab").read_text(encoding="utf-8"))
    assert entries
    by_command: dict[str, tuple[list[str], str]] = {}
    for fields, command in entries:
        check_cron_fields(fields)
        calls = cli_calls(command)
        assert calls, f"no sync-order-list call in: {command}"
        for args in calls:
            name, _ = parse_cli(args)
            by_command[name] = (fields, command)
    assert {"sync", "check"} <= set(by_command)
    sync_fields, sync_line = by_command["sync"]
    assert "flock -n" in sync_line, "the sync runs under flock"
    check_fields, _ = by_command["check"]
    assert check_fields[0] == "*/15" and check_fields[1:] == ["*"] * 4, "check every 15 min"


def test_the_parsers_catch_mistakes() -> None:
    with pytest.raises(AssertionError, match="(?i)no such option"):
        parse_cli(["sync-order-list", "sync", "--exeucte"])
    with pytest.raises(AssertionError, match="no command"):
        parse_cli(["sync-order-list", "synch"])
    with pytest.raises(AssertionError):
        check_cron_fields(["*/15", "25", "*", "*", "*"])
    assert cli_calls("cd /x && flock -n /l sync-order-list sync -q; echo done") == [
        ["sync-order-list", "sync", "-q"]
    ]
    source = 'A = "prod"\nX_COMMAND = f"sync-order-list check --env {A}"\nrun(X_COMMAND)\n'
    assert commands_in(ast.parse(source)) == [["sync-order-list", "check", "--env", "prod"]]
    with pytest.raises(AssertionError, match="never run"):
        commands_in(ast.parse('Y_COMMAND = ["sync-order-list", "sync"]\n'))
