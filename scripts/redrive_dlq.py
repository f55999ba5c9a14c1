"""Move the messages of a dead-letter queue back to the queue they came from.

    .venv/bin/python -m scripts.redrive_dlq --list                       # what waits where
    .venv/bin/python -m scripts.redrive_dlq PollDeadLetters               # redrive one (a name's suffix will do)
    .venv/bin/python -m scripts.redrive_dlq --all

Against the local cloud by default (`--endpoint http://127.0.0.1:5000`, moto); with
`--endpoint aws` the AWS credentials and region of the environment are used. The source
queue is found from the source queues' redrive policies. Fix the cause first (the
function's log says why each message failed): a redriven message that fails again
returns to its dead-letter queue after maxReceiveCount more deliveries.
"""

from __future__ import annotations

import argparse
import os

import boto3

from local.chaos import dead_letter_queues, dead_letters, redrive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.redrive_dlq")
    parser.add_argument("queue", nargs="?", help="the dead-letter queue's name or the end of it")
    parser.add_argument("--all", action="store_true", help="redrive every dead-letter queue")
    parser.add_argument("--list", action="store_true", help="only count what waits in each")
    parser.add_argument("--endpoint", default=os.environ.get("SOUNDLINK_MOTO_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    args = parser.parse_args(argv)
    if args.endpoint == "aws":
        sqs = boto3.client("sqs", region_name=args.region)
    else:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        sqs = boto3.client("sqs", region_name=args.region, endpoint_url=args.endpoint)
    if args.list or not (args.queue or args.all):
        for name, count in sorted(dead_letters(sqs).items()):
            print(f"{name}: {count}")
        return 0
    chosen = [url for url in dead_letter_queues(sqs) if args.all or url.rsplit("/", 1)[-1].endswith(args.queue)]
    if not chosen:
        parser.error(f"no dead-letter queue named {args.queue!r}")
    for url in chosen:
        print(f"{url.rsplit('/', 1)[-1]}: {redrive(sqs, url)} message(s) moved back")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
