"""Bulk import for first loads: monday's asynchronous ``ingest_items`` /
``backfill_items``, a lane beside the regular ones.

- ``cells``: a column value as the regular mutations take it -> a CSV cell (pure);
- ``csvfile``: the file of one job (items and their size subitems) and the report (pure);
- ``budget``: the account's hourly job and item budgets, from the jobs recorded (pure);
- ``journal``: each job recorded before it is started and after every step;
- ``api``: the three calls and the two transfers (upload, report);
- ``job``: one job from any recorded state to its rows settled;
- ``lane``: which orders go in a job, and the jobs of one run;
- ``resume``: jobs a run left unfinished, driven to the end by the next.
"""
