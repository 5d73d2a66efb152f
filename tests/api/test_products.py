"""`/v1/products` through HTTP: exact prices, visibility, owner writes, atomic stock."""

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import SignedInUser
from tests.harness import AppProcesses, race


def product(**fields: Any) -> dict[str, Any]:
    return {"name": "Mug", "category": "Merch", "price": 19.99, "stock": 10, **fields}


def make(client: TestClient, owner: SignedInUser, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/products", json=product(**fields), headers=owner.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.parametrize(
    ("price", "shown"),
    [
        ("19.99", "19.99"),
        ("0.10", "0.10"),
        ("0.1", "0.10"),
        ("0", "0.00"),
        ("7", "7.00"),
        ("1e2", "100.00"),
        ("1234567890.5", "1234567890.50"),
        ("9999999999.99", "9999999999.99"),
        ("-0.00", "0.00"),
        ("-0", "0.00"),
    ],
)
def test_prices_come_back_exactly(
    client: TestClient, owner: SignedInUser, price: str, shown: str
) -> None:
    raw = '{"name": "Mug", "category": "Merch", "stock": 1, "price": ' + price + "}"
    created = client.post(
        "/v1/products", content=raw, headers={**owner.headers, "Content-Type": "application/json"}
    )
    assert created.status_code == 201, created.text
    assert f'"price":{shown}' in created.text
    fetched = client.get(f"/v1/products/{created.json()['id']}")
    assert f'"price":{shown}' in fetched.text
    listed = client.get("/v1/products")
    assert f'"price":{shown}' in listed.text


@pytest.mark.parametrize(
    "price", ["19.999", "-1", "-0.01", '"19.99"', "true", "1e400", "12345678901.00"]
)
def test_bad_prices_are_400(client: TestClient, owner: SignedInUser, price: str) -> None:
    raw = '{"name": "Mug", "category": "Merch", "stock": 1, "price": ' + price + "}"
    response = client.post(
        "/v1/products", content=raw, headers={**owner.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400, (price, response.text)
    assert response.json()["errors"][0]["field"] == "price"
    assert client.get("/v1/products").json()["items"] == []


def test_client_ids_and_generated_ids(client: TestClient, owner: SignedInUser) -> None:
    mine = make(client, owner, id="PROD001")
    assert mine["id"] == "PROD001" and mine["currency"] == "USD" and mine["active"] is True
    assert mine["views"] == 0 and mine["version"] == 1
    taken = client.post("/v1/products", json=product(id="PROD001"), headers=owner.headers)
    assert taken.status_code == 409 and taken.json()["code"] == "conflict"
    generated = make(client, owner)
    assert generated["id"] and generated["id"] != "PROD001"
    bad = client.post("/v1/products", json=product(id="no spaces!"), headers=owner.headers)
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"currency": "usd"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"stock": -1}, "stock"),
        ({"stock": 1.5}, "stock"),
        ({"name": ""}, "name"),
        ({"imageUrl": "http://x.example/a.png"}, "imageUrl"),
        ({"views": 3}, "views"),
        ({"active": "yes"}, "active"),
        ({"active": 1}, "active"),
    ],
)
def test_validation(
    client: TestClient, owner: SignedInUser, fields: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/products", json=product(**fields), headers=owner.headers)
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["errors"]}


def test_members_cannot_write_and_anonymous_cannot_either(
    client: TestClient, owner: SignedInUser, member: SignedInUser
) -> None:
    item = make(client, owner, id="P1")
    writes = [
        ("post", "/v1/products", product()),
        ("patch", "/v1/products/P1", {"name": "x"}),
        ("delete", "/v1/products/P1", None),
        ("post", "/v1/products/P1/stock", {"delta": 1}),
    ]
    for method, path, body in writes:
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        assert client.request(method, path, headers=member.headers, **kwargs).status_code == 403
        assert client.request(method, path, **kwargs).status_code == 401
    assert client.get("/v1/products/P1").json() == item


def test_public_sees_active_products_only(
    client: TestClient, owner: SignedInUser, member: SignedInUser
) -> None:
    first = make(client, owner, id="A1", category="Books")
    hidden = make(client, owner, id="H1", category="Books", active=False)
    third = make(client, owner, id="A2", category="Merch")
    listed = [p["id"] for p in client.get("/v1/products").json()["items"]]
    assert listed == [third["id"], first["id"]]
    assert [
        p["id"] for p in client.get("/v1/products", params={"category": "books"}).json()["items"]
    ] == ["A1"]
    assert client.get("/v1/products/H1").status_code == 404
    assert client.get("/v1/products/H1", headers=owner.headers).json()["active"] is False
    everything = client.get(
        "/v1/products", params={"includeInactive": "true"}, headers=owner.headers
    )
    assert [p["id"] for p in everything.json()["items"]] == ["A2", "H1", "A1"]
    books = client.get(
        "/v1/products",
        params={"includeInactive": "true", "category": "Books"},
        headers=owner.headers,
    )
    assert [p["id"] for p in books.json()["items"]] == ["H1", "A1"]
    assert client.get("/v1/products", params={"includeInactive": "true"}).status_code == 401
    assert (
        client.get(
            "/v1/products", params={"includeInactive": "true"}, headers=member.headers
        ).status_code
        == 403
    )
    assert hidden["active"] is False
    assert client.get("/v1/products/H1", headers=member.headers).status_code == 404


def test_patch_moves_between_lists(client: TestClient, owner: SignedInUser) -> None:
    make(client, owner, id="P1", category="Books")
    client.patch("/v1/products/P1", json={"active": False}, headers=owner.headers)
    assert client.get("/v1/products").json()["items"] == []
    updated = client.patch(
        "/v1/products/P1",
        json={"active": True, "category": "Toys", "price": 5.5},
        headers=owner.headers,
    )
    assert updated.json()["version"] == 3 and updated.headers["etag"] == '"3"'
    assert '"price":5.50' in updated.text
    assert client.get("/v1/products", params={"category": "books"}).json()["items"] == []
    assert [
        p["id"] for p in client.get("/v1/products", params={"category": "toys"}).json()["items"]
    ] == ["P1"]


def test_stale_if_match_is_412(client: TestClient, owner: SignedInUser) -> None:
    make(client, owner, id="P1")
    client.post("/v1/products/P1/stock", json={"delta": 1}, headers=owner.headers)
    stale = {**owner.headers, "If-Match": '"1"'}
    assert client.patch("/v1/products/P1", json={"name": "New"}, headers=stale).status_code == 412
    assert client.delete("/v1/products/P1", headers=stale).status_code == 412
    assert client.get("/v1/products/P1").json()["name"] == "Mug"


def test_stock_adjustments(client: TestClient, owner: SignedInUser) -> None:
    make(client, owner, id="P1", stock=2)
    up = client.post("/v1/products/P1/stock", json={"delta": 3}, headers=owner.headers)
    assert up.status_code == 200 and up.json()["stock"] == 5 and up.json()["version"] == 2
    too_many = client.post("/v1/products/P1/stock", json={"delta": -6}, headers=owner.headers)
    assert too_many.status_code == 409 and too_many.json()["code"] == "insufficient_stock"
    assert client.get("/v1/products/P1").json()["stock"] == 5
    down = client.post("/v1/products/P1/stock", json={"delta": -5}, headers=owner.headers)
    assert down.json()["stock"] == 0
    assert (
        client.post("/v1/products/P1/stock", json={"delta": 0}, headers=owner.headers).json()[
            "version"
        ]
        == 3
    )
    assert (
        client.post("/v1/products/NOPE/stock", json={"delta": 1}, headers=owner.headers).status_code
        == 404
    )
    assert (
        client.post("/v1/products/P1/stock", json={"delta": 1.5}, headers=owner.headers).status_code
        == 400
    )


def test_concurrent_stock_adjustments_never_oversell(
    client: TestClient, owner: SignedInUser, app_processes: AppProcesses
) -> None:
    """Twenty buyers for ten mugs, at once, spread over three app processes."""
    make(client, owner, id="HOT", stock=10)

    def buy(buyer: httpx.Client, _: int) -> tuple[int, str | None]:
        response = buyer.post("/v1/products/HOT/stock", json={"delta": -1}, headers=owner.headers)
        code = response.json().get("code") if response.status_code != 200 else None
        return response.status_code, code

    results = race(app_processes, 20, buy)
    assert sorted(results, key=str) == [(200, None)] * 10 + [(409, "insufficient_stock")] * 10
    final = client.get("/v1/products/HOT").json()
    assert final["stock"] == 0 and final["version"] == 11


def test_delete(client: TestClient, owner: SignedInUser) -> None:
    make(client, owner, id="P1")
    assert client.delete("/v1/products/P1", headers=owner.headers).status_code == 204
    assert client.get("/v1/products/P1", headers=owner.headers).status_code == 404
    assert client.get("/v1/products").json()["items"] == []


def test_stock_never_exceeds_its_cap(client: TestClient, owner: SignedInUser) -> None:
    make(client, owner, id="BIG", stock=1_000_000_000)
    response = client.post("/v1/products/BIG/stock", json={"delta": 1}, headers=owner.headers)
    assert response.status_code == 409
    assert client.get("/v1/products/BIG").json()["stock"] == 1_000_000_000


@pytest.mark.parametrize("product_id", ["x" * 65, "ünïcode", "a b"])
def test_ids_that_cannot_exist_are_404(
    client: TestClient, owner: SignedInUser, product_id: str
) -> None:
    assert client.get(f"/v1/products/{product_id}").status_code == 404
    patch = client.patch(f"/v1/products/{product_id}", json={"name": "x"}, headers=owner.headers)
    assert patch.status_code == 404


def test_pages_walk_every_product_once(client: TestClient, owner: SignedInUser) -> None:
    made = [make(client, owner, id=f"P{n}")["id"] for n in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/products", params=params).json()
        assert len(page["items"]) == 2 or page["nextCursor"] is None
        seen += [p["id"] for p in page["items"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == made[::-1]
    first = client.get("/v1/products", params={"limit": 2}).json()["nextCursor"]
    forged = first[:-2] + ("AA" if not first.endswith("AA") else "BB")
    for bad in (forged, "garbage", first):
        params = {"cursor": bad} | ({"category": "merch"} if bad == first else {})
        response = client.get("/v1/products", params=params)
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["field"] == "cursor"


def test_an_idempotent_create_answers_the_first_product_again(
    client: TestClient, owner: SignedInUser
) -> None:
    headers = {**owner.headers, "Idempotency-Key": "mug-1"}
    first = client.post("/v1/products", json=product(), headers=headers)
    again = client.post("/v1/products", json=product(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert len(client.get("/v1/products").json()["items"]) == 1
    other = client.post("/v1/products", json=product(name="Cup"), headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"id": "P2"}, "id"),
        ({"name": None}, "name"),
        ({"price": None}, "price"),
        ({"stock": None}, "stock"),
        ({"active": "false"}, "active"),
    ],
)
def test_patch_refuses_ids_and_nulls_for_required_fields(
    client: TestClient, owner: SignedInUser, patch: dict[str, Any], field: str
) -> None:
    made = make(client, owner, id="P1")
    response = client.patch("/v1/products/P1", json=patch, headers=owner.headers)
    assert response.status_code == 400, response.text
    assert field in {e["field"] for e in response.json()["errors"]}
    assert client.get("/v1/products/P1").json() == made


def test_openapi_documents_prices_as_numbers(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("Product", "ProductCreate"):
        assert schemas[name]["properties"]["price"]["type"] == "number", name
