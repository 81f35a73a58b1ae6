"""``verify``: does the board still match the database? And ``--repair``.

One stage a module: ``database`` and ``board`` read (I/O), ``compare`` judges (pure),
``repair`` puts differences back on the sync path, ``run`` ties them together and
records the result in the run history.
"""

from sync_order_list.verify.compare import CompareRules, compare
from sync_order_list.verify.model import KINDS, REPORT_ONLY, Drift, Finding
from sync_order_list.verify.run import VerifyOptions, VerifyReport, run_verify

__all__ = [
    "KINDS",
    "REPORT_ONLY",
    "CompareRules",
    "Drift",
    "Finding",
    "VerifyOptions",
    "VerifyReport",
    "compare",
    "run_verify",
]
