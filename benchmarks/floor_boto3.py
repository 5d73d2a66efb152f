"""The floor: boto3 clients and the same calls, with no framework around them.

The cursor secret read at import (one GetSecretValue, the client closed after), as the project
reads it, then the published posts' Query.
"""

import os
from typing import Any

import boto3

_arn = os.environ["CURSOR_SECRET_ARN"]
_secrets = boto3.client("secretsmanager", region_name=_arn.split(":")[3])
CURSOR_SECRET = _secrets.get_secret_value(SecretId=_arn)["SecretString"]
_secrets.close()
dynamodb = boto3.client("dynamodb", region_name=os.environ["COGNITO_REGION"])


def handler(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """The published posts' Query, answered with a bare 200."""
    dynamodb.query(
        TableName=os.environ["DYNAMODB_TABLE_NAME"],
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": "GSI1PK"},
        ExpressionAttributeValues={":pk": {"S": "CONTENT#blog#published"}},
        ScanIndexForward=False,
        IndexName="GSI1",
        Limit=11,
    )
    return {"statusCode": 200, "headers": {}, "body": ""}
