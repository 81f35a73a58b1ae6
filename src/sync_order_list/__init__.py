"""sync-order-list: keep a monday.com board in step with customer orders in SQL."""

__version__ = "0.1.0"
