"""Delete an owner's account and everything it owns, as DELETE /owner does, for an operator.

    .venv/bin/python -m scripts.delete_owner --sub 3f1c...-...          # the local cloud (moto)
    .venv/bin/python -m scripts.delete_owner --email owner@example.com  # finds the sub in Cognito
    .venv/bin/python -m scripts.delete_owner --sub 3f1c... --endpoint aws --stack soundlink-prod

Use it after deleting a user in the Cognito console (or instead of it): a user deleted
there leaves their campaigns, counters, listener links and Spotify connection behind.
The command deletes them (soundlink/owners/deletion.py, the same code as the API), then
the Cognito user if it is still there. It has no time limit, and running it again after
a failure finishes the job; a run for an owner with nothing left changes nothing.

The owner's `sub` is in the Cognito console (User attributes) or, for a user that still
exists, found from `--email`. Against the local cloud by default (`--endpoint
http://127.0.0.1:5000`, stack `soundlink-local`); with `--endpoint aws` the AWS
credentials and region of the environment are used, and the tables and user pool are
read from the CloudFormation stack `--stack`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ("DataTable", "EventsTable", "StatsTable", "OwnerUserPool")
_SUB = re.compile(r"[0-9A-Za-z-]{1,128}")


def stack_resources(cloudformation: Any, stack: str) -> dict[str, str]:
    """Physical ids of the tables and the user pool of a deployed stack."""
    found = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            if resource["LogicalResourceId"] in RESOURCES:
                found[resource["LogicalResourceId"]] = resource["PhysicalResourceId"]
    return found


def local_resources(dynamodb: Any, cognito: Any, stack: str) -> dict[str, str]:
    """The local cloud's: its tables are named {stack}-{logical id}; its one owners' user pool."""
    tables = set(dynamodb.list_tables()["TableNames"])
    found = {name: f"{stack}-{name}" for name in RESOURCES[:3] if f"{stack}-{name}" in tables}
    pools = [p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"].endswith("-owners")]
    if len(pools) == 1:
        found["OwnerUserPool"] = pools[0]
    return found


def sub_of(cognito: Any, pool_id: str, email: str) -> str | None:
    if '"' in email or "\\" in email:
        return None
    users = cognito.list_users(UserPoolId=pool_id, Filter=f'email = "{email}"', Limit=1)["Users"]
    if not users:
        return None
    return next((a["Value"] for a in users[0]["Attributes"] if a["Name"] == "sub"), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.delete_owner", description=__doc__.split("\n\n")[0])
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--sub", help="the owner's Cognito sub (works after the user was deleted in Cognito)")
    who.add_argument("--email", help="the owner's email (only while the Cognito user exists)")
    parser.add_argument("--endpoint", default=os.environ.get("SOUNDLINK_MOTO_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--stack", help="CloudFormation stack (default soundlink-local, or soundlink-dev with aws)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    args = parser.parse_args(argv)

    if args.endpoint == "aws":
        stack = args.stack or "soundlink-dev"
        resources = stack_resources(boto3.client("cloudformation", region_name=args.region), stack)
    else:
        stack = args.stack or "soundlink-local"
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint  # every client below, PynamoDB's too
        resources = local_resources(
            boto3.client("dynamodb", region_name=args.region),
            boto3.client("cognito-idp", region_name=args.region),
            stack,
        )
    missing = [name for name in RESOURCES if name not in resources]
    if missing:
        print(f"stack {stack} has no {', '.join(missing)}: check --stack and --endpoint", file=sys.stderr)
        return 2
    cognito = boto3.client("cognito-idp", region_name=args.region)
    owner = args.sub
    if args.email:
        owner = sub_of(cognito, resources["OwnerUserPool"], args.email)
        if owner is None:
            print(f"no Cognito user has the email {args.email!r}: pass the owner's --sub instead", file=sys.stderr)
            return 1
    if not _SUB.fullmatch(owner or ""):
        print("--sub is a Cognito sub: letters, digits and hyphens", file=sys.stderr)
        return 2

    sys.path.insert(0, str(ROOT / "functions"))
    from soundlink.owners.deletion import CognitoUsers, OwnerDeletion
    from soundlink.platform.settings import Settings
    from soundlink.platform.tables import bind_tables, shared_connection

    settings = Settings.from_env(
        {
            "AWS_REGION": args.region,
            "DATA_TABLE": resources["DataTable"],
            "EVENTS_TABLE": resources["EventsTable"],
            "STATS_TABLE": resources["StatsTable"],
            "OWNER_USER_POOL_ID": resources["OwnerUserPool"],
        }
    )
    bind_tables(settings)
    report = OwnerDeletion(
        settings,
        dynamodb=shared_connection(settings.region, None).client,
        users=CognitoUsers(cognito, settings.owner_user_pool_id),
        now=lambda: datetime.now(UTC),
    ).run(owner)
    print(
        f"owner {owner}: {report.campaigns} campaign(s), {report.items} item(s) and "
        f"{report.listeners_deleted} listener(s) deleted; Cognito user "
        + ("deleted" if report.user_deleted else "already gone")
    )
    return 0 if report.complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
