"""Deterministic sample orders over all 410 columns of the real ORDER_LIST.

Every order's stable fields come from a random source seeded by the order alone, so
two seeds produce the same orders; a few orders per customer are *volatile*: their
dates, notes, prices and sizes also depend on the seed, so generating with another
seed and merging again yields a handful of updates.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, MetaData, delete

from sync_order_list.config import AppConfig
from sync_order_list.db.introspect import live_columns, table_exists
from sync_order_list.db.order_tables import OrderColumn, order_columns, orders_table
from sync_order_list.errors import SchemaError
from sync_order_list.sample import vocabulary as V

VOLATILE_EVERY = 16  # one order in 16 changes between seeds
BASE_DATE = datetime(2025, 1, 6)


@dataclass(frozen=True)
class GenerateResult:
    orders: int
    seed: int
    table: str
    volatile: int


def order_key(index: int) -> str:
    customer = customer_of(index)
    prefix = V.CUSTOMERS[customer]["prefix"]
    return f"{prefix}-{index + 1:05d}"


def customer_of(index: int) -> str:
    names = list(V.CUSTOMERS)
    return names[index % len(names)]


def is_volatile(index: int) -> bool:
    """One order in 16 changes with the seed: one per customer in every 128 orders."""
    customers = len(V.CUSTOMERS)
    return (index // customers) % VOLATILE_EVERY == index % customers


def iter_rows(orders: int, seed: int, start: int = 0) -> Iterator[dict[str, Any]]:
    """Staging rows (column name -> value) for ``seed``, one at a time."""
    columns = order_columns()
    for index in range(start, start + orders):
        yield _row(index, seed, columns)


def generate_rows(orders: int, seed: int) -> list[dict[str, Any]]:
    """``orders`` staging rows (column name -> value) for ``seed``."""
    return list(iter_rows(orders, seed))


def _row(index: int, seed: int, columns: tuple[OrderColumn, ...]) -> dict[str, Any]:
    base = random.Random(f"order-{index}")
    var = random.Random(f"order-{index}-seed-{seed}") if is_volatile(index) else base
    customer = customer_of(index)
    info = V.CUSTOMERS[customer]
    season, season_code = base.choice(V.SEASONS)
    colour, colour_code = base.choice(V.COLOURS)
    garment = base.choice(V.GARMENTS)
    style = f"{info['prefix']}{base.randint(1000, 9999)}"
    ordered = BASE_DATE + timedelta(days=base.randint(0, 300))
    ex_factory = ordered + timedelta(days=var.randint(45, 120))
    eta = ex_factory + timedelta(days=var.randint(14, 40))

    row: dict[str, Any] = {c.name: None for c in columns}
    sizes: list[str] = list(info["sizes"])  # type: ignore[arg-type]
    picked = sorted(var.sample(sizes, k=var.randint(2, min(6, len(sizes)))), key=sizes.index)
    total = 0
    for size in picked:
        qty = var.choice([6, 12, 12, 24, 36, 48, 60, 120])
        row[size] = str(qty)
        total += qty

    price = Decimal(var.randint(800, 9000)) / 100
    row.update(
        {
            "AAG ORDER NUMBER": order_key(index),
            "CUSTOMER NAME": customer,
            "SOURCE_CUSTOMER_NAME": customer.title(),
            "ORDER DATE PO RECEIVED": ordered,
            "PO NUMBER": f"PO{base.randint(100000, 999999)}",
            "CUSTOMER ALT PO": f"ALT-{base.randint(1000, 9999)}" if base.random() < 0.4 else None,
            "AAG SEASON": season_code,
            # a few orders lack the customer season: their group falls back to AAG SEASON
            "CUSTOMER SEASON": season if base.random() > 0.08 else None,
            "DROP": base.choice(V.DROPS),
            "MONTH": ordered.strftime("%B").upper(),
            "RANGE / COLLECTION": f"{season} {base.choice(['CORE', 'CAPSULE', 'ESSENTIALS'])}",
            "CATEGORY": base.choice(V.CATEGORIES),
            "PATTERN ID": f"PT-{base.randint(100, 999)}",
            "PLANNER": base.choice(["Ana", "Ben", "Chloé", "Dmitri"]),
            "MAKE OR BUY": base.choice(["MAKE", "BUY"]),
            "ALIAS/RELATED ITEM": f"{style}-{colour_code}",
            "CUSTOMER STYLE": style,
            "STYLE DESCRIPTION": f"{garment} — {colour.lower()}",
            "CUSTOMER'S COLOUR CODE (CUSTOM FIELD) CUSTOMER PROVIDES THIS": colour_code,
            "CUSTOMER COLOUR DESCRIPTION": colour,
            "UNIT OF MEASURE": base.choice(V.UNITS),
            "TOTAL QTY": total,
            "DESTINATION": base.choice(V.DESTINATIONS),
            "DESTINATION WAREHOUSE": base.choice(V.WAREHOUSES),
            "ETA CUSTOMER WAREHOUSE DATE": eta,
            "EX FACTORY DATE": ex_factory,
            "DELIVERY TERMS": base.choice(V.DELIVERY_TERMS),
            "PLANNED DELIVERY METHOD": base.choice(V.DELIVERY_METHODS),
            "NOTES": var.choice(V.NOTES) or None,
            "ORDER TYPE": base.choice(V.ORDER_TYPES),
            "CUSTOMER PRICE": price,
            "EX WORKS (USD)": (price * Decimal("0.55")).quantize(Decimal("0.0001")),
            "ADMINISTRATION FEE": Decimal("0.2500"),
            "DESIGN FEE": f"{base.choice([0, 0.5, 1, 1.25]):.2f}",
            "FX CHARGE": Decimal(base.randint(0, 30)) / 100,
            "HANDLING": Decimal(base.randint(5, 40)) / 100,
            "SURCHARGE FEE": f"{base.choice([0, 0.1, 0.35]):.2f}",
            "DISCOUNT": f"{base.choice([0, 5, 10])}",
            "FINAL FOB (USD)": (price * Decimal("0.62")).quantize(Decimal("0.0001")),
            "HS CODE": f"6{base.randint(100, 299)}.{base.randint(10, 99)}.{base.randint(1000, 9999)}",
            "US DUTY RATE": Decimal(base.randint(0, 320)) / 1000,
            "US DUTY": (price * Decimal("0.12")).quantize(Decimal("0.0001")),
            "FREIGHT": Decimal(base.randint(20, 180)) / 100,
            "US TARIFF RATE": Decimal(base.choice([0, 75, 100, 250])) / 1000,
            "US TARIFF": (price * Decimal("0.075")).quantize(Decimal("0.0001")),
            "DDP US (USD)": (price * Decimal("0.8")).quantize(Decimal("0.0001")),
            "SMS PRICE USD": (price * Decimal("0.4")).quantize(Decimal("0.0001")),
            "FINAL PRICES Y/N": base.choice(["Y", "N"]),
            "NOTES FOR PRICE": base.choice(["", "Price agreed by email", "Subject to FX"]) or None,
            "∆": base.choice([None, "Δ qty", "Δ date"]),
            "COUNTRY OF ORIGIN": base.choice(["VIETNAM", "CHINA", "PORTUGAL", "PERU"]),
            "INVOICE YEAR": ordered.year,
            "TARIFF RELIEF DISCOUNT (20%)": Decimal("0.2000"),
            "ADDITIONAL TARIFF %": "10%",
            "_SOURCE_TABLE": "sample_generator",
        }
    )
    if is_volatile(index):
        row["CUSTOMER PRICE"] = price + Decimal(var.randint(0, 3))
    return row


def write_staging(engine: Engine, cfg: AppConfig, rows: Iterable[dict[str, Any]]) -> int:
    """Replace the staging table's rows with ``rows`` (the staging table is a snapshot).

    Rows are consumed in chunks, so a large load never sits in memory at once."""
    schema = cfg.env.db_schema
    name = cfg.env.source_table
    with engine.begin() as conn:
        if not table_exists(conn, name, schema):
            raise SchemaError(
                f"staging table {name!r} does not exist",
                key=f"environments.{cfg.env_name}.source_table",
                file=str(cfg.path),
                hint="run `sync-order-list init-db --order-tables` to create the demo tables",
            )
        existing = {c.name for c in live_columns(conn, name, schema)}
        cols = tuple(c for c in order_columns() if c.name in existing)
        table = orders_table(name, MetaData(schema=schema), staging=True, columns=cols)
        conn.execute(delete(table))
        written = 0
        for chunk in _chunks(rows, 1000):
            payload = [{c.name: _staging_value(r.get(c.name), c) for c in cols} for r in chunk]
            conn.execute(table.insert(), payload)
            written += len(payload)
    return written


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _staging_value(value: Any, column: OrderColumn) -> Any:
    if value is None:
        return None
    if column.role == "size":
        return str(value)
    return value


def generate(engine: Engine, cfg: AppConfig, *, orders: int, seed: int) -> GenerateResult:
    write_staging(engine, cfg, iter_rows(orders, seed))
    return GenerateResult(
        orders=orders,
        seed=seed,
        table=cfg.env.source_table,
        volatile=sum(1 for i in range(orders) if is_volatile(i)),
    )
