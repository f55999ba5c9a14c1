"""Owners of the running local cloud's user pool, from the command line.

    python -m local.owner create --email owner@example.com --password 'Local-owner-2026'
    python -m local.owner token --email owner@example.com --password 'Local-owner-2026'

Both print the owner's ID token (use it as `Authorization: Bearer <token>`);
`--json` prints every token and the owner's `sub`. The user pool, app client
and moto endpoint come from the dashboard's config.json of the running local
cloud (SOUNDLINK_WEB_PORT, 8080 by default, or --web-url).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

import boto3
import requests
from botocore.exceptions import ClientError

from local.cloud import create_owner, sign_in
from local.stack import FAKE_CREDENTIALS


def _cognito(config: dict) -> object:
    cognito = config["cognito"]
    session = boto3.session.Session(region_name=cognito["region"], **FAKE_CREDENTIALS)
    return session.client("cognito-idp", endpoint_url=cognito["endpoint"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.owner", description="Owners of the local user pool")
    parser.add_argument("action", choices=["create", "token"], help="create (or reset) an owner, or sign one in")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True, help="at least 12 characters, upper and lower case, a digit")
    default_web = f"http://127.0.0.1:{os.environ.get('SOUNDLINK_WEB_PORT', '8080')}"
    parser.add_argument("--web-url", default=default_web, help=f"the local dashboard (default {default_web})")
    parser.add_argument("--json", action="store_true", help="print every token and the owner's sub as JSON")
    args = parser.parse_args(argv)

    try:
        config = requests.get(f"{args.web_url.rstrip('/')}/config.json", timeout=5).json()
        pool_id, client_id = config["cognito"]["userPoolId"], config["cognito"]["clientId"]
    except (requests.RequestException, ValueError, KeyError) as error:
        print(f"No local cloud answers at {args.web_url} ({error}). Start it with `make dev`.", file=sys.stderr)
        return 1
    cognito = _cognito(config)
    try:
        if args.action == "create" and not create_owner(cognito, pool_id, args.email, args.password):
            print(f"{args.email} exists already: its password is reset.", file=sys.stderr)
        tokens = sign_in(cognito, client_id, args.email, args.password)
    except ClientError as error:
        print(f"Cognito refused: {error.response['Error'].get('Message', error)}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(tokens), indent=2) if args.json else tokens.id_token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
