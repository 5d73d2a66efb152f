"""Analytics through HTTP: exact, private counting of visits and views, and the reports."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio_api.container import Container
from portfolio_api.content.collections import ALL_COLLECTIONS
from portfolio_api.content.spec import ContentSpec, facet_key
from portfolio_api.core.settings import Settings
from portfolio_api.main import create_app
from tests.conftest import BROWSER, SignedInUser, make_settings
from tests.factories import content_payload
from tests.harness import AppProcesses, race

BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: Settings, clock: Clock) -> FastAPI:
    return create_app(settings, Container(settings, clock=clock))


def browser(n: int = 0, **extra: str) -> dict[str, str]:
    return {"User-Agent": f"{BROWSER} visitor/{n}", **extra}


def track(client: TestClient, headers: dict[str, str], path: str = "/", **body: Any) -> bool:
    response = client.post("/v1/visitors/track", json={"path": path, **body}, headers=headers)
    assert response.status_code == 200, response.text
    return bool(response.json()["counted"])


def count(client: TestClient) -> dict[str, int]:
    return dict(client.get("/v1/visitors/count").json())


def test_first_visit_counts_repeat_and_bot_do_not(client: TestClient) -> None:
    assert track(client, browser()) is True
    assert track(client, browser()) is False
    assert track(client, {"User-Agent": BOT}) is False
    assert track(client, {"User-Agent": ""}) is False
    assert count(client) == {"total": 1, "today": 1}


@pytest.mark.parametrize("signal", [{"DNT": "1"}, {"Sec-GPC": "1"}])
def test_privacy_signals_are_honoured(client: TestClient, signal: dict[str, str]) -> None:
    assert track(client, browser(**signal)) is False
    assert count(client)["total"] == 0


def test_the_owner_is_not_counted(
    client: TestClient, owner: SignedInUser, member: SignedInUser
) -> None:
    assert track(client, {**browser(1), **owner.headers}) is False
    assert track(client, {**browser(2), **member.headers}) is True


def test_each_rule_can_be_switched_off(stack: Any, clock: Clock, owner: SignedInUser) -> None:
    settings = make_settings(
        stack,
        analytics_skip_bots=False,
        analytics_honour_privacy_signals=False,
        analytics_skip_owner=False,
    )
    lenient = TestClient(create_app(settings, Container(settings, clock=clock)))
    assert track(lenient, {"User-Agent": BOT}) is True
    assert track(lenient, browser(1, DNT="1")) is True
    assert track(lenient, {**browser(2), **owner.headers}) is True


def test_fifty_concurrent_visitors_are_counted_exactly(app_processes: AppProcesses) -> None:
    """Fifty first visits at once over three app processes, then each visitor again elsewhere."""

    def visit(client: httpx.Client, n: int) -> bool:
        response = client.post(
            "/v1/visitors/track", json={"path": f"/page/{n % 5}"}, headers=browser(n)
        )
        assert response.status_code == 200, response.text
        return bool(response.json()["counted"])

    def counts() -> dict[str, int]:
        return dict(httpx.get(f"{app_processes.url(0)}/v1/visitors/count").json())

    before = counts()
    results = race(app_processes, 50, visit)
    after = counts()
    assert results == [True] * 50
    assert after["today"] - before["today"] == 50
    assert after["total"] - before["total"] == 50
    # Each visitor again, now on a process it did not reach first (request n goes to process
    # n % 3, visitor n - 1 went to process (n - 1) % 3): every process hashes a visitor alike.
    again = race(app_processes, 50, lambda client, n: visit(client, (n - 1) % 50))
    assert again == [False] * 50
    assert counts() == after


def test_a_new_day_counts_the_same_visitor_again_with_a_new_salt(
    client: TestClient, clock: Clock, dynamodb: Any
) -> None:
    assert track(client, browser()) is True
    clock.now = START + timedelta(days=1)
    assert track(client, browser()) is True
    assert track(client, browser()) is False
    assert count(client) == {"total": 2, "today": 1}
    salts = [
        dynamodb.get_item(
            TableName="portfolio-test", Key={"PK": {"S": f"SALT#{day}"}, "SK": {"S": "SALT"}}
        )["Item"]
        for day in ("2026-11-21", "2026-11-22")
    ]
    assert salts[0]["salt"] != salts[1]["salt"]
    assert all(int(s["expiresAt"]["N"]) > START.timestamp() for s in salts)


def test_trends_fill_every_day_and_month_with_zeros(client: TestClient, clock: Clock) -> None:
    track(client, browser(1))
    track(client, browser(2))
    clock.now = START + timedelta(days=2)
    track(client, browser(1))
    daily = client.get(
        "/v1/visitors/trends", params={"period": "daily", "from": "2026-11-18", "to": "2026-11-24"}
    ).json()
    assert daily["period"] == "daily"
    assert [p["date"] for p in daily["points"]] == [f"2026-11-{d}" for d in range(18, 25)]
    assert [p["visitors"] for p in daily["points"]] == [0, 0, 0, 2, 0, 1, 0]
    monthly = client.get(
        "/v1/visitors/trends",
        params={"period": "monthly", "from": "2026-09-01", "to": "2026-12-31"},
    ).json()
    assert monthly["points"] == [
        {"date": "2026-09", "visitors": 0},
        {"date": "2026-10", "visitors": 0},
        {"date": "2026-11", "visitors": 3},
        {"date": "2026-12", "visitors": 0},
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"period": "daily", "from": "2025-01-01", "to": "2026-01-02"},  # 367 days
        {"period": "monthly", "from": "2020-01-01", "to": "2025-01-31"},  # 61 months
        {"period": "daily", "from": "2026-11-02", "to": "2026-11-01"},
        {"period": "weekly", "from": "2026-11-01", "to": "2026-11-02"},
        {"period": "daily", "from": "2026-11-01"},
        {"period": "daily", "from": "yesterday", "to": "2026-11-02"},
    ],
)
def test_bad_trend_ranges_are_400(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/v1/visitors/trends", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_366_days_is_allowed(client: TestClient) -> None:
    response = client.get(
        "/v1/visitors/trends", params={"period": "daily", "from": "2024-01-01", "to": "2024-12-31"}
    )
    assert response.status_code == 200 and len(response.json()["points"]) == 366


@pytest.fixture
def published(client: TestClient, owner: SignedInUser) -> Callable[..., dict[str, Any]]:
    from portfolio_api.content.collections import BLOG_POSTS

    def make(title: str, **fields: Any) -> dict[str, Any]:
        body = content_payload(BLOG_POSTS, title=title, status="published", **fields)
        response = client.post(BLOG_POSTS.path, json=body, headers=owner.headers)
        assert response.status_code == 201
        return dict(response.json())

    return make


def view(client: TestClient, content_type: str, content_id: str, n: int = 0) -> Any:
    return client.post(
        "/v1/analytics/views",
        json={"contentType": content_type, "contentId": content_id},
        headers=browser(n),
    )


def test_views_count_once_and_travel_with_the_content(
    client: TestClient, published: Callable[..., dict[str, Any]]
) -> None:
    post = published("Counted")
    assert view(client, "blog", post["id"]).json() == {"counted": True}
    assert view(client, "blog", post["id"]).json() == {"counted": False}
    assert view(client, "blog", post["id"], n=1).json() == {"counted": True}
    item = client.get(f"/v1/blog/posts/{post['id']}").json()
    assert item["views"] == 2 and item["version"] == post["version"]
    assert client.get("/v1/blog/posts").json()["items"][0]["views"] == 2
    assert client.get(f"/v1/analytics/views/blog/{post['id']}").json() == {
        "contentType": "blog",
        "contentId": post["id"],
        "views": 2,
    }
    assert client.get("/v1/analytics/views/total").json() == {"total": 2}


def test_views_of_drafts_inactive_products_and_unknown_ids_are_404(
    client: TestClient, owner: SignedInUser
) -> None:
    from portfolio_api.content.collections import PROJECTS

    draft = client.post(PROJECTS.path, json=content_payload(PROJECTS), headers=owner.headers).json()
    client.post(
        "/v1/products",
        json={"id": "OFF", "name": "Old", "category": "x", "price": 1, "stock": 0, "active": False},
        headers=owner.headers,
    )
    for content_type, content_id in (
        ("project", draft["id"]),
        ("product", "OFF"),
        ("blog", "01NOSUCHTHING"),
        ("certification", "nope"),
    ):
        assert view(client, content_type, content_id).status_code == 404, content_type
        assert client.get(f"/v1/analytics/views/{content_type}/{content_id}").status_code == 404
    assert client.get("/v1/analytics/views/total").json() == {"total": 0}
    assert view(client, "video", "x").status_code == 400


def test_product_views(client: TestClient, owner: SignedInUser) -> None:
    client.post(
        "/v1/products",
        json={"id": "MUG", "name": "Mug", "category": "Merch", "price": 9.5, "stock": 3},
        headers=owner.headers,
    )
    assert view(client, "product", "MUG").json() == {"counted": True}
    product = client.get("/v1/products/MUG").json()
    assert product["views"] == 1 and product["version"] == 1


def test_top_content_follows_the_counts(
    client: TestClient, owner: SignedInUser, published: Callable[..., dict[str, Any]]
) -> None:
    quiet, loud, middle = published("Quiet"), published("Loud"), published("Middle")
    client.post(
        "/v1/products",
        json={"id": "MUG", "name": "Mug", "category": "Merch", "price": 9.5, "stock": 3},
        headers=owner.headers,
    )
    for n in range(3):
        view(client, "blog", loud["id"], n)
    for n in range(2):
        view(client, "blog", middle["id"], n)
        view(client, "product", "MUG", n)
    view(client, "blog", quiet["id"])
    top = client.get("/v1/analytics/top", params={"limit": 3}).json()["items"]
    assert [i["views"] for i in top] == [3, 2, 2]
    assert top[0] == {"contentType": "blog", "contentId": loud["id"], "title": "Loud", "views": 3}
    blog_only = client.get("/v1/analytics/top", params={"contentType": "blog"}).json()["items"]
    assert [i["contentId"] for i in blog_only] == [loud["id"], middle["id"], quiet["id"]]
    products = client.get("/v1/analytics/top", params={"contentType": "product"}).json()["items"]
    assert products == [{"contentType": "product", "contentId": "MUG", "title": "Mug", "views": 2}]
    # a renamed item keeps its place under its new title; an unpublished one leaves the list
    client.patch(f"/v1/blog/posts/{loud['id']}", json={"title": "Louder"}, headers=owner.headers)
    client.post(f"/v1/blog/posts/{middle['id']}/unpublish", headers=owner.headers)
    again = client.get("/v1/analytics/top", params={"contentType": "blog"}).json()["items"]
    assert [(i["title"], i["views"]) for i in again] == [("Louder", 3), ("Quiet", 1)]
    assert client.get("/v1/analytics/top", params={"limit": 51}).status_code == 400


def test_summary_is_the_owners_and_has_every_key(
    client: TestClient,
    owner: SignedInUser,
    member: SignedInUser,
    published: Callable[..., dict[str, Any]],
) -> None:
    post = published("Summarised")
    track(client, browser(1), path="/blog", referrer="https://www.Google.com/search?q=x")
    track(client, browser(2), path="/blog", referrer="http://news.example/item")
    track(client, browser(3), path="/")
    view(client, "blog", post["id"])
    assert client.get("/v1/analytics/summary").status_code == 401
    assert client.get("/v1/analytics/summary", headers=member.headers).status_code == 403
    summary = client.get("/v1/analytics/summary", headers=owner.headers).json()
    assert summary["visitors"] == {"total": 3, "today": 3, "last7Days": 3, "last30Days": 3}
    assert summary["views"] == {"total": 1, "last7Days": 1, "last30Days": 1}
    assert summary["topContent"] == [
        {"contentType": "blog", "contentId": post["id"], "title": "Summarised", "views": 1}
    ]
    assert summary["topPaths"] == [{"path": "/blog", "visitors": 2}, {"path": "/", "visitors": 1}]
    assert summary["topReferrers"] == [
        {"referrer": "news.example", "visitors": 1},
        {"referrer": "www.google.com", "visitors": 1},
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"path": "no-slash"},
        {"path": "/" + "x" * 512},
        {"path": "/ok", "referrer": "ftp://x.example"},
        {"path": "/ok", "referrer": "not a url"},
        {"path": "/ok", "extra": 1},
        {},
        {"path": "/a\u0000b"},
        {"path": "/a\u001fb"},
        {"path": "/a\u007f"},
        {"path": "/a\u0085b"},
        {"path": "/a b"},
        {"path": "/ok", "referrer": "https://exa mple.com/"},
        {"path": "/ok", "referrer": "https://example.com/\u0000"},
        {"path": "/ok", "referrer": "https://user:pw@news.example/"},
        {"path": "/ok", "referrer": "https://user@news.example/"},
        {"path": "/ok", "referrer": "https://" + "a." * 124 + "example/"},  # a 255-char host
        {"path": "/ok", "referrer": "https://" + "a" * 64 + ".example/"},
        {"path": "/ok", "referrer": "https://-news.example/"},
        {"path": "/ok", "referrer": "https://news..example/"},
        {"path": "/ok", "referrer": "https://news.example:99999/"},
        {"path": "/ok", "referrer": "http://[::1/"},
        {"path": "/ok", "referrer": "https://news%2eexample/"},
    ],
)
def test_bad_track_bodies_are_400(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post("/v1/visitors/track", json=body, headers=browser())
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    assert count(client)["total"] == 0


@pytest.mark.parametrize(
    ("referrer", "host"),
    [
        ("http://[2001:db8::1]/x", "2001:db8::1"),
        ("https://203.0.113.9:8443/x", "203.0.113.9"),
        ("https://bücher.example/", "bücher.example"),
        ("https://News.Example./a?b=c", "news.example."),
        ("https://cdn_1.news.example/", "cdn_1.news.example"),
        ("https://" + "a." * 123 + "example/", "a." * 123 + "example"),  # 253 characters
    ],
)
def test_plain_referrers_are_counted_by_host(
    client: TestClient, owner: SignedInUser, referrer: str, host: str
) -> None:
    assert track(client, browser(), referrer=referrer) is True
    summary = client.get("/v1/analytics/summary", headers=owner.headers).json()
    assert summary["topReferrers"] == [{"referrer": host, "visitors": 1}]


def test_nothing_stored_holds_the_ip_or_user_agent(
    client: TestClient, dynamodb: Any, published: Callable[..., dict[str, Any]]
) -> None:
    post = published("Private")
    secret_agent = f"{BROWSER} unique-agent-7f3a9c"
    headers = {"User-Agent": secret_agent}
    client.post("/v1/visitors/track", json={"path": "/"}, headers=headers)
    client.post(
        "/v1/analytics/views",
        json={"contentType": "blog", "contentId": post["id"]},
        headers=headers,
    )
    items = dynamodb.scan(TableName="portfolio-test")["Items"]  # test inspection only
    stored = str(items)
    assert "unique-agent-7f3a9c" not in stored and "Chrome/140" not in stored
    assert "testclient" not in stored  # TestClient's peer address
    assert any(i["PK"]["S"].startswith("VISITED#") for i in items)


@pytest.fixture
def proxied(stack: Any, clock: Clock) -> Iterator[TestClient]:
    settings = make_settings(stack, trusted_proxy_hops=1)
    yield TestClient(create_app(settings, Container(settings, clock=clock)))


def test_forwarded_for_is_used_only_when_hops_are_trusted(
    client: TestClient, proxied: TestClient
) -> None:
    same_agent = browser(9)
    assert track(client, {**same_agent, "X-Forwarded-For": "203.0.113.1"}) is True
    assert track(client, {**same_agent, "X-Forwarded-For": "203.0.113.2"}) is False  # ignored
    assert track(proxied, {**same_agent, "X-Forwarded-For": "198.51.100.1"}) is True
    assert track(proxied, {**same_agent, "X-Forwarded-For": "198.51.100.2"}) is True


def test_conflicts_on_hot_counters_are_retried_not_lost(
    app: FastAPI,
    client: TestClient,
    published: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from portfolio_api.repositories.base import Repository, TransactionCancelled

    post = published("Hot")
    real = Repository._transact
    conflicts = [[None, "TransactionConflict", None], [None, None, "TransactionConflict"]]

    def flaky(self: Any, actions: Any, **kwargs: Any) -> None:
        if conflicts:
            reasons = conflicts.pop(0)
            raise TransactionCancelled([*reasons, *[None] * (len(actions) - len(reasons))])
        real(self, actions, **kwargs)

    monkeypatch.setattr(Repository, "_transact", flaky)
    assert view(client, "blog", post["id"]).json() == {"counted": True}
    assert client.get(f"/v1/analytics/views/blog/{post['id']}").json()["views"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/v1/visitors/count",
        "/v1/visitors/trends?period=daily&from=2026-11-01&to=2026-11-02",
        "/v1/analytics/views/total",
        "/v1/analytics/views/blog/01NOSUCHTHING",
        "/v1/analytics/top",
        "/v1/blog/categories",
    ],
)
def test_public_reads_refuse_an_invalid_token(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Authorization": "Bearer garbage"})
    assert response.status_code == 401


def test_paths_are_counted_without_query_and_at_any_length(
    client: TestClient, owner: SignedInUser
) -> None:
    long_path = "/" + "€" * 511
    assert track(client, browser(1), path="/reset?email=a@b.example&token=s3cret#frag") is True
    assert track(client, browser(2), path=long_path) is True
    host = "a" * 60 + "." + "b" * 60 + ".example"
    assert track(client, browser(3), path="/", referrer=f"https://{host}/x") is True
    assert track(client, browser(4), path="//evil.example/z?x=1") is True  # not a host
    assert track(client, browser(5), path="/a#b?c") is True
    summary = client.get("/v1/analytics/summary", headers=owner.headers).json()
    paths = {p["path"] for p in summary["topPaths"]}
    assert paths == {"/reset", long_path, "/", "//evil.example/z", "/a"}
    assert summary["topReferrers"] == [{"referrer": host, "visitors": 1}]


def test_logs_never_hold_the_ip_or_user_agent(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from portfolio_api.core.logging import configure_logging

    configure_logging("DEBUG")
    capsys.readouterr()
    client.post("/v1/visitors/track", json={"path": "/"}, headers={"User-Agent": "agent-4b1d"})
    output = capsys.readouterr().out
    assert '"path": "/v1/visitors/track"' in output  # the access line was written
    assert "agent-4b1d" not in output and "testclient" not in output


def test_list_entries_carry_views_too(
    client: TestClient, owner: SignedInUser, published: Callable[..., dict[str, Any]]
) -> None:
    post = published("Listed")
    view(client, "blog", post["id"])
    owner_list = client.get("/v1/blog/posts", params={"status": "all"}, headers=owner.headers)
    assert owner_list.json()["items"][0]["views"] == 1


def test_strict_dates_and_client_field_names(client: TestClient) -> None:
    stamp = client.get(
        "/v1/visitors/trends", params={"period": "daily", "from": "1767225600", "to": "2026-01-02"}
    )
    assert stamp.status_code == 400 and stamp.json()["errors"][0]["field"] == "from"
    bad_type = client.get("/v1/analytics/views/video/x")
    assert bad_type.status_code == 400 and bad_type.json()["errors"][0]["field"] == "contentType"


def test_a_view_counted_during_an_edit_is_kept_on_the_item_and_its_lists(
    app: FastAPI,
    client: TestClient,
    owner: SignedInUser,
    published: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from portfolio_api.services.analytics import Visitor

    post = published("Raced")
    repository = app.state.container.content_service._repository
    real_get = repository.get
    raced: list[bool] = []

    def get_then_view(spec: Any, item_id: str, *, consistent: bool = False) -> Any:
        item = real_get(spec, item_id, consistent=consistent)
        if consistent and not raced:  # the edit's read: a view commits before its write
            somebody = Visitor("203.0.113.7", BROWSER, do_not_track=False, principal=None)
            raced.append(
                app.state.container.analytics_service.count_view(somebody, "blog", item_id)
            )
        return item

    monkeypatch.setattr(repository, "get", get_then_view)
    edited = client.patch(
        f"/v1/blog/posts/{post['id']}",
        json={"summary": "Edited while viewed"},
        headers={**owner.headers, "If-Match": f'"{post["version"]}"'},  # right: not a 412
    )
    assert raced == [True]
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == post["version"] + 1  # applied at once, no retry needed
    item = client.get(f"/v1/blog/posts/{post['id']}").json()
    published_list = client.get("/v1/blog/posts").json()["items"]
    owner_list = client.get("/v1/blog/posts", params={"status": "all"}, headers=owner.headers)
    assert item["views"] == 1 and item["summary"] == "Edited while viewed"
    assert [(i["id"], i["views"]) for i in published_list] == [(post["id"], 1)]
    assert [(i["id"], i["views"]) for i in owner_list.json()["items"]] == [(post["id"], 1)]
    by_category = client.get("/v1/blog/posts", params={"category": "engineering"}).json()
    assert [(i["id"], i["views"]) for i in by_category["items"]] == [(post["id"], 1)]


@pytest.mark.parametrize("spec", ALL_COLLECTIONS, ids=lambda s: s.name)
def test_filtered_lists_show_counted_views(
    client: TestClient, owner: SignedInUser, spec: ContentSpec
) -> None:
    body = content_payload(spec, status="published")
    viewed = client.post(spec.path, json=body, headers=owner.headers).json()
    other = client.post(spec.path, json=body, headers=owner.headers).json()
    for n in range(2):
        assert view(client, spec.name, viewed["id"], n).json() == {"counted": True}
    for facet in spec.facets:
        raw = viewed[facet.attribute]
        value = facet_key(raw[0] if isinstance(raw, list) else raw)
        listed = client.get(spec.path, params={facet.param: value}).json()["items"]
        views = {item["id"]: item["views"] for item in listed}
        assert views == {viewed["id"]: 2, other["id"]: 0}, (facet.param, value)


def lambda_client(stack: Any, clock: Clock, secret: str) -> TestClient:
    """Another Lambda container: its own app and service (salt cache), one table."""
    settings = make_settings(stack, cursor_secret=secret)
    return TestClient(create_app(settings, Container(settings, clock=clock)))


def stored(dynamodb: Any, prefix: str) -> list[dict[str, Any]]:
    items = dynamodb.scan(TableName="portfolio-test")["Items"]  # test inspection only
    return [i for i in items if i["PK"]["S"].startswith(prefix)]


def test_two_lambdas_with_one_secret_agree_on_the_salt_and_count_a_visitor_once(
    stack: Any, clock: Clock, dynamodb: Any
) -> None:
    secret = "one-shared-secret-of-at-least-32-chars"
    first, second = lambda_client(stack, clock, secret), lambda_client(stack, clock, secret)
    assert track(first, browser()) is True  # the first Lambda makes the day's salt
    assert track(second, browser()) is False  # the second one takes it: same hash, a repeat
    assert track(second, browser(1)) is True
    assert track(first, browser(1)) is False
    assert count(first) == {"total": 2, "today": 2}
    assert len(stored(dynamodb, "SALT#")) == 1 and len(stored(dynamodb, "VISITED#")) == 2


def test_the_visitor_hash_is_keyed_by_the_server_secret(
    stack: Any, clock: Clock, dynamodb: Any
) -> None:
    import hashlib

    agent = browser()["User-Agent"]
    one = lambda_client(stack, clock, "the-first-secret-of-at-least-32-chars")
    other = lambda_client(stack, clock, "another-secret-of-at-least-32-chars!")
    assert track(one, browser()) is True
    assert track(other, browser()) is True  # same salt and visitor, another key: another hash
    markers = [m["PK"]["S"] for m in stored(dynamodb, "VISITED#")]
    assert len(set(markers)) == 2
    # What the table holds (the salt) is not enough to recompute a marker without the key.
    (salt,) = [s["salt"]["S"] for s in stored(dynamodb, "SALT#")]
    material = f"{salt}\nvisit\ntestclient\n{agent}".encode()
    unkeyed = hashlib.sha256(material).hexdigest()[:32]
    assert not any(unkeyed in marker for marker in markers)


def top_of(client: TestClient, content_type: str | None = None) -> list[tuple[str, str, int]]:
    params = {"contentType": content_type} if content_type else {}
    items = client.get("/v1/analytics/top", params=params).json()["items"]
    return [(i["contentId"], i["title"], i["views"]) for i in items]


def test_top_lists_follow_deletes_renames_and_deactivation(
    client: TestClient, owner: SignedInUser, published: Callable[..., dict[str, Any]]
) -> None:
    post = published("Soon gone")
    mug = {"id": "MUG", "name": "Mug", "category": "Merch", "price": 9.5, "stock": 3}
    assert client.post("/v1/products", json=mug, headers=owner.headers).status_code == 201
    view(client, "blog", post["id"])
    for n in range(2):
        view(client, "product", "MUG", n)
    assert top_of(client) == [("MUG", "Mug", 2), (post["id"], "Soon gone", 1)]

    deleted = client.delete(f"/v1/blog/posts/{post['id']}", headers=owner.headers)
    assert deleted.status_code == 204
    assert top_of(client) == [("MUG", "Mug", 2)]
    assert top_of(client, "blog") == []

    patched = client.patch("/v1/products/MUG", json={"name": "Big mug"}, headers=owner.headers)
    assert patched.status_code == 200
    assert top_of(client) == top_of(client, "product") == [("MUG", "Big mug", 2)]

    client.patch("/v1/products/MUG", json={"active": False}, headers=owner.headers)
    assert top_of(client) == top_of(client, "product") == []
    client.patch("/v1/products/MUG", json={"active": True}, headers=owner.headers)
    assert top_of(client) == [("MUG", "Big mug", 2)]  # back, with its views

    assert client.delete("/v1/products/MUG", headers=owner.headers).status_code == 204
    assert top_of(client) == top_of(client, "product") == []
    assert client.get("/v1/analytics/views/total").json() == {"total": 3}  # history stays


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/visitors/track", {"path": "/"}),
        ("/v1/analytics/views", {"contentType": "blog", "contentId": "01NOSUCHTHING"}),
    ],
)
def test_counting_refuses_an_invalid_token(
    client: TestClient, path: str, body: dict[str, Any]
) -> None:
    response = client.post(path, json=body, headers=browser(Authorization="Bearer garbage"))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert count(client)["total"] == 0


def test_summary_windows_count_the_right_days(
    client: TestClient, owner: SignedInUser, clock: Clock, published: Callable[..., dict[str, Any]]
) -> None:
    clock.now = START - timedelta(days=41)
    post = published("Old and read")
    for days_back in (0, 6, 7, 10, 40):
        clock.now = START - timedelta(days=days_back)
        assert track(client, browser(days_back), path=f"/day-{days_back}") is True
        assert view(client, "blog", post["id"], days_back).json() == {"counted": True}
    clock.now = START
    summary = client.get("/v1/analytics/summary", headers=owner.headers).json()
    # 7 days are today and the 6 before it; 30 days are today and the 29 before it
    assert summary["visitors"] == {"total": 5, "today": 1, "last7Days": 2, "last30Days": 4}
    assert summary["views"] == {"total": 5, "last7Days": 2, "last30Days": 4}
    assert summary["topPaths"] == [
        {"path": "/day-0", "visitors": 1},
        {"path": "/day-6", "visitors": 1},
    ]
    assert [i["views"] for i in summary["topContent"]] == [5]


def test_salts_and_markers_expire_at_the_end_of_their_utc_day(
    client: TestClient, clock: Clock, dynamodb: Any, published: Callable[..., dict[str, Any]]
) -> None:
    post = published("Expiring")
    assert track(client, browser(1)) is True
    assert view(client, "blog", post["id"], 1).json() == {"counted": True}
    clock.now = START.replace(hour=23, minute=59, second=59, microsecond=999_999)
    assert track(client, browser(2)) is True
    assert view(client, "blog", post["id"], 2).json() == {"counted": True}
    end_of_day = int(datetime(2026, 11, 22, tzinfo=UTC).timestamp())
    expiring = [*stored(dynamodb, "SALT#"), *stored(dynamodb, "VISITED#")]
    expiring += stored(dynamodb, "VIEWED#")
    assert len(expiring) == 5
    assert {int(item["expiresAt"]["N"]) for item in expiring} == {end_of_day}


@pytest.mark.parametrize("what", ["track", "view"])
def test_counting_that_keeps_conflicting_is_503_and_counts_nothing(
    client: TestClient,
    published: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    what: str,
) -> None:
    from portfolio_api.repositories.base import Repository, TransactionCancelled

    post = published("Hot")
    attempts: list[int] = []

    def always_conflicting(self: Any, actions: Any, **kwargs: Any) -> None:
        attempts.append(1)
        raise TransactionCancelled([None, *["TransactionConflict"] * (len(actions) - 1)])

    monkeypatch.setattr(Repository, "_transact", always_conflicting)
    if what == "track":
        response = client.post("/v1/visitors/track", json={"path": "/"}, headers=browser())
    else:
        response = view(client, "blog", post["id"])
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) >= 1
    assert len(attempts) > 1  # retried before giving up
    monkeypatch.undo()
    assert count(client)["total"] == 0
    assert client.get(f"/v1/analytics/views/blog/{post['id']}").json()["views"] == 0


@pytest.mark.parametrize(
    ("path", "without_foo"),
    [
        ("/v1/visitors/count", 200),
        ("/v1/visitors/trends?period=daily&from=2026-11-01&to=2026-11-02", 200),
        ("/v1/analytics/views/total", 200),
        ("/v1/analytics/views/blog/01NOSUCHTHING", 404),
        ("/v1/analytics/top?limit=3", 200),
        ("/v1/analytics/summary", 200),
    ],
)
def test_unknown_query_parameters_are_400(
    client: TestClient, owner: SignedInUser, path: str, without_foo: int
) -> None:
    with_foo = path + ("&" if "?" in path else "?") + "foo=1"
    response = client.get(with_foo, headers=owner.headers)
    assert response.status_code == 400, response.text
    assert response.json()["errors"] == [{"field": "foo", "message": "unknown field"}]
    assert client.get(path, headers=owner.headers).status_code == without_foo
