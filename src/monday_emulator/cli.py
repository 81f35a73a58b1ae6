"""``monday-emulator serve --host H --port P [--token T] [--state FILE]
[--boards SPEC.json] [--no-demo] [--settings key=value ...]``"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from .server import EmulatorServer
from .settings import EmulatorSettings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monday-emulator", description="A local monday.com GraphQL API server."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the emulator until SIGTERM/SIGINT")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    serve.add_argument("--token", default=None, help="API token to accept (default dev-token)")
    serve.add_argument("--state", default=None, help="SQLite file to keep state in")
    serve.add_argument("--boards", default=None, help="board spec JSON to load at start")
    serve.add_argument(
        "--no-demo", action="store_true", help="start empty when --boards is not given"
    )
    serve.add_argument(
        "--settings",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="settings, e.g. requests_per_minute=100 faults.error_rate=0.1",
    )
    serve.add_argument("--log-level", default="WARNING")
    return parser


async def _serve(server: EmulatorServer) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(f"monday emulator listening on {server.url}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    try:
        settings = EmulatorSettings.from_pairs(args.settings)
    except ValueError as exc:
        print(f"monday-emulator: {exc}", file=sys.stderr)
        return 2
    if args.token:
        settings.token = args.token
    server = EmulatorServer(
        settings,
        host=args.host,
        port=args.port,
        boards=args.boards,
        load_demo=not args.no_demo,
        state_file=args.state,
    )
    try:
        asyncio.run(_serve(server))
    except OSError as exc:
        print(f"monday-emulator: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
