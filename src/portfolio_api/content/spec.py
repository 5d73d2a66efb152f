"""What makes a content collection: its schemas, facets (filters), slug source and derived values.

One repository, one service and one router builder serve every `ContentSpec`; a collection is a
declaration in `collections.py`. A `Facet` is a filter, at any status, and filters combine: every
item keeps one list entry per facet value (see DYNAMODB-DESIGN.md), so a filtered list is one
Query that never comes back short, plus one BatchGetItem of the page's view counts (which facet
entries do not carry); several filters read the rarest value's entries and match the others on
them (DYNAMODB-DESIGN.md, ContentListEntry).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from pydantic import create_model
from pydantic.alias_generators import to_camel

from portfolio_api.schemas.common import ApiModel, Page, partial_model
from portfolio_api.schemas.content import ContentMeta, read_model

Item = Mapping[str, Any]
Derive = Callable[[Item], dict[str, Any]]
DeriveForDay = Callable[[Item, date], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Facet:
    """A filter: the query parameter, the stored attribute it reads, whether a public route
    lists its published counts (every facet's counts are kept; `counted` only publishes them)."""

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
    heavy_fields: tuple[str, ...] = ()  # long Markdown: on the item, not in list entries
    derived_fields: Mapping[str, type] = field(default_factory=dict)  # wire names
    on_write: Derive = lambda _item: {}  # derived values stored with the item
    on_read: DeriveForDay = lambda _item, _today: {}  # derived values that depend on the day
    # The export format (transfer/): the folder of the collection's files, and the wire name of
    # its Markdown body, written after the front matter (`<slug>.md`); none: `<slug>.yaml`.
    folder: str = ""
    body_field: str | None = None

    @cached_property
    def update_model(self) -> type[ApiModel]:
        """The PATCH body: any subset of the create fields."""
        return partial_model(f"{self.model_prefix}Update", self.create_model)

    @cached_property
    def read_model(self) -> type[ContentMeta]:
        """The read model of one item: what the service answers and the document shows."""
        return read_model(self.model_prefix, self.create_model, dict(self.derived_fields))

    @cached_property
    def summary_model(self) -> type[ContentMeta]:
        """A list's item: the item without its long Markdown fields."""
        return read_model(
            f"{self.model_prefix}Summary",
            self.create_model,
            dict(self.derived_fields),
            exclude=frozenset(self.heavy_fields),
        )

    @cached_property
    def page_model(self) -> type[Page[ContentMeta]]:
        """A page of a list: summaries and the cursor that continues it."""
        return create_model(  # named `BlogPostPage`, not `Page[BlogPostSummary]`
            f"{self.model_prefix}Page",
            __base__=Page[self.summary_model],  # type: ignore[name-defined]
            __doc__=f"A page of {self.singular}s.",
        )

    @cached_property
    def absent_values(self) -> dict[str, Any]:
        """What a field an item was stored without reads as: its create default (`[]` for a
        list), so an item stored before the field existed answers what the document promises,
        not `null`."""
        return {
            info.alias or name: info.get_default(call_default_factory=True)
            for name, info in self.create_model.model_fields.items()
            if not info.is_required()
        }

    @property
    def title_field(self) -> str:
        """The wire name of the field an item's slug and its top-list title are made from."""
        return to_camel(self.slug_source)

    @property
    def description(self) -> str:
        """The words of this collection's group (tag) in the OpenAPI document."""
        return (
            f"The {self.singular}s: published ones are public; the owner drafts, edits, "
            "publishes and unpublishes them."
        )

    def operation_id(self, verb: str, *, many: bool = False) -> str:
        """An operation id that reads as what it does: `listBlogPosts`, `publishProject`."""
        return f"{verb}{self.model_prefix}{'s' if many else ''}"

    @property
    def counted_facet(self) -> Facet | None:
        """The facet whose published counts a public route lists (blog categories)."""
        return next((f for f in self.facets if f.counted), None)
