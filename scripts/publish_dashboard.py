"""Upload web/ to the deployed dashboard bucket with a generated config.json.

Run by `make deploy` after `sam deploy`: reads the stack's Outputs, writes
config.json (the same shape the local cloud serves), uploads every file
with its content type, deletes the files that are no longer in web/ and
invalidates the CloudFront cache. The bucket is versioned: a deleted or
replaced file's old version expires after 30 days (its lifecycle rule).
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
# In web/ but not part of the site: the dashboard's notes and its node tests.
UNPUBLISHED = ("README.md", "test/")
VENDORED = WEB / "vendor" / "chart.umd.min.js"  # made by `make web-vendor`


def published(path: Path) -> bool:
    relative = path.relative_to(WEB).as_posix()
    return path.name != "config.json" and not any(relative == skip or relative.startswith(skip) for skip in UNPUBLISHED)


def stack_settings(stage: str) -> tuple[str, str]:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    section = config.get(stage, {})
    stack = section.get("global", {}).get("parameters", {}).get("stack_name", f"soundlink-{stage}")
    region = section.get("deploy", {}).get("parameters", {}).get("region", "us-east-1")
    return stack, region


def dashboard_config(outputs: dict[str, str], region: str) -> dict:
    return {
        "apiUrl": outputs["ApiUrl"],
        "signUp": outputs.get("OwnerSignUp", "open") == "open",
        "cognito": {
            "region": region,
            "userPoolId": outputs["UserPoolId"],
            "clientId": outputs["UserPoolClientId"],
            "endpoint": f"https://cognito-idp.{region}.amazonaws.com/",
        },
    }


def stale_keys(s3: Any, bucket: str, keep: set[str]) -> list[str]:
    """Keys in the bucket that this upload does not hold (files removed from web/)."""
    found = []
    for listing in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        found += [item["Key"] for item in listing.get("Contents", []) if item["Key"] not in keep]
    return sorted(found)


def delete_keys(s3: Any, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
        batch = keys[start : start + 1000]
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True})
        if answer.get("Errors"):
            problems = ", ".join(f"{e['Key']}: {e.get('Message', e.get('Code'))}" for e in answer["Errors"])
            raise RuntimeError(f"could not delete stale dashboard files: {problems}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args(argv)
    stack, region = stack_settings(args.stage)
    cloudformation = boto3.client("cloudformation", region_name=region)
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    bucket = outputs["DashboardBucketName"]
    s3 = boto3.client("s3", region_name=region)
    if not VENDORED.is_file():
        sys.stderr.write(f"warning: {VENDORED.relative_to(ROOT)} is missing (make web-vendor): no charts\n")
    files = [p for p in WEB.rglob("*") if p.is_file() and published(p)]
    for path in files:
        key = path.relative_to(WEB).as_posix()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": content_type})
    # Only after every new file is in place: a page loaded meanwhile finds what it needs.
    stale = stale_keys(s3, bucket, {p.relative_to(WEB).as_posix() for p in files} | {"config.json"})
    delete_keys(s3, bucket, stale)
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(dashboard_config(outputs, region), indent=2).encode(),
        ContentType="application/json",
        CacheControl="no-cache",
    )
    boto3.client("cloudfront").create_invalidation(
        DistributionId=outputs["DashboardDistributionId"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": str(time.time())},
    )
    sys.stdout.write(f"Dashboard: {outputs['DashboardUrl']} ({len(files) + 1} files uploaded, {len(stale)} deleted)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
