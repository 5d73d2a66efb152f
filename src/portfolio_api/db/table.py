"""The table's definition: the one source for the local bootstrap and the template test."""

from typing import Any

from portfolio_api.db.keys import ALL_INDEXES, NUMERIC_SORT_KEYS, PK, SK, TTL_ATTRIBUTE


def key_attributes() -> list[str]:
    """Every attribute that is part of a table or index key."""
    names = [PK, SK]
    for index in ALL_INDEXES:
        names += [index.pk, index.sk]
    return names


def attribute_type(name: str) -> str:
    """`N` for the numeric sort key of the top-views index, `S` for every other key."""
    return "N" if name in NUMERIC_SORT_KEYS else "S"


def create_table_arguments(table_name: str) -> dict[str, Any]:
    """Arguments for `CreateTable` exactly as `template.yaml` declares the table."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": attribute_type(name)}
            for name in key_attributes()
        ],
        "KeySchema": [
            {"AttributeName": PK, "KeyType": "HASH"},
            {"AttributeName": SK, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.pk, "KeyType": "HASH"},
                    {"AttributeName": index.sk, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in ALL_INDEXES
        ],
    }


def time_to_live_arguments(table_name: str) -> dict[str, Any]:
    """Arguments for `UpdateTimeToLive`: items expire through the `expiresAt` epoch attribute."""
    return {
        "TableName": table_name,
        "TimeToLiveSpecification": {"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    }
