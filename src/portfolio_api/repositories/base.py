"""The repository base: typed (de)serialisation, conditional writes, transactions, error mapping.

Items cross this boundary as plain dicts of Python values; numbers come back as `Decimal`, so
money and counters stay exact. Every public verb maps botocore's `ClientError` through one private
mapper, so services only ever see the domain errors of `core/errors.py` and `ConditionFailed`:

- a failed condition becomes `ConditionFailed` carrying the item as it was (`ALL_OLD`), which lets
  a service tell a missing item (404) from a stale version (412) without an extra read;
- a transaction is a list of `Action`s, each naming the error its condition failing means;
  `_write_transaction` sends it under a `ClientRequestToken` (so a resend after a lost answer
  is answered, not applied twice), retries what wrote nothing (collisions, throttling), and
  raises the failing action's error: read by action, never by position;
- throttling that outlived botocore's retries becomes a 503 with `Retry-After`;
- a single-item write (kept only where repeating it is harmless) that hits an item inside a
  running transaction is rejected with `TransactionConflictException`, which botocore does not
  retry: `_put`, `_update` and `_delete` try it again a few times with jittered back-off (the
  rejected write wrote nothing), then answer 503 with `Retry-After` as for throttling;
- a request DynamoDB rejects as invalid (an item over 400 KB, say) becomes a 400 without the AWS
  message; anything else is logged and becomes a bare 500.
"""

import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ParamValidationError,
    ReadTimeoutError,
)

from portfolio_api.core.deadline import seconds_left
from portfolio_api.core.errors import (
    InternalError,
    OutcomeUnknown,
    ServiceUnavailable,
    ValidationFailed,
)
from portfolio_api.db.client import ATTEMPT_WORST_CASE_SECONDS, DeadlineExceeded, attempts_sent
from portfolio_api.db.codec import from_attribute, to_attribute
from portfolio_api.db.keys import ALL_INDEXES, ENTITY, PK, SK, Index, Key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

logger = logging.getLogger("portfolio_api.repositories")

Item = dict[str, Any]

_THROTTLING = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
    }
)
_WRITE_CONFLICT = "TransactionConflictException"
WRITE_CONFLICT_ATTEMPTS = 4
TRANSACTION_ATTEMPTS = 8  # hot counters (today's visitors) see many colliding transactions
_RESERVED_ATTEMPTS = 2  # the next attempt, and one call after the write
_REJECTED_REASONS = frozenset({"ValidationError", "ItemCollectionSizeLimitExceeded"})
_CONFLICT_BACKOFF_SECONDS = 0.02  # a transaction holds its items for tens of milliseconds


class ConditionFailed(Exception):
    """A condition expression did not hold; `old_item` is the item as stored, or None if absent."""

    def __init__(self, old_item: Item | None) -> None:
        super().__init__("condition failed")
        self.old_item = old_item


class TransactionCancelled(Exception):
    """A transaction was cancelled; `reasons` holds one code per action (`None` = no problem).

    `items` holds, per action, the item as stored when that action asked for it
    (`ReturnValuesOnConditionCheckFailure = ALL_OLD`) and its condition failed.
    """

    def __init__(self, reasons: list[str | None], items: list[Item | None] | None = None) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons
        self.items = items or [None] * len(reasons)


class TransactionInProgress(Exception):
    """A resend found its first attempt still running; the same token answers it later."""


class AnswerLost(Exception):
    """A transaction was sent, and its answer never came (botocore's own resends included)."""


_SENT_UNANSWERED = (ReadTimeoutError, ConnectionClosedError)
"""Transport errors after the request left: the write may have been applied."""


type Failure = Callable[[Item | None], Exception]
"""What a failed condition means: the domain error, from the item as stored (or None)."""


@dataclass(frozen=True, slots=True)
class Action:
    """One action of a transaction (`Put`, `Update`, `Delete`, `ConditionCheck` and its body,
    holding plain Python values) and the error its condition failing means."""

    verb: str
    body: Mapping[str, Any]
    failure: Failure = ConditionFailed


def action(raw: Mapping[str, Mapping[str, Any]], failure: Failure = ConditionFailed) -> Action:
    """An action from its DynamoDB form, `{"Put": {...}}`, naming its failure."""
    ((verb, body),) = raw.items()
    return Action(verb, body, failure)


def _plain(value: Any) -> Any:
    """Floats are never stored: a float reaching here becomes the Decimal of its shortest repr."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """Python values to DynamoDB's attribute-value form; `None` attributes are left out."""
    return {k: to_attribute(_plain(v)) for k, v in item.items() if v is not None}


def serialize_value(value: Any) -> dict[str, Any]:
    """One Python value (an expression value) to its attribute-value form."""
    return to_attribute(_plain(value))


def deserialize(item: Mapping[str, Any]) -> Item:
    """DynamoDB's attribute-value form back to Python values (numbers as Decimal)."""
    return {k: from_attribute(v) for k, v in item.items()}


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a Query: the items and the key to resume after, None on the last page."""

    items: list[Item]
    next_key: dict[str, str] | None


def _expression_arguments(
    condition: str | None,
    names: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """A write's condition, names and values; a failed condition returns the item (`ALL_OLD`)."""
    arguments: dict[str, Any] = {}
    if condition:
        arguments["ConditionExpression"] = condition
        arguments["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if names:
        arguments["ExpressionAttributeNames"] = dict(names)
    if values:
        arguments["ExpressionAttributeValues"] = {k: serialize_value(v) for k, v in values.items()}
    return arguments


class Repository:
    """Shared verbs over the one table; subclasses add the item types they own."""

    def __init__(self, client: "DynamoDBClient", table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _get(self, key: Key, *, consistent: bool = False) -> Item | None:
        try:
            response = self._client.get_item(
                TableName=self._table, Key=serialize(key), ConsistentRead=consistent
            )
        except (ClientError, BotoCoreError) as exc:
            self._raise_mapped(exc)
        raw = response.get("Item")
        return deserialize(raw) if raw else None

    def _put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        arguments: dict[str, Any] = {"TableName": self._table, "Item": serialize(item)}
        arguments |= _expression_arguments(condition, names, values)
        self._single_write(lambda: self._client.put_item(**arguments))

    def _update(
        self,
        key: Key,
        *,
        update: str,
        values: Mapping[str, Any],
        names: Mapping[str, str] | None = None,
        condition: str | None = None,
    ) -> Item:
        """An UpdateItem returning the new item; a failed condition raises `ConditionFailed`."""
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "Key": serialize(key),
            "UpdateExpression": update,
            "ReturnValues": "ALL_NEW",
        }
        arguments |= _expression_arguments(condition, names, values)
        response = self._single_write(lambda: self._client.update_item(**arguments))
        return deserialize(response.get("Attributes", {}))

    def _delete(
        self,
        key: Key,
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> Item | None:
        """A DeleteItem returning the deleted item, or None when nothing was there."""
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "Key": serialize(key),
            "ReturnValues": "ALL_OLD",
        }
        arguments |= _expression_arguments(condition, names, values)
        response = self._single_write(lambda: self._client.delete_item(**arguments))
        raw = response.get("Attributes")
        return deserialize(raw) if raw else None

    def _single_write[Response](self, call: Callable[[], Response]) -> Response:
        """One item write, tried again while it collides with a running transaction.

        DynamoDB rejects such a write outright (nothing is written), so trying it again is safe;
        conditions are checked afresh on every attempt.
        """
        attempt = 0
        while True:
            try:
                return call()
            except (ClientError, BotoCoreError) as exc:
                attempt += 1
                if not _is_write_conflict(exc) or attempt >= WRITE_CONFLICT_ATTEMPTS:
                    self._raise_mapped(exc)
            time.sleep(random.uniform(0, _CONFLICT_BACKOFF_SECONDS * 2**attempt))

    def _query_page(
        self,
        partition: str,
        *,
        index: Index | None,
        limit: int,
        start_key: dict[str, str] | None,
        newest_first: bool = True,
        sort_prefix: str | None = None,
        sort_below: str | None = None,
        sort_between: tuple[str, str] | None = None,
        equal_to: Mapping[str, str] | None = None,
        contains_all: tuple[str, Sequence[str]] | None = None,
    ) -> Page:
        """Up to `limit` items of one partition, in sort-key order.

        `sort_prefix`, `sort_below` and `sort_between` narrow the sort key (`begins_with`, `<`,
        `BETWEEN`, inclusive) in the key condition itself. `equal_to` keeps only items whose
        attributes hold those values (a filter on the partition the key condition chose, for
        a second and third criterion); `contains_all` (attribute, values) keeps only items
        whose list attribute holds every one of the values. DynamoDB applies `Limit` before a
        filter, so a filtered read asks for no `Limit` and takes whole 1 MB pages. Asks for one
        item more than the page holds, so the last page is known to be last (no empty trailing
        page); keeps reading while a page is short because the 1 MB cap or the filter cut it.
        """
        arguments = {
            "TableName": self._table,
            **_query_arguments(
                partition,
                index=index,
                newest_first=newest_first,
                sort_condition=_sort_condition(sort_prefix, sort_below, sort_between),
                equal_to=equal_to,
                contains_all=contains_all,
            ),
        }
        if start_key:
            arguments["ExclusiveStartKey"] = serialize(start_key)
        items: list[Item] = []
        while True:
            # DynamoDB limits before filtering: a filtered read takes whole 1 MB pages.
            if not (equal_to or contains_all):
                arguments["Limit"] = limit + 1 - len(items)
            try:
                response = self._client.query(**arguments)
            except (ClientError, BotoCoreError) as exc:
                self._raise_mapped(exc)
            items += [deserialize(raw) for raw in response.get("Items", [])]
            last = response.get("LastEvaluatedKey")
            if len(items) > limit or not last:
                break
            arguments["ExclusiveStartKey"] = last
        if len(items) <= limit:
            return Page(items, None)
        items = items[:limit]
        key_names = [PK, SK, *([index.pk, index.sk] if index else [])]
        return Page(items, {name: str(items[-1][name]) for name in key_names})

    def _batch_get(self, item_keys: Sequence[Key], *, consistent: bool = False) -> list[Item]:
        """Up to 100 items by key in one BatchGetItem (unprocessed keys are asked again)."""
        request: dict[str, Any] = {
            self._table: {"Keys": [serialize(k) for k in item_keys], "ConsistentRead": consistent}
        }
        found: list[Item] = []
        while request:
            try:
                response = self._client.batch_get_item(RequestItems=request)
            except (ClientError, BotoCoreError) as exc:
                self._raise_mapped(exc)
            found += [
                deserialize(raw) for raw in response.get("Responses", {}).get(self._table, [])
            ]
            request = dict(response.get("UnprocessedKeys") or {})
            if request:
                time.sleep(0.05)  # DynamoDB asks for back-off before the rest
        return found

    def _get_by_name[Name](
        self, wanted: Mapping[Name, Key], *, consistent: bool = False
    ) -> dict[Name, Item]:
        """Several items in one BatchGetItem, under the names they were asked by; missing ones
        are left out (BatchGetItem answers in no particular order)."""
        items = self._batch_get(list(wanted.values()), consistent=consistent)
        found = {(str(i[PK]), str(i[SK])): i for i in items}
        return {
            name: found[key["PK"], key["SK"]]
            for name, key in wanted.items()
            if (key["PK"], key["SK"]) in found
        }

    def _batch_delete(self, item_keys: Sequence[Key]) -> None:
        """Delete items by key, 25 to a BatchWriteItem (unprocessed ones are sent again)."""
        for start in range(0, len(item_keys), 25):
            request: dict[str, Any] = {
                self._table: [
                    {"DeleteRequest": {"Key": serialize(key)}}
                    for key in item_keys[start : start + 25]
                ]
            }
            while request:
                try:
                    response = self._client.batch_write_item(RequestItems=request)
                except (ClientError, BotoCoreError) as exc:
                    self._raise_mapped(exc)
                request = dict(response.get("UnprocessedItems") or {})
                if request:
                    time.sleep(0.05)  # DynamoDB asks for back-off before the rest

    def _transact(self, actions: Sequence[Action], *, client_token: str) -> None:
        """One attempt of a transaction, under `client_token`; a cancellation raises
        `TransactionCancelled` with one reason per action."""
        arguments: dict[str, Any] = {
            "TransactItems": [self._wire_action(action) for action in actions],
            "ClientRequestToken": client_token,
        }
        try:
            self._client.transact_write_items(**arguments)
        except _SENT_UNANSWERED:
            raise AnswerLost() from None
        except (ClientError, BotoCoreError) as exc:
            if not isinstance(exc, ClientError) and attempts_sent() > 0:
                raise AnswerLost() from None  # e.g. botocore's resend refused past the budget
            self._raise_mapped(exc)

    def _write_transaction(self, actions: Sequence[Action]) -> None:
        """All-or-nothing writes, applied exactly once, whatever is resent.

        - Every attempt carries a `ClientRequestToken`: when an answer is lost and botocore
          sends the attempt again, DynamoDB answers the first outcome instead of applying it
          twice (or failing its own conditions). A resend that finds the first still running
          (`TransactionInProgress`) is sent again later under the same token.
        - A cancellation for a failed condition raises the error that action names (read by
          action, never by position), built from the item as stored (`ALL_OLD`).
        - A cancellation for a collision with another transaction or throttling wrote
          nothing: it is tried again, under a new token, with jittered back-off, then
          answered 503. A request DynamoDB rejects (too large) is a 400.
        - An attempt whose answer never came, even after botocore's resends, may have been
          applied: it is sent again under the same token while the request's time budget
          allows; if it still goes unanswered the request ends with `OutcomeUnknown` (a 503
          that keeps an idempotency key held), never with a new token.
        """
        token, unanswered = uuid.uuid4().hex, False
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                self._transact(actions, client_token=token)
                return
            except (AnswerLost, TransactionInProgress):
                unanswered = True  # the same token again: it is answered with the first outcome
            except TransactionCancelled as cancelled:
                for action, reason, item in zip(
                    actions, cancelled.reasons, cancelled.items, strict=True
                ):
                    if reason == "ConditionalCheckFailed":
                        raise action.failure(item) from None
                if set(cancelled.reasons) & _REJECTED_REASONS:
                    raise ValidationFailed("The request could not be stored as given.") from None
                # Cancelled under this token, so nothing of it was ever applied: a new attempt.
                token, unanswered = uuid.uuid4().hex, False
            except ServiceUnavailable:
                if unanswered:
                    raise OutcomeUnknown() from None
                raise
            if not self._pause_before_attempt(attempt + 1):
                break
        if unanswered:
            raise OutcomeUnknown()
        logger.warning("dynamodb transaction kept colliding")
        raise ServiceUnavailable("The service is busy; try again shortly.", 1)

    @staticmethod
    def _pause_before_attempt(attempt: int) -> bool:
        """Back off before attempt number `attempt` (from 0); False when none is left, or when
        the pause and the attempt would not leave one more call's worth of the request's time
        budget for what follows a write (a read-back, a sign-up's rollback)."""
        if attempt >= TRANSACTION_ATTEMPTS:
            return False
        pause = random.uniform(0, _CONFLICT_BACKOFF_SECONDS * 2 ** (attempt - 1))
        left = seconds_left()
        if left is not None and left - pause < _RESERVED_ATTEMPTS * ATTEMPT_WORST_CASE_SECONDS:
            return False
        time.sleep(pause)
        return True

    def _wire_action(self, action: Action) -> dict[str, Any]:
        wire: dict[str, Any] = {"TableName": self._table}
        for field, value in action.body.items():
            if field in ("Item", "Key"):
                wire[field] = serialize(value)
            elif field == "ExpressionAttributeValues":
                wire[field] = {k: serialize_value(v) for k, v in value.items()}
            else:
                wire[field] = value
        if "ConditionExpression" in wire:
            wire["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {action.verb: wire}

    def _raise_mapped(self, exc: ClientError | BotoCoreError) -> NoReturn:
        """The one mapper from botocore's errors to domain errors."""
        if isinstance(exc, ParamValidationError):
            raise ValidationFailed("The request could not be stored as given.") from exc
        if isinstance(exc, DeadlineExceeded):
            logger.warning("request time budget spent before a dynamodb call")
            raise ServiceUnavailable("The database is slow to answer; try again shortly.") from exc
        if not isinstance(exc, ClientError):
            logger.error("dynamodb unreachable", extra={"error": type(exc).__name__})
            raise ServiceUnavailable("The database is unreachable; try again shortly.") from exc
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        if code == "ConditionalCheckFailedException":
            raw: dict[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
            raise ConditionFailed(deserialize(raw) if raw else None) from exc
        if code == "TransactionInProgressException":
            raise TransactionInProgress() from exc
        if code == "TransactionCanceledException":
            reasons = exc.response.get("CancellationReasons", [])
            codes = [r.get("Code") if r.get("Code") != "None" else None for r in reasons]
            items = [deserialize(r["Item"]) if r.get("Item") else None for r in reasons]
            raise TransactionCancelled(codes, items) from exc
        if code in _THROTTLING:
            logger.warning("dynamodb throttled", extra={"awsCode": code})
            raise ServiceUnavailable("The service is busy; try again shortly.", 2) from exc
        if code == _WRITE_CONFLICT:
            logger.warning("dynamodb write kept colliding", extra={"awsCode": code})
            raise ServiceUnavailable("The item is busy; try again shortly.", 1) from exc
        if code == "ValidationException":
            logger.warning(
                "dynamodb rejected a request", extra={"awsMessage": error.get("Message")}
            )
            raise ValidationFailed("The request could not be stored as given.") from exc
        logger.error("dynamodb error", extra={"awsCode": code})
        raise InternalError() from exc


def _sort_condition(
    prefix: str | None, below: str | None, between: tuple[str, str] | None
) -> tuple[str, dict[str, Any]] | None:
    """The sort-key part of a key condition (`#sk` stands for the sort key), if any."""
    if prefix is not None:
        return "begins_with(#sk, :sk)", {":sk": {"S": prefix}}
    if below is not None:
        return "#sk < :sk", {":sk": {"S": below}}
    if between is not None:
        return "#sk BETWEEN :low AND :high", {":low": {"S": between[0]}, ":high": {"S": between[1]}}
    return None


def _query_arguments(
    partition: str,
    *,
    index: Index | None,
    newest_first: bool,
    sort_condition: tuple[str, dict[str, Any]] | None,
    equal_to: Mapping[str, str] | None,
    contains_all: tuple[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """A Query's key condition, filter, index and order, with their names and values."""
    names = {"#pk": index.pk if index else PK}
    values: dict[str, Any] = {":pk": {"S": partition}}
    condition = "#pk = :pk"
    if sort_condition:
        condition += " AND " + sort_condition[0]
        names["#sk"] = index.sk if index else SK
        values |= sort_condition[1]
    arguments: dict[str, Any] = {
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": not newest_first,
    }
    filters: list[str] = []
    for i, (attribute, wanted) in enumerate(sorted((equal_to or {}).items())):
        names[f"#f{i}"], values[f":f{i}"] = attribute, {"S": wanted}
        filters.append(f"#f{i} = :f{i}")
    if contains_all:
        attribute, members = contains_all
        names["#members"] = attribute
        for i, member in enumerate(members):
            values[f":m{i}"] = {"S": member}
            filters.append(f"contains(#members, :m{i})")
    if filters:
        arguments["FilterExpression"] = " AND ".join(filters)
    if index:
        arguments["IndexName"] = index.name
    return arguments


def _is_write_conflict(exc: ClientError | BotoCoreError) -> bool:
    return isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") == (
        _WRITE_CONFLICT
    )


def state_update(
    old: Mapping[str, Any], new: Mapping[str, Any], *, skip: frozenset[str]
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """An UpdateExpression that turns stored item `old` into `new`, leaving `skip` alone.

    `version` is set from `new`; the caller adds its own condition (normally on the version
    read). Returns the expression with its attribute names and (plain) values.
    """
    names: dict[str, str] = {"#version": "version"}
    values: dict[str, Any] = {":new_version": new["version"]}
    sets = ["#version = :new_version"]
    for i, (name, value) in enumerate(sorted(new.items())):
        if name in skip or name == "version" or value is None:
            continue
        names[f"#a{i}"] = name
        values[f":a{i}"] = value
        sets.append(f"#a{i} = :a{i}")
    gone = sorted(
        n for n, v in old.items() if n not in skip and new.get(n) is None and v is not None
    )
    for i, name in enumerate(gone):
        names[f"#r{i}"] = name
    removal = " REMOVE " + ", ".join(f"#r{i}" for i in range(len(gone))) if gone else ""
    return "SET " + ", ".join(sets) + removal, names, values


_STORAGE_ATTRIBUTES = frozenset(
    {PK, SK, ENTITY} | {name for index in ALL_INDEXES for name in (index.pk, index.sk)}
)


def state_of(item: Item) -> Item:
    """An item's own attributes, without its key, index entries and entity tag."""
    return {k: v for k, v in item.items() if k not in _STORAGE_ATTRIBUTES}
