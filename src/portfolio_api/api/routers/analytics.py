"""Analytics: `/v1/visitors/*` and `/v1/analytics/*`."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from portfolio_api.analytics.client_ip import client_ip
from portfolio_api.api.deps import (
    OWNER_ONLY,
    TOKEN_CHECKED_IF_PRESENT,
    AnalyticsServiceDep,
    ContainerDep,
    OptionalUser,
)
from portfolio_api.api.responses import problems
from portfolio_api.core.exact_json import DecimalJSONRoute, ExactJSONResponse
from portfolio_api.schemas.analytics import (
    ContentType,
    ContentViews,
    CountOutcome,
    NoQuery,
    Summary,
    TopContent,
    TopQuery,
    TrackRequest,
    Trends,
    TrendsQuery,
    ViewRequest,
    ViewsTotal,
    VisitorCount,
)
from portfolio_api.services.analytics import Visitor

router = APIRouter(tags=["analytics"], route_class=DecimalJSONRoute)


async def visitor(request: Request, principal: OptionalUser, container: ContainerDep) -> Visitor:
    """Who makes this request, for counting only: nothing here is stored or logged."""
    headers = request.headers
    return Visitor(
        ip=client_ip(
            request.scope,
            headers.get("x-forwarded-for"),
            container.settings.trusted_proxy_hops,
        ),
        user_agent=headers.get("user-agent"),
        do_not_track=headers.get("dnt") == "1" or headers.get("sec-gpc") == "1",
        principal=principal,
    )


VisitorDep = Annotated[Visitor, Depends(visitor)]


async def no_query(_query: Annotated[NoQuery, Query()]) -> None:
    """Routes without parameters refuse unknown ones, as every query model does."""


PUBLIC_READ = [*TOKEN_CHECKED_IF_PRESENT, Depends(no_query)]
OWNER_READ = [*OWNER_ONLY, Depends(no_query)]


@router.post("/v1/visitors/track", response_model=CountOutcome, responses=problems(400, 401))
async def track_visit(
    body: TrackRequest, who: VisitorDep, analytics: AnalyticsServiceDep
) -> ExactJSONResponse:
    """Count this visitor once per UTC day (bots, DNT/GPC and the owner are not counted)."""
    return ExactJSONResponse(CountOutcome(counted=analytics.track(who, body.path, body.referrer)))


@router.get(
    "/v1/visitors/count",
    response_model=VisitorCount,
    responses=problems(400, 401),
    dependencies=PUBLIC_READ,
)
async def get_visitor_count(analytics: AnalyticsServiceDep) -> ExactJSONResponse:
    """All-time and today's visitors."""
    return ExactJSONResponse(analytics.visitor_count())


@router.get(
    "/v1/visitors/trends",
    response_model=Trends,
    responses=problems(400, 401),
    dependencies=TOKEN_CHECKED_IF_PRESENT,
)
async def get_visitor_trends(
    query: Annotated[TrendsQuery, Query()], analytics: AnalyticsServiceDep
) -> ExactJSONResponse:
    """Visitors per day (at most 366) or month (at most 60), zeros included."""
    return ExactJSONResponse(analytics.trends(query.period, query.from_, query.to))


@router.post("/v1/analytics/views", response_model=CountOutcome, responses=problems(400, 401, 404))
async def count_view(
    body: ViewRequest, who: VisitorDep, analytics: AnalyticsServiceDep
) -> ExactJSONResponse:
    """Count a view of published content or an active product, once per visitor per day."""
    return ExactJSONResponse(
        CountOutcome(counted=analytics.count_view(who, body.content_type, body.content_id))
    )


@router.get(
    "/v1/analytics/views/total",
    response_model=ViewsTotal,
    responses=problems(400, 401),
    dependencies=PUBLIC_READ,
)
async def get_views_total(analytics: AnalyticsServiceDep) -> ExactJSONResponse:
    """All counted views."""
    return ExactJSONResponse(analytics.views_total())


@router.get(
    "/v1/analytics/views/{contentType}/{contentId}",
    response_model=ContentViews,
    responses=problems(400, 401, 404),
    dependencies=PUBLIC_READ,
)
async def get_content_views(
    content_type: Annotated[ContentType, Path(alias="contentType")],
    content_id: Annotated[str, Path(alias="contentId", max_length=64)],
    analytics: AnalyticsServiceDep,
) -> ExactJSONResponse:
    """One item's counted views."""
    return ExactJSONResponse(analytics.views_of(content_type, content_id))


@router.get(
    "/v1/analytics/top",
    response_model=TopContent,
    responses=problems(400, 401),
    dependencies=TOKEN_CHECKED_IF_PRESENT,
)
async def list_top_content(
    query: Annotated[TopQuery, Query()], analytics: AnalyticsServiceDep
) -> ExactJSONResponse:
    """The most viewed content, most viewed first."""
    return ExactJSONResponse(analytics.top(query.content_type, query.limit))


@router.get(
    "/v1/analytics/summary",
    response_model=Summary,
    responses=problems(400, 401, 403),
    dependencies=OWNER_READ,
)
async def get_analytics_summary(analytics: AnalyticsServiceDep) -> ExactJSONResponse:
    """The owner's overview."""
    return ExactJSONResponse(analytics.summary())
