"""template.yaml: lint-clean, buildable, and holding what production needs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from local.cfn import ROOT, cached_template, resources_of_type, table_definitions
from tests.support.events import http_event

SAM = os.environ.get("SAM_CLI") or str(ROOT / ".venv-sam" / "bin" / "sam")
SAM_ENV = {**os.environ, "SAM_CLI_TELEMETRY": "0"}


def sam(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    assert Path(SAM).exists(), f"SAM CLI not found at {SAM}: run `make test`, which installs it"
    return subprocess.run(
        [SAM, *args], cwd=cwd, env=env or SAM_ENV, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def template():
    return cached_template()


def resource(template, logical_id):
    return template["Resources"][logical_id]


def test_cfn_lint_is_clean():
    cfn_lint = str(Path(sys.executable).parent / "cfn-lint")
    result = subprocess.run([cfn_lint, str(ROOT / "template.yaml")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_is_clean():
    result = sam("validate", "--lint")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_sam_build_produces_arm64_python313_artifacts(tmp_path):
    env = {**SAM_ENV, "PYENV_VERSION": os.environ.get("SAM_PYENV_VERSION", "3.13.0")}
    build_dir = tmp_path / "build"
    result = sam("build", "--build-dir", str(build_dir), "--cache-dir", str(tmp_path / "cache"), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    artifact = build_dir / "CampaignsFunction"
    assert (artifact / "campaigns" / "app.py").exists()
    assert (artifact / "soundlink" / "campaigns" / "service.py").exists()
    native = list((artifact / "pydantic_core").glob("_pydantic_core*.so"))
    assert native and "aarch64" in native[0].name, native
    assert "cpython-313" in native[0].name
    shutil.rmtree(build_dir)


def test_functions_are_python313_arm64_with_thin_handlers(template):
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["arm64"]
    assert globals_["CodeUri"] == "functions/"
    for logical_id, fn in resources_of_type(template, "AWS::Serverless::Function").items():
        handler = fn["Properties"]["Handler"]
        folder = handler.split(".")[0]
        assert handler == f"{folder}.app.handler", logical_id
        assert (ROOT / "functions" / folder / "app.py").exists(), logical_id
        assert fn["Properties"].get("Policies"), f"{logical_id} has no least-privilege policies"


def test_http_api_has_jwt_authorizer_cors_and_throttling(template):
    api = resource(template, "HttpApi")["Properties"]
    authorizer = api["Auth"]["Authorizers"][api["Auth"]["DefaultAuthorizer"]]
    assert "cognito-idp" in authorizer["JwtConfiguration"]["issuer"]["Fn::Sub"]
    assert authorizer["JwtConfiguration"]["audience"] == [{"Ref": "DashboardClient"}]
    assert api["CorsConfiguration"]["AllowOrigins"] != ["*"]
    public = {
        f"{e['Properties']['Method']} {e['Properties']['Path']}"
        for fn in resources_of_type(template, "AWS::Serverless::Function").values()
        for e in fn["Properties"].get("Events", {}).values()
        if e["Type"] == "HttpApi" and e["Properties"].get("Auth", {}).get("Authorizer") == "NONE"
    }
    assert {"GET /health", "GET /openapi.json"} <= public
    assert public <= set(api["RouteSettings"]), "every public route needs its own throttling"


def test_owner_pool_and_public_client(template):
    pool = resource(template, "OwnerUserPool")["Properties"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    client = resource(template, "DashboardClient")["Properties"]
    assert client["GenerateSecret"] is False
    assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"} <= set(client["ExplicitAuthFlows"])


def test_tables_are_on_demand_recoverable_and_raw_events_expire(template):
    tables = resources_of_type(template, "AWS::DynamoDB::Table")
    assert set(tables) >= {"DataTable", "EventsTable", "StatsTable", "IdempotencyTable"}
    for logical_id, table in tables.items():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", logical_id
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, logical_id
    definitions = table_definitions(template)
    assert definitions["EventsTable"]["TimeToLiveAttribute"] == "expires_at"
    assert definitions["DataTable"]["TimeToLiveAttribute"] == "expires_at"
    assert {i["IndexName"] for i in definitions["DataTable"]["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2"}


def test_token_key_is_customer_managed_and_rotated(template):
    key = resource(template, "TokenKey")["Properties"]
    assert key["EnableKeyRotation"] is True
    assert resource(template, "TokenKeyAlias")["Properties"]["TargetKeyId"] == {"Ref": "TokenKey"}


def test_spotify_secret_is_never_plain_text(template):
    text = (ROOT / "template.yaml").read_text()
    assert "SpotifyClientSecret:" in text
    secret = resource(template, "SpotifyClientSecret")["Properties"]
    assert "SecretString" not in secret
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["SPOTIFY_CLIENT_SECRET_ARN"] == {"Ref": "SpotifyClientSecret"}
    assert not any("SECRET" in name and name != "SPOTIFY_CLIENT_SECRET_ARN" for name in env)
    assert "SpotifyClientSecret" not in template["Parameters"]


def test_dashboard_bucket_is_private_behind_cloudfront_https(template):
    bucket = resource(template, "DashboardBucket")["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    distribution = resource(template, "DashboardDistribution")["Properties"]["DistributionConfig"]
    assert distribution["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    origin = distribution["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["DashboardOriginAccessControl", "Id"]}


def test_outputs_for_operators(template):
    assert {"ApiUrl", "DashboardUrl", "UserPoolId", "UserPoolClientId", "SpotifyRedirectUri"} <= set(
        template["Outputs"]
    )


def test_test_events_have_the_shape_sam_generates():
    result = sam("local", "generate-event", "apigateway", "http-api-proxy")
    assert result.returncode == 0, result.stderr
    reference = json.loads(result.stdout)
    ours = http_event("POST", "/campaigns", body={"a": 1}, path_parameters={"id": "x"}, query={"q": "1"}, claims={})
    optional = {"cookies", "stageVariables"}
    assert set(reference) - optional <= set(ours)
    assert set(reference["requestContext"]) - {"authentication"} <= set(ours["requestContext"])
    assert set(reference["requestContext"]["http"]) == set(ours["requestContext"]["http"])
    assert set(reference["requestContext"]["authorizer"]["jwt"]) == set(ours["requestContext"]["authorizer"]["jwt"])
    assert all(name == name.lower() for name in ours["headers"])


def _statements(fn: dict) -> list[dict]:
    found = []
    for policy in fn["Properties"]["Policies"]:
        # Only inline statements: a SAM policy template (DynamoDBCrudPolicy...) grants
        # Scan and every index, and cannot be read here.
        assert set(policy) == {"Statement"}, f"not an inline statement: {sorted(policy)}"
        found += policy["Statement"]
    return found


def test_every_function_names_the_actions_and_resources_it_uses(template):
    for logical_id, fn in resources_of_type(template, "AWS::Serverless::Function").items():
        for statement in _statements(fn):
            assert statement["Effect"] == "Allow", logical_id
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                assert "*" not in action, f"{logical_id}: wildcard action {action}"
                assert action != "dynamodb:Scan", f"{logical_id}: no function may Scan"
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for value in resources:
                assert "*" not in json.dumps(value), f"{logical_id}: wildcard resource {value}"


def test_the_tracker_holds_no_token_rights_and_analytics_only_reads(template):
    tracker = json.dumps(_statements(resource(template, "TrackClickFunction")))
    assert "kms:" not in tracker and "secretsmanager:" not in tracker
    actions = {a for s in _statements(resource(template, "TrackClickFunction")) for a in s["Action"] if "dynamodb" in a}
    assert actions == {"dynamodb:GetItem", "dynamodb:PutItem"}
    analytics = json.dumps(_statements(resource(template, "AnalyticsFunction")))
    assert "PutItem" not in analytics and "UpdateItem" not in analytics and "kms:" not in analytics


def test_queues_have_dead_letter_queues_and_alarms(template):
    queues = resources_of_type(template, "AWS::SQS::Queue")
    sources = [name for name in queues if not name.endswith("DeadLetters")]
    assert sources, "no queues"
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    watched = {json.dumps(alarm["Properties"]["Dimensions"]) for alarm in alarms.values()}
    for name in sources:
        props = queues[name]["Properties"]
        dead = props["RedrivePolicy"]["deadLetterTargetArn"]
        assert dead == {"Fn::GetAtt": [f"{name.removesuffix('Queue')}DeadLetters", "Arn"]}, name
        assert props.get("SqsManagedSseEnabled") is True, name
        assert any(f"{name.removesuffix('Queue')}DeadLetters" in w for w in watched), f"no alarm on {name}'s DLQ"
    for logical_id in resources_of_type(template, "AWS::Serverless::Function"):
        for metric in ("Errors", "Throttles"):
            assert f"{logical_id}{metric}Alarm" in alarms, f"no {metric} alarm for {logical_id}"
