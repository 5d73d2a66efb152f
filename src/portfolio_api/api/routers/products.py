"""`/v1/products`: public reads of active products, owner writes, atomic stock."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from portfolio_api.api.deps import (
    OWNER_ONLY,
    IfMatchVersion,
    OptionalUser,
    ProductServiceDep,
)
from portfolio_api.api.idempotency import IdempotentCreateDep
from portfolio_api.api.responses import problems, resource_response
from portfolio_api.core.exact_json import DecimalJSONRoute, ExactJSONResponse
from portfolio_api.schemas.products import (
    Product,
    ProductCreate,
    ProductFilters,
    ProductPage,
    ProductUpdate,
    StockAdjustment,
)

# The contract names the path parameter `productId` (camelCase like every field on the wire).
ProductId = Annotated[str, Path(alias="productId")]

router = APIRouter(prefix="/v1/products", tags=["products"], route_class=DecimalJSONRoute)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Product,
    responses=problems(400, 401, 403, 409, 422),
    dependencies=OWNER_ONLY,
)
async def create_product(
    body: ProductCreate, products: ProductServiceDep, idempotent: IdempotentCreateDep
) -> ExactJSONResponse:
    """A product under its own id (`PROD001`) or a generated one."""
    return await idempotent.created("/v1/products", lambda: products.create(body))


@router.get("", response_model=ProductPage, responses=problems(400, 401, 403))
async def list_products(
    filters: Annotated[ProductFilters, Query()],
    principal: OptionalUser,
    products: ProductServiceDep,
) -> ExactJSONResponse:
    """Active products, newest first, by `category` if given."""
    return ExactJSONResponse(products.list_products(filters, principal))


@router.get("/{productId}", response_model=Product, responses=problems(401, 404))
async def get_product(
    product_id: ProductId, principal: OptionalUser, products: ProductServiceDep
) -> ExactJSONResponse:
    """The product with its views; an inactive one is a 404 to the public."""
    return resource_response(products.get(product_id, principal))


@router.patch(
    "/{productId}",
    response_model=Product,
    responses=problems(400, 401, 403, 404, 409, 412),
    dependencies=OWNER_ONLY,
)
async def update_product(
    product_id: ProductId,
    body: ProductUpdate,  # type: ignore[valid-type]
    products: ProductServiceDep,
    expected_version: IfMatchVersion,
) -> ExactJSONResponse:
    """Any subset of the fields but the id; `If-Match` honoured."""
    return resource_response(products.update(product_id, body, expected_version))


@router.delete(
    "/{productId}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 403, 404, 412),
    dependencies=OWNER_ONLY,
)
async def delete_product(
    product_id: ProductId, products: ProductServiceDep, expected_version: IfMatchVersion
) -> Response:
    """Gone."""
    products.delete(product_id, expected_version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{productId}/stock",
    response_model=Product,
    responses=problems(400, 401, 403, 404, 409),
    dependencies=OWNER_ONLY,
)
async def adjust_product_stock(
    product_id: ProductId, body: StockAdjustment, products: ProductServiceDep
) -> ExactJSONResponse:
    """Add `delta` in one atomic conditional update; never below zero."""
    return resource_response(products.adjust_stock(product_id, body.delta))
