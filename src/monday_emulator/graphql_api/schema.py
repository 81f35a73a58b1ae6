"""The executable schema: ``schema.graphql`` plus the resolvers, each mutation
wrapped to run in order with its server time (``running.py``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from graphql import GraphQLSchema, build_schema

from . import running
from .resolvers import install

SCHEMA_FILE = "schema.graphql"


def schema_sdl() -> str:
    return resources.files("monday_emulator.graphql_api").joinpath(SCHEMA_FILE).read_text("utf-8")


@lru_cache(maxsize=1)
def executable_schema() -> GraphQLSchema:
    schema = build_schema(schema_sdl())
    install(schema)
    running.install(schema)  # aliases in order, with server time, cut at the limit
    return schema
