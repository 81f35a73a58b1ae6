"""Limits and faults: what stands between a request and the GraphQL layer.

- ``limiter.py``: monday's rate limits (complexity budgets, per minute, mutations per
  minute, per IP, concurrency, per field, daily) and their 429s
- ``server_time.py``: how long each part of a document takes (seeded draws)
- ``running.py``: the documents running now (board lock, per-field concurrency)
- ``idempotency.py``: the responses kept for idempotency keys
- ``faults.py``: injected latency, error statuses, hangs and lost responses
- ``stats.py``: the usage figures of ``GET /admin/stats``
"""
