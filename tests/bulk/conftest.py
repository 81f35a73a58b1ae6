from tests.sync.harness import emulator, pipeline  # noqa: F401
