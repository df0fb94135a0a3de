from tests.fixtures.s3 import s3_server, s3_store  # noqa: F401
