"""How a cancelled content transaction is read: each reason leads to one domain outcome."""

import pytest

from portfolio_api.core.errors import ServiceUnavailable, ValidationFailed
from portfolio_api.repositories.content import SlugTaken, StaleWrite, _raise_for_reasons

CLAIMS = range(1, 2)  # the item is action 0, its slug claim action 1


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        (["ConditionalCheckFailed", None, None], StaleWrite),
        ([None, "ConditionalCheckFailed", None], SlugTaken),
        ([None, None, "TransactionConflict"], StaleWrite),
        ([None, "ThrottlingError", None], ServiceUnavailable),
        (["ValidationError", None], ValidationFailed),
        ([None, None, "ItemCollectionSizeLimitExceeded"], ValidationFailed),
        ([None, None, "ConditionalCheckFailed"], StaleWrite),  # not a claim: treat as a race
    ],
)
def test_reasons_map_to_one_outcome(reasons: list[str | None], expected: type[Exception]) -> None:
    with pytest.raises(expected):
        _raise_for_reasons(reasons, claim_positions=CLAIMS)
