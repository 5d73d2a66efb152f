"""The suite's typed boundary check itself: an answer that breaks its route's documented schema
is caught, one that keeps it is not."""

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from tests.schema_check import SchemaCheckedApp


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: list[str]


def test_an_answer_that_breaks_its_schema_is_caught() -> None:
    app = FastAPI()

    @app.get("/thing/{kind}", response_model=Thing)
    async def thing(kind: str) -> Any:
        # Returned as a response, so FastAPI does not validate it: only documents it
        return JSONResponse({"tags": None} if kind == "stale" else {"tags": ["a"]})

    checked = SchemaCheckedApp(app)
    client = TestClient(checked)
    assert client.get("/thing/fine").status_code == 200
    assert checked.mismatches == []
    assert client.get("/thing/stale").status_code == 200
    assert len(checked.mismatches) == 1 and "GET /thing/stale 200" in checked.mismatches[0]
    assert checked.checked == 2


def test_a_declared_header_that_is_not_sent_is_caught() -> None:
    app = FastAPI()
    etag = {"ETag": {"description": "the version", "schema": {"type": "string"}}}

    @app.get("/thing/{kind}", response_model=Thing, responses={200: {"headers": etag}})
    async def thing(kind: str) -> Any:
        headers = {} if kind == "bare" else {"ETag": '"1"'}
        return JSONResponse({"tags": ["a"]}, headers=headers)

    checked = SchemaCheckedApp(app)
    client = TestClient(checked)
    assert client.get("/thing/tagged").status_code == 200
    assert checked.mismatches == []
    assert client.get("/thing/bare").status_code == 200
    assert checked.mismatches == ["GET /thing/bare 200: declared, not sent: ['etag']"]
