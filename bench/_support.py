"""What the benchmarks share: the emulator in a process of its own, the shipped config.

Benchmarks import this as ``_support`` (``python bench/x.py`` puts ``bench/`` on the
path); they never import the test suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CONFIG_PATH = REPO / "configs" / "sync_order_list.toml"
TOKEN = "bench-token-0123456789"
BUDGET = 10_000_000  # monday's complexity budget, points a window
WINDOW = 60.0  # seconds


def monday_rules(speed: float, latency_ms: float) -> list[str]:
    """Emulator settings for monday's writer rules: its budget and window, the board
    lock, the 60 s call cut; the clock ``speed`` times faster, latency scaled with it."""
    return [
        f"complexity_budget={BUDGET}",
        f"window_seconds={WINDOW}",
        f"clock_speed={speed}",
        "board_lock=423",
        "call_timeout_seconds=60",
        f"faults.latency_ms={latency_ms / speed}",
    ]


class Emulator:
    """The emulator in a process of its own (it must not share the client's GIL)."""

    def __init__(self, settings: Iterable[str] = (), token: str = TOKEN) -> None:
        self.token = token
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "monday_emulator",
                "serve",
                "--port",
                "0",
                "--token",
                token,
                "--settings",
                *settings,
            ],  # fmt: skip
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if "listening on" not in line:
            self.proc.kill()
            raise RuntimeError(f"emulator did not start: {line!r}")
        self.url = line.strip().rsplit(" ", 1)[-1]
        self.admin = self.url.rsplit("/", 1)[0] + "/admin"

    def post(self, path: str, payload: Any) -> Any:
        request = urllib.request.Request(
            self.admin + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.admin + path, timeout=60) as response:
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        return self.get("/stats")

    def reset(self) -> None:
        self.post("/reset", {"demo": True})
        self.post("/limits/reset", {})
        self.post("/stats/reset", {})

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def items_by_key(board: dict[str, Any], key_column: str) -> dict[str, list[dict[str, Any]]]:
    """Active items of an admin board dump, by the text of the business-key column."""
    out: dict[str, list[dict[str, Any]]] = {}
    for item in board.get("items", []):
        if item.get("state", "active") != "active":
            continue
        key = (item.get("column_values", {}).get(key_column) or {}).get("text")
        out.setdefault(str(key), []).append(item)
    return out


def cli_config(tmp: Path, replacements: dict[str, str], schema: str | None = None) -> Path:
    """The shipped config with some lines replaced, written for CLI processes."""
    text = CONFIG_PATH.read_text(encoding="utf-8")
    for old, new in replacements.items():
        if old not in text:
            raise KeyError(f"{old!r} is not in the shipped config")
        text = text.replace(old, new)
    if schema:
        text = text.replace(
            "[environments.development]\n", f'[environments.development]\nschema = "{schema}"\n', 1
        )
    path = tmp / "bench.toml"
    path.write_text(text, encoding="utf-8")
    return path
