"""Prometheus metrics: the text format (checked by a strict parser of our own), the
numbers of the run, counters across runs, the atomic write."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import text

from sync_order_list.config import AppConfig
from sync_order_list.report.metrics import MetricsError, render_metrics, write_metrics
from tests.report.support import Pipeline

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


@dataclass
class Family:
    name: str
    type: str = "untyped"
    help: str | None = None
    samples: dict[tuple[tuple[str, str], ...], float] = field(default_factory=dict)


class FormatError(AssertionError):
    pass


def parse_exposition(text: str) -> dict[str, Family]:
    """A strict reader of the text exposition format 0.0.4: HELP/TYPE before the
    samples, one block a family, valid names, escaped label values, float values,
    no duplicate series, a final newline."""
    if not text.endswith("\n"):
        raise FormatError("the exposition must end with a line feed")
    families: dict[str, Family] = {}
    closed: set[str] = set()
    current: str | None = None
    for number, line in enumerate(text[:-1].split("\n"), 1):
        where = f"line {number}: {line!r}"
        if line.startswith("# "):
            parts = line.split(" ", 3)
            if parts[1] not in ("HELP", "TYPE"):
                continue  # a comment
            if len(parts) < 4 or not NAME.fullmatch(parts[2]):
                raise FormatError(f"{where}: bad {parts[1]}")
            name = parts[2]
            if name in closed or (current is not None and current != name and name in families):
                raise FormatError(f"{where}: family {name} is not contiguous")
            fam = families.setdefault(name, Family(name))
            if fam.samples:
                raise FormatError(f"{where}: {parts[1]} after the samples")
            if parts[1] == "TYPE":
                if parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    raise FormatError(f"{where}: unknown type")
                if fam.type != "untyped":
                    raise FormatError(f"{where}: second TYPE")
                fam.type = parts[3]
            else:
                if fam.help is not None:
                    raise FormatError(f"{where}: second HELP")
                fam.help = parts[3]
            if current is not None and current != name:
                closed.add(current)
            current = name
            continue
        if not line.strip():
            raise FormatError(f"{where}: empty line")
        name, labels, rest = _sample(line, where)
        if name not in families or families[name].type == "untyped":
            raise FormatError(f"{where}: sample without a TYPE line")
        if name != current:
            raise FormatError(f"{where}: sample outside its family's block")
        fields = rest.split()
        if len(fields) not in (1, 2):
            raise FormatError(f"{where}: value and optional timestamp expected")
        value = _float(fields[0], where)
        if families[name].type == "counter" and (value < 0 or math.isnan(value)):
            raise FormatError(f"{where}: a counter cannot be negative")
        key = tuple(sorted(labels))
        if key in families[name].samples:
            raise FormatError(f"{where}: duplicate series")
        families[name].samples[key] = value
    return families


def _sample(line: str, where: str) -> tuple[str, list[tuple[str, str]], str]:
    m = NAME.match(line)
    if not m:
        raise FormatError(f"{where}: bad metric name")
    name, i = m.group(0), m.end()
    labels: list[tuple[str, str]] = []
    if i < len(line) and line[i] == "{":
        i += 1
        while True:
            if line[i] == "}":
                i += 1
                break
            lm = LABEL_NAME.match(line, i)
            if not lm or line[lm.end() : lm.end() + 2] != '="':
                raise FormatError(f"{where}: bad label at {i}")
            label, i = lm.group(0), lm.end() + 2
            value = ""
            while line[i] != '"':
                if line[i] == "\\":
                    nxt = line[i + 1]
                    if nxt not in ("\\", '"', "n"):
                        raise FormatError(f"{where}: bad escape \\{nxt}")
                    value += "\n" if nxt == "n" else nxt
                    i += 2
                else:
                    value += line[i]
                    i += 1
            i += 1
            if label in dict(labels):
                raise FormatError(f"{where}: label {label} twice")
            labels.append((label, value))
            if line[i] == ",":
                i += 1
            elif line[i] != "}":
                raise FormatError(f"{where}: , or }} expected at {i}")
    if i >= len(line) or line[i] != " ":
        raise FormatError(f"{where}: a space must follow the series")
    return name, labels, line[i + 1 :]


def _float(text: str, where: str) -> float:
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text)
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise FormatError(f"{where}: bad value {text!r}")
    return float(text)


def value(fams: dict[str, Family], name: str, **labels: str) -> float:
    want = tuple(sorted(labels.items()))
    return fams[f"sync_order_list_{name}"].samples[want]


def test_the_parser_is_strict() -> None:
    good = '# HELP a_total x\n# TYPE a_total counter\na_total{l="q\\"\\\\\\n"} 1\n'
    assert parse_exposition(good)["a_total"].samples == {(("l", 'q"\\\n'),): 1.0}
    for bad in (
        "# TYPE a gauge\na 1",  # no final newline
        "a 1\n",  # no TYPE
        '# TYPE a gauge\na{l="x\\t"} 1\n',  # bad escape
        "# TYPE a gauge\na 1\na 2\n",  # duplicate
        "# TYPE a gauge\n# TYPE b gauge\na 1\n",  # outside its block
        "# TYPE a counter\na -1\n",
        "# TYPE a gauge\na one\n",
    ):
        with pytest.raises(FormatError):
            parse_exposition(bad)


def test_metrics_of_a_real_run(pipeline: Pipeline) -> None:
    run = pipeline.run(orders=12, bogus=2)
    path = write_metrics(run, pipeline.cfg)
    assert path == pipeline.metrics_file
    fams = parse_exposition(path.read_text())
    env = run.environment
    assert all(f.help for f in fams.values())
    assert all(dict(k)["environment"] == env for f in fams.values() for k in f.samples)

    assert value(fams, "last_run_info", environment=env, run_id=run.run_id, outcome="partial") == 1
    for outcome in ("success", "partial", "failed", "nothing"):
        expected = 1 if outcome == "partial" else 0
        assert value(fams, "last_run_outcome", environment=env, outcome=outcome) == expected
    for phase, seconds in run.phases.items():
        got = value(fams, "last_run_phase_duration_seconds", environment=env, phase=phase)
        assert got == pytest.approx(seconds, abs=1e-3)
    assert value(fams, "last_run_duration_seconds", environment=env) == pytest.approx(
        run.seconds, abs=1e-2
    )
    record = run.as_dict()
    for customer, tally in record["customers"].items():
        for action in ("created", "updated", "archived", "subitems_created", "subitems_deleted"):
            labels = {"environment": env, "customer": customer, "action": action}
            assert value(fams, "last_run_rows", **labels) == tally[action]
            if tally[action]:
                assert value(fams, "rows_total", **labels) == tally[action]
        assert value(fams, "last_run_errors", environment=env, customer=customer) == tally["errors"]
    assert value(fams, "last_run_error_rows", environment=env) == 2
    assert sum(fams["sync_order_list_row_errors_total"].samples.values()) == 2
    api = record["api"]
    assert value(fams, "last_run_api_requests", environment=env) == api["requests"]
    assert value(fams, "api_requests_total", environment=env) == api["requests"]
    assert value(fams, "api_complexity_charged_total", environment=env) == api["complexity_charged"]
    assert value(fams, "api_retries_total", environment=env) == api["retries"]
    assert value(fams, "api_rate_limited_total", environment=env) == api["rate_limited"]
    assert value(fams, "runs_total", environment=env, outcome="partial") == 1
    assert "sync_order_list_last_success_timestamp_seconds" not in fams  # never succeeded
    assert fams["sync_order_list_runs_total"].type == "counter"
    assert fams["sync_order_list_last_run_rows"].type == "gauge"

    # the file is world-readable (node-exporter runs as its own user), no temp file left
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]

    # a second run (the two orders fixed) adds to the counters and records the success
    src = pipeline.q(pipeline.cfg.env.source_table)
    with pipeline.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {src} SET \"ORDER TYPE\" = 'BULK' WHERE \"ORDER TYPE\" = 'NO-SUCH-TYPE'")
        )
    again = pipeline.sync()
    assert again.outcome == "success", again.tally.errors
    write_metrics(again, pipeline.cfg)
    fams = parse_exposition(path.read_text())
    assert value(fams, "runs_total", environment=env, outcome="partial") == 1
    assert value(fams, "runs_total", environment=env, outcome=again.outcome) == 1
    both = api["requests"] + again.api["requests"]
    assert value(fams, "api_requests_total", environment=env) == both
    assert again.finished_at is not None
    finished = again.finished_at.replace(tzinfo=UTC).timestamp()
    last_success = value(fams, "last_success_timestamp_seconds", environment=env)
    assert last_success == pytest.approx(finished, abs=1e-3)

    # writing the same run again adds nothing; a later failed run keeps last success
    write_metrics(again, pipeline.cfg)
    assert value(parse_exposition(path.read_text()), "api_requests_total", environment=env) == both
    failed = dict(again.as_dict(), run_id="later-run", outcome="failed")
    write_metrics(failed, pipeline.cfg)
    fams = parse_exposition(path.read_text())
    assert value(fams, "last_success_timestamp_seconds", environment=env) == last_success
    assert value(fams, "runs_total", environment=env, outcome="failed") == 1
    assert value(fams, "last_run_outcome", environment=env, outcome="failed") == 1


def test_label_values_are_escaped_and_unwritable_files_fail_cleanly(
    cfg: AppConfig, tmp_path: Path
) -> None:
    name = 'ACME "North"\\South\nLtd'
    run = {
        "run_id": "r-1",
        "environment": "development",
        "started_at": "2026-01-01T00:00:00",
        "finished_at": "2026-01-01T00:00:02",
        "outcome": "success",
        "phases": {"execute": 2.0},
        "customers": {name: {"orders": 1, "created": 1}},
        "errors": [],
        "api": {"requests": 1},
    }
    fams = parse_exposition(render_metrics(run, cfg))
    labels = {"environment": "development", "customer": name, "action": "created"}
    assert value(fams, "last_run_rows", **labels) == 1

    # nothing configured, or a dry run: nothing written
    no_file = cfg.settings.model_copy(
        update={"monitoring": cfg.settings.monitoring.model_copy(update={"metrics_file": None})}
    )
    assert write_metrics(run, dataclasses.replace(cfg, settings=no_file)) is None
    assert write_metrics(dict(run, dry_run=True), cfg, tmp_path / "x.prom") is None
    assert not (tmp_path / "x.prom").exists()

    # a corrupt previous file: the counters start again, the format stays valid
    target = tmp_path / "m.prom"
    target.write_text("garbage {{{\n")
    write_metrics(run, cfg, target)
    assert (
        value(
            parse_exposition(target.read_text()),
            "runs_total",
            environment="development",
            outcome="success",
        )
        == 1
    )

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(MetricsError, match="cannot write the metrics file") as caught:
        write_metrics(run, cfg, blocker / "m.prom")
    assert isinstance(caught.value, OSError)  # callers catching file errors catch it
