"""template.yaml against the code's own definitions of the table and the user pool, and SAM's lint.

db/table.py and local/definitions.py are what the local stack and the tests build; these tests keep
the deployed resources identical to them, so a change to one side that misses the other fails here.
"""

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from portfolio_api.core.settings import Settings
from portfolio_api.db.table import create_table_arguments, time_to_live_arguments
from portfolio_api.local.definitions import (
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
    "dynamodb:TransactGetItems",
    "dynamodb:ConditionCheckItem",
}
USER_ROUTES = {
    ("/v1/users/me", "GET"),
    ("/v1/users/me", "PATCH"),
    ("/v1/auth/logout", "POST"),
    ("/v1/auth/change-password", "POST"),
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


def test_user_pool_is_the_one_the_code_creates() -> None:
    pool = resource("UserPool", "AWS::Cognito::UserPool")
    expected = create_user_pool_arguments("x")
    assert pool["Policies"]["PasswordPolicy"] == PASSWORD_POLICY
    assert pool["Policies"] == expected["Policies"]
    for name in ("UsernameAttributes", "AutoVerifiedAttributes", "AccountRecoverySetting"):
        assert pool[name] == expected[name], name
    assert pool["Schema"] == expected["Schema"]
    assert "${AWS::StackName}" in pool["UserPoolName"]["Fn::Sub"]


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
    assert function["Handler"] == "portfolio_api.main.handler"


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


def test_user_routes_need_a_token_and_every_route_is_on_the_api() -> None:
    events = resource("ApiFunction", "AWS::Serverless::Function")["Events"]
    guarded = set()
    for name, event in events.items():
        properties = event["Properties"]
        assert event["Type"] == "Api", name
        assert properties["RestApiId"] == {"Ref": "PortfolioApi"}, name
        route = (properties["Path"], properties["Method"].upper())
        authorizer = properties.get("Auth", {}).get("Authorizer")
        if route in USER_ROUTES:
            assert authorizer == "CognitoAuthorizer", name
            guarded.add(route)
        else:
            assert authorizer in (None, "NONE"), name
    assert guarded == USER_ROUTES
    routes = {
        (event["Properties"]["Path"], event["Properties"]["Method"]) for event in events.values()
    }
    assert {("/{proxy+}", "ANY"), ("/", "ANY")} <= routes
    api = resource("PortfolioApi", "AWS::Serverless::Api")
    assert "DefaultAuthorizer" not in api["Auth"]
    assert api["Auth"]["Authorizers"]["CognitoAuthorizer"]["UserPoolArn"] == {
        "Fn::GetAtt": ["UserPool", "Arn"]
    }


def _sam() -> str:
    found = shutil.which("sam") or str(Path(sys.executable).with_name("sam"))
    assert Path(found).exists(), "the SAM CLI is not installed (uv sync installs aws-sam-cli)"
    return found


def test_sam_validate_lint_passes() -> None:
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
        str(TEMPLATE),
        "--region",
        "us-east-1",
    ]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "is a valid SAM Template" in output, output
