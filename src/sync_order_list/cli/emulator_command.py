"""``sync-order-list emulator serve``: the local monday.com API (same as ``monday-emulator``)."""

from __future__ import annotations

import sys

import click


@click.group("emulator")
def emulator_group() -> None:
    """The local monday.com API emulator (demo, tests, benchmarks)."""


@emulator_group.command(
    "serve",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def serve_command(ctx: click.Context) -> None:
    """Serve the emulator: --port P [--token T] [--state FILE] [--boards SPEC] ..."""
    from monday_emulator.cli import main

    sys.exit(main(["serve", *ctx.args]))
