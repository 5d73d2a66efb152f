"""Random write sequences against a simple in-memory model: lists, filters and counts stay exact.

After every step the lists the step can have changed are compared with the model: each status's
unfiltered list, every single filter at every status, and every pair of the touched post's
category and tags (before and after the step) at every status; every facet count is compared too.
"""

import itertools
import random
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portfolio_api.content.collections import BLOG_POSTS
from portfolio_api.core.settings import Settings
from portfolio_api.db.client import dynamodb_client
from portfolio_api.repositories.content import ContentRepository
from tests.conftest import SignedInUser
from tests.factories import content_payload

CATEGORIES = ["AWS", "Python", "Ops"]
TAGS = ["a", "b", "c", "d"]
PATH = BLOG_POSTS.path


STATUSES = ("published", "draft", "all")


class Model:
    """What the service should hold: each post's category, tags, status and list instants."""

    def __init__(self) -> None:
        self.posts: dict[str, dict[str, Any]] = {}

    def apply(self, view: dict[str, Any]) -> None:
        fields = ("category", "tags", "status", "publishedAt", "updatedAt")
        self.posts[view["id"]] = {k: view[k] for k in fields}

    def listed(self, status: str, category: str | None = None, tag: str | None = None) -> list[str]:
        """Ids in list order: published by `publishedAt`, drafts and all by `updatedAt`."""
        order = "publishedAt" if status == "published" else "updatedAt"
        chosen = [
            (p[order], i)
            for i, p in self.posts.items()
            if status in ("all", p["status"])
            and (category is None or p["category"].lower() == category.lower())
            and (tag is None or tag in p["tags"])
        ]
        return [i for _, i in sorted(chosen, reverse=True)]

    def published(self) -> list[tuple[str, dict[str, Any]]]:
        return [(i, self.posts[i]) for i in self.listed("published")]

    def counts(self) -> list[dict[str, Any]]:
        counter = Counter(p["category"] for _, p in self.published())
        return [
            {"name": n, "count": c}
            for n, c in sorted(counter.items(), key=lambda e: (-e[1], e[0].lower()))
        ]

    def touched(self, post_id: str | None) -> tuple[set[str], set[str]]:
        post = self.posts.get(post_id or "")
        return ({post["category"]}, set(post["tags"])) if post else (set(), set())


def random_step(
    rng: random.Random, client: TestClient, owner: SignedInUser, model: Model
) -> str | None:
    """One random write through the API, applied to the model too; returns the post's id."""
    action = rng.choice(["create", "create", "edit", "publish", "unpublish", "delete"])
    existing = sorted(model.posts)
    if action == "create" or not existing:
        body = content_payload(
            BLOG_POSTS,
            slug=f"post-{len(existing)}-{rng.randrange(10**6)}",
            category=rng.choice(CATEGORIES),
            tags=rng.sample(TAGS, rng.randint(0, 3)),
            status=rng.choice(["draft", "published"]),
        )
        response = client.post(PATH, json=body, headers=owner.headers)
        assert response.status_code == 201, response.text
        model.apply(response.json())
        return str(response.json()["id"])
    target = rng.choice(existing)
    url = f"{PATH}/{target}"
    if action == "edit":  # recategorise, retag, or both
        change = rng.choice(
            [
                {"category": rng.choice(CATEGORIES)},
                {"tags": rng.sample(TAGS, rng.randint(0, 3))},
                {"category": rng.choice(CATEGORIES), "tags": rng.sample(TAGS, 2)},
            ]
        )
        response = client.patch(url, json=change, headers=owner.headers)
    elif action == "delete":
        assert client.delete(url, headers=owner.headers).status_code == 204
        del model.posts[target]
        return target
    else:
        response = client.post(f"{url}/{action}", headers=owner.headers)
    assert response.status_code == 200, response.text
    model.apply(response.json())
    return target


def listed_ids(client: TestClient, owner: SignedInUser, status: str, **filters: str) -> list[str]:
    params = {"status": status, "limit": 100, **filters}
    response = client.get(PATH, params=params, headers=owner.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def assert_matches(
    client: TestClient,
    owner: SignedInUser,
    model: Model,
    repository: ContentRepository,
    pairs: set[tuple[str, str]],
) -> None:
    assert client.get("/v1/blog/categories").json()["items"] == model.counts()
    for status in STATUSES:
        assert listed_ids(client, owner, status) == model.listed(status), status
        for category in CATEGORIES:
            expected = model.listed(status, category=category)
            assert listed_ids(client, owner, status, category=category) == expected
        for tag in TAGS:
            expected = model.listed(status, tag=tag)
            assert listed_ids(client, owner, status, tag=tag) == expected, (status, tag)
        for category, tag in sorted(pairs):
            expected = model.listed(status, category=category, tag=tag)
            got = listed_ids(client, owner, status, category=category.upper(), tag=tag)
            assert got == expected, (status, category, tag)
    published = [i for i, _ in model.published()]
    anonymous = client.get(PATH, params={"limit": 100}).json()["items"]
    assert [i["id"] for i in anonymous] == published
    assert all(item["tags"] == model.posts[item["id"]]["tags"] for item in anonymous)
    for status in ("published", "draft"):  # every facet counter, at both statuses
        for facet, values in (("category", CATEGORIES), ("tag", TAGS)):
            for value in values:
                wanted = {facet: value.lower()}
                size = repository.facet_sizes(BLOG_POSTS, status, wanted)[facet]
                filters: dict[str, str] = {facet: value}
                expected_size = len(model.listed(status, **filters))
                assert size == expected_size, (status, facet, value)


@pytest.mark.slow  # long random sequences, every list compared after each step
@pytest.mark.parametrize("seed", [1, 2])
def test_random_sequences_keep_lists_filters_and_counts_exact(
    client: TestClient, owner: SignedInUser, settings: Settings, seed: int
) -> None:
    rng, model = random.Random(seed), Model()
    repository = ContentRepository(dynamodb_client(settings.region), settings.dynamodb_table_name)
    for _ in range(30):
        snapshot = Model()
        snapshot.posts = dict(model.posts)
        post_id = random_step(rng, client, owner, model)
        old_categories, old_tags = snapshot.touched(post_id)
        categories, tags = model.touched(post_id)
        pairs = set(itertools.product(categories | old_categories, tags | old_tags))
        assert_matches(client, owner, model, repository, pairs)
