"""The doctor's result: findings (severity, config key, message), notes on what was
checked, the exit code, and how it looks on a terminal and in JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text

from sync_order_list.config import Finding

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_CANNOT_RUN = 2

_ORDER = {"error": 0, "warning": 1}


@dataclass
class DoctorReport:
    """Everything one doctor run found. ``notes`` say what was checked and passed
    (reachable database, number of size columns, board names), in check order."""

    environment: str
    config_path: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, findings: list[Finding]) -> None:
        for finding in findings:
            if finding not in self.findings:
                self.findings.append(finding)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def sorted_findings(self) -> list[Finding]:
        """Errors first, then warnings; check order within each."""
        return sorted(self.findings, key=lambda f: _ORDER.get(f.severity, 2))

    def exit_code(self, *, strict: bool = False) -> int:
        """0 without errors (warnings allowed unless ``strict``), 1 with errors."""
        if self.errors or (strict and self.warnings):
            return EXIT_ERRORS
        return EXIT_OK

    def summary(self) -> str:
        e, w = len(self.errors), len(self.warnings)
        if not e and not w:
            return f"doctor ({self.environment}): no problems found"
        parts = [f"{e} error{'s' * (e != 1)}", f"{w} warning{'s' * (w != 1)}"]
        tail = ": fix the errors before syncing" if e else ": nothing blocks a sync"
        return f"doctor ({self.environment}): {', '.join(parts)}{tail}"

    def table(self) -> Table:
        table = Table(title="doctor findings", header_style="bold", show_lines=False)
        table.add_column("severity", no_wrap=True)
        table.add_column("key", overflow="fold")
        table.add_column("message", overflow="fold")
        for finding in self.sorted_findings():
            style = "bold red" if finding.severity == "error" else "yellow"
            table.add_row(
                Text(finding.severity, style=style), Text(finding.key), Text(finding.message)
            )
        return table

    def lines(self) -> list[str]:
        """The findings as plain lines, for output that is not a terminal."""
        return [f"{f.severity}: [{f.key}] {f.message}" for f in self.sorted_findings()]

    def as_dict(self, *, strict: bool = False) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "config": self.config_path,
            "ok": not self.errors,
            "exit_code": self.exit_code(strict=strict),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [
                {"severity": f.severity, "key": f.key, "message": f.message}
                for f in self.sorted_findings()
            ],
            "notes": list(self.notes),
        }
