"""Powertools logger, tracer and metrics shared by every handler.

The tracer patches botocore only: Powertools' default patches every library the X-Ray SDK
knows (sqlite3, mysql, pymongo, httpx, requests...), importing each at cold start (~70 ms).
The Spotify transport patches requests itself, in the handlers that call Spotify."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
