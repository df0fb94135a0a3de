"""Shared fixtures live in tests/fixtures; they are registered here as plugins."""

pytest_plugins = [
    "tests.fixtures.s3",
    "tests.fixtures.postgres",
    "tests.fixtures.database",
    "tests.fixtures.app",
    "tests.fixtures.models",
    "tests.fixtures.control_plane",
    "tests.fixtures.kubernetes",
]
