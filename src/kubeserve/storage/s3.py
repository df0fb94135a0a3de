"""Artifact store on any S3-compatible server (MinIO, AWS S3) through the `minio` SDK."""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import MinioException, S3Error

from kubeserve.storage.base import ArtifactNotFound, StorageError, check_key
from kubeserve.storage.local import check_prefix

T = TypeVar("T")
_NOT_FOUND = {"NoSuchKey", "NoSuchObject", "ResourceNotFound"}
_CHUNK = 1024 * 1024


class S3Store:
    """Objects live in one bucket, created on first use. The sync SDK runs in worker threads."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = True,
        region: str | None = "us-east-1",
    ) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        # The SDK's default retries (5, exponential back-off) make an outage take ~6 s to report.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=10, read=120),
            maxsize=10,
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        )
        self._client = Minio(
            endpoint,
            access_key=access_key or None,
            secret_key=secret_key or None,
            secure=secure,
            region=region,
            http_client=http,
        )
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def _ensure_bucket(self) -> None:
        with self._bucket_lock:
            if self._bucket_ready:
                return
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
            self._bucket_ready = True

    def _call(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """Run one SDK operation; vendor exceptions become StorageError / ArtifactNotFound."""
        where = f"S3 store at {self.endpoint} (bucket {self.bucket})"
        try:
            self._ensure_bucket()
            return fn(*args)
        except S3Error as exc:
            if exc.code in _NOT_FOUND:
                raise ArtifactNotFound(f"artifact not found: {what}") from exc
            raise StorageError(f"{where} refused {what}: {exc.code}: {exc.message}") from exc
        except urllib3.exceptions.MaxRetryError as exc:
            raise StorageError(f"{where} is unreachable: {exc.reason}") from exc
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageError(f"{where} failed on {what}: {exc}") from exc
        except OSError as exc:
            raise StorageError(f"{where}: local file error on {what}: {exc}") from exc

    async def _run(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(self._call, what, fn, *args)

    async def put_file(self, key: str, source: Path) -> None:
        # fput_object goes multipart above 5 MiB: the object appears only when complete.
        await self._run(key, self._client.fput_object, self.bucket, check_key(key), str(source))

    def stream(self, key: str, chunk_size: int = _CHUNK) -> AsyncIterator[bytes]:
        return self._stream(check_key(key), chunk_size)

    async def _stream(self, key: str, chunk_size: int) -> AsyncIterator[bytes]:
        response = await self._run(key, self._client.get_object, self.bucket, key)
        try:
            while chunk := await self._run(key, response.read, chunk_size):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    def _download(self, key: str, dest: Path) -> None:
        response = self._client.get_object(self.bucket, key)  # NoSuchKey before any temp file
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in response.stream(_CHUNK):
                        out.write(chunk)
                os.replace(tmp, dest)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        finally:
            response.close()
            response.release_conn()

    async def fetch_to(self, key: str, dest: Path) -> None:
        await self._run(key, self._download, check_key(key), dest)

    async def exists(self, key: str) -> bool:
        try:
            await self._run(key, self._client.stat_object, self.bucket, check_key(key))
        except ArtifactNotFound:
            return False
        return True

    async def delete(self, key: str) -> None:
        await self._run(key, self._client.remove_object, self.bucket, check_key(key))

    def _delete_prefix(self, prefix: str) -> None:
        listing = self._client.list_objects(self.bucket, prefix=prefix, recursive=True)
        doomed = [DeleteObject(obj.object_name) for obj in listing if obj.object_name]
        errors = list(self._client.remove_objects(self.bucket, doomed))
        if errors:
            raise StorageError(f"S3 store at {self.endpoint} could not delete: {errors[0]}")

    async def delete_prefix(self, prefix: str) -> None:
        await self._run(f"{prefix}*", self._delete_prefix, check_prefix(prefix))

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{check_key(key)}"

    async def presigned_get(self, key: str, expires: timedelta, request_date: datetime | None = None) -> str:
        """A URL that reads this one object, and nothing else, until `expires` after
        `request_date` (default now): what a pod gets instead of storage keys."""
        return await self._run(
            key, self._client.presigned_get_object, self.bucket, check_key(key), expires, None, request_date
        )
