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
    # The dashboard signs in with USER_PASSWORD_AUTH only; SRP would be an unused way in.
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    auth_js = (ROOT / "web" / "js" / "auth.js").read_text()
    assert "USER_PASSWORD_AUTH" in auth_js and "USER_SRP_AUTH" not in auth_js


def test_owners_have_totp_mfa_optional_in_dev_and_a_parameter_for_prod(template):
    pool = resource(template, "OwnerUserPool")["Properties"]
    assert pool["MfaConfiguration"] == {"Ref": "OwnerMfa"}
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    parameter = template["Parameters"]["OwnerMfa"]
    assert parameter["Default"] == "OPTIONAL" and set(parameter["AllowedValues"]) == {"OPTIONAL", "ON"}
    samconfig = (ROOT / "samconfig.toml").read_text()
    prod = samconfig[samconfig.index("[prod.deploy.parameters]") :]
    assert "OwnerMfa=ON" in prod
    assert "OwnerMfa" not in samconfig[: samconfig.index("[prod.deploy.parameters]")]


def test_owner_tokens_are_short_lived_rotated_and_revocable(template):
    client = resource(template, "DashboardClient")["Properties"]
    units = client["TokenValidityUnits"]
    assert units["AccessToken"] == units["IdToken"] == "minutes"
    assert client["AccessTokenValidity"] <= 15 and client["IdTokenValidity"] <= 15
    assert client["EnableTokenRevocation"] is True
    assert client["RefreshTokenRotation"]["Feature"] == "ENABLED"
    assert 0 <= client["RefreshTokenRotation"]["RetryGracePeriodSeconds"] <= 60
    # With rotation Cognito refreshes through GetTokensFromRefreshToken; sign-out revokes.
    auth_js = (ROOT / "web" / "js" / "auth.js").read_text()
    assert '"RevokeToken"' in auth_js and '"GetTokensFromRefreshToken"' in auth_js
    assert '"REFRESH_TOKEN_AUTH"' not in auth_js


def test_owner_email_changes_need_verification_and_the_pool_is_retained(template):
    pool = resource(template, "OwnerUserPool")
    assert pool["Properties"]["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    assert pool["DeletionPolicy"] == "Retain" and pool["UpdateReplacePolicy"] == "Retain"


def test_threat_protection_and_ses_sender_are_parameters_off_by_default(template):
    pool = resource(template, "OwnerUserPool")["Properties"]
    assert template["Parameters"]["OwnerThreatProtection"]["Default"] == "OFF"
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": {"Ref": "OwnerThreatProtection"}}
    assert pool["UserPoolTier"] == {"Fn::If": ["HasThreatProtection", "PLUS", "ESSENTIALS"]}
    condition, ses, default = pool["EmailConfiguration"]["Fn::If"]
    assert condition == "HasSesIdentity"
    assert template["Conditions"]["HasSesIdentity"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "OwnerEmailSesIdentityArn"}, ""]}]
    }
    assert ses["EmailSendingAccount"] == "DEVELOPER" and ses["SourceArn"] == {"Ref": "OwnerEmailSesIdentityArn"}
    assert default == {"EmailSendingAccount": "COGNITO_DEFAULT"}
    assert template["Parameters"]["OwnerEmailSesIdentityArn"]["Default"] == ""


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
    statements = _statements(resource(template, "TrackClickFunction"))

    def listed(statement: dict) -> list[str]:
        return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]

    actions = {a for s in statements for a in listed(s) if "dynamodb" in a}
    # Issue 13: UpdateItem on EventsTable only, the visitor's hourly count of "Connect Spotify".
    assert actions == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
    updates = [s for s in statements if "dynamodb:UpdateItem" in listed(s)]
    assert [s["Resource"] for s in updates] == [{"Fn::GetAtt": ["EventsTable", "Arn"]}]
    analytics_statements = _statements(resource(template, "AnalyticsFunction"))
    analytics = json.dumps(analytics_statements)
    assert "UpdateItem" not in analytics and "DeleteItem" not in analytics and "kms:" not in analytics
    # Issue 15: the one write, a settled day's roll-up: PutItem on StatsTable, of its attributes only.
    puts = [s for s in analytics_statements if "PutItem" in json.dumps(s["Action"])]
    assert [(s["Action"], s["Resource"]) for s in puts] == [("dynamodb:PutItem", {"Fn::GetAtt": ["StatsTable", "Arn"]})]
    assert puts[0]["Condition"] == {
        "ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "sk", "late_writes", "summed_late", "sums"]}
    }


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


CHECKOV = os.environ.get("CHECKOV") or str(ROOT / ".venv-checkov" / "bin" / "checkov")


def test_checkov_finds_no_unsuppressed_failure_and_every_skip_has_a_reason():
    assert Path(CHECKOV).exists(), f"checkov not found at {CHECKOV}: run `make test`, which installs it"
    result = subprocess.run(
        [CHECKOV, "--file", "template.yaml", "--framework", "cloudformation", "--skip-download", "-o", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == [] and result.returncode == 0, failed
    assert report["summary"]["passed"] > 0
    skipped = report["results"]["skipped_checks"]
    assert skipped, "the template suppresses checks (README, Security posture): checkov must see the skips"
    for check in skipped:
        assert len(check["check_result"].get("suppress_comment", "").split()) >= 8, check["check_id"]


def test_the_readme_security_posture_table_is_the_template_s():
    from scripts.security_posture import markdown_table, suppressions

    table = markdown_table()
    readme = (ROOT / "README.md").read_text()
    assert table in readme, "README's Security posture table differs: `.venv/bin/python -m scripts.security_posture`"
    assert {s.check_id for s in suppressions(cached_template())} >= {"CKV_AWS_27", "CKV_AWS_86", "CKV_AWS_115"}


def test_a_skip_without_reason_or_posture_breaks_the_table():
    from scripts.security_posture import suppressions

    broken = json.loads(json.dumps(cached_template()))
    broken["Resources"]["DataTable"]["Metadata"]["checkov"]["skip"][0]["comment"] = ""
    with pytest.raises(ValueError, match="without a reason"):
        suppressions(broken)
    broken = json.loads(json.dumps(cached_template()))
    del broken["Metadata"]["SecurityPosture"]["CKV_AWS_86"]
    with pytest.raises(ValueError, match="SecurityPosture"):
        suppressions(broken)


def test_logs_are_encrypted_and_keep_no_client_ip(template):
    groups = resources_of_type(template, "AWS::Logs::LogGroup")
    functions = resources_of_type(template, "AWS::Serverless::Function")
    assert len(groups) == len(functions) + 1  # one per function and the API's access log
    for logical_id, group in groups.items():
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["OperationsKey", "Arn"]}, logical_id
    policy = json.dumps(resource(template, "OperationsKey")["Properties"]["KeyPolicy"])
    assert "logs.${AWS::Region}.amazonaws.com" in policy and "kms:EncryptionContext:aws:logs:arn" in policy
    access_log = resource(template, "HttpApi")["Properties"]["AccessLogSettings"]["Format"]
    assert "sourceIp" not in access_log and '"ip"' not in access_log


def test_every_alarm_reaches_the_alarm_topic_and_its_email(template):
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    assert alarms
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id
    topic = resource(template, "AlarmTopic")["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "OperationsKey"}
    subscription = resource(template, "AlarmEmailSubscription")
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    assert "cloudwatch.amazonaws.com" in json.dumps(resource(template, "OperationsKey")["Properties"]["KeyPolicy"])


def test_sqs_sources_cap_their_concurrency_instead_of_reserving_it(template):
    for logical_id, fn in resources_of_type(template, "AWS::Serverless::Function").items():
        assert "ReservedConcurrentExecutions" not in fn["Properties"], logical_id
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                assert 2 <= event["Properties"]["ScalingConfig"]["MaximumConcurrency"] <= 10, logical_id


def test_dashboard_tls_floor_needs_its_custom_domain(template):
    config = resource(template, "DashboardDistribution")["Properties"]["DistributionConfig"]
    condition, custom, default = config["ViewerCertificate"]["Fn::If"]
    assert condition == "HasDashboardDomain"
    assert custom["AcmCertificateArn"] == {"Ref": "DashboardCertificateArn"}
    assert custom["MinimumProtocolVersion"] == "TLSv1.2_2021" and custom["SslSupportMethod"] == "sni-only"
    assert default == {"CloudFrontDefaultCertificate": True}
    assert config["Aliases"]["Fn::If"][0] == "HasDashboardDomain"


def test_production_csp_names_the_api_and_cognito_origins(template):
    headers = resource(template, "DashboardSecurityHeaders")["Properties"]["ResponseHeadersPolicyConfig"]
    condition, with_url, without_url = headers["SecurityHeadersConfig"]["ContentSecurityPolicy"][
        "ContentSecurityPolicy"
    ]["Fn::If"]
    assert condition == "HasPublicApiUrl"
    for policy, api in ((with_url["Fn::Sub"], "${PublicApiUrl}"), (without_url["Fn::Sub"], "https://*.execute-api.")):
        connect = next(d for d in policy.split(";") if d.strip().startswith("connect-src")).split()[1:]
        assert connect[0] == "'self'" and connect[1].startswith(api)
        assert connect[2:] == ["https://cognito-idp.${AWS::Region}.amazonaws.com"]


def test_dashboard_bucket_expires_replaced_files(template):
    rules = resource(template, "DashboardBucket")["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r["Status"] == "Enabled" and r["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 30 for r in rules)


def test_owner_sign_up_is_open_or_by_invitation_from_a_parameter(template):
    parameter = template["Parameters"]["OwnerSignUp"]
    assert parameter["Default"] == "open" and parameter["AllowedValues"] == ["open", "invite"]
    assert template["Conditions"]["OwnerSignUpByInvitation"] == {"Fn::Equals": [{"Ref": "OwnerSignUp"}, "invite"]}
    pool = template["Resources"]["OwnerUserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] == {
        "Fn::If": ["OwnerSignUpByInvitation", True, False]
    }
    assert template["Outputs"]["OwnerSignUp"]["Value"] == {"Ref": "OwnerSignUp"}
