"""The catalog: the owner's products, public while active; stock changes atomically."""

import re
from decimal import Decimal
from typing import Literal

from portfolio_api.core.clock import Clock, iso_z
from portfolio_api.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from portfolio_api.core.ids import new_id
from portfolio_api.core.pagination import CursorCodec
from portfolio_api.core.security import Principal
from portfolio_api.repositories.base import ConditionFailed, Item
from portfolio_api.repositories.products import MAX_STOCK, ProductRepository
from portfolio_api.schemas.common import ApiRequest
from portfolio_api.schemas.products import (
    Product,
    ProductCreate,
    ProductFilters,
    ProductPage,
    cents,
)
from portfolio_api.services.optimistic import (
    change_versioned,
    changed,
    patch_changes,
    precondition_failed,
)

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # ids that cannot exist are 404 before any call
_NOT_NULLABLE = ("name", "category", "price", "currency", "stock", "active")
Written = Literal["created", "updated", "unchanged"]  # as services/content.py's


class InsufficientStock(Conflict):
    code, title = "insufficient_stock", "Insufficient stock"


class ProductService:
    """Create, read, change, list and restock products."""

    def __init__(self, repository: ProductRepository, clock: Clock, cursors: CursorCodec) -> None:
        self._repository = repository
        self._clock = clock
        self._cursors = cursors

    def create(self, body: ProductCreate) -> Product:
        """A new product under the client's id or a generated one; a taken id is a 409."""
        now = iso_z(self._clock())
        fields = body.model_dump(by_alias=True, exclude_none=True)  # Decimal price kept as is
        state = {
            **fields,
            "id": fields.get("id") or new_id(),
            "listOrder": new_id(),  # time-ordered: the lists' sort key
            "views": 0,
            "createdAt": now,
            "updatedAt": now,
            "version": 1,
        }
        try:
            self._repository.create(state)
        except ConditionFailed:
            raise Conflict(f"A product with id {state['id']!r} exists already.") from None
        return present(state)

    def put_imported(
        self,
        body: ProductCreate,
        *,
        created_at: str | None = None,
        updated_at: str | None = None,
        version: int | None = None,
    ) -> Written:
        """The product an export file states (`portfolio-api import`), upserted by its id with
        the instants and version the file gives (stock set outright; a change never lowers a
        stored version); one already in that state is not written, so a second import changes
        nothing."""
        fields = body.model_dump(by_alias=True)  # every field, absent ones clear; Decimal price
        if not isinstance(fields["id"], str):
            raise ValidationFailed("An imported product needs an id.")
        product_id = _checked(fields["id"])
        now = iso_z(self._clock())
        old = self._repository.get(product_id, consistent=True)
        if old is None:
            state = {
                **{k: v for k, v in fields.items() if v is not None},
                "listOrder": new_id(),
                "views": 0,
                "createdAt": created_at or now,
                "updatedAt": updated_at or now,
                "version": version or 1,
            }
            try:
                self._repository.create(state)
            except ConditionFailed:
                raise Conflict(f"A product with id {product_id!r} exists already.") from None
            return "created"
        wanted = {**fields, "createdAt": created_at or old["createdAt"]}
        if not changed(old, wanted):
            return "unchanged"
        next_version = max(old["version"] + 1, version or 0)
        new = {**old, **wanted, "updatedAt": updated_at or now, "version": next_version}
        try:
            self._repository.replace(old, new, set_stock=True)
        except ConditionFailed:
            raise Conflict("The product is changing; try again.") from None
        return "updated"

    def get(self, product_id: str, principal: Principal | None) -> Product:
        """The product; an inactive one is the owner's alone."""
        item = self._repository.get(_checked(product_id))
        if item is None or (not item["active"] and not (principal and principal.is_owner)):
            raise _missing()
        return present(item)

    def update(self, product_id: str, patch: ApiRequest, expected_version: int | None) -> Product:
        """Apply the fields sent (stock included, as a plain set), guarded by `If-Match`."""
        changes = patch_changes(patch, _NOT_NULLABLE, json_mode=False)

        def change(old: Item) -> Item | None:
            if not changed(old, changes):
                return None
            now = iso_z(self._clock())
            return {**old, **changes, "updatedAt": now, "version": old["version"] + 1}

        return change_versioned(
            read=lambda: self._repository.get(_checked(product_id), consistent=True),
            change=change,
            write=lambda old, new: present(
                self._repository.replace(old, new or old, set_stock="stock" in changes)
            ),
            unchanged=present,
            expected_version=expected_version,
            missing=_missing,
            lost_race=ConditionFailed,
        )

    def adjust_stock(self, product_id: str, delta: int) -> Product:
        """Add `delta` atomically; below zero is `insufficient_stock` and changes nothing."""
        if delta == 0:
            item = self._repository.get(_checked(product_id))
            if item is None:
                raise _missing()
            return present(item)
        try:
            item = self._repository.adjust_stock(_checked(product_id), delta, iso_z(self._clock()))
        except ConditionFailed as failed:
            if failed.old_item is None:
                raise _missing() from None
            if delta > 0:
                raise Conflict(f"Stock cannot exceed {MAX_STOCK}.") from None
            raise InsufficientStock(
                f"Only {failed.old_item['stock']} in stock; cannot remove {-delta}."
            ) from None
        return present(item)

    def delete(self, product_id: str, expected_version: int | None) -> None:
        """Remove the product, guarded by `If-Match` when given."""
        try:
            self._repository.delete(_checked(product_id), expected_version)
        except ConditionFailed as failed:
            if failed.old_item is None:
                raise _missing() from None
            raise precondition_failed() from None

    def list_products(self, filters: ProductFilters, principal: Principal | None) -> ProductPage:
        """Active products newest first (by category too); the owner may include inactive."""
        if filters.include_inactive:
            if principal is None:
                raise Unauthorized("Sign in as the owner to see inactive products.")
            if not principal.is_owner:
                raise Forbidden("Only the owner may see inactive products.")
        category = filters.category.strip().lower() if filters.category else None
        scope = f"products|{filters.include_inactive}|{category}"
        page = self._repository.list_products(
            category=category,
            include_inactive=filters.include_inactive,
            limit=filters.limit,
            start=self._cursors.decode(scope, filters.cursor),
        )
        return ProductPage(
            items=[present(item) for item in page.items],
            next_cursor=self._cursors.encode(scope, page.next_key),
        )


def present(item: Item) -> Product:
    """The read model of a stored product: the price an exact `Decimal` with its two decimals."""
    return Product.from_item({**item, "price": cents(Decimal(str(item["price"])))})


def _checked(product_id: str) -> str:
    """The id, if it could name a product at all; anything else is simply not found."""
    if not _ID.match(product_id):
        raise _missing()
    return product_id


def _missing() -> NotFound:
    return NotFound("No such product.")
