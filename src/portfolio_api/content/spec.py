"""What makes a content collection: its schemas, facets (filters), slug source and derived values.

One repository, one service and one router builder serve every `ContentSpec`; a collection is a
declaration in `collections.py`. A `Facet` is a filter on published items: every published item
keeps one copy per facet value (an index entry of its own, see DYNAMODB-DESIGN.md), so a filtered
list is one Query that never comes back short.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from portfolio_api.schemas.common import ApiModel
from portfolio_api.schemas.content import partial_model, read_model

Item = Mapping[str, Any]
Derive = Callable[[Item, date], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Facet:
    """A filter: the query parameter, the stored attribute it reads, whether it is counted."""

    param: str
    attribute: str
    counted: bool = False
    description: str = ""
    query_type: type = str

    def values(self, item: Item) -> dict[str, str]:
        """The item's values under this facet, keyed by their case-folded form."""
        raw = item.get(self.attribute)
        values = raw if isinstance(raw, list) else [raw]
        return {facet_key(v): _display(v) for v in values if v is not None and v != ""}


def facet_key(value: object) -> str:
    """The form a facet value takes in keys: case-insensitive, booleans as `true`/`false`."""
    return _display(value).strip().lower()


def _display(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class ContentSpec:
    """One publishable collection."""

    name: str  # the key segment and the analytics `contentType`
    path: str
    singular: str  # fallback slug and OpenAPI wording
    tag: str
    create_model: type[ApiModel]
    model_prefix: str
    slug_source: str
    facets: tuple[Facet, ...] = ()
    counts_path: str | None = None  # the route listing the counted facet's published counts
    derived_fields: Mapping[str, type] = field(default_factory=dict)
    derive: Derive = lambda _item, _today: {}

    @cached_property
    def update_model(self) -> type[ApiModel]:
        """The PATCH body: any subset of the create fields."""
        return partial_model(f"{self.model_prefix}Update", self.create_model)

    @cached_property
    def read_model(self) -> type[ApiModel]:
        """The response body, for the OpenAPI document."""
        return read_model(self.model_prefix, self.create_model, dict(self.derived_fields))

    @property
    def counted_facet(self) -> Facet | None:
        """The facet whose published counts are kept (blog categories)."""
        return next((f for f in self.facets if f.counted), None)

    def facet(self, param: str) -> Facet:
        """The facet a query parameter names."""
        return next(f for f in self.facets if f.param == param)
