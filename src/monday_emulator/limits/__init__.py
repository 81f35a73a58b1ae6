"""Limits and faults: what stands between a request and the GraphQL layer.

- ``limiter.py``: monday's rate limits (complexity budget, per minute, per IP,
  concurrency, daily)
- ``faults.py``: injected latency, error statuses, hangs and lost responses
- ``stats.py``: the usage figures of ``GET /admin/stats``
"""
