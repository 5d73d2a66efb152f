"""template.yaml against the code's own definitions of the table and the user pool, and SAM's lint.

db/table.py and user_pool.py are what the local stack and the tests build; these tests keep
the deployed resources identical to them, so a change to one side that misses the other fails here.
They also hold the production settings in place (least-privilege policies, throttling, access logs,
gateway responses, alarms, the optional e-mail and custom domain) and check what SAM's transform
makes of the template, offline. The routes and their auth are test_route_auth.py's.
"""

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from portfolio_api.core.settings import Settings
from portfolio_api.db.client import CLIENT_CONFIG
from portfolio_api.db.table import create_table_arguments, time_to_live_arguments
from portfolio_api.local.stack import LocalStack
from portfolio_api.user_pool import (
    APP_CLIENT_AUTH_FLOWS,
    PASSWORD_POLICY,
    create_app_client_arguments,
    create_user_pool_arguments,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

# Item-level DynamoDB actions, the only ones the function may have.
ITEM_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
    "dynamodb:TransactWriteItems",
    "dynamodb:ConditionCheckItem",
}


class CloudFormationLoader(yaml.SafeLoader):
    """A safe loader that reads CloudFormation's short tags (`!Ref`, `!GetAtt`, `!Sub`, ...)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@cache
def template() -> dict[str, Any]:
    with TEMPLATE.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = yaml.load(stream, Loader=CloudFormationLoader)
    return loaded


def resource(logical_id: str, kind: str) -> dict[str, Any]:
    found: dict[str, Any] = template()["Resources"][logical_id]
    assert found["Type"] == kind
    return found.get("Properties", {})


def test_loader_reads_short_tags() -> None:
    loaded = yaml.load(
        "a: !Ref X\nb: !GetAtt T.Arn\nc: !If [C, 1, 2]\nd: !Sub 'x-${AWS::Region}'\n",
        Loader=CloudFormationLoader,
    )
    assert loaded == {
        "a": {"Ref": "X"},
        "b": {"Fn::GetAtt": ["T", "Arn"]},
        "c": {"Fn::If": ["C", 1, 2]},
        "d": {"Fn::Sub": "x-${AWS::Region}"},
    }


def test_table_is_the_one_the_code_creates() -> None:
    table = resource("PortfolioTable", "AWS::DynamoDB::Table")
    expected = create_table_arguments("x")

    def by_name(definitions: list[dict[str, str]]) -> list[dict[str, str]]:
        return sorted(definitions, key=lambda item: item["AttributeName"])

    assert by_name(table["AttributeDefinitions"]) == by_name(expected["AttributeDefinitions"])
    assert table["KeySchema"] == expected["KeySchema"]
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert indexes == {index["IndexName"]: index for index in expected["GlobalSecondaryIndexes"]}
    for index in table["GlobalSecondaryIndexes"]:
        assert index["Projection"] == {"ProjectionType": "ALL"}
    assert table["BillingMode"] == expected["BillingMode"] == "PAY_PER_REQUEST"
    expected_ttl = time_to_live_arguments("x")["TimeToLiveSpecification"]
    assert table["TimeToLiveSpecification"] == expected_ttl
    assert table["TimeToLiveSpecification"]["AttributeName"] == "expiresAt"


def test_table_is_protected_and_not_named_by_hand() -> None:
    table = resource("PortfolioTable", "AWS::DynamoDB::Table")
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}
    assert "TableName" not in table


def test_a_replacing_change_keeps_the_data() -> None:
    """A change that replaces the table or the pool keeps the old one, data and users intact;
    deleting them stays possible in dev, and in prod deletion protection refuses it."""
    found = template()["Resources"]
    for name in ("PortfolioTable", "UserPool"):
        assert found[name]["UpdateReplacePolicy"] == "Retain", name
        assert found[name]["DeletionPolicy"] == "Delete", name
    table = resource("PortfolioTable", "AWS::DynamoDB::Table")
    assert table["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}
    pool = resource("UserPool", "AWS::Cognito::UserPool")
    assert pool["DeletionProtection"] == {"Fn::If": ["IsProd", "ACTIVE", "INACTIVE"]}


def _policy_findings(text: str) -> list[tuple[str, int]]:
    """cfn-lint's findings on missing DeletionPolicy / UpdateReplacePolicy (informational I3011:
    stateful resources must set both; W3011: one without the other)."""
    from cfnlint.api import ManualArgs, lint

    config = ManualArgs(include_checks=["I"], regions=["us-east-1"])
    return [
        (match.rule.id, match.linenumber)
        for match in lint(text, config=config)
        if match.rule.id in {"I3011", "W3011"}
    ]


@pytest.mark.slow  # cfn-lint over the whole template, twice
def test_every_stateful_resource_states_its_policies() -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    assert _policy_findings(text) == []
    # The check bites: without the table's two policies cfn-lint names it.
    table_line = text.splitlines().index("  PortfolioTable:") + 1
    policies = "    DeletionPolicy: Delete\n    UpdateReplacePolicy: Retain\n"
    assert text.count(policies) == 2  # the table's and the pool's
    without = text.replace(policies, "", 1)
    assert _policy_findings(without) == [("I3011", table_line)] * 2


def test_user_pool_is_the_one_the_code_creates() -> None:
    pool = resource("UserPool", "AWS::Cognito::UserPool")
    expected = create_user_pool_arguments("x")
    assert pool["Policies"]["PasswordPolicy"] == PASSWORD_POLICY
    assert pool["Policies"] == expected["Policies"]
    for name in (
        "UsernameAttributes",
        "AutoVerifiedAttributes",
        "AccountRecoverySetting",
        "UserPoolTier",
    ):
        assert pool[name] == expected[name], name
    assert pool["Schema"] == expected["Schema"]
    # The README's cost notes count on Lite (without it a new pool is Essentials).
    assert pool["UserPoolTier"] == "LITE"
    assert "${AWS::StackName}" in pool["UserPoolName"]["Fn::Sub"]


def test_the_local_pool_is_built_from_those_arguments(cognito: Any, stack: LocalStack) -> None:
    """The stand-in (moto, through boto3's validation) takes the same arguments, the tier too."""
    pool = cognito.describe_user_pool(UserPoolId=stack.user_pool_id)["UserPool"]
    assert pool["UserPoolTier"] == create_user_pool_arguments("x")["UserPoolTier"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == PASSWORD_POLICY["MinimumLength"]


def test_app_client_is_the_one_the_code_creates() -> None:
    client = resource("UserPoolClient", "AWS::Cognito::UserPoolClient")
    expected = create_app_client_arguments("pool", "client")
    assert client["ExplicitAuthFlows"] == APP_CLIENT_AUTH_FLOWS
    assert client["GenerateSecret"] is False
    for name in ("ExplicitAuthFlows", "PreventUserExistenceErrors", "EnableTokenRevocation"):
        assert client[name] == expected[name], name
    assert client["UserPoolId"] == {"Ref": "UserPool"}


def test_owner_group_exists() -> None:
    groups = [
        item["Properties"]
        for item in template()["Resources"].values()
        if item["Type"] == "AWS::Cognito::UserPoolGroup"
    ]
    owner = [group for group in groups if group["GroupName"] == "owner"]
    assert len(owner) == 1
    assert owner[0]["UserPoolId"] == {"Ref": "UserPool"}


def test_function_is_configured_through_every_required_setting() -> None:
    function = resource("ApiFunction", "AWS::Serverless::Function")
    variables = function["Environment"]["Variables"]
    settings = {name.upper(): field for name, field in Settings.model_fields.items()}
    assert set(variables) <= set(settings), "a variable the app does not read"
    assert {name for name, field in settings.items() if field.is_required()} <= set(variables)
    assert variables["DYNAMODB_TABLE_NAME"] == {"Ref": "PortfolioTable"}
    assert variables["COGNITO_USER_POOL_ID"] == {"Ref": "UserPool"}
    assert variables["COGNITO_CLIENT_ID"] == {"Ref": "UserPoolClient"}
    assert function["Handler"] == "portfolio_api.lambda_handler.handler"


def test_function_policies_are_least_privilege() -> None:
    policies = resource("ApiFunction", "AWS::Serverless::Function")["Policies"]
    statements = []
    for policy in policies:
        # Only inline documents: SAM's policy templates (DynamoDBCrudPolicy...) include Scan.
        assert isinstance(policy, dict), policy
        assert set(policy) == {"Version", "Statement"}, policy
        statements += policy["Statement"]
    assert statements
    for statement in statements:
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        actions = statement["Action"]
        actions = [actions] if isinstance(actions, str) else actions
        for action in actions:
            assert "*" not in action, action
            assert action.lower() != "dynamodb:scan"
            if action.startswith("dynamodb:"):
                assert action in ITEM_ACTIONS, action
        resources = statement["Resource"]
        assert resources != "*"
        assert "*" not in (resources if isinstance(resources, list) else [resources])


# --- The function ------------------------------------------------------------------------------


def test_function_is_built_by_the_makefile_and_has_no_events() -> None:
    found = template()["Resources"]["ApiFunction"]
    function = found["Properties"]
    assert found["Metadata"] == {"BuildMethod": "makefile"}
    assert function["CodeUri"] == "."
    assert function["Tracing"] == "Active"
    # SAM would add one Lambda permission per event; the API's DefinitionBody routes instead.
    assert "Events" not in function
    assert template()["Globals"]["Function"]["Runtime"] == "python3.12"
    assert template()["Globals"]["Function"]["Architectures"] == ["arm64"]


def test_function_gives_up_before_the_gateway_does() -> None:
    # API Gateway stops waiting for a REST integration after 29 s; a longer-lived function would
    # go on working (and billing) for a client that already has its 504.
    api_gateway_integration_timeout = 29
    timeout = template()["Globals"]["Function"]["Timeout"]
    assert "Timeout" not in resource("ApiFunction", "AWS::Serverless::Function")
    assert timeout < api_gateway_integration_timeout


def test_a_stuck_aws_call_gives_up_inside_the_function_timeout() -> None:
    # botocore's standard mode: every attempt may take the connect and the read timeout, and
    # the back-off before retry n is at most 2**n seconds.
    retries = CLIENT_CONFIG.retries or {}
    attempts = retries.get("total_max_attempts", retries.get("max_attempts", 0) + 1)
    per_attempt = CLIENT_CONFIG.connect_timeout + CLIENT_CONFIG.read_timeout
    worst = attempts * per_attempt + sum(2**n for n in range(attempts - 1))
    assert worst < template()["Globals"]["Function"]["Timeout"], worst


def test_cursor_secret_is_generated_and_only_its_arn_reaches_the_function() -> None:
    secret = resource("CursorSecret", "AWS::SecretsManager::Secret")
    assert "SecretString" not in secret
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32
    function = resource("ApiFunction", "AWS::Serverless::Function")
    variables = function["Environment"]["Variables"]
    assert variables["CURSOR_SECRET_ARN"] == {"Ref": "CursorSecret"}
    # No value of it is resolved into the configuration, by any name
    assert "CURSOR_SECRET" not in variables
    assert "resolve:secretsmanager" not in json.dumps(template())
    # and the function may read that one secret, and no other
    statements = [s for policy in function["Policies"] for s in policy["Statement"]]
    readers = [s for s in statements if "secretsmanager" in json.dumps(s["Action"])]
    assert readers == [
        {
            "Sid": "CursorSecret",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": {"Ref": "CursorSecret"},
        }
    ]


def test_every_log_group_expires() -> None:
    groups = {
        name: item["Properties"]
        for name, item in template()["Resources"].items()
        if item["Type"] == "AWS::Logs::LogGroup"
    }
    assert {"ApiFunctionLogGroup", "ApiAccessLogGroup"} <= set(groups)
    for name, group in groups.items():
        assert group["RetentionInDays"] == {"Fn::If": ["IsProd", 90, 14]}, name
    assert groups["ApiFunctionLogGroup"]["LogGroupName"] == {
        "Fn::Sub": "/aws/lambda/${ApiFunction}"
    }


# --- The API: stage settings and gateway responses --------------------------------------------


def test_api_is_one_openapi_body_with_its_own_authorizer() -> None:
    api = resource("PortfolioApi", "AWS::Serverless::Api")
    body = api["DefinitionBody"]
    assert body["openapi"].startswith("3.0")
    assert api["OpenApiVersion"] == body["openapi"]
    # The authorizer and CORS live in the body and the function; SAM adding its own (Cors makes
    # mock OPTIONS methods, Auth a DefaultAuthorizer) would change what the route test checks.
    assert "Auth" not in api
    assert "Cors" not in api
    assert "security" not in body, "no API-wide default: each guarded route says so"
    assert api["EndpointConfiguration"] == {"Type": "REGIONAL"}
    assert api["StageName"] == {"Ref": "Environment"}
    # Off on purpose: API Gateway's trace segments keep each sampled request's client IP and user
    # agent, which the site promises never to store. The function is traced instead (see below).
    assert api["TracingEnabled"] is False
    scheme = body["components"]["securitySchemes"]["CognitoAuthorizer"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert scheme["x-amazon-apigateway-authorizer"] == {
        "type": "cognito_user_pools",
        "providerARNs": [{"Fn::GetAtt": ["UserPool", "Arn"]}],
    }


def test_stage_is_throttled_by_parameters() -> None:
    api = resource("PortfolioApi", "AWS::Serverless::Api")
    parameters = template()["Parameters"]
    settings, *per_method = api["MethodSettings"]
    assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
    assert settings["ThrottlingRateLimit"] == {"Ref": "ThrottlingRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}
    for name in ("ThrottlingRateLimit", "ThrottlingBurstLimit"):
        assert parameters[name]["Type"] == "Number"
        assert parameters[name]["Default"] >= parameters[name]["MinValue"] >= 1
    assert (
        parameters["ThrottlingBurstLimit"]["Default"]
        >= parameters["ThrottlingRateLimit"]["Default"]
    )
    # Tighter, per method, on the routes that guess passwords or send e-mail
    limits = {
        (
            setting["ResourcePath"].removeprefix("/").replace("~1", "/"),
            setting["HttpMethod"],
        ): (
            setting["ThrottlingRateLimit"]["Ref"],
            setting["ThrottlingBurstLimit"]["Ref"],
        )
        for setting in per_method
    }
    mail = ("MailRateLimit", "MailBurstLimit")
    assert limits == {
        ("/v1/auth/login", "POST"): ("LoginRateLimit", "LoginBurstLimit"),
        ("/v1/auth/register", "POST"): mail,
        ("/v1/auth/resend-code", "POST"): mail,
        ("/v1/auth/forgot-password", "POST"): mail,
    }
    paths = api["DefinitionBody"]["paths"]
    for path, method in limits:
        assert method.lower() in paths[path], path  # a route the gateway has
    for rate, burst in limits.values():
        assert parameters[rate]["Type"] == parameters[burst]["Type"] == "Number"
        assert parameters[rate]["Default"] < parameters["ThrottlingRateLimit"]["Default"]
        assert parameters[burst]["Default"] >= parameters[rate]["Default"]


def test_stage_writes_json_access_logs() -> None:
    api = resource("PortfolioApi", "AWS::Serverless::Api")
    setting = api["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    log_format = setting["Format"]
    # API Gateway writes `$context.*String` variables JSON-escaped and quoted, others verbatim
    # (so those go inside quotes). The error message may hold quotes: it must be the String one.
    for match in re.finditer(r"(\S?)\$context\.([\w.]+)(\S?)", log_format):
        before, name, after = match.groups()
        quoted = (before, after[:1]) == ('"', '"')
        assert quoted != name.endswith("String"), f"$context.{name} quoted={quoted}"
    assert "$context.error.messageString" in log_format
    message = 'Invalid request body: "title" is missing'
    line = json.loads(log_format.replace("$context.error.messageString", json.dumps(message)))
    assert line["errorMessage"] == message
    assert line["requestId"] == "$context.requestId"
    for field in ("status", "httpMethod", "resourcePath", "responseLatency", "errorType"):
        assert field in line, field
    # The site promises never to store raw client IPs or user agents (API.md, Analytics).
    assert "sourceIp" not in log_format
    assert "userAgent" not in log_format
    assert "$context.identity." not in log_format


def test_api_gateway_may_write_logs() -> None:
    # Access logging fails without the account's CloudWatch role, set before the stage exists.
    found = template()["Resources"]
    account = resource("ApiGatewayAccount", "AWS::ApiGateway::Account")
    assert account["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}
    role = resource("ApiGatewayCloudWatchRole", "AWS::IAM::Role")
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert role["ManagedPolicyArns"] == [
        {
            "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs"
        }
    ]
    assert found["PortfolioApi"]["DependsOn"] == "ApiGatewayAccount"
    # Other stacks in the account may rely on the account setting.
    for name in ("ApiGatewayAccount", "ApiGatewayCloudWatchRole"):
        assert found[name]["DeletionPolicy"] == "Retain", name


PROBLEM_CODES = {
    "validation_error",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "precondition_failed",
    "payload_too_large",
    "rate_limited",
    "service_unavailable",
    "internal_error",
}
ANY_ORIGIN_OR_CALLERS = {"Fn::If": ["AllowsAnyOrigin", "'*'", "method.request.header.Origin"]}


def test_gateway_responses_are_problems_a_browser_can_read() -> None:
    responses = resource("PortfolioApi", "AWS::Serverless::Api")["GatewayResponses"]
    required = {"DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED"}
    assert required <= set(responses)
    for kind, response in responses.items():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"] == ANY_ORIGIN_OR_CALLERS, kind
        exposed = headers["Access-Control-Expose-Headers"].strip("'").split(",")
        assert {"ETag", "Location", "X-Request-Id", "Retry-After"} <= set(exposed), kind
        assert headers["X-Request-Id"] == "context.requestId", kind
        assert headers["Content-Type"] == "'application/problem+json'", kind
        assert headers["Cache-Control"] == "'no-store'", kind
        assert headers["X-Content-Type-Options"] == "'nosniff'", kind
        (body_template,) = response["ResponseTemplates"].values()
        body = json.loads(body_template)
        assert set(body) == {"type", "title", "status", "detail", "code", "requestId"}, kind
        assert body["status"] == response["StatusCode"], kind
        assert body["code"] in PROBLEM_CODES, kind
        assert body["type"] == f"urn:portfolio-api:problem:{body['code']}", kind
        assert body["requestId"] == "$context.requestId", kind
    assert responses["UNAUTHORIZED"]["StatusCode"] == 401
    assert "WWW-Authenticate" in responses["UNAUTHORIZED"]["ResponseParameters"]["Headers"]
    assert responses["THROTTLED"]["StatusCode"] == 429
    assert responses["THROTTLED"]["ResponseParameters"]["Headers"]["Retry-After"] == "'1'"
    assert responses["DEFAULT_5XX"]["StatusCode"] == 500


# --- Alarms ------------------------------------------------------------------------------------


def _alarms() -> dict[str, dict[str, Any]]:
    return {
        name: item["Properties"]
        for name, item in template()["Resources"].items()
        if item["Type"] == "AWS::CloudWatch::Alarm"
    }


def _single_metric_alarm(namespace: str, metric: str) -> dict[str, Any]:
    found = [
        alarm
        for alarm in _alarms().values()
        if (alarm.get("Namespace"), alarm.get("MetricName")) == (namespace, metric)
    ]
    assert len(found) == 1, f"one alarm on {namespace} {metric}"
    return found[0]


def test_every_alarm_notifies_the_topic() -> None:
    alarms = _alarms()
    assert len(alarms) >= 6
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["OKActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["TreatMissingData"] == "notBreaching", name
    assert resource("AlarmTopic", "AWS::SNS::Topic") is not None


def test_function_alarms() -> None:
    dimensions = [{"Name": "FunctionName", "Value": {"Ref": "ApiFunction"}}]
    for metric in ("Throttles",):  # errors: a rate (tests/infra/test_observability_template.py)
        alarm = _single_metric_alarm("AWS/Lambda", metric)
        assert alarm["Dimensions"] == dimensions, metric
        assert alarm["Statistic"] == "Sum", metric
    duration = _single_metric_alarm("AWS/Lambda", "Duration")
    assert duration["Dimensions"] == dimensions
    assert duration["ExtendedStatistic"] == "p99"


def test_api_alarms() -> None:
    api = resource("PortfolioApi", "AWS::Serverless::Api")
    dimensions = [
        {"Name": "ApiName", "Value": api["Name"]},
        {"Name": "Stage", "Value": {"Ref": "Environment"}},
    ]
    latency = _single_metric_alarm("AWS/ApiGateway", "Latency")
    assert latency["Dimensions"] == dimensions
    assert latency["ExtendedStatistic"] == "p99"


def test_table_throttle_alarm_covers_every_operation_the_function_may_call() -> None:
    alarms = [
        alarm
        for alarm in _alarms().values()
        if any(
            query.get("MetricStat", {}).get("Metric", {}).get("Namespace") == "AWS/DynamoDB"
            for query in alarm.get("Metrics", [])
        )
    ]
    assert len(alarms) == 1
    queries = alarms[0]["Metrics"]
    assert [query["Id"] for query in queries if query.get("ReturnData")] == ["throttled"]
    operations = set()
    for query in queries:
        if "MetricStat" not in query:
            continue
        metric = query["MetricStat"]["Metric"]
        assert metric["MetricName"] == "ThrottledRequests"
        dimensions = {item["Name"]: item["Value"] for item in metric["Dimensions"]}
        assert dimensions["TableName"] == {"Ref": "PortfolioTable"}
        operations.add(dimensions["Operation"])
    # ConditionCheckItem is only ever part of TransactWriteItems.
    expected = {action.split(":", 1)[1] for action in ITEM_ACTIONS} - {"ConditionCheckItem"}
    assert operations == expected


def test_alarm_email_is_optional() -> None:
    subscription = template()["Resources"]["AlarmEmailSubscription"]
    assert subscription["Type"] == "AWS::SNS::Subscription"
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    assert template()["Parameters"]["AlarmEmail"]["Default"] == ""
    assert template()["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
    }


# --- Parameters and rules ----------------------------------------------------------------------

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"


def _evaluate(expression: Any, values: dict[str, str]) -> Any:
    """A rule or condition function of the template, with these parameter values."""
    if not (isinstance(expression, dict) and len(expression) == 1):
        return expression
    ((function, argument),) = expression.items()
    if function == "Ref":
        return values[argument]
    if function == "Condition":
        return _evaluate(template()["Conditions"][argument], values)
    if function == "Fn::Equals":
        left, right = (_evaluate(item, values) for item in argument)
        return left == right
    if function == "Fn::Not":
        (inner,) = argument
        return not _evaluate(inner, values)
    if function == "Fn::And":
        return all(_evaluate(item, values) for item in argument)
    if function == "Fn::Or":
        return any(_evaluate(item, values) for item in argument)
    raise AssertionError(f"a function this test cannot evaluate: {function}")


def _parameter_values(overrides: dict[str, str]) -> dict[str, str]:
    declared = template()["Parameters"]
    return {name: str(item.get("Default", "")) for name, item in declared.items()} | overrides


def refused(overrides: dict[str, str]) -> list[str]:
    """What CloudFormation refuses a deployment with these parameter values for, before changing
    anything: each parameter outside its AllowedPattern, AllowedValues or MaxLength, each failed
    rule."""
    declared = template()["Parameters"]
    values = _parameter_values(overrides)
    found = []
    for name, value in values.items():
        pattern = declared[name].get("AllowedPattern")
        allowed = declared[name].get("AllowedValues")
        longest = declared[name].get("MaxLength")
        if (
            (pattern is not None and not re.fullmatch(pattern, value))
            or (allowed is not None and value not in [str(item) for item in allowed])
            or (longest is not None and len(value) > int(longest))
        ):
            found.append(name)
    for name, rule in template()["Rules"].items():
        if "RuleCondition" in rule and not _evaluate(rule["RuleCondition"], values):
            continue
        if not all(_evaluate(item["Assert"], values) for item in rule["Assertions"]):
            found.append(name)
    return found


def test_the_defaults_deploy_dev() -> None:
    assert refused({}) == []
    assert refused({"Environment": "dev", "CorsAllowOrigins": "*"}) == []


@pytest.mark.parametrize(
    ("origins", "refused_for"),
    [
        # The default `*` is what a prod deployment that forgets the parameter would get.
        (None, ["ProdNamesItsOrigins"]),
        ("*", ["ProdNamesItsOrigins"]),
        # `*` inside a list is refused everywhere (the pattern), so in prod too.
        ("https://portfolio.example,*", ["CorsAllowOrigins"]),
        ("*, https://portfolio.example", ["CorsAllowOrigins"]),
        ("https://*.portfolio.example", ["CorsAllowOrigins"]),
        ("", ["CorsAllowOrigins"]),
        ("portfolio.example", ["CorsAllowOrigins"]),
        ("https://portfolio.example", []),
        ("https://portfolio.example, https://www.portfolio.example", []),
    ],
)
def test_prod_cors_names_its_origins(origins: str | None, refused_for: list[str]) -> None:
    overrides = {"Environment": "prod"} | ({} if origins is None else {"CorsAllowOrigins": origins})
    assert refused(overrides) == refused_for


def test_every_origin_list_the_template_accepts_is_one_the_app_accepts() -> None:
    pattern = template()["Parameters"]["CorsAllowOrigins"]["AllowedPattern"]
    for origins in ("*", "https://portfolio.example, http://localhost:5173"):
        assert re.fullmatch(pattern, origins)
        parsed = Settings.model_validate(
            {
                "dynamodb_table_name": "table",
                "cognito_user_pool_id": "us-east-1_abc",
                "cognito_client_id": "client",
                "cors_allow_origins": origins,
                "environment": "test",
            }
        ).cors_allow_origins
        assert parsed == tuple(origin.strip() for origin in origins.split(","))


@pytest.mark.parametrize(
    ("domain", "certificate", "refused_for", "has_domain"),
    [
        ("", "", [], False),
        ("api.portfolio.example", CERTIFICATE, [], True),
        # Either alone used to deploy silently without a domain.
        ("api.portfolio.example", "", ["CustomDomainHasBothParts"], False),
        ("", CERTIFICATE, ["CustomDomainHasBothParts"], False),
    ],
)
def test_custom_domain_needs_both_parameters(
    domain: str, certificate: str, refused_for: list[str], has_domain: bool
) -> None:
    overrides = {"DomainName": domain, "CertificateArn": certificate}
    assert refused(overrides) == refused_for
    values = _parameter_values(overrides)
    assert _evaluate({"Condition": "HasCustomDomain"}, values) is has_domain


# --- Custom domain and outputs ----------------------------------------------------------------


def test_custom_domain_is_optional() -> None:
    found = template()["Resources"]
    parameters = template()["Parameters"]
    assert parameters["DomainName"]["Default"] == parameters["CertificateArn"]["Default"] == ""
    condition = template()["Conditions"]["HasCustomDomain"]
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "DomainName"}, ""]}]} in condition["Fn::And"]
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "CertificateArn"}, ""]}]} in condition["Fn::And"]
    domain = found["ApiDomainName"]
    assert domain["Type"] == "AWS::ApiGateway::DomainName"
    assert domain["Condition"] == "HasCustomDomain"
    assert domain["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert domain["Properties"]["RegionalCertificateArn"] == {"Ref": "CertificateArn"}
    assert domain["Properties"]["DomainName"] == {"Ref": "DomainName"}
    mapping = found["ApiBasePathMapping"]
    assert mapping["Type"] == "AWS::ApiGateway::BasePathMapping"
    assert mapping["Condition"] == "HasCustomDomain"
    assert mapping["Properties"]["RestApiId"] == {"Ref": "PortfolioApi"}
    assert mapping["Properties"]["Stage"] == {"Ref": "PortfolioApi.Stage"}
    for name, item in found.items():
        if item["Type"] in ("AWS::ApiGateway::DomainName", "AWS::ApiGateway::BasePathMapping"):
            assert item.get("Condition") == "HasCustomDomain", name


def test_outputs() -> None:
    outputs = template()["Outputs"]
    assert outputs["ApiUrl"]["Value"] == {
        "Fn::Sub": "https://${PortfolioApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
        "${Environment}"
    }
    assert outputs["CustomDomainUrl"]["Condition"] == "HasCustomDomain"
    assert outputs["CustomDomainUrl"]["Value"] == {"Fn::Sub": "https://${DomainName}"}
    assert outputs["UserPoolId"]["Value"] == {"Ref": "UserPool"}
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": "UserPoolClient"}
    assert outputs["TableName"]["Value"] == {"Ref": "PortfolioTable"}
    for name, output in outputs.items():
        if "DomainName" in json.dumps(output["Value"]):
            assert output.get("Condition") == "HasCustomDomain", name


# --- What SAM makes of it ----------------------------------------------------------------------


class _ManagedPolicies:
    """The SAM translator's policy loader, offline: only the names SAM itself attaches."""

    def load(self) -> dict[str, str]:
        return {
            "AWSLambdaBasicExecutionRole": (
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
            ),
            "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        }


def _translate(
    document: dict[str, Any],
    parameters: dict[str, str] | None = None,
    code: str = "s3://bucket/api.zip",
) -> dict[str, Any]:
    """The CloudFormation SAM's transform makes of `document` (offline; the code is a stand-in)."""
    from samtranslator.translator.transform import transform

    document = copy.deepcopy(document)
    document["Resources"]["ApiFunction"]["Properties"]["CodeUri"] = code
    values = {"AWS::Region": "us-east-1"} | (parameters or {})
    result: dict[str, Any] = transform(document, values, _ManagedPolicies())
    return result


@cache
def translated() -> dict[str, Any]:
    """The CloudFormation SAM's transform produces from template.yaml."""
    return _translate(template())


def test_sam_makes_one_api_one_stage_and_one_permission() -> None:
    resources = translated()["Resources"]
    kinds = Counter(item["Type"] for item in resources.values())
    assert kinds["AWS::Lambda::Permission"] == 1
    assert kinds["AWS::ApiGateway::RestApi"] == 1
    assert kinds["AWS::ApiGateway::Stage"] == 1
    assert kinds["AWS::ApiGateway::Authorizer"] == 0  # the body declares it
    body = resources["PortfolioApi"]["Properties"]["Body"]
    # The paths as written, but for the alias SAM names: `ApiFunction.Alias` is its own reference.
    written = resource("PortfolioApi", "AWS::Serverless::Api")["DefinitionBody"]["paths"]
    alias_named = json.dumps(written).replace("${ApiFunction.Alias}", "${ApiFunctionAliaslive}")
    assert "${ApiFunctionAliaslive}" in alias_named
    assert body["paths"] == json.loads(alias_named)
    gateway_responses = body["x-amazon-apigateway-gateway-responses"]
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED"):
        headers = gateway_responses[kind]["responseParameters"]
        assert headers["gatewayresponse.header.X-Request-Id"] == "context.requestId", kind
    (stage,) = (item for item in resources.values() if item["Type"] == "AWS::ApiGateway::Stage")
    # No X-Ray on the stage (its segments record client IPs); the function alone is traced.
    assert stage["Properties"]["TracingEnabled"] is False
    assert resources["ApiFunction"]["Properties"]["TracingConfig"] == {"Mode": "Active"}
    assert "AccessLogSetting" in stage["Properties"]
    assert stage["Properties"]["MethodSettings"][0]["ThrottlingRateLimit"] == {
        "Ref": "ThrottlingRateLimit"
    }
    role = resources["ApiFunctionRole"]["Properties"]
    assert "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess" in role["ManagedPolicyArns"]


def _deployment_id(document: dict[str, Any], now: int, monkeypatch: pytest.MonkeyPatch) -> str:
    """The logical id SAM gives the API's deployment when it transforms `document` at `now`."""
    from samtranslator.model import apigateway

    monkeypatch.setattr(apigateway, "time", SimpleNamespace(time=lambda: now))
    resources = _translate(document)["Resources"]
    (deployment,) = (
        name for name, item in resources.items() if item["Type"] == "AWS::ApiGateway::Deployment"
    )
    (stage,) = (item for item in resources.values() if item["Type"] == "AWS::ApiGateway::Stage")
    assert stage["Properties"]["DeploymentId"] == {"Ref": deployment}
    return deployment


def test_every_stack_update_deploys_the_api_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """SAM names the deployment after a hash of the body taken before parameters are substituted,
    so a new CorsAllowOrigins alone would leave the stage's gateway responses on the old origin.
    AlwaysDeploy gives every transform (every `sam deploy`) a new deployment."""
    assert resource("PortfolioApi", "AWS::Serverless::Api")["AlwaysDeploy"] is True
    one_minute_apart = (1_800_000_000, 1_800_000_060)
    ids = {_deployment_id(template(), now, monkeypatch) for now in one_minute_apart}
    assert len(ids) == 2, "the same deployment twice: a parameter change would not reach the stage"
    # The check tells the two apart: without the setting, an unchanged body keeps its deployment.
    without = copy.deepcopy(template())
    del without["Resources"]["PortfolioApi"]["Properties"]["AlwaysDeploy"]
    assert len({_deployment_id(without, now, monkeypatch) for now in one_minute_apart}) == 1


# --- SnapStart ---------------------------------------------------------------------------------

_NO_VALUE = object()
INVOCATIONS = "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"


def _as_deployed(node: Any, values: dict[str, str]) -> Any:
    """`node` as CloudFormation resolves the template's conditions with these parameter values:
    each Fn::If by its chosen branch, AWS::NoValue dropped. Other functions stay as written."""
    if isinstance(node, list):
        items = [_as_deployed(item, values) for item in node]
        return [item for item in items if item is not _NO_VALUE]
    if not isinstance(node, dict):
        return node
    if node == {"Ref": "AWS::NoValue"}:
        return _NO_VALUE
    if set(node) == {"Fn::If"}:
        condition, when_true, when_false = node["Fn::If"]
        chosen = when_true if _evaluate({"Condition": condition}, values) else when_false
        return _as_deployed(chosen, values)
    resolved = {key: _as_deployed(value, values) for key, value in node.items()}
    return {key: value for key, value in resolved.items() if value is not _NO_VALUE}


def _deployed_resources(snapstart: str, document: dict[str, Any] | None = None) -> dict[str, Any]:
    """The resources SAM makes of the template, as deployed with SnapStart=`snapstart`."""
    overrides = {"SnapStart": snapstart}
    values = _parameter_values(overrides)
    resources = _translate(document or template(), overrides)["Resources"]
    return {
        name: _as_deployed(item, values)
        for name, item in resources.items()
        if "Condition" not in item or _evaluate({"Condition": item["Condition"]}, values)
    }


def _integration_uris(resources: dict[str, Any]) -> list[Any]:
    """What every operation of the API calls."""
    paths = resources["PortfolioApi"]["Properties"]["Body"]["paths"]
    return [
        operation["x-amazon-apigateway-integration"]["uri"]
        for item in paths.values()
        for operation in item.values()
    ]


def test_snapstart_is_a_parameter_off_by_default() -> None:
    parameter = template()["Parameters"]["SnapStart"]
    assert parameter["AllowedValues"] == ["true", "false"]
    assert parameter["Default"] == "false"
    assert template()["Conditions"]["SnapStartOn"] == {"Fn::Equals": [{"Ref": "SnapStart"}, "true"]}
    assert refused({"SnapStart": "true"}) == []
    assert refused({"SnapStart": "on"}) == ["SnapStart"]


def test_snapstart_fits_what_lambda_supports() -> None:
    """SnapStart needs Python 3.12 or later and refuses provisioned concurrency, EFS and
    ephemeral storage above 512 MB (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html)."""
    function = resource("ApiFunction", "AWS::Serverless::Function")
    configured = set(function) | set(template()["Globals"]["Function"])
    assert (
        not {"ProvisionedConcurrencyConfig", "FileSystemConfigs", "EphemeralStorage"} & configured
    )
    runtime = template()["Globals"]["Function"]["Runtime"]
    assert re.fullmatch(r"python3\.(\d+)", runtime)
    assert int(runtime.split(".")[1]) >= 12


ALIAS_INVOCATIONS = {"Fn::Sub": f"{INVOCATIONS}${{ApiFunctionAliaslive}}/invocations"}


@pytest.mark.parametrize("snapstart", ["true", "false"])
def test_the_gateway_calls_the_alias(snapstart: str) -> None:
    resources = _deployed_resources(snapstart)
    function = resources["ApiFunction"]["Properties"]
    if snapstart == "true":
        assert function["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    else:
        assert "SnapStart" not in function
    (version,) = (
        name for name, item in resources.items() if item["Type"] == "AWS::Lambda::Version"
    )
    (alias,) = (name for name, item in resources.items() if item["Type"] == "AWS::Lambda::Alias")
    assert alias == "ApiFunctionAliaslive"
    assert resources[alias]["Properties"] == {
        "Name": "live",
        "FunctionName": {"Ref": "ApiFunction"},
        "FunctionVersion": {"Fn::GetAtt": [version, "Version"]},
    }
    # An update that replaces a version deletes the old one, and with it its cached snapshot;
    # SAM's default keeps every version, each snapshot billed until 14 days without a call.
    assert resources[version]["DeletionPolicy"] == "Delete"
    assert resources[version]["UpdateReplacePolicy"] == "Delete"
    # Every route calls the alias, and the one permission covers exactly the alias.
    uris = _integration_uris(resources)
    assert len(uris) > 60
    assert {json.dumps(uri) for uri in uris} == {json.dumps(ALIAS_INVOCATIONS)}
    permissions = [item for item in resources.values() if item["Type"] == "AWS::Lambda::Permission"]
    assert len(permissions) == 1
    assert permissions[0]["Properties"]["FunctionName"] == {"Ref": alias}


def test_the_alias_check_bites() -> None:
    # An integration pointed back at the function is caught: the gateway would call $LATEST,
    # which has no snapshot.
    document = copy.deepcopy(template())
    paths = document["Resources"]["PortfolioApi"]["Properties"]["DefinitionBody"]["paths"]
    function_uri = {"Fn::Sub": f"{INVOCATIONS}${{ApiFunction.Arn}}/invocations"}
    paths["/health"]["get"]["x-amazon-apigateway-integration"]["uri"] = function_uri
    uris = _integration_uris(_deployed_resources("true", document))
    # The YAML anchor shares one integration between every route, so every route changed.
    assert {json.dumps(uri) for uri in uris} == {json.dumps(function_uri)}
    assert json.dumps(ALIAS_INVOCATIONS) not in {json.dumps(uri) for uri in uris}


def _version(overrides: dict[str, str], code: str = "s3://bucket/api.zip") -> tuple[str, Any]:
    """The logical id and the description, as deployed, of the version SAM publishes."""
    values = _parameter_values(overrides)
    resources = _translate(template(), overrides, code)["Resources"]
    ((name, item),) = (
        (key, item) for key, item in resources.items() if item["Type"] == "AWS::Lambda::Version"
    )
    return name, _substituted(item["Properties"]["Description"], values)


def _substituted(node: Any, values: dict[str, str]) -> str:
    """A `Fn::Sub` of parameters only, as CloudFormation fills it in."""
    text = node["Fn::Sub"]
    assert isinstance(text, str)
    return re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], text)


# Every parameter whose value reaches the function's configuration (SnapStart included).
CONFIGURING_PARAMETERS = {
    "Environment": "prod",
    "LogLevel": "DEBUG",
    "AllowSignup": "false",
    "SnapStart": "true",
    "PublicMaxAge": "300",
    "CursorSecretRotation": "1",
    "CorsAllowOrigins": "https://portfolio.example",
}


def test_every_configuring_parameter_reaches_the_function_through_the_version() -> None:
    """The list above is complete: every parameter the function's properties name is on it."""
    function = json.dumps(resource("ApiFunction", "AWS::Serverless::Function"))
    named = {
        name
        for name in template()["Parameters"]
        if f'"Ref": "{name}"' in function or f"${{{name}}}" in function
    }
    assert named == set(CONFIGURING_PARAMETERS)


@pytest.mark.parametrize(("name", "value"), CONFIGURING_PARAMETERS.items())
def test_a_parameter_change_alone_publishes_a_version(name: str, value: str) -> None:
    """SAM names the version after the code as written (aws/serverless-application-model#1640),
    so a parameter-only deployment keeps the logical id; the description differs, and a
    version's description cannot be updated in place: CloudFormation replaces the version,
    which publishes a new one from the updated function, and the alias follows it."""
    base_name, base_description = _version({})
    changed_name, changed_description = _version({name: value})
    assert changed_name == base_name
    assert changed_description != base_description
    assert len(changed_description) <= 256  # Lambda's limit on a version's description
    # New code (`sam deploy` uploads it under a key of its own) publishes a version too.
    assert _version({}, code="s3://bucket/new-code.zip")[0] != base_name


def test_the_longest_allowed_values_fit_the_version_description() -> None:
    origins = [f"https://www{n:02}.portfolio.example" for n in range(20)]
    longest = ",".join(origins[:4]) + ",https://"
    longest += "x" * (170 - len(longest) - len(".example")) + ".example"
    assert len(longest) == 170
    overrides = {
        "Environment": "prod",
        "LogLevel": "WARNING",
        "AllowSignup": "false",
        "SnapStart": "false",
        "PublicMaxAge": "86400",
        "CursorSecretRotation": "999999",
        "CorsAllowOrigins": longest,
    }
    for name, value in overrides.items():  # each the longest its parameter allows
        allowed = template()["Parameters"][name].get("AllowedValues")
        assert allowed is None or value == max(map(str, allowed), key=len)
    assert refused(overrides) == []
    assert len(_version(overrides)[1]) <= 256
    assert refused({"CorsAllowOrigins": longest + ",https://b.example"}) == ["CorsAllowOrigins"]


def test_any_change_of_the_function_publishes_a_version() -> None:
    """Not only new code: a changed timeout or tracing mode reaches the alias too."""
    base_name = _version({})[0]
    longer = copy.deepcopy(template())
    longer["Globals"]["Function"]["Timeout"] = 20
    untraced = copy.deepcopy(template())
    untraced["Resources"]["ApiFunction"]["Properties"]["Tracing"] = "PassThrough"
    for document in (longer, untraced):
        resources = _translate(document)["Resources"]
        (name,) = (key for key, item in resources.items() if item["Type"] == "AWS::Lambda::Version")
        assert name != base_name


def _sam() -> str:
    found = shutil.which("sam") or str(Path(sys.executable).with_name("sam"))
    assert Path(found).exists(), "the SAM CLI is not installed (uv sync installs aws-sam-cli)"
    return found


# The SnapStart parameter as declared; the lint test writes copies with another default.
SNAPSTART_PARAMETER = (
    '  SnapStart:\n    Type: String\n    AllowedValues: ["true", "false"]\n    Default: "false"\n'
)


@pytest.mark.slow  # the SAM CLI, once per mode
@pytest.mark.parametrize("snapstart", ["true", "false"])
def test_sam_validate_lint_passes(snapstart: str, tmp_path: Path) -> None:
    # cfn-lint walks both branches of SnapStartOn whatever the default, and a rule or a check
    # may read the default too: each mode is linted as a copy that defaults to it. The copy sits
    # in tmp_path, where `CodeUri: .` points elsewhere; validate reads no code.
    text = TEMPLATE.read_text(encoding="utf-8")
    assert text.count(SNAPSTART_PARAMETER) == 1
    copied = tmp_path / "template.yaml"
    copied.write_text(
        text.replace(SNAPSTART_PARAMETER, SNAPSTART_PARAMETER.replace('"false"', f'"{snapstart}"')),
        encoding="utf-8",
    )
    # Offline and without real credentials: the linter needs neither (a failed update check is
    # silent), so dummy keys keep any configured profile out of it.
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env |= {
        "SAM_CLI_TELEMETRY": "0",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = [
        _sam(),
        "validate",
        "--lint",
        "--template-file",
        str(copied),
        "--region",
        "us-east-1",
    ]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "is a valid SAM Template" in output, output


def test_the_function_writes_its_metrics_as_emf() -> None:
    """Without it the app logs its counts as readable lines, and no metric reaches CloudWatch."""
    function = resource("ApiFunction", "AWS::Serverless::Function")
    assert function["Environment"]["Variables"]["METRICS_FORMAT"] == "emf"
