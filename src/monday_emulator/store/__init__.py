"""The board store: boards, groups, items and their column values.

- ``model.py``: the dataclasses (Board, Column, Group, Item) and item states
- ``store.py``: ``Store``, every read and write the API does
- ``columns.py``: column types, their value codecs and settings
- ``ids.py``: board, item, group and column ids
- ``filters.py``: ``items_page`` query params and column-value matching
- ``persistence.py``: the optional SQLite backend
- ``specs.py``: board specs (load, dump); the built-in ones are in ``boards/*.json``
"""
