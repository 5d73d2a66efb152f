"""The `Idempotency-Key` header and the wrapper every creating POST answers through."""

from collections.abc import Callable
from typing import Annotated, Protocol

from fastapi import Depends, Header, Request

from portfolio_api.api.deps import ContainerDep, OptionalUser
from portfolio_api.core.etag import etag_for
from portfolio_api.core.exact_json import ExactJSONResponse, wire_form
from portfolio_api.services.idempotency import StoredResponse

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retrying with the same key and body within 24 h answers the first response.",
    ),
]


class Created(Protocol):
    """A read model of a new resource: its id names it, its version makes its `ETag`."""

    @property
    def id(self) -> str: ...

    @property
    def version(self) -> int: ...


class IdempotentCreate:
    """Runs a create once per caller, route, key and body; without a key it simply runs."""

    def __init__(
        self, request: Request, key: str | None, caller: str, container: ContainerDep
    ) -> None:
        self._request = request
        self._key = key
        self._caller = caller
        self._container = container

    async def respond(self, produce: Callable[[], StoredResponse]) -> ExactJSONResponse:
        """The response to send: produced now, or the first one replayed."""
        if self._key is None:
            stored = produce()
        else:
            route = self._request.scope.get("route")
            path = getattr(route, "path", self._request.url.path)
            stored = self._container.idempotency_service.run(
                scope=f"{self._caller}|{self._request.method}|{path}",
                key=self._key,
                body=await self._request.json(),
                produce=produce,
            )
        return ExactJSONResponse(stored.body, status_code=stored.status, headers=stored.headers)

    async def created(self, collection_path: str, make: Callable[[], Created]) -> ExactJSONResponse:
        """201 with `Location` (under any stage prefix) and `ETag` for a resource made once."""
        root = self._request.scope.get("root_path", "")

        def produce() -> StoredResponse:
            resource = make()
            headers = {
                "Location": f"{root}{collection_path}/{resource.id}",
                "ETag": etag_for(resource.version),
            }
            return StoredResponse(201, wire_form(resource), headers)

        return await self.respond(produce)


async def idempotent_create(
    request: Request,
    container: ContainerDep,
    principal: OptionalUser,
    key: IdempotencyKeyHeader = None,
) -> IdempotentCreate:
    """The wrapper for this request, scoped to the caller (or anonymous)."""
    caller = principal.sub if principal else "anonymous"
    return IdempotentCreate(request, key, caller, container)


IdempotentCreateDep = Annotated[IdempotentCreate, Depends(idempotent_create)]


async def anonymous_idempotent_create(
    request: Request, container: ContainerDep, key: IdempotencyKeyHeader = None
) -> IdempotentCreate:
    """For a route that needs no user and ignores `Authorization` (sign-up): always anonymous."""
    return IdempotentCreate(request, key, "anonymous", container)


AnonymousIdempotentCreateDep = Annotated[IdempotentCreate, Depends(anonymous_idempotent_create)]
