"""Logs are JSON lines with the request id, and never carry secrets."""

import json

import pytest
from fastapi.testclient import TestClient

from portfolio_api.core.logging import configure_logging
from tests.conftest import PASSWORD, SignedInUser


def test_access_log_is_json_with_request_id_and_no_secrets(
    client: TestClient, member: SignedInUser, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    capsys.readouterr()
    login = client.post("/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    me = client.get("/v1/users/me", headers=member.headers)
    output = capsys.readouterr().out
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    request_ids = {line["requestId"] for line in lines if line["message"] == "request"}
    assert {login.headers["x-request-id"], me.headers["x-request-id"]} <= request_ids
    access = next(line for line in lines if line["requestId"] == me.headers["x-request-id"])
    assert (access["method"], access["path"], access["status"]) == ("GET", "/v1/users/me", 200)
    for secret in (PASSWORD, member.id_token, login.json()["refreshToken"]):
        assert secret not in output
