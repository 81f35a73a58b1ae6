"""Outside the API: no token, never charged.

- ``routes.py``: the ``/admin/`` endpoints (reset, boards, stats, faults, settings,
  clock, limits)
- ``viewer.py``: the read-only board viewer at ``GET /`` and ``GET /boards/{id}``
"""
