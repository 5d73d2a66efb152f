"""Transactions: a cancelled one is read by action, retried when nothing was written, and the
largest content change fits one."""

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from portfolio_api.content.collections import PROJECTS
from portfolio_api.core.deadline import time_budget
from portfolio_api.core.errors import OutcomeUnknown, ServiceUnavailable, ValidationFailed
from portfolio_api.repositories.base import (
    TRANSACTION_ATTEMPTS,
    Action,
    ConditionFailed,
    Repository,
    action,
)
from portfolio_api.repositories.content import ContentRepository
from portfolio_api.schemas.content import ProjectCreate


class CancellingClient:
    """Cancels each transaction with the next list of reasons; records the tokens sent."""

    def __init__(self, *cancellations: list[str]) -> None:
        self.cancellations = list(cancellations)
        self.tokens: list[str] = []

    def transact_write_items(self, **arguments: Any) -> dict[str, Any]:
        self.tokens.append(arguments["ClientRequestToken"])
        if not self.cancellations:
            return {}
        reasons = self.cancellations.pop(0)
        if reasons == ["InProgress"]:
            error = {"Error": {"Code": "TransactionInProgressException", "Message": "busy"}}
            raise ClientError(error, "TransactWriteItems")  # type: ignore[arg-type]
        cancelled = {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [
                {"Code": code, "Item": {"PK": {"S": "x"}}} if code != "None" else {"Code": "None"}
                for code in reasons
            ],
        }
        raise ClientError(cancelled, "TransactWriteItems")  # type: ignore[arg-type]


class First(Exception):
    pass


class Second(Exception):
    pass


def named_actions() -> list[Action]:
    return [
        action({"Put": {"Item": {"PK": "a", "SK": "b"}, "ConditionExpression": "x"}}, First),
        action({"Update": {"Key": {"PK": "c", "SK": "d"}}}),
        action({"Put": {"Item": {"PK": "e", "SK": "f"}, "ConditionExpression": "y"}}, Second),
    ]


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        (["ConditionalCheckFailed", "None", "None"], First),
        (["None", "None", "ConditionalCheckFailed"], Second),  # by action, wherever it sits
        (["ValidationError", "None", "None"], ValidationFailed),
        (["None", "None", "ItemCollectionSizeLimitExceeded"], ValidationFailed),
    ],
)
def test_a_cancelled_transaction_raises_what_the_failing_action_names(
    reasons: list[str], expected: type[Exception]
) -> None:
    client = CancellingClient(reasons)
    with pytest.raises(expected):
        Repository(client, "table")._write_transaction(named_actions())  # type: ignore[arg-type]


def test_the_failing_actions_item_reaches_its_error() -> None:
    client = CancellingClient(["None", "None", "ConditionalCheckFailed"])
    actions = [*named_actions()[:2], action({"Delete": {"Key": {}, "ConditionExpression": "z"}})]
    with pytest.raises(ConditionFailed) as failed:
        Repository(client, "table")._write_transaction(actions)  # type: ignore[arg-type]
    assert failed.value.old_item == {"PK": "x"}


def test_collisions_are_retried_under_a_new_token_and_a_running_one_under_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("portfolio_api.repositories.base.time.sleep", lambda _s: None)
    client = CancellingClient(
        ["None", "TransactionConflict", "None"], ["InProgress"], ["ThrottlingError", "None", "None"]
    )
    Repository(client, "table")._write_transaction(named_actions())  # type: ignore[arg-type]
    first, second, third, fourth = client.tokens
    assert first != second  # the conflict wrote nothing: a new attempt
    assert third == second  # still running: asked again under its own token
    assert fourth != third


def test_endless_collisions_end_in_a_503(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("portfolio_api.repositories.base.time.sleep", lambda _s: None)
    client = CancellingClient(*[["TransactionConflict", "None", "None"]] * 50)
    with pytest.raises(ServiceUnavailable):
        Repository(client, "table")._write_transaction(named_actions())  # type: ignore[arg-type]
    assert len(client.tokens) == TRANSACTION_ATTEMPTS


class CapturingClient:
    """Stands in for DynamoDB's client and keeps the one transaction it is sent."""

    def __init__(self) -> None:
        self.actions: list[dict[str, Any]] = []

    def transact_write_items(self, **arguments: Any) -> dict[str, Any]:
        self.actions = arguments["TransactItems"]
        return {}


def project(n: int, prefix: str, **fields: Any) -> dict[str, Any]:
    """A stored project whose tech stack holds the most values the schema allows."""
    return {
        "id": "01KAB3Y8Q6W9ZJ7R2M4N5P6T8V",
        "slug": f"{prefix}-slug",
        "title": f"{prefix} title",
        "summary": "s",
        "techStack": [f"{prefix}{i}" for i in range(n)],
        "createdAt": "2026-01-01T00:00:00Z",
        "version": 3,
        "views": 7,
        **fields,
    }


def test_the_largest_change_fits_one_transaction() -> None:
    """Every facet value replaced, the status and the slug changed: ≤ 100 distinct items."""
    most = ProjectCreate.model_fields["tech_stack"].metadata[0].max_length
    old = project(
        most,
        "old",
        status="published",
        featured=True,
        publishedAt="2026-01-02T00:00:00Z",
        updatedAt="2026-01-02T00:00:00Z",
        listLayout=2,
    )
    new = project(
        most,
        "new",
        status="draft",
        featured=False,
        publishedAt="2026-01-02T00:00:00Z",
        updatedAt="2026-01-03T00:00:00Z",
        version=4,
    )
    client = CapturingClient()
    ContentRepository(client, "table").save(PROJECTS, old, new)  # type: ignore[arg-type]
    written = [
        json.dumps(body.get("Key") or {k: body["Item"][k] for k in ("PK", "SK")}, sort_keys=True)
        for raw in client.actions
        for body in raw.values()
    ]
    assert 90 <= len(written) <= 100, len(written)  # DynamoDB's limit of one transaction
    assert len(set(written)) == len(written)  # and no item twice in it


class SilentClient:
    """Applies nothing it can report: every attempt times out after it was sent."""

    def __init__(self, answer_after: int | None = None) -> None:
        self.tokens: list[str] = []
        self.answer_after = answer_after

    def transact_write_items(self, **arguments: Any) -> dict[str, Any]:
        self.tokens.append(arguments["ClientRequestToken"])
        if self.answer_after is not None and len(self.tokens) > self.answer_after:
            return {}
        raise ReadTimeoutError(endpoint_url="https://dynamodb.example")


def test_an_unanswered_transaction_is_resent_under_its_token_then_outcome_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("portfolio_api.repositories.base.time.sleep", lambda _s: None)
    client = SilentClient()
    with pytest.raises(OutcomeUnknown):
        Repository(client, "table")._write_transaction(named_actions())  # type: ignore[arg-type]
    assert len(client.tokens) == TRANSACTION_ATTEMPTS and len(set(client.tokens)) == 1
    answered = SilentClient(answer_after=2)
    Repository(answered, "table")._write_transaction(named_actions())  # type: ignore[arg-type]
    assert len(answered.tokens) == 3 and len(set(answered.tokens)) == 1


def test_no_pause_or_attempt_runs_past_the_request_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    monkeypatch.setattr("portfolio_api.repositories.base.time.sleep", slept.append)
    client = CancellingClient(*[["TransactionConflict", "None", "None"]] * 50)
    with time_budget(2.9), pytest.raises(ServiceUnavailable):  # no room for a second attempt
        Repository(client, "table")._write_transaction(named_actions())  # type: ignore[arg-type]
    assert len(client.tokens) == 1 and slept == []
