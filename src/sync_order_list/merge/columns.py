"""Which columns the merge reads and writes, checked against the live schema.

Pure: takes the column lists the database reported and the settings, returns the
plan or raises ConfigError naming the key to fix. Runs before any write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sync_order_list.config import AppConfig
from sync_order_list.db.introspect import LiveColumn
from sync_order_list.db.schema import SYNC_COLUMN_NAMES
from sync_order_list.errors import ConfigError, SchemaError


@dataclass(frozen=True)
class CopyColumn:
    """A staging column copied into the target, with the cast it needs."""

    name: str
    is_size: bool = False
    cast: str | None = None


@dataclass(frozen=True)
class MergeColumns:
    key: str
    size_columns: tuple[str, ...]
    copy_columns: tuple[CopyColumn, ...]
    hash_columns: tuple[str, ...]
    key_type_sql: str
    ignored_staging_columns: tuple[str, ...] = ()
    raw_key_type_sql: str = ""  # the staging key column's type ("": as the target's)


def find_size_columns(
    columns: Sequence[str], start_after: str, end_before: str, *, table: str, file: str
) -> list[str]:
    """The columns strictly between the two marker columns, in table order."""
    names = list(columns)
    for marker, key in ((start_after, "start_after"), (end_before, "end_before")):
        if marker not in names:
            raise SchemaError(
                f"size marker column {marker!r} is not a column of {table!r}",
                key=f"merge.size_columns.{key}",
                file=file,
            )
    start, end = names.index(start_after), names.index(end_before)
    if end <= start + 1:
        raise SchemaError(
            f"no size columns between {start_after!r} and {end_before!r} in {table!r} "
            "(the markers are adjacent or in the wrong order)",
            key="merge.size_columns",
            file=file,
        )
    return names[start + 1 : end]


def plan_columns(
    cfg: AppConfig, staging: Sequence[LiveColumn], target: Sequence[LiveColumn]
) -> MergeColumns:
    """Check every configured column and decide what the merge copies and hashes.

    A staging column whose type differs from the target column's is cast to it; size
    columns are parsed as quantities.
    """
    settings = cfg.settings
    file = str(cfg.path)
    source_name, target_name = cfg.env.source_table, cfg.env.target_table
    staging_names = [c.name for c in staging]
    target_names = {c.name for c in target}
    key = settings.merge.business_key

    for table, names in ((source_name, set(staging_names)), (target_name, target_names)):
        if key not in names:
            raise SchemaError(
                f"business key {key!r} is not a column of {table!r}",
                key="merge.business_key",
                file=file,
            )
    missing_sync = sorted(SYNC_COLUMN_NAMES - target_names)
    if missing_sync:
        raise SchemaError(
            f"{target_name!r} lacks the sync columns {missing_sync}",
            key=f"environments.{cfg.env_name}.target_table",
            file=file,
            hint="run `sync-order-list init-db` first",
        )

    sc = settings.merge.size_columns
    sizes = find_size_columns(
        staging_names, sc.start_after, sc.end_before, table=source_name, file=file
    )

    def require(columns: Sequence[str], key_name: str, names: set[str], table: str) -> None:
        for col in columns:
            if col not in names:
                raise SchemaError(
                    f"column {col!r} does not exist in {table!r}", key=key_name, file=file
                )

    staging_set = set(staging_names)
    hash_key = "merge.hash_columns" if settings.merge.hash_columns != "mapped" else None
    hash_cols = settings.hash_columns()
    require(settings.names.group.columns, "names.group.columns", staging_set, source_name)
    require(
        settings.names.group.fallback_columns,
        "names.group.fallback_columns",
        staging_set,
        source_name,
    )
    require(settings.names.item.columns, "names.item.columns", staging_set, source_name)
    require(list(settings.monday.items.columns), "monday.items.columns", target_names, target_name)
    require([settings.merge.customer_column], "merge.customer_column", target_names, target_name)
    require(hash_cols, hash_key or "monday.items.columns", staging_set, source_name)

    size_set = set(sizes)
    target_types = {c.name: c.type_sql for c in target}
    staging_types = {c.name: c.type_sql for c in staging}
    copy: list[CopyColumn] = []
    ignored: list[str] = []
    for name in staging_names:
        if name in SYNC_COLUMN_NAMES:
            continue
        if name not in target_names:
            ignored.append(name)
            continue
        if name in size_set:
            copy.append(CopyColumn(name, is_size=True))
            continue
        differs = staging_types[name] != target_types[name]
        cast = target_types[name] if differs else None
        copy.append(CopyColumn(name, cast=cast))
    if not sizes:
        raise ConfigError("no size columns found", key="merge.size_columns", file=file)
    return MergeColumns(
        key=key,
        size_columns=tuple(sizes),
        copy_columns=tuple(copy),
        hash_columns=tuple(hash_cols),
        key_type_sql=target_types[key],
        ignored_staging_columns=tuple(ignored),
        raw_key_type_sql=staging_types[key],
    )
