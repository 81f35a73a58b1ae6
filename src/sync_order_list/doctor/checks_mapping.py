"""Checks of the configuration alone: no database, no network."""

from __future__ import annotations

from sync_order_list.config import AppConfig, Finding, mapping_findings


def check_mapping(cfg: AppConfig) -> list[Finding]:
    """The static mapping checks (a monday column mapped twice, the business key not
    mapped to ``business_key_column``, ...) plus the environment's board ids."""
    findings = list(mapping_findings(cfg.settings))
    env = cfg.env
    if env.subitems_board_id and env.subitems_board_id == env.items_board_id:
        findings.append(
            Finding(
                "error",
                f"environments.{cfg.env_name}.subitems_board_id",
                f"the subitems board id equals the items board id ({env.items_board_id}); "
                "leave it unset to use the board's own subitems board",
            )
        )
    return findings
