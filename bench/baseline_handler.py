"""The cold-start baseline: a handler that imports boto3 and creates the clients a tracker needs."""

import boto3

dynamodb = boto3.client("dynamodb")
sqs = boto3.client("sqs")


def handler(event: dict, context: object) -> dict:
    return {"statusCode": 204}
