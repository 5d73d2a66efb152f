"""Text is kept as sent (API.md, clarifications): Markdown bodies and other long text byte for
byte, short fields (titles, names, categories, tags) trimmed."""

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

import portfolio_api
from portfolio_api.content.collections import BLOG_POSTS, CERTIFICATIONS, PROJECTS
from portfolio_api.content.spec import ContentSpec
from portfolio_api.db import keys
from portfolio_api.local.stack import LocalStack
from portfolio_api.schemas.common import ApiRequest
from tests.conftest import SignedInUser
from tests.factories import content_payload

MARKDOWN = (
    "    code\n"  # an indented code block, first thing in the body
    "    more code\r\n"
    "\r\n"
    "CRLF line endings and 4-byte characters: \U0001f40d \U0001d11e\r\n"
    "a Markdown line break is two trailing spaces  \r\n"
    "\n\n"
)
EDITED = "\n\t- a list indented by a tab \U0001f600\r\n\n"
SUMMARY = "  A summary\nover two lines.\n"

MARKDOWN_FIELDS = [(BLOG_POSTS, "content"), (PROJECTS, "description")]


def _stored(dynamodb: Any, stack: LocalStack, spec: ContentSpec, item_id: str) -> dict[str, Any]:
    key = {name: {"S": value} for name, value in keys.content_item(spec.name, item_id).items()}
    item: dict[str, Any] = dynamodb.get_item(TableName=stack.table_name, Key=key)["Item"]
    return item


@pytest.mark.parametrize(
    ("spec", "field"), MARKDOWN_FIELDS, ids=[spec.name for spec, _ in MARKDOWN_FIELDS]
)
def test_markdown_bodies_are_stored_and_served_byte_for_byte(
    client: TestClient,
    owner: SignedInUser,
    dynamodb: Any,
    stack: LocalStack,
    spec: ContentSpec,
    field: str,
) -> None:
    # Given a published item whose body and summary carry leading and trailing whitespace
    payload = content_payload(spec, status="published", summary=SUMMARY, **{field: MARKDOWN})
    created = client.post(spec.path, json=payload, headers=owner.headers)
    # Then the answer, the stored item and every read carry them exactly as sent
    assert created.status_code == 201, created.text
    item = created.json()
    assert (item[field], item["summary"]) == (MARKDOWN, SUMMARY)
    stored = _stored(dynamodb, stack, spec, item["id"])
    assert (stored[field]["S"], stored["summary"]["S"]) == (MARKDOWN, SUMMARY)
    for ref in (item["id"], item["slug"]):
        read = client.get(f"{spec.path}/{ref}").json()
        assert (read[field], read["summary"]) == (MARKDOWN, SUMMARY)
    # The list leaves the body out (a heavy field) but keeps the summary as sent
    [entry] = client.get(spec.path).json()["items"]
    assert field not in entry and entry["summary"] == SUMMARY
    # When the body is edited, the edit is kept as sent too
    url = f"{spec.path}/{item['id']}"
    patched = client.patch(url, json={field: EDITED, "summary": " s "}, headers=owner.headers)
    assert patched.status_code == 200, patched.text
    assert (patched.json()[field], patched.json()["summary"]) == (EDITED, " s ")
    assert client.get(url).json()[field] == EDITED
    assert _stored(dynamodb, stack, spec, item["id"])[field]["S"] == EDITED


def test_a_post_body_of_only_whitespace_is_still_400(
    client: TestClient, owner: SignedInUser
) -> None:
    blank = client.post(
        BLOG_POSTS.path, json=content_payload(BLOG_POSTS, content=" \r\n\t"), headers=owner.headers
    )
    assert blank.status_code == 400
    assert [e["field"] for e in blank.json()["errors"]] == ["content"]
    item = client.post(BLOG_POSTS.path, json=content_payload(BLOG_POSTS), headers=owner.headers)
    patched = client.patch(
        f"{BLOG_POSTS.path}/{item.json()['id']}", json={"content": "\n\n"}, headers=owner.headers
    )
    assert patched.status_code == 400


def test_other_long_text_is_kept_as_sent(
    client: TestClient, owner: SignedInUser, member: SignedInUser
) -> None:
    # A product's description
    product = client.post(
        "/v1/products",
        json={"name": "Mug", "category": "Merch", "price": 5, "stock": 1, "description": MARKDOWN},
        headers=owner.headers,
    ).json()
    assert product["description"] == MARKDOWN
    url = f"/v1/products/{product['id']}"
    assert client.get(url).json()["description"] == MARKDOWN
    patched = client.patch(url, json={"description": EDITED}, headers=owner.headers)
    assert patched.json()["description"] == EDITED
    # A task's description
    task = client.post(
        "/v1/tasks", json={"title": "Notes", "description": MARKDOWN}, headers=member.headers
    ).json()
    assert task["description"] == MARKDOWN
    url = f"/v1/tasks/{task['id']}"
    assert client.get(url, headers=member.headers).json()["description"] == MARKDOWN
    patched = client.patch(url, json={"description": EDITED}, headers=member.headers)
    assert patched.json()["description"] == EDITED
    # A member's bio
    me = client.patch("/v1/users/me", json={"bio": SUMMARY}, headers=member.headers)
    assert me.status_code == 200, me.text
    assert me.json()["bio"] == SUMMARY
    assert client.get("/v1/users/me", headers=member.headers).json()["bio"] == SUMMARY


def test_short_fields_are_still_trimmed(
    client: TestClient, owner: SignedInUser, member: SignedInUser
) -> None:
    post = client.post(
        BLOG_POSTS.path,
        json=content_payload(
            BLOG_POSTS, title=" Hello\t", category=" Engineering ", tags=["  AWS ", "aws"]
        ),
        headers=owner.headers,
    ).json()
    assert (post["title"], post["category"], post["tags"]) == ("Hello", "Engineering", ["aws"])
    assert post["slug"] == "hello"
    renamed = client.patch(
        f"{BLOG_POSTS.path}/{post['id']}", json={"title": "\n Renamed "}, headers=owner.headers
    )
    assert renamed.json()["title"] == "Renamed"
    project = client.post(
        PROJECTS.path,
        json=content_payload(PROJECTS, title=" Portfolio ", techStack=[" Python "]),
        headers=owner.headers,
    ).json()
    assert (project["title"], project["techStack"]) == ("Portfolio", ["Python"])
    certification = client.post(
        CERTIFICATIONS.path,
        json=content_payload(
            CERTIFICATIONS, name=" Dev ", issuer=" AWS ", type=" aws ", credentialId=" A-1 "
        ),
        headers=owner.headers,
    ).json()
    assert [certification[k] for k in ("name", "issuer", "type", "credentialId")] == [
        "Dev",
        "AWS",
        "aws",
        "A-1",
    ]
    product = client.post(
        "/v1/products",
        json={"name": " Mug ", "category": " Merch ", "price": 5, "stock": 1},
        headers=owner.headers,
    ).json()
    assert (product["name"], product["category"]) == ("Mug", "Merch")
    task = client.post(
        "/v1/tasks",
        json={"title": " Ship ", "category": " Work ", "tags": [" x "]},
        headers=member.headers,
    ).json()
    assert (task["title"], task["category"], task["tags"]) == ("Ship", "Work", ["x"])
    me = client.patch("/v1/users/me", json={"name": "  Ada  "}, headers=member.headers)
    assert me.json()["name"] == "Ada"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (BLOG_POSTS.path, content_payload(BLOG_POSTS, title="   "), "title"),
        (CERTIFICATIONS.path, content_payload(CERTIFICATIONS, name="\t\n"), "name"),
        ("/v1/products", {"name": " ", "category": "M", "price": 1, "stock": 1}, "name"),
    ],
    ids=["post title", "certification name", "product name"],
)
def test_a_whitespace_only_short_field_is_still_400(
    client: TestClient, owner: SignedInUser, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(path, json=body, headers=owner.headers)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_whitespace_only_title_is_400_on_edit_too(
    client: TestClient, owner: SignedInUser, member: SignedInUser
) -> None:
    post = client.post(BLOG_POSTS.path, json=content_payload(BLOG_POSTS), headers=owner.headers)
    url = f"{BLOG_POSTS.path}/{post.json()['id']}"
    assert client.patch(url, json={"title": "  "}, headers=owner.headers).status_code == 400
    assert client.get(url, headers=owner.headers).json()["title"] == "Hello World"
    task = client.post("/v1/tasks", json={"title": "x"}, headers=member.headers).json()
    edit = client.patch(f"/v1/tasks/{task['id']}", json={"title": " "}, headers=member.headers)
    assert edit.status_code == 400


# Every request field that keeps its text as sent; any other text field of a request is trimmed.
LONG_TEXT = {
    ("BlogPostCreate", "summary"),
    ("BlogPostCreate", "content"),
    ("BlogPostUpdate", "summary"),
    ("BlogPostUpdate", "content"),
    ("ProjectCreate", "summary"),
    ("ProjectCreate", "description"),
    ("ProjectUpdate", "summary"),
    ("ProjectUpdate", "description"),
    ("ProductCreate", "description"),
    ("ProductUpdate", "description"),
    ("TaskCreate", "description"),
    ("TaskUpdate", "description"),
    ("ProfileUpdate", "bio"),
}


def _request_models() -> list[type[ApiRequest]]:
    """Every request model of the package, the derived PATCH and filter models included."""
    found: list[type[ApiRequest]] = []
    pending: list[type[ApiRequest]] = [ApiRequest]
    while pending:
        model = pending.pop()
        if model.__module__.startswith("portfolio_api."):
            found.append(model)
        pending.extend(model.__subclasses__())
    return found


def _text_fields(model: type[BaseModel]) -> Iterator[tuple[str, bool]]:
    """(field, trims) for every text value a request model validates, list items included."""
    schema: Any = model.__pydantic_core_schema__
    definitions = {d["ref"]: d for d in schema.get("definitions", [])}
    trims_by_default = bool(model.model_config.get("str_strip_whitespace"))

    def walk(node: Any, field: str | None) -> Iterator[tuple[str, bool]]:
        if isinstance(node, list):
            for value in node:
                yield from walk(value, field)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "definition-ref":
            yield from walk(definitions[node["schema_ref"]], field)
        elif kind == "model-fields":
            for name, inner in node["fields"].items():
                yield from walk(inner["schema"], name)
        elif kind == "str" and field is not None:
            yield field, bool(node.get("strip_whitespace", trims_by_default))
        else:
            for key, value in node.items():
                if key not in ("metadata", "serialization", "definitions"):
                    yield from walk(value, field)

    yield from walk(schema, None)


def test_every_request_text_field_is_trimmed_unless_declared_long(app: FastAPI) -> None:
    """A field loses its trimming only by being declared `LongText` on purpose; `app` builds
    the per-collection PATCH and filter models."""
    for module in pkgutil.walk_packages(portfolio_api.__path__, "portfolio_api."):
        if module.name.startswith("portfolio_api.schemas."):
            importlib.import_module(module.name)
    fields = {
        (model.__name__, field, trims)
        for model in _request_models()
        for field, trims in _text_fields(model)
    }
    kept_as_sent = {(model, field) for model, field, trims in fields if not trims}
    assert kept_as_sent == LONG_TEXT
    # The walk sees short fields of bodies, PATCH bodies, list items and queries
    for short in [
        ("BlogPostCreate", "title"),
        ("BlogPostUpdate", "category"),
        ("TaskCreate", "tags"),
        ("ProjectCreate", "tech_stack"),
        ("ProductFilters", "category"),
        ("BlogPostFilters", "category"),
        ("RegisterRequest", "name"),
    ]:
        assert (*short, True) in fields
