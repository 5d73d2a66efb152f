"""The stand-in honours `TransactWriteItems`' `ClientRequestToken` as DynamoDB does.

Through a real boto3 client against the moto server (patched by `moto_extensions.install()`
in the `moto_url` fixture): a resend of a committed transaction succeeds and changes nothing,
the same token with another request is refused, a cancelled transaction leaves its token
unused, and a token is forgotten ten minutes after its call completed.
"""

import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from portfolio_api.local import moto_extensions

TABLE = "request-tokens"
TOKEN = "resent-transaction-token"
COUNTER = {"PK": {"S": "counter"}}
GATE = {"PK": {"S": "gate"}}


class SteppedClock:
    """A monotonic clock that only moves when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[SteppedClock]:
    stepped = SteppedClock()
    monkeypatch.setattr(moto_extensions, "clock", stepped)
    yield stepped


def reset_stand_in(moto_url: str) -> None:
    urllib.request.urlopen(
        urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    ).close()


def create_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def table(moto_url: str, dynamodb: Any, clock: SteppedClock) -> str:
    reset_stand_in(moto_url)
    create_table(dynamodb)
    return TABLE


def add_one(dynamodb: Any, token: str, *, amount: str = "1") -> None:
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": COUNTER,
                    "UpdateExpression": "ADD #n :amount",
                    "ExpressionAttributeNames": {"#n": "n"},
                    "ExpressionAttributeValues": {":amount": {"N": amount}},
                }
            }
        ],
        ClientRequestToken=token,
    )


def put_new(dynamodb: Any, token: str, pk: str = "item") -> None:
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {"PK": {"S": pk}},
                    # A new item only: the resend of a committed Put must not trip over it.
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ],
        ClientRequestToken=token,
    )


def add_one_behind_gate(dynamodb: Any, token: str) -> None:
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": GATE,
                    "ConditionExpression": "attribute_exists(PK)",  # the gate is open
                }
            },
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": COUNTER,
                    "UpdateExpression": "ADD #n :one",
                    "ExpressionAttributeNames": {"#n": "n"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ],
        ClientRequestToken=token,
    )


def counter(dynamodb: Any) -> int:
    item = dynamodb.get_item(TableName=TABLE, Key=COUNTER, ConsistentRead=True).get("Item")
    return int(item["n"]["N"]) if item else 0


def item_keys(dynamodb: Any) -> list[str]:
    return sorted(item["PK"]["S"] for item in dynamodb.scan(TableName=TABLE)["Items"])


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_a_resent_counter_transaction_adds_once(dynamodb: Any, table: str) -> None:
    add_one(dynamodb, TOKEN)
    add_one(dynamodb, TOKEN)  # the answer was lost: botocore sends it again

    assert counter(dynamodb) == 1


def test_a_resent_conditional_put_succeeds_and_writes_once(dynamodb: Any, table: str) -> None:
    put_new(dynamodb, TOKEN)
    put_new(dynamodb, TOKEN)  # no TransactionCanceledException: it is the same write

    assert item_keys(dynamodb) == ["item"]


def test_the_same_token_with_another_request_is_refused(dynamodb: Any, table: str) -> None:
    put_new(dynamodb, TOKEN, pk="first")

    with pytest.raises(ClientError) as refused:
        put_new(dynamodb, TOKEN, pk="second")

    assert error_code(refused) == "IdempotentParameterMismatchException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert item_keys(dynamodb) == ["first"]


def test_a_new_token_runs_the_same_request_again(dynamodb: Any, table: str) -> None:
    put_new(dynamodb, TOKEN)
    put_new(dynamodb, TOKEN)  # a resend: answered, not run

    with pytest.raises(ClientError) as cancelled:
        put_new(dynamodb, "another-token")  # a new write: its condition is checked

    assert error_code(cancelled) == "TransactionCanceledException"
    assert "ConditionalCheckFailed" in str(cancelled.value)


def test_a_cancelled_transaction_leaves_its_token_unused(dynamodb: Any, table: str) -> None:
    with pytest.raises(ClientError) as cancelled:
        add_one_behind_gate(dynamodb, TOKEN)  # the gate is shut
    assert error_code(cancelled) == "TransactionCanceledException"

    dynamodb.put_item(TableName=TABLE, Item=GATE)
    add_one_behind_gate(dynamodb, TOKEN)  # nothing was committed: it runs, and now commits
    add_one_behind_gate(dynamodb, TOKEN)  # a resend of that commit: answered, not run

    assert counter(dynamodb) == 1


def test_a_token_is_forgotten_ten_minutes_after_its_call(
    dynamodb: Any, table: str, clock: SteppedClock
) -> None:
    add_one(dynamodb, TOKEN)

    clock.now += moto_extensions.REQUEST_TOKEN_WINDOW_SECONDS - 1
    add_one(dynamodb, TOKEN)
    assert counter(dynamodb) == 1

    clock.now += 1  # ten minutes after the first call completed: a new request
    add_one(dynamodb, TOKEN)
    assert counter(dynamodb) == 2


def test_resetting_the_stand_in_forgets_its_tokens(
    moto_url: str, dynamodb: Any, table: str
) -> None:
    add_one(dynamodb, TOKEN)
    add_one(dynamodb, TOKEN)
    assert counter(dynamodb) == 1

    reset_stand_in(moto_url)
    create_table(dynamodb)
    add_one(dynamodb, TOKEN, amount="5")  # a mismatch if the token were still remembered

    assert counter(dynamodb) == 5


def test_installing_twice_patches_once(dynamodb: Any, table: str) -> None:
    from moto.dynamodb.responses import DynamoHandler

    moto_extensions.install()
    moto_extensions.install()

    wrapped = DynamoHandler.transact_write_items.__wrapped__
    assert not getattr(wrapped, "_honours_request_tokens", False)
