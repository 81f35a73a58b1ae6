"""``sync-order-list doctor``: check configuration, database and board; change nothing."""

from __future__ import annotations

import sys

import click

from sync_order_list.cli.context import CliState, common_options, handle_errors, pass_state
from sync_order_list.doctor import EXIT_CANNOT_RUN, run_doctor
from sync_order_list.errors import ConfigError


@click.command("doctor")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too (for CI).")
@common_options
@pass_state
@handle_errors
def doctor_command(state: CliState, strict: bool) -> None:
    """Check the configuration, the database and the monday board before a sync.

    Lists every problem with the configuration key to change. Reads only: writes
    nothing to the database or the board.

    Exit codes: 0 no errors (warnings allowed unless --strict), 1 errors found,
    2 the doctor could not run (no or invalid configuration).
    """
    try:
        cfg = state.config(strict=False)
    except ConfigError as exc:
        if state.output_json:
            state.emit_json({"ok": False, "exit_code": EXIT_CANNOT_RUN, "error": str(exc)})
            sys.exit(EXIT_CANNOT_RUN)
        raise
    report = run_doctor(cfg)
    state.say(f"doctor: environment {cfg.env_name!r} ({cfg.path})", markup=False)
    for note in report.notes:
        state.say(f"  ok: {note}", markup=False)
    if report.findings and state.console.is_terminal:
        state.say(report.table())
    elif report.findings:  # a file or a pipe: plain lines, no squeezed table
        for line in report.lines():
            state.say(line, markup=False)
    state.say(report.summary(), markup=False)
    state.emit_json(report.as_dict(strict=strict))
    sys.exit(report.exit_code(strict=strict))
