"""The GraphQL layer: what ``POST /v2`` runs once the HTTP side let a request through.

- ``schema.graphql``: the SDL (monday's public schema, the implemented subset) of
  every modelled API version
- ``schema.py``: the executable schema of each version (the SDL cut to it, plus the
  resolvers)
- ``versions.py``: monday's API versions and which one serves a request
- ``resolvers.py``: the queries, mutations and fields, on top of the store
- ``execution.py``: one request: parse and validate (cached by text), price, charge,
  execute (at once, or with server time), shape the result
- ``running.py``: mutation aliases in order, each after its server time; the cut at
  the 60-second limit and the deterministic 500
- ``writes.py``: a mutation document's fields and the boards they touch
- ``complexity.py``: what a document costs before it runs
- ``gql_errors.py``: parse, validation and variable errors in monday's shapes
- ``context.py``: the per-request context the resolvers read
- ``cursors.py``: opaque ``items_page`` cursors
"""
