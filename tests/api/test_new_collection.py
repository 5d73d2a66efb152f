"""A new collection is one schema and one declaration: talks (tests/api/talks_app.py), declared
beside the three, get the shared content behaviour and their views counted, with nothing else
changed. (API Gateway's routes are the template's; tests/infra demands them for every route.)"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from portfolio_api.core.settings import Settings
from tests.api.talks_app import TALKS
from tests.conftest import BROWSER, SignedInUser
from tests.factories import content_payload, titled
from tests.harness import START_TIMEOUT_SECONDS, STOP_GRACE_SECONDS, settings_environment

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def talks_served(settings: Settings, aws_endpoint: str) -> Iterator[httpx.Client]:
    """The app with talks declared, in its own process over the test's stand-in."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=16)
    host, port = listener.getsockname()[:2]
    environment = {**os.environ, **settings_environment(settings), "AWS_ENDPOINT_URL": aws_endpoint}
    fd = listener.fileno()
    command = [sys.executable, "-m", "tests.api.talks_app", str(fd), str(os.getpid())]
    with listener:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, pass_fds=[fd])
    try:
        with httpx.Client(base_url=f"http://{host}:{port}", timeout=30) as http:
            _wait_until_healthy(http, process)
            yield http
    finally:
        process.terminate()
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(http: httpx.Client, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the talks app exited with {process.returncode}"
        with suppress(httpx.TransportError):
            if http.get("/health", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise TimeoutError("the talks app did not answer /health")


def test_a_declared_collection_is_served_counted_and_ranked(
    settings: Settings, moto_url: str, owner: SignedInUser
) -> None:
    with talks_served(settings, moto_url) as http:
        # created as a draft, by the owner only, with its slug from its title
        body = titled(TALKS, "Serverless in Práctice")
        assert http.post(TALKS.path, json=body).status_code == 401
        created = http.post(TALKS.path, json=body, headers=owner.headers)
        assert created.status_code == 201, created.text
        talk = created.json()
        assert (talk["slug"], talk["status"], talk["event"]) == (
            "serverless-in-practice",
            "draft",
            content_payload(TALKS)["event"],
        )
        assert http.get(TALKS.path).json()["items"] == []

        # published: read by slug, listed, and its views counted once per visitor
        published = http.post(f"{TALKS.path}/{talk['id']}/publish", headers=owner.headers)
        assert published.status_code == 200, published.text
        assert http.get(f"{TALKS.path}/serverless-in-practice").json()["id"] == talk["id"]
        assert [i["id"] for i in http.get(TALKS.path).json()["items"]] == [talk["id"]]
        view = {"contentType": TALKS.name, "contentId": talk["id"]}
        visitor = {"User-Agent": BROWSER}
        assert http.post("/v1/analytics/views", json=view, headers=visitor).json() == {
            "counted": True
        }
        assert http.post("/v1/analytics/views", json=view, headers=visitor).json() == {
            "counted": False
        }
        assert http.get(f"{TALKS.path}/{talk['id']}").json()["views"] == 1
        assert http.get(f"/v1/analytics/views/talk/{talk['id']}").json()["views"] == 1

        # ranked among all content and on its own, under its title
        title = body["title"]
        ranked = {"contentType": "talk", "contentId": talk["id"], "title": title, "views": 1}
        assert http.get("/v1/analytics/top").json()["items"] == [ranked]
        assert http.get("/v1/analytics/top", params={"contentType": "talk"}).json() == {
            "items": [ranked]
        }

        # and documented: its paths, and `talk` among the content types
        document = http.get("/openapi.json").json()
        paths = {TALKS.path, f"{TALKS.path}/{{id}}", f"{TALKS.path}/{{id}}/publish"}
        assert paths <= set(document["paths"])
        assert document["components"]["schemas"]["ContentType"]["enum"] == [
            "blog",
            "project",
            "certification",
            "talk",
            "product",
        ]
