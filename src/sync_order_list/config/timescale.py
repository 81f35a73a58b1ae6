"""monday played faster: the engine's time settings for an emulator whose clock runs
``speed`` times faster than wall time (the demo, the benchmarks).

What is time on monday's side shrinks with the emulator's clock: the call limit, the
document target, the server time assumed before the first response, the client's
HTTP timeout (which must outlast the call limit), the budget window and the bulk
import's hour, poll interval, upload URL life and job deadline. Everything
else is the configuration as it is.
"""

from __future__ import annotations

from typing import Any

from sync_order_list.config.models import Settings


def compressed(settings: Settings, speed: float) -> dict[str, Any]:
    """A settings update (nested dicts) for monday ``speed`` times faster."""
    if speed <= 0:
        raise ValueError("speed must be above 0")
    if speed == 1:
        return {}
    batch, rate, bulk = settings.batch, settings.rate, settings.bulk
    return {
        "batch": {
            "call_limit_seconds": batch.call_limit_seconds / speed,
            "document_seconds": batch.document_seconds / speed,
            "initial_seconds_per_mutation": batch.initial_seconds_per_mutation / speed,
            "timeout_seconds": batch.timeout_seconds / speed,
        },
        "rate": {"window_seconds": rate.window_seconds / speed},
        "bulk": {
            "window_seconds": bulk.window_seconds / speed,
            "poll_seconds": bulk.poll_seconds / speed,
            "upload_url_seconds": bulk.upload_url_seconds / speed,
            "job_timeout_seconds": bulk.job_timeout_seconds / speed,
        },
    }
