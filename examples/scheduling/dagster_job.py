"""Dagster: sync the orders to monday.com every 10 minutes, then check the health.

Load it with ``dagster dev -f dagster_job.py`` (or reference it from your code
location). The schedule starts stopped: turn it on in the UI.

Each op runs the sync-order-list command line in a subprocess and reads its exit code
(docs/commands.md):

- 0: all done -> the op succeeds;
- 1: the command ran, but some rows need a person (rows in ERROR, staging rows the
  merge left out, or ``check`` found a problem) -> the op fails with ``Failure``, not
  retried: retrying now would not fix them;
- 2 (or the process was killed): the command could not run (configuration, database
  or monday unreachable, token refused, ...) -> ``RetryRequested``, with a pause.

Runs of this job carry the tag ``sync-order-list``; limit it to one run at a time in
``dagster.yaml`` (see docs/scheduling.md). The secrets come from ``SYNC_HOME/.env``
(the tool reads ``.env`` from its working directory) or the environment.
"""

from __future__ import annotations

import json
import os
import subprocess

from dagster import (
    Definitions,
    Failure,
    In,
    Nothing,
    OpExecutionContext,
    RetryRequested,
    ScheduleDefinition,
    job,
    op,
)

SYNC_HOME = "/opt/sync-order-list"  # the install: .venv/ and .env
ENVIRONMENT = "production"
SYNC_COMMAND = ["sync-order-list", "sync", "--env", ENVIRONMENT, "--execute", "--json"]
CHECK_COMMAND = ["sync-order-list", "check", "--env", ENVIRONMENT, "--json"]
EXIT_ROWS_NEED_A_PERSON = 1


def run_cli(context: OpExecutionContext, command: list[str], *, retries: int) -> str:
    """Run one sync-order-list command; return its stdout, or raise by exit code."""
    env = {**os.environ, "PATH": f"{SYNC_HOME}/.venv/bin:{os.environ.get('PATH', '')}"}
    context.log.info("running: " + " ".join(command))
    completed = subprocess.run(
        command, cwd=SYNC_HOME, env=env, capture_output=True, text=True, check=False
    )
    if completed.stderr:
        context.log.warning(completed.stderr[-10_000:])
    code = completed.returncode
    if code == 0:
        return completed.stdout
    error = Failure(
        description=f"`{' '.join(command)}` exited {code}",
        metadata={"exit_code": code, "stdout": completed.stdout[-10_000:]},
    )
    if code == EXIT_ROWS_NEED_A_PERSON:
        raise error
    raise RetryRequested(max_retries=retries, seconds_to_wait=120) from error


@op(description="Merge the staging table and sync the pending orders to monday.com.")
def sync_orders(context: OpExecutionContext) -> None:
    report = json.loads(run_cli(context, SYNC_COMMAND, retries=3))
    context.log.info(
        f"run {report['run_id']}: {report['outcome']}, {len(report['errors'])} rows in ERROR"
    )


@op(
    ins={"after_sync": In(Nothing)},
    description="sync-order-list check: rows stuck, errors, failed or dead runs.",
)
def check_health(context: OpExecutionContext) -> None:
    health = json.loads(run_cli(context, CHECK_COMMAND, retries=2))
    context.log.info(f"healthy: {health['healthy']}")


@job(tags={"sync-order-list": ENVIRONMENT})
def sync_order_list() -> None:
    check_health(after_sync=sync_orders())


sync_every_10_minutes = ScheduleDefinition(
    job=sync_order_list,
    cron_schedule="*/10 * * * *",
    execution_timezone="UTC",
)

defs = Definitions(jobs=[sync_order_list], schedules=[sync_every_10_minutes])
