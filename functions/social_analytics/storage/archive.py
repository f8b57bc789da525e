"""Where the archive's files live: an S3 bucket (deployed) or a folder (``make run``), behind one small interface.

Keys are the archive's layout (``archive/layout.py``): ``posts/dt=YYYY-MM-DD/hour=HH/<file>.parquet``,
``deletes/dt=.../hour=.../<file>.parquet`` and ``meta/<name>.json``. The bucket's lifecycle rule expires ``posts/`` and
``deletes/`` at the retention; the archive also deletes expired hours itself (a lifecycle rule runs about daily).

Readers get local paths (:meth:`local_copies`): the folder's own files, or S3 objects downloaded in parallel into a
temporary folder the caller owns, since DuckDB reads local Parquet (no httpfs extension in the Lambda package).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from social_analytics.settings import get_archive_settings
from social_analytics.storage import clients

_DOWNLOAD_THREADS = 8


class DirectoryArchive:
    """The archive in a folder; writes go to a temporary file renamed into place (a reader never sees half a file)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    def get(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix.rstrip("/")
        if not base.exists():
            return []
        return sorted(
            str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")
        )

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            path = self.root / key
            path.unlink(missing_ok=True)
            for parent in path.parents:  # drop emptied hour/day folders
                if parent == self.root or any(parent.iterdir()):
                    break
                parent.rmdir()

    def local_copies(self, keys: list[str], workdir: str) -> list[str]:
        return [str(self.root / key) for key in keys if (self.root / key).exists()]


class S3Archive:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def put(self, key: str, data: bytes) -> None:
        clients.client("s3").put_object(Bucket=self.bucket, Key=key, Body=data)

    def get(self, key: str) -> bytes | None:
        s3 = clients.client("s3")
        try:
            return s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in clients.client("s3").get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": k} for k in keys[start : start + 1000]]
            clients.client("s3").delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})

    def local_copies(self, keys: list[str], workdir: str) -> list[str]:
        s3 = clients.client("s3")

        def download(index_key: tuple[int, str]) -> str | None:
            index, key = index_key
            path = os.path.join(workdir, f"{index:05d}.parquet")
            try:
                s3.download_file(self.bucket, key, path)
            except s3.exceptions.ClientError:  # expired between the listing and the read
                return None
            return path

        with ThreadPoolExecutor(max_workers=_DOWNLOAD_THREADS) as pool:
            return [p for p in pool.map(download, enumerate(keys)) if p]


def configured() -> DirectoryArchive | S3Archive | None:
    """The deployment's archive store (the bucket when set, else the folder), or None when the archive is off."""
    config = get_archive_settings()
    if not config.enabled:
        return None
    return S3Archive(config.bucket) if config.bucket else DirectoryArchive(config.directory)
