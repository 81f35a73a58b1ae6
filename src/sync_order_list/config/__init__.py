"""Configuration: TOML file -> typed settings, environment chosen, secrets resolved."""

from sync_order_list.config.loader import (
    AppConfig,
    config_for,
    load_config,
    parse_settings,
    read_settings,
)
from sync_order_list.config.models import Settings
from sync_order_list.config.original_mapping import from_original_mapping
from sync_order_list.config.validate import Finding, mapping_findings

__all__ = [
    "AppConfig",
    "Finding",
    "Settings",
    "config_for",
    "from_original_mapping",
    "load_config",
    "mapping_findings",
    "parse_settings",
    "read_settings",
]
