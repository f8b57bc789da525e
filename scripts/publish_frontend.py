"""Publish the dashboard to a deployed stack, or empty the stack's buckets before it is deleted.

    python scripts/publish_frontend.py [--config-env default|prod]          # make deploy runs this
    python scripts/publish_frontend.py --config-env prod --empty-buckets    # make destroy runs this

Publishing reads the stack's outputs (DashboardBucketName, DistributionId, DashboardUrl), builds the frontend
(npm ci + frontend/scripts/build.mjs fill frontend/vendor/), uploads the served files with their content types,
deletes objects no longer in frontend/, writes config.json ({"apiBase": "/api"}: the API is on the dashboard's own
origin through CloudFront's /api/* behaviour) and invalidates CloudFront's cache. Uses the ordinary AWS credential
chain (AWS_PROFILE, environment, SSO...); the stack name and region come from samconfig.toml.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import boto3

REPO_ROOT = Path(__file__).resolve().parent.parent
FRONTEND = REPO_ROOT / "frontend"
SAMCONFIG = REPO_ROOT / "samconfig.toml"

# Not served: build inputs and tooling. config.json is written from the stack instead of uploaded.
EXCLUDED_DIRS = {"node_modules", "scripts"}
EXCLUDED_FILES = {"package.json", "package-lock.json", "config.json"}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}
# Files are not fingerprinted: the entry points are revalidated every time, the rest for an hour at most
# (each publish also invalidates CloudFront's copy).
NO_CACHE = "no-cache"
SHORT_CACHE = "public, max-age=3600"


def stack_settings(config_env: str, samconfig: Path = SAMCONFIG) -> tuple[str, str | None]:
    """(stack name, region or None) of a samconfig.toml environment."""
    config = tomllib.loads(samconfig.read_text())
    if config_env not in config:
        raise SystemExit(f"samconfig.toml has no [{config_env}] environment")
    merged: dict = {}
    for command in ("global", "deploy"):
        merged.update(config[config_env].get(command, {}).get("parameters", {}))
    if "stack_name" not in merged:
        raise SystemExit(f"samconfig.toml [{config_env}] sets no stack_name")
    return merged["stack_name"], merged.get("region")


def stack_outputs(cloudformation, stack_name: str) -> dict[str, str]:
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def served_files(root: Path = FRONTEND) -> Iterator[tuple[str, Path]]:
    """(object key, file) for every file the dashboard serves."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or relative.parts[0] in EXCLUDED_DIRS:
            continue
        if path.name in EXCLUDED_FILES or any(part.startswith(".") for part in relative.parts):
            continue
        yield relative.as_posix(), path


def build_frontend(root: Path = FRONTEND) -> None:
    """npm ci + the build script (copies Chart.js into vendor/)."""
    subprocess.run(["npm", "ci", "--prefix", str(root), "--no-audit", "--no-fund", "--loglevel=error"], check=True)  # noqa: S603, S607
    subprocess.run(["node", str(root / "scripts" / "build.mjs")], check=True)  # noqa: S603, S607


def publish(s3, cloudfront, outputs: dict[str, str], root: Path = FRONTEND) -> dict:
    """Upload the dashboard, write config.json, delete stale objects and invalidate CloudFront."""
    bucket, distribution = outputs["DashboardBucketName"], outputs["DistributionId"]
    uploaded: set[str] = set()
    for key, path in served_files(root):
        cache = NO_CACHE if key == "index.html" else SHORT_CACHE
        s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": content_type(path), "CacheControl": cache})
        uploaded.add(key)
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps({"apiBase": "/api"}).encode(),
        ContentType="application/json",
        CacheControl=NO_CACHE,
    )
    uploaded.add("config.json")
    stale = [
        {"Key": item["Key"]}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
        if item["Key"] not in uploaded
    ]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": stale[start : start + 1000], "Quiet": True})
    invalidation = cloudfront.create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"publish-{time.time_ns()}"},
    )["Invalidation"]
    deleted = [item["Key"] for item in stale]
    return {"uploaded": sorted(uploaded), "deleted": deleted, "invalidation": invalidation["Id"]}


def empty_bucket(s3, bucket: str) -> int:
    """Delete every object version and delete marker, so CloudFormation can delete the (versioned) bucket."""
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        for start in range(0, len(doomed), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[start : start + 1000], "Quiet": True})
        deleted += len(doomed)
    return deleted


def stack_buckets(cloudformation, stack_name: str) -> list[str]:
    paginator = cloudformation.get_paginator("list_stack_resources")
    return [
        resource["PhysicalResourceId"]
        for page in paginator.paginate(StackName=stack_name)
        for resource in page["StackResourceSummaries"]
        if resource["ResourceType"] == "AWS::S3::Bucket" and resource.get("PhysicalResourceId")
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config-env", default="default", help="samconfig.toml environment (default: default)")
    parser.add_argument("--stack-name", help="overrides samconfig.toml's stack_name")
    parser.add_argument("--region", help="overrides samconfig.toml's region and the AWS configuration's")
    parser.add_argument("--skip-build", action="store_true", help="upload frontend/ as it is (vendor/ must exist)")
    parser.add_argument("--empty-buckets", action="store_true", help="empty the stack's buckets instead (destroy)")
    args = parser.parse_args(argv)

    stack_name, region = stack_settings(args.config_env)
    stack_name = args.stack_name or stack_name
    session = boto3.session.Session(region_name=args.region or region)
    cloudformation = session.client("cloudformation")
    s3 = session.client("s3")

    if args.empty_buckets:
        try:
            buckets = stack_buckets(cloudformation, stack_name)
        except cloudformation.exceptions.ClientError as error:
            if "does not exist" in str(error):
                print(f"stack {stack_name} does not exist: nothing to empty")
                return 0
            raise
        for bucket in buckets:
            try:
                print(f"emptied s3://{bucket}: {empty_bucket(s3, bucket)} object versions deleted")
            except s3.exceptions.NoSuchBucket:
                print(f"s3://{bucket} is already gone")
        return 0

    outputs = stack_outputs(cloudformation, stack_name)
    if not args.skip_build:
        build_frontend()
    summary = publish(s3, session.client("cloudfront"), outputs)
    print(
        f"published {len(summary['uploaded'])} files to s3://{outputs['DashboardBucketName']} "
        f"(removed {len(summary['deleted'])} stale), CloudFront invalidation {summary['invalidation']}"
    )
    print(f"dashboard: {outputs.get('DashboardUrl', 'https://' + outputs.get('DashboardDistributionDomain', '?'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
