"""Every key of the single table, and the access patterns they serve.

This module is the only place a key string is formatted. Each item type has one small pure
function returning its primary key; index keys are built here too. Every item also stores an
`entity` attribute naming its type, so a Query over mixed items can be read back safely.

Access patterns (DYNAMODB-DESIGN.md mirrors this table):

| pattern            | operation  | key / condition                        | endpoint           |
|--------------------|------------|----------------------------------------|--------------------|
| profile of a user  | GetItem    | PK=USER#<sub>, SK=PROFILE              | GET /v1/users/me   |
| create a profile   | PutItem    | same key; attribute_not_exists(PK)     | POST /auth/register|
| update a profile   | UpdateItem | same key; exists and version = :v      | PATCH /v1/users/me |
| roll back a signup | DeleteItem | same key                               | POST /auth/register|
"""

from dataclasses import dataclass
from typing import TypedDict

PK = "PK"
SK = "SK"
ENTITY = "entity"
VERSION = "version"
TTL_ATTRIBUTE = "expiresAt"


class Key(TypedDict):
    """A primary key, the shape GetItem, UpdateItem and DeleteItem take."""

    PK: str
    SK: str


@dataclass(frozen=True, slots=True)
class Index:
    """A global secondary index and the attribute names of its keys."""

    name: str
    pk: str
    sk: str


GSI1 = Index("GSI1", "GSI1PK", "GSI1SK")
GSI2 = Index("GSI2", "GSI2PK", "GSI2SK")
ALL_INDEXES = (GSI1, GSI2)


def user_profile(sub: str) -> Key:
    """A user's profile; `sub` is Cognito's immutable user id, never the e-mail."""
    return {"PK": f"USER#{sub}", "SK": "PROFILE"}
