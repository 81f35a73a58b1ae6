"""Reporting: run history, per-customer reports, status, metrics, health checks."""
