"""The ``sync-order-list`` command line: thin; each command calls the stage modules."""

from __future__ import annotations

import click

from sync_order_list.cli.check_commands import check_command
from sync_order_list.cli.context import CliState
from sync_order_list.cli.db_commands import generate_command, init_db_command, merge_command
from sync_order_list.cli.demo_command import demo_command
from sync_order_list.cli.doctor_command import doctor_command
from sync_order_list.cli.emulator_command import emulator_group
from sync_order_list.cli.report_commands import report_command
from sync_order_list.cli.sync_commands import retry_command, status_command, sync_command
from sync_order_list.cli.verify_command import verify_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="sync-order-list")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Keep a monday.com board in step with the customer orders in a SQL database.

    Exit codes: 0 all done, 1 some rows in ERROR (or not merged), 2 configuration,
    database or connection failure.
    """
    state = ctx.ensure_object(CliState)
    ctx.call_on_close(state.close)


for command in (
    init_db_command,
    generate_command,
    merge_command,
    sync_command,
    retry_command,
    status_command,
    verify_command,
    report_command,
    check_command,
    doctor_command,
    demo_command,
    emulator_group,
):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="sync-order-list")
