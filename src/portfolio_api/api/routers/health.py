"""`GET /health`: liveness, without touching AWS or credentials."""

from typing import Literal

from fastapi import APIRouter, Request, Response

from portfolio_api.core.settings import APP_VERSION
from portfolio_api.schemas.common import ApiModel

router = APIRouter(tags=["health"])


class Health(ApiModel):
    status: Literal["ok"]
    version: str
    environment: str


@router.get("/health", response_model=Health, summary="Liveness")
async def get_health(request: Request, response: Response) -> Health:
    """Cheap and dependency-free, so load balancers and smoke tests can call it freely; never
    cached, so a cache in front cannot report a dead service alive."""
    response.headers["Cache-Control"] = "no-store"
    return Health(status="ok", version=APP_VERSION, environment=request.app.state.environment)
