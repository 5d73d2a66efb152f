"""The OpenAPI document as generators and linters need it (issue 15): security as each route
checks it, one name per path position, one Problem schema, declared headers, readable ids.

The linters and the generated client run over the same document in
tests/infra/test_openapi_tools.py.
"""

import re
import threading
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from fastapi import FastAPI

from portfolio_api.main import create_app
from tests.conftest import make_settings
from tests.infra.test_openapi_tools import PUBLIC_AUTH_ROUTES
from tests.infra.test_route_auth import routes_of

NO_USER_NEEDED = {(method.upper(), path) for method, path in PUBLIC_AUTH_ROUTES} | {
    ("GET", "/health")
}
"""Routes that ignore `Authorization` entirely: `security: []` in the document."""


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_security_is_declared_as_each_route_checks_it(
    app: FastAPI, document: dict[str, Any]
) -> None:
    levels = {(method, path): level for method, path, level in routes_of(app)}
    for method, path, operation in _operations(document):
        security = operation.get("security")
        if (method, path) in NO_USER_NEEDED:
            assert security == [], (method, path)
        elif levels[(method, path)] == "public":
            assert security == [{}, {"bearer": []}], (method, path)  # a token is optional
        else:
            assert security == [{"bearer": []}], (method, path)
    assert set(document["components"]["securitySchemes"]) == {"bearer"}


def test_a_stale_token_never_blocks_signing_in(client: Any, member: Any) -> None:
    stale = {"Authorization": "Bearer not.a.token"}
    signed_in = client.post(
        "/v1/auth/login", json={"email": member.email, "password": member.password}, headers=stale
    )
    assert signed_in.status_code == 200


def test_no_two_templated_paths_are_the_same(document: dict[str, Any]) -> None:
    shapes = [re.sub(r"\{[^}]+\}", "{}", path) for path in document["paths"]]
    assert len(shapes) == len(set(shapes))


def test_every_error_answer_is_the_one_problem_schema(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                schema = answer["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code", "requestId"}
    errors = problem["properties"]["errors"]["anyOf"][0]["items"]
    assert errors == {"$ref": "#/components/schemas/ProblemError"}


def test_answers_declare_the_headers_they_carry(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for status, answer in operation["responses"].items():
            headers = set(answer.get("headers", {}))
            assert "X-Request-Id" in headers, (method, path, status)
            if status == "201" and path != "/v1/auth/register":  # a sign-up is no resource
                assert {"Location", "ETag"} <= headers, (method, path)
            if status in ("429", "503"):
                assert "Retry-After" in headers, (method, path, status)
    register = document["paths"]["/v1/auth/register"]["post"]["responses"]["201"]
    assert set(register["headers"]) == {"X-Request-Id"}  # what it sends: checked on every call
    health = document["paths"]["/health"]["get"]["responses"]["200"]
    assert set(health["headers"]) == {"X-Request-Id"}  # `version` there is the app's, no ETag
    item = document["paths"]["/v1/blog/posts/{id}"]
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    assert "Location" in item["get"]["responses"]["301"]["headers"]
    for name in ("X-Request-Id", "ETag", "Location", "Retry-After"):
        assert name in document["components"]["headers"]


def test_operation_ids_read_as_what_they_do(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+([A-Z][a-z]*)*", i) for i in ids), ids
    expected = {
        "listBlogPosts",
        "createBlogPost",
        "getBlogPost",
        "publishProject",
        "listBlogCategories",
        "createProduct",
        "adjustProductStock",
        "login",
        "answerChallenge",
        "getMyProfile",
        "listTasks",
        "trackVisit",
        "countView",
        "getAnalyticsSummary",
        "getHealth",
    }
    assert expected <= set(ids)


def test_fields_an_answer_always_carries_are_required(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert {"coverImageUrl", "tags", "publishedAt", "readingTimeMinutes"} <= set(
        schemas["BlogPost"]["required"]
    )
    assert {"description", "imageUrl", "price"} <= set(schemas["Product"]["required"])
    assert set(schemas["BlogPostPage"]["required"]) == {"items", "nextCursor"}


def test_content_types_are_one_named_enum(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["ContentType"]["enum"] == ["blog", "project", "certification", "product"]
    for model in ("ViewRequest", "ContentViews", "TopItem"):
        assert schemas[model]["properties"]["contentType"] == {
            "$ref": "#/components/schemas/ContentType"
        }, model


def test_no_schema_shares_its_name_with_one_of_its_properties(document: dict[str, Any]) -> None:
    # A generated class `Challenge` with a property `challenge` breaks generated code.
    for name, schema in document["components"]["schemas"].items():
        properties = {p.lower() for p in schema.get("properties", {})}
        assert name.lower() not in properties, name


@pytest.mark.parametrize("price", ["19.99", "0.10", "5", "9999999999.99", "0.07"])
def test_a_validator_accepts_every_two_decimal_price(document: dict[str, Any], price: str) -> None:
    schema = document["components"]["schemas"]["ProductCreate"]["properties"]["price"]
    assert "multipleOf" not in schema
    jsonschema.validate(float(Decimal(price)), schema)


def test_the_document_names_its_server_tags_license_and_contact(document: dict[str, Any]) -> None:
    assert document["servers"] and all(s["url"] for s in document["servers"])
    assert all(tag.get("description") for tag in document["tags"])
    used = {tag for _, _, operation in _operations(document) for tag in operation["tags"]}
    assert used <= {tag["name"] for tag in document["tags"]}
    assert document["info"]["license"]["name"]
    assert document["info"]["contact"]["name"]


def test_concurrent_first_requests_build_the_document_once(stack: Any) -> None:
    app = create_app(make_settings(stack))
    built: list[int] = []
    errors: list[BaseException] = []

    def build() -> None:
        try:
            built.append(id(app.openapi()))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=build) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(built)) == 1
