"""The Lambda handler as a fixture, for every test that sends API Gateway events."""

from typing import Any

import pytest
from fastapi import FastAPI

from portfolio_api.main import build_handler
from tests.handler.test_lambda_handler import FakeLambdaContext, Invoke, LambdaResponse


@pytest.fixture
def invoke(app: FastAPI) -> Invoke:
    """The Lambda handler over the test app, called with a fresh context per event."""
    handler = build_handler(app)

    def call(event: dict[str, Any]) -> LambdaResponse:
        return LambdaResponse(handler(event, FakeLambdaContext()))

    return call
