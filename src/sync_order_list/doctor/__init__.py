"""``sync-order-list doctor``: check the configuration, the database and the monday
board before a sync, and say which configuration key to change. Reads only.

Public API::

    report = run_doctor(cfg)            # or: await diagnose(cfg, engine=..., client=...)
    report.findings                     # [Finding(severity, key, message), ...]
    report.exit_code(strict=False)      # 0 no errors, 1 errors (strict: warnings too)

Exit codes of the command: 0 no error-level findings, 1 errors found, 2 the doctor
could not run (no or invalid configuration). See docs/doctor.md.
"""

from sync_order_list.doctor.compat import COMPATIBILITY, db_kind, verdict
from sync_order_list.doctor.report import EXIT_CANNOT_RUN, EXIT_ERRORS, EXIT_OK, DoctorReport
from sync_order_list.doctor.run import diagnose, run_doctor

__all__ = [
    "COMPATIBILITY",
    "EXIT_CANNOT_RUN",
    "EXIT_ERRORS",
    "EXIT_OK",
    "DoctorReport",
    "db_kind",
    "diagnose",
    "run_doctor",
    "verdict",
]
