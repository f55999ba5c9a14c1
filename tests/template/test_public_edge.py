"""template.yaml keeps the privacy and integrity promises of issue 13 true on AWS:
no client address in access logs, no traced responses, kms:Decrypt only where tokens are
read, and the public routes behind CloudFront with the WAF rate rule that marks."""

from __future__ import annotations

import re

import pytest

from local.cfn import ROOT, cached_template, resources_of_type
from soundlink.tracking.classify import RATE_MARK_HEADER
from soundlink.tracking.origin import ORIGIN_HEADER


@pytest.fixture(scope="module")
def template():
    return cached_template()


def _actions(statement) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def test_the_access_log_holds_no_client_address(template):
    log_format = template["Resources"]["HttpApi"]["Properties"]["AccessLogSettings"]["Format"]
    assert "sourceIp" not in log_format and "identity" not in log_format
    assert '"ip"' not in log_format


def test_no_traced_handler_records_its_response():
    """X-Ray would otherwise keep whole responses: CSV exports, Set-Cookie headers."""
    for path in sorted((ROOT / "functions").glob("*/app.py")):
        source = path.read_text()
        for decorator in re.findall(r"@tracer\.capture_\w+(?:\([^)]*\))?", source):
            assert "capture_response=False" in decorator, f"{path.relative_to(ROOT)}: {decorator}"


def test_only_functions_that_read_sealed_tokens_hold_kms_decrypt(template):
    holders = set()
    for logical_id, fn in resources_of_type(template, "AWS::Serverless::Function").items():
        for policy in fn["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                if any(action in ("kms:Decrypt", "kms:*") for action in _actions(statement)):
                    holders.add(logical_id)
    # poll_user reads listeners' tokens, attribute and the owner API the owners' (to read playlists:
    # attribution, and the playlist check at creation); the callback only seals new ones (GenerateDataKey).
    assert holders == {"PollUserFunction", "AttributeFunction", "CampaignsFunction"}


def test_the_waf_rate_rule_counts_and_marks_the_tracker_and_callback_paths(template):
    acl = template["Resources"]["PublicWebAcl"]
    assert acl["Condition"] == "HasPublicWaf" and acl["Properties"]["Scope"] == "CLOUDFRONT"
    [rule] = acl["Properties"]["Rules"]
    assert "Block" not in rule["Action"]
    [inserted] = rule["Action"]["Count"]["CustomRequestHandling"]["InsertHeaders"]
    # AWS WAF prefixes inserted headers with x-amzn-waf-: the tracker reads exactly that name.
    assert f"x-amzn-waf-{inserted['Name']}" == RATE_MARK_HEADER
    rate = rule["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP" and rate["Limit"] == {"Ref": "PublicRateLimit"}
    paths = {s["ByteMatchStatement"]["SearchString"] for s in rate["ScopeDownStatement"]["OrStatement"]["Statements"]}
    assert paths == {"/c/", "/oauth/callback"}
    assert acl["Properties"]["VisibilityConfig"]["SampledRequestsEnabled"] is False


def test_cloudfront_adds_the_secret_origin_header_the_functions_check(template):
    resources = template["Resources"]
    config = resources["PublicDistribution"]["Properties"]["DistributionConfig"]
    [origin] = config["Origins"]
    [header] = origin["OriginCustomHeaders"]
    assert header["HeaderName"].lower() == ORIGIN_HEADER
    assert "OriginVerifySecret" in header["HeaderValue"]["Fn::Sub"]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert config["WebACLId"]["Fn::If"][0] == "HasPublicWaf"
    forwarded = resources["PublicOriginRequests"]["Properties"]["OriginRequestPolicyConfig"]["HeadersConfig"]
    assert "Host" not in forwarded["Headers"]
    assert {"CloudFront-Viewer-Address", "CloudFront-Viewer-Country", RATE_MARK_HEADER} <= set(forwarded["Headers"])
    for function in ("TrackClickFunction", "OAuthCallbackFunction"):
        secret = resources[function]["Properties"]["Environment"]["Variables"]["ORIGIN_SECRET"]
        assert secret["Fn::If"][0] == "HasPublicDistribution"


def test_the_local_cloud_plays_the_rate_rule_with_the_templates_limit(template):
    limit = template["Parameters"]["PublicRateLimit"]
    assert limit["MinValue"] >= 10  # AWS WAF's smallest rate limit
    from local.rate_rule import MARK_HEADER, PATH_PREFIXES

    assert MARK_HEADER == RATE_MARK_HEADER and set(PATH_PREFIXES) == {"/c/", "/oauth/callback"}


def _kms_statements(fn) -> list[dict]:
    return [
        statement
        for policy in fn["Properties"].get("Policies", [])
        if isinstance(policy, dict)
        for statement in policy.get("Statement", [])
        if any(action.startswith("kms:") for action in _actions(statement))
    ]


def test_every_kms_grant_is_conditioned_on_the_purposes_the_function_needs(template):
    from soundlink.tokens.cipher import LISTENER_PURPOSE, OWNER_PURPOSE

    needs = {
        "OAuthCallbackFunction": {LISTENER_PURPOSE, OWNER_PURPOSE},  # seals both
        # Polls and fans checks use listener tokens; a fans check reads the campaign's playlist
        # (its tracks and their artists) with the owner's connection, as attribution does.
        "PollUserFunction": {LISTENER_PURPOSE, OWNER_PURPOSE},
        "AttributeFunction": {OWNER_PURPOSE},
        "CampaignsFunction": {OWNER_PURPOSE},  # the playlist check at creation
    }
    holders = {}
    for logical_id, fn in resources_of_type(template, "AWS::Serverless::Function").items():
        for statement in _kms_statements(fn):
            condition = statement.get("Condition", {})
            purposes = condition.get("StringEquals", {}).get("kms:EncryptionContext:purpose")
            if purposes is None:
                # Only the v1 fallback goes without a purpose, and it only decrypts data keys that have none.
                assert _actions(statement) == ["kms:Decrypt"], (logical_id, statement)
                assert condition["Null"] == {"kms:EncryptionContext:purpose": "true"}, (logical_id, statement)
                continue
            granted = {purposes} if isinstance(purposes, str) else set(purposes)
            holders.setdefault(logical_id, set()).update(granted)
    assert holders == needs
