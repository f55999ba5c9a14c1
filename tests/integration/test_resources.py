"""Every resource of the template exists in moto, as the template declares it."""

from __future__ import annotations

import json

from local.cfn import load_template
from local.cloud import LocalCloud
from local.stack import LocalStack


def test_tables_have_the_template_keys_indexes_and_ttl(fixture_cloud: LocalCloud) -> None:
    dynamodb = fixture_cloud.client("dynamodb")
    table = dynamodb.describe_table(TableName="soundlink-local-RecordsTable")["Table"]
    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("pk", "HASH"), ("sk", "RANGE")]
    [index] = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by-kind"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["kind", "sk"]
    ttl = dynamodb.describe_time_to_live(TableName="soundlink-local-RecordsTable")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_queues_have_their_attributes_and_redrive_policy(fixture_cloud: LocalCloud) -> None:
    sqs = fixture_cloud.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=fixture_cloud.physical_id("WorkQueue"), AttributeNames=["All"])[
        "Attributes"
    ]
    assert attributes["VisibilityTimeout"] == "1"
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == 2
    assert redrive["deadLetterTargetArn"] == fixture_cloud.stack.resources["WorkDeadLetters"].attributes["Arn"]
    dlq = sqs.get_queue_attributes(QueueUrl=fixture_cloud.physical_id("WorkDeadLetters"), AttributeNames=["All"])
    assert dlq["Attributes"]["MessageRetentionPeriod"] == "1209600"


def test_key_alias_secret_parameter_bucket_and_user_pool(fixture_cloud: LocalCloud) -> None:
    kms = fixture_cloud.client("kms")
    key_id = fixture_cloud.physical_id("Key")
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/fixture-dev"] == key_id
    ciphertext = kms.encrypt(KeyId="alias/fixture-dev", Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"x"

    secret = fixture_cloud.client("secretsmanager").get_secret_value(SecretId="fixture/dev/secret")
    assert len(secret["SecretString"]) == 24 and secret["SecretString"].isalnum()

    parameter = fixture_cloud.client("ssm").get_parameter(Name=fixture_cloud.physical_id("Setting"))
    assert parameter["Parameter"]["Value"] == "hello-setting"

    buckets = [b["Name"] for b in fixture_cloud.client("s3").list_buckets()["Buckets"]]
    assert "soundlink-local-uploads" in buckets

    cognito = fixture_cloud.client("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=fixture_cloud.physical_id("Users"))["UserPool"]
    assert pool["Name"] == "fixture-dev-users"
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    client = cognito.describe_user_pool_client(
        UserPoolId=pool["Id"], ClientId=fixture_cloud.physical_id("UsersClient")
    )["UserPoolClient"]
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]


def test_conditions_skipped_types_and_statuses(fixture_cloud: LocalCloud) -> None:
    statuses = {key: resource.status for key, resource in fixture_cloud.stack.resources.items()}
    assert statuses["OnlyInProd"] == "disabled"  # Condition: IsProd, Stage is dev
    assert statuses["ApiLogs"] == "skipped"
    assert statuses["ApiFunction"] == statuses["Api"] == "emulated"
    assert statuses["RecordsTable"] == statuses["WorkQueue"] == statuses["Users"] == "created"
    queues = fixture_cloud.client("sqs").list_queues()["QueueUrls"]
    assert not [url for url in queues if "OnlyInProd" in url]


def test_environment_resolves_refs_getatts_subs_and_conditions(fixture_cloud: LocalCloud) -> None:
    env = fixture_cloud.function_environment("ApiFunction")
    stack = fixture_cloud.stack
    assert env["STAGE"] == "dev"  # the local Stage
    assert env["MODE"] == "development"  # !If on a condition, from Globals
    assert env["RECORDS_TABLE"] == "soundlink-local-RecordsTable"  # Globals !Ref
    assert env["QUEUE_URL"] == stack.resources["WorkQueue"].ref  # !Ref of a queue is its URL
    assert env["QUEUE_ARN"] == "arn:aws:sqs:us-east-1:123456789012:soundlink-local-WorkQueue"
    assert env["KEY_ARN"] == stack.resources["Key"].attributes["Arn"]
    assert env["SECRET_ARN"].startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:fixture/dev/secret-")
    assert env["USER_POOL"] == fixture_cloud.physical_id("Users")
    assert env["API_ENDPOINT"] == fixture_cloud.api_url
    assert env["GREETING"] == "hello from us-east-1/123456789012"  # !Sub with parameters and pseudo parameters
    assert env["LOG_GROUP"] == "soundlink-local-ApiLogs"
    assert env["NUMBER"] == "42"
    assert env["ROLE"] == "api" and fixture_cloud.function_environment("WorkFunction")["ROLE"] == "worker"
    assert env["AWS_ENDPOINT_URL"] == fixture_cloud.moto_url


def test_a_new_table_or_queue_in_the_template_needs_no_change_in_local(fixture_cloud: LocalCloud, tmp_path) -> None:
    template = load_template(fixture_cloud.template_path)
    template["Resources"]["ExtraTable"] = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        },
    }
    template["Resources"]["ExtraQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {"FifoQueue": True, "ContentBasedDeduplication": True},
    }
    stack = LocalStack(template, endpoint_url=fixture_cloud.moto_url, template_dir=tmp_path, stack_name="extra")
    stack.provision()
    assert stack.resources["ExtraTable"].ref == "extra-ExtraTable"
    assert stack.resources["ExtraQueue"].ref.endswith("/extra-ExtraQueue.fifo")
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.resources["ExtraQueue"].ref, AttributeNames=["FifoQueue"]
    )
    assert attributes["Attributes"]["FifoQueue"] == "true"
