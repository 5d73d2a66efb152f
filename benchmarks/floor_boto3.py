"""The floor: a boto3 client and the same DynamoDB Query, with no framework around them."""

import os
from typing import Any

import boto3

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
