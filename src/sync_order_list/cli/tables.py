"""Tables for people: drawn by rich on a terminal, plain lines anywhere else.

A rich table written to a file or a pipe is squeezed to 80 columns, its headers cut to
"…"; a scheduler's log then holds unreadable boxes. ``Grid`` keeps the rows as data, so
the CLI draws a table on a terminal and writes one plain line per row otherwise::

    sync 2c7d23ba (development): success
    GREYSON: orders 10, new 9, updated 1, ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from rich.table import Table
from rich.text import Text

Justify = Literal["left", "right"]


@dataclass(frozen=True)
class GridColumn:
    header: str
    justify: Justify = "left"
    plain: str | None = None  # the header in plain lines (unabbreviated); default header
    no_wrap: bool = False

    @property
    def plain_header(self) -> str:
        return self.plain if self.plain is not None else self.header


@dataclass
class Grid:
    """A table's title, columns and rows (cells may hold rich markup)."""

    columns: Sequence[GridColumn]
    title: str | None = None
    rows: list[list[str]] = field(default_factory=list)
    footer: list[str] | None = None
    caption: str | None = None

    def add_row(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    def rich(self) -> Table:
        table = Table(
            title=self.title,
            header_style="bold",
            show_footer=self.footer is not None,
            caption=self.caption,
        )
        for i, col in enumerate(self.columns):
            table.add_column(
                col.header,
                footer=self.footer[i] if self.footer is not None else "",
                justify=col.justify,
                no_wrap=col.no_wrap,
            )
        for row in self.rows:
            table.add_row(*row)
        return table

    def plain_lines(self) -> list[str]:
        """One line a row: ``first cell: header value, header value``; a two-column
        table is ``first cell: value``. The title comes first, the footer as a row."""
        lines = [_plain(self.title)] if self.title else []
        rows = list(self.rows) + ([self.footer] if self.footer is not None else [])
        for row in rows:
            first, rest = _plain(row[0]), [_plain(c) for c in row[1:]]
            if len(self.columns) == 2:
                lines.append(f"{first}: {rest[0]}" if rest else first)
                continue
            pairs = ", ".join(
                f"{col.plain_header} {value}"
                for col, value in zip(self.columns[1:], rest, strict=False)
                if value != ""
            )
            lines.append(f"{first}: {pairs}" if pairs else first)
        return lines


def _plain(markup: str) -> str:
    """Cell text without rich markup."""
    try:
        return Text.from_markup(markup).plain
    except Exception:  # not markup after all: keep it as it is
        return markup
