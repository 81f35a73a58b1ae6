"""Airflow: sync the orders to monday.com every 10 minutes, then check the health.

Copy this file into the DAGs folder. Written for Airflow 3 with the standard provider
(``apache-airflow-providers-standard``); for Airflow 2.6 or newer import
``BashOperator`` from ``airflow.operators.bash`` and ``DAG`` from ``airflow``.

sync-order-list's exit codes (docs/commands.md) decide what the task does:

- 0: all done -> success;
- 1: the command ran, but some rows need a person (rows in ERROR, staging rows the
  merge left out, or ``check`` found a problem) -> the task fails at once, without
  retries: retrying now would not fix them. The next scheduled sync retries rows in
  ERROR by itself (up to ``[sync] max_error_retries``);
- 2: the command could not run (configuration, database or monday unreachable, token
  refused, ...) -> the task fails and Airflow retries it with backoff.

The secrets (database URL, monday token) come from ``SYNC_HOME/.env`` (the tool reads
``.env`` from its working directory) or from the worker's environment; never from
this file.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.exceptions import AirflowFailException, AirflowSkipException
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

SYNC_HOME = "/opt/sync-order-list"  # the install: .venv/ and .env
ENVIRONMENT = "production"
SYNC_COMMAND = f"sync-order-list sync --env {ENVIRONMENT} --execute --log-format json"
CHECK_COMMAND = f"sync-order-list check --env {ENVIRONMENT} --json"
EXIT_ROWS_NEED_A_PERSON = 1


class SyncOrderListOperator(BashOperator):
    """A BashOperator for one sync-order-list command.

    Exit 1 fails the task at once (no retries), exit 2 fails it with retries. To get
    there, exit 1 is first declared a "skip" code of the BashOperator, and the skip is
    turned into a failure that Airflow does not retry.
    """

    def __init__(self, *, command: str, **kwargs: Any) -> None:
        super().__init__(
            bash_command=command,
            cwd=SYNC_HOME,  # where .env is; the default would be a temporary directory
            env={"PATH": f"{SYNC_HOME}/.venv/bin:/usr/local/bin:/usr/bin:/bin"},
            append_env=True,  # keep the worker's variables (secrets set there)
            skip_on_exit_code=[EXIT_ROWS_NEED_A_PERSON],
            do_xcom_push=False,
            **kwargs,
        )

    def execute(self, context: Any) -> Any:
        try:
            return super().execute(context)
        except AirflowSkipException as exc:
            raise AirflowFailException(
                "sync-order-list exited 1: some rows need a person (see this log, "
                "`sync-order-list status` and `sync-order-list report`); not retried"
            ) from exc


with DAG(
    dag_id="sync_order_list",
    description="Keep the monday.com order board in step with ORDER_LIST",
    schedule="*/10 * * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # never two syncs at once (see docs/scheduling.md)
    dagrun_timeout=timedelta(hours=2),
    default_args={
        "retries": 3,  # exit 2 only: exit 1 is never retried
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
    },
    tags=["sync-order-list", "monday"],
) as dag:
    sync = SyncOrderListOperator(
        task_id="sync",
        command=SYNC_COMMAND,
        execution_timeout=timedelta(minutes=90),
    )
    check = SyncOrderListOperator(
        task_id="check",
        command=CHECK_COMMAND,
        trigger_rule="all_done",  # check the health whatever the sync did
        retries=2,
    )
    sync >> check
