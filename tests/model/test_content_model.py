"""Random write sequences against a simple in-memory model: filters and counts stay exact."""

import random
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portfolio_api.content.collections import BLOG_POSTS
from tests.conftest import SignedInUser
from tests.factories import content_payload

CATEGORIES = ["AWS", "Python", "Ops"]
TAGS = ["a", "b", "c", "d"]
PATH = BLOG_POSTS.path


class Model:
    """What the service should hold: each post's category, tags, status and publishedAt."""

    def __init__(self) -> None:
        self.posts: dict[str, dict[str, Any]] = {}

    def apply(self, view: dict[str, Any]) -> None:
        self.posts[view["id"]] = {k: view[k] for k in ("category", "tags", "status", "publishedAt")}

    def published(self) -> list[tuple[str, dict[str, Any]]]:
        live = [(i, p) for i, p in self.posts.items() if p["status"] == "published"]
        return sorted(live, key=lambda e: (e[1]["publishedAt"], e[0]), reverse=True)

    def counts(self) -> list[dict[str, Any]]:
        counter = Counter(p["category"] for _, p in self.published())
        return [
            {"name": n, "count": c}
            for n, c in sorted(counter.items(), key=lambda e: (-e[1], e[0].lower()))
        ]


def random_step(rng: random.Random, client: TestClient, owner: SignedInUser, model: Model) -> None:
    action = rng.choice(["create", "create", "edit", "publish", "unpublish", "delete"])
    existing = sorted(model.posts)
    if action == "create" or not existing:
        body = content_payload(
            BLOG_POSTS,
            category=rng.choice(CATEGORIES),
            tags=rng.sample(TAGS, rng.randint(0, 3)),
            status=rng.choice(["draft", "published"]),
        )
        response = client.post(PATH, json=body, headers=owner.headers)
        assert response.status_code == 201, response.text
        model.apply(response.json())
        return
    target = rng.choice(existing)
    url = f"{PATH}/{target}"
    if action == "edit":
        change = rng.choice(
            [{"category": rng.choice(CATEGORIES)}, {"tags": rng.sample(TAGS, rng.randint(0, 3))}]
        )
        response = client.patch(url, json=change, headers=owner.headers)
    elif action == "delete":
        assert client.delete(url, headers=owner.headers).status_code == 204
        del model.posts[target]
        return
    else:
        response = client.post(f"{url}/{action}", headers=owner.headers)
    assert response.status_code == 200, response.text
    model.apply(response.json())


def assert_matches(client: TestClient, model: Model) -> None:
    assert client.get("/v1/blog/categories").json()["items"] == model.counts()
    everything = [i for i, _ in model.published()]
    assert [i["id"] for i in client.get(PATH, params={"limit": 100}).json()["items"]] == everything
    for category in CATEGORIES:
        expected = [i for i, p in model.published() if p["category"] == category]
        listed = client.get(PATH, params={"category": category, "limit": 100}).json()["items"]
        assert [i["id"] for i in listed] == expected, category
    for tag in TAGS:
        expected = [i for i, p in model.published() if tag in p["tags"]]
        listed = client.get(PATH, params={"tag": tag, "limit": 100}).json()["items"]
        assert [i["id"] for i in listed] == expected, tag
        assert all(item["tags"] == model.posts[item["id"]]["tags"] for item in listed)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_sequences_keep_filters_and_counts_exact(
    client: TestClient, owner: SignedInUser, seed: int
) -> None:
    rng, model = random.Random(seed), Model()
    for step in range(30):
        random_step(rng, client, owner, model)
        if step % 10 == 9:
            assert_matches(client, model)
    assert_matches(client, model)
