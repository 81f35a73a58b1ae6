"""Helpers for the report tests: real runs, a table dump, Markdown and HTML parsers."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner, Result
from sqlalchemy import Engine, MetaData, Table, select, text

from monday_emulator import ThreadedEmulator
from sync_order_list.cli.check_commands import check_command
from sync_order_list.cli.context import CliState
from sync_order_list.cli.report_commands import report_command
from sync_order_list.config import AppConfig
from sync_order_list.db.setup import table_names
from sync_order_list.merge import run_merge
from sync_order_list.sample.generator import generate
from sync_order_list.sync import SyncOptions, SyncReport, run_sync
from tests.conftest import Database, make_config

TOKEN = "dev-token-123-report-tests"
KEY = "AAG ORDER NUMBER"


@dataclass
class Pipeline:
    """A database and a config pointing at the emulator, reports and metrics in tmp."""

    db: Database
    emulator: ThreadedEmulator
    cfg: AppConfig
    tmp: Path
    reports: list[SyncReport] = field(default_factory=list)

    @classmethod
    def create(cls, db: Database, emulator: ThreadedEmulator, tmp: Path, **update: Any) -> Pipeline:
        cfg = config_for(db, emulator, tmp, **update)
        return cls(db, emulator, cfg, tmp)

    @property
    def engine(self) -> Engine:
        return self.db.engine

    @property
    def reports_dir(self) -> Path:
        return Path(self.cfg.settings.reports.directory)

    @property
    def metrics_file(self) -> Path:
        return Path(str(self.cfg.settings.monitoring.metrics_file))

    def q(self, name: str) -> str:
        """A quoted, schema-qualified table name for raw SQL in tests."""
        prep = self.engine.dialect.identifier_preparer
        schema = self.cfg.env.db_schema
        quoted = prep.quote_identifier(name)
        return f"{prep.quote_identifier(schema)}.{quoted}" if schema else quoted

    def load(
        self, orders: int = 12, seed: int = 1, bogus: int = 0, **column_values: str
    ) -> list[str]:
        """Stage ``orders`` sample orders; the first ``bogus`` get an unknown ORDER TYPE
        (so the planner puts them in ERROR). Returns the staged keys in order."""
        generate(self.engine, self.cfg, orders=orders, seed=seed)
        src = self.q(self.cfg.env.source_table)
        with self.engine.begin() as conn:
            keys = [r[0] for r in conn.execute(text(f'SELECT "{KEY}" FROM {src} ORDER BY "{KEY}"'))]
            for key in keys[:bogus]:
                conn.execute(
                    text(f'UPDATE {src} SET "ORDER TYPE" = :v WHERE "{KEY}" = :k'),
                    {"v": "NO-SUCH-TYPE", "k": key},
                )
            for column, value in column_values.items():
                conn.execute(
                    text(f'UPDATE {src} SET "{column}" = :v WHERE "{KEY}" = :k'),
                    {"v": value, "k": keys[-1]},
                )
        return keys

    def sync(self, **options: Any) -> SyncReport:
        merge = run_merge(self.engine, self.cfg)
        report = asyncio.run(run_sync(self.engine, self.cfg, SyncOptions(**options), merge=merge))
        self.reports.append(report)
        return report

    def run(self, orders: int = 12, bogus: int = 0) -> SyncReport:
        self.load(orders=orders, bogus=bogus)
        return self.sync()

    def cli(self, *args: str, cfg: AppConfig | None = None) -> Result:
        return invoke(cfg or self.cfg, *args)


def config_for(db: Database, emulator: ThreadedEmulator, tmp: Path, **update: Any) -> AppConfig:
    settings_update: dict[str, Any] = {
        "reports": {"directory": str(tmp / "reports")},
        "monitoring": {"metrics_file": str(tmp / "metrics" / "sync_order_list.prom")},
    }
    for key, value in update.items():
        settings_update.setdefault(key, {}).update(value)
    return make_config(
        db.cfg.database_url,
        schema=db.cfg.env.db_schema,
        settings_update=settings_update,
        environ={"MONDAY_API_TOKEN": TOKEN, "MONDAY_API_URL": emulator.url},
    )


def plain_config(tmp: Path, **update: Any) -> AppConfig:
    """The shipped config with reports and metrics under ``tmp``; no database needed."""
    settings_update: dict[str, Any] = {
        "reports": {"directory": str(tmp / "reports")},
        "monitoring": {"metrics_file": str(tmp / "metrics" / "sync_order_list.prom")},
    }
    for key, value in update.items():
        settings_update.setdefault(key, {}).update(value)
    return make_config(
        f"sqlite:///{tmp / 'unused.db'}",
        settings_update=settings_update,
        environ={"MONDAY_API_TOKEN": TOKEN},
    )


# --------------------------------------------------------------------------- CLI


@click.group()
@click.pass_context
def tiny_cli(ctx: click.Context) -> None:
    """The two commands, as the real CLI will register them."""
    ctx.ensure_object(CliState)


tiny_cli.add_command(report_command)
tiny_cli.add_command(check_command)


def invoke(cfg: AppConfig, *args: str) -> Result:
    state = CliState()
    state._config = cfg  # what --config/--env/--db would have loaded
    return CliRunner().invoke(tiny_cli, list(args), obj=state, catch_exceptions=True)


def assert_clean_failure(result: Result, code: int = 2, *, contains: str = "") -> str:
    """A non-zero exit with exactly one line on stderr and no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert contains in lines[0], lines[0]
    return lines[0]


# --------------------------------------------------------------------------- database


def dump_tables(pipe: Pipeline) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the tool reads, in a stable order."""
    names = table_names(pipe.cfg)
    md = MetaData(schema=names.schema)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with pipe.engine.connect() as conn:
        for name in (names.target, names.lines, names.groups, names.runs, names.api_log):
            table = Table(name, md, autoload_with=conn)
            rows = conn.execute(select(table)).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


# --------------------------------------------------------------------------- Markdown


def md_tables(text_: str) -> dict[str, list[dict[str, str]]]:
    """Tables by the heading above them (``""`` before the first ``##``), as dicts."""
    out: dict[str, list[dict[str, str]]] = {}
    heading = ""
    lines = text_.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            heading = line[3:].strip()
        if line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-:|]+\|$", lines[i + 1]):
            headers = md_cells(line)
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(dict(zip(headers, md_cells(lines[i]), strict=True)))
                i += 1
            out[heading] = rows
            continue
        i += 1
    return out


def md_cells(line: str) -> list[str]:
    cells, cur, escaped = [], "", False
    for ch in line.strip()[1:]:
        if escaped:
            cur += ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return cells


# --------------------------------------------------------------------------- HTML


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    parents: list[str]
    text: str = ""


class Page(HTMLParser):
    """Every element with its attributes, text and ancestors' ids/tags."""

    VOID = {"meta", "link", "br", "img", "input", "hr", "wbr", "col", "source"}

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(
            tag, {k: v or "" for k, v in attrs}, [p.attrs.get("id", p.tag) for p in self.stack]
        )
        self.elements.append(el)
        if tag not in self.VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(
            Element(
                tag, {k: v or "" for k, v in attrs}, [p.attrs.get("id", p.tag) for p in self.stack]
            )
        )

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            el = self.stack.pop()
            if el.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for el in self.stack:
            el.text += data

    def find(
        self, tag: str | None = None, within: str | None = None, **attrs: str
    ) -> list[Element]:
        out = []
        for el in self.elements:
            if tag and el.tag != tag:
                continue
            if within and within not in el.parents and el.attrs.get("id") != within:
                continue
            if all(el.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(el)
        return out

    def by_id(self, id_: str) -> Element:
        found = [el for el in self.elements if el.attrs.get("id") == id_]
        assert len(found) == 1, f"{len(found)} elements with id {id_!r}"
        return found[0]
