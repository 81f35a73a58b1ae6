"""``check``: a health check for cron, Airflow and Kubernetes.

Exit codes: 0 healthy; 1 at least one problem (one line each on stdout); 2 cannot check
(configuration, no database, database unreachable, tables missing; one line on stderr).
Reads only, on a read-only connection. See docs/reports-and-monitoring.md.
"""

from __future__ import annotations

import sys

import click

from sync_order_list.cli.context import CliState, common_options, pass_state
from sync_order_list.errors import SyncOrderListError
from sync_order_list.logs import redact
from sync_order_list.report.health import EXIT_CANNOT_CHECK, check_health
from sync_order_list.report.readonly import read_only_engine, reading
from sync_order_list.report.reports import redact_values, register_config_secrets


@click.command("check")
@common_options
@pass_state
def check_command(state: CliState) -> None:
    """Exit 0 when healthy, 1 with one line per problem, 2 when it cannot check.

    Problems: rows PENDING or in flight for too long, too many rows in ERROR, the last
    run failed or died ([monitoring] in the config sets the limits).
    """
    try:
        cfg = state.config()
        register_config_secrets(cfg)
        engine = read_only_engine(cfg.database_url)
        try:
            report = reading(
                engine,
                lambda: check_health(engine, cfg),
                what="read the database",
                url=cfg.database_url,
            )
        finally:
            engine.dispose()
    except SyncOrderListError as exc:
        message = redact(" ".join(str(exc).split()))
        if state.output_json:
            state.emit_json({"healthy": False, "exit_code": EXIT_CANNOT_CHECK, "error": message})
        else:
            click.echo(f"error: cannot check: {message}", err=True)
        sys.exit(EXIT_CANNOT_CHECK)

    if state.output_json:
        state.emit_json(redact_values(report.as_dict()))
    elif report.problems:
        for problem in report.problems:
            click.echo(redact(problem.line()))
    elif not state.quiet:
        click.echo(redact(report.summary()))
    sys.exit(report.exit_code)
