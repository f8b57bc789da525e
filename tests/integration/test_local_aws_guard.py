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
