"""The local AWS endpoint serves the stack's own processes only: every request needs the run's secret (a path
segment or a header), or must be an S3 presigned URL signed with the run's secret key; browsers get no CORS grant."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit, urlunsplit

import boto3
import httpx
import pytest
from botocore.config import Config

from local_stack.aws_guard import SECRET_HEADER, Guard, serve

LIST_TABLES = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    # moto picks the service from the credential scope (it checks no signature)
    "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host, Signature=0",
}


def without_secret(endpoint: str) -> tuple[str, str]:
    split = urlsplit(endpoint)
    return urlunsplit((split.scheme, split.netloc, "", "", "")), split.path.strip("/")


def test_the_stack_itself_reaches_local_aws(local_stack):
    tables = local_stack.boto3_client("dynamodb").list_tables()["TableNames"]
    assert local_stack.resource("ResultsTable") in tables


@pytest.mark.parametrize("path", ["/", "/0123456789abcdef0123456789abcdef/", "/moto-api/reset", "/moto-api/"])
def test_a_request_without_the_secret_is_refused(local_stack, path):
    plain, _secret = without_secret(local_stack.aws_endpoint)
    answer = httpx.post(f"{plain}{path}", headers=LIST_TABLES, content=b"{}")
    assert answer.status_code == 403
    assert "TableNames" not in answer.text


def test_provider_sessions_are_not_readable_without_the_secret(local_stack):
    plain, secret = without_secret(local_stack.aws_endpoint)
    sessions = boto3.client(
        "dynamodb", endpoint_url=plain, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with pytest.raises(Exception) as refused:
        sessions.get_item(
            TableName=local_stack.resource("ResultsTable"),
            Key={"pk": {"S": "PROVIDER#bluesky"}, "sk": {"S": "SESSION"}},
        )
    assert "403" in str(refused.value) or "Forbidden" in str(refused.value)
    # the header form of the secret works too (for clients whose endpoint has no path)
    allowed = httpx.post(f"{plain}/", headers={**LIST_TABLES, SECRET_HEADER: secret}, content=b"{}")
    assert allowed.status_code == 200 and "TableNames" in allowed.json()


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:9"])
def test_no_cors_grant_for_any_origin(local_stack, origin):
    preflight = httpx.options(
        f"{local_stack.aws_endpoint}/",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x"},
    )
    assert preflight.status_code == 403
    assert not any(name.lower().startswith("access-control-") for name in preflight.headers)
    # even with the secret, a browser request (it carries an Origin) is refused
    simple = httpx.post(f"{local_stack.aws_endpoint}/", headers={**LIST_TABLES, "Origin": origin}, content=b"{}")
    assert simple.status_code == 403
    assert "access-control-allow-origin" not in {name.lower() for name in simple.headers}


@pytest.fixture
def guarded():
    """The guard in front of a stand-in app, to check presigned URLs signed by botocore itself."""
    seen = []

    def app(environ, start_response):
        seen.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "*")])
        return [b"ok"]

    server = serve(Guard(app, "s3cr3t", "run-secret-key"), 0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def presigned(endpoint: str, secret_key: str, key: str = "imports/a.csv") -> str:
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key=secret_key,
        config=Config(signature_version="s3v4"),
    )
    return s3.generate_presigned_url(
        "put_object", Params={"Bucket": "local-importsbucket", "Key": key, "ContentType": "text/csv"}, ExpiresIn=60
    )


def test_a_presigned_upload_needs_the_runs_signing_key(guarded):
    endpoint, seen = guarded
    good = httpx.put(presigned(endpoint, "run-secret-key"), content=b"a,b\n", headers={"Content-Type": "text/csv"})
    assert good.status_code == 200 and seen == ["/local-importsbucket/imports/a.csv"]
    assert "access-control-allow-origin" not in {name.lower() for name in good.headers}  # moto's CORS dropped
    forged = httpx.put(presigned(endpoint, "guessed-key"), content=b"a,b\n", headers={"Content-Type": "text/csv"})
    assert forged.status_code == 403
    url = presigned(endpoint, "run-secret-key")
    tampered = httpx.put(
        url.replace("imports/a.csv", "imports/b.csv"), content=b"x", headers={"Content-Type": "text/csv"}
    )
    assert tampered.status_code == 403
    wrong_type = httpx.put(url, content=b"x", headers={"Content-Type": "text/html"})
    assert wrong_type.status_code == 403
    assert seen == ["/local-importsbucket/imports/a.csv"]


@pytest.fixture
def upload_guard():
    """The guard as the stack sets it up: uploads only to its imports bucket, at most 64 bytes."""
    seen = []

    def app(environ, start_response):
        seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    guard = Guard(app, "s3cr3t", "run-secret-key", upload_bucket="local-importsbucket", max_upload_bytes=64)
    server = serve(guard, 0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def _signed(endpoint: str, operation: str, **params) -> str:
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="run-secret-key",
        config=Config(signature_version="s3v4"),
    )
    return s3.generate_presigned_url(operation, Params=params, ExpiresIn=60)


def test_a_presigned_url_is_one_upload_within_the_limit(upload_guard):
    endpoint, seen = upload_guard
    csv = {"Content-Type": "text/csv"}
    url = presigned(endpoint, "run-secret-key")
    assert httpx.put(url, content=b"text\nhello\n", headers=csv).status_code == 200
    again = httpx.put(url, content=b"text\nagain\n", headers=csv)
    assert again.status_code == 403 and "used already" in again.text  # single use
    too_large = httpx.put(presigned(endpoint, "run-secret-key", "imports/b.csv"), content=b"x" * 65, headers=csv)
    assert too_large.status_code == 413
    assert seen == [("PUT", "/local-importsbucket/imports/a.csv")]


def test_the_signing_key_opens_no_other_route(upload_guard):
    endpoint, seen = upload_guard
    others = [
        ("GET", _signed(endpoint, "get_object", Bucket="local-importsbucket", Key="imports/a.csv")),
        ("GET", _signed(endpoint, "list_objects_v2", Bucket="local-importsbucket")),
        ("DELETE", _signed(endpoint, "delete_object", Bucket="local-importsbucket", Key="imports/a.csv")),
        ("PUT", _signed(endpoint, "put_object", Bucket="local-importsbucket", Key="other/a.csv")),
        ("PUT", _signed(endpoint, "put_object", Bucket="local-sessionstable", Key="imports/a.csv")),
    ]
    for method, url in others:
        answer = httpx.request(method, url, content=b"x" if method == "PUT" else None)
        assert answer.status_code == 403, (method, url, answer.status_code)
    assert seen == []


def test_the_aws_port_closes_idle_connections():
    import socket

    from local_stack import aws_guard

    server = serve(Guard(lambda e, s: [b""], "s3cr3t"), 0)
    assert server.RequestHandlerClass.timeout == aws_guard.SOCKET_TIMEOUT_SECONDS
    server.RequestHandlerClass.timeout = 0.5  # the same mechanism, faster
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as slow:
            slow.sendall(b"GET / HTTP/1.1\r\n")  # and then nothing more
            slow.settimeout(10)
            assert slow.recv(1024) == b""  # the server hangs up instead of holding a thread forever
    finally:
        server.shutdown()
        server.server_close()
