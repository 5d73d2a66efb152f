"""One router builder for every publishable collection.

No `from __future__ import annotations` here: FastAPI resolves annotations at definition, and
the types held in this closure would not resolve from strings.
"""

import hashlib
from typing import Annotated, Any, cast

from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from pydantic import Field, create_model

from portfolio_api.api.deps import (
    OWNER_ONLY,
    TOKEN_CHECKED_IF_PRESENT,
    ContentServiceDep,
    IfMatchVersion,
    OptionalUser,
)
from portfolio_api.api.idempotency import IdempotentCreateDep
from portfolio_api.api.responses import NOT_MODIFIED, problems, resource_response
from portfolio_api.content.spec import ContentSpec
from portfolio_api.core.etag import etag_for, matches_if_none_match
from portfolio_api.core.exact_json import DecimalJSONRoute
from portfolio_api.core.exact_json import ExactJSONResponse as JSONResponse
from portfolio_api.schemas.common import ApiModel
from portfolio_api.schemas.content import ContentFilters, FacetCounts
from portfolio_api.services.content import MovedPermanently

FacetText = Annotated[str, Field(min_length=1, max_length=100)]


def _filters_model(spec: ContentSpec) -> type[ContentFilters]:
    fields: dict[str, Any] = {}
    for facet in spec.facets:
        kind = bool if facet.query_type is bool else FacetText
        fields[facet.param] = (kind | None, Field(default=None, description=facet.description))
    return create_model(f"{spec.model_prefix}Filters", __base__=ContentFilters, **fields)


def _chosen_filters(spec: ContentSpec, filters: ApiModel) -> dict[str, object]:
    """The filters the request sets, by query parameter; they combine (AND)."""
    return {
        facet.param: getattr(filters, facet.param)
        for facet in spec.facets
        if getattr(filters, facet.param) is not None
    }


def _revalidated(payload: ApiModel, if_none_match: str | None) -> Response:
    """A public list with a weak ETag of its body; a matching `If-None-Match` is a 304."""
    response = JSONResponse(payload)
    etag = 'W/"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
    if matches_if_none_match(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return response


ItemId = Annotated[str, Path(alias="id", description="The item's id.")]
"""`C/{id}` as the contract names it."""
IdOrSlug = Annotated[
    str,
    Path(
        alias="id",
        min_length=1,
        max_length=128,
        description="The item's id, or one of its slugs (a former slug answers 301).",
    ),
]
"""The contract's `C/{idOrSlug}`, named `{id}` in the document as at every other route of the
level: one name per path position, as API Gateway and OpenAPI tools require."""


def build_content_router(spec: ContentSpec) -> APIRouter:
    """The routes of one collection: list, get, create, patch, delete, publish, unpublish."""
    router = APIRouter(tags=[spec.tag], route_class=DecimalJSONRoute)
    create_body = spec.create_model
    update_body = spec.update_model
    read = spec.read_model
    filters_model = _filters_model(spec)
    page_model = spec.page_model
    item_path = spec.path + "/{id}"

    @router.get(
        spec.path,
        response_model=page_model,
        responses={**NOT_MODIFIED, **problems(400, 401, 403)},
        operation_id=spec.operation_id("list", many=True),
    )
    async def list_items(
        filters: Annotated[filters_model, Query()],  # type: ignore[valid-type]
        principal: OptionalUser,
        service: ContentServiceDep,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Published items, newest first; the owner may ask for drafts or all; filters combine."""
        criteria = cast(ContentFilters, filters)
        page = service.list_items(
            spec,
            status=criteria.status,
            filters=_chosen_filters(spec, criteria),
            limit=criteria.limit,
            cursor=criteria.cursor,
            principal=principal,
        )
        return _revalidated(page, if_none_match)

    @router.get(
        item_path,
        response_model=read,
        operation_id=spec.operation_id("get"),
        responses={
            301: {"description": "A former slug: `Location` names the current one"},
            **NOT_MODIFIED,
            **problems(400, 401, 404),
        },
    )
    async def get_item(
        id_or_slug: IdOrSlug,
        request: Request,
        principal: OptionalUser,
        service: ContentServiceDep,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """By id or slug; drafts are 404 to everyone but the owner."""
        try:
            view = service.get(spec, id_or_slug, principal)
        except MovedPermanently as moved:
            location = request.scope.get("root_path", "") + moved.location
            return Response(status_code=301, headers={"Location": location})
        etag = etag_for(view.version)
        if matches_if_none_match(if_none_match, etag):
            return Response(status_code=304, headers={"ETag": etag})
        return resource_response(view)

    @router.post(
        spec.path,
        status_code=status.HTTP_201_CREATED,
        response_model=read,
        responses=problems(400, 401, 403, 409, 422),
        dependencies=OWNER_ONLY,
        operation_id=spec.operation_id("create"),
    )
    async def create_item(
        body: create_body,  # type: ignore[valid-type]
        service: ContentServiceDep,
        idempotent: IdempotentCreateDep,
    ) -> JSONResponse:
        """A draft, or published at once with `"status": "published"`."""
        return await idempotent.created(spec.path, lambda: service.create(spec, body))

    @router.patch(
        item_path,
        response_model=read,
        responses=problems(400, 401, 403, 404, 409, 412),
        dependencies=OWNER_ONLY,
        operation_id=spec.operation_id("update"),
    )
    async def update_item(
        item_id: ItemId,
        body: update_body,  # type: ignore[valid-type]
        service: ContentServiceDep,
        expected_version: IfMatchVersion,
    ) -> JSONResponse:
        """Any subset of the writable fields; `If-Match` guards against lost updates."""
        return resource_response(service.update(spec, item_id, body, expected_version))

    @router.delete(
        item_path,
        status_code=status.HTTP_204_NO_CONTENT,
        responses=problems(401, 403, 404, 409, 412),
        dependencies=OWNER_ONLY,
        operation_id=spec.operation_id("delete"),
    )
    async def delete_item(
        item_id: ItemId, service: ContentServiceDep, expected_version: IfMatchVersion
    ) -> Response:
        """Gone, with its slug and its place in every list and count."""
        service.delete(spec, item_id, expected_version)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.post(
        item_path + "/publish",
        response_model=read,
        responses=problems(401, 403, 404, 409),
        dependencies=OWNER_ONLY,
        operation_id=spec.operation_id("publish"),
    )
    async def publish_item(item_id: ItemId, service: ContentServiceDep) -> JSONResponse:
        """Published; publishing a published item changes nothing."""
        return resource_response(service.publish(spec, item_id))

    @router.post(
        item_path + "/unpublish",
        response_model=read,
        responses=problems(401, 403, 404, 409),
        dependencies=OWNER_ONLY,
        operation_id=spec.operation_id("unpublish"),
    )
    async def unpublish_item(item_id: ItemId, service: ContentServiceDep) -> JSONResponse:
        """Back to draft."""
        return resource_response(service.unpublish(spec, item_id))

    if spec.counts_path and spec.counted_facet:

        @router.get(
            spec.counts_path,
            response_model=FacetCounts,
            tags=[spec.tag],
            responses={**NOT_MODIFIED, **problems(401)},
            dependencies=TOKEN_CHECKED_IF_PRESENT,
            operation_id=f"list{spec.tag.title()}{spec.counts_path.rsplit('/', 1)[-1].title()}",
        )
        async def facet_counts(
            service: ContentServiceDep, if_none_match: Annotated[str | None, Header()] = None
        ) -> Response:
            """Published counts, most used first."""
            return _revalidated(FacetCounts(items=service.facet_counts(spec)), if_none_match)

    return router
