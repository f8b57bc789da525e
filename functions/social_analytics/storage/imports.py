"""Uploaded import files in the imports bucket: presigned PUT URLs (API side) and size-capped reads (worker side).

Objects are ``imports/<job_id>.<csv|jsonl>``; the worker deletes each once it has read it, and the bucket's lifecycle
rule deletes what is left (never analyzed) after a day.
"""

from __future__ import annotations

from social_analytics.settings import DEFAULT_IMPORT_MAX_BYTES, get_import_settings
from social_analytics.storage import aws, clients

PREFIX = "imports/"
CONTENT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
DEFAULT_MAX_BYTES = DEFAULT_IMPORT_MAX_BYTES
UPLOAD_URL_SECONDS = 900


class ImportTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the upload is {size} bytes; the limit is {limit}")
        self.size = size
        self.limit = limit


class ImportMissing(Exception):
    """No object at that key (never uploaded, or already expired)."""


def bucket_name() -> str:
    return get_import_settings().imports_bucket


def max_bytes() -> int:
    return get_import_settings().max_bytes


def _s3():
    # SigV4 presigning (SigV2 is deprecated); path style follows automatically for a local IP endpoint.
    return clients.s3v4_client()


def reset() -> None:
    clients.s3v4_client.cache_clear()


def object_key(job_id: str, fmt: str) -> str:
    return f"{PREFIX}{job_id}.{fmt}"


def presign_upload(key: str, fmt: str, expires_in: int = UPLOAD_URL_SECONDS) -> dict:
    """What a client needs to upload: ``{"url", "method": "PUT", "headers", "expires_in"}``."""
    content_type = CONTENT_TYPES[fmt]
    url = _s3().generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket_name(), "Key": key, "ContentType": content_type},
        ExpiresIn=expires_in,
    )
    return {"url": url, "method": "PUT", "headers": {"Content-Type": content_type}, "expires_in": expires_in}


def get_object(key: str, limit: int | None = None) -> bytes:
    """The object's bytes; ``ImportTooLarge`` above ``limit`` (read no further), ``ImportMissing`` when absent."""
    limit = max_bytes() if limit is None else limit
    try:
        response = _s3().get_object(Bucket=bucket_name(), Key=key)
    except aws.ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound"):
            raise ImportMissing(key) from None
        raise
    body = response["Body"]
    try:
        size = int(response.get("ContentLength") or 0)
        if size > limit:
            raise ImportTooLarge(size, limit)
        data = body.read(limit + 1)
        if len(data) > limit:
            raise ImportTooLarge(len(data), limit)
        return data
    finally:
        body.close()


def delete_object(key: str) -> None:
    """Delete an upload once read (a retry of its job then fails ``not_uploaded``, which names the cause)."""
    _s3().delete_object(Bucket=bucket_name(), Key=key)
