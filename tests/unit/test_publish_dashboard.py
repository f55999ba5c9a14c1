"""make deploy's dashboard upload, against moto."""

import json

import boto3
from moto import mock_aws

from scripts import publish_dashboard

STACK_TEMPLATE = {
    "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
    "Outputs": {
        "ApiUrl": {"Value": "https://api.example.com"},
        "DashboardUrl": {"Value": "https://d123.cloudfront.net"},
        "DashboardBucketName": {"Value": {"Ref": "Bucket"}},
        "DashboardDistributionId": {"Value": "set by the test"},
        "UserPoolId": {"Value": "us-east-1_abc"},
        "UserPoolClientId": {"Value": "client123"},
    },
}


def test_uploads_every_file_and_a_config_from_the_stack_outputs(capsys):
    with mock_aws():
        distribution = boto3.client("cloudfront").create_distribution(
            DistributionConfig={
                "CallerReference": "t",
                "Comment": "",
                "Enabled": True,
                "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "b.s3.amazonaws.com"}]},
                "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https"},
            }
        )["Distribution"]
        template = json.loads(json.dumps(STACK_TEMPLATE))
        template["Outputs"]["DashboardDistributionId"]["Value"] = distribution["Id"]
        cloudformation = boto3.client("cloudformation", region_name="us-east-1")
        cloudformation.create_stack(StackName="soundlink-dev", TemplateBody=json.dumps(template))
        bucket = cloudformation.describe_stacks(StackName="soundlink-dev")["Stacks"][0]["Outputs"]
        bucket = next(o["OutputValue"] for o in bucket if o["OutputKey"] == "DashboardBucketName")

        # A file an earlier deploy uploaded that is no longer in web/.
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.put_object(Bucket=bucket, Key="js/removed-page.js", Body=b"old")

        assert publish_dashboard.main(["--stage", "dev"]) == 0

        keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
        assert {"index.html", "config.json", "js/auth.js"} <= keys
        assert "js/removed-page.js" not in keys
        published = {p.relative_to(publish_dashboard.WEB).as_posix() for p in publish_dashboard.WEB.rglob("*")}
        assert keys - {"config.json"} <= published
        assert "README.md" not in keys and not any(key.startswith("test/") for key in keys)
        index = s3.get_object(Bucket=bucket, Key="index.html")
        assert index["ContentType"] == "text/html"
        config = json.loads(s3.get_object(Bucket=bucket, Key="config.json")["Body"].read())
        assert config == {
            "apiUrl": "https://api.example.com",
            "signUp": True,
            "cognito": {
                "region": "us-east-1",
                "userPoolId": "us-east-1_abc",
                "clientId": "client123",
                "endpoint": "https://cognito-idp.us-east-1.amazonaws.com/",
            },
        }
        invalidations = boto3.client("cloudfront").list_invalidations(DistributionId=distribution["Id"])
        assert invalidations["InvalidationList"]["Quantity"] == 1
    out = capsys.readouterr().out
    assert "https://d123.cloudfront.net" in out and "1 deleted" in out


def test_an_invitation_only_deployment_tells_the_dashboard_to_hide_sign_up():
    from scripts.publish_dashboard import dashboard_config

    outputs = {"ApiUrl": "https://api.example.com", "UserPoolId": "p", "UserPoolClientId": "c"}
    assert dashboard_config({**outputs, "OwnerSignUp": "invite"}, "us-east-1")["signUp"] is False
    assert dashboard_config({**outputs, "OwnerSignUp": "open"}, "us-east-1")["signUp"] is True
