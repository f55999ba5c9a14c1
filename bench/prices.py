"""AWS list prices the cost figures of `make bench` multiply by: us-east-1, arm64, on demand.

Each price names its source page. They are the public list prices as last known to
the team (2025); this machine has no internet, so they were not re-read on the day
of the run: check the pages before quoting a figure to a customer. Free tiers are
left out (a figure is what a deployment pays once past them). Latencies for the
network waits that Lambda bills as duration are published orders of magnitude,
each with its source; Spotify publishes none, so its figure is an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass

AS_OF = "AWS list prices as known in 2025 (not re-read from this offline machine)"


@dataclass(frozen=True)
class Price:
    usd: float
    per: str
    source: str


MILLION = 1_000_000

# Compute
LAMBDA_REQUEST = Price(0.20 / MILLION, "request", "https://aws.amazon.com/lambda/pricing/")
LAMBDA_GB_SECOND_ARM = Price(
    0.0000133334, "GB-second (arm64, first 7.5 billion a month)", "https://aws.amazon.com/lambda/pricing/"
)
# Front door
HTTP_API_REQUEST = Price(
    1.00 / MILLION, "request (HTTP API, first 300 million a month)", "https://aws.amazon.com/api-gateway/pricing/"
)
CLOUDFRONT_HTTPS_REQUEST = Price(
    0.0100 / 10_000, "HTTPS request (United States, Mexico, Canada)", "https://aws.amazon.com/cloudfront/pricing/"
)
CLOUDFRONT_GB_OUT = Price(0.085, "GB out (first 10 TB)", "https://aws.amazon.com/cloudfront/pricing/")
WAF_REQUEST = Price(0.60 / MILLION, "request inspected", "https://aws.amazon.com/waf/pricing/")
WAF_WEB_ACL_MONTH = Price(5.00, "web ACL a month", "https://aws.amazon.com/waf/pricing/")
WAF_RULE_MONTH = Price(1.00, "rule a month", "https://aws.amazon.com/waf/pricing/")
# Data
DYNAMODB_WRU = Price(
    0.625 / MILLION, "write request unit (on demand)", "https://aws.amazon.com/dynamodb/pricing/on-demand/"
)
DYNAMODB_RRU = Price(
    0.125 / MILLION, "read request unit (on demand)", "https://aws.amazon.com/dynamodb/pricing/on-demand/"
)
SQS_REQUEST = Price(0.40 / MILLION, "request (standard queue, each 64 KB chunk)", "https://aws.amazon.com/sqs/pricing/")
KMS_REQUEST = Price(0.03 / 10_000, "request", "https://aws.amazon.com/kms/pricing/")
SECRETS_MANAGER_CALL = Price(0.05 / 10_000, "API call", "https://aws.amazon.com/secrets-manager/pricing/")
SCHEDULER_INVOCATION = Price(1.00 / MILLION, "scheduled invocation", "https://aws.amazon.com/eventbridge/pricing/")
# Observability
LOGS_GB_INGESTED = Price(0.50, "GB ingested (standard class)", "https://aws.amazon.com/cloudwatch/pricing/")
XRAY_TRACE = Price(5.00 / MILLION, "trace recorded", "https://aws.amazon.com/xray/pricing/")
# X-Ray's default sampling rule: the first request each second, then 5 %.
XRAY_SAMPLED = 0.05

# Network waits a Lambda is billed for, per call (published orders of magnitude).
DYNAMODB_MS = 5.0  # "single-digit millisecond performance": https://aws.amazon.com/dynamodb/
SQS_MS = 20.0  # "typical latencies ... in the tens or low hundreds of milliseconds": SQS FAQs
KMS_MS = 10.0  # a regional HTTPS call; KMS publishes no figure: an assumption
SPOTIFY_MS = 150.0  # Spotify publishes no latency: an assumption (a TLS call across the Atlantic)

# Sizes
LAMBDA_MEMORY_GB = 512 / 1024  # template.yaml, Globals.Function.MemorySize
ACCESS_LOG_BYTES = 350  # one HTTP API access log line of template.yaml's format
# What a function writes to its log per invocation, besides the click path's (below): its metrics
# line and INFO logs, an estimate. (Lambda's own START/END/REPORT lines, about 600 bytes, are off
# since issue 16: template.yaml's LoggingConfig, SystemLogLevel WARN.)
LAMBDA_LOG_BYTES = 600
EMF_LINE_BYTES = 250  # one Powertools metrics line (EMF) of a few counts, as record_clicks prints it
LANDING_PAGE_BYTES = 10_000  # the ceiling for the listener's landing page
