"""Every filter at every status, filters combined, full pages, and cursors bound to their list."""

import itertools
import random
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portfolio_api.content.collections import ALL_COLLECTIONS, BLOG_POSTS, PROJECTS
from portfolio_api.content.spec import ContentSpec, Facet, facet_key
from portfolio_api.core.settings import Settings
from portfolio_api.db.client import dynamodb_client
from tests.conftest import SignedInUser
from tests.factories import content_payload

STATUSES = ("published", "draft", "all")
TEXT_VALUES = ["Red", "blue", "GREEN", "c#"]  # mixed case, and a `#` inside a key segment


def facet_fields(spec: ContentSpec, rng: random.Random) -> dict[str, Any]:
    """Random values for every facet attribute, of the kind the collection's field takes."""
    fields: dict[str, Any] = {}
    for facet in spec.facets:
        kind = content_payload(spec)[facet.attribute]
        if isinstance(kind, bool):
            fields[facet.attribute] = rng.random() < 0.5
        elif isinstance(kind, list):
            fields[facet.attribute] = rng.sample(TEXT_VALUES, rng.randint(0, 3))
        else:
            fields[facet.attribute] = rng.choice(TEXT_VALUES)
    return fields


def query_forms(facet: Facet) -> list[str]:
    """Every value a facet can be asked for here, in a case the stored one may not have."""
    if facet.query_type is bool:
        return ["true", "false"]
    return [v.swapcase() for v in TEXT_VALUES] + ["none-such"]


def matches(spec: ContentSpec, item: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    by_param = {facet.param: facet for facet in spec.facets}
    return all(facet_key(v) in by_param[p].values(item) for p, v in filters.items())


def page(
    client: TestClient,
    spec: ContentSpec,
    params: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    response = client.get(spec.path, params=dict(params), headers=dict(headers or {}))
    assert response.status_code == 200, (params, response.text)
    return dict(response.json())


def walk(
    client: TestClient,
    spec: ContentSpec,
    params: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Every page of a list, following `nextCursor`."""
    cursor = None
    while True:
        body = page(client, spec, {**params, **({"cursor": cursor} if cursor else {})}, headers)
        yield body["items"]
        cursor = body["nextCursor"]
        if cursor is None:
            return


_SLUGS = itertools.count()


def create(
    client: TestClient, spec: ContentSpec, owner: SignedInUser, **fields: Any
) -> dict[str, Any]:
    """An item under a slug of its own (a derived one would retry past every taken `-n`)."""
    body = content_payload(spec, slug=f"item-{next(_SLUGS)}", **fields)
    response = client.post(spec.path, json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.slow  # every filter and pair, at every status, for every collection
@pytest.mark.parametrize("spec", ALL_COLLECTIONS, ids=lambda s: s.name)
def test_every_filter_and_pair_at_every_status(
    client: TestClient, owner: SignedInUser, member: SignedInUser, spec: ContentSpec
) -> None:
    rng = random.Random(spec.name)
    for _ in range(14):
        create(
            client,
            spec,
            owner,
            **facet_fields(spec, rng),
            status=rng.choice(["draft", "published"]),
        )
    single = [{f.param: v} for f in spec.facets for v in query_forms(f)]
    pairs = [
        {a.param: va, b.param: vb}
        for a, b in itertools.combinations(spec.facets, 2)
        for va, vb in itertools.product(query_forms(a), query_forms(b))
    ]
    non_empty = 0
    for status in STATUSES:
        unfiltered = page(client, spec, {"status": status, "limit": 100}, owner.headers)["items"]
        for filters in single + pairs:
            listed = page(client, spec, {"status": status, "limit": 100, **filters}, owner.headers)
            expected = [item for item in unfiltered if matches(spec, item, filters)]
            assert listed["items"] == expected, (status, filters)  # same order, same fields
            assert listed["nextCursor"] is None
            non_empty += bool(expected)
            if status == "published":
                anonymous = page(client, spec, {"limit": 100, **filters})
                assert anonymous["items"] == expected, filters
    assert non_empty > len(single)  # the data set exercises most filters, not only empty lists
    for status, filters in itertools.product(("draft", "all"), single[:2] + pairs[:2]):
        params = {"status": status, **filters}
        assert client.get(spec.path, params=params).status_code == 401
        assert client.get(spec.path, params=params, headers=member.headers).status_code == 403


@pytest.mark.slow  # walks every page of a large list
def test_a_combined_walk_returns_each_match_once_in_order_on_full_pages(
    client: TestClient, owner: SignedInUser
) -> None:
    spec = BLOG_POSTS
    for n in range(30):  # News: 27 tagged aws, interleaved with 3 that are not
        tags = ["other"] if n % 10 == 4 else ["aws", "serverless"]
        create(client, spec, owner, category="News", tags=tags, status="published")
    for _ in range(3):
        create(client, spec, owner, category="News", tags=["aws"], status="draft")
    for _ in range(12):  # aws elsewhere: the tag is the larger set, so News drives the Query
        create(client, spec, owner, category="Other", tags=["aws"], status="published")
    filters = {"category": "news", "tag": "AWS"}
    for status, headers, expected_count in (
        ("published", {}, 27),
        ("all", owner.headers, 30),
        ("draft", owner.headers, 3),
    ):
        pages = list(walk(client, spec, {"status": status, "limit": 10, **filters}, headers))
        sizes = [len(p) for p in pages]
        assert all(size == 10 for size in sizes[:-1]) and 0 < sizes[-1] <= 10, sizes
        walked = [item["id"] for p in pages for item in p]
        unfiltered = page(client, spec, {"status": status, "limit": 100}, owner.headers)["items"]
        expected = [item["id"] for item in unfiltered if matches(spec, item, filters)]
        assert len(expected) == expected_count
        assert walked == expected  # each once, in the unfiltered list's order


@pytest.mark.slow  # walks every page of a large list
def test_a_single_filter_walk_over_drafts(client: TestClient, owner: SignedInUser) -> None:
    spec = PROJECTS
    for n in range(33):  # 26 use Rust
        create(client, spec, owner, techStack=["Rust"] if n % 5 else ["Go"], featured=n % 2 == 0)
    pages = list(
        walk(client, spec, {"status": "draft", "limit": 10, "tech": "rust"}, owner.headers)
    )
    assert [len(p) for p in pages] == [10, 10, 6]
    walked = [item["id"] for p in pages for item in p]
    drafts = page(client, spec, {"status": "draft", "limit": 100}, owner.headers)["items"]
    assert walked == [item["id"] for item in drafts if "Rust" in item["techStack"]]
    assert len(set(walked)) == 26


def test_a_cursor_belongs_to_its_collection_status_and_filters(
    client: TestClient, owner: SignedInUser
) -> None:
    spec = BLOG_POSTS
    for _ in range(3):
        create(client, spec, owner, category="News", tags=["aws"], status="published")
    base = {"limit": 1, "category": "news", "tag": "aws"}
    cursor = page(client, spec, base)["nextCursor"]
    assert cursor
    assert page(client, spec, {**base, "cursor": cursor})["items"]  # its own list takes it
    foreign: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({**base, "category": "other"}, {}),
        ({"limit": 1, "category": "news"}, {}),
        ({**base, "tag": "python"}, {}),
        ({**base, "status": "all"}, owner.headers),
        ({**base, "status": "draft"}, owner.headers),
        ({"limit": 1}, {}),
    ]
    for params, headers in foreign:
        response = client.get(spec.path, params={**params, "cursor": cursor}, headers=headers)
        assert response.status_code == 400, params
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "cursor"
    projects = client.get(PROJECTS.path, params={"limit": 1, "cursor": cursor})
    assert projects.status_code == 400


def test_the_rarest_value_drives_the_query(
    client: TestClient, owner: SignedInUser, settings: Settings
) -> None:
    spec = BLOG_POSTS
    for n in range(6):
        create(client, spec, owner, category="Common", tags=["rare"] if n < 2 else ["x"])
    create(client, spec, owner, category="Scarce", tags=["x"], status="published")
    queried: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        queried.append(params["ExpressionAttributeValues"][":pk"]["S"])

    events = dynamodb_client(settings.region).meta.events
    events.register("before-parameter-build.dynamodb.Query", record, unique_id="test-partitions")
    try:
        drafts = page(
            client, spec, {"status": "draft", "category": "common", "tag": "rare"}, owner.headers
        )
        everything = page(
            client, spec, {"status": "all", "category": "scarce", "tag": "x"}, owner.headers
        )
    finally:
        events.unregister("before-parameter-build.dynamodb.Query", unique_id="test-partitions")
    assert len(drafts["items"]) == 2 and len(everything["items"]) == 1
    assert queried == [
        "CONTENT#blog#draft#FACET#tag#rare",  # 2 drafts tagged rare against 6 in Common
        "CONTENT#blog#FACET#category#scarce",  # 1 item in Scarce against 7 tagged x
    ]


def test_later_pages_follow_their_cursor_when_the_rarest_value_changes(
    client: TestClient, owner: SignedInUser
) -> None:
    """Page 1 reads the category (rarer); then the tag becomes rarer; page 2 still continues."""
    spec = BLOG_POSTS
    matching = [
        create(client, spec, owner, category="News", tags=["aws"], status="published")["id"]
        for _ in range(3)
    ]
    for _ in range(2):
        create(client, spec, owner, category="Other", tags=["aws"], status="published")
    params = {"limit": 2, "category": "news", "tag": "aws"}  # News 3, aws 5: News drives
    first = page(client, spec, params)
    for _ in range(4):  # News 7, aws 5: a fresh first page would read the tag now
        create(client, spec, owner, category="News", tags=["go"], status="published")
    second = page(client, spec, {**params, "cursor": first["nextCursor"]})
    walked = [item["id"] for item in first["items"] + second["items"]]
    assert walked == matching[::-1] and second["nextCursor"] is None
