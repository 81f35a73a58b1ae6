"""The executable schema: ``schema.graphql`` plus the resolvers."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from graphql import GraphQLSchema, build_schema

from .resolvers import install

SCHEMA_FILE = "schema.graphql"


def schema_sdl() -> str:
    return resources.files("monday_emulator.graphql_api").joinpath(SCHEMA_FILE).read_text("utf-8")


@lru_cache(maxsize=1)
def executable_schema() -> GraphQLSchema:
    schema = build_schema(schema_sdl())
    install(schema)
    return schema
