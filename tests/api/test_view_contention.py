"""The owner's edits never lose to view counting, with the views coming from other processes.

Three app processes over one stand-in, as three Lambda containers would be: one serves the
owner's edits (8 PATCHes with `If-Match`, an unpublish and a publish) while the other two count
40 views of the same post. Every edit succeeds, and every count stays exact afterwards.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from fastapi.testclient import TestClient

from portfolio_api.content.collections import BLOG_POSTS
from tests.conftest import BROWSER, SignedInUser
from tests.factories import content_payload
from tests.harness import AppProcesses

VIEWS = 40


def test_owner_edits_succeed_while_views_are_counted_elsewhere(
    client: TestClient, owner: SignedInUser, app_processes: AppProcesses
) -> None:
    post = client.post(
        BLOG_POSTS.path,
        json=content_payload(BLOG_POSTS, status="published", category="Busy"),
        headers=owner.headers,
    ).json()
    url = f"{BLOG_POSTS.path}/{post['id']}"
    client.post("/v1/visitors/track", json={"path": "/warm"}, headers={"User-Agent": BROWSER})
    started = threading.Event()
    edits: list[int] = []

    def edit_as_owner() -> None:
        with httpx.Client(base_url=app_processes.urls[0], timeout=30) as owner_client:
            version = post["version"]
            started.wait(5)
            for n in range(8):
                headers = {**owner.headers, "If-Match": f'"{version}"'}
                response = owner_client.patch(url, json={"summary": f"Edit {n}"}, headers=headers)
                edits.append(response.status_code)
                version = response.json().get("version", version)
                if n == 3:
                    for step in ("unpublish", "publish"):
                        moved = owner_client.post(f"{url}/{step}", headers=owner.headers)
                        edits.append(moved.status_code)
                        version = moved.json().get("version", version)

    viewers = [httpx.Client(base_url=base, timeout=30) for base in app_processes.urls[1:]]

    def view(n: int) -> dict[str, Any]:
        started.set()
        agent = {"User-Agent": f"{BROWSER} viewer-{n}"}
        body = {"contentType": "blog", "contentId": post["id"]}
        response = viewers[n % len(viewers)].post("/v1/analytics/views", json=body, headers=agent)
        return {"status": response.status_code, "body": response.json()}

    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            owner_done = pool.submit(edit_as_owner)
            answers = list(pool.map(view, range(VIEWS)))
            owner_done.result()
    finally:
        for viewer in viewers:
            viewer.close()

    assert edits == [200] * 10, edits  # 8 PATCHes, an unpublish and a publish: none refused
    counted = sum(a["body"] == {"counted": True} for a in answers)
    assert all(a["status"] in (200, 404) for a in answers), answers  # 404 while unpublished
    assert counted > VIEWS // 2
    item = client.get(url).json()
    assert item["summary"] == "Edit 7" and item["version"] == post["version"] + 10
    assert item["views"] == counted
    listed = {i["id"]: i["views"] for i in client.get(BLOG_POSTS.path).json()["items"]}
    assert listed == {post["id"]: counted}
    owner_list = client.get(BLOG_POSTS.path, params={"status": "all"}, headers=owner.headers)
    assert [i["views"] for i in owner_list.json()["items"]] == [counted]
    filtered = client.get(BLOG_POSTS.path, params={"category": "busy"}).json()["items"]
    assert [i["views"] for i in filtered] == [counted]
    assert client.get("/v1/analytics/views/total").json()["total"] == counted
    top = client.get("/v1/analytics/top").json()["items"]
    assert [(t["contentId"], t["views"]) for t in top] == [(post["id"], counted)]
    assert client.get("/v1/blog/categories").json()["items"] == [{"name": "Busy", "count": 1}]
