"""The business key rule (merge/keys.py), and the same rule in each dialect's SQL.

The SQL of SQLite and PostgreSQL runs for real over a table of tricky keys and must
give exactly what the Python function gives. SQL Server's rendering cannot run here:
it is parsed with sqlglot and the parsed expression is evaluated by a small
interpreter of the functions it uses, which checks the rendering (TRANSLATE, the
space-collapsing REPLACEs, TRIM, the case) but not SQL Server's collations.
"""

from __future__ import annotations

import typing
import unicodedata
from typing import Any

import pytest
import sqlglot
from sqlalchemy import Column, Integer, MetaData, Table, UnicodeText, insert, text
from sqlalchemy.dialects import mssql

from sync_order_list.config.models import MergeSettings
from sync_order_list.db.templates import SqlDialect, render_macro
from sync_order_list.errors import ConfigError
from sync_order_list.merge.keys import (
    KEY_CASES,
    SPACE_RANGES,
    is_canonical,
    key_match_form,
    normalise_key,
    space_characters,
)
from tests.conftest import CONFIG_PATH, Database

TRICKY = [
    "  X-PAD  ",
    "X-TRAIL ",
    " X-LEAD",
    "a\tb",
    "a\r\nb",
    "a\nb\n",
    "a   b",
    "a \t \r\n b",
    "x-casekey",
    "X-CASEKEY",
    "café-1",
    "\u00a0K\u00a0",
    "K\u2003M\u3000",
    "a\u2028b\u2029c",
    "a\x0bb\x0cc",
    "a\x01b\x1fc",
    "a\x7fb\x85c\x9fd",
    "a\u200bb",  # a zero-width space is not whitespace: kept
    "   ",
    "",
    "\t\r\n",
    "\u00a0",
    "straße-ß",
    "ǆ-ǅ-Ǆ",
    "İ-ı-i",
    "ᾳ-ΐ",
    "ΟΔΟΣ σς",
    "O'Brien; DROP TABLE x; --",
    "%s %(x)s :now \\:",
    "K\nNL",
]


# -- the rule in Python ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("  X-PAD  ", "X-PAD"),
        ("X-TRAIL ", "X-TRAIL"),
        ("a\tb", "A B"),
        ("a\r\nb", "A B"),
        ("a   b", "A B"),
        (" a \t\n b ", "A B"),
        ("x-casekey", "X-CASEKEY"),
        ("café-1", "CAFÉ-1"),
        ("\u00a0K\u00a0", "K"),
        ("K\nNL", "K NL"),
        ("a\x00b", "A B"),
        ("a\x85b", "A B"),
        ("a\u202fb", "A B"),
        ("a\u200bb", "A\u200bB"),
        ("straße", "STRAßE"),  # one letter to one, as SQL's UPPER
        ("ᾳ", "ᾼ"),  # the simple mapping, not Python's full one ("ΑΙ")
        ("   ", None),
        ("", None),
        ("\t\r\n\u00a0", None),
        (None, None),
        (12345, "12345"),
    ],
)
def test_normalise_key_upper(raw: Any, want: str | None) -> None:
    assert normalise_key(raw) == want
    assert normalise_key(raw, "upper") == want


def test_case_rules() -> None:
    assert normalise_key("  Ab-Cd ", "lower") == "ab-cd"
    assert normalise_key("  Ab-Cd ", "preserve") == "Ab-Cd"
    assert normalise_key("İ", "lower") == "i"  # simple mapping, not "i̇"
    assert normalise_key("ΟΔΟΣ", "lower") == "οδοσ"  # no final-sigma rule, as SQL
    with pytest.raises(ValueError, match="unknown key case"):
        normalise_key("a", "title")  # type: ignore[arg-type]


@pytest.mark.parametrize("case", KEY_CASES)
@pytest.mark.parametrize("raw", TRICKY)
def test_the_rule_is_idempotent_and_leaves_no_space_to_store_differently(
    raw: str, case: Any
) -> None:
    key = normalise_key(raw, case)
    if key is None:
        return
    assert normalise_key(key, case) == key and is_canonical(key, case)
    assert key == key.strip() and "  " not in key
    assert not any(c in key for c in space_characters())


def test_space_characters_are_whitespace_or_controls() -> None:
    chars = space_characters()
    assert len(chars) == len(set(chars)) == 83 and " " not in chars
    for c in chars:
        assert c.isspace() or unicodedata.category(c) == "Cc", hex(ord(c))
    # every whitespace character Python knows is covered
    every = {chr(c) for c in range(0x110000) if chr(c).isspace()} - {" "}
    assert every <= set(chars)
    assert SPACE_RANGES[0] == (0, 0x20)


def test_match_form_is_what_monday_compares() -> None:
    assert key_match_form("X-CASEKEY") == key_match_form("x-casekey")
    assert key_match_form(" X-PAD\t") == key_match_form("X-PAD")
    assert key_match_form("A B") != key_match_form("AB")


def test_is_canonical() -> None:
    assert is_canonical("X-1") and not is_canonical("x-1") and not is_canonical(" X-1")
    assert is_canonical("x-1", "lower") and is_canonical("x-1", "preserve")
    assert not is_canonical("   ") and not is_canonical(None)


# -- the setting -------------------------------------------------------------------------


def test_key_case_setting_defaults_to_upper_and_is_validated(tmp_path: Any) -> None:
    from sync_order_list.config import load_config

    assert MergeSettings().key_case == "upper"
    annotation = MergeSettings.model_fields["key_case"].annotation
    assert typing.get_args(annotation) == KEY_CASES
    bad = tmp_path / "bad.toml"
    text_ = CONFIG_PATH.read_text(encoding="utf-8")
    bad.write_text(text_.replace('mode = "snapshot"', 'mode = "snapshot"\nkey_case = "title"', 1))
    with pytest.raises(ConfigError, match="key_case"):
        load_config(bad, env_name="development", database_url="sqlite://", environ={})


# -- the same rule in SQL ----------------------------------------------------------------


def _key_table(db: Database) -> Table:
    md = MetaData(schema=db.cfg.env.db_schema)
    table = Table(
        "key_rule_probe",
        md,
        Column("id", Integer, primary_key=True),
        Column("raw", UnicodeText),
    )
    md.create_all(db.engine)
    return table


def test_the_sql_macro_gives_what_python_gives(database: Database) -> None:
    db = database
    table = _key_table(db)
    keys = TRICKY + ([] if db.backend == "postgresql" else ["a\x00b"])  # PG holds no NUL
    with db.engine.begin() as conn:
        conn.execute(insert(table), [{"id": i, "raw": raw} for i, raw in enumerate(keys)])
    sql = SqlDialect(db.engine.dialect, db.cfg.env.db_schema)
    for case in KEY_CASES:
        expr = render_macro("norm_key", sql, "p.raw", key_case=case)
        query = f"SELECT p.id, {expr} FROM {sql.table('key_rule_probe')} AS p ORDER BY p.id"
        with db.engine.connect() as conn:
            got = {i: v for i, v in conn.execute(text(query))}
            bound = conn.execute(
                text(f"SELECT {render_macro('norm_key', sql, ':k', key_case=case)}"),
                {"k": "  x-pad \t"},
            ).scalar()
        want = {i: normalise_key(raw, case) for i, raw in enumerate(keys)}
        assert got == want, case
        assert bound == normalise_key("  x-pad \t", case)


# -- SQL Server: parsed, then evaluated by a small interpreter ----------------------------


class _TsqlEval:
    """Evaluates the expression tree of the T-SQL key macro with SQL Server's semantics
    for the functions it uses (code point comparisons, as its binary collation)."""

    def __init__(self, value: str | None) -> None:
        self.value = value

    def __call__(self, node: sqlglot.exp.Expression) -> Any:  # noqa: C901
        exp = sqlglot.exp
        ev = self
        if isinstance(node, exp.Column):
            return self.value
        if isinstance(node, exp.Cast | exp.Collate | exp.Paren):
            return ev(node.this)
        if isinstance(node, exp.National):
            return node.this
        if isinstance(node, exp.Literal):
            return node.this if node.is_string else int(node.this)
        if isinstance(node, exp.Anonymous) and node.name.upper() == "NCHAR":
            return chr(ev(node.expressions[0]))
        if isinstance(node, exp.Add):
            left, right = ev(node.this), ev(node.expression)
            return None if left is None or right is None else left + right
        if isinstance(node, exp.Repeat):
            return ev(node.this) * ev(node.args["times"])
        if isinstance(node, exp.Translate):
            value, src, dst = ev(node.this), ev(node.args["from_"]), ev(node.args["to"])
            assert len(src) == len(dst), "TRANSLATE needs arguments of equal length"
            return None if value is None else value.translate(str.maketrans(src, dst))
        if isinstance(node, exp.Replace):
            value = ev(node.this)
            old, new = ev(node.expression), ev(node.args["replacement"])
            return None if value is None else value.replace(old, new)
        if isinstance(node, exp.Trim):
            assert not node.args.get("expression") and not node.args.get("position")
            value = ev(node.this)
            return None if value is None else value.strip(" ")
        if isinstance(node, exp.Nullif):
            value, other = ev(node.this), ev(node.expression)
            return None if value == other else value
        if isinstance(node, exp.Upper | exp.Lower):
            value = ev(node.this)
            case = "upper" if isinstance(node, exp.Upper) else "lower"
            # one character at a time: SQL's simple case mapping (SQL Server's own
            # tables for non-ASCII letters are not checked here)
            return None if value is None else "".join(normalise_key(c, case) or c for c in value)
        raise AssertionError(f"the interpreter does not know {type(node).__name__}: {node}")


@pytest.mark.parametrize("case", KEY_CASES)
def test_the_tsql_macro_parses_and_evaluates_to_the_rule(case: Any) -> None:
    sql = SqlDialect(mssql.dialect(), "dbo")
    expr = render_macro("norm_key", sql, "s.[AAG ORDER NUMBER]", key_case=case)
    assert "regexp" not in expr.lower()  # SQL Server 2017 has none
    tree = sqlglot.parse_one(f"SELECT {expr}", read="tsql", error_level=sqlglot.ErrorLevel.RAISE)
    assert not isinstance(tree, sqlglot.exp.Command)
    (node,) = tree.expressions
    for raw in [*TRICKY, "a\x00b", None]:
        assert _TsqlEval(raw)(node) == normalise_key(raw, case), repr(raw)
