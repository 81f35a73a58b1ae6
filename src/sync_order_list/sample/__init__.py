"""Sample staging data for demos, tests and benchmarks."""
