"""scripts/publish_frontend.py against in-process moto: what make deploy uploads and what make destroy empties."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from scripts import publish_frontend

REGION = "us-east-1"


@pytest.fixture
def clients(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield {name: boto3.client(name, region_name=REGION) for name in ("s3", "cloudfront", "cloudformation")}


@pytest.fixture
def frontend(tmp_path):
    files = {
        "index.html": "<!doctype html><title>x</title>",
        "css/app.css": "body{}",
        "js/app.js": "export {};",
        "vendor/chart.umd.min.js": "/* chart */",
        "config.json": '{"apiBase": "http://127.0.0.1:8000/api"}',  # local: replaced by the stack's
        "package.json": "{}",
        "package-lock.json": "{}",
        "scripts/build.mjs": "// build",
        "node_modules/chart.js/dist/chart.umd.min.js": "/* chart */",
        "vendor/.built": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def make_distribution(cloudfront, bucket: str) -> str:
    origin = {
        "Id": "dashboard",
        "DomainName": f"{bucket}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config = {
        "CallerReference": "test",
        "Comment": "",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "dashboard", "ViewerProtocolPolicy": "redirect-to-https"},
    }
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def test_publish_uploads_the_served_files_writes_config_and_invalidates(clients, frontend):
    s3, cloudfront = clients["s3"], clients["cloudfront"]
    s3.create_bucket(Bucket="dash")
    s3.put_object(Bucket="dash", Key="js/old.js", Body=b"stale")
    distribution = make_distribution(cloudfront, "dash")

    summary = publish_frontend.publish(
        s3, cloudfront, {"DashboardBucketName": "dash", "DistributionId": distribution}, root=frontend
    )

    keys = {item["Key"] for item in s3.list_objects_v2(Bucket="dash")["Contents"]}
    assert keys == {"index.html", "css/app.css", "js/app.js", "vendor/chart.umd.min.js", "config.json"}
    assert summary["deleted"] == ["js/old.js"]
    types = {key: s3.head_object(Bucket="dash", Key=key)["ContentType"] for key in keys}
    assert types["index.html"].startswith("text/html")
    assert types["css/app.css"].startswith("text/css")
    assert types["js/app.js"].startswith("text/javascript")
    assert types["config.json"] == "application/json"
    config = json.loads(s3.get_object(Bucket="dash", Key="config.json")["Body"].read())
    assert config == {"apiBase": "/api"}  # same origin through CloudFront, never the local file
    assert s3.head_object(Bucket="dash", Key="index.html")["CacheControl"] == "no-cache"
    invalidations = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    assert [item["Id"] for item in invalidations.get("Items", [])] == [summary["invalidation"]]


def test_empty_bucket_deletes_every_version_and_delete_marker(clients):
    s3 = clients["s3"]
    s3.create_bucket(Bucket="versioned")
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2"):
        s3.put_object(Bucket="versioned", Key="index.html", Body=body)
    s3.put_object(Bucket="versioned", Key="gone.js", Body=b"x")
    s3.delete_object(Bucket="versioned", Key="gone.js")  # leaves a delete marker

    assert publish_frontend.empty_bucket(s3, "versioned") == 4
    listing = s3.list_object_versions(Bucket="versioned")
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")
    s3.delete_bucket(Bucket="versioned")  # what CloudFormation then does


def test_outputs_and_buckets_come_from_the_stack(clients):
    template = {
        "Resources": {"DashboardBucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {
            "DashboardBucketName": {"Value": {"Ref": "DashboardBucket"}},
            "DistributionId": {"Value": "E123"},
        },
    }
    cloudformation = clients["cloudformation"]
    cloudformation.create_stack(StackName="demo", TemplateBody=json.dumps(template))

    outputs = publish_frontend.stack_outputs(cloudformation, "demo")
    assert outputs["DistributionId"] == "E123"
    assert publish_frontend.stack_buckets(cloudformation, "demo") == [outputs["DashboardBucketName"]]


def test_the_stack_name_comes_from_each_samconfig_environment():
    dev, _ = publish_frontend.stack_settings("default")
    prod, _ = publish_frontend.stack_settings("prod")
    assert dev != prod and dev.endswith("-dev") and prod.endswith("-prod")
    with pytest.raises(SystemExit):
        publish_frontend.stack_settings("staging")
