"""A filtered Query reads on past DynamoDB's 1 MB pages until the page is full, and no further."""

from typing import Any

from portfolio_api.db.keys import GSI1
from portfolio_api.repositories.base import Repository, serialize


class PagedClient:
    """Answers Query from a list of entries, `per_page` evaluated at a time, filter applied."""

    def __init__(self, entries: list[dict[str, Any]], per_page: int, wanted: str) -> None:
        self.entries, self.per_page, self.wanted = entries, per_page, wanted
        self.calls: list[dict[str, Any]] = []

    def query(self, **arguments: Any) -> dict[str, Any]:
        self.calls.append(arguments)
        start = 0
        if "ExclusiveStartKey" in arguments:
            last_sk = arguments["ExclusiveStartKey"]["SK"]["S"]
            start = next(i for i, e in enumerate(self.entries) if e["SK"] == last_sk) + 1
        evaluated = self.entries[start : start + self.per_page]
        response: dict[str, Any] = {
            "Items": [serialize(e) for e in evaluated if self.wanted in e["facetKeys"]]
        }
        if start + self.per_page < len(self.entries):
            response["LastEvaluatedKey"] = serialize(
                {k: evaluated[-1][k] for k in ("PK", "SK", GSI1.pk, GSI1.sk)}
            )
        return response


def entries(count: int) -> list[dict[str, Any]]:
    """Newest first; every third one lacks the wanted value."""
    return [
        {
            "PK": f"CONTENT#blog#{n:03}",
            "SK": f"LIST#{n:03}",
            GSI1.pk: "CONTENT#blog#FACET#category#news",
            GSI1.sk: f"2026-01-01T00:00:{59 - n:02}Z#{n:03}",
            "id": f"{n:03}",
            "facetKeys": ["tag#x"] if n % 3 == 2 else ["tag#aws"],
        }
        for n in range(count)
    ]


def read(client: PagedClient, limit: int, start: dict[str, str] | None) -> Any:
    repository = Repository(client, "table")  # type: ignore[arg-type]
    return repository._query_page(
        "CONTENT#blog#FACET#category#news",
        index=GSI1,
        limit=limit,
        start_key=start,
        contains_all=("facetKeys", ["tag#aws"]),
    )


def test_a_filtered_page_reads_on_until_full_and_resumes_after_its_last_item() -> None:
    client = PagedClient(entries(30), per_page=4, wanted="tag#aws")  # 20 match
    first = read(client, 10, None)
    assert [i["id"] for i in first.items] == [f"{n:03}" for n in range(30) if n % 3 != 2][:10]
    assert all("Limit" not in call for call in client.calls)  # a filter cuts after Limit
    assert len(client.calls) == 4  # 16 evaluated: 11 matches, the 11th says there is more
    assert first.next_key == {k: str(first.items[-1][k]) for k in ("PK", "SK", GSI1.pk, GSI1.sk)}
    second = read(client, 10, first.next_key)
    assert [i["id"] for i in second.items] == [f"{n:03}" for n in range(30) if n % 3 != 2][10:]
    assert second.next_key is None  # the partition ended: no empty page after it
    walked = [i["id"] for i in first.items + second.items]
    assert len(walked) == len(set(walked)) == 20
